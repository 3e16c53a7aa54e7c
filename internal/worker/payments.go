package worker

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// Contracts checks a proxy's contract and derives this worker's contract
// under it, as the root contract deploys them; contracts.Derivation derives
// them from fixed params, onchain.Contracts from what the chain holds.
type Contracts interface {
	// WorkerContract checks that proxySC is the contract of the proxy
	// owned by proxyOwner with key proxyKey and returns the worker
	// contract of owner under it.
	WorkerContract(ctx context.Context, owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error)
}

// errUntrustedProxy reports a proxy whose account of this worker went
// backwards or whose payment does not verify.
var errUntrustedProxy = errors.New("proxy's account of this worker is not to be trusted")

// account is what the worker knows of its account at one proxy, kept
// across reconnections and, with a state file, restarts: the proxy's key
// and contracts as first seen, the highest verified payout and the
// proxy's figures.
type account struct {
	// Holding is the account at the worker contract (Own), its best
	// signed payout and the proxy's figures (DB and Max are the balance
	// the worker compares with the proxy's); its contracts and key are
	// nil without contracts. The Worker's mu guards its Endpoint (the
	// proxy's worker endpoint last connected), mu the rest and the fields
	// below.
	payment.Holding
	mu sync.Mutex
	// onChain is the worker contract as the payout loop last saw it and
	// what the loop submitted.
	onChain chainView
	// superseded is set while the proxy names a newer contract than this
	// account's: the payout loop then pays out what is left, whatever it
	// adds.
	superseded bool
	// fee is the worker fee per token of the contract's params, at which
	// its tokens are valued, once feeKnown: read by the payout loop or
	// kept in the state file.
	fee      billing.NanoTON
	feeKnown bool
}

func newAccount(h payment.Holding) *account { return &account{Holding: h} }

// accountKey names an account: its worker contract, or without contracts
// the proxy's endpoint. A proxy that moves to a new contract, as after a
// change of the root's params (the reference's proxy then deploys a new
// contract and winds the old one down), opens a new
// account under it, as the worker contract derives from the proxy's; the
// old one keeps what the old contract owes.
func accountKey(endpoint string, workerSC *address.Address) string {
	if workerSC == nil {
		return "endpoint " + endpoint
	}
	return workerSC.String()
}

// accountAt returns the account at the proxy at addr, checking the
// proxy's contracts as the reference does: the proxy contract the proxy
// names must be its owner's and key's (deployed with them under our root,
// or derived from the root's current params), and the worker contract the
// proxy names must derive from ours under it; a proxy whose key changed
// since first seen is refused, and one that names another contract than
// before is a new account under it, its older accounts left to pay out
// what is left, as the reference's worker does after a params change. It also returns a fresh tracker for
// this connection that starts from the highest payment and committed
// figure seen before: a proxy that restarted may have lost usage it had
// not committed, but nothing it had.
func (w *Worker) accountAt(ctx context.Context, addr string, p tl.ProxyParams, workerSC string) (*account, *payment.Tracker, error) {
	if w.contracts == nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		k := accountKey(addr, nil)
		a := w.accounts[k]
		if a == nil {
			a = &account{Holding: payment.Holding{Endpoint: addr}}
			w.accounts[k] = a
		}
		return a, nil, nil
	}
	pc, err := payment.CheckProxyContracts(p.ProxyPublicKey[:], p.ProxyOwnerAddress, p.ProxySCAddress, workerSC,
		func(proxyOwner *address.Address, key ed25519.PublicKey, sc *address.Address) (*address.Address, error) {
			return w.contracts.WorkerContract(ctx, w.owner, proxyOwner, key, sc)
		})
	if err != nil {
		return nil, nil, err
	}
	w.mu.Lock()
	a, err := payment.Admit(w.accounts, accountKey(addr, pc.Own), addr, pc, errUntrustedProxy, newAccount)
	if err != nil {
		w.mu.Unlock()
		return nil, nil, err
	}
	for _, other := range w.accounts {
		if other.Endpoint == addr {
			other.mu.Lock()
			was, now := other.superseded, other != a
			other.superseded = now
			other.mu.Unlock()
			if now && !was {
				w.log.Info("the proxy moved to a new contract: paying out what is left at the old one",
					"proxy", addr, "old_proxy_contract", other.ProxySC.String(), "proxy_contract", pc.Proxy.String())
			}
		}
	}
	w.mu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	t, err := a.Tracker(workerOps...)
	if err != nil {
		return nil, nil, err
	}
	return a, t, nil
}

// mine is the worker's view of its account for the balance comparison.
func (a *account) mine() billing.Balance {
	a.mu.Lock()
	defer a.mu.Unlock()
	return billing.Balance{CommittedToDB: a.DB, Tokens: a.Max}
}

// forgetUncommitted lowers the total to what a restarted proxy reports,
// once the comparison has shown that it kept every committed token.
func (a *account) forgetUncommitted(total int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Max = min(a.Max, total)
}

// workerOps are the signed payments a worker contract accepts.
var workerOps = []payment.Op{payment.OpWorkerPayout, payment.OpWorkerLastPayout}

// figures are the proxy's latest accepted figures on this connection.
func (pc *proxyConn) figures() payment.Figures {
	if pc.tracker != nil {
		return pc.tracker.Figures()
	}
	b := pc.account.mine()
	return payment.Figures{DB: b.CommittedToDB, Max: b.Tokens}
}

// payment takes one payment report from the proxy: the signed payout must
// verify, and no figure may go backwards within a connection.
func (pc *proxyConn) payment(sp tl.ProxySignedPaymentT, db, total int64) error {
	pc.payMu.Lock()
	defer pc.payMu.Unlock()
	return pc.paymentLocked(payment.BOC(sp), db, total)
}

// pollAnswer takes the answer to a payment status poll sent while the
// connection held asked. Reports that the proxy sends as packets after
// answering may overtake the answer, so the answer must not fall below
// asked but may fall below newer figures: its payout is then only
// verified, and the newer figures are kept.
func (pc *proxyConn) pollAnswer(sp tl.ProxySignedPaymentT, db, total int64, asked payment.Figures) error {
	pc.payMu.Lock()
	defer pc.payMu.Unlock()
	boc := payment.BOC(sp)
	// Without contracts the worker checks no payments: only the figures.
	checked := boc
	if pc.tracker == nil {
		checked = nil
	}
	apply, err := pc.account.JudgePollAnswer(pc.figures(), asked, checked, db, total, billing.ErrRollback, workerOps...)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", errUntrustedProxy, err)
	case apply:
		return pc.paymentLocked(boc, db, total)
	}
	return nil
}

// paymentLocked applies a report; the caller holds payMu.
func (pc *proxyConn) paymentLocked(boc []byte, db, total int64) error {
	a := pc.account
	if pc.tracker == nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		if db < a.DB || total < a.Max {
			return fmt.Errorf("figures %d committed, %d total below %d, %d: %w", db, total, a.DB, a.Max, billing.ErrRollback)
		}
		a.DB, a.Max = db, total
		return nil
	}
	if err := pc.tracker.Update(boc, db, total); err != nil {
		return fmt.Errorf("%w: %w", errUntrustedProxy, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Record(pc.tracker)
	return nil
}

// refuse drops the connection to a proxy whose report cannot be trusted.
func (pc *proxyConn) refuse(err error) {
	pc.w.log.Error("refusing proxy: bad payment report", "proxy", pc.addr, "err", err)
	pc.sess.Abort(err)
}

// report takes a payment report outside the handshake; a bad one drops
// the connection with a logged error.
func (pc *proxyConn) report(sp tl.ProxySignedPaymentT, db, total int64) bool {
	if err := pc.payment(sp, db, total); err != nil {
		pc.refuse(err)
		return false
	}
	return true
}

// requestPayment records what one request earned.
func (pc *proxyConn) requestPayment(m *tl.ProxyWorkerRequestPayment) {
	if !pc.report(m.SignedPayment, m.DBTokens, m.MaxTokens) {
		return
	}
	a := pc.account
	a.mu.Lock()
	a.Requests++
	a.mu.Unlock()
}

// AccountSnapshot is the worker's account at one proxy as the proxy's
// verified reports give it.
type AccountSnapshot struct {
	Proxy           string `json:"proxy"`
	ProxySCAddress  string `json:"proxy_sc_address,omitempty"`
	WorkerSCAddress string `json:"worker_sc_address,omitempty"`
	SignedTokens    int64  `json:"signed_tokens"`
	DBTokens        int64  `json:"tokens_committed_to_db"`
	MaxTokens       int64  `json:"max_tokens"`
	// Requests counts the requests the proxy reported paying for, since
	// the worker's state file began (since start without one).
	Requests int64 `json:"requests"`
	// Tokens is what the proxy's ledger holds for this worker contract
	// (MaxTokens): every token earned there, across restarts of either.
	Tokens int64 `json:"tokens"`
	// EarnedNano is Tokens valued at the worker fee of the account's
	// contract once read from the chain (and kept in the state file),
	// else at the worker's own.
	EarnedNano int64 `json:"earned_nano,string"`
	// Chain is the worker contract as last read, with a chain only.
	Chain *AccountChainSnapshot `json:"chain,omitempty"`
}

// EarnedSnapshot sums what the worker earned at every proxy contract.
type EarnedSnapshot struct {
	Requests   int64 `json:"requests"`
	Tokens     int64 `json:"tokens"`
	EarnedNano int64 `json:"earned_nano,string"`
}

func (w *Worker) accountsSnapshot() ([]AccountSnapshot, EarnedSnapshot) {
	endpoints, accts := w.accountList()
	out := make([]AccountSnapshot, 0, len(accts))
	var sum EarnedSnapshot
	for i, a := range accts {
		addr := endpoints[i]
		s := AccountSnapshot{Proxy: addr}
		if a.ProxySC != nil {
			s.ProxySCAddress, s.WorkerSCAddress = a.ProxySC.String(), a.Own.String()
		}
		a.mu.Lock()
		s.SignedTokens, s.DBTokens, s.MaxTokens = a.Signed, a.DB, a.Max
		s.Requests, s.Tokens = a.Requests, a.Max
		if w.chain != nil {
			s.Chain = w.chainSnapshot(a)
		}
		fee := w.feeOf(a)
		a.mu.Unlock()
		earned, err := fee.Mul(s.Tokens)
		if err != nil {
			w.log.Error("valuing the tokens earned", "proxy", addr, "err", err)
		}
		s.EarnedNano = int64(earned)
		sum.Requests += s.Requests
		sum.Tokens += s.Tokens
		sum.EarnedNano += s.EarnedNano
		out = append(out, s)
	}
	return out, sum
}

// accountList lists the accounts with their proxies' endpoints, in the
// order of the endpoints, then of the accounts' keys.
func (w *Worker) accountList() ([]string, []*account) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return payment.Sorted(w.accounts)
}
