package proxy

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
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
		p, err := New(cfg, Deps{WorkerTLS: &tls.Config{}, ClientTLS: &tls.Config{}, RootVersion: testRootVersion, SigningKey: key,
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

func TestRestoredTotals(t *testing.T) {
	prices := billing.DefaultPrices(3, 1)
	tests := []struct {
		name    string
		recs    []billing.Record
		want    billing.Totals
		wantErr bool
	}{
		{"empty", nil, billing.Totals{}, false},
		{"balanced", []billing.Record{
			{Kind: billing.KindClient, Address: "c1", Tokens: 5}, {Kind: billing.KindClient, Address: "c2", Tokens: 7},
			{Kind: billing.KindWorker, Address: "w", Tokens: 12},
		}, billing.Totals{Tokens: 12, Charged: 36, Earned: 12, Commission: 24}, false},
		{"unbalanced", []billing.Record{
			{Kind: billing.KindClient, Address: "c", Tokens: 5}, {Kind: billing.KindWorker, Address: "w", Tokens: 4},
		}, billing.Totals{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := restoredTotals(tt.recs, prices)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
