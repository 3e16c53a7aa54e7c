package onchain

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// Contracts checks the proxy contracts that proxies name and derives the
// client and worker contracts under them from what the chain holds: a
// deployed proxy contract's stored params, which stay those it was
// deployed with when the root's params change (no op changes them), or,
// for one not deployed yet, the root's current params.
type Contracts struct {
	net *network
}

var (
	_ client.Contracts = (*Contracts)(nil)
	_ worker.Contracts = (*Contracts)(nil)
)

// NewContracts returns the derivation under the root contract root.
func NewContracts(chain ton.Chain, root *address.Address) (*Contracts, error) {
	n, err := newNetwork(chain, root)
	if err != nil {
		return nil, fmt.Errorf("creating contract derivation: %w", err)
	}
	return &Contracts{net: n}, nil
}

// ClientContract checks that proxySC is the contract of the proxy owned
// by proxyOwner with key proxyKey and returns the client contract of
// owner under it.
func (c *Contracts) ClientContract(ctx context.Context, owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	return c.child(ctx, "client", contracts.ClientAddress, owner, proxyOwner, proxyKey, proxySC)
}

// WorkerContract checks that proxySC is the contract of the proxy owned
// by proxyOwner with key proxyKey and returns the worker contract of
// owner under it.
func (c *Contracts) WorkerContract(ctx context.Context, owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	return c.child(ctx, "worker", contracts.WorkerAddress, owner, proxyOwner, proxyKey, proxySC)
}

// child checks the proxy contract proxySC as ClientContract and
// WorkerContract do and returns the contract (a client's or a worker's,
// what) that derive derives for owner under it.
func (c *Contracts) child(ctx context.Context, what string, derive func(owner, proxyAddr *address.Address, proxy contracts.ProxyData) (*address.Address, error),
	owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	info, err := c.net.proxy(ctx, proxyOwner, proxyKey, proxySC)
	if err != nil {
		return nil, err
	}
	a, err := derive(owner, info.addr, info.data)
	if err != nil {
		return nil, fmt.Errorf("deriving the %s contract address: %w", what, err)
	}
	return a, nil
}
