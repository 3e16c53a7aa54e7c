package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// Payment status polling, as the reference asks every 10–20 s.
const (
	paymentPollEvery = 15 * time.Second
	paymentTimeout   = 60 * time.Second
)

// Contracts checks a proxy's contract and derives this client's contract
// under it, as the root contract deploys them; contracts.Derivation derives
// them from fixed params, onchain.Contracts from what the chain holds.
type Contracts interface {
	// ClientContract checks that proxySC is the contract of the proxy
	// owned by proxyOwner with key proxyKey and returns the client
	// contract of owner under it.
	ClientContract(ctx context.Context, owner, proxyOwner *address.Address, proxyKey ed25519.PublicKey, proxySC *address.Address) (*address.Address, error)
}

// errProxyRolledBack reports a proxy whose account of this client went
// backwards or whose payment does not verify.
var errProxyRolledBack = errors.New("proxy's account of this client is not to be trusted")

// account is what the client knows of its account at one client
// contract, kept across reconnections and, with a state file, restarts:
// the proxy's key and contracts as first seen, the highest verified
// charge and the proxy's figures. Accounts are keyed by the client
// contract: a proxy that moves to a new contract, as after a change of
// the root's params (the reference's proxy then deploys a new contract),
// opens a new account under
// it, as does a new contract of the client at the same proxy; the old
// one keeps what the old contract owes.
type account struct {
	// Holding is the account at the client contract (Own), its best
	// signed charge and the proxy's figures; the Client's mu guards its
	// Endpoint (the proxy's client endpoint last connected), mu the rest.
	payment.Holding
	mu sync.Mutex
}

func newAccount(h payment.Holding) *account { return &account{Holding: h} }

// checkProxy verifies the proxy's contracts as the reference does: the
// proxy contract the proxy names must be its owner's and key's (deployed
// with them under our root, or derived from the root's current params),
// and the client contract the proxy names must derive from owner (that
// of the generation of our contracts we named) under it; a proxy whose
// key changed since first seen is refused, and one that names another
// contract than before is a new account under it. It returns the account
// at the client contract and a fresh tracker for this
// connection, which starts from the highest payment and committed figure
// seen before, so that a proxy that restarted may have lost usage it had
// not committed, but nothing it had.
func (c *Client) checkProxy(ctx context.Context, addr string, p tl.ProxyParams, clientSC string, owner *address.Address) (*account, *payment.Tracker, error) {
	if c.contracts == nil {
		return nil, nil, nil
	}
	pc, err := payment.CheckProxyContracts(p.ProxyPublicKey[:], p.ProxyOwnerAddress, p.ProxySCAddress, clientSC,
		func(proxyOwner *address.Address, key ed25519.PublicKey, sc *address.Address) (*address.Address, error) {
			return c.contracts.ClientContract(ctx, owner, proxyOwner, key, sc)
		})
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	a, err := payment.Admit(c.accounts, pc.Own.String(), addr, pc, errProxyRolledBack, newAccount)
	c.mu.Unlock()
	if err != nil {
		return nil, nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t, err := a.Tracker(clientOps...)
	if err != nil {
		return nil, nil, err
	}
	return a, t, nil
}

// payment takes one payment report from the proxy. A payment that does not
// verify or figures that go backwards drop the connection.
func (pc *proxyConn) payment(sp tl.ProxySignedPaymentT, db, total int64) error {
	if pc.tracker == nil {
		return nil
	}
	pc.payMu.Lock()
	defer pc.payMu.Unlock()
	return pc.paymentLocked(payment.BOC(sp), db, total)
}

// clientOps are the signed payments a client contract accepts.
var clientOps = []payment.Op{payment.OpClientCharge, payment.OpClientGrantRefund}

// refuse drops the connection to a proxy whose report cannot be trusted.
func (pc *proxyConn) refuse(err error) error {
	err = fmt.Errorf("%w: %w", errProxyRolledBack, err)
	pc.c.log.Error("refusing proxy: bad payment report", "proxy", pc.addr, "err", err)
	pc.sess.Abort(err)
	return err
}

// pollAnswer takes the answer to a payment status poll sent while the
// tracker held asked. Reports that the proxy sends as packets after
// answering may overtake the answer, so the answer must not fall below
// asked but may fall below newer figures: its payment is then only
// verified, and the newer figures are kept.
func (pc *proxyConn) pollAnswer(sp tl.ProxySignedPaymentT, db, total int64, asked payment.Figures) error {
	if pc.tracker == nil {
		return nil
	}
	pc.payMu.Lock()
	defer pc.payMu.Unlock()
	boc := payment.BOC(sp)
	apply, err := pc.account.JudgePollAnswer(pc.tracker.Figures(), asked, boc, db, total, payment.ErrWentBackwards, clientOps...)
	switch {
	case err != nil:
		return pc.refuse(err)
	case apply:
		return pc.paymentLocked(boc, db, total)
	}
	return nil
}

// paymentLocked applies a report; the caller holds payMu.
func (pc *proxyConn) paymentLocked(boc []byte, db, total int64) error {
	if err := pc.tracker.Update(boc, db, total); err != nil {
		return pc.refuse(err)
	}
	a := pc.account
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Record(pc.tracker)
	return nil
}

// pollPayment asks the proxy for its account of this client.
func (pc *proxyConn) pollPayment(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, paymentTimeout)
	defer cancel()
	var asked payment.Figures
	if pc.tracker != nil {
		asked = pc.tracker.Figures()
	}
	b, err := pc.sess.Query(qctx, tl.Marshal(&tl.ClientUpdatePaymentStatus{}))
	if err != nil {
		pc.c.log.Debug("payment status poll failed", "proxy", pc.addr, "err", err)
		return
	}
	var st tl.ClientPaymentStatus
	if err := tl.UnmarshalAs(b, &st); err != nil {
		pc.c.log.Debug("payment status poll failed", "proxy", pc.addr, "err", err)
		return
	}
	pc.pollAnswer(st.SignedPayment, st.DBTokens, st.MaxTokens, asked)
}

// requestPayment records what one request cost.
func (pc *proxyConn) requestPayment(m *tl.ProxyClientRequestPayment) {
	if pc.payment(m.SignedPayment, m.DBTokens, m.MaxTokens) != nil || pc.account == nil {
		return
	}
	a := pc.account
	a.mu.Lock()
	a.Requests++
	a.mu.Unlock()
}

// AccountSnapshot is the client's account at one proxy as the proxy's
// verified reports give it.
type AccountSnapshot struct {
	Proxy           string `json:"proxy"`
	ProxySCAddress  string `json:"proxy_sc_address"`
	ClientSCAddress string `json:"client_sc_address"`
	// SignedTokens is the highest signed charge; DBTokens and MaxTokens
	// the proxy's committed and total figures.
	SignedTokens int64 `json:"signed_tokens"`
	DBTokens     int64 `json:"tokens_committed_to_db"`
	MaxTokens    int64 `json:"max_tokens"`
	// Requests counts the requests the proxy reported billing, since the
	// client's state file began (since start without one).
	Requests int64 `json:"requests"`
	// Tokens is what the proxy's ledger holds for this client contract
	// (MaxTokens): every token billed there, across restarts of either.
	Tokens int64 `json:"tokens"`
	// PaidNano is Tokens valued at the price of the account's client
	// contract's params once read from the chain (and kept in the state
	// file), else at the client's own.
	PaidNano int64 `json:"paid_nano,string"`
}

// PaidSnapshot sums what the client paid at every client contract.
type PaidSnapshot struct {
	Requests int64 `json:"requests"`
	Tokens   int64 `json:"tokens"`
	PaidNano int64 `json:"paid_nano,string"`
}

// accountsSnapshot lists the accounts by proxy endpoint, then client
// contract, and their sums.
func (c *Client) accountsSnapshot() ([]AccountSnapshot, PaidSnapshot) {
	c.mu.Lock()
	endpoints, accts := payment.Sorted(c.accounts)
	c.mu.Unlock()
	contracts := c.chainAccounts()
	out := make([]AccountSnapshot, 0, len(accts))
	var sum PaidSnapshot
	for i, a := range accts {
		addr := endpoints[i]
		a.mu.Lock()
		s := AccountSnapshot{
			Proxy: addr, ProxySCAddress: a.ProxySC.String(), ClientSCAddress: a.Own.String(),
			SignedTokens: a.Signed, DBTokens: a.DB, MaxTokens: a.Max, Requests: a.Requests, Tokens: a.Max,
		}
		a.mu.Unlock()
		paid, err := c.priceOf(a, contracts).Mul(s.Tokens)
		if err != nil {
			c.log.Error("valuing the tokens charged", "proxy", addr, "err", err)
		}
		s.PaidNano = int64(paid)
		sum.Requests += s.Requests
		sum.Tokens += s.Tokens
		sum.PaidNano += s.PaidNano
		out = append(out, s)
	}
	return out, sum
}

// priceOf is the price at which the usage of account a is valued: that
// of its client contract's params, once a read of the contract among
// contracts has given it, else the client's own (without a chain, as on
// fake TON, there is no contract to read).
func (c *Client) priceOf(a *account, contracts []*chainAccount) billing.NanoTON {
	for _, ca := range contracts {
		if !ca.address.Equals(a.Own) {
			continue
		}
		ca.mu.Lock()
		defer ca.mu.Unlock()
		if ca.observed {
			return ca.contract.PricePerToken
		}
		break
	}
	return c.prices.PricePerToken
}
