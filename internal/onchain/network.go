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
	// proxy contract cannot even run (contracts.md §8.1).
	SaveStateValue billing.NanoTON = 1
)

// maxCachedProxies bounds the cache of deployed proxies' storage.
const maxCachedProxies = 1024

// network derives COCOON contract addresses under one root. The proxy
// contract of an owner and key derives from the root's current params;
// the storage of deployed proxy contracts is cached by address, since the
// fields their children derive from never change on chain (contracts.md
// §8.9).
type network struct {
	chain ton.Chain
	root  *address.Address

	// mu guards proxies: deployed proxy contracts by raw address.
	mu      sync.Mutex
	proxies map[string]ton.ProxyData
}

// proxyInfo is a proxy contract as its children derive from it.
type proxyInfo struct {
	addr *address.Address
	data ton.ProxyData
}

func newNetwork(chain ton.Chain, root *address.Address) (*network, error) {
	if chain == nil {
		return nil, errors.New("no chain")
	}
	if root == nil {
		return nil, errors.New("no root address")
	}
	return &network{chain: chain, root: root, proxies: map[string]ton.ProxyData{}}, nil
}

// proxy returns the proxy contract of owner and key under the root's
// current params: its stored data when it is deployed, else the data it
// would be deployed with.
func (n *network) proxy(ctx context.Context, owner *address.Address, key ed25519.PublicKey) (proxyInfo, error) {
	if owner == nil || len(key) != ed25519.PublicKeySize {
		return proxyInfo{}, errors.New("deriving proxy contract: no owner or a bad key")
	}
	root, err := ton.ReadRootConfig(ctx, n.chain, n.root)
	if err != nil {
		return proxyInfo{}, err
	}
	addr, err := ton.ProxyAddress(owner, n.root, key, root.Params)
	if err != nil {
		return proxyInfo{}, err
	}
	k := addr.StringRaw()
	n.mu.Lock()
	data, ok := n.proxies[k]
	n.mu.Unlock()
	if ok {
		return proxyInfo{addr: addr, data: data}, nil
	}
	data, err = ton.ReadProxyData(ctx, n.chain, addr)
	switch {
	case errors.Is(err, ton.ErrNotFound):
		return proxyInfo{addr: addr, data: ton.NewProxyData(owner, n.root, key, root.Params)}, nil
	case err != nil:
		return proxyInfo{}, err
	}
	n.mu.Lock()
	if len(n.proxies) < maxCachedProxies {
		n.proxies[k] = data
	}
	n.mu.Unlock()
	return proxyInfo{addr: addr, data: data}, nil
}

// active reads addr and returns it when it is an active account;
// ton.ErrNotFound when it does not exist or is not active.
func active(ctx context.Context, chain ton.Chain, addr *address.Address) (ton.Account, error) {
	acc, err := chain.Account(ctx, addr)
	if err != nil {
		return ton.Account{}, fmt.Errorf("reading %s: %w", addr, err)
	}
	if acc.Status != ton.StatusActive {
		return ton.Account{}, fmt.Errorf("reading %s: account is %s: %w", addr, acc.Status, ton.ErrNotFound)
	}
	return acc, nil
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
