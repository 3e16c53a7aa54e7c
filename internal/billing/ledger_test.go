package billing

import (
	"errors"
	"math"
	"testing"
)

func newTestLedger(t *testing.T) *Ledger {
	t.Helper()
	l, err := NewLedger(DefaultPrices(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	// 1000 tokens paid, 100 tokens of stake: uncharged usage is capped at 100.
	if err := l.UpdateClient("client-a", "owner-a", ClientChain{Balance: 2000, Stake: 200}); err != nil {
		t.Fatal(err)
	}
	if err := l.AddWorker("worker-a", "wowner-a"); err != nil {
		t.Fatal(err)
	}
	return l
}

func mustReserve(t *testing.T, maxTokens, prompt int64) Reservation {
	t.Helper()
	r, err := Reserve(maxTokens, prompt, CoefficientOne, DefaultPrices(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLedgerHoldAndSettle(t *testing.T) {
	l := newTestLedger(t)
	if got, err := l.Available("client-a"); err != nil || got != 100 {
		t.Fatalf("Available = %d, %v, want 100", got, err)
	}
	h, err := l.Hold("client-a", mustReserve(t, 50, 10))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := l.Available("client-a"); got != 40 {
		t.Fatalf("Available after holding 60 = %d, want 40", got)
	}
	if _, err := l.Hold("client-a", mustReserve(t, 40, 1)); !errors.Is(err, ErrInsufficientBalance) {
		t.Fatalf("Hold beyond availability = %v, want ErrInsufficientBalance", err)
	}
	s, err := l.Settle(h, "worker-a", 25, Cancelled)
	if err != nil {
		t.Fatal(err)
	}
	want := Settlement{Tokens: 25, Charged: 50, Earned: 25, Commission: 25}
	if s != want {
		t.Errorf("Settle = %+v, want %+v", s, want)
	}
	if _, err := l.Settle(h, "worker-a", 25, Succeeded); !errors.Is(err, ErrSettled) {
		t.Errorf("second Settle = %v, want ErrSettled", err)
	}
	c, _ := l.Client("client-a")
	w, _ := l.Worker("worker-a")
	if c.Tokens != 25 || c.Reserved != 0 || w.Tokens != 25 {
		t.Errorf("client tokens %d reserved %d, worker tokens %d; want 25, 0, 25", c.Tokens, c.Reserved, w.Tokens)
	}
	if got, _ := l.Available("client-a"); got != 75 {
		t.Errorf("Available after settling 25 = %d, want 75", got)
	}
	if got := l.Totals().Requests[Cancelled]; got != 1 {
		t.Errorf("cancelled requests = %d, want 1", got)
	}
	if err := l.Check(); err != nil {
		t.Error(err)
	}
}

// TestLedgerSettleAt values a settlement at the prices given, not the
// ledger's, and refuses invalid ones, leaving the hold open.
func TestLedgerSettleAt(t *testing.T) {
	l := newTestLedger(t)
	h, err := l.Hold("client-a", mustReserve(t, 50, 10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SettleAt(h, "worker-a", 20, Succeeded, Prices{PricePerToken: 1, WorkerFeePerToken: 2}); err == nil {
		t.Fatal("SettleAt with a fee above the price succeeded, want an error")
	}
	s, err := l.SettleAt(h, "worker-a", 20, Succeeded, DefaultPrices(5, 3))
	if err != nil {
		t.Fatal(err)
	}
	want := Settlement{Tokens: 20, Charged: 100, Earned: 60, Commission: 40}
	if s != want {
		t.Errorf("SettleAt = %+v, want %+v", s, want)
	}
	if got := l.Totals(); got.Tokens != 20 || got.Charged != 100 || got.Earned != 60 || got.Commission != 40 {
		t.Errorf("totals %+v, want 20 tokens charged 100, earned 60, commission 40", got)
	}
	// Each account keeps the value of its tokens at the prices they were
	// settled at, whatever the ledger's prices.
	c, _ := l.Client("client-a")
	w, _ := l.Worker("worker-a")
	if c.Value != 100 || w.Value != 60 {
		t.Errorf("client value %s, worker value %s; want 100 and 60", c.Value, w.Value)
	}
	if err := l.Check(); err != nil {
		t.Error(err)
	}
}

func TestLedgerSettleCapsAtReservation(t *testing.T) {
	l := newTestLedger(t)
	r := mustReserve(t, 10, 5)
	h, err := l.Hold("client-a", r)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Charge(16); !errors.Is(err, ErrReservationExceeded) {
		t.Fatalf("Charge(16) = %v, want ErrReservationExceeded", err)
	}
	s, err := l.Settle(h, "worker-a", h.Used(), Failed)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tokens != 15 || !s.Capped {
		t.Errorf("Settle = %+v, want 15 tokens, capped", s)
	}
}

func TestLedgerRefusals(t *testing.T) {
	l := newTestLedger(t)
	if err := l.UpdateClient("client-b", "owner-b", ClientChain{State: ClientClosing, Balance: 2000, Stake: 2000}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		client string
		want   error
	}{
		{"unknown client", "nobody", ErrNotFound},
		{"closing client", "client-b", ErrClientNotRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := l.Hold(tt.client, mustReserve(t, 1, 1)); !errors.Is(err, tt.want) {
				t.Errorf("Hold = %v, want %v", err, tt.want)
			}
		})
	}
	h, err := l.Hold("client-a", mustReserve(t, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Settle(h, "no-worker", 1, Succeeded); !errors.Is(err, ErrNotFound) {
		t.Errorf("Settle on an unknown worker = %v, want ErrNotFound", err)
	}
	if err := l.Release(h); err != nil {
		t.Fatal(err)
	}
	if c, _ := l.Client("client-a"); c.Reserved != 0 {
		t.Errorf("reserved after Release = %d, want 0", c.Reserved)
	}
	if _, err := NewLedger(DefaultPrices(1, 2)); err == nil {
		t.Error("NewLedger with fee above price succeeded, want an error")
	}
}

func settle(t *testing.T, l *Ledger, tokens int64) {
	t.Helper()
	h, err := l.Hold("client-a", mustReserve(t, tokens, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Settle(h, "worker-a", tokens, Succeeded); err != nil {
		t.Fatal(err)
	}
}

func TestLedgerFlushAndCommit(t *testing.T) {
	l := newTestLedger(t)
	settle(t, l, 10)
	f1, ok := l.PrepareFlush()
	if !ok || f1.Seqno != 1 || len(f1.Records) != 2 {
		t.Fatalf("PrepareFlush = %+v, %v, want seqno 1 with 2 records", f1, ok)
	}
	settle(t, l, 5) // lands after the batch was taken
	if err := l.Flushed(f1); err != nil {
		t.Fatal(err)
	}
	if err := l.Flushed(f1); err == nil {
		t.Fatal("applying the same flush twice succeeded, want an error")
	}
	w, _ := l.Worker("worker-a")
	if w.Tokens != 15 || w.CommittedToDB != 10 || w.CommittedToChain != 0 {
		t.Fatalf("worker = %+v, want tokens 15, db 10, chain 0", w.Balance())
	}
	f2, ok := l.PrepareFlush()
	if !ok || f2.Seqno != 2 {
		t.Fatalf("second PrepareFlush = %+v, %v, want seqno 2", f2, ok)
	}
	if err := l.Flushed(f2); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.PrepareFlush(); ok {
		t.Error("PrepareFlush with nothing changed returned a batch")
	}
	if err := l.CommittedToChain(3); err == nil {
		t.Error("committing an unflushed seqno succeeded, want an error")
	}
	if err := l.CommittedToChain(1); err != nil {
		t.Fatal(err)
	}
	w, _ = l.Worker("worker-a")
	if got, want := w.Balance(), (Balance{CommittedToChain: 10, CommittedToDB: 15, Tokens: 15}); got != want {
		t.Fatalf("after chain commit of 1: %+v, want %+v", got, want)
	}
	if err := l.CommittedToChain(2); err != nil {
		t.Fatal(err)
	}
	w, _ = l.Worker("worker-a")
	if w.CommittedToChain != 15 {
		t.Errorf("after chain commit of 2: committed to chain %d, want 15", w.CommittedToChain)
	}
	if err := l.Check(); err != nil {
		t.Error(err)
	}
}

func TestLedgerRestore(t *testing.T) {
	// 40 tokens, 30 of them at 2 and 1, then 10 at 4 and 1.
	recs := []Record{
		{Kind: KindClient, Address: "c", Owner: "o", Tokens: 40, CommittedToChain: 20, Seqno: 7, Chain: ClientChain{Balance: 1000, Stake: 1000, TokensUsed: 20}, Value: 100},
		{Kind: KindWorker, Address: "w", Owner: "o", Tokens: 40, CommittedToChain: 30, Seqno: 5, Value: 40},
	}
	l, err := NewLedger(DefaultPrices(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Restore(7, 5, recs); err != nil {
		t.Fatal(err)
	}
	c, _ := l.Client("c")
	w, _ := l.Worker("w")
	if got, want := c.Balance(), (Balance{20, 40, 40}); got != want {
		t.Errorf("client balance %+v, want %+v", got, want)
	}
	if got, want := w.Balance(), (Balance{40, 40, 40}); got != want {
		t.Errorf("worker balance %+v, want %+v (written at 5, confirmed at 5)", got, want)
	}
	if err := l.CommittedToChain(7); err != nil {
		t.Fatal(err)
	}
	if c, _ = l.Client("c"); c.CommittedToChain != 40 {
		t.Errorf("client committed to chain after 7 = %d, want 40", c.CommittedToChain)
	}
	// The totals start from the restored values, not from the ledger's
	// prices, and go on at the prices of each settlement.
	if got, want := l.Totals(), (Totals{Tokens: 40, Charged: 100, Earned: 40, Commission: 60}); got != want {
		t.Errorf("restored totals %+v, want %+v", got, want)
	}
	h, err := l.Hold("c", mustReserve(t, 5, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SettleAt(h, "w", 5, Succeeded, DefaultPrices(3, 2)); err != nil {
		t.Fatal(err)
	}
	tot := l.Totals()
	tot.Requests = [numOutcomes]int64{}
	if want := (Totals{Tokens: 45, Charged: 115, Earned: 50, Commission: 65}); tot != want {
		t.Errorf("totals after a settlement %+v, want %+v", tot, want)
	}
	if err := l.Check(); err != nil {
		t.Error(err)
	}
	if f, ok := l.PrepareFlush(); !ok || len(f.Records) != 2 || f.Records[0].Value != 115 || f.Records[1].Value != 50 {
		t.Errorf("flush %+v: want both accounts with their values 115 and 50", f)
	}
	if err := l.Restore(7, 5, recs); err == nil {
		t.Error("Restore into a non-empty ledger succeeded, want an error")
	}
	invalid := []struct {
		name  string
		seqno uint32
		chain uint32
		recs  []Record
	}{
		{"chain after flush", 1, 2, nil},
		{"unknown kind", 1, 0, []Record{{Kind: 9, Address: "x"}}},
		{"no address", 1, 0, []Record{{Kind: KindClient}}},
		{"tokens below chain", 1, 0, []Record{{Kind: KindClient, Address: "x", Tokens: 1, CommittedToChain: 2}}},
		{"written in the future", 1, 0, []Record{{Kind: KindClient, Address: "x", Seqno: 2}}},
		{"duplicate", 1, 0, []Record{{Kind: KindWorker, Address: "x"}, {Kind: KindWorker, Address: "x"}}},
		{"bad record after good ones", 1, 0, []Record{{Kind: KindWorker, Address: "y"}, {Kind: KindClient, Address: "x", Seqno: 2}}},
		{"value unknown", 1, 0, []Record{{Kind: KindClient, Address: "x", ValueUnknown: true}}},
		{"negative value", 1, 0, []Record{{Kind: KindClient, Address: "x", Value: -1}}},
		{"clients and workers disagree", 1, 0, []Record{{Kind: KindClient, Address: "x", Tokens: 2, Value: 4}, {Kind: KindWorker, Address: "y", Tokens: 1, Value: 1}}},
		{"workers earned more than was charged", 1, 0, []Record{{Kind: KindClient, Address: "x", Tokens: 2, Value: 2}, {Kind: KindWorker, Address: "y", Tokens: 2, Value: 3}}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := NewLedger(DefaultPrices(2, 1))
			if err := l.Restore(tt.seqno, tt.chain, tt.recs); err == nil {
				t.Fatal("Restore succeeded, want an error")
			}
			if n := len(l.Clients()) + len(l.Workers()); n != 0 {
				t.Fatalf("a failed Restore left %d accounts", n)
			}
			if err := l.Restore(7, 5, recs); err != nil {
				t.Errorf("Restore after a failed one: %v", err)
			}
		})
	}
}

func TestLedgerLists(t *testing.T) {
	l := newTestLedger(t)
	if err := l.AddWorker("worker-0", "o"); err != nil {
		t.Fatal(err)
	}
	ws := l.Workers()
	if len(ws) != 2 || ws[0].Address != "worker-0" || ws[1].Address != "worker-a" {
		t.Errorf("Workers() = %+v, want worker-0 then worker-a", ws)
	}
	if cs := l.Clients(); len(cs) != 1 || cs[0].Address != "client-a" || cs[0].Owner != "owner-a" {
		t.Errorf("Clients() = %+v, want client-a owned by owner-a", cs)
	}
}

func BenchmarkAdjust(b *testing.B) {
	p := Prices{PricePerToken: 2, WorkerFeePerToken: 1, PromptMult: 10000, CachedMult: 2500, CompletionMult: 20000, ReasoningMult: 30000}
	u := Usage{Prompt: 3400, Cached: 1100, Completion: 10000, Reasoning: 1000}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Adjust(u, 1500, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLedgerHoldSettle(b *testing.B) {
	l, err := NewLedger(DefaultPrices(2, 1))
	if err != nil {
		b.Fatal(err)
	}
	if err := l.UpdateClient("c", "o", ClientChain{Balance: 1 << 60, Stake: 1 << 60}); err != nil {
		b.Fatal(err)
	}
	if err := l.AddWorker("w", "o"); err != nil {
		b.Fatal(err)
	}
	r, err := Reserve(1000, 1000, 4000, DefaultPrices(2, 1))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h, err := l.Hold("c", r)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Settle(h, "w", 1, Succeeded); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLedgerDirtyOnlyOnChange(t *testing.T) {
	l := newTestLedger(t)
	f, _ := l.PrepareFlush()
	if err := l.Flushed(f); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		do    func() error
		dirty bool
	}{
		{"same client state", func() error { return l.UpdateClient("client-a", "owner-a", ClientChain{Balance: 2000, Stake: 200}) }, false},
		{"same worker", func() error { return l.AddWorker("worker-a", "wowner-a") }, false},
		{"new worker owner", func() error { return l.AddWorker("worker-a", "wowner-b") }, true},
		{"new client balance", func() error { return l.UpdateClient("client-a", "owner-a", ClientChain{Balance: 3000, Stake: 200}) }, true},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		f, ok := l.PrepareFlush()
		if ok != s.dirty {
			t.Fatalf("%s: PrepareFlush ok = %v, want %v", s.name, ok, s.dirty)
		}
		if ok {
			if err := l.Flushed(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	w, _ := l.Worker("worker-a")
	if w.Owner != "wowner-b" {
		t.Errorf("worker owner %q, want wowner-b", w.Owner)
	}
}

func TestLedgerFreeReservationsDoNotOverflow(t *testing.T) {
	l, err := NewLedger(DefaultPrices(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.UpdateClient("c", "o", ClientChain{}); err != nil {
		t.Fatal(err)
	}
	r, err := Reserve(math.MaxInt64/2, math.MaxInt64/2, CoefficientOne, DefaultPrices(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Hold("c", r); err != nil {
		t.Fatalf("first huge hold on a free ledger: %v", err)
	}
	if _, err := l.Hold("c", r); !errors.Is(err, ErrOverflow) {
		t.Errorf("second huge hold = %v, want ErrOverflow", err)
	}
}
