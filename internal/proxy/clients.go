package proxy

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// Handshake states of a client connection.
const (
	clientAwaitConnect = iota
	clientAwaitAuth
	clientReady
)

// clientConn is one client's connection.
type clientConn struct {
	p      *Proxy
	sess   *wire.Session
	remote string

	// mu guards the fields below.
	mu      sync.Mutex
	state   int
	owner   string
	account string // the client's ledger account, set before ready
	// contract is the client's contract, set with the account; nil
	// without contracts.
	contract *address.Address
	ext      bool                  // the client is a cocoon-go node
	reqs     map[[32]byte]*request // by the client's request id

	// payMu serialises reading the account and sending a payment report,
	// so that reports leave in the order of their figures, which only
	// grow; a client refuses a proxy whose figures go backwards.
	payMu sync.Mutex
}

// serveClient runs one client connection until it or ctx ends.
func (p *Proxy) serveClient(ctx context.Context, conn *tls.Conn) {
	cc := &clientConn{p: p, remote: conn.RemoteAddr().String(), reqs: map[[32]byte]*request{}}
	cc.sess = wire.NewSession(conn, wire.Config{Handler: cc, Logger: p.log})
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	err := cc.sess.Start(hctx)
	cancel()
	if err != nil {
		p.log.Debug("client session did not start", "remote", cc.remote, "err", err)
		cc.sess.Close()
		return
	}
	select {
	case <-ctx.Done():
	case <-cc.sess.Done():
	}
	cc.sess.Close()
	p.mu.Lock()
	delete(p.clients, cc)
	p.mu.Unlock()
	cc.mu.Lock()
	left := make([]*request, 0, len(cc.reqs))
	for _, r := range cc.reqs {
		left = append(left, r)
	}
	cc.mu.Unlock()
	for _, r := range left {
		r.clientCancelled()
	}
	p.log.Debug("client disconnected", "remote", cc.remote, "err", cc.sess.Err())
}

// ServeQuery runs the client handshake and answers worker-type and
// payment-status queries.
func (cc *clientConn) ServeQuery(ctx context.Context, payload []byte) ([]byte, error) {
	p := cc.p
	obj, err := tl.Unmarshal(payload)
	if err != nil {
		return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: "undecodable query: " + err.Error()}
	}
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: fmt.Sprintf(format, args...)}
	}
	cc.mu.Lock()
	state := cc.state
	cc.mu.Unlock()
	switch q := obj.(type) {
	case *tl.ClientConnectToProxy:
		if state != clientAwaitConnect {
			return bad("client.connectToProxy out of order")
		}
		c := q.Params
		switch {
		case c.Flags&1 == 0:
			return bad("client params lack is_test")
		case c.IsTest != p.cfg.IsTest:
			return bad("client is_test=%v, proxy is_test=%v", c.IsTest, p.cfg.IsTest)
		case q.MinConfigVersion > p.cfg.RootConfigVersion:
			return bad("active config version is too low")
		}
		proto, err := commonProto(c.Flags, c.MinProtoVersion, c.MaxProtoVersion)
		if err != nil {
			return nil, err
		}
		contract, err := p.peerContract(billing.KindClient, c.ClientOwnerAddress)
		if err != nil {
			return bad("%v", err)
		}
		account := accountKey(c.ClientOwnerAddress, cc.remote)
		scAddress := ""
		if contract != nil {
			account, scAddress = contract.String(), contract.String()
		}
		var nonce [8]byte
		rand.Read(nonce[:])
		cc.mu.Lock()
		cc.state, cc.owner, cc.ext = clientAwaitAuth, c.ClientOwnerAddress, c.Flags&tl.ExtFlag != 0
		cc.account, cc.contract = account, contract
		cc.mu.Unlock()
		pay := emptyPayment
		if a, err := p.ledger.Client(account); err == nil {
			pay = p.signed(billing.KindClient, contract, a)
		}
		// Without a chain every client is new to us, so it authenticates
		// the long way, which the fake-TON semantics accept at once.
		return tl.Marshal(&tl.ClientConnectedToProxy{
			Params: p.params(proto), ClientSCAddress: scAddress,
			Auth:          &tl.ClientProxyConnectionAuthLong{Nonce: int64(binary.LittleEndian.Uint64(nonce[:]))},
			SignedPayment: pay,
		}), nil
	case *tl.ClientAuthorizeWithProxyLong:
		if state != clientAwaitAuth {
			return bad("client.authorizeWithProxyLong out of order")
		}
		cc.mu.Lock()
		cc.state = clientReady
		cc.mu.Unlock()
		if err := p.ledger.UpdateClient(cc.account, cc.owner, fakeClientChain(p.clientStake)); err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: "opening the client's account: " + err.Error()}
		}
		a, err := p.ledger.Client(cc.account)
		if err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: err.Error()}
		}
		p.mu.Lock()
		p.clients[cc] = struct{}{}
		p.mu.Unlock()
		return tl.Marshal(&tl.ClientAuthorizationWithProxySuccess{
			SignedPayment: p.signed(billing.KindClient, cc.contract, a), TokensCommittedToDB: a.CommittedToDB, MaxTokens: a.Tokens,
		}), nil
	case *tl.ClientAuthorizeWithProxyShort:
		return tl.Marshal(&tl.ClientAuthorizationWithProxyFailed{ErrorCode: wire.CodeProtoViolation, Error: "short authentication was not offered"}), nil
	case *tl.ClientGetWorkerTypesV2:
		if state != clientReady {
			return bad("client.getWorkerTypesV2 before authorisation")
		}
		return tl.Marshal(p.workerTypes()), nil
	case *tl.ClientGetWorkerTypes:
		if state != clientReady {
			return bad("client.getWorkerTypes before authorisation")
		}
		return tl.Marshal(p.workerTypesV1()), nil
	case *tl.ClientUpdatePaymentStatus:
		if state != clientReady {
			return bad("client.updatePaymentStatus before authorisation")
		}
		a, err := p.ledger.Client(cc.account)
		if err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: err.Error()}
		}
		return tl.Marshal(&tl.ClientPaymentStatus{SignedPayment: p.signed(billing.KindClient, cc.contract, a), DBTokens: a.CommittedToDB, MaxTokens: a.Tokens}), nil
	}
	return bad("unexpected query %s from client", tl.Name(obj.TLID()))
}

// ServePacket takes the client's requests and cancellations.
func (cc *clientConn) ServePacket(payload []byte) {
	p := cc.p
	cc.mu.Lock()
	ready := cc.state == clientReady
	cc.mu.Unlock()
	if !ready {
		cc.sess.Abort(fmt.Errorf("client sent a packet before authorisation: %w", wire.ErrProtocol))
		return
	}
	obj, err := tl.Unmarshal(payload)
	if err != nil {
		p.log.Debug("dropping undecodable packet from client", "remote", cc.remote, "err", err)
		return
	}
	switch m := obj.(type) {
	case *tl.CocoonCancelQuery:
		cc.mu.Lock()
		r := cc.reqs[m.RequestID]
		cc.mu.Unlock()
		if r != nil {
			r.clientCancelled()
		}
	case *tl.ClientRunQueryEx:
		p.forward(cc, m)
	case *tl.ClientRunQuery:
		cc.sess.Send(tl.Marshal(&tl.ClientQueryAnswerError{ErrorCode: wire.CodeProtoViolation, Error: "client.runQuery needs protocol 0; use client.runQueryEx", RequestID: m.RequestID}))
	default:
		p.log.Debug("ignoring packet from client", "remote", cc.remote, "type", tl.Name(obj.TLID()))
	}
}
