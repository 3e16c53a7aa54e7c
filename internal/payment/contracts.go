package payment

import (
	"crypto/ed25519"
	"fmt"

	"github.com/xssnick/tonutils-go/address"
)

// ProxyContracts are the contracts a payment holder expects from a proxy:
// the proxy's own and the holder's (a client or worker contract), derived
// from the proxy's owner, key and contract.
type ProxyContracts struct {
	Key   ed25519.PublicKey
	Owner *address.Address
	Proxy *address.Address
	Own   *address.Address
}

// CheckProxyContracts checks the contracts a proxy claimed, as the
// reference's clients and workers do: derive checks that the proxy
// contract proxySC is the one of the proxy's owner and key and derives the
// holder's own contract under it, which must be ownSC.
func CheckProxyContracts(key ed25519.PublicKey, proxyOwner, proxySC, ownSC string,
	derive func(owner *address.Address, key ed25519.PublicKey, proxySC *address.Address) (*address.Address, error),
) (ProxyContracts, error) {
	if len(key) != ed25519.PublicKeySize {
		return ProxyContracts{}, fmt.Errorf("proxy key has %d bytes, want %d", len(key), ed25519.PublicKeySize)
	}
	owner, err := address.ParseAddr(proxyOwner)
	if err != nil {
		return ProxyContracts{}, fmt.Errorf("proxy owner address %q: %w", proxyOwner, err)
	}
	sc, err := address.ParseAddr(proxySC)
	if err != nil {
		return ProxyContracts{}, fmt.Errorf("proxy contract address %q: %w", proxySC, err)
	}
	owner, sc = Canonical(owner), Canonical(sc)
	wantOwn, err := derive(owner, key, sc)
	if err != nil {
		return ProxyContracts{}, fmt.Errorf("checking the proxy contract and deriving ours: %w", err)
	}
	if got, err := address.ParseAddr(ownSC); err != nil || !got.Equals(wantOwn) {
		return ProxyContracts{}, fmt.Errorf("our contract %q is not %s, derived from our owner and the proxy contract", ownSC, wantOwn)
	}
	return ProxyContracts{Key: key, Owner: owner, Proxy: sc, Own: wantOwn}, nil
}

// Canonical returns a in the one form holders key and store addresses
// in, the form of a derived address (bounceable, mainnet), whatever
// flags it was received with: the reference and ours send them
// non-bounceable, with the testnet flag of the network.
func Canonical(a *address.Address) *address.Address { return a.Bounce(true).Testnet(false) }
