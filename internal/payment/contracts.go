package payment

import (
	"crypto/ed25519"
	"fmt"

	"github.com/xssnick/tonutils-go/address"
)

// ProxyContracts are the contracts a payment holder expects from a proxy:
// the proxy's own and the holder's (a client or worker contract), both
// derived from the proxy's owner and key.
type ProxyContracts struct {
	Key   ed25519.PublicKey
	Proxy *address.Address
	Own   *address.Address
}

// CheckProxyContracts recomputes a proxy's contract and the holder's own
// contract, as the reference's clients and workers do, and checks them
// against what the proxy claimed. deriveProxy maps the proxy's owner and
// key to its contract; deriveOwn maps them to the holder's contract.
func CheckProxyContracts(key ed25519.PublicKey, proxyOwner, proxySC, ownSC string,
	deriveProxy func(owner *address.Address, key ed25519.PublicKey) (*address.Address, error),
	deriveOwn func(proxyOwner *address.Address, key ed25519.PublicKey) (*address.Address, error),
) (ProxyContracts, error) {
	if len(key) != ed25519.PublicKeySize {
		return ProxyContracts{}, fmt.Errorf("proxy key has %d bytes, want %d", len(key), ed25519.PublicKeySize)
	}
	owner, err := address.ParseAddr(proxyOwner)
	if err != nil {
		return ProxyContracts{}, fmt.Errorf("proxy owner address %q: %w", proxyOwner, err)
	}
	wantProxy, err := deriveProxy(owner, key)
	if err != nil {
		return ProxyContracts{}, fmt.Errorf("deriving the proxy contract: %w", err)
	}
	if got, err := address.ParseAddr(proxySC); err != nil || !got.Equals(wantProxy) {
		return ProxyContracts{}, fmt.Errorf("proxy contract %q is not %s, derived from its owner and key", proxySC, wantProxy)
	}
	wantOwn, err := deriveOwn(owner, key)
	if err != nil {
		return ProxyContracts{}, fmt.Errorf("deriving our contract: %w", err)
	}
	if got, err := address.ParseAddr(ownSC); err != nil || !got.Equals(wantOwn) {
		return ProxyContracts{}, fmt.Errorf("our contract %q is not %s, derived from our owner and the proxy", ownSC, wantOwn)
	}
	return ProxyContracts{Key: key, Proxy: wantProxy, Own: wantOwn}, nil
}
