package paymenttest

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/cocoon-go/cocoon/internal/payment"
)

func TestSignedBOC(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, ed25519.SeedSize))
	target := Addr([]byte("worker"))
	b := SignedBOC(t, key, payment.OpWorkerPayout, 7, 150, target)
	p, err := payment.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Op != payment.OpWorkerPayout || p.QueryID != 7 || p.Tokens != 150 || !p.Target.Equals(target) {
		t.Errorf("got op %v query id %d tokens %d target %s, want %v 7 150 %s", p.Op, p.QueryID, p.Tokens, p.Target, payment.OpWorkerPayout, target)
	}
	if err := p.Verify(key.Public().(ed25519.PublicKey), payment.OpWorkerPayout, target); err != nil {
		t.Errorf("verifying the signature: %v", err)
	}
}
