package payment

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
)

func signedBOC(t testing.TB, key ed25519.PrivateKey, op Op, tokens int64, target byte) []byte {
	t.Helper()
	p, err := Sign(key, op, uint64(tokens)*31, tokens, testAddr(target), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.BOC()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTracker(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	tr, err := NewTracker(pub, testAddr(0x10), OpWorkerPayout, OpWorkerLastPayout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Best(); !errors.Is(err, ErrNoPayment) {
		t.Fatalf("Best before any update = %v, want ErrNoPayment", err)
	}
	steps := []struct {
		name    string
		boc     []byte
		db, max int64
		want    error // nil: accepted
		best    int64 // signed tokens kept afterwards
	}{
		{"first", signedBOC(t, testKey, OpWorkerPayout, 100, 0x10), 150, 200, nil, 100},
		{"empty payment, figures grow", nil, 160, 210, nil, 100},
		{"higher", signedBOC(t, testKey, OpWorkerPayout, 150, 0x10), 160, 220, nil, 150},
		{"same again", signedBOC(t, testKey, OpWorkerPayout, 150, 0x10), 160, 220, nil, 150},
		{"signed tokens go back", signedBOC(t, testKey, OpWorkerPayout, 140, 0x10), 170, 230, ErrWentBackwards, 150},
		{"database figure goes back", nil, 159, 230, ErrWentBackwards, 150},
		{"total figure goes back", signedBOC(t, testKey, OpWorkerPayout, 160, 0x10), 160, 219, ErrWentBackwards, 150},
		{"wrong key", signedBOC(t, other, OpWorkerPayout, 500, 0x10), 500, 500, ErrBadSignature, 150},
		{"wrong target", signedBOC(t, testKey, OpWorkerPayout, 500, 0x11), 500, 500, ErrWrongTarget, 150},
		{"op for clients", signedBOC(t, testKey, OpClientCharge, 500, 0x10), 500, 500, ErrWrongOp, 150},
		{"garbage", []byte{1, 2, 3}, 500, 500, ErrMalformed, 150},
		{"last payout", signedBOC(t, testKey, OpWorkerLastPayout, 300, 0x10), 300, 300, nil, 300},
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
	if got, want := tr.Figures(), (Figures{Signed: 300, DB: 300, Max: 300}); got != want {
		t.Errorf("Figures() = %+v, want %+v", got, want)
	}
	if err := tr.Update(nil, 400, 350); err == nil {
		t.Error("Update with database above total succeeded, want an error")
	}
}

func TestNewTrackerRefuses(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	if _, err := NewTracker(pub[:5], testAddr(1), OpClientCharge); err == nil {
		t.Error("NewTracker with a short key succeeded")
	}
	if _, err := NewTracker(pub, nil, OpClientCharge); err == nil {
		t.Error("NewTracker without a target succeeded")
	}
	if _, err := NewTracker(pub, testAddr(1)); err == nil {
		t.Error("NewTracker without ops succeeded")
	}
	if _, err := NewTracker(pub, testAddr(1), 7); !errors.Is(err, ErrWrongOp) {
		t.Errorf("NewTracker with an unknown op = %v, want ErrWrongOp", err)
	}
}

// TestTrackerRepeatedPayment checks that a BoC that verified once is taken
// again without a second verification, and that any other bytes, such
// as the same payment with its signature altered, are still checked.
func TestTrackerRepeatedPayment(t *testing.T) {
	tr, err := NewTracker(testKey.Public().(ed25519.PublicKey), testAddr(0x10), OpWorkerPayout)
	if err != nil {
		t.Fatal(err)
	}
	boc := signedBOC(t, testKey, OpWorkerPayout, 100, 0x10)
	for i := range 3 {
		if err := tr.Update(boc, int64(100+i), 200); err != nil {
			t.Fatalf("report %d: Update = %v, want success", i, err)
		}
	}
	p, err := Parse(boc)
	if err != nil {
		t.Fatal(err)
	}
	p.Signature[0] ^= 1
	forged, err := p.BOC()
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Update(forged, 110, 200); !errors.Is(err, ErrBadSignature) {
		t.Errorf("altered signature after the genuine BoC: Update = %v, want %v", err, ErrBadSignature)
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
	tr, err := NewTracker(testKey.Public().(ed25519.PublicKey), testAddr(0x10), OpWorkerPayout)
	if err != nil {
		b.Fatal(err)
	}
	boc := signedBOC(b, testKey, OpWorkerPayout, 100, 0x10)
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.Update(boc, 100, 200); err != nil {
			b.Fatal(err)
		}
	}
}
