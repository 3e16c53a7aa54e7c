package payment

import (
	"testing"

	"github.com/xssnick/tonutils-go/address"
)

func TestSigner(t *testing.T) {
	wallet := testAddr(0x20)
	s, err := NewSigner(testKey, wallet)
	if err != nil {
		t.Fatal(err)
	}
	target := testAddr(0x10)
	a, err := s.Sign(OpClientCharge, target, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(s.Public(), OpClientCharge, target); err != nil {
		t.Fatalf("signed payment does not verify: %v", err)
	}
	if !a.ExcessTo.Equals(wallet) || a.ExcessTo.IsAddrNone() {
		t.Errorf("got excess address %v, want the signer's %v", a.ExcessTo, wallet)
	}
	zero, err := s.Sign(OpWorkerPayout, target, 0)
	if err != nil || zero.Tokens != 0 || zero.Verify(s.Public(), OpWorkerPayout, target) != nil {
		t.Errorf("a payment of 0 tokens: %+v, %v; want one signed", zero, err)
	}
	b, err := s.Sign(OpClientCharge, testAddr(0x10), 100)
	if err != nil {
		t.Fatal(err)
	}
	if b.Signature != a.Signature || b.QueryID != a.QueryID {
		t.Error("an unchanged count was signed again, want the cached payment")
	}
	c, err := s.Sign(OpClientCharge, target, 101)
	if err != nil {
		t.Fatal(err)
	}
	if c.Tokens != 101 || c.Signature == a.Signature {
		t.Errorf("a new count returned %d tokens with the old signature", c.Tokens)
	}
	d, err := s.Sign(OpClientGrantRefund, target, 101)
	if err != nil {
		t.Fatal(err)
	}
	if d.Op != OpClientGrantRefund {
		t.Errorf("got op %v, want grant refund", d.Op)
	}
	if _, err := s.Sign(OpClientCharge, nil, 1); err == nil {
		t.Error("signing for no target succeeded, want an error")
	}
	if _, err := NewSigner(testKey[:3], wallet); err == nil {
		t.Error("NewSigner with a short key succeeded, want an error")
	}
	if _, err := NewSigner(testKey, address.NewAddressNone()); err == nil {
		t.Error("NewSigner with addr_none as the excess address succeeded, want an error")
	}
}
