package worker

import (
	"context"
	"crypto/ed25519"
	"errors"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// ErrNoContract reports a worker contract that is not deployed (or not
// active) on the chain.
var ErrNoContract = errors.New("contract not deployed")

// ProxyID names a proxy as its contracts are derived: its owner address,
// its signing key and its proxy contract. A worker has one contract per
// proxy contract, derived from the params that contract stores.
type ProxyID struct {
	Owner *address.Address
	Key   ed25519.PublicKey
	// Contract is the proxy contract the proxy named and the worker
	// checked; nil names the one derived from the root's current params.
	Contract *address.Address
}

// Chain is the worker's view of TON: its contract at each proxy, to which
// it submits the proxy's signed payouts from its wallet. onchain.Worker
// implements it over the emulated chain and over real TON. Without a
// Chain the worker only collects signed payouts.
type Chain interface {
	// Contract reads this worker's contract at the proxy; ErrNoContract
	// when it is not deployed, returned with the contract as it would be
	// deployed (Address and FeePerToken from the proxy's params).
	Contract(ctx context.Context, p ProxyID) (WorkerContract, error)
	// Payout relays the proxy's signed payout (a BoC as the proxy sent
	// it; a last payout closes the contract), deploying the contract with
	// the same message when it is not deployed yet. It returns once the
	// message was sent (on a real chain: queued).
	Payout(ctx context.Context, p ProxyID, signed []byte) error
}

// WorkerContract is the worker contract's on-chain state.
type WorkerContract struct {
	// State is 0 (normal) or 2 (closed).
	State int
	// Tokens are the tokens paid out so far.
	Tokens int64
	// Address is the contract's address.
	Address *address.Address
	// FeePerToken is the worker fee of the contract's params: its proxy
	// pays it out at that fee, whatever the root's current one.
	FeePerToken billing.NanoTON
}
