package proxy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/store"
)

// LedgerStore keeps the proxy's ledger across restarts; store.Bolt and
// store.Memory are two.
type LedgerStore interface {
	Load(ctx context.Context) (store.State, error)
	Save(ctx context.Context, f billing.Flush) error
}

// Flush period of the ledger, as the reference writes its database every
// 1–2 s.
const (
	flushEvery  = time.Second
	flushJitter = time.Second
)

// restoreLedger loads the stored ledger before any peer is served.
func (p *Proxy) restoreLedger(ctx context.Context) error {
	if p.store == nil {
		return nil
	}
	st, err := p.store.Load(ctx)
	if err != nil {
		return fmt.Errorf("loading the ledger: %w", err)
	}
	if err := p.ledger.Restore(st.Seqno, st.ChainSeqno, st.Records); err != nil {
		return err
	}
	t, err := restoredTotals(st.Records, p.ledger.Prices())
	if err != nil {
		return fmt.Errorf("summing the restored ledger: %w", err)
	}
	p.mu.Lock()
	p.restored = t
	p.mu.Unlock()
	p.log.Info("ledger restored", "seqno", st.Seqno, "accounts", len(st.Records), "tokens", t.Tokens)
	return nil
}

// restoredTotals prices the usage of restored records: every settled
// token was billed once to a client and once to a worker, and a flush
// writes both sides together, so the client and worker sums agree. The
// prices are the ones the proxy bills at: with a chain, the root
// contract's, read before the ledger is restored.
func restoredTotals(recs []billing.Record, prices billing.Prices) (billing.Totals, error) {
	var clients, workers int64
	for _, r := range recs {
		if r.Kind == billing.KindClient {
			clients += r.Tokens
		} else {
			workers += r.Tokens
		}
	}
	if clients != workers {
		return billing.Totals{}, fmt.Errorf("clients used %d tokens and workers served %d", clients, workers)
	}
	t := billing.Totals{Tokens: clients}
	var err error
	if t.Charged, err = prices.Cost(clients); err != nil {
		return billing.Totals{}, err
	}
	if t.Earned, err = prices.Earning(workers); err != nil {
		return billing.Totals{}, err
	}
	if t.Commission, err = t.Charged.Sub(t.Earned); err != nil {
		return billing.Totals{}, err
	}
	return t, nil
}

// flushLedger writes what changed since the last flush. Without a chain,
// a flush counts as committed to the chain as soon as it is written, as
// the reference's fake-TON mode acknowledges its save-state at once; with
// one, the chain loop commits it later. Without a store the flush is
// applied in memory only.
func (p *Proxy) flushLedger(ctx context.Context) error {
	f, ok := p.ledger.PrepareFlush()
	if !ok {
		return nil
	}
	if p.chain == nil {
		f.ChainSeqno = f.Seqno // stored with the flush, so that a restart knows it
	}
	if p.store != nil {
		if err := p.store.Save(ctx, f); err != nil {
			return fmt.Errorf("saving ledger flush %d: %w", f.Seqno, err)
		}
	}
	if err := p.ledger.Flushed(f); err != nil {
		return err
	}
	if p.chain != nil {
		return nil
	}
	return p.ledger.CommittedToChain(f.Seqno)
}

// keepFlushing flushes the ledger every 1–2 s until ctx ends, then once
// more.
func (p *Proxy) keepFlushing(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			if err := p.flushLedger(context.WithoutCancel(ctx)); err != nil {
				p.log.Error("final ledger flush failed", "err", err)
			}
			return
		case <-time.After(flushEvery + rand.N(flushJitter)):
		}
		if err := p.flushLedger(ctx); err != nil {
			p.log.Error("ledger flush failed", "err", err)
		}
	}
}
