package emulated

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// epoch is the fixed time the test chains run at.
var epoch = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return epoch }

func newChain(tb testing.TB, path string) *Chain {
	tb.Helper()
	c, err := New(Options{Path: path, Clock: fixedClock})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

// fundedWallet is the v5r1 wallet of testKey(seed) on c, funded with
// amount.
func fundedWallet(tb testing.TB, c *Chain, seed byte, amount billing.NanoTON) *ton.V5Wallet {
	tb.Helper()
	w, err := ton.NewV5R1(testKey(seed), -239)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Fund(context.Background(), w.Address(), amount); err != nil {
		tb.Fatal(err)
	}
	return w
}

func TestV5WalletTransfer(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	w := fundedWallet(t, c, 1, 10*billing.TON)
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

func TestPersistAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chain.json")
	c := newChain(t, path)
	w := fundedWallet(t, c, 5, 4*billing.TON)
	dst := address.NewAddress(0, 0, bytes.Repeat([]byte{0xcd}, 32))
	send := ton.Transfer{To: dst, Amount: billing.TON, Mode: ton.ModePayFeesSeparately}
	if err := w.Send(ctx, c, send); err != nil {
		t.Fatal(err)
	}
	before, err := c.Account(ctx, w.Address())
	if err != nil {
		t.Fatal(err)
	}
	txsBefore, err := c.Transactions(ctx, w.Address(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}

	r := newChain(t, path)
	after, err := r.Account(ctx, w.Address())
	if err != nil {
		t.Fatal(err)
	}
	if after.Balance != before.Balance || after.LastLT != before.LastLT || !bytes.Equal(after.LastHash, before.LastHash) || !bytes.Equal(after.DataHash(), before.DataHash()) {
		t.Errorf("reloaded wallet %+v, want %+v", after, before)
	}
	txsAfter, err := r.Transactions(ctx, w.Address(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(txsAfter) != len(txsBefore) || !bytes.Equal(txsAfter[len(txsAfter)-1].Hash, txsBefore[len(txsBefore)-1].Hash) {
		t.Errorf("reloaded %d transactions, want %d with the same last hash", len(txsAfter), len(txsBefore))
	}
	// The reloaded chain carries on: the next transfer uses seqno 1 and
	// its logical time follows the old ones.
	if err := w.Send(ctx, r, send); err != nil {
		t.Fatal(err)
	}
	if got := balanceOf(t, r, dst); got != 2*billing.TON {
		t.Errorf("destination holds %v after two transfers across a restart, want 2", got)
	}
	if next, err := r.Account(ctx, w.Address()); err != nil || next.LastLT <= before.LastLT {
		t.Errorf("last LT %d after restart (%v), want above %d", next.LastLT, err, before.LastLT)
	}
}

func balanceOf(t *testing.T, c *Chain, a *address.Address) billing.NanoTON {
	t.Helper()
	acc, err := c.Account(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return acc.Balance
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body, want string
	}{
		{"not json", "{", "loading chain"},
		{"wrong version", `{"version": 9}`, "state version 9"},
		{"bad address", `{"version": 1, "accounts": [{"address": "nope"}]}`, "account nope"},
		{"bad state", `{"version": 1, "accounts": [{"address": "0:` + strings.Repeat("00", 32) + `", "shard_account": "AAAA"}]}`, "reading state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(p, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := New(Options{Path: p, Clock: fixedClock})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestExternalErrors(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	w, err := ton.NewV5R1(testKey(6), -239)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := w.External(ctx, 0, ton.Transfer{To: w.Address(), Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendExternal(ctx, ext); !errors.Is(err, ton.ErrNotFound) {
		t.Errorf("external to a missing account: got %v, want ErrNotFound", err)
	}
	if err := c.Fund(ctx, w.Address(), billing.TON); err != nil {
		t.Fatal(err)
	}
	before, err := c.Account(ctx, w.Address())
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := w.External(ctx, 5, ton.Transfer{To: w.Address(), Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendExternal(ctx, wrong); !errors.Is(err, ton.ErrRejected) {
		t.Errorf("external without state init to an uninit wallet: got %v, want ErrRejected", err)
	}
	after, err := c.Account(ctx, w.Address())
	if err != nil {
		t.Fatal(err)
	}
	if after.LastLT != before.LastLT || after.Balance != before.Balance {
		t.Errorf("a rejected external changed the account: %+v, was %+v", after, before)
	}
	if _, err := c.Transactions(ctx, w.Address(), 0, 0); err == nil {
		t.Error("limit 0 accepted, want an error")
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, filepath.Join(t.TempDir(), "chain.json"))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			a := address.NewAddress(0, 0, bytes.Repeat([]byte{byte(0xa0 + g)}, 32))
			for range 5 {
				if err := c.Fund(ctx, a, billing.TON); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Account(ctx, a); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for g := range 4 {
		a := address.NewAddress(0, 0, bytes.Repeat([]byte{byte(0xa0 + g)}, 32))
		if got := balanceOf(t, c, a); got != 5*billing.TON {
			t.Errorf("account %d holds %v, want 5 TON", g, got)
		}
		txs, err := c.Transactions(ctx, a, 0, 100)
		if err != nil || len(txs) != 5 {
			t.Errorf("account %d has %d transactions (%v), want 5", g, len(txs), err)
		}
	}
}

func TestHistoryIsBounded(t *testing.T) {
	ctx := context.Background()
	c, err := New(Options{Clock: fixedClock, History: 3})
	if err != nil {
		t.Fatal(err)
	}
	a := address.NewAddress(0, 0, bytes.Repeat([]byte{0xb1}, 32))
	for range 5 {
		if err := c.Fund(ctx, a, billing.TON); err != nil {
			t.Fatal(err)
		}
	}
	txs, err := c.Transactions(ctx, a, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := c.Account(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(txs) != 3 || txs[2].LT != acc.LastLT {
		t.Errorf("kept %d transactions ending at LT %d, want the last 3 ending at %d", len(txs), txs[len(txs)-1].LT, acc.LastLT)
	}
}
