package payment_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/xssnick/tonutils-go/address"
)

// The tests of the Tracker and the Holding stand outside the package, so
// that they can sign with paymenttest, which imports it; their key and
// addresses are payment_test.go's.
var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, ed25519.SeedSize))

func testAddr(b byte) *address.Address {
	return address.NewAddress(0, 0, bytes.Repeat([]byte{b}, 32))
}

// signedBOC is a payment of op for tokens to testAddr(target), its query
// id drawn from tokens.
func signedBOC(t testing.TB, key ed25519.PrivateKey, op payment.Op, tokens int64, target byte) []byte {
	t.Helper()
	return paymenttest.SignedBOC(t, key, op, uint64(tokens)*31, tokens, testAddr(target))
}

func TestTracker(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	tr, err := payment.NewTracker(pub, testAddr(0x10), payment.OpWorkerPayout, payment.OpWorkerLastPayout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Best(); !errors.Is(err, payment.ErrNoPayment) {
		t.Fatalf("Best before any update = %v, want ErrNoPayment", err)
	}
	steps := []struct {
		name    string
		boc     []byte
		db, max int64
		want    error // nil: accepted
		best    int64 // signed tokens kept afterwards
	}{
		{"first", signedBOC(t, testKey, payment.OpWorkerPayout, 100, 0x10), 150, 200, nil, 100},
		{"empty payment, figures grow", nil, 160, 210, nil, 100},
		{"higher", signedBOC(t, testKey, payment.OpWorkerPayout, 150, 0x10), 160, 220, nil, 150},
		{"same again", signedBOC(t, testKey, payment.OpWorkerPayout, 150, 0x10), 160, 220, nil, 150},
		{"signed tokens go back", signedBOC(t, testKey, payment.OpWorkerPayout, 140, 0x10), 170, 230, payment.ErrWentBackwards, 150},
		{"database figure goes back", nil, 159, 230, payment.ErrWentBackwards, 150},
		{"total figure goes back", signedBOC(t, testKey, payment.OpWorkerPayout, 160, 0x10), 160, 219, payment.ErrWentBackwards, 150},
		{"wrong key", signedBOC(t, other, payment.OpWorkerPayout, 500, 0x10), 500, 500, payment.ErrBadSignature, 150},
		{"wrong target", signedBOC(t, testKey, payment.OpWorkerPayout, 500, 0x11), 500, 500, payment.ErrWrongTarget, 150},
		{"op for clients", signedBOC(t, testKey, payment.OpClientCharge, 500, 0x10), 500, 500, payment.ErrWrongOp, 150},
		{"garbage", []byte{1, 2, 3}, 500, 500, payment.ErrMalformed, 150},
		{"last payout", signedBOC(t, testKey, payment.OpWorkerLastPayout, 300, 0x10), 300, 300, nil, 300},
	}
	for _, s := range steps {
		err := tr.Update(s.boc, s.db, s.max)
		if s.want == nil && err != nil {
			t.Fatalf("%s: Update = %v, want success", s.name, err)
		}
		if s.want != nil && !errors.Is(err, s.want) {
			t.Fatalf("%s: Update = %v, want %v", s.name, err, s.want)
		}
		best, err := tr.Best()
		if err != nil {
			t.Fatalf("%s: Best: %v", s.name, err)
		}
		if best.Tokens != s.best || tr.Figures().Signed != s.best {
			t.Fatalf("%s: best payment %d tokens, figures %+v, want %d", s.name, best.Tokens, tr.Figures(), s.best)
		}
	}
	if got, want := tr.Figures(), (payment.Figures{Signed: 300, DB: 300, Max: 300}); got != want {
		t.Errorf("Figures() = %+v, want %+v", got, want)
	}
	if err := tr.Update(nil, 400, 350); err == nil {
		t.Error("Update with database above total succeeded, want an error")
	}
}

func TestNewTrackerRefuses(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	if _, err := payment.NewTracker(pub[:5], testAddr(1), payment.OpClientCharge); err == nil {
		t.Error("NewTracker with a short key succeeded")
	}
	if _, err := payment.NewTracker(pub, nil, payment.OpClientCharge); err == nil {
		t.Error("NewTracker without a target succeeded")
	}
	if _, err := payment.NewTracker(pub, testAddr(1)); err == nil {
		t.Error("NewTracker without ops succeeded")
	}
	if _, err := payment.NewTracker(pub, testAddr(1), 7); !errors.Is(err, payment.ErrWrongOp) {
		t.Errorf("NewTracker with an unknown op = %v, want ErrWrongOp", err)
	}
}

// TestTrackerRepeatedPayment checks that a BoC that verified once is taken
// again without a second verification, and that any other bytes, such
// as the same payment with its signature altered, are still checked.
func TestTrackerRepeatedPayment(t *testing.T) {
	tr, err := payment.NewTracker(testKey.Public().(ed25519.PublicKey), testAddr(0x10), payment.OpWorkerPayout)
	if err != nil {
		t.Fatal(err)
	}
	boc := signedBOC(t, testKey, payment.OpWorkerPayout, 100, 0x10)
	for i := range 3 {
		if err := tr.Update(boc, int64(100+i), 200); err != nil {
			t.Fatalf("report %d: Update = %v, want success", i, err)
		}
	}
	p, err := payment.Parse(boc)
	if err != nil {
		t.Fatal(err)
	}
	p.Signature[0] ^= 1
	forged, err := p.BOC()
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Update(forged, 110, 200); !errors.Is(err, payment.ErrBadSignature) {
		t.Errorf("altered signature after the genuine BoC: Update = %v, want %v", err, payment.ErrBadSignature)
	}
	if err := tr.Update(boc, 110, 200); err != nil {
		t.Errorf("genuine BoC after a forged one: Update = %v, want success", err)
	}
	if n := testing.AllocsPerRun(10, func() { tr.Update(boc, 110, 200) }); n > 0 {
		t.Errorf("a repeated report allocates %v times, want none (no second parse or verification)", n)
	}
}

// BenchmarkTrackerUpdateRepeated is a report that carries the signed
// payment of the report before, as most do.
func BenchmarkTrackerUpdateRepeated(b *testing.B) {
	tr, err := payment.NewTracker(testKey.Public().(ed25519.PublicKey), testAddr(0x10), payment.OpWorkerPayout)
	if err != nil {
		b.Fatal(err)
	}
	boc := signedBOC(b, testKey, payment.OpWorkerPayout, 100, 0x10)
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.Update(boc, 100, 200); err != nil {
			b.Fatal(err)
		}
	}
}
