package proxy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/payment"
)

// Timing of the proxy's chain work.
const (
	// longAuthWait bounds how long authorizeWithProxyLong waits for the
	// client contract's register notice.
	longAuthWait = 60 * time.Second
	// registerPoll is how often that wait asks the chain.
	registerPoll = 500 * time.Millisecond
	// resubmitPolls is how many poll periods a submitted payment is given
	// to show on chain before the same one is submitted again; also how
	// many polls a withdrawal is given to show in the proxy contract's
	// balance field before it is requested again; and how many polls
	// must find every client and worker contract of a closing proxy
	// contract settled before its close is completed.
	resubmitPolls = 6
)

// chainState is the chain loop's state and what the stats show of it.
type chainState struct {
	// session is set by startChain before the chain loop starts.
	session [32]byte

	committed                 atomic.Uint32 // the last seqno seen on chain
	charges, payouts, refunds atomic.Int64  // payments submitted
	closes                    atomic.Int64  // close completions submitted
	errors                    atomic.Int64  // failed chain calls
	// closing is set once the proxy contract is seen closing or closed:
	// the proxy takes no new requests and winds the contract down. A
	// contract never reopens, so it is never cleared.
	closing atomic.Bool

	// mu guards the fields below, set by startChain and read by the stats.
	mu       sync.Mutex
	lastErr  string
	contract string
	hashes   [3]int // allowed proxy, worker and model hashes
	// paramsVersion is the root's params version last read.
	paramsVersion uint32
	// earned is the proxy contract's balance field last read: commission
	// not yet paid to the owner.
	earned billing.NanoTON
	// withdrawals counts the withdrawals requested; lastWithdrawal and
	// lastWithdrawalAt are the earnings the last one asked for and when.
	withdrawals      int64
	lastWithdrawal   billing.NanoTON
	lastWithdrawalAt time.Time
	// withdrawing is the earnings the withdrawal in flight asked for (zero
	// when none is), withdrawPolls the polls that have not shown it since.
	// Only the chain loop's goroutine writes them.
	withdrawing   billing.NanoTON
	withdrawPolls int

	// settledPolls counts the consecutive polls that found every client
	// and worker contract of a closing proxy contract settled; only the
	// chain loop's goroutine touches it.
	settledPolls int

	// pending are the payments submitted and not yet seen on chain, by op
	// and contract; only the chain loop's goroutine touches it.
	pending map[pendingKey]pendingPay
}

type pendingKey struct {
	op       payment.Op
	contract string
}

type pendingPay struct {
	tokens int64
	at     time.Time
}

// chainFailed records a failed chain call: logged, counted and shown in
// the stats; the loop tries again at its next turn.
func (p *Proxy) chainFailed(what string, err error) {
	p.onChain.errors.Add(1)
	p.onChain.mu.Lock()
	p.onChain.lastErr = what + ": " + err.Error()
	p.onChain.mu.Unlock()
	p.log.Warn("chain call failed", "op", what, "err", err)
}

// openChain reads the root contract, whose prices the ledger then bills
// at, and opens the proxy's contract. A failing chain call is retried
// every poll period until ctx ends; a chain that disagrees with the
// proxy's config is an error.
func (p *Proxy) openChain(ctx context.Context) error {
	root, err := retry(ctx, p, "reading the root contract", func() (RootConfig, error) { return p.chain.Root(ctx) })
	if err != nil {
		return err
	}
	if err := p.ledger.SetPrices(root.Prices); err != nil {
		return fmt.Errorf("starting on chain: the root contract's prices: %w", err)
	}
	p.rootVersion.Store(int32(root.Version))
	p.onChain.mu.Lock()
	p.onChain.hashes = [3]int{len(root.ProxyHashes), len(root.WorkerHashes), len(root.ModelHashes)}
	p.onChain.paramsVersion = root.ParamsVersion
	p.onChain.mu.Unlock()
	sc, err := retry(ctx, p, "opening the proxy contract", func() (*address.Address, error) { return p.chain.Open(ctx) })
	if err != nil {
		return err
	}
	if !sc.Equals(p.contracts.sc) {
		return fmt.Errorf("starting on chain: the proxy contract is %s, but its address derives to %s", sc, p.contracts.sc)
	}
	p.onChain.mu.Lock()
	p.onChain.contract = sc.String()
	p.onChain.mu.Unlock()
	p.log.Info("proxy contract open", "proxy_contract", sc.String(),
		"root_version", root.Version, "root_params_version", root.ParamsVersion,
		"price_per_token", root.Prices.PricePerToken, "worker_fee_per_token", root.Prices.WorkerFeePerToken,
		"proxy_hashes", len(root.ProxyHashes), "worker_hashes", len(root.WorkerHashes), "model_hashes", len(root.ModelHashes))
	return nil
}

// firstCommit commits the restored ledger's seqno under this run's fresh
// session hash and returns once the chain shows it (reference §4.3: the
// proxy serves nobody before), retrying as openChain does.
func (p *Proxy) firstCommit(ctx context.Context) error {
	rand.Read(p.onChain.session[:]) // crypto/rand.Read never fails; it panics if the system source does
	flushed, _ := p.ledger.Seqno()
	if _, err := retry(ctx, p, "committing the first seqno", func() (struct{}, error) {
		return struct{}{}, p.chain.CommitSeqno(ctx, flushed, p.onChain.session)
	}); err != nil {
		return err
	}
	if err := p.ledger.CommittedToChain(flushed); err != nil {
		return fmt.Errorf("starting on chain: %w", err)
	}
	p.onChain.committed.Store(flushed)
	p.log.Info("started on chain", "seqno", flushed)
	return nil
}

// retry calls f until it succeeds or ctx ends, waiting a poll period
// after each failure.
func retry[T any](ctx context.Context, p *Proxy, what string, f func() (T, error)) (T, error) {
	for {
		v, err := f()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return v, fmt.Errorf("starting on chain: %s: %w", what, err)
		}
		p.chainFailed(what, err)
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("starting on chain: %s: %w", what, err)
		case <-time.After(time.Duration(p.cfg.ChainPollEvery)):
		}
	}
}

// keepChain commits the latest flushed seqno every ChainCommitEvery and
// polls the contracts every ChainPollEvery, until ctx ends.
func (p *Proxy) keepChain(ctx context.Context) {
	commit := time.NewTicker(time.Duration(p.cfg.ChainCommitEvery))
	defer commit.Stop()
	poll := time.NewTicker(time.Duration(p.cfg.ChainPollEvery))
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-commit.C:
			p.refreshRoot(ctx)
			p.commitChain(ctx)
		case <-poll.C:
			p.pollChain(ctx)
		}
	}
}

// refreshRoot re-reads the root contract, so that clients that have seen
// a newer root version are accepted. A change of the root's params is
// logged: the proxy contract keeps the params it was deployed with, its
// clients' and workers' contracts derive from them, and the proxy bills
// at their prices, across restarts too (contracts.md §8.9).
func (p *Proxy) refreshRoot(ctx context.Context) {
	root, err := p.chain.Root(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.chainFailed("reading the root contract", err)
		}
		return
	}
	p.rootVersion.Store(int32(root.Version))
	p.onChain.mu.Lock()
	p.onChain.hashes = [3]int{len(root.ProxyHashes), len(root.WorkerHashes), len(root.ModelHashes)}
	changed := root.ParamsVersion != p.onChain.paramsVersion
	p.onChain.paramsVersion = root.ParamsVersion
	p.onChain.mu.Unlock()
	if changed {
		p.log.Warn("the root contract's params changed; the proxy contract keeps the params it was deployed with, and billing goes on at its prices",
			"root_params_version", root.ParamsVersion, "price_per_token", root.Prices.PricePerToken, "worker_fee_per_token", root.Prices.WorkerFeePerToken)
	}
}

// commitChain commits the latest flush on chain, if any is not yet, and
// only once the chain shows it promotes the ledger's figures.
func (p *Proxy) commitChain(ctx context.Context) {
	flushed, chain := p.ledger.Seqno()
	if flushed <= chain {
		return
	}
	if err := p.chain.CommitSeqno(ctx, flushed, p.onChain.session); err != nil {
		if ctx.Err() == nil {
			p.chainFailed(fmt.Sprintf("committing seqno %d", flushed), err)
		}
		return
	}
	if err := p.ledger.CommittedToChain(flushed); err != nil {
		p.log.Error("promoting the ledger to a committed seqno", "seqno", flushed, "err", err)
		return
	}
	p.onChain.committed.Store(flushed)
	p.log.Debug("ledger seqno committed on chain", "seqno", flushed)
}

// pollChain reads the proxy contract, then every known client's and
// worker's contract and moves the money that is due, then the proxy
// contract's earnings. Once the proxy contract is closing (its owner
// started the close), it winds it down as the reference's old instance
// (reference §4.7): every client gets a grant refund of its final tokens
// once nothing of it runs and all is committed, every worker a last payout
// of its final tokens once no request runs at all and all is committed,
// and once every client and worker contract has been closed for
// resubmitPolls polls and the contract is unlocked, the signed close
// completion pays the rest to the owner.
func (p *Proxy) pollChain(ctx context.Context) {
	contract, read := p.checkState(ctx)
	winding := p.onChain.closing.Load()
	settled, idle := read, true
	for _, a := range p.ledger.Clients() {
		if ctx.Err() != nil {
			return
		}
		if !p.checkClient(ctx, a, winding) {
			settled = false
		}
	}
	// A request holds a reservation from before it starts until it
	// settles, and none starts once closing is set (forward checks it
	// after reserving): with no reservation left, the workers' tokens are
	// final.
	for _, a := range p.ledger.Clients() {
		if a.Reserved > 0 {
			idle = false
		}
	}
	for _, a := range p.ledger.Workers() {
		if ctx.Err() != nil {
			return
		}
		if !p.checkWorker(ctx, a, winding && idle) {
			settled = false
		}
	}
	if ctx.Err() != nil {
		return
	}
	p.checkEarnings(ctx)
	if !winding || !settled {
		p.onChain.settledPolls = 0
		return
	}
	// A closed client or worker contract has sent the proxy contract the
	// report by which it pays the refund or payout; the completion, which
	// pays the rest to the owner, waits a few polls so that it lands first.
	p.onChain.settledPolls++
	if p.onChain.settledPolls >= resubmitPolls && contract.State == ContractClosing && p.now().Unix() >= contract.UnlockTS {
		p.submit(ctx, payment.OpProxyCloseComplete, p.contracts.sc, 0, &p.onChain.closes)
	}
}

// checkState reads the proxy contract's state and notes when it is
// closing or closed; read is false when the read failed.
func (p *Proxy) checkState(ctx context.Context) (c ProxyContract, read bool) {
	c, err := p.chain.State(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.chainFailed("reading the proxy contract's state", err)
		}
		return ProxyContract{}, false
	}
	if c.State != ContractNormal && !p.onChain.closing.Swap(true) {
		p.log.Warn("the proxy contract is closing: taking no new requests, refunding every client, paying every worker its last payout, then completing the close",
			"proxy_contract", p.contracts.sc.String(), "state", c.State, "unlock_ts", c.UnlockTS)
	}
	return c, true
}

// checkEarnings reads the proxy contract's balance field, the commission
// credited to it and not yet paid out, and asks the contract to pay it to
// its owner once it reaches WithdrawThresholdNano (reference §4.7). A
// withdrawal is in flight until the balance field falls below what it
// asked for, or for resubmitPolls polls: a request that lands late finds
// the balance already paid and moves nothing but gas, so nothing is lost
// or paid twice either way.
func (p *Proxy) checkEarnings(ctx context.Context) {
	earned, err := p.chain.Earnings(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.chainFailed("reading the proxy contract's earnings", err)
		}
		return
	}
	c := &p.onChain
	c.mu.Lock()
	c.earned = earned
	inFlight := c.withdrawing
	landed := inFlight > 0 && earned < inFlight
	if inFlight > 0 && !landed {
		c.withdrawPolls++
		if c.withdrawPolls < resubmitPolls {
			c.mu.Unlock()
			return
		}
	}
	c.withdrawing, c.withdrawPolls = 0, 0
	c.mu.Unlock()
	switch {
	case landed:
		p.log.Info("proxy earnings paid to the owner", "requested_nano", int64(inFlight), "owner", p.cfg.OwnerAddress)
	case inFlight > 0:
		p.log.Warn("the proxy contract's balance field does not show the withdrawal; requesting it again",
			"requested_nano", int64(inFlight), "earned_nano", int64(earned), "polls", resubmitPolls)
	}
	if earned <= 0 || earned < billing.NanoTON(p.cfg.WithdrawThresholdNano) {
		return
	}
	if err := p.chain.Withdraw(ctx); err != nil {
		if ctx.Err() == nil {
			p.chainFailed(fmt.Sprintf("requesting the withdrawal of %d nanoTON of earnings", int64(earned)), err)
		}
		return
	}
	c.mu.Lock()
	c.withdrawing, c.withdrawPolls = earned, 0
	c.withdrawals++
	c.lastWithdrawal, c.lastWithdrawalAt = earned, p.now()
	c.mu.Unlock()
	p.log.Info("proxy earnings withdrawal requested", "amount_nano", int64(earned), "owner", p.cfg.OwnerAddress)
}

// checkClient refreshes a client's on-chain state, then grants its refund
// when it is closing, or the proxy is winding its contract down, with
// nothing running and everything committed, or else charges it when the
// committed, uncharged usage is worth it. It reports whether the client
// is settled for the wind-down: its contract closed, or none deployed.
func (p *Proxy) checkClient(ctx context.Context, a billing.Account, winding bool) (settled bool) {
	addr, err := address.ParseAddr(a.Address)
	if err != nil {
		return true // an account of a peer without a contract
	}
	c, err := p.chain.Client(ctx, addr)
	if errors.Is(err, ErrNoContract) {
		return true
	}
	if err != nil {
		p.chainFailed("reading client contract "+a.Address, err)
		return false
	}
	if err := p.ledger.UpdateClient(a.Address, a.Owner, c.ClientChain); err != nil {
		p.log.Error("updating a client's on-chain state", "client", a.Address, "err", err)
		return false
	}
	if c.State == billing.ClientClosed {
		return true
	}
	// Read again after the update: a closing client takes no new
	// requests, nor does a winding proxy, so Reserved only falls from
	// here.
	if a, err = p.ledger.Client(a.Address); err != nil {
		return false
	}
	if (c.State == billing.ClientClosing || winding) && a.Reserved == 0 && a.CommittedToChain == a.Tokens {
		p.submit(ctx, payment.OpClientGrantRefund, addr, a.Tokens, &p.onChain.refunds)
		return false
	}
	ready := a.CommittedToChain - c.TokensUsed
	if ready > 0 && billing.Due(ready, p.ledger.Prices().PricePerToken, billing.NanoTON(p.cfg.ChargeThresholdNano)) {
		p.submit(ctx, payment.OpClientCharge, addr, a.CommittedToChain, &p.onChain.charges)
	}
	return false
}

// checkWorker pays a deployed worker when its committed, unpaid earning
// is worth it; when last is set (the proxy is winding its contract down
// and no request runs) it pays its last payout of its final tokens once
// they are all committed. It reports whether the worker is settled for
// the wind-down: its contract closed, or none deployed and nothing earned.
func (p *Proxy) checkWorker(ctx context.Context, a billing.Account, last bool) (settled bool) {
	addr, err := address.ParseAddr(a.Address)
	if err != nil {
		return true
	}
	w, err := p.chain.Worker(ctx, addr)
	if errors.Is(err, ErrNoContract) {
		// The worker deploys its contract with its first payout, which
		// it holds signed; the close waits for it.
		return a.Tokens == 0
	}
	if err != nil {
		p.chainFailed("reading worker contract "+a.Address, err)
		return false
	}
	if w.State != 0 {
		return true
	}
	if last && a.CommittedToChain == a.Tokens {
		p.submit(ctx, payment.OpWorkerLastPayout, addr, a.Tokens, &p.onChain.payouts)
		return false
	}
	ready := a.CommittedToChain - w.Tokens
	if ready > 0 && billing.Due(ready, p.ledger.Prices().WorkerFeePerToken, billing.NanoTON(p.cfg.PayoutThresholdNano)) {
		p.submit(ctx, payment.OpWorkerPayout, addr, a.CommittedToChain, &p.onChain.payouts)
	}
	return false
}

// submit signs a payment of op for tokens to contract and relays it,
// unless the same payment was submitted within the last few polls.
func (p *Proxy) submit(ctx context.Context, op payment.Op, contract *address.Address, tokens int64, count *atomic.Int64) {
	k := pendingKey{op: op, contract: contract.String()}
	now := p.now()
	if last, ok := p.onChain.pending[k]; ok && last.tokens == tokens && now.Sub(last.at) < resubmitPolls*time.Duration(p.cfg.ChainPollEvery) {
		return
	}
	pay, err := payment.Sign(p.contracts.key, op, payment.RandomQueryID(), tokens, contract, nil)
	var boc []byte
	if err == nil {
		boc, err = pay.BOC()
	}
	if err != nil {
		p.log.Error("signing a payment for the chain", "op", op, "contract", k.contract, "err", err)
		return
	}
	if err := p.chain.Submit(ctx, boc); err != nil {
		if ctx.Err() == nil {
			p.chainFailed(fmt.Sprintf("submitting %v to %s", op, k.contract), err)
		}
		return
	}
	p.onChain.pending[k] = pendingPay{tokens: tokens, at: now}
	count.Add(1)
	p.log.Info("payment submitted on chain", "op", op, "contract", k.contract, "tokens", tokens)
}
