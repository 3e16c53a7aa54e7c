package payment

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"
)

func TestCheckProxyContracts(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	owner := address.NewAddress(0, 0, make([]byte, 32))
	proxySC := address.NewAddress(0, 0, append([]byte{1}, make([]byte, 31)...))
	ownSC := address.NewAddress(0, 0, append([]byte{2}, make([]byte, 31)...))
	other := address.NewAddress(0, 0, append([]byte{3}, make([]byte, 31)...))
	derive := func(o *address.Address, k ed25519.PublicKey, sc *address.Address) (*address.Address, error) {
		if !o.Equals(owner) || !k.Equal(key) || !sc.Equals(proxySC) {
			return nil, errors.New("not the proxy's contract")
		}
		return ownSC, nil
	}
	failing := func(*address.Address, ed25519.PublicKey, *address.Address) (*address.Address, error) {
		return nil, errors.New("no code")
	}
	tests := []struct {
		name       string
		key        ed25519.PublicKey
		owner      string
		proxy, own string
		derive     func(*address.Address, ed25519.PublicKey, *address.Address) (*address.Address, error)
		wantErr    string
	}{
		{name: "good", key: key, owner: owner.String(), proxy: proxySC.String(), own: ownSC.String(), derive: derive},
		{name: "short key", key: key[:31], owner: owner.String(), proxy: proxySC.String(), own: ownSC.String(), derive: derive, wantErr: "31 bytes"},
		{name: "bad owner", key: key, owner: "not an address", proxy: proxySC.String(), own: ownSC.String(), derive: derive, wantErr: "proxy owner address"},
		{name: "bad proxy contract", key: key, owner: owner.String(), proxy: "not an address", own: ownSC.String(), derive: derive, wantErr: "proxy contract address"},
		{name: "foreign proxy contract", key: key, owner: owner.String(), proxy: other.String(), own: ownSC.String(), derive: derive, wantErr: "not the proxy's contract"},
		{name: "foreign own contract", key: key, owner: owner.String(), proxy: proxySC.String(), own: other.String(), derive: derive, wantErr: "our contract"},
		{name: "derivation fails", key: key, owner: owner.String(), proxy: proxySC.String(), own: ownSC.String(), derive: failing, wantErr: "no code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckProxyContracts(tt.key, tt.owner, tt.proxy, tt.own, tt.derive)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckProxyContracts: %v", err)
			}
			if !got.Proxy.Equals(proxySC) || !got.Own.Equals(ownSC) || !got.Key.Equal(key) || !got.Owner.Equals(owner) {
				t.Errorf("got %v %v %v, want %v %v %v", got.Owner, got.Proxy, got.Own, owner, proxySC, ownSC)
			}
		})
	}
}
