package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cocoon-go/cocoon/internal/loop"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/payment"
)

// Timing of the payout loop.
const (
	// chainTimeout bounds one contract read or one payout submission.
	chainTimeout = 30 * time.Second
	// minResubmit is the least time a submitted payout is given to show
	// on chain before the same payout is submitted again; the loop waits
	// four periods when that is longer.
	minResubmit = time.Minute
)

// contractClosed is the worker contract's closed state; it takes no more
// payouts.
const contractClosed = 2

// chainView is what the payout loop knows of one worker contract; the
// account's mu guards it.
type chainView struct {
	// read is set once the contract was read; state and tokens are then
	// its state and paid-out tokens (0 and 0 while not deployed); the
	// read also sets the account's fee.
	read   bool
	state  int
	tokens int64
	// submitted is the tokens of the last payout submitted, at
	// submittedAt.
	submitted   int64
	submittedAt time.Time
	// payouts counts the payouts submitted, errors the failed reads and
	// submissions.
	payouts, errors int64
}

// payoutLoop submits, every payoutEvery until ctx ends, each proxy's best
// signed payout that is worth it (see payoutTo). Failures are logged and
// counted, never fatal. When a proxy moves to a new contract, the payouts
// signed for the old one are paid out whatever they add, as the reference
// pays out what is left when the params version changes; the proxy's last
// payout, once it winds the old contract down, closes it.
func (w *Worker) payoutLoop(ctx context.Context) {
	loop.Every(ctx, w.payoutEvery, w.payoutAll)
}

// payoutAll runs payoutTo on every account, in the order of the proxies'
// addresses.
func (w *Worker) payoutAll(ctx context.Context) {
	endpoints, accts := w.accountList()
	for i, a := range accts {
		if ctx.Err() != nil {
			return
		}
		if err := w.payoutTo(ctx, a); err != nil && ctx.Err() == nil {
			a.mu.Lock()
			a.onChain.errors++
			a.mu.Unlock()
			w.log.Warn("worker payout failed", "proxy", endpoints[i], "proxy_contract", a.ProxySC.String(), "err", err)
		}
	}
}

// payoutTo reads the worker contract at the account's proxy (not
// deployed: no tokens paid out yet) and submits the best signed payout
// when the tokens it adds, valued at the contract's worker fee, reach
// minPayout; a last payout, which closes the contract, and the payout of
// an account whose proxy moved to a new contract are submitted whatever
// they add.
// Nothing is submitted without a signed payout, to a closed contract, or
// while the payout submitted last has not shown on chain for
// max(4 periods, minResubmit); nothing is read while the contract is
// known to hold the signed tokens, unless the proxy has left it (its last
// payout, which the worker may not be told of, closes it: the contract is
// read until then, signed payout or not). The tokens paid out are part of
// the proxy's total for the contract: the account's figure is raised to
// them.
func (w *Worker) payoutTo(ctx context.Context, a *account) error {
	a.mu.Lock()
	best, signed, view, superseded := a.Best, a.Signed, a.onChain, a.superseded
	a.mu.Unlock()
	// A contract's tokens only grow, and a closed contract stays closed:
	// there is nothing to read while it holds the signed tokens and the
	// proxy serves under it, nor ever once it is closed.
	if a.Key == nil || (best == nil && !superseded) || (view.read && (view.state == contractClosed || (signed <= view.tokens && !superseded))) {
		return nil
	}
	id := ProxyID{Owner: a.ProxyOwner, Key: a.Key, Contract: a.ProxySC}
	cctx, cancel := context.WithTimeout(ctx, chainTimeout)
	defer cancel()
	// Not deployed, the contract comes as it would be deployed: nothing
	// paid out yet.
	c, err := w.chain.Contract(cctx, id)
	if err != nil && !errors.Is(err, ErrNoContract) {
		return fmt.Errorf("reading the worker contract %s: %w", a.Own, err)
	}
	a.mu.Lock()
	a.onChain.read, a.onChain.state, a.onChain.tokens = true, c.State, c.Tokens
	a.fee, a.feeKnown = c.FeePerToken, true
	a.Max = max(a.Max, c.Tokens)
	a.mu.Unlock()
	if c.State == contractClosed || best == nil {
		return nil
	}
	delta := signed - c.Tokens
	if delta <= 0 {
		return nil
	}
	p, err := payment.Parse(best)
	if err != nil {
		return fmt.Errorf("reading the signed payout: %w", err)
	}
	// At the contract's fee; a value too large for int64 is worth a
	// payout.
	value, overflow := c.FeePerToken.Mul(delta)
	if p.Op != payment.OpWorkerLastPayout && !superseded && overflow == nil && value < w.minPayout {
		return nil
	}
	now := w.now()
	if view.submitted > c.Tokens && now.Sub(view.submittedAt) < max(4*w.payoutEvery, minResubmit) {
		return nil
	}
	if err := w.chain.Payout(cctx, id, best); err != nil {
		return fmt.Errorf("submitting the payout of %d tokens to %s: %w", signed, a.Own, err)
	}
	a.mu.Lock()
	a.onChain.submitted, a.onChain.submittedAt = signed, now
	a.onChain.payouts++
	a.mu.Unlock()
	w.log.Info("worker payout submitted", "contract", a.Own.String(), "tokens", signed, "new_tokens", delta,
		"value_nano", int64(value), "last", p.Op == payment.OpWorkerLastPayout)
	return nil
}

// AccountChainSnapshot is a worker contract as the payout loop last saw
// it.
type AccountChainSnapshot struct {
	// Read is false until the contract was first read; State is 0
	// (normal) or 2 (closed); Tokens are those paid out, PaidOutNano
	// their value at the contract's worker fee.
	Read        bool  `json:"read"`
	State       int   `json:"state"`
	Tokens      int64 `json:"tokens"`
	PaidOutNano int64 `json:"paid_out_nano,string"`
	// SubmittedTokens are the tokens of the last payout submitted.
	SubmittedTokens int64 `json:"submitted_tokens"`
	Payouts         int64 `json:"payouts"`
	Errors          int64 `json:"errors"`
}

// PayoutsSnapshot sums the payout loop's work over every proxy.
type PayoutsSnapshot struct {
	Every         string `json:"payout_every"`
	MinPayoutNano int64  `json:"min_payout_nano,string"`
	PaidOutNano   int64  `json:"paid_out_nano,string"`
	Payouts       int64  `json:"payouts"`
	Errors        int64  `json:"errors"`
}

// chainSnapshot reads an account's on-chain view; the caller holds a.mu.
func (w *Worker) chainSnapshot(a *account) *AccountChainSnapshot {
	v := a.onChain
	paid, err := w.feeOf(a).Mul(v.tokens)
	if err != nil {
		w.log.Error("valuing the tokens paid out", "contract", a.Own, "err", err)
	}
	return &AccountChainSnapshot{
		Read: v.read, State: v.state, Tokens: v.tokens, PaidOutNano: int64(paid),
		SubmittedTokens: v.submitted, Payouts: v.payouts, Errors: v.errors,
	}
}

// feeOf is the worker fee at which the account's tokens are valued: its
// contract's, once the payout loop has read it (or the state file kept
// it), else the worker's own (without a chain, as on fake TON, there is
// no contract to read). The caller holds a.mu.
func (w *Worker) feeOf(a *account) billing.NanoTON {
	if a.feeKnown {
		return a.fee
	}
	return w.prices.WorkerFeePerToken
}
