package proxy

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/store"
)

func TestLedgerSurvivesRestart(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	file := store.NewMemoryFile()
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	newProxy := func() *Proxy {
		st, err := store.OpenMemory(file, key)
		if err != nil {
			t.Fatal(err)
		}
		p, err := New(cfg, Deps{Mode: chainconf.FakeTON, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, SigningKey: key,
			Prices: billing.DefaultPrices(2, 1), Store: st})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := context.Background()
	first := newProxy()
	if err := first.restoreLedger(ctx); err != nil {
		t.Fatal(err)
	}
	{
		l := first.ledger
		if err := l.UpdateClient("c", "c", fakeClientChain(DefaultClientStake)); err != nil {
			t.Fatal(err)
		}
		l.AddWorker("w", "w")
		res, _ := billing.Reserve(100, 10, 1000, l.Prices())
		h, err := l.Hold("c", res)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Settle(h, "w", 42, billing.Succeeded); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.flushLedger(ctx); err != nil {
		t.Fatal(err)
	}

	second := newProxy()
	if err := second.restoreLedger(ctx); err != nil {
		t.Fatal(err)
	}
	{
		w, err := second.ledger.Worker("w")
		if err != nil {
			t.Fatal(err)
		}
		if w.Tokens != 42 || w.CommittedToDB != 42 || w.CommittedToChain != 42 {
			t.Errorf("restored worker account = %+v, want 42 tokens committed", w)
		}
		// A worker reconnecting with its view of 42 committed tokens is
		// consistent with the restored proxy, not a rollback.
		got, err := billing.CompareBalance(billing.Balance{CommittedToChain: 42, CommittedToDB: 42, Tokens: 42}, w.Balance())
		if err != nil || got != billing.BalanceConsistent {
			t.Errorf("comparison after restart = %v, %v; want consistent", got, err)
		}
	}
	// The totals carry on from the restored usage.
	if tot := second.Snapshot().Totals; tot.Tokens != 42 || tot.Charged != 84 || tot.Earned != 42 || tot.Commission != 42 {
		t.Errorf("totals after restart = %+v, want 42 tokens, 84 charged, 42 earned, 42 commission", tot)
	}
}

// TestRestoredTotalsKeepTheirPrices restores records billed at other
// prices than the proxy's (before a change of the root's params): the
// totals are their values, not their tokens repriced at today's prices
// (the case: 2,730 tokens at 2 and 1,656 at 4 is 12,084, not
// 17,544). Records of an older store, without values, are valued at the
// proxy's prices; clients and workers that disagree are refused.
func TestRestoredTotalsKeepTheirPrices(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	cfg, err := ParseConfig([]byte(`{"is_test":true,"worker_policy":"fake_tdx"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		recs    []billing.Record
		want    TotalsSnapshot
		wantErr bool
	}{
		{"empty", nil, TotalsSnapshot{}, false},
		{"billed at two prices", []billing.Record{
			{Kind: billing.KindClient, Address: "c1", Tokens: 2730, Value: 5460}, {Kind: billing.KindClient, Address: "c2", Tokens: 1656, Value: 6624},
			{Kind: billing.KindWorker, Address: "w1", Tokens: 2730, Value: 2730}, {Kind: billing.KindWorker, Address: "w2", Tokens: 1656, Value: 1656},
		}, TotalsSnapshot{Tokens: 4386, Charged: 12084, Earned: 4386, Commission: 7698}, false},
		{"older records without values", []billing.Record{
			{Kind: billing.KindClient, Address: "c", Tokens: 5, ValueUnknown: true}, {Kind: billing.KindWorker, Address: "w", Tokens: 5, ValueUnknown: true},
		}, TotalsSnapshot{Tokens: 5, Charged: 20, Earned: 5, Commission: 15}, false},
		{"unbalanced", []billing.Record{
			{Kind: billing.KindClient, Address: "c", Tokens: 5, Value: 10}, {Kind: billing.KindWorker, Address: "w", Tokens: 4, Value: 4},
		}, TotalsSnapshot{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := store.NewMemoryFile()
			st, err := store.OpenMemory(file, key)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			recs := make([]billing.Record, len(tt.recs))
			for i, r := range tt.recs {
				r.Seqno = 1
				if r.ValueUnknown {
					// Stored as version 1 wrote it: valued here only to
					// be encoded, then marked unknown again below.
					r.ValueUnknown = false
				}
				recs[i] = r
			}
			if err := st.Save(ctx, billing.Flush{Seqno: 1, ChainSeqno: 1, Records: recs}); err != nil {
				t.Fatal(err)
			}
			p, err := New(cfg, Deps{Mode: chainconf.FakeTON, WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, SigningKey: key,
				Prices: billing.DefaultPrices(4, 1), Store: legacyStore{st, tt.recs}})
			if err != nil {
				t.Fatal(err)
			}
			err = p.restoreLedger(ctx)
			if (err != nil) != tt.wantErr {
				t.Fatalf("restoring: %v, want error %v", err, tt.wantErr)
			}
			if got := p.Snapshot().Totals; !tt.wantErr && got != tt.want {
				t.Errorf("totals %+v, want %+v", got, tt.want)
			}
		})
	}
}

// legacyStore marks the records its Load returns whose value unknown
// marks as an older store would, without their values.
type legacyStore struct {
	LedgerStore
	recs []billing.Record
}

func (s legacyStore) Load(ctx context.Context) (store.State, error) {
	st, err := s.LedgerStore.Load(ctx)
	for i := range st.Records {
		for _, r := range s.recs {
			if r.ValueUnknown && r.Kind == st.Records[i].Kind && r.Address == st.Records[i].Address {
				st.Records[i].Value, st.Records[i].ValueUnknown = 0, true
			}
		}
	}
	return st, err
}
