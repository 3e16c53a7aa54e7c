package onchain

import (
	"crypto/ed25519"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/payment"
)

// signPayment signs a payment of op for tokens to target with key, as the
// proxy does, and returns its BoC.
func signPayment(t *testing.T, key ed25519.PrivateKey, op payment.Op, tokens int64, target *address.Address) []byte {
	t.Helper()
	p, err := payment.Sign(key, op, payment.RandomQueryID(), tokens, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.BOC()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
