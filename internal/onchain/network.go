package onchain

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// Gas attached to the messages the adapters send; the contracts return
// what they do not spend to the sending wallet as excesses.
const (
	// ClientOpGas goes with every client contract op and with the proxy's
	// relayed charges and grant refunds.
	ClientOpGas = 7 * billing.TON / 10
	// PayoutGas goes with a relayed worker payout.
	PayoutGas = billing.TON / 2
	// ProxyDeployGas goes with the proxy contract's deployment, on top of
	// its stake.
	ProxyDeployGas = 7 * billing.TON / 10
	// SaveStateValue is the value of a save-state record: a notice the
	// proxy contract cannot even run: a message of 1 nanoTON buys no
	// gas, so its compute phase is skipped and nothing bounces, but the
	// transaction is on the proxy's account for the off-chain proxy to
	// read.
	SaveStateValue billing.NanoTON = 1
)

// maxCachedProxies bounds the cache of deployed proxies' storage.
const maxCachedProxies = 1024

// network derives COCOON contract addresses under one root. A proxy's
// children derive from the params its contract stores, which never change
// on chain (no op changes them): a proxy contract deployed before a change
// of the root's params keeps its address and its children theirs. The
// storage of deployed proxy contracts is cached by address.
type network struct {
	chain ton.Chain
	root  *address.Address

	// mu guards proxies: deployed proxy contracts by raw address.
	mu      sync.Mutex
	proxies map[string]contracts.ProxyData
}

// proxyInfo is a proxy contract as its children derive from it.
type proxyInfo struct {
	addr *address.Address
	data contracts.ProxyData
}

func newNetwork(chain ton.Chain, root *address.Address) (*network, error) {
	if chain == nil {
		return nil, errors.New("no chain")
	}
	if root == nil {
		return nil, errors.New("no root address")
	}
	return &network{chain: chain, root: root, proxies: map[string]contracts.ProxyData{}}, nil
}

// proxy returns the proxy contract of owner and key at sc, the contract
// the proxy names: its stored data when it is deployed, which must name
// owner, key and this root, else the data it would be deployed with under
// the root's current params, from which sc must derive. A nil sc is the
// contract derived from the root's current params.
func (n *network) proxy(ctx context.Context, owner *address.Address, key ed25519.PublicKey, sc *address.Address) (proxyInfo, error) {
	if owner == nil || len(key) != ed25519.PublicKeySize {
		return proxyInfo{}, errors.New("deriving proxy contract: no owner or a bad key")
	}
	if sc != nil {
		data, err := n.deployed(ctx, sc)
		switch {
		case err == nil:
			if !data.Owner.Equals(owner) || !data.PublicKey.Equal(key) || !data.Root.Equals(n.root) {
				return proxyInfo{}, fmt.Errorf("proxy contract %s belongs to owner %s with another key or root, not to proxy owner %s under root %s",
					sc, data.Owner, owner, n.root)
			}
			return proxyInfo{addr: sc, data: data}, nil
		case !errors.Is(err, ton.ErrNotFound):
			return proxyInfo{}, err
		}
	}
	root, err := ton.ReadRootConfig(ctx, n.chain, n.root)
	if err != nil {
		return proxyInfo{}, err
	}
	addr, err := contracts.ProxyAddress(owner, n.root, key, root.Params)
	if err != nil {
		return proxyInfo{}, err
	}
	if sc != nil && !sc.Equals(addr) {
		return proxyInfo{}, fmt.Errorf("proxy contract %s is not deployed and is not %s, derived from its owner and key under the root's params version %d",
			sc, addr, root.Params.ParamsVersion)
	}
	data, err := n.deployed(ctx, addr)
	switch {
	case errors.Is(err, ton.ErrNotFound):
		return proxyInfo{addr: addr, data: contracts.NewProxyData(owner, n.root, key, root.Params)}, nil
	case err != nil:
		return proxyInfo{}, err
	}
	return proxyInfo{addr: addr, data: data}, nil
}

// deployed reads the stored data of the proxy contract at addr, from the
// cache when it was read before; ton.ErrNotFound when it is not deployed.
// The contract must sit at the address its code and stored params derive
// to: a proxy contract as the root deploys them, not an account that only
// stores the same fields.
func (n *network) deployed(ctx context.Context, addr *address.Address) (contracts.ProxyData, error) {
	k := addr.StringRaw()
	n.mu.Lock()
	data, ok := n.proxies[k]
	n.mu.Unlock()
	if ok {
		return data, nil
	}
	data, _, err := readProxy(ctx, n.chain, addr)
	if err != nil {
		return contracts.ProxyData{}, err
	}
	n.mu.Lock()
	if len(n.proxies) < maxCachedProxies {
		n.proxies[k] = data
	}
	n.mu.Unlock()
	return data, nil
}

// readProxy reads the proxy contract at addr and returns its stored data
// and the params it was deployed with (its stored params and its code),
// checking that addr derives from them; ton.ErrNotFound when it is not
// active.
func readProxy(ctx context.Context, chain ton.Chain, addr *address.Address) (contracts.ProxyData, contracts.Params, error) {
	acc, err := ton.Active(ctx, chain, addr)
	if err != nil {
		return contracts.ProxyData{}, contracts.Params{}, err
	}
	data, err := contracts.ParseProxyData(acc.Data)
	if err != nil {
		return contracts.ProxyData{}, contracts.Params{}, fmt.Errorf("reading proxy contract %s: %w", addr, err)
	}
	params := data.Params
	params.ProxyCode = acc.Code
	want, err := contracts.ProxyAddress(data.Owner, data.Root, data.PublicKey, params)
	if err != nil {
		return contracts.ProxyData{}, contracts.Params{}, fmt.Errorf("reading proxy contract %s: %w", addr, err)
	}
	if !want.Equals(addr) {
		return contracts.ProxyData{}, contracts.Params{}, fmt.Errorf("reading proxy contract %s: its code and stored params derive to %s", addr, want)
	}
	return data, params, nil
}

// await calls check until it reports done, every poll, until ctx ends.
func await(ctx context.Context, poll time.Duration, what string, check func() (bool, error)) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		done, err := check()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-t.C:
		}
	}
}

// queryID returns a random query id.
func queryID() uint64 {
	var b [8]byte
	rand.Read(b[:]) // crypto/rand.Read never fails; it panics if the system source does
	return binary.BigEndian.Uint64(b[:])
}
