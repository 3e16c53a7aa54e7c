package web

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
)

// estimateWindow is how far back the estimator measures the worker's
// tokens per second.
const estimateWindow = 10 * time.Minute

// Seconds in the estimator's day and month.
const (
	secondsPerDay = 24 * 60 * 60
	daysPerMonth  = 30
)

// Earnings is the worker's earnings page model.
type Earnings struct {
	Model       string `json:"model"`
	Coefficient int32  `json:"coefficient"`
	Active      int64  `json:"active_requests"`
	MaxActive   int    `json:"max_active_requests"`
	// Taking is whether the worker takes requests; Reasons say why
	// (not), Notes what else limits it.
	Taking  bool     `json:"taking_requests"`
	Reasons []string `json:"reasons"`
	// Proxies are the worker's accounts; Earned, PaidOut sum them.
	Proxies []EarningsProxy `json:"proxies"`
	Earned  billing.NanoTON `json:"earned_ton"`
	PaidOut billing.NanoTON `json:"paid_out_ton"`
	// Payouts are the payouts the worker contracts sent on chain,
	// newest first; PerDay sums them per UTC day and proxy contract.
	Payouts  []Payout  `json:"payouts"`
	PerDay   []DayPaid `json:"per_day"`
	Estimate Estimate  `json:"estimate"`
	NoChain  bool      `json:"no_chain"`
	Errors   []string  `json:"errors,omitempty"`
}

// EarningsProxy is the worker's account at one proxy.
type EarningsProxy struct {
	Proxy          string `json:"proxy"`
	ProxyContract  string `json:"proxy_contract"`
	WorkerContract string `json:"worker_contract"`
	Requests       int64  `json:"requests"`
	Tokens         int64  `json:"tokens"`
	// Earned values the tokens at the worker fee; PaidOut is what the
	// worker contract paid out; Unpaid the rest, not yet on chain.
	Earned  billing.NanoTON `json:"earned_ton"`
	PaidOut billing.NanoTON `json:"paid_out_ton"`
	Unpaid  billing.NanoTON `json:"unpaid_ton"`
}

// Payout is one payout a worker contract sent its proxy, which paid the
// worker part to the worker's owner.
type Payout struct {
	At            time.Time       `json:"at"`
	ProxyContract string          `json:"proxy_contract"`
	Tokens        uint64          `json:"tokens"`
	Amount        billing.NanoTON `json:"amount_ton"`
	Last          bool            `json:"last"`
}

// DayPaid sums one UTC day's payouts from one proxy contract.
type DayPaid struct {
	Day           string          `json:"day"`
	ProxyContract string          `json:"proxy_contract"`
	Payouts       int             `json:"payouts"`
	Amount        billing.NanoTON `json:"amount_ton"`
}

// Estimate is what the worker would earn if it kept its recent pace.
type Estimate struct {
	// OK is false until the worker has been sampled over some time.
	OK bool `json:"ok"`
	// Tokens over Seconds is the measured pace.
	Tokens  int64 `json:"tokens"`
	Seconds int64 `json:"seconds"`
	// PerSecond is the pace for display, with two decimals.
	PerSecond string          `json:"tokens_per_second"`
	Fee       billing.NanoTON `json:"worker_fee_per_token_ton"`
	FeeFrom   string          `json:"fee_from"`
	PerDay    billing.NanoTON `json:"per_day_ton"`
	PerMonth  billing.NanoTON `json:"per_month_ton"`
	Load      string          `json:"load"`
	// Assumptions are what the figures take for granted.
	Assumptions []string `json:"assumptions"`
}

// earnings reads the worker's accounts, its payouts on chain and its
// pace.
func (s *Site) earnings(ctx context.Context) Earnings {
	snap := s.worker.Snapshot()
	e := Earnings{Model: snap.LocalConf.Model, Coefficient: snap.LocalConf.Coefficient, Active: snap.LocalConf.ActiveRequests,
		MaxActive: snap.LocalConf.MaxActive, Proxies: []EarningsProxy{}, Payouts: []Payout{}, PerDay: []DayPaid{}, NoChain: s.chain == nil}
	e.Taking, e.Reasons = takingRequests(snap.Status.Enabled, snap.Status.EngineHealthy, snap.Admission.Reason, snap.Status.UplinkCount, snap.LocalConf.ActiveRequests, snap.LocalConf.MaxActive)
	for _, a := range snap.Accounts {
		p := EarningsProxy{Proxy: a.Proxy, ProxyContract: a.ProxySCAddress, WorkerContract: a.WorkerSCAddress,
			Requests: a.Requests, Tokens: a.Tokens, Earned: billing.NanoTON(a.EarnedNano)}
		if a.Chain != nil {
			p.PaidOut = billing.NanoTON(a.Chain.PaidOutNano)
		}
		p.Unpaid = max(0, p.Earned-p.PaidOut)
		e.Earned += p.Earned
		e.PaidOut += p.PaidOut
		e.Proxies = append(e.Proxies, p)
		if s.chain != nil {
			e.Payouts = append(e.Payouts, s.payouts(ctx, a.WorkerSCAddress, a.ProxySCAddress, &e.Errors)...)
		}
	}
	slices.SortFunc(e.Payouts, func(a, b Payout) int { return b.At.Compare(a.At) })
	e.PerDay = perDay(e.Payouts)
	e.Estimate = s.estimate(ctx, snap.Earned.Tokens, snap.Earned.EarnedNano, snap.LocalConf.ActiveRequests, snap.LocalConf.MaxActive)
	return e
}

// takingRequests says whether a worker takes requests and why (not);
// barred is why the root contract does not admit it, empty when it does.
func takingRequests(enabled, healthy bool, barred string, uplinks int, active int64, maxActive int) (bool, []string) {
	var why []string
	if !enabled {
		why = append(why, "disabled by its operator (POST /request/disable; /request/enable turns it back on)")
	}
	if barred != "" {
		why = append(why, "the root contract does not admit it: "+barred)
	}
	if !healthy {
		why = append(why, "its inference engine does not pass its health check")
	}
	if uplinks == 0 {
		why = append(why, "it is connected to no proxy")
	}
	if len(why) > 0 {
		return false, why
	}
	if maxActive > 0 && active >= int64(maxActive) {
		return true, []string{fmt.Sprintf("it takes requests, but all %d of its request slots are busy: a new request goes elsewhere until one ends", maxActive)}
	}
	return true, []string{fmt.Sprintf("it takes requests: enabled, its engine healthy, connected to %d proxy connection(s), %d of %d request slots busy", uplinks, active, maxActive)}
}

// payouts lists the payouts the worker contract at worker sent to its
// proxy, from the contract's transactions.
func (s *Site) payouts(ctx context.Context, worker, proxyContract string, errs *[]string) []Payout {
	addr := parseAddr(worker)
	if addr == nil {
		return nil
	}
	h := s.explorer.ledger.refresh(ctx, addr)
	if h.err != nil {
		*errs = append(*errs, h.err.Error())
	}
	var out []Payout
	var prev uint64
	for _, ev := range h.events {
		r := ev.Worker
		if r == nil || ev.From == nil || !ev.From.Equals(addr) {
			continue
		}
		if r.Payout != nil {
			out = append(out, Payout{At: ev.At.UTC(), ProxyContract: proxyContract, Tokens: r.Tokens - min(prev, r.Tokens),
				Amount: r.Payout.WorkerPart, Last: r.State == contracts.StateClosed})
		}
		prev = r.Tokens
	}
	return out
}

// perDay sums payouts per UTC day and proxy contract, newest day first.
func perDay(list []Payout) []DayPaid {
	idx := map[[2]string]int{}
	out := []DayPaid{}
	for _, p := range list {
		k := [2]string{p.At.Format(time.DateOnly), p.ProxyContract}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, DayPaid{Day: k[0], ProxyContract: k[1]})
		}
		out[i].Payouts++
		out[i].Amount += p.Amount
	}
	return out
}

// estimate projects the worker's pace over the last estimateWindow at
// the root's worker fee (without a chain, the fee its earnings imply).
func (s *Site) estimate(ctx context.Context, tokens, earnedNano, active int64, maxActive int) Estimate {
	est := Estimate{Load: fmt.Sprintf("%d of %d request slots busy now", active, maxActive)}
	switch {
	case s.chain != nil:
		if acc, err := s.chain.Account(ctx, s.explorer.root); err == nil {
			if cfg, err := contracts.ParseRootConfig(acc.Data); err == nil {
				est.Fee, est.FeeFrom = cfg.Params.WorkerFeePerToken, "the root contract's worker fee per token"
			}
		}
	case tokens > 0:
		est.Fee, est.FeeFrom = billing.NanoTON(earnedNano/tokens), "the fee the worker's earnings so far imply (no chain)"
	}
	var list []sample
	if s.series != nil {
		list = s.series.samples()
	}
	n, secs, ok := tokenRate(list, estimateWindow)
	est.Assumptions = []string{
		fmt.Sprintf("the worker keeps the pace it had over the last %v (or since it started, if later), measured every %v", estimateWindow, s.sampleEvery()),
		"its load, and the requests the proxies send it, stay as they were over that time",
		"the fee stays " + est.Fee.String() + " TON per token (" + est.FeeFrom + "), applied to the tokens the proxy counts (prompt and completion tokens after the price multipliers and the worker's coefficient)",
		"no downtime; a day is 24 hours and a month 30 days; the gas of payouts is not deducted",
	}
	if !ok || est.FeeFrom == "" {
		return est
	}
	est.OK, est.Tokens, est.Seconds = true, n, secs
	hundredths := new(big.Int).Div(big.NewInt(n*100), big.NewInt(secs))
	est.PerSecond = fmt.Sprintf("%d.%02d", hundredths.Int64()/100, hundredths.Int64()%100)
	// tokens × fee × seconds per day / seconds measured, in exact integers.
	perDay := new(big.Int).Mul(big.NewInt(n), big.NewInt(int64(est.Fee)))
	perDay.Mul(perDay, big.NewInt(secondsPerDay))
	perDay.Div(perDay, big.NewInt(secs))
	perMonth := new(big.Int).Mul(perDay, big.NewInt(daysPerMonth))
	if perMonth.IsInt64() {
		est.PerDay, est.PerMonth = billing.NanoTON(perDay.Int64()), billing.NanoTON(perMonth.Int64())
	} else {
		est.OK = false
	}
	return est
}

// sampleEvery is how often the charts sample the node.
func (s *Site) sampleEvery() time.Duration {
	if s.series == nil {
		return SampleEvery
	}
	return s.series.every
}
