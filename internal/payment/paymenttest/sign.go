package paymenttest

import (
	"crypto/ed25519"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/payment"
)

// SignedBOC signs a payment of op for tokens to target with key, as the
// proxy does, without an excess address, and returns its BoC. It fails t
// when the payment cannot be signed or encoded.
func SignedBOC(t testing.TB, key ed25519.PrivateKey, op payment.Op, queryID uint64, tokens int64, target *address.Address) []byte {
	t.Helper()
	p, err := payment.Sign(key, op, queryID, tokens, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.BOC()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
