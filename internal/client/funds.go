package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cocoon-go/cocoon/internal/loop"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// resendAfter is how long an operation sent to a contract is given to show
// on chain before the client sends it again, as the reference resends a
// wallet's batch after 30 s.
const resendAfter = 30 * time.Second

// ErrNoChain reports a fund operation on a client that runs without a
// chain (fake TON), where it has no contract to act on.
var ErrNoChain = errors.New("the client runs without a chain (fake TON): it has no contracts")

// errContractClosing reports a proxy at which our contract is closing or
// closed, so that it can no longer be used.
var errContractClosing = errors.New("our contract at this proxy is closing or closed")

// closedError is errContractClosing from a handshake, with the
// generation to go on with at the proxy: the latest known there when it
// runs, else the one after.
type closedError struct{ next uint32 }

func (e *closedError) Error() string { return errContractClosing.Error() }
func (e *closedError) Unwrap() error { return errContractClosing }

// closed is the handshake's error for the closing or closed contract of
// generation id.Generation at the proxy id.
func (c *Client) closed(id ProxyID) error {
	next := id.Generation + 1
	latest, running := id.Generation, false
	for _, ca := range c.chainAccounts() {
		if !ca.id.Owner.Equals(id.Owner) || !ca.id.Key.Equal(id.Key) || ca.id.Generation < latest {
			continue
		}
		phase := ca.currentPhase()
		if ca.id.Generation > latest || phase == PhaseRunning {
			latest, running = ca.id.Generation, phase == PhaseRunning
		}
	}
	if running {
		next = max(next, latest)
	} else {
		next = max(next, latest+1)
	}
	return &closedError{next: next}
}

// chainAccount is the client's contract at one proxy: what the chain last
// showed of it and where it stands in fund recovery. Entries are never
// removed.
type chainAccount struct {
	// id and address are set when the account is made, then read-only:
	// the proxy and the client contract. A contract restored from a state
	// file written before the proxy contract was kept has none in id, and
	// is derived under the root's current params.
	id      ProxyID
	address *address.Address

	// opMu serialises the chain operations on this contract: the
	// handshake's, the check loop's and the control endpoints'. Locks are
	// taken in the order opMu, Client.chainMu, mu, account.mu.
	opMu sync.Mutex

	// mu guards the fields below.
	mu sync.Mutex
	// proxy is the proxy's client endpoint as last connected; acct its
	// verified reports, nil until connected in this run.
	proxy string
	acct  *account
	phase Phase
	// unlockTS is when a closing contract may claim its refund by force.
	unlockTS int64
	// contract is the contract as last read, at readAt; deployed is
	// false until a read finds it, observed once one has: contract then
	// holds the price of its params, at which its usage is valued.
	contract           ClientContract
	deployed, observed bool
	readAt             time.Time
	// When operations were last sent, so that they are not repeated
	// before the chain could show them: a top-up from balance topUpFrom,
	// a charge to chargeTo tokens, the first refund request, the forced
	// claim, a change of the secret hash.
	topUpAt, chargeAt, refundAt, claimAt, secretAt time.Time
	topUpFrom                                      billing.NanoTON
	chargeTo                                       int64
	// supersededAt is when the proxy was first seen under a newer
	// contract than this one's, rounded up to a whole second as the
	// state file keeps it; zero while it is not. The check loop then tops
	// the contract up no more and, CloseWait later, closes it unless the
	// proxy has refunded it.
	supersededAt time.Time
	// Counters of what was sent, and of failures.
	deploys, registers, secretChanges, topUps, charges, withdrawals, refundRequests, claims, errors int64
	lastErr                                                                                         string
}

// currentPhase is the account's phase; the caller does not hold mu.
func (ca *chainAccount) currentPhase() Phase {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.phase
}

// persisted is the account's state as the state file keeps it, with the
// client's account at the proxy for the contract once there is one; the
// caller holds mu.
func (ca *chainAccount) persisted() contractState {
	st := contractState{Address: ca.address.String(), ProxyOwner: ca.id.Owner.String(), ProxyKey: hex.EncodeToString(ca.id.Key),
		Generation: ca.id.Generation, Proxy: ca.proxy, Phase: ca.phase, UnlockTS: ca.unlockTS}
	if ca.id.Contract != nil {
		st.ProxySC = ca.id.Contract.String()
	}
	if !ca.supersededAt.IsZero() {
		st.SupersededAt = ca.supersededAt.Unix()
	}
	if ca.observed {
		st.PriceNano, st.PriceKnown = int64(ca.contract.PricePerToken), true
	}
	if a := ca.acct; a != nil && st.ProxySC != "" {
		a.mu.Lock()
		if a.Best != nil {
			st.BestCharge = base64.StdEncoding.EncodeToString(a.Best)
		}
		st.SignedTokens, st.DBTokens, st.MaxTokens, st.Requests = a.Signed, a.DB, a.Max, a.Requests
		a.mu.Unlock()
	}
	return st
}

// observe records a read of the contract and returns the phase. The
// tokens charged on chain are part of the proxy's total for the
// contract: the account's figure is raised to them, so that it shows
// what a proxy charged after its last report reached the client (a
// closed contract's final tokens, after its connection is gone).
func (ca *chainAccount) observe(ct ClientContract, at time.Time) Phase {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.contract, ca.deployed, ca.observed, ca.readAt = ct, true, true, at
	if a := ca.acct; a != nil {
		a.mu.Lock()
		a.Max = max(a.Max, ct.TokensUsed)
		a.mu.Unlock()
	}
	return ca.phase
}

// restoreAccounts builds the contracts a state file lists, and the
// client's accounts at their proxies, whose best charge must verify as
// the proxy's for the contract.
func (c *Client) restoreAccounts(saved []contractState) error {
	for _, s := range saved {
		id, err := s.proxyID()
		if err != nil {
			return err
		}
		addr, err := address.ParseAddr(s.Address)
		if err != nil {
			return err
		}
		ca := &chainAccount{id: id, address: addr, proxy: s.Proxy, phase: s.Phase, unlockTS: s.UnlockTS}
		if s.SupersededAt != 0 {
			ca.supersededAt = time.Unix(s.SupersededAt, 0)
		}
		if s.PriceKnown {
			ca.contract.PricePerToken, ca.observed = billing.NanoTON(s.PriceNano), true
		}
		if s.hasAccount() {
			if ca.acct, err = restoreAccount(s, id, addr); err != nil {
				return fmt.Errorf("contract %s: %w", addr, err)
			}
			c.accounts[addr.String()] = ca.acct
		}
		c.chainAccts[addr.String()] = ca
	}
	return nil
}

// restoreAccount builds the client's account at contract clientSC of the
// proxy id from its state entry.
func restoreAccount(s contractState, id ProxyID, clientSC *address.Address) (*account, error) {
	a := &account{Holding: payment.Holding{Key: id.Key, ProxySC: id.Contract, Own: clientSC, Endpoint: s.Proxy,
		Signed: s.SignedTokens, DB: s.DBTokens, Max: s.MaxTokens, Requests: s.Requests}}
	if s.BestCharge != "" {
		var err error
		if a.Best, err = base64.StdEncoding.DecodeString(s.BestCharge); err != nil {
			return nil, fmt.Errorf("best_charge: %w", err)
		}
	}
	if err := a.CheckBest("best_charge", "charge", clientOps...); err != nil {
		return nil, err
	}
	return a, nil
}

// chainAccounts lists the contracts in address order.
func (c *Client) chainAccounts() []*chainAccount {
	c.chainMu.Lock()
	defer c.chainMu.Unlock()
	out := make([]*chainAccount, 0, len(c.chainAccts))
	for _, ca := range c.chainAccts {
		out = append(out, ca)
	}
	slices.SortFunc(out, func(a, b *chainAccount) int {
		if a.address.String() < b.address.String() {
			return -1
		}
		return 1
	})
	return out
}

// persist writes every contract's state to the state file, if there is
// one and it changed since the last write.
func (c *Client) persist() error {
	if c.cfg.StateFile == "" {
		return nil
	}
	c.chainMu.Lock()
	defer c.chainMu.Unlock()
	list := make([]contractState, 0, len(c.chainAccts))
	for _, ca := range c.chainAccts {
		ca.mu.Lock()
		list = append(list, ca.persisted())
		ca.mu.Unlock()
	}
	slices.SortFunc(list, func(a, b contractState) int {
		if a.Address < b.Address {
			return -1
		}
		return 1
	})
	b := encodeState(c.owner, list)
	if bytes.Equal(b, c.lastSaved) {
		return nil
	}
	if err := saveState(c.cfg.StateFile, b); err != nil {
		return err
	}
	c.lastSaved = b
	return nil
}

// setPhase moves a contract to phase (with unlock, when known) and
// persists the change.
func (c *Client) setPhase(ca *chainAccount, phase Phase, unlock int64) error {
	ca.mu.Lock()
	changed := ca.phase != phase || ca.unlockTS != unlock
	from := ca.phase
	ca.phase, ca.unlockTS = phase, unlock
	ca.mu.Unlock()
	if !changed {
		return nil
	}
	c.log.Info("client contract changed phase", "contract", ca.address.String(), "from", from, "to", phase, "unlock_ts", unlock)
	if err := c.persist(); err != nil {
		return fmt.Errorf("recording contract %s as %s: %w", ca.address, phase, err)
	}
	return nil
}

// failed logs and counts a failed chain operation.
func (c *Client) failed(ca *chainAccount, what string, err error) error {
	err = fmt.Errorf("%s: %w", what, err)
	ca.mu.Lock()
	ca.errors++
	ca.lastErr = err.Error()
	ca.mu.Unlock()
	c.log.Warn("client contract operation failed", "contract", ca.address.String(), "err", err)
	return err
}

// chainAccountFor returns the account of the contract clientSC at proxy
// id, creating it when new, and links it to the proxy's endpoint and
// reports; the proxy names its contract, so that it is no longer left,
// and any of its others under an older proxy contract are (supersede).
// A new account and any change are persisted.
func (c *Client) chainAccountFor(id ProxyID, clientSC, proxy string, acct *account) (*chainAccount, error) {
	addr, err := address.ParseAddr(clientSC)
	if err != nil {
		return nil, fmt.Errorf("client contract address %q: %w", clientSC, err)
	}
	addr = payment.Canonical(addr)
	c.chainMu.Lock()
	ca := c.chainAccts[addr.String()]
	created := ca == nil
	if created {
		ca = &chainAccount{id: id, address: addr, phase: PhaseRunning}
		c.chainAccts[addr.String()] = ca
	}
	c.chainMu.Unlock()
	if !ca.id.Owner.Equals(id.Owner) || !ca.id.Key.Equal(id.Key) || (ca.id.Contract != nil && id.Contract != nil && !ca.id.Contract.Equals(id.Contract)) {
		return nil, fmt.Errorf("contract %s belongs to another proxy than this one: %w", addr, errProxyRolledBack)
	}
	ca.mu.Lock()
	changed := ca.proxy != proxy || !ca.supersededAt.IsZero()
	ca.proxy = proxy
	if acct != nil {
		ca.acct = acct
	}
	ca.supersededAt = time.Time{}
	ca.mu.Unlock()
	if id.Contract != nil && c.supersede(id, ca) {
		changed = true
	}
	if created || changed {
		if err := c.persist(); err != nil {
			return nil, err
		}
	}
	return ca, nil
}

// supersede marks the running contracts of the proxy id other than cur,
// under another proxy contract than id's, as left by the proxy: it has
// moved to a new contract, as after a change of the root's params
// (the reference's proxy moves to a new contract when params_version
// changes). It reports whether it marked any, for the
// caller to persist.
func (c *Client) supersede(id ProxyID, cur *chainAccount) bool {
	// Rounded up, so that the wait restored from the state file ends
	// when this run's would, and never before.
	now := c.now()
	if whole := now.Truncate(time.Second); whole.Before(now) {
		now = whole.Add(time.Second)
	}
	marked := false
	for _, ca := range c.chainAccounts() {
		if ca == cur || ca.id.Contract == nil || ca.id.Contract.Equals(id.Contract) ||
			!ca.id.Owner.Equals(id.Owner) || !ca.id.Key.Equal(id.Key) {
			continue
		}
		ca.mu.Lock()
		first := ca.phase == PhaseRunning && ca.supersededAt.IsZero()
		if first {
			ca.supersededAt = now
		}
		ca.mu.Unlock()
		if first {
			marked = true
			c.log.Info("the proxy moved to a new contract: this client contract under its old one is closed unless the proxy refunds it",
				"contract", ca.address.String(), "old_proxy_contract", ca.id.Contract.String(), "proxy_contract", id.Contract.String())
		}
	}
	return marked
}

// prepareContract readies this client's contract at the proxy before the
// authorisation: it deploys the contract with the deposit when absent,
// sets our secret hash when the contract holds another, and, when the
// authorisation goes the long way, registers the proxy's nonce, the proof
// the proxy waits for.
func (c *Client) prepareContract(ctx context.Context, pc *proxyConn, p tl.ProxyParams, clientSC string, long bool, nonce int64) error {
	owner, err := address.ParseAddr(p.ProxyOwnerAddress)
	if err != nil {
		return fmt.Errorf("proxy owner address %q: %w", p.ProxyOwnerAddress, err)
	}
	id := ProxyID{Owner: payment.Canonical(owner), Key: ed25519.PublicKey(slices.Clone(p.ProxyPublicKey[:])), Generation: pc.gen}
	if pc.account != nil {
		id.Contract = pc.account.ProxySC
	}
	ca, err := c.chainAccountFor(id, clientSC, pc.addr, pc.account)
	if err != nil {
		return err
	}
	ca.opMu.Lock()
	defer ca.opMu.Unlock()
	phase := ca.currentPhase()
	if phase != PhaseRunning {
		return c.closed(id)
	}
	ct, err := c.chain.Contract(ctx, id)
	switch {
	case errors.Is(err, ErrNoContract):
		amount := billing.NanoTON(c.cfg.DepositNano)
		if amount == 0 {
			amount = ct.Stake
		}
		if err := c.chain.Deploy(ctx, id, amount, c.secretHash); err != nil {
			return c.failed(ca, "deploying the client contract", err)
		}
		c.log.Info("deployed the client contract", "contract", ca.address.String(), "proxy", pc.addr, "deposit", amount.String(), "generation", id.Generation)
		ca.mu.Lock()
		ca.deploys++
		ca.mu.Unlock()
		// Where the chain shows the contract at once, top it up now if
		// the deposit left it short, before the proxy reads it.
		if ct, err := c.chain.Contract(ctx, id); err == nil {
			ca.observe(ct, c.now())
			c.topUp(ctx, ca, ct)
		}
	case err != nil:
		return c.failed(ca, "reading the client contract", err)
	default:
		ca.observe(ct, c.now())
		if ct.State != billing.ClientRunning {
			if err := c.adopt(ca, ct); err != nil {
				return err
			}
			return c.closed(id)
		}
		if err := c.keepSecret(ctx, ca, ct); err != nil {
			return err
		}
	}
	if !long {
		return nil
	}
	if err := c.chain.Register(ctx, id, uint64(nonce)); err != nil {
		return c.failed(ca, "registering with the proxy", err)
	}
	ca.mu.Lock()
	ca.registers++
	ca.mu.Unlock()
	return nil
}

// keepSecret sets our secret hash on a contract that holds another.
func (c *Client) keepSecret(ctx context.Context, ca *chainAccount, ct ClientContract) error {
	if subtle.ConstantTimeCompare(ct.SecretHash[:], c.secretHash[:]) == 1 {
		return nil
	}
	now := c.now()
	ca.mu.Lock()
	pending := now.Sub(ca.secretAt) < resendAfter
	ca.mu.Unlock()
	if pending {
		return nil
	}
	if err := c.chain.ChangeSecret(ctx, ca.id, c.secretHash); err != nil {
		return c.failed(ca, "changing the contract's secret hash", err)
	}
	c.log.Info("changed the client contract's secret hash to that of secret_string", "contract", ca.address.String())
	ca.mu.Lock()
	ca.secretChanges++
	ca.secretAt = now
	ca.mu.Unlock()
	return nil
}

// adopt takes a contract's state on chain that is ahead of the phase the
// client holds, as after a restart that lost the state file.
func (c *Client) adopt(ca *chainAccount, ct ClientContract) error {
	switch ct.State {
	case billing.ClientClosing:
		return c.setPhase(ca, PhaseRefundRequested, ct.UnlockTS)
	case billing.ClientClosed:
		ca.mu.Lock()
		unlock := ca.unlockTS
		ca.mu.Unlock()
		return c.setPhase(ca, PhaseClosed, unlock)
	}
	return nil
}

// checkLoop checks every contract each ChainCheckEvery until ctx ends.
func (c *Client) checkLoop(ctx context.Context) {
	loop.Every(ctx, c.checkEvery, func(ctx context.Context) {
		for _, ca := range c.chainAccounts() {
			c.checkContract(ctx, ca)
		}
		// The proxy's reports since the last turn.
		if err := c.persist(); err != nil {
			c.log.Warn("writing the client state file", "err", err)
		}
	})
}

// checkContract reads one contract and acts on it: while running, keeps
// its secret, tops it up and submits the proxy's signed charge when due
// (as the reference's client does every check: a changed secret, a top-up
// when prepaid tokens fall below half its stake, the proxy's charge when
// usage runs more than half a stake ahead of the chain); while its refund
// is requested, follows it to closed,
// claiming the refund by force once unlock_ts has passed.
func (c *Client) checkContract(ctx context.Context, ca *chainAccount) {
	ca.opMu.Lock()
	defer ca.opMu.Unlock()
	phase := ca.currentPhase()
	if phase == PhaseClosed {
		return
	}
	ct, err := c.chain.Contract(ctx, ca.id)
	if errors.Is(err, ErrNoContract) {
		ca.mu.Lock()
		ca.deployed, ca.readAt = false, c.now()
		ca.mu.Unlock()
		return
	}
	if err != nil {
		c.failed(ca, "reading the client contract", err)
		return
	}
	ca.observe(ct, c.now())
	switch phase {
	case PhaseRunning:
		if ct.State != billing.ClientRunning {
			if err := c.adopt(ca, ct); err != nil {
				c.failed(ca, "following the contract's state", err)
			}
			// Closed under us, as by its owner: the connections to its
			// proxy can no longer be used, and the next request or
			// POST /control/open opens a new contract there.
			ca.mu.Lock()
			proxy := ca.proxy
			ca.mu.Unlock()
			if c.isCurrent(ca) {
				c.park(proxy, "closed on chain, as by its owner")
				c.dropConnections(proxy)
			}
			return
		}
		ca.mu.Lock()
		superseded := ca.supersededAt
		ca.mu.Unlock()
		if !superseded.IsZero() {
			c.leave(ctx, ca, ct, superseded)
			return
		}
		c.keepSecret(ctx, ca, ct)
		c.topUp(ctx, ca, ct)
		c.selfCharge(ctx, ca, ct)
	case PhaseRefundRequested:
		c.followRefund(ctx, ca, ct)
	}
}

// leave closes a running contract that the proxy left for a new one at
// since, once ct.CloseWait has passed without the proxy's refund; the
// refund request is then followed like any other.
func (c *Client) leave(ctx context.Context, ca *chainAccount, ct ClientContract, since time.Time) {
	if c.now().Sub(since) < ct.CloseWait {
		return
	}
	if err := c.setPhase(ca, PhaseRefundRequested, 0); err != nil {
		c.failed(ca, "recording the refund request", err)
		return
	}
	if c.requestRefund(ctx, ca) == nil {
		c.log.Info("requested the refund of a client contract the proxy has left", "contract", ca.address.String(), "waited", ct.CloseWait)
	}
}

// topUp adds one stake when the prepaid tokens left fall below half the
// stake's tokens: prepaid = balance/price + tokens_used, used = the
// proxy's reported tokens, at the contract's price.
func (c *Client) topUp(ctx context.Context, ca *chainAccount, ct ClientContract) {
	price := ct.PricePerToken
	if price <= 0 || ct.Stake <= 0 {
		return
	}
	now := c.now()
	ca.mu.Lock()
	used := ct.TokensUsed
	if ca.acct != nil {
		ca.acct.mu.Lock()
		used = max(used, ca.acct.Max)
		ca.acct.mu.Unlock()
	}
	pending := now.Sub(ca.topUpAt) < resendAfter && ct.Balance <= ca.topUpFrom
	ca.mu.Unlock()
	prepaid := int64(ct.Balance/price) + ct.TokensUsed
	if pending || prepaid-used >= int64(ct.Stake/price)/2 {
		return
	}
	if err := c.chain.TopUp(ctx, ca.id, ct.Stake); err != nil {
		c.failed(ca, "topping up the client contract", err)
		return
	}
	c.log.Info("topped up the client contract", "contract", ca.address.String(), "amount", ct.Stake.String(), "prepaid_tokens", prepaid, "used_tokens", used)
	ca.mu.Lock()
	ca.topUps++
	ca.topUpAt, ca.topUpFrom = now, ct.Balance
	ca.mu.Unlock()
}

// selfCharge submits the proxy's best signed charge when it exceeds the
// tokens charged on chain by more than half the stake in value, as the
// reference client does, so that uncharged usage does not exhaust the
// stake that secures it; the value is at the contract's price.
func (c *Client) selfCharge(ctx context.Context, ca *chainAccount, ct ClientContract) {
	price := ct.PricePerToken
	now := c.now()
	ca.mu.Lock()
	acct := ca.acct
	pending := ca.chargeTo > ct.TokensUsed && now.Sub(ca.chargeAt) < resendAfter
	ca.mu.Unlock()
	if acct == nil || pending || price <= 0 {
		return
	}
	acct.mu.Lock()
	signed, best := acct.Signed, acct.Best
	acct.mu.Unlock()
	if best == nil || signed <= ct.TokensUsed {
		return
	}
	// Only a charge: a signed grant refund would close the contract.
	if p, err := payment.Parse(best); err != nil || p.Op != payment.OpClientCharge {
		return
	}
	value, err := price.Mul(signed - ct.TokensUsed)
	if err == nil {
		value, err = value.Mul(2)
	}
	if err == nil && value <= ct.Stake {
		return
	}
	if err := c.chain.Charge(ctx, ca.id, best); err != nil {
		c.failed(ca, "submitting the proxy's signed charge", err)
		return
	}
	c.log.Info("submitted the proxy's signed charge", "contract", ca.address.String(), "tokens", signed, "charged_on_chain", ct.TokensUsed)
	ca.mu.Lock()
	ca.charges++
	ca.chargeAt, ca.chargeTo = now, signed
	ca.mu.Unlock()
}

// followRefund drives a contract whose refund was requested to closed:
// it repeats the first request while the chain does not show it, records
// unlock_ts, claims the refund by force once unlock_ts has passed (unless
// the proxy granted it first), and marks the contract closed when the
// chain does.
func (c *Client) followRefund(ctx context.Context, ca *chainAccount, ct ClientContract) {
	now := c.now()
	switch ct.State {
	case billing.ClientClosed:
		ca.mu.Lock()
		unlock := ca.unlockTS
		ca.mu.Unlock()
		c.log.Info("client contract closed: its balance went back to the owner", "contract", ca.address.String(), "generation", ca.id.Generation)
		if err := c.setPhase(ca, PhaseClosed, unlock); err != nil {
			c.failed(ca, "recording the contract closed", err)
		}
		// A later generation's owner passes the refund on to the
		// client's wallet.
		if ca.id.Generation > 0 {
			if err := c.chain.Reclaim(ctx, ca.id.Generation); err != nil {
				c.failed(ca, "sending the refund on to the client's wallet", err)
			}
		}
	case billing.ClientRunning:
		ca.mu.Lock()
		due := now.Sub(ca.refundAt) >= resendAfter
		ca.mu.Unlock()
		if due {
			c.requestRefund(ctx, ca)
		}
	case billing.ClientClosing:
		if err := c.setPhase(ca, PhaseRefundRequested, ct.UnlockTS); err != nil {
			c.failed(ca, "recording unlock_ts", err)
		}
		ca.mu.Lock()
		due := now.Unix() > ct.UnlockTS && now.Sub(ca.claimAt) >= resendAfter
		ca.mu.Unlock()
		if !due {
			return
		}
		if err := c.chain.RequestRefund(ctx, ca.id); err != nil {
			c.failed(ca, "claiming the refund after unlock_ts", err)
			return
		}
		c.log.Info("claimed the refund by force: the proxy did not grant it before unlock_ts", "contract", ca.address.String(), "unlock_ts", ct.UnlockTS)
		ca.mu.Lock()
		ca.claims++
		ca.claimAt = now
		ca.mu.Unlock()
	}
}

// requestRefund sends the first refund request.
func (c *Client) requestRefund(ctx context.Context, ca *chainAccount) error {
	if err := c.chain.RequestRefund(ctx, ca.id); err != nil {
		return c.failed(ca, "requesting the refund", err)
	}
	ca.mu.Lock()
	ca.refundRequests++
	ca.refundAt = c.now()
	ca.mu.Unlock()
	return nil
}

// Withdraw takes back, from every running contract, the balance above its
// stake. It returns the failures joined; contracts with nothing above
// their stake are left alone.
func (c *Client) Withdraw(ctx context.Context) error {
	if c.chain == nil {
		return ErrNoChain
	}
	var errs []error
	for _, ca := range c.chainAccounts() {
		errs = append(errs, c.withdraw(ctx, ca))
	}
	return errors.Join(errs...)
}

func (c *Client) withdraw(ctx context.Context, ca *chainAccount) error {
	ca.opMu.Lock()
	defer ca.opMu.Unlock()
	phase := ca.currentPhase()
	if phase != PhaseRunning {
		return nil
	}
	ct, err := c.chain.Contract(ctx, ca.id)
	if errors.Is(err, ErrNoContract) {
		return nil
	}
	if err != nil {
		return c.failed(ca, "reading the client contract to withdraw", err)
	}
	ca.observe(ct, c.now())
	if ct.State != billing.ClientRunning || ct.Balance <= ct.Stake {
		return nil
	}
	if err := c.chain.Withdraw(ctx, ca.id); err != nil {
		return c.failed(ca, "withdrawing from the client contract", err)
	}
	c.log.Info("withdrew the balance above the stake", "contract", ca.address.String(), "amount", (ct.Balance - ct.Stake).String())
	ca.mu.Lock()
	ca.withdrawals++
	ca.mu.Unlock()
	c.refresh(ctx, ca)
	return nil
}

// refresh reads the contract again after an operation, so that the
// answer shows its effect where the chain already does.
func (c *Client) refresh(ctx context.Context, ca *chainAccount) {
	if ct, err := c.chain.Contract(ctx, ca.id); err == nil {
		ca.observe(ct, c.now())
	}
}

// Close closes every contract of the client: each running contract is
// recorded as refund-requested and sent the first refund request; the
// check loop then follows it to closed, claiming the refund by force after
// unlock_ts if the proxy does not grant it. Connections to those proxies
// are dropped, and the client opens a new contract at each on the next
// request or Open. A request that fails to send is repeated by the check
// loop; Close returns the failures joined.
func (c *Client) Close(ctx context.Context) error {
	if c.chain == nil {
		return ErrNoChain
	}
	var errs []error
	var closed []string // the proxies whose contract in use is closing
	for _, ca := range c.chainAccounts() {
		current := c.isCurrent(ca)
		errs = append(errs, c.closeContract(ctx, ca))
		ca.mu.Lock()
		proxy, phase := ca.proxy, ca.phase
		ca.mu.Unlock()
		if current && phase != PhaseRunning {
			closed = append(closed, proxy)
		}
	}
	// Parked first, so that a slot whose connection drops waits for a
	// need instead of opening a new contract at once.
	for _, proxy := range closed {
		c.park(proxy, "closed by POST /control/close")
	}
	for _, proxy := range closed {
		c.dropConnections(proxy)
	}
	return errors.Join(errs...)
}

func (c *Client) closeContract(ctx context.Context, ca *chainAccount) error {
	ca.opMu.Lock()
	defer ca.opMu.Unlock()
	ca.mu.Lock()
	phase, unlock := ca.phase, ca.unlockTS
	ca.mu.Unlock()
	if phase != PhaseRunning {
		return nil
	}
	ct, err := c.chain.Contract(ctx, ca.id)
	switch {
	case errors.Is(err, ErrNoContract):
		// Nothing was deposited: there is nothing to recover.
		return c.setPhase(ca, PhaseClosed, unlock)
	case err != nil:
		return c.failed(ca, "reading the client contract to close it", err)
	}
	ca.observe(ct, c.now())
	if ct.State != billing.ClientRunning {
		return c.adopt(ca, ct)
	}
	if err := c.setPhase(ca, PhaseRefundRequested, 0); err != nil {
		return err
	}
	if err := c.requestRefund(ctx, ca); err != nil {
		return fmt.Errorf("%w (the check loop sends it again)", err)
	}
	c.log.Info("requested the refund of the client contract", "contract", ca.address.String())
	c.refresh(ctx, ca)
	return nil
}

// isCurrent reports whether ca is of the generation the client uses at
// its proxy.
func (c *Client) isCurrent(ca *chainAccount) bool {
	ca.mu.Lock()
	proxy := ca.proxy
	ca.mu.Unlock()
	return c.generation(proxy) == ca.id.Generation
}

// dropConnections ends the connections to the proxy at addr.
func (c *Client) dropConnections(addr string) {
	c.mu.Lock()
	var drop []*proxyConn
	for _, pc := range c.conns {
		if pc.addr == addr {
			drop = append(drop, pc)
		}
	}
	c.mu.Unlock()
	for _, pc := range drop {
		pc.sess.Abort(errContractClosing)
	}
}

// ContractSnapshot is one of the client's contracts as /jsonstats shows
// it: its phase in fund recovery and its state on chain as last read.
type ContractSnapshot struct {
	Address    string `json:"client_sc_address"`
	Proxy      string `json:"proxy"`
	ProxyOwner string `json:"proxy_owner_address"`
	// Generation is which of the client's contracts at the proxy this is
	// (0 first; one more for each new contract opened after a close).
	Generation uint32 `json:"generation"`
	Phase      Phase  `json:"phase"`
	// Deployed is whether the last read found the contract; ReadAt when
	// that was (RFC 3339, empty before the first read).
	Deployed bool   `json:"deployed"`
	ReadAt   string `json:"read_at"`
	// The contract's state on chain: 0 running, 1 closing, 2 closed.
	State         int    `json:"state"`
	BalanceNano   int64  `json:"balance_nano,string"`
	StakeNano     int64  `json:"stake_nano,string"`
	TokensUsed    int64  `json:"tokens_used"`
	UnlockTS      int64  `json:"unlock_ts"`
	SecretMatches bool   `json:"secret_matches"`
	Deploys       int64  `json:"deploys"`
	Registers     int64  `json:"registers"`
	SecretChanges int64  `json:"secret_changes"`
	TopUps        int64  `json:"top_ups"`
	Charges       int64  `json:"charges"`
	Withdrawals   int64  `json:"withdrawals"`
	Refunds       int64  `json:"refund_requests"`
	Claims        int64  `json:"forced_claims"`
	Errors        int64  `json:"errors"`
	LastError     string `json:"last_error,omitempty"`
}

// contractsSnapshot lists the contracts in address order.
func (c *Client) contractsSnapshot() []ContractSnapshot {
	list := c.chainAccounts()
	out := make([]ContractSnapshot, 0, len(list))
	for _, ca := range list {
		ca.mu.Lock()
		ct := ca.contract
		s := ContractSnapshot{
			Address: ca.address.String(), Proxy: ca.proxy, ProxyOwner: ca.id.Owner.String(), Generation: ca.id.Generation, Phase: ca.phase,
			Deployed: ca.deployed, State: ct.State, BalanceNano: int64(ct.Balance), StakeNano: int64(ct.Stake),
			TokensUsed: ct.TokensUsed, UnlockTS: ca.unlockTS,
			SecretMatches: ca.deployed && subtle.ConstantTimeCompare(ct.SecretHash[:], c.secretHash[:]) == 1,
			Deploys:       ca.deploys, Registers: ca.registers, SecretChanges: ca.secretChanges, TopUps: ca.topUps,
			Charges: ca.charges, Withdrawals: ca.withdrawals, Refunds: ca.refundRequests, Claims: ca.claims,
			Errors: ca.errors, LastError: ca.lastErr,
		}
		if !ca.readAt.IsZero() {
			s.ReadAt = ca.readAt.UTC().Format(time.RFC3339)
		}
		if s.UnlockTS == 0 && ca.deployed {
			s.UnlockTS = ct.UnlockTS
		}
		ca.mu.Unlock()
		out = append(out, s)
	}
	return out
}
