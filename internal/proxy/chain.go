package proxy

import (
	"context"
	"errors"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/trust"
)

// ErrNoContract reports a client or worker contract that is not deployed
// (or not active) on the chain.
var ErrNoContract = errors.New("contract not deployed")

// Chain is the proxy's view of TON, behind which the proxy reads the root
// contract, keeps its own proxy contract, commits its ledger seqno, reads
// its clients' and workers' contracts and relays signed payments.
// onchain.Proxy implements it over the emulated chain and over real TON.
// Without a Chain the proxy runs with the reference's fake-TON semantics.
type Chain interface {
	// Root reads the root contract's current config.
	Root(ctx context.Context) (RootConfig, error)
	// Open makes sure the proxy's own contract is deployed, deploying it
	// from the proxy's wallet when it is not, and returns its address.
	Open(ctx context.Context) (*address.Address, error)
	// CommitSeqno records the ledger seqno on chain (the reference's
	// save_state, with the proxy run's random session hash) and returns
	// once the chain shows it, or with an error.
	CommitSeqno(ctx context.Context, seqno uint32, session [32]byte) error
	// Client reads a client contract; ErrNoContract when it is not
	// deployed.
	Client(ctx context.Context, contract *address.Address) (ClientContract, error)
	// Worker reads a worker contract; ErrNoContract when it is not
	// deployed.
	Worker(ctx context.Context, contract *address.Address) (WorkerContract, error)
	// Registered reports whether the client contract has reported
	// owner_client_register with nonce to the proxy contract: the proof
	// of the long authorisation.
	Registered(ctx context.Context, client *address.Address, nonce uint64) (bool, error)
	// Submit relays a signed payment message (a BoC as the proxy signs
	// them: charge, grant refund, payout, last payout, proxy close
	// completion) to its target
	// contract from the proxy's wallet, paying the gas, and returns once
	// the message was sent (on a real chain: queued).
	Submit(ctx context.Context, signed []byte) error
	// PayWorker relays a signed payout or last payout to the worker
	// contract of owner under the proxy contract proxySC as Submit does,
	// deploying the worker contract with it when it is not deployed yet.
	PayWorker(ctx context.Context, signed []byte, proxySC, owner *address.Address) error
	// Earnings reads the proxy contract's balance field: the operator's
	// commission credited by worker payouts and not yet paid to its owner.
	Earnings(ctx context.Context) (billing.NanoTON, error)
	// Withdraw sends ext_proxy_payout_request to the proxy contract from
	// the proxy's wallet with the gas it needs, the excess returning to
	// the wallet: the contract pays its whole balance field to its owner.
	// It returns once the message was sent (on a real chain: queued);
	// Earnings shows the payout when it lands. A request that finds the
	// balance field already paid out moves nothing but gas.
	Withdraw(ctx context.Context) error
	// State reads the state of a proxy contract of this proxy: the one
	// it serves under, whose owner may start its close, or an older one
	// it winds down (closing in two phases: the close request, then after
	// proxy_delay_before_close the close completion).
	State(ctx context.Context, contract *address.Address) (ProxyContract, error)
	// Rollover deploys or opens the proxy contract under the root's
	// current params and makes it the one the proxy commits to, reads the
	// earnings of and registers clients at; it records it, and the one it
	// replaces as one to wind down, so that a restart finds both
	// (as the reference's proxy does when params_version changes).
	Rollover(ctx context.Context) (Instance, error)
	// Winding lists the older proxy contracts recorded to wind down that
	// are not closed yet.
	Winding(ctx context.Context) ([]Instance, error)
}

// Instance is a proxy contract of the proxy: the one it serves under, or
// an older one it winds down after a change of the root's params.
type Instance struct {
	// Contract is the proxy contract's address.
	Contract *address.Address
	// Prices are those of its params: its clients and workers are billed
	// at them.
	Prices billing.Prices
	// Derive derives its clients' and workers' contracts.
	Derive Contracts
}

// The states of a proxy contract: running, closing (after the close
// request, until the close completion) and closed.
const (
	ContractNormal  = 0
	ContractClosing = 1
	ContractClosed  = 2
)

// ProxyContract is the proxy contract's on-chain state.
type ProxyContract struct {
	// State is ContractNormal, ContractClosing or ContractClosed.
	State int
	// UnlockTS is when a closing contract may complete its close (Unix
	// seconds; zero when not closing).
	UnlockTS int64
}

// RootConfig is what the proxy reads from the root contract.
type RootConfig struct {
	// Version changes with every change of the root; ParamsVersion with
	// every change of the params (prices, delays, codes).
	Version, ParamsVersion uint32
	// ContractParamsVersion is the params version of the proxy contract
	// the proxy serves under: the proxy rolls over to a new contract when
	// the root's differs.
	ContractParamsVersion uint32
	// Prices are the prices the proxy bills at: those of the params the
	// proxy contract it serves under was deployed with.
	Prices billing.Prices
	// Lists are the root's allow-lists and registered proxies, which the
	// proxy admits workers by.
	Lists trust.Lists
}

// ClientContract is a client contract's on-chain state.
type ClientContract struct {
	billing.ClientChain
	// SecretHash is the hash of the secret the client proves on the short
	// authorisation path.
	SecretHash [32]byte
	// UnlockTS is when a closing client may claim its refund by force
	// (Unix seconds; zero when not closing).
	UnlockTS int64
}

// WorkerContract is a worker contract's on-chain state.
type WorkerContract struct {
	// State is 0 (normal) or 2 (closed).
	State int
	// Tokens are the tokens paid out so far.
	Tokens int64
}
