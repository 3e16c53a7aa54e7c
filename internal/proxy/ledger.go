package proxy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/store"
)

// LedgerStore keeps the proxy's ledger across restarts; a *store.Ledger
// is one, over bbolt (boltstore.Open) or over memory (store.OpenMemory).
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

// restoreLedger loads the stored ledger before any peer is served. Its
// totals start from the records' values: what each account's tokens were
// billed at the prices of the contract it is under.
func (p *Proxy) restoreLedger(ctx context.Context) error {
	if p.store == nil {
		return nil
	}
	st, err := p.store.Load(ctx)
	if err != nil {
		return fmt.Errorf("loading the ledger: %w", err)
	}
	if n, err := p.valueLegacy(st.Records); err != nil {
		return fmt.Errorf("valuing the ledger's older records: %w", err)
	} else if n > 0 {
		p.log.Warn("ledger records stored before their values were kept: valued at the prices of the proxy contract they are under where it is known, else at today's",
			"records", n)
	}
	if err := p.ledger.Restore(st.Seqno, st.ChainSeqno, st.Records); err != nil {
		return err
	}
	t := p.ledger.Totals()
	p.log.Info("ledger restored", "seqno", st.Seqno, "accounts", len(st.Records), "tokens", t.Tokens, "charged_nano", int64(t.Charged))
	return nil
}

// valueLegacy values the records a store kept before values were (their
// ValueUnknown set), in place, and returns how many there were: a
// client's tokens at the price, a worker's at the fee, of the proxy
// contract the account is under when the proxy knows it (the one it
// serves under, or an older one it winds down), else at the ledger's
// prices. It runs before the chain loop starts.
func (p *Proxy) valueLegacy(recs []billing.Record) (int, error) {
	n := 0
	cur := p.inst.Load()
	for i := range recs {
		r := &recs[i]
		if !r.ValueUnknown {
			continue
		}
		n++
		prices := p.ledger.Prices()
		if cur != nil {
			prices = p.instanceOf(r.Kind, billing.Account{Kind: r.Kind, Address: r.Address, Owner: r.Owner}, cur).prices
		}
		var err error
		if r.Kind == billing.KindClient {
			r.Value, err = prices.Cost(r.Tokens)
		} else {
			r.Value, err = prices.Earning(r.Tokens)
		}
		if err != nil {
			return n, fmt.Errorf("%s %s: %w", r.Kind, r.Address, err)
		}
		r.ValueUnknown = false
	}
	return n, nil
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
