// Package paymenttest holds the roles' tests' stand-in for the contracts'
// address derivation: addresses made by hashing what they depend on, as
// the real derivation does, without contract code; and the payments a
// proxy signs, as BoCs (SignedBOC).
package paymenttest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"github.com/xssnick/tonutils-go/address"
)

// Addr is the address in the basechain whose account id is the SHA-256
// of parts, one after another.
func Addr(parts ...[]byte) *address.Address {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return address.NewAddress(0, 0, h.Sum(nil))
}

// Contracts derives the proxy, client and worker contracts' addresses by
// hashing their owners and the proxy's key. It serves the proxy's
// derivation and the client's and worker's checks of a proxy contract.
type Contracts struct{}

// ProxyAddress is the proxy contract of owner with key.
func (Contracts) ProxyAddress(owner *address.Address, key ed25519.PublicKey) (*address.Address, error) {
	return Addr([]byte("proxy"), owner.Data(), key), nil
}

// ClientAddress is the client contract of owner under the proxy of
// proxyOwner with key.
func (Contracts) ClientAddress(owner, proxyOwner *address.Address, key ed25519.PublicKey) (*address.Address, error) {
	return Addr([]byte("client"), owner.Data(), proxyOwner.Data(), key), nil
}

// WorkerAddress is the worker contract of owner under the proxy of
// proxyOwner with key.
func (Contracts) WorkerAddress(owner, proxyOwner *address.Address, key ed25519.PublicKey) (*address.Address, error) {
	return Addr([]byte("worker"), owner.Data(), proxyOwner.Data(), key), nil
}

// ClientContract checks that proxySC is the proxy's derived contract and
// returns the client contract of owner under it.
func (c Contracts) ClientContract(_ context.Context, owner, proxyOwner *address.Address, key ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	if err := c.checkProxy(proxyOwner, key, proxySC); err != nil {
		return nil, err
	}
	return c.ClientAddress(owner, proxyOwner, key)
}

// WorkerContract checks that proxySC is the proxy's derived contract and
// returns the worker contract of owner under it.
func (c Contracts) WorkerContract(_ context.Context, owner, proxyOwner *address.Address, key ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	if err := c.checkProxy(proxyOwner, key, proxySC); err != nil {
		return nil, err
	}
	return c.WorkerAddress(owner, proxyOwner, key)
}

func (c Contracts) checkProxy(proxyOwner *address.Address, key ed25519.PublicKey, proxySC *address.Address) error {
	if want, _ := c.ProxyAddress(proxyOwner, key); !proxySC.Equals(want) {
		return fmt.Errorf("proxy contract %s is not %s", proxySC, want)
	}
	return nil
}

// Moved accepts, besides the proxy's derived contract, the contract
// Proxy that the proxy moved to, as after a change of the root's params;
// under Proxy the client's and worker's contracts hash their owner and
// Proxy.
type Moved struct{ Proxy *address.Address }

// ClientContract is Contracts' ClientContract but for a proxy at Proxy.
func (m Moved) ClientContract(ctx context.Context, owner, proxyOwner *address.Address, key ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	if proxySC.Equals(m.Proxy) {
		return Addr([]byte("client"), owner.Data(), proxySC.Data()), nil
	}
	return Contracts{}.ClientContract(ctx, owner, proxyOwner, key, proxySC)
}

// WorkerContract is Contracts' WorkerContract but for a proxy at Proxy.
func (m Moved) WorkerContract(ctx context.Context, owner, proxyOwner *address.Address, key ed25519.PublicKey, proxySC *address.Address) (*address.Address, error) {
	if proxySC.Equals(m.Proxy) {
		return Addr([]byte("worker"), owner.Data(), proxySC.Data()), nil
	}
	return Contracts{}.WorkerContract(ctx, owner, proxyOwner, key, proxySC)
}
