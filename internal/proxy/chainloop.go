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
	"github.com/cocoon-go/cocoon/internal/wire"
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
	closeRequests             atomic.Int64  // close requests submitted to older contracts
	errors                    atomic.Int64  // failed chain calls
	// closing is set once the proxy contract is seen closing or closed:
	// the proxy takes no new requests and winds the contract down. A
	// contract never reopens, so it is never cleared.
	closing atomic.Bool

	// mu guards the fields below, set by startChain and read by the stats.
	mu       sync.Mutex
	lastErr  string
	contract string
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

	// rollovers counts the moves to a new proxy contract.
	rollovers int64

	// old are the older proxy contracts being wound down, set by
	// openChain and then only touched by the chain loop's goroutine.
	old []*instance

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
	p.onChain.paramsVersion = root.ParamsVersion
	p.onChain.mu.Unlock()
	p.applyRoot(ctx, root.Lists)
	sc, err := retry(ctx, p, "opening the proxy contract", func() (*address.Address, error) { return p.chain.Open(ctx) })
	if err != nil {
		return err
	}
	cur := p.inst.Load()
	if !sc.Equals(cur.sc) {
		return fmt.Errorf("starting on chain: the proxy contract is %s, but its address derives to %s", sc, cur.sc)
	}
	p.inst.Store(&instance{sc: sc, derive: cur.derive, prices: root.Prices})
	olds, err := retry(ctx, p, "listing the proxy contracts to wind down", func() ([]Instance, error) { return p.chain.Winding(ctx) })
	if err != nil {
		return err
	}
	for _, o := range olds {
		if o.Contract.Equals(sc) {
			continue
		}
		p.onChain.old = append(p.onChain.old, &instance{sc: o.Contract, derive: o.Derive, prices: o.Prices})
		p.log.Info("winding down an older proxy contract", "proxy_contract", o.Contract.String())
	}
	p.onChain.mu.Lock()
	p.onChain.contract = sc.String()
	p.onChain.mu.Unlock()
	p.log.Info("proxy contract open", "proxy_contract", sc.String(),
		"root_version", root.Version, "root_params_version", root.ParamsVersion,
		"price_per_token", root.Prices.PricePerToken, "worker_fee_per_token", root.Prices.WorkerFeePerToken,
		"proxy_hashes", len(root.Lists.ProxyHashes), "worker_hashes", len(root.Lists.WorkerHashes), "model_hashes", len(root.Lists.ModelHashes))
	return nil
}

// firstCommit commits the restored ledger's seqno under this run's fresh
// session hash and returns once the chain shows it (as the reference's: the
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

// keepChain reads the root every RootPollEvery, commits the latest
// flushed seqno every ChainCommitEvery and polls the contracts every
// ChainPollEvery, until ctx ends.
//
// The three share one goroutine, so they are not three loop.Every: the
// root read's rollover appends to onChain.old, which the poll walks and
// whose instances' wind-down fields it writes, without a lock, as state
// of the chain loop's goroutine alone (chainState, instance); and a
// commit runs wholly before or after a rollover, never across the switch
// of the contract it commits to.
func (p *Proxy) keepChain(ctx context.Context) {
	root := time.NewTicker(time.Duration(p.cfg.RootPollEvery))
	defer root.Stop()
	commit := time.NewTicker(time.Duration(p.cfg.ChainCommitEvery))
	defer commit.Stop()
	poll := time.NewTicker(time.Duration(p.cfg.ChainPollEvery))
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-root.C:
			p.refreshRoot(ctx)
		case <-commit.C:
			p.commitChain(ctx)
		case <-poll.C:
			p.pollChain(ctx)
		}
	}
}

// refreshRoot re-reads the root contract: its lists admit and evict
// workers from now on, and clients that have seen a newer root version
// are accepted. When the root's params version is not that of the proxy
// contract, the proxy rolls over to a contract under the root's params
// (as the reference's proxy does when params_version changes).
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
	p.onChain.paramsVersion = root.ParamsVersion
	p.onChain.mu.Unlock()
	p.applyRoot(ctx, root.Lists)
	if root.ParamsVersion != root.ContractParamsVersion {
		p.rollover(ctx, root)
	}
}

// rollover moves the proxy to a contract under the root's current params:
// new connections derive their contracts under it and are billed at its
// prices, every connection under the old one is dropped so that its peer
// reconnects under the new one, and the chain loop winds the old one down
// as the reference's old instance: its close request,
// every client's refund of its final tokens, every worker's last payout,
// then after proxy_delay_before_close the close completion, which pays
// the rest to the owner.
func (p *Proxy) rollover(ctx context.Context, root RootConfig) {
	in, err := p.chain.Rollover(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.chainFailed("rolling over to a proxy contract under the root's params", err)
		}
		return
	}
	old := p.inst.Load()
	if in.Contract.Equals(old.sc) {
		return
	}
	if err := p.ledger.SetPrices(in.Prices); err != nil {
		p.log.Error("the new proxy contract's prices", "proxy_contract", in.Contract.String(), "err", err)
		return
	}
	p.onChain.old = append(p.onChain.old, old)
	p.inst.Store(&instance{sc: in.Contract, derive: in.Derive, prices: in.Prices})
	// The old contract, closing or not, is wound down as an old one; the
	// new one serves.
	p.onChain.closing.Store(false)
	p.onChain.mu.Lock()
	p.onChain.contract = in.Contract.String()
	p.onChain.rollovers++
	p.onChain.mu.Unlock()
	p.log.Warn("the root contract's params changed: the proxy moved to a new contract and winds the old one down",
		"proxy_contract", in.Contract.String(), "old_proxy_contract", old.sc.String(), "root_params_version", root.ParamsVersion,
		"price_per_token", in.Prices.PricePerToken, "worker_fee_per_token", in.Prices.WorkerFeePerToken)
	p.dropStale()
}

// dropStale drops the connections under another proxy contract than the
// one the proxy serves under, so that their peers reconnect under it.
func (p *Proxy) dropStale() {
	cur := p.inst.Load()
	var drop []*wire.Session
	p.mu.Lock()
	for cc := range p.clients {
		if cc.inst != cur {
			drop = append(drop, cc.sess)
		}
	}
	for _, ws := range p.models {
		for _, wc := range ws {
			if wc.inst != cur {
				drop = append(drop, wc.sess)
			}
		}
	}
	p.mu.Unlock()
	for _, s := range drop {
		s.Abort(errMovedContract)
	}
}

// errMovedContract ends the connections under a proxy contract the proxy
// moved from.
var errMovedContract = errors.New("the proxy moved to a new contract")

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

// pollChain reads the proxy contract and the older ones it winds down,
// then every known client's and worker's contract and moves the money
// that is due, at the prices of the proxy contract the account is under,
// then the proxy contract's earnings. A proxy contract being wound down —
// an older one after a rollover, or the one it serves under once its
// owner started its close — is wound down as the reference's old instance
// (as the reference's): every client of it gets a grant refund of its final
// tokens once nothing of it runs and all is committed, every worker a
// last payout of its final tokens once no request of it runs and all is
// committed, and once every client and worker contract of it has been
// closed for resubmitPolls polls and the contract is unlocked, the signed
// close completion pays the rest to the owner.
func (p *Proxy) pollChain(ctx context.Context) {
	p.dropStale()
	cur := p.inst.Load()
	contract, read := p.checkState(ctx, cur)
	cur.state, cur.unlockTS = contract.State, contract.UnlockTS
	winding := map[*instance]bool{cur: p.onChain.closing.Load()}
	settled := map[*instance]bool{cur: read}
	idle := map[*instance]bool{cur: true}
	for _, o := range p.onChain.old {
		if !o.closed {
			winding[o], settled[o], idle[o] = true, p.windOld(ctx, o), true
		}
	}
	clients := p.ledger.Clients()
	for _, a := range clients {
		if ctx.Err() != nil {
			return
		}
		in := p.instanceOf(billing.KindClient, a, cur)
		if in.closed {
			continue
		}
		if !p.checkClient(ctx, a, in, winding[in]) {
			settled[in] = false
		}
	}
	// A request holds a reservation from before it starts until it
	// settles, and none starts under a contract being wound down (forward
	// checks it after reserving): with no reservation left under it, its
	// workers' tokens are final.
	for _, a := range clients {
		if a.Reserved > 0 {
			idle[p.instanceOf(billing.KindClient, a, cur)] = false
		}
	}
	for _, a := range p.ledger.Workers() {
		if ctx.Err() != nil {
			return
		}
		in := p.instanceOf(billing.KindWorker, a, cur)
		if in.closed {
			continue
		}
		if !p.checkWorker(ctx, a, in, winding[in] && idle[in]) {
			settled[in] = false
		}
	}
	if ctx.Err() != nil {
		return
	}
	p.checkEarnings(ctx)
	for in, w := range winding {
		if !w || !settled[in] {
			in.settledPolls = 0
			continue
		}
		// A closed client or worker contract has sent the proxy contract
		// the report by which it pays the refund or payout; the
		// completion, which pays the rest to the owner, waits a few polls
		// so that it lands first.
		in.settledPolls++
		if in.settledPolls >= resubmitPolls && in.state == ContractClosing && p.now().Unix() >= in.unlockTS {
			p.submit(ctx, payment.OpProxyCloseComplete, in.sc, 0, &p.onChain.closes)
		}
	}
}

// instanceOf returns the proxy contract a ledger account is under: an
// older one being wound down whose derivation gives the account's
// contract from its owner, else cur.
func (p *Proxy) instanceOf(kind billing.Kind, a billing.Account, cur *instance) *instance {
	for _, o := range p.onChain.old {
		if o.members == nil {
			o.members = map[string]bool{}
		}
		member, ok := o.members[a.Address]
		if !ok {
			sc, err := p.derivePeer(o, kind, a.Owner)
			member = err == nil && sc.String() == a.Address
			o.members[a.Address] = member
		}
		if member {
			return o
		}
	}
	return cur
}

// checkState reads the state of the proxy contract cur, which the proxy
// serves under, and notes when it is closing or closed; read is false
// when the read failed.
func (p *Proxy) checkState(ctx context.Context, cur *instance) (c ProxyContract, read bool) {
	c, err := p.chain.State(ctx, cur.sc)
	if err != nil {
		if ctx.Err() == nil {
			p.chainFailed("reading the proxy contract's state", err)
		}
		return ProxyContract{}, false
	}
	if c.State != ContractNormal && !p.onChain.closing.Swap(true) {
		p.log.Warn("the proxy contract is closing: taking no new requests, refunding every client, paying every worker its last payout, then completing the close",
			"proxy_contract", cur.sc.String(), "state", c.State, "unlock_ts", c.UnlockTS)
	}
	return c, true
}

// windOld reads an older proxy contract being wound down and sends its
// signed close request while it is not closing yet; it notes when it is
// closed, which ends its wind-down. It reports whether the read worked.
func (p *Proxy) windOld(ctx context.Context, o *instance) bool {
	c, err := p.chain.State(ctx, o.sc)
	if err != nil {
		if ctx.Err() == nil {
			p.chainFailed("reading the state of proxy contract "+o.sc.String(), err)
		}
		return false
	}
	o.state, o.unlockTS = c.State, c.UnlockTS
	switch c.State {
	case ContractNormal:
		p.submit(ctx, payment.OpProxyCloseRequest, o.sc, 0, &p.onChain.closeRequests)
	case ContractClosed:
		o.closed = true
		p.log.Info("an older proxy contract is closed: its rest went to the owner", "proxy_contract", o.sc.String())
	}
	return true
}

// checkEarnings reads the proxy contract's balance field, the commission
// credited to it and not yet paid out, and asks the contract to pay it to
// its owner once it reaches WithdrawThresholdNano (10 TON by default, as
// the reference's). A withdrawal is in flight until the balance field falls below what it
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
// when it is closing, or the proxy is winding its proxy contract in down,
// with nothing running and everything committed, or else charges it when
// the committed, uncharged usage is worth it at in's price. It reports
// whether the client is settled for the wind-down: its contract closed,
// or none deployed.
func (p *Proxy) checkClient(ctx context.Context, a billing.Account, in *instance, winding bool) (settled bool) {
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
	if ready > 0 && billing.Due(ready, in.prices.PricePerToken, billing.NanoTON(p.cfg.ChargeThresholdNano)) {
		p.submit(ctx, payment.OpClientCharge, addr, a.CommittedToChain, &p.onChain.charges)
	}
	return false
}

// checkWorker pays a deployed worker when its committed, unpaid earning
// is worth it at the fee of its proxy contract in; when last is set (the
// proxy is winding in down and no request of it runs) it pays its last
// payout of its final tokens once they are all committed. It reports
// whether the worker is settled for the wind-down: its contract closed,
// or none deployed and nothing earned.
func (p *Proxy) checkWorker(ctx context.Context, a billing.Account, in *instance, last bool) (settled bool) {
	addr, err := address.ParseAddr(a.Address)
	if err != nil {
		return true
	}
	w, err := p.chain.Worker(ctx, addr)
	if errors.Is(err, ErrNoContract) {
		// The worker deploys its contract with its first payout, which
		// it holds signed. Once the proxy winds its contract down and
		// nothing of it runs, the proxy deploys it with the last payout
		// itself: a worker whose connection dropped before the proxy
		// signed its final tokens holds no payout of them.
		if a.Tokens > 0 && last && a.CommittedToChain == a.Tokens {
			if owner, err := address.ParseAddr(a.Owner); err == nil {
				p.sign(ctx, payment.OpWorkerLastPayout, addr, a.Tokens, &p.onChain.payouts, func(boc []byte) error {
					return p.chain.PayWorker(ctx, boc, in.sc, owner)
				})
			}
		}
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
	if ready > 0 && billing.Due(ready, in.prices.WorkerFeePerToken, billing.NanoTON(p.cfg.PayoutThresholdNano)) {
		p.submit(ctx, payment.OpWorkerPayout, addr, a.CommittedToChain, &p.onChain.payouts)
	}
	return false
}

// submit signs a payment of op for tokens to contract and relays it,
// unless the same payment was submitted within the last few polls.
func (p *Proxy) submit(ctx context.Context, op payment.Op, contract *address.Address, tokens int64, count *atomic.Int64) {
	p.sign(ctx, op, contract, tokens, count, func(boc []byte) error { return p.chain.Submit(ctx, boc) })
}

// sign signs a payment of op for tokens to contract and sends it with
// send, unless the same payment was sent within the last few polls.
func (p *Proxy) sign(ctx context.Context, op payment.Op, contract *address.Address, tokens int64, count *atomic.Int64, send func(boc []byte) error) {
	k := pendingKey{op: op, contract: contract.String()}
	now := p.now()
	if last, ok := p.onChain.pending[k]; ok && last.tokens == tokens && now.Sub(last.at) < resubmitPolls*time.Duration(p.cfg.ChainPollEvery) {
		return
	}
	pay, err := payment.Sign(p.contracts.key, op, payment.RandomQueryID(), tokens, contract, p.contracts.signer.ExcessTo())
	var boc []byte
	if err == nil {
		boc, err = pay.BOC()
	}
	if err != nil {
		p.log.Error("signing a payment for the chain", "op", op, "contract", k.contract, "err", err)
		return
	}
	if err := send(boc); err != nil {
		if ctx.Err() == nil {
			p.chainFailed(fmt.Sprintf("submitting %v to %s", op, k.contract), err)
		}
		return
	}
	p.onChain.pending[k] = pendingPay{tokens: tokens, at: now}
	count.Add(1)
	p.log.Info("payment submitted on chain", "op", op, "contract", k.contract, "tokens", tokens)
}
