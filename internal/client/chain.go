package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// ErrNoContract reports a client contract that is not deployed (or not
// active) on the chain.
var ErrNoContract = errors.New("contract not deployed")

// ErrInsufficientFunds reports a wallet of the client that cannot pay for
// an operation: its cocoon wallet needs topping up.
var ErrInsufficientFunds = errors.New("the client's wallet has insufficient funds")

// ProxyID names a client contract by its proxy, as the contracts are
// derived: the proxy's owner address, its signing key and its proxy
// contract, and the generation of the client's contracts there. A client
// has one contract per proxy contract and generation, derived from the
// params that proxy contract stores and the generation's owner.
type ProxyID struct {
	Owner *address.Address
	Key   ed25519.PublicKey
	// Contract is the proxy contract the proxy named and the client
	// checked; nil names the one derived from the root's current params.
	Contract *address.Address
	// Generation is which of the client's contracts at the proxy this
	// is: generation 0 is owned by the client's cocoon wallet, generation
	// g by its subwallet g (Chain.Owner). A closed contract takes nothing
	// more (not even a deployment at its address), so the client opens
	// the next generation's, at a new address, to carry on at the proxy.
	Generation uint32
}

// Chain is the client's view of TON: its contract at each proxy, operated
// from the client's wallet, which is the contract's owner. onchain.Client
// implements it over the emulated chain and over real TON. Without a
// Chain the client runs with the reference's fake-TON semantics.
//
// Every operation returns once its message was sent (on a real chain:
// queued); its effect shows in Contract later. One that the client's
// wallet cannot pay for returns an error wrapping ErrInsufficientFunds.
// Operations that need the contract's owner go from the owner of its
// generation, which the client's wallet funds as needed.
type Chain interface {
	// Contract reads this client's contract at the proxy; ErrNoContract
	// when it is not deployed, returned with the contract as it would be
	// deployed where known (Address, and Stake, PricePerToken and
	// CloseWait from the proxy's params),
	// since the client deposits one stake by default.
	Contract(ctx context.Context, p ProxyID) (ClientContract, error)
	// Deploy deploys the contract and tops it up with amount, setting the
	// secret hash (owner_client_change_secret_hash_and_top_up).
	Deploy(ctx context.Context, p ProxyID, amount billing.NanoTON, secretHash [32]byte) error
	// Register sends owner_client_register with nonce: the proof the
	// proxy waits for on the long authorisation path.
	Register(ctx context.Context, p ProxyID, nonce uint64) error
	// TopUp adds amount to the contract's balance (ext_client_top_up).
	TopUp(ctx context.Context, p ProxyID, amount billing.NanoTON) error
	// ChangeSecret sets the contract's secret hash.
	ChangeSecret(ctx context.Context, p ProxyID, secretHash [32]byte) error
	// Withdraw takes back the balance above the stake.
	Withdraw(ctx context.Context, p ProxyID) error
	// RequestRefund starts closing the contract (the first call) or,
	// once the contract's unlock time has passed, claims the refund by
	// force (the second).
	RequestRefund(ctx context.Context, p ProxyID) error
	// Charge relays the proxy's signed charge (a BoC as the proxy sent
	// it) to the contract.
	Charge(ctx context.Context, p ProxyID, signed []byte) error
	// Owner is the owner of the client's contracts of generation gen: the
	// address the client names to proxies to use them.
	Owner(gen uint32) (*address.Address, error)
	// Reclaim sends back to the client's cocoon wallet what the owner of
	// generation gen ≥ 1 holds beyond what it needs to send (refunds of
	// its closed contracts land there); nothing for generation 0.
	Reclaim(ctx context.Context, gen uint32) error
}

// ClientContract is the client contract's on-chain state.
type ClientContract struct {
	billing.ClientChain
	// SecretHash is the hash of the secret for short authorisation.
	SecretHash [32]byte
	// UnlockTS is when a closing contract may claim its refund by force
	// (Unix seconds; zero when not closing).
	UnlockTS int64
	// Address is the contract's address.
	Address *address.Address
	// PricePerToken is the price of the contract's params: its proxy
	// charges it at that price, whatever the root's current one.
	PricePerToken billing.NanoTON
	// CloseWait is how long the client waits, once the proxy has moved
	// to a new contract, before it closes this one itself: half of
	// proxy_delay_before_close less client_delay_before_close of the
	// contract's params (the reference's client waits as long), so that the proxy's
	// refund, which charges the final tokens, comes first.
	CloseWait time.Duration
}
