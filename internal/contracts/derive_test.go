package contracts

import (
	"crypto/ed25519"
	"testing"
)

func TestDerivation(t *testing.T) {
	f, err := BuiltinFakeTON()
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Derivation()
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	proxyOwner, owner := NewOwnerAddress(), NewOwnerAddress()
	params, err := FakeTONParams()
	if err != nil {
		t.Fatal(err)
	}
	want, err := ProxyAddress(proxyOwner, FakeTONRoot(), pub, params)
	if err != nil {
		t.Fatal(err)
	}
	pa, err := c.ProxyAddress(proxyOwner, pub)
	if err != nil || !pa.Equals(want) {
		t.Errorf("ProxyAddress = %v, %v; want %v", pa, err, want)
	}
	ca, err := c.ClientAddress(owner, proxyOwner, pub)
	if err != nil {
		t.Fatal(err)
	}
	wa, err := c.WorkerAddress(owner, proxyOwner, pub)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.ClientAddress(owner, proxyOwner, pub)
	if ca.Equals(wa) || ca.Equals(pa) || !ca.Equals(again) {
		t.Errorf("client %v, worker %v, proxy %v: want three distinct addresses, each derived the same way every time", ca, wa, pa)
	}
	other, _ := c.ClientAddress(NewOwnerAddress(), proxyOwner, pub)
	if other.Equals(ca) {
		t.Error("two owners have the same client contract")
	}
	if _, err := NewDerivation(FakeTONRoot(), params.WithoutCode()); err == nil {
		t.Error("NewDerivation accepted params without contract code")
	}
}
