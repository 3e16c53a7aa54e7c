package proxy

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/tl"
)

// fakeClientChain is the fake-TON state of a client contract, as the
// reference's pseudo root config gives every new client: a large prepaid
// balance and a stake (by default the minimum client stake), which bounds
// uncharged usage.
func fakeClientChain(stake billing.NanoTON) billing.ClientChain {
	return billing.ClientChain{State: billing.ClientRunning, Balance: 1_000_000 * billing.TON, Stake: stake}
}

// fakeClientSecretHash is the secret hash on every fake-TON client
// contract: the reference's pseudo contract state holds sha256(""), so a
// client with an empty secret_string authenticates the short way. A chain
// reader will take the hash from each client contract's state instead.
var fakeClientSecretHash = sha256.Sum256(nil)

// DefaultClientStake is the fake-TON stake of every client contract: the
// minimum client stake of the reference's pseudo root config.
const DefaultClientStake = billing.TON

// accountKey names a peer's ledger account when no contracts are derived:
// the owner address, or the connection for an anonymous peer.
func accountKey(owner, remote string) string {
	if owner != "" {
		return owner
	}
	return "anonymous@" + remote
}

// pricesOf is what the requests of a client connection are billed at:
// the prices of the proxy contract its account is under, which a
// rollover does not change for a request that runs across it; without
// contracts, the ledger's.
func (p *Proxy) pricesOf(cc *clientConn) billing.Prices {
	if cc.inst != nil {
		return cc.inst.prices
	}
	return p.ledger.Prices()
}

// reserve holds a request's worst-case cost at prices against its
// client's balance, as the reference reserves max_tokens plus the
// request's size in bytes at the client's maximum coefficient.
func (p *Proxy) reserve(client string, m *tl.ClientRunQueryEx, prices billing.Prices) (*billing.Hold, error) {
	if m.MaxTokens < 0 || m.MaxCoefficient < 0 {
		return nil, fmt.Errorf("invalid request: max_tokens %d, max_coefficient %d", m.MaxTokens, m.MaxCoefficient)
	}
	res, err := billing.Reserve(int64(m.MaxTokens), int64(len(m.Query)), int64(m.MaxCoefficient), prices)
	if err != nil {
		return nil, err
	}
	h, err := p.ledger.Hold(client, res)
	switch {
	case errors.Is(err, billing.ErrInsufficientBalance):
		return nil, fmt.Errorf("client balance is too low: %w", err)
	case errors.Is(err, billing.ErrClientNotRunning):
		return nil, errors.New("client is closing")
	}
	return h, err
}

// settle bills a finished request to its client and its last worker and
// sends both the proxy's account of them, as the reference does after
// every request. Unlike the reference, the worker is not told which client
// it served. It returns the tokens billed.
func (p *Proxy) settle(r *request, outcome billing.Outcome) int64 {
	if r.hold == nil {
		return 0
	}
	if r.last == nil {
		if err := p.ledger.Release(r.hold); err != nil {
			p.log.Error("releasing a reservation", "err", err)
		}
		return 0
	}
	s, err := p.ledger.SettleAt(r.hold, r.last.account, r.tokens, outcome, r.prices)
	if err != nil {
		p.log.Error("settling a request", "err", err)
		return 0
	}
	if s.Capped {
		p.log.Warn("request used more tokens than it reserved; billed up to the reservation", "client", r.cc.account, "tokens", r.tokens, "billed", s.Tokens)
	}
	r.cc.payMu.Lock()
	if c, err := p.ledger.Client(r.cc.account); err == nil {
		r.cc.sess.Send(tl.Marshal(&tl.ProxyClientRequestPayment{RequestID: r.clientID, SignedPayment: p.signed(billing.KindClient, r.cc.contract, c), DBTokens: c.CommittedToDB, MaxTokens: c.Tokens, RequestTokens: s.Tokens}))
	}
	r.cc.payMu.Unlock()
	r.last.payMu.Lock()
	if w, err := p.ledger.Worker(r.last.account); err == nil {
		r.last.sess.Send(tl.Marshal(&tl.ProxyWorkerRequestPayment{RequestID: r.wid, SignedPayment: p.signed(billing.KindWorker, r.last.contract, w), DBTokens: w.CommittedToDB, MaxTokens: w.Tokens, RequestTokens: s.Tokens}))
	}
	r.last.payMu.Unlock()
	return s.Tokens
}
