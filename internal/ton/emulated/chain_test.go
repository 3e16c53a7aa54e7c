package emulated

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// epoch is the fixed time the test chains run at.
var epoch = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return epoch }

func newChain(t *testing.T, path string) *Chain {
	t.Helper()
	c, err := New(Options{Path: path, Clock: fixedClock})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func TestV5WalletTransfer(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	w, err := ton.NewV5R1(testKey(1), -239)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fund(ctx, w.Address(), 10*billing.TON); err != nil {
		t.Fatal(err)
	}
	dst := address.NewAddress(0, 0, bytes.Repeat([]byte{0xab}, 32))
	for i := range 2 {
		err := w.Send(ctx, c, ton.Transfer{To: dst, Amount: billing.TON, Mode: ton.ModePayFeesSeparately | ton.ModeIgnoreErrors})
		if err != nil {
			t.Fatalf("transfer %d: %v", i, err)
		}
	}
	got, err := c.Account(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got.Balance != 2*billing.TON {
		t.Errorf("destination balance %v, want 2", got.Balance)
	}
	wa, err := c.Account(ctx, w.Address())
	if err != nil {
		t.Fatal(err)
	}
	if wa.Status != ton.StatusActive || wa.Balance >= 8*billing.TON || wa.Balance < 7*billing.TON {
		t.Errorf("wallet %s with %v TON, want active with a little under 8", wa.Status, wa.Balance)
	}
	res, err := c.RunGetMethod(ctx, w.Address(), "seqno")
	if err != nil {
		t.Fatal(err)
	}
	n, err := ton.IntResult(res, 0)
	if err != nil || n.Int64() != 2 {
		t.Errorf("seqno %v (%v), want 2", n, err)
	}
}
