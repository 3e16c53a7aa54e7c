// Package storetest is the conformance suite that every store.Store
// implementation passes: round trips, persistence across reopening,
// seqno rules, all-or-nothing batches, signature checks under another key,
// use after close, a ledger restored from what it flushed, and the
// record of the proxy contract.
package storetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/store"
)

// Opener opens a store on one backing storage (a file, a MemoryFile),
// the same storage every time it is called, signing with key.
type Opener func(key ed25519.PrivateKey) (store.Store, error)

// Key is the proxy key the suite signs with.
var Key = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// otherKey is a key the stored records were not signed with.
var otherKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))

// Run runs the suite. fresh returns an Opener on new, empty storage.
func Run(t *testing.T, fresh func(t *testing.T) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"EmptyLoad", testEmptyLoad},
		{"RoundTrip", testRoundTrip},
		{"Reopen", testReopen},
		{"Upsert", testUpsert},
		{"SeqnoRules", testSeqnoRules},
		{"AllOrNothing", testAllOrNothing},
		{"OtherKey", testOtherKey},
		{"Closed", testClosed},
		{"Cancelled", testCancelled},
		{"Concurrent", testConcurrent},
		{"LedgerRestore", testLedgerRestore},
		{"ProxyContract", testProxyContract},
		{"WindingContracts", testWindingContracts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, fresh(t)) })
	}
}

func mustOpen(t *testing.T, open Opener, key ed25519.PrivateKey) store.Store {
	t.Helper()
	s, err := open(key)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func client(addr string, tokens int64, seqno uint32) billing.Record {
	return billing.Record{
		Kind: billing.KindClient, Address: addr, Owner: "owner-" + addr,
		Tokens: tokens, CommittedToChain: tokens / 2, Seqno: seqno,
		Chain: billing.ClientChain{State: billing.ClientRunning, Balance: 5 * billing.TON, Stake: billing.TON, TokensUsed: tokens / 3},
	}
}

func worker(addr string, tokens int64, seqno uint32) billing.Record {
	return billing.Record{Kind: billing.KindWorker, Address: addr, Owner: "owner-" + addr, Tokens: tokens, Seqno: seqno}
}

func save(t *testing.T, s store.Store, f billing.Flush) {
	t.Helper()
	if err := s.Save(context.Background(), f); err != nil {
		t.Fatalf("saving flush %d: %v", f.Seqno, err)
	}
}

func load(t *testing.T, s store.Store) store.State {
	t.Helper()
	st, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("loading: %v", err)
	}
	return st
}

func checkState(t *testing.T, got, want store.State) {
	t.Helper()
	if len(got.Records) == 0 && len(want.Records) == 0 {
		got.Records, want.Records = nil, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("loaded state\n%+v\nwant\n%+v", got, want)
	}
}

func testEmptyLoad(t *testing.T, open Opener) {
	checkState(t, load(t, mustOpen(t, open, Key)), store.State{})
}

func testRoundTrip(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	recs := []billing.Record{
		worker("0:bb", 10, 1),
		client("0:aa", 30, 1),
		client("-1:"+strings.Repeat("f", 64), 1<<62, 1),
		{Kind: billing.KindWorker, Address: "0:cc", Seqno: 1},
	}
	save(t, s, billing.Flush{Seqno: 1, Records: recs})
	want := store.State{Seqno: 1, Records: []billing.Record{recs[2], recs[1], recs[0], recs[3]}}
	checkState(t, load(t, s), want)
}

func testReopen(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	save(t, s, billing.Flush{Seqno: 4, ChainSeqno: 2, Records: []billing.Record{client("0:aa", 8, 4)}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, open, Key)
	checkState(t, load(t, r), store.State{Seqno: 4, ChainSeqno: 2, Records: []billing.Record{client("0:aa", 8, 4)}})
}

func testUpsert(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	save(t, s, billing.Flush{Seqno: 1, Records: []billing.Record{client("0:aa", 8, 1), worker("0:bb", 8, 1)}})
	save(t, s, billing.Flush{Seqno: 2, ChainSeqno: 1, Records: []billing.Record{worker("0:bb", 20, 2)}})
	want := store.State{Seqno: 2, ChainSeqno: 1, Records: []billing.Record{client("0:aa", 8, 1), worker("0:bb", 20, 2)}}
	checkState(t, load(t, s), want)
}

func testSeqnoRules(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	save(t, s, billing.Flush{Seqno: 5, ChainSeqno: 3})
	tests := []struct {
		name  string
		f     billing.Flush
		stale bool
	}{
		{"same seqno", billing.Flush{Seqno: 5, ChainSeqno: 3}, true},
		{"older seqno", billing.Flush{Seqno: 4, ChainSeqno: 3}, true},
		{"chain seqno goes back", billing.Flush{Seqno: 6, ChainSeqno: 2}, false},
		{"chain seqno after seqno", billing.Flush{Seqno: 6, ChainSeqno: 7}, false},
		{"record from a later flush", billing.Flush{Seqno: 6, ChainSeqno: 3, Records: []billing.Record{client("0:aa", 1, 7)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Save(context.Background(), tt.f)
			if err == nil {
				t.Fatal("Save succeeded, want an error")
			}
			if tt.stale && !errors.Is(err, store.ErrStaleSeqno) {
				t.Errorf("Save = %v, want ErrStaleSeqno", err)
			}
		})
	}
	checkState(t, load(t, s), store.State{Seqno: 5, ChainSeqno: 3})
}

func testAllOrNothing(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	save(t, s, billing.Flush{Seqno: 1, Records: []billing.Record{client("0:aa", 5, 1)}})
	bad := []billing.Record{
		{Kind: billing.KindWorker, Address: strings.Repeat("x", 300), Seqno: 2},
		{Kind: 9, Address: "0:zz", Seqno: 2},
		{Kind: billing.KindClient, Address: "", Seqno: 2},
		{Kind: billing.KindClient, Address: "0:aa", Tokens: 1, CommittedToChain: 2, Seqno: 2},
	}
	for i, b := range bad {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			f := billing.Flush{Seqno: 2, Records: []billing.Record{client("0:aa", 50, 2), worker("0:bb", 50, 2), b}}
			if err := s.Save(context.Background(), f); err == nil {
				t.Fatal("Save with an invalid record succeeded, want an error")
			}
			checkState(t, load(t, s), store.State{Seqno: 1, Records: []billing.Record{client("0:aa", 5, 1)}})
		})
	}
	dup := billing.Flush{Seqno: 2, Records: []billing.Record{worker("0:bb", 1, 2), worker("0:bb", 2, 2)}}
	if err := s.Save(context.Background(), dup); err == nil {
		t.Error("Save with a duplicate record succeeded, want an error")
	}
}

func testOtherKey(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	save(t, s, billing.Flush{Seqno: 1, Records: []billing.Record{client("0:aa", 5, 1)}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, open, otherKey)
	_, err := r.Load(context.Background())
	if !errors.Is(err, store.ErrTampered) {
		t.Fatalf("Load under another key = %v, want ErrTampered", err)
	}
	if !strings.Contains(err.Error(), `"config"`) && !strings.Contains(err.Error(), `"client_0:aa"`) {
		t.Errorf("error %q names no key", err)
	}
	if err := r.Save(context.Background(), billing.Flush{Seqno: 2}); !errors.Is(err, store.ErrTampered) {
		t.Errorf("Save over records signed by another key = %v, want ErrTampered", err)
	}
}

func testClosed(t *testing.T, open Opener) {
	s, err := open(Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(context.Background()); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Load after Close = %v, want ErrClosed", err)
	}
	if err := s.Save(context.Background(), billing.Flush{Seqno: 1}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Save after Close = %v, want ErrClosed", err)
	}
}

func testCancelled(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Save(ctx, billing.Flush{Seqno: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := s.Load(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context = %v, want context.Canceled", err)
	}
	checkState(t, load(t, s), store.State{})
}

// testConcurrent loads while flushes land; every load sees a whole flush.
func testConcurrent(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	const flushes = 20
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint32(1); i <= flushes; i++ {
			recs := []billing.Record{client("0:aa", int64(i), i), worker("0:bb", int64(i), i)}
			if err := s.Save(context.Background(), billing.Flush{Seqno: i, Records: recs}); err != nil {
				t.Errorf("saving flush %d: %v", i, err)
				return
			}
		}
	}()
	for range flushes {
		st, err := s.Load(context.Background())
		if err != nil {
			t.Errorf("loading: %v", err)
			break
		}
		for _, r := range st.Records {
			if r.Seqno != st.Seqno || r.Tokens != int64(st.Seqno) {
				t.Errorf("load saw a partial flush: seqno %d with record %+v", st.Seqno, r)
			}
		}
	}
	wg.Wait()
}

// testLedgerRestore flushes a ledger through the store and restores a new
// ledger from it: the accounts come back as they were committed.
func testLedgerRestore(t *testing.T, open Opener) {
	s := mustOpen(t, open, Key)
	l, err := billing.NewLedger(billing.DefaultPrices(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.UpdateClient("0:aa", "owner", billing.ClientChain{Balance: billing.TON, Stake: billing.TON}); err != nil {
		t.Fatal(err)
	}
	if err := l.AddWorker("0:bb", "wowner"); err != nil {
		t.Fatal(err)
	}
	for i, tokens := range []int64{100, 40} {
		r, err := billing.Reserve(tokens, 0, billing.CoefficientOne, l.Prices())
		if err != nil {
			t.Fatal(err)
		}
		h, err := l.Hold("0:aa", r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Settle(h, "0:bb", tokens, billing.Succeeded); err != nil {
			t.Fatal(err)
		}
		f, ok := l.PrepareFlush()
		if !ok {
			t.Fatal("nothing to flush")
		}
		save(t, s, f)
		if err := l.Flushed(f); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := l.CommittedToChain(f.Seqno); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := load(t, s)
	restored, err := billing.NewLedger(billing.DefaultPrices(2, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.Restore(st.Seqno, st.ChainSeqno, st.Records); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func(*billing.Ledger) (billing.Account, error){
		func(l *billing.Ledger) (billing.Account, error) { return l.Client("0:aa") },
		func(l *billing.Ledger) (billing.Account, error) { return l.Worker("0:bb") },
	} {
		want, err1 := get(l)
		got, err2 := get(restored)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("restored account %+v, want %+v", got, want)
		}
	}
	// The values the records carry give back what was charged and earned.
	got, want := restored.Totals(), l.Totals()
	want.Requests = got.Requests
	if got != want {
		t.Errorf("restored totals %+v, want %+v", got, want)
	}
}

// testProxyContract records the proxy contract beside the ledger: absent
// at first, kept across reopening, replaced by a new record, apart from
// the ledger's records, signed, and refused after close.
func testProxyContract(t *testing.T, open Opener) {
	ctx := context.Background()
	s := mustOpen(t, open, Key)
	if got, err := s.ProxyContract(ctx); err != nil || got != "" {
		t.Fatalf("ProxyContract of an empty store = %q, %v; want \"\", nil", got, err)
	}
	if err := s.SetProxyContract(ctx, ""); err == nil {
		t.Error("SetProxyContract accepted an empty address")
	}
	save(t, s, billing.Flush{Seqno: 1, Records: []billing.Record{client("0:aa", 3, 1)}})
	if err := s.SetProxyContract(ctx, "0:01"); err != nil {
		t.Fatalf("SetProxyContract: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, open, Key)
	if got, err := s.ProxyContract(ctx); err != nil || got != "0:01" {
		t.Errorf("ProxyContract after reopening = %q, %v; want \"0:01\"", got, err)
	}
	checkState(t, load(t, s), store.State{Seqno: 1, Records: []billing.Record{client("0:aa", 3, 1)}})
	if err := s.SetProxyContract(ctx, "0:02"); err != nil {
		t.Fatalf("SetProxyContract: %v", err)
	}
	if got, err := s.ProxyContract(ctx); err != nil || got != "0:02" {
		t.Errorf("ProxyContract after a new record = %q, %v; want \"0:02\"", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	other := mustOpen(t, open, otherKey)
	if _, err := other.ProxyContract(ctx); !errors.Is(err, store.ErrTampered) {
		t.Errorf("ProxyContract under another key = %v, want ErrTampered", err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ProxyContract(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("ProxyContract after Close = %v, want ErrClosed", err)
	}
	if err := other.SetProxyContract(ctx, "0:03"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("SetProxyContract after Close = %v, want ErrClosed", err)
	}
}

// testWindingContracts records the older proxy contracts being wound
// down: none at first, kept across reopening, replaced by a new record
// (empty too), apart from the ledger's records, signed, and refused after
// close.
func testWindingContracts(t *testing.T, open Opener) {
	ctx := context.Background()
	s := mustOpen(t, open, Key)
	if got, err := s.WindingContracts(ctx); err != nil || got != nil {
		t.Fatalf("WindingContracts of an empty store = %q, %v; want none", got, err)
	}
	if err := s.SetWindingContracts(ctx, []string{"0:01", ""}); err == nil {
		t.Error("SetWindingContracts accepted an empty address")
	}
	save(t, s, billing.Flush{Seqno: 1, Records: []billing.Record{client("0:aa", 3, 1)}})
	if err := s.SetWindingContracts(ctx, []string{"0:01", "0:02"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProxyContract(ctx, "0:03"); err != nil {
		t.Fatal(err)
	}
	if st := load(t, s); len(st.Records) != 1 || st.Seqno != 1 {
		t.Errorf("ledger beside the record: %+v, want its one record at seqno 1", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, open, Key)
	if got, err := s.WindingContracts(ctx); err != nil || !slices.Equal(got, []string{"0:01", "0:02"}) {
		t.Errorf("WindingContracts after reopening = %q, %v; want 0:01 and 0:02", got, err)
	}
	if err := s.SetWindingContracts(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.WindingContracts(ctx); err != nil || got != nil {
		t.Errorf("WindingContracts after an empty record = %q, %v; want none", got, err)
	}
	if err := s.SetWindingContracts(ctx, []string{"0:04"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	other := mustOpen(t, open, otherKey)
	if _, err := other.WindingContracts(ctx); !errors.Is(err, store.ErrTampered) {
		t.Errorf("WindingContracts under another key = %v, want ErrTampered", err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.WindingContracts(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("WindingContracts after Close = %v, want ErrClosed", err)
	}
	if err := other.SetWindingContracts(ctx, []string{"0:05"}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("SetWindingContracts after Close = %v, want ErrClosed", err)
	}
}
