package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// Handshake states of a worker connection.
const (
	workerAwaitConnect = iota
	workerAwaitCompare
	workerAwaitComplete // after the comparison, extended or not
	workerReady
)

// workerConn is one worker's connection.
type workerConn struct {
	p      *Proxy
	sess   *wire.Session
	remote string
	// certs are the worker's RA-TLS certificates, set before the session
	// starts.
	certs []*x509.Certificate

	// mu guards state, params, reqs and evicted.
	mu     sync.Mutex
	state  int
	params tl.WorkerParams
	reqs   map[[32]byte]*request // by worker-side request id
	// evicted is why the proxy ended the connection, if it did: the root
	// or the worker's attestation no longer admits it.
	evicted error

	// Set once in the handshake, read-only once ready.
	id        uint64
	model     string           // base model name
	fullModel string           // the model name the worker offered, Org/M@commit:verity
	image     [32]byte         // the worker's attested image hash; zero without a chain
	account   string           // the worker's ledger account
	contract  *address.Address // the worker's contract; nil without contracts
	inst      *instance        // the proxy contract it is under; nil without contracts
	// payMu serialises reading the account and sending a payment report,
	// as clientConn.payMu does.
	payMu sync.Mutex
	ext   bool // the worker is a cocoon-go node
	// endpoints are those the worker serves: the reference's unless it
	// declared others in its handshake; audioRate is the rate its audio
	// seconds are billed at, its declared one capped. Set before the
	// worker is ready and read-only after.
	endpoints []string
	audioRate int64

	// Selection fields, guarded by Proxy.mu.
	enabled     bool
	coefficient int32
	capacity    int
	running     int
	latency     time.Duration
	successes   uint64
	failures    uint64
}

// serveWorker runs one worker connection until it or ctx ends.
func (p *Proxy) serveWorker(ctx context.Context, conn *tls.Conn) {
	wc := &workerConn{p: p, remote: conn.RemoteAddr().String(), reqs: map[[32]byte]*request{}, certs: conn.ConnectionState().PeerCertificates}
	wc.sess = wire.NewSession(conn, wire.Config{Handler: wc, Logger: p.log, BorrowPackets: true})
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	err := wc.sess.Start(hctx)
	cancel()
	if err != nil {
		p.log.Debug("worker session did not start", "remote", wc.remote, "err", err)
		wc.sess.Close()
		return
	}
	select {
	case <-ctx.Done():
	case <-wc.sess.Done():
	}
	wc.sess.Close()
	p.removeWorker(wc)
	wc.mu.Lock()
	lost := make(map[[32]byte]*request, len(wc.reqs))
	for id, r := range wc.reqs {
		lost[id] = r
	}
	why := "worker connection lost"
	if wc.evicted != nil {
		why = "worker evicted: " + wc.evicted.Error()
	}
	wc.mu.Unlock()
	for id, r := range lost {
		r.workerFailed(wc, id, wire.CodeNotReady, why, nil)
	}
	p.log.Info("worker disconnected", "remote", wc.remote, "model", wc.model, "err", wc.sess.Err())
}

// addWorker puts a worker that completed its handshake into the
// selection, unless the root's lists in force no longer admit it.
func (p *Proxy) addWorker(wc *workerConn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.listsAdmit(wc); err != nil {
		p.refuseWorkerLocked(wc, wc.fullModel, err)
		return err
	}
	delete(p.barred, wc.model)
	p.nextID++
	wc.id = p.nextID
	p.models[wc.model] = append(p.models[wc.model], wc)
	p.seen[wc.model] = true
	n := 0
	for _, ws := range p.models {
		n += len(ws)
	}
	p.metrics.SetConnections(n)
	return nil
}

func (p *Proxy) removeWorker(wc *workerConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removeWorkerLocked(wc)
}

// removeWorkerLocked takes a worker out of the selection and reports
// whether it was in; the caller holds p.mu.
func (p *Proxy) removeWorkerLocked(wc *workerConn) bool {
	ws := p.models[wc.model]
	for i, w := range ws {
		if w == wc {
			p.models[wc.model] = append(ws[:i:i], ws[i+1:]...)
			return true
		}
	}
	return false
}

// baseModel is the model name requests use: the part before '@'.
func baseModel(full string) string {
	base, _, _ := strings.Cut(full, "@")
	return base
}

// ServeQuery runs the worker handshake: connectToProxy, the balance
// comparison (extended or not) and proxyHandshakeComplete; then payment
// status polls.
func (wc *workerConn) ServeQuery(ctx context.Context, payload []byte) ([]byte, error) {
	obj, err := tl.Unmarshal(payload)
	if err != nil {
		return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: "undecodable query: " + err.Error()}
	}
	p := wc.p
	// Admission verifies the worker's quote again, which may take a
	// collateral fetch: outside wc.mu.
	var image [32]byte
	var refused error
	if q, ok := obj.(*tl.WorkerConnectToProxy); ok {
		image, refused = p.admitWorker(ctx, wc, q.Params.Model)
	}
	wc.mu.Lock()
	defer wc.mu.Unlock()
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: fmt.Sprintf(format, args...)}
	}
	switch q := obj.(type) {
	case *tl.WorkerConnectToProxy:
		if wc.state != workerAwaitConnect {
			return bad("worker.connectToProxy out of order")
		}
		w := q.Params
		base, _, _ := strings.Cut(w.Model, "@")
		switch {
		case w.Flags&1 == 0:
			return bad("worker params lack is_test, proxy_cnt and max_active_requests")
		case w.IsTest != p.cfg.IsTest:
			return bad("worker is_test=%v, proxy is_test=%v", w.IsTest, p.cfg.IsTest)
		case base == "":
			return bad("worker offers no model")
		case w.Coefficient < 0 || w.Coefficient >= billing.MaxCoefficient:
			return bad("coefficient %d outside [0, %d)", w.Coefficient, billing.MaxCoefficient)
		case w.MaxActiveRequests < 1:
			return bad("max_active_requests %d below 1", w.MaxActiveRequests)
		case w.ProxyCnt < 1:
			return bad("proxy_cnt %d below 1", w.ProxyCnt)
		}
		proto, err := commonProto(w.Flags, w.MinProtoVersion, w.MaxProtoVersion)
		if err != nil {
			return nil, err
		}
		if refused != nil {
			p.mu.Lock()
			p.refuseWorkerLocked(wc, w.Model, refused)
			p.mu.Unlock()
			return nil, &wire.QueryError{Code: wire.CodeError, Message: "proxy refuses this worker: " + refused.Error()}
		}
		contract, in, err := p.peerContract(billing.KindWorker, w.WorkerOwnerAddress)
		if err != nil {
			return bad("%v", err)
		}
		wc.params, wc.model, wc.fullModel, wc.image, wc.ext = w, base, w.Model, image, w.Flags&tl.ExtFlag != 0
		wc.account, wc.contract, wc.inst = accountKey(w.WorkerOwnerAddress, wc.remote), contract, in
		scAddress := ""
		if contract != nil {
			wc.account, scAddress = contract.String(), p.cfg.WireAddress(contract)
		}
		if err := p.ledger.AddWorker(wc.account, w.WorkerOwnerAddress); err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: "opening the worker's account: " + err.Error()}
		}
		wc.state = workerAwaitCompare
		return tl.Marshal(&tl.WorkerConnectedToProxy{Params: p.params(proto, in), WorkerSCAddress: scAddress}), nil
	case *tl.WorkerCompareBalanceWithProxy:
		if wc.state != workerAwaitCompare {
			return bad("worker.compareBalanceWithProxy out of order")
		}
		acct, err := p.ledger.Worker(wc.account)
		if err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: err.Error()}
		}
		mine := acct.Balance()
		cmp, err := billing.CompareBalance(billing.Balance{CommittedToChain: q.TokensCommittedToBlockchain, CommittedToDB: q.TokensCommittedToDB, Tokens: q.MaxTokens}, mine)
		if err != nil {
			// The reference aborts the process here; refusing this worker
			// is enough.
			p.log.Warn("refusing worker ahead of our ledger", "remote", wc.remote, "err", err)
			return nil, &wire.QueryError{Code: wire.CodeError, Message: err.Error()}
		}
		wc.state = workerAwaitComplete
		return tl.Marshal(&tl.WorkerCompareBalanceWithProxyResult{SignedPayment: p.signed(billing.KindWorker, wc.contract, acct), TokensCommittedToDB: mine.CommittedToDB, MaxTokens: mine.Tokens, ErrorCode: cmp.ErrorCode()}), nil
	case *tl.WorkerExtendedCompareBalanceWithProxy:
		if wc.state != workerAwaitComplete {
			return bad("worker.extendedCompareBalanceWithProxy out of order")
		}
		acct, err := p.ledger.Worker(wc.account)
		if err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: err.Error()}
		}
		if err := billing.CompareExtended(q.TokensCommittedToDB, acct.Balance()); err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: err.Error()}
		}
		// Unlike the reference, stay ready for proxyHandshakeComplete.
		return tl.Marshal(&tl.WorkerExtendedCompareBalanceWithProxyResult{}), nil
	case *tl.CocoonWorkerEndpoints:
		if wc.state != workerAwaitComplete || wc.endpoints != nil {
			return bad("cocoon.workerEndpoints out of order")
		}
		if len(q.Endpoints) == 0 || len(q.Endpoints) > len(openai.Endpoints) {
			return bad("a worker declares 1 to %d endpoints, not %d", len(openai.Endpoints), len(q.Endpoints))
		}
		for i, e := range q.Endpoints {
			if !openai.IsEndpoint(e) || slices.Contains(q.Endpoints[:i], e) {
				return bad("worker declares endpoint %q twice or unknown", e)
			}
		}
		if q.AudioTokensPerSecond < 0 {
			return bad("negative audio rate %d", q.AudioTokensPerSecond)
		}
		wc.endpoints = q.Endpoints
		wc.audioRate = min(q.AudioTokensPerSecond, p.cfg.MaxAudioTokensPerSecond)
		return tl.Marshal(&tl.CocoonWorkerEndpointsAccepted{AudioTokensPerSecond: wc.audioRate}), nil
	case *tl.WorkerProxyHandshakeComplete:
		if wc.state != workerAwaitComplete {
			return bad("worker.proxyHandshakeComplete out of order")
		}
		if wc.endpoints == nil {
			wc.endpoints = openai.ReferenceEndpoints
		}
		per := (int(wc.params.MaxActiveRequests) + int(wc.params.ProxyCnt) - 1) / int(wc.params.ProxyCnt)
		p.mu.Lock()
		wc.enabled, wc.coefficient, wc.capacity = !q.IsDisabled, wc.params.Coefficient, per
		p.mu.Unlock()
		if err := p.addWorker(wc); err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: "proxy refuses this worker: " + err.Error()}
		}
		wc.state = workerReady
		p.log.Info("worker ready", "remote", wc.remote, "model", wc.params.Model, "coefficient", wc.params.Coefficient, "capacity", per, "cocoon_go_peer", wc.ext,
			"endpoints", wc.endpoints, "audio_tokens_per_second", wc.audioRate)
		return tl.Marshal(&tl.WorkerProxyHandshakeCompleted{}), nil
	case *tl.WorkerUpdatePaymentStatus:
		if wc.state != workerReady {
			return bad("worker.updatePaymentStatus before the handshake completed")
		}
		a, err := p.ledger.Worker(wc.account)
		if err != nil {
			return nil, &wire.QueryError{Code: wire.CodeError, Message: err.Error()}
		}
		return tl.Marshal(&tl.WorkerPaymentStatus{SignedPayment: p.signed(billing.KindWorker, wc.contract, a), DBTokens: a.CommittedToDB, MaxTokens: a.Tokens}), nil
	}
	return bad("unexpected query %s from worker", tl.Name(obj.TLID()))
}

// ServePacket takes the worker's answers and state changes.
func (wc *workerConn) ServePacket(payload []byte) {
	p := wc.p
	obj, err := tl.Unmarshal(payload)
	if err != nil {
		p.log.Debug("dropping undecodable packet from worker", "remote", wc.remote, "err", err)
		return
	}
	wc.mu.Lock()
	ready := wc.state == workerReady
	wc.mu.Unlock()
	if !ready {
		wc.sess.Abort(fmt.Errorf("worker sent %s before the handshake completed: %w", tl.Name(obj.TLID()), wire.ErrProtocol))
		return
	}
	switch m := obj.(type) {
	case *tl.WorkerEnabledDisabled:
		p.mu.Lock()
		wc.enabled = m.Disabled == 0
		p.mu.Unlock()
	case *tl.WorkerNewCoefficient:
		if m.NewCoefficient >= 0 && m.NewCoefficient < billing.MaxCoefficient {
			p.mu.Lock()
			wc.coefficient = m.NewCoefficient
			p.mu.Unlock()
		}
	case *tl.ProxyQueryAnswerEx:
		if r := wc.request(m.RequestID); r != nil {
			r.workerHead(wc, m.RequestID, m.Answer, m.Flags, m.FinalInfo)
		}
	case *tl.ProxyQueryAnswerPartEx:
		if r := wc.request(m.RequestID); r != nil {
			r.workerPart(wc, m.RequestID, m.Answer, m.Flags, m.FinalInfo)
		}
	case *tl.ProxyQueryAnswerErrorEx:
		if r := wc.request(m.RequestID); r != nil {
			r.workerFailed(wc, m.RequestID, m.ErrorCode, m.Error, m.FinalInfo)
		}
	default:
		p.log.Debug("ignoring packet from worker", "remote", wc.remote, "type", tl.Name(obj.TLID()))
	}
}

func (wc *workerConn) request(id [32]byte) *request {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	return wc.reqs[id]
}

// candidates describes the workers of a model for selection; the caller
// holds p.mu.
func (p *Proxy) candidatesLocked(model string, buf []candidate) []candidate {
	for _, wc := range p.models[model] {
		buf = append(buf, candidate{
			id: wc.id, enabled: wc.enabled, running: wc.running, capacity: wc.capacity,
			coefficient: wc.coefficient, latency: wc.latency, successes: wc.successes, failures: wc.failures,
		})
	}
	return buf
}

// pick chooses a worker of model that serves endpoint under the proxy
// contract in for a request and counts the request against it. A model
// none of whose workers serves the endpoint is refused with
// errUnsupportedEndpoint's message.
func (p *Proxy) pick(model, endpoint string, maxCoefficient int32, tried []*workerConn, in *instance) (*workerConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ws := p.models[model]
	if why := p.barred[model]; why != "" && len(ws) == 0 {
		return nil, &rejection{wire.CodeNotReady, "no worker may serve model " + model + ": " + why}
	}
	if !p.seen[model] {
		return nil, &rejection{wire.CodeProtoViolation, "unknown model " + model}
	}
	if len(ws) > 0 && !slices.ContainsFunc(ws, func(wc *workerConn) bool { return slices.Contains(wc.endpoints, endpoint) }) {
		return nil, &rejection{wire.CodeProtoViolation, fmt.Sprintf("%s: model %s does not serve %s; it serves %s",
			unsupportedEndpoint, model, endpoint, strings.Join(endpointsOf(ws), ", "))}
	}
	cands := p.candidatesLocked(model, make([]candidate, 0, len(ws)))
	i, err := p.sel.choose(cands, maxCoefficient, func(i int) bool {
		if ws[i].inst != in || !slices.Contains(ws[i].endpoints, endpoint) {
			return true
		}
		for _, t := range tried {
			if t == ws[i] {
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	ws[i].running++
	return ws[i], nil
}

// unsupportedEndpoint begins the refusal of a request for an endpoint its
// model's workers do not serve; the client answers it with a 404.
const unsupportedEndpoint = "unsupported endpoint"

// endpointsOf is the union of the endpoints workers serve, in the order of
// openai.Endpoints.
func endpointsOf(ws []*workerConn) []string {
	var out []string
	for _, e := range openai.Endpoints {
		if slices.ContainsFunc(ws, func(wc *workerConn) bool { return slices.Contains(wc.endpoints, e) }) {
			out = append(out, e)
		}
	}
	return out
}

// modelEndpoints lists every model a worker ever offered with the
// endpoints its ready workers serve.
func (p *Proxy) modelEndpoints() *tl.CocoonModelEndpoints {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := &tl.CocoonModelEndpoints{Models: make([]tl.CocoonModelEndpoint, 0, len(p.seen))}
	for m := range p.seen {
		out.Models = append(out.Models, tl.CocoonModelEndpoint{Name: m, Endpoints: endpointsOf(p.models[m])})
	}
	slices.SortFunc(out.Models, func(a, b tl.CocoonModelEndpoint) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// verdict is what an attempt says about its worker's reputation.
type verdict int

const (
	// neutral: the attempt ended for reasons not the worker's (the client
	// left, or the request itself was bad).
	neutral verdict = iota
	succeeded
	failed
)

// release ends a request's use of a worker and records how it went.
func (p *Proxy) release(wc *workerConn, v verdict, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	wc.running--
	switch v {
	case neutral:
		return
	case failed:
		wc.failures++
		return
	}
	wc.successes++
	if wc.latency == 0 {
		wc.latency = took
	} else {
		wc.latency = time.Duration(latencyWeight*float64(took) + (1-latencyWeight)*float64(wc.latency))
	}
}
