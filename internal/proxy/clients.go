package proxy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// Handshake states of a client connection.
const (
	clientAwaitConnect = iota
	clientAwaitAuth
	clientAuthorising // waiting for the chain to show the long path's proof
	clientReady
	clientRefused // a wrong secret: the connection is never authorised
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
	// contract is the client's contract, set with the account, under
	// the proxy contract inst; both nil without contracts.
	contract *address.Address
	inst     *instance
	ext      bool // the client is a cocoon-go node
	// secretHash is the hash of the secret the client proves on the short
	// path, set with the account when short authentication was offered;
	// nil otherwise.
	secretHash *[32]byte
	// nonce is the long path's nonce offered at connectToProxy.
	nonce uint64
	// onChain is the client contract's state read at connectToProxy when
	// short authentication was offered from the chain; nil otherwise.
	onChain *billing.ClientChain
	reqs    map[[32]byte]*request // by the client's request id

	// payMu serialises reading the account and sending a payment report,
	// so that reports leave in the order of their figures, which only
	// grow; a client refuses a proxy whose figures go backwards.
	payMu sync.Mutex
}

// serveClient runs one client connection until it or ctx ends.
func (p *Proxy) serveClient(ctx context.Context, conn *tls.Conn) {
	cc := &clientConn{p: p, remote: conn.RemoteAddr().String(), reqs: map[[32]byte]*request{}}
	cc.sess = wire.NewSession(conn, wire.Config{Handler: cc, Logger: p.log, BorrowPackets: true})
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
		case q.MinConfigVersion > p.rootVersion.Load():
			return bad("active config version is too low")
		}
		proto, err := commonProto(c.Flags, c.MinProtoVersion, c.MaxProtoVersion)
		if err != nil {
			return nil, err
		}
		contract, in, err := p.peerContract(billing.KindClient, c.ClientOwnerAddress)
		if err != nil {
			return bad("%v", err)
		}
		account := accountKey(c.ClientOwnerAddress, cc.remote)
		scAddress := ""
		if contract != nil {
			account, scAddress = contract.String(), p.cfg.WireAddress(contract)
		}
		var nonce [8]byte
		rand.Read(nonce[:])
		n := int64(binary.LittleEndian.Uint64(nonce[:]))
		// Without a chain, a client the proxy already has an account for
		// (seen before in this run or restored from the store) is offered
		// the short path, with the fake-TON contract's secret hash. With a
		// chain, a client whose contract is deployed and not closed is
		// offered the short path with the contract's secret hash.
		var auth tl.ClientProxyConnectionAuth = &tl.ClientProxyConnectionAuthLong{Nonce: n}
		var secretHash *[32]byte
		var onChain *billing.ClientChain
		pay := emptyPayment
		a, err := p.ledger.Client(account)
		if err == nil {
			pay = p.signed(billing.KindClient, contract, a)
		}
		switch {
		case p.chain != nil && contract != nil:
			sc, err := p.chain.Client(ctx, contract)
			switch {
			case err == nil && sc.State != billing.ClientClosed:
				h := sc.SecretHash
				secretHash, onChain = &h, &sc.ClientChain
				auth = &tl.ClientProxyConnectionAuthShort{SecretHash: h, Nonce: n}
			case err != nil && !errors.Is(err, ErrNoContract):
				p.chainFailed("reading client contract "+account, err)
			}
		case err == nil:
			h := fakeClientSecretHash
			secretHash = &h
			auth = &tl.ClientProxyConnectionAuthShort{SecretHash: h, Nonce: n}
		}
		cc.mu.Lock()
		cc.state, cc.owner, cc.ext = clientAwaitAuth, c.ClientOwnerAddress, c.Flags&tl.ExtFlag != 0
		cc.account, cc.contract, cc.inst, cc.secretHash = account, contract, in, secretHash
		cc.nonce, cc.onChain = uint64(n), onChain
		cc.mu.Unlock()
		return tl.Marshal(&tl.ClientConnectedToProxy{
			Params: p.params(proto, in), ClientSCAddress: scAddress, Auth: auth, SignedPayment: pay,
		}), nil
	case *tl.ClientAuthorizeWithProxyLong:
		// Without a chain the long path succeeds at once, as the fake-TON
		// semantics accept it, whichever path was offered. With a chain it
		// waits for the client contract's register notice with the nonce.
		if !cc.advance(clientAwaitAuth, clientAuthorising) {
			return bad("client.authorizeWithProxyLong out of order")
		}
		state, err := cc.proveLong(ctx)
		if err != nil {
			cc.advance(clientAuthorising, clientAwaitAuth)
			p.auths.longFailed.Add(1)
			p.log.Info("client long authorisation failed", "remote", cc.remote, "err", err)
			return tl.Marshal(&tl.ClientAuthorizationWithProxyFailed{ErrorCode: wire.CodeError, Error: err.Error()}), nil
		}
		cc.advance(clientAuthorising, clientReady)
		b, err := cc.authorise(state)
		if err == nil {
			p.auths.long.Add(1)
		}
		return b, err
	case *tl.ClientAuthorizeWithProxyShort:
		cc.mu.Lock()
		want := cc.secretHash
		cc.mu.Unlock()
		if want == nil {
			if state != clientAwaitAuth {
				return bad("client.authorizeWithProxyShort out of order")
			}
			return tl.Marshal(&tl.ClientAuthorizationWithProxyFailed{ErrorCode: wire.CodeProtoViolation, Error: "short authentication was not offered"}), nil
		}
		got := sha256.Sum256(q.Data)
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			if !cc.advance(clientAwaitAuth, clientRefused) {
				return bad("client.authorizeWithProxyShort out of order")
			}
			p.auths.refused.Add(1)
			p.log.Info("client refused: wrong secret", "remote", cc.remote)
			return tl.Marshal(&tl.ClientAuthorizationWithProxyFailed{ErrorCode: wire.CodeError, Error: "the secret does not match the client contract's secret hash"}), nil
		}
		if !cc.advance(clientAwaitAuth, clientReady) {
			return bad("client.authorizeWithProxyShort out of order")
		}
		state := fakeClientChain(p.clientStake)
		cc.mu.Lock()
		if cc.onChain != nil {
			state = *cc.onChain
		}
		cc.mu.Unlock()
		b, err := cc.authorise(state)
		if err == nil {
			p.auths.short.Add(1)
		}
		return b, err
	case *tl.ClientGetWorkerTypesV2:
		if state != clientReady {
			return bad("client.getWorkerTypesV2 before authorisation")
		}
		return tl.Marshal(p.workerTypes()), nil
	case *tl.CocoonGetModelEndpoints:
		if state != clientReady {
			return bad("cocoon.getModelEndpoints before authorisation")
		}
		return tl.Marshal(p.modelEndpoints()), nil
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

// advance moves the handshake from state from to state to, and reports
// whether it was in state from: of two authorisations racing, one wins.
func (cc *clientConn) advance(from, to int) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.state != from {
		return false
	}
	cc.state = to
	return true
}

// proveLong checks the long path's proof and returns the client
// contract's state: without a chain, the fake-TON state at once; with one,
// once the chain shows the contract's owner_client_register with this
// connection's nonce, waiting at most longAuthWait.
func (cc *clientConn) proveLong(ctx context.Context) (billing.ClientChain, error) {
	p := cc.p
	if p.chain == nil {
		return fakeClientChain(p.clientStake), nil
	}
	cc.mu.Lock()
	contract, nonce := cc.contract, cc.nonce
	cc.mu.Unlock()
	if contract == nil {
		return billing.ClientChain{}, errors.New("long authentication needs a client contract address")
	}
	wctx, cancel := context.WithTimeout(ctx, longAuthWait)
	defer cancel()
	for {
		ok, err := p.chain.Registered(wctx, contract, nonce)
		if err != nil && wctx.Err() == nil {
			p.chainFailed("checking the registration of client contract "+contract.String(), err)
		}
		if ok {
			break
		}
		select {
		case <-wctx.Done():
			return billing.ClientChain{}, fmt.Errorf("client contract %s has not registered this connection's nonce %d on chain in time (owner_client_register)", contract, nonce)
		case <-time.After(registerPoll):
		}
	}
	sc, err := p.chain.Client(ctx, contract)
	if err != nil {
		p.chainFailed("reading client contract "+contract.String(), err)
		return billing.ClientChain{}, fmt.Errorf("reading client contract %s after its registration: %w", contract, err)
	}
	return sc.ClientChain, nil
}

// authorise opens or refreshes the account of a connection just made
// ready with the client contract's state, and answers with it.
func (cc *clientConn) authorise(state billing.ClientChain) ([]byte, error) {
	p := cc.p
	if err := p.ledger.UpdateClient(cc.account, cc.owner, state); err != nil {
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
