package billing

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestLedgerProperty drives random mixes of requests through a ledger:
// successes, failures, cancellations, overruns and releases, with random
// usage, coefficients, prices, flushes and chain commits. After every step
// no account is negative or over-drawn and the ledger's invariants hold; at
// the end every reservation is released and, to the nanoTON,
// Σ charged = Σ earned + Σ commission, matching the per-request sums.
func TestLedgerProperty(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runLedgerProperty(t, seed) })
	}
}

type running struct {
	hold   *Hold
	worker string
	coef   int64
	usage  Usage
}

func randomPrices(rng *rand.Rand) Prices {
	price := NanoTON(rng.Int64N(1000))
	return Prices{
		PricePerToken:     price,
		WorkerFeePerToken: NanoTON(rng.Int64N(int64(price) + 1)),
		PromptMult:        uint32(rng.IntN(30000)),
		CachedMult:        uint32(rng.IntN(30000)),
		CompletionMult:    uint32(rng.IntN(30000)),
		ReasoningMult:     uint32(rng.IntN(30000)),
	}
}

func runLedgerProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	prices := randomPrices(rng)
	l, err := NewLedger(prices)
	if err != nil {
		t.Fatal(err)
	}
	clients := []string{"c0", "c1", "c2", "c3"}
	workers := []string{"w0", "w1", "w2"}
	for _, c := range clients {
		chain := ClientChain{Balance: NanoTON(rng.Int64N(1e9)), Stake: NanoTON(rng.Int64N(1e8))}
		if err := l.UpdateClient(c, "owner-"+c, chain); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range workers {
		if err := l.AddWorker(w, "owner-"+w); err != nil {
			t.Fatal(err)
		}
	}

	var (
		live                         []*running
		charged, earned, commission  NanoTON
		billedByClient               = map[string]int64{}
		billedByWorker               = map[string]int64{}
		settled, refused, overrunCut int
	)
	finish := func(i int, o Outcome) {
		r := live[i]
		live = append(live[:i], live[i+1:]...)
		a, err := Adjust(r.usage, r.coef, l.Prices())
		if err != nil {
			t.Fatal(err)
		}
		s, err := l.Settle(r.hold, r.worker, a.Total, o)
		if err != nil {
			t.Fatalf("settling: %v", err)
		}
		if s.Capped {
			overrunCut++
		}
		if s.Earned+s.Commission != s.Charged {
			t.Fatalf("settlement %+v does not balance", s)
		}
		charged += s.Charged
		earned += s.Earned
		commission += s.Commission
		billedByClient[r.hold.Client()] += s.Tokens
		billedByWorker[r.worker] += s.Tokens
		settled++
	}

	for step := 0; step < 2000; step++ {
		switch k := rng.IntN(100); {
		case k < 30: // a new request
			c := clients[rng.IntN(len(clients))]
			maxCoef := rng.Int64N(4000)
			res, err := Reserve(rng.Int64N(2000), rng.Int64N(3000), maxCoef, l.Prices())
			if err != nil {
				t.Fatal(err)
			}
			h, err := l.Hold(c, res)
			if errors.Is(err, ErrInsufficientBalance) {
				refused++
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			live = append(live, &running{
				hold: h, worker: workers[rng.IntN(len(workers))], coef: rng.Int64N(maxCoef + 1),
				usage: Usage{Prompt: rng.Int64N(3000)},
			})
		case k < 60 && len(live) > 0: // streaming progress
			i := rng.IntN(len(live))
			r := live[i]
			r.usage.Completion += rng.Int64N(300)
			r.usage.Reasoning += rng.Int64N(100)
			r.usage.Cached = rng.Int64N(r.usage.Prompt + 1)
			a, err := Adjust(r.usage, r.coef, l.Prices())
			if err != nil {
				t.Fatal(err)
			}
			if err := r.hold.Charge(a.Total); errors.Is(err, ErrReservationExceeded) {
				finish(i, Failed) // the proxy stops an overrunning request
			} else if err != nil {
				t.Fatal(err)
			}
		case k < 85 && len(live) > 0: // a request ends
			finish(rng.IntN(len(live)), Outcome(rng.IntN(int(numOutcomes))))
		case k < 88 && len(live) > 0: // dispatch failed before any worker ran it
			i := rng.IntN(len(live))
			if err := l.Release(live[i].hold); err != nil {
				t.Fatal(err)
			}
			live = append(live[:i], live[i+1:]...)
		case k < 95:
			if f, ok := l.PrepareFlush(); ok {
				if err := l.Flushed(f); err != nil {
					t.Fatal(err)
				}
			}
			if flushed, chain := l.Seqno(); flushed > chain && rng.IntN(2) == 0 {
				if err := l.CommittedToChain(chain + 1 + uint32(rng.IntN(int(flushed-chain)))); err != nil {
					t.Fatal(err)
				}
			}
		case k < 97:
			// Fees and multipliers change; running requests settle at the new
			// ones. The price per token stays, since a higher price shrinks
			// the tokens a client's balance buys and could over-draw it.
			p := randomPrices(rng)
			p.PricePerToken = l.Prices().PricePerToken
			p.WorkerFeePerToken = min(p.WorkerFeePerToken, p.PricePerToken)
			if err := l.SetPrices(p); err != nil {
				t.Fatal(err)
			}
		}
		checkAccounts(t, l, clients, workers)
	}
	for len(live) > 0 {
		finish(len(live)-1, Cancelled)
	}
	checkAccounts(t, l, clients, workers)

	tot := l.Totals()
	if charged != earned+commission {
		t.Errorf("Σ charged %d ≠ Σ earned %d + Σ commission %d", charged, earned, commission)
	}
	if tot.Charged != charged || tot.Earned != earned || tot.Commission != commission {
		t.Errorf("ledger totals %+v differ from the settlements' sums %d/%d/%d", tot, charged, earned, commission)
	}
	for _, c := range clients {
		a, _ := l.Client(c)
		if a.Reserved != 0 {
			t.Errorf("client %s still reserves %d tokens", c, a.Reserved)
		}
		if a.Tokens != billedByClient[c] {
			t.Errorf("client %s has %d tokens, billed %d", c, a.Tokens, billedByClient[c])
		}
	}
	for _, w := range workers {
		a, _ := l.Worker(w)
		if a.Tokens != billedByWorker[w] {
			t.Errorf("worker %s has %d tokens, earned for %d", w, a.Tokens, billedByWorker[w])
		}
	}
	if settled == 0 {
		t.Error("no request was settled; the mix is too thin to prove anything")
	}
	t.Logf("settled %d, refused %d, cut at reservation %d", settled, refused, overrunCut)
}

func checkAccounts(t *testing.T, l *Ledger, clients, workers []string) {
	t.Helper()
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		a, err := l.Available(c)
		if err != nil {
			t.Fatal(err)
		}
		if a < 0 {
			t.Fatalf("client %s is over-drawn: %d tokens available", c, a)
		}
	}
	for _, w := range workers {
		a, err := l.Worker(w)
		if err != nil {
			t.Fatal(err)
		}
		if a.Tokens < 0 {
			t.Fatalf("worker %s has negative tokens %d", w, a.Tokens)
		}
	}
}
