package worker

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cocoon-go/cocoon/internal/loop"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// Protocol versions the worker speaks; 1 and 2 carry the Ex answers.
const (
	minProto = 1
	maxProto = 2
)

// Timing of the worker, after the reference.
const (
	handshakeTimeout = 30 * time.Second
	healthEvery      = 2 * time.Second
	paymentTimeout   = 60 * time.Second
	maxBackoff       = 10 * time.Second
	minBackoff       = 200 * time.Millisecond
	// defaultQueryTimeout bounds a request whose proxy sent no usable
	// timeout: the reference client's default of 120 s.
	defaultQueryTimeout = 120 * time.Second
	maxQueryTimeout     = 24 * time.Hour
)

// Deps are what a worker is built from besides its config.
type Deps struct {
	// TLS is the RA-TLS client config that attests this worker and checks
	// each proxy against the proxy policy.
	TLS *tls.Config
	// Engine runs the requests.
	Engine *Engine
	// Prices carry the root config's token multipliers (fake TON: 1.0).
	Prices billing.Prices
	// Dial opens TCP connections; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// Clock is the time source; nil means time.Now.
	Clock func() time.Time
	// HealthEvery is the engine probe period; zero means 2 s.
	HealthEvery time.Duration
	// Contracts, if set, derives the proxy's and this worker's contract
	// addresses; owner_address must then be a TON address, and the
	// worker checks each proxy's contracts and verifies every signed
	// payout it sends. Nil trusts the proxy's figures unchecked: for
	// tests of other matters only.
	Contracts Contracts
	// Mode names where the worker's money moves, and must be set:
	// chainconf.OnChain with Chain, where the worker submits the proxies'
	// signed payouts to its worker contracts (it needs Contracts), or
	// chainconf.FakeTON without, which keeps the payouts off chain.
	Mode  chainconf.Mode
	Chain Chain
	// Root, if set, reads the root contract's lists, every
	// root_poll_every: the worker then accepts a proxy only if the root
	// lists its attested image (ProxyPeers keeps the handshake's list at
	// the root's proxy_hashes), closes a connection to one it no longer
	// lists within a poll, and takes requests only while the root lists
	// its own image (ImageHash) and model. Nil, without a root (fake
	// TON), checks none of it.
	Root func(ctx context.Context) (trust.Lists, error)
	// ProxyPeers is the verifier behind TLS; needed with Root.
	ProxyPeers PeerVerifier
	// ImageHash is the worker's own attested image hash; needed with
	// Root unless the checks are off.
	ImageHash [32]byte
}

// PeerVerifier is what the worker needs of its RA-TLS verifier:
// ratls.Verifier.
type PeerVerifier interface {
	// Policy and SetPolicy let the worker's trust.Gate keep the live
	// list.
	trust.Verifier
	// Recheck verifies an established peer under the policy in force.
	Recheck(ctx context.Context, certs []*x509.Certificate) (*ratls.Peer, error)
}

// Worker is the worker role. Build it with New, run it with Run; its
// Handler serves stats and control.
type Worker struct {
	cfg         Config
	baseModel   string
	tls         *tls.Config
	eng         *Engine
	prices      billing.Prices
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	log         *slog.Logger
	now         func() time.Time
	healthEvery time.Duration
	health      func(context.Context) error // the engine probe
	metrics     *obs.Metrics
	stats       obs.RequestRates
	// contracts and owner are set when payments are checked.
	contracts Contracts
	owner     *address.Address
	// chain, payoutEvery and minPayout drive the payout loop; chain is nil
	// without one.
	chain       Chain
	payoutEvery time.Duration
	minPayout   billing.NanoTON
	// paymentPollEvery is how often each proxy is asked for its latest
	// signed payment.
	paymentPollEvery time.Duration
	// root reads the root, every rootEvery, into trust, by which
	// proxyPeers checks proxies; image is the worker's own image hash.
	// root and trust are nil without a root.
	root       func(ctx context.Context) (trust.Lists, error)
	rootEvery  time.Duration
	trust      *trust.Gate
	proxyPeers PeerVerifier
	image      [32]byte

	// active counts requests in flight over all proxies.
	active atomic.Int64

	// mu guards the fields below.
	mu          sync.Mutex
	conns       map[*proxyConn]struct{} // ready connections
	forceOff    bool                    // the operator disabled the worker
	healthy     bool                    // the engine answered its last probe
	coefficient int32
	accounts    map[string]*account // by accountKey; entries are never removed
	// barred is why the root does not admit this worker now, nil while it
	// does; judged is closed, and replaced, whenever barred is judged.
	barred error
	judged chan struct{}

	// lastSaved is the state file's content as last written or read;
	// only restoreAccounts and then saveLoop touch it.
	lastSaved []byte
}

// New builds a worker.
func New(cfg Config, deps Deps) (*Worker, error) {
	if len(cfg.Endpoints) == 0 {
		cfg.Endpoints = append([]string(nil), openai.ReferenceEndpoints...)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.TLS == nil || deps.Engine == nil {
		return nil, errors.New("building the worker: TLS config and engine are required")
	}
	if err := chainconf.CheckMode("worker", deps.Mode, deps.Chain != nil, false); err != nil {
		return nil, err
	}
	w := &Worker{
		cfg: cfg, baseModel: cfg.BaseModel(), tls: deps.TLS, eng: deps.Engine, prices: deps.Prices,
		dial: deps.Dial, log: deps.Logger, now: deps.Clock, healthEvery: deps.HealthEvery,
		metrics: obs.NewMetrics("worker"), conns: map[*proxyConn]struct{}{},
		coefficient: int32(cfg.Coefficient), healthy: true, contracts: deps.Contracts,
		accounts: map[string]*account{}, chain: deps.Chain,
		payoutEvery:      time.Duration(cmp.Or(cfg.PayoutEvery, DefaultPayoutEvery)),
		paymentPollEvery: time.Duration(cmp.Or(cfg.PaymentPollEvery, DefaultPaymentPollEvery)),
		minPayout:        billing.NanoTON(cmp.Or(cfg.MinPayoutNano, DefaultMinPayoutNano)),
		root:             deps.Root, rootEvery: time.Duration(cmp.Or(cfg.RootPollEvery, chainconf.DefaultRootPollEvery)),
		proxyPeers: deps.ProxyPeers, judged: make(chan struct{}),
	}
	if w.chain != nil && w.contracts == nil {
		return nil, errors.New("building the worker: a chain needs contract derivation (Contracts) to check the proxies' payouts")
	}
	if w.contracts != nil {
		owner, err := address.ParseAddr(cfg.OwnerAddress)
		if err != nil {
			return nil, fmt.Errorf("building the worker: owner_address %q is not a TON address: %w", cfg.OwnerAddress, err)
		}
		w.owner = owner
		if err := w.restoreAccounts(); err != nil {
			return nil, fmt.Errorf("building the worker: %w", err)
		}
	}
	w.health = w.eng.Health
	if w.dial == nil {
		w.dial = (&net.Dialer{}).DialContext
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("component", "worker")
	if w.now == nil {
		w.now = time.Now
	}
	if w.healthEvery <= 0 {
		w.healthEvery = healthEvery
	}
	if err := w.setUpTrust(deps); err != nil {
		return nil, err
	}
	return w, nil
}

// Run keeps the worker connected to every configured proxy, probes the
// engine and, with a chain, submits payouts until ctx ends, then closes
// every connection, the engine's included, and waits for every goroutine
// it started.
func (w *Worker) Run(ctx context.Context) error {
	// The state file is written while the worker runs and once more when
	// every connection has ended, so that it holds their last reports.
	stopped, saved := make(chan struct{}), make(chan struct{})
	if w.cfg.StateFile != "" && w.contracts != nil {
		go func() {
			defer close(saved)
			w.saveLoop(ctx, stopped)
		}()
	} else {
		close(saved)
	}
	defer func() {
		close(stopped)
		<-saved
	}()
	var wg sync.WaitGroup
	for _, addr := range w.cfg.Proxies {
		wg.Go(func() { w.keepConnected(ctx, addr) })
	}
	wg.Go(func() { w.probeEngine(ctx) })
	if w.root != nil {
		wg.Go(func() { w.rootLoop(ctx) })
	}
	if w.chain != nil {
		wg.Go(func() { w.payoutLoop(ctx) })
	}
	wg.Wait()
	// Every engine request has ended (serveProxy waits for its requests),
	// so the engine connections are idle.
	w.eng.CloseIdleConnections()
	return nil
}

// probeEngine checks the engine's health and tells the proxies when the
// worker's availability changes.
func (w *Worker) probeEngine(ctx context.Context) {
	t := time.NewTicker(w.healthEvery)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, w.healthEvery)
		err := w.health(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		w.mu.Lock()
		changed := w.healthy != (err == nil)
		w.healthy = err == nil
		w.mu.Unlock()
		if changed {
			if err != nil {
				w.log.Warn("engine unhealthy: disabling", "err", err)
			} else {
				w.log.Info("engine healthy again: enabling")
			}
			w.broadcastEnabled()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// disabled reports whether the worker should take no requests.
func (w *Worker) disabled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.forceOff || !w.healthy || w.barred != nil
}

func (w *Worker) readyConns() []*proxyConn {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*proxyConn, 0, len(w.conns))
	for c := range w.conns {
		out = append(out, c)
	}
	return out
}

func (w *Worker) broadcastEnabled() {
	off := int32(0)
	if w.disabled() {
		off = 1
	}
	msg := tl.Marshal(&tl.WorkerEnabledDisabled{Disabled: off})
	for _, c := range w.readyConns() {
		c.sess.Send(msg)
	}
}

// SetEnabled switches the worker on or off, as /request/enable and
// /request/disable do.
func (w *Worker) SetEnabled(on bool) {
	w.mu.Lock()
	w.forceOff = !on
	w.mu.Unlock()
	w.broadcastEnabled()
}

// SetCoefficient changes the price coefficient (1000 = 1.0x) and tells the
// proxies.
func (w *Worker) SetCoefficient(c int32) error {
	if c < 0 || c >= billing.MaxCoefficient {
		return fmt.Errorf("setting coefficient: %d outside [0, %d)", c, billing.MaxCoefficient)
	}
	w.mu.Lock()
	w.coefficient = c
	w.mu.Unlock()
	msg := tl.Marshal(&tl.WorkerNewCoefficient{NewCoefficient: c})
	for _, conn := range w.readyConns() {
		conn.sess.Send(msg)
	}
	return nil
}

// keepConnected connects to one proxy and reconnects with capped,
// jittered exponential backoff until ctx ends.
func (w *Worker) keepConnected(ctx context.Context, addr string) {
	backoff := minBackoff
	for ctx.Err() == nil {
		if !w.awaitAdmission(ctx, addr) {
			return
		}
		start := w.now()
		err := w.serveProxy(ctx, addr)
		if ctx.Err() != nil {
			return
		}
		if w.now().Sub(start) > time.Minute {
			backoff = minBackoff
		}
		w.log.Warn("proxy connection ended", "proxy", addr, "err", err, "retry_in", backoff)
		delay := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// proxyConn is one ready connection to a proxy.
type proxyConn struct {
	w    *Worker
	addr string
	sess *wire.Session
	// certs are the proxy's RA-TLS certificates; image its attested image
	// hash (zero without a root).
	certs []*x509.Certificate
	image [32]byte
	ext   bool // the proxy is a cocoon-go node and takes our extensions
	ctx   context.Context
	// audioRate is the rate this connection's requests bill audio
	// seconds at: the configured one, or as a cocoon-go proxy capped it.
	// Set by the handshake.
	audioRate int64

	// account and tracker check the proxy's payment reports; set by the
	// handshake. tracker is nil without contracts.
	account *account
	tracker *payment.Tracker
	// payMu makes each payment report's check and update one step.
	payMu sync.Mutex

	// mu guards the fields below.
	mu   sync.Mutex
	reqs map[[32]byte]context.CancelFunc

	// wg counts request goroutines; serveProxy waits for them.
	wg sync.WaitGroup
}

// serveProxy runs one connection to a proxy: dial, proof of work, RA-TLS,
// the tcp.connect exchange, the worker handshake, then requests until the
// connection or ctx ends.
func (w *Worker) serveProxy(ctx context.Context, addr string) error {
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	raw, err := w.dial(hctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dialling proxy %s: %w", addr, err)
	}
	conn, err := wire.ClientHandshake(hctx, raw, w.tls, w.cfg.MaxPoWDifficulty)
	if err != nil {
		return fmt.Errorf("connecting to proxy %s: %w", addr, err)
	}
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	pc := &proxyConn{w: w, addr: addr, ctx: cctx, reqs: map[[32]byte]context.CancelFunc{}, certs: conn.ConnectionState().PeerCertificates}
	pc.sess = wire.NewSession(conn, wire.Config{Outbound: true, Handler: pc, Logger: w.log})
	defer func() {
		stop()
		pc.sess.Close()
		pc.wg.Wait()
	}()
	if err := pc.sess.Start(hctx); err != nil {
		return fmt.Errorf("opening session with proxy %s: %w", addr, err)
	}
	if w.trust != nil {
		peer, err := w.proxyPeers.Recheck(hctx, pc.certs)
		if err != nil {
			return fmt.Errorf("verifying proxy %s: %w", addr, err)
		}
		pc.image = peer.ImageHash
	}
	if err := pc.handshake(hctx); err != nil {
		if errors.Is(err, billing.ErrRollback) || errors.Is(err, errUntrustedProxy) {
			w.log.Error("refusing proxy: its account of this worker is not to be trusted", "proxy", addr, "err", err)
		}
		return fmt.Errorf("worker handshake with proxy %s: %w", addr, err)
	}
	w.mu.Lock()
	w.conns[pc] = struct{}{}
	n := len(w.conns)
	w.mu.Unlock()
	w.metrics.SetConnections(n)
	w.log.Info("connected to proxy", "proxy", addr, "cocoon_go_peer", pc.ext)
	defer func() {
		w.mu.Lock()
		delete(w.conns, pc)
		n := len(w.conns)
		w.mu.Unlock()
		w.metrics.SetConnections(n)
	}()
	if err := loop.EveryWhile(ctx, pc.sess.Done(), w.paymentPollEvery, pc.pollPayment); err != nil {
		return err
	}
	return pc.sess.Err()
}

// query sends a handshake query and decodes the answer into ans.
func (pc *proxyConn) query(ctx context.Context, q, ans tl.Object) error {
	b, err := pc.sess.Query(ctx, tl.Marshal(q))
	if err != nil {
		return err
	}
	return tl.UnmarshalAs(b, ans)
}

// handshake runs worker.connectToProxy, the balance comparison (with the
// extended step the reference never finishes) and proxyHandshakeComplete.
func (pc *proxyConn) handshake(ctx context.Context) error {
	w := pc.w
	w.mu.Lock()
	coef := w.coefficient
	w.mu.Unlock()
	perProxy := w.cfg.MaxActiveRequests
	owner := w.cfg.OwnerAddress
	if w.owner != nil {
		owner = w.cfg.WireAddress(w.owner)
	}
	var connected tl.WorkerConnectedToProxy
	err := pc.query(ctx, &tl.WorkerConnectToProxy{Params: tl.WorkerParams{
		Flags: 1 | 2 | tl.ExtFlag, WorkerOwnerAddress: owner, Model: w.cfg.ModelName,
		Coefficient: coef, IsTest: w.cfg.IsTest, ProxyCnt: int32(w.cfg.ProxyConnections),
		MaxActiveRequests: int32(perProxy), MinProtoVersion: minProto, MaxProtoVersion: maxProto,
	}}, &connected)
	if err != nil {
		return fmt.Errorf("worker.connectToProxy: %w", err)
	}
	p := connected.Params
	if p.Flags&1 != 0 && p.IsTest != w.cfg.IsTest {
		return fmt.Errorf("proxy is_test=%v, ours %v", p.IsTest, w.cfg.IsTest)
	}
	if p.Flags&2 != 0 && (p.ProtoVersion < minProto || p.ProtoVersion > maxProto) {
		return fmt.Errorf("proxy chose protocol %d outside [%d, %d]", p.ProtoVersion, minProto, maxProto)
	}
	pc.ext = p.Flags&tl.ExtFlag != 0
	if w.trust != nil && len(pc.certs) == 1 {
		attested, _ := pc.certs[0].PublicKey.(ed25519.PublicKey)
		if err := w.trust.CheckProxyKey(pc.ext, attested, p.ProxyPublicKey); err != nil {
			return fmt.Errorf("checking the proxy: %w", err)
		}
	}
	if pc.account, pc.tracker, err = w.accountAt(ctx, pc.addr, p, connected.WorkerSCAddress); err != nil {
		return fmt.Errorf("checking the proxy: %w", err)
	}

	mine := pc.account.mine()
	var res tl.WorkerCompareBalanceWithProxyResult
	err = pc.query(ctx, &tl.WorkerCompareBalanceWithProxy{
		TokensCommittedToBlockchain: mine.CommittedToChain, TokensCommittedToDB: mine.CommittedToDB, MaxTokens: mine.Tokens,
	}, &res)
	if err != nil {
		return fmt.Errorf("worker.compareBalanceWithProxy: %w", err)
	}
	theirs := billing.Balance{CommittedToChain: mine.CommittedToChain, CommittedToDB: res.TokensCommittedToDB, Tokens: res.MaxTokens}
	cmp, err := billing.CompareBalance(mine, theirs)
	if err != nil {
		return err
	}
	if cmp == billing.BalanceUncommittedAhead {
		w.log.Warn("proxy lost tokens it had not committed", "proxy", pc.addr, "ours", mine.Tokens, "theirs", res.MaxTokens)
		pc.account.forgetUncommitted(res.MaxTokens)
	}
	if err := pc.payment(res.SignedPayment, res.TokensCommittedToDB, res.MaxTokens); err != nil {
		return err
	}
	if res.ErrorCode == 1 || cmp == billing.BalanceUncommittedAhead {
		var ext tl.WorkerExtendedCompareBalanceWithProxyResult
		err := pc.query(ctx, &tl.WorkerExtendedCompareBalanceWithProxy{TokensCommittedToDB: mine.CommittedToDB}, &ext)
		if err != nil {
			return fmt.Errorf("worker.extendedCompareBalanceWithProxy: %w", err)
		}
		if ext.ErrorCode != 0 {
			return fmt.Errorf("proxy refused the extended balance comparison with code %d", ext.ErrorCode)
		}
		if err := billing.CompareExtended(mine.CommittedToDB, theirs); err != nil {
			return err
		}
	}
	pc.audioRate = w.cfg.AudioTokensPerSecond
	if pc.ext {
		// A cocoon-go proxy routes by endpoint: tell it ours. A reference
		// proxy routes by model alone and never hears of this.
		var acc tl.CocoonWorkerEndpointsAccepted
		err := pc.query(ctx, &tl.CocoonWorkerEndpoints{Endpoints: w.cfg.Endpoints, AudioTokensPerSecond: w.cfg.AudioTokensPerSecond}, &acc)
		if err != nil {
			return fmt.Errorf("cocoon.workerEndpoints: %w", err)
		}
		if acc.AudioTokensPerSecond < 0 || acc.AudioTokensPerSecond > w.cfg.AudioTokensPerSecond {
			return fmt.Errorf("proxy answered an audio rate of %d tokens/s for our %d", acc.AudioTokensPerSecond, w.cfg.AudioTokensPerSecond)
		}
		if acc.AudioTokensPerSecond < w.cfg.AudioTokensPerSecond {
			w.log.Info("proxy caps our audio rate", "proxy", pc.addr, "ours", w.cfg.AudioTokensPerSecond, "capped", acc.AudioTokensPerSecond)
		}
		pc.audioRate = acc.AudioTokensPerSecond
	}
	var done tl.WorkerProxyHandshakeCompleted
	if err := pc.query(ctx, &tl.WorkerProxyHandshakeComplete{IsDisabled: w.disabled()}, &done); err != nil {
		return fmt.Errorf("worker.proxyHandshakeComplete: %w", err)
	}
	return nil
}

// pollPayment asks the proxy for its signed account of this worker.
func (pc *proxyConn) pollPayment(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, paymentTimeout)
	defer cancel()
	asked := pc.figures()
	var st tl.WorkerPaymentStatus
	if err := pc.query(qctx, &tl.WorkerUpdatePaymentStatus{}, &st); err != nil {
		pc.w.log.Debug("payment status poll failed", "proxy", pc.addr, "err", err)
		return
	}
	if err := pc.pollAnswer(st.SignedPayment, st.DBTokens, st.MaxTokens, asked); err != nil {
		pc.refuse(err)
	}
}

// ServeQuery answers queries from the proxy; the protocol has none.
func (pc *proxyConn) ServeQuery(ctx context.Context, payload []byte) ([]byte, error) {
	return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: "worker serves no queries"}
}

// ServePacket handles the proxy's one-way messages: requests, payment
// updates and cancellations.
func (pc *proxyConn) ServePacket(payload []byte) {
	obj, err := tl.Unmarshal(payload)
	if err != nil {
		pc.w.log.Debug("dropping undecodable packet from proxy", "proxy", pc.addr, "err", err)
		return
	}
	switch m := obj.(type) {
	case *tl.ProxyRunQueryEx:
		pc.start(m.RequestID, m.Query, m.Coefficient, m.Timeout, m.Flags&1 != 0 && m.EnableDebug)
	case *tl.CocoonCancelQuery:
		pc.cancel(m.RequestID)
	case *tl.ProxyWorkerRequestPayment:
		pc.requestPayment(m)
	default:
		pc.w.log.Debug("ignoring packet from proxy", "proxy", pc.addr, "type", tl.Name(obj.TLID()))
	}
}

func (pc *proxyConn) cancel(id [32]byte) {
	pc.mu.Lock()
	cancel := pc.reqs[id]
	pc.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// start begins serving one request in its own goroutine.
func (pc *proxyConn) start(id [32]byte, rawQuery []byte, coefficient int64, timeout float64, debug bool) {
	w := pc.w
	now := w.now()
	sink := &sessionSink{pc: pc, id: id, debug: debug, start: now}
	reject := func(code int32, msg string) {
		sink.fail(code, msg, billing.Adjusted{}, now, now)
		w.stats.Finished(now, false, 0)
	}
	var req tl.HTTPRequest
	if err := tl.UnmarshalAs(rawQuery, &req); err != nil {
		reject(wire.CodeProtoViolation, "worker: undecodable http.request: "+err.Error())
		return
	}
	if err := w.admitted(); err != nil {
		reject(wire.CodeNotReady, "worker is not admitted by the root: "+err.Error())
		return
	}
	if err := w.proxyAdmitted(pc); err != nil {
		reject(wire.CodeNotReady, "worker: the root no longer admits this proxy: "+err.Error())
		return
	}
	if w.disabled() {
		reject(wire.CodeNotReady, "worker is disabled")
		return
	}
	if w.active.Add(1) > int64(w.cfg.MaxActiveRequests) {
		w.active.Add(-1)
		reject(wire.CodeNotReady, "too many active queries")
		return
	}
	q := &query{method: req.Method, url: req.URL, body: req.Payload, coefficient: coefficient, endpoints: w.cfg.Endpoints, audioRate: pc.audioRate}
	for _, h := range req.Headers {
		q.header = append(q.header, header{h.Name, h.Value})
	}
	q.timeout = defaultQueryTimeout
	if timeout > 0 && timeout < maxQueryTimeout.Seconds() {
		q.timeout = time.Duration(timeout * float64(time.Second))
	}
	ctx, cancel := context.WithCancel(pc.ctx)
	pc.mu.Lock()
	pc.reqs[id] = cancel
	pc.mu.Unlock()
	w.metrics.RequestStarted()
	pc.wg.Go(func() {
		defer func() {
			cancel()
			pc.mu.Lock()
			delete(pc.reqs, id)
			pc.mu.Unlock()
			w.active.Add(-1)
		}()
		start := w.now()
		err := serveQuery(ctx, w.eng, w.baseModel, w.prices, q, sink, w.now)
		outcome := obs.OutcomeSuccess
		if err != nil || sink.failed {
			outcome = obs.OutcomeFailed
		}
		if err != nil {
			w.log.Debug("request ended early", "proxy", pc.addr, "err", err)
		}
		d := w.now().Sub(start)
		w.metrics.RequestFinished(outcome, d)
		w.stats.Finished(w.now(), outcome == obs.OutcomeSuccess, d)
		rec := obs.Request{
			ID: hex.EncodeToString(id[:8]), Model: w.baseModel, Outcome: outcome, Status: sink.status, Error: sink.errMsg,
			PromptTokens: sink.tokens.Prompt, CachedTokens: sink.tokens.Cached, CompletionTokens: sink.tokens.Completion, ReasoningTokens: sink.tokens.Reasoning,
			Total: d,
		}
		if earned, err := w.prices.Earning(sink.tokens.Total); err == nil {
			rec.Nano = int64(earned)
		}
		if !sink.headAt.IsZero() {
			rec.Queue = sink.headAt.Sub(start)
		}
		if !sink.answered.IsZero() {
			rec.FirstToken = sink.answered.Sub(sink.start)
		}
		w.metrics.Observe(rec)
		obs.LogRequest(w.log, rec)
	})
}

// Handler serves the stats pages and the control endpoints
// /request/enable, /request/disable and /request/change_coefficient.
func (w *Worker) Handler() http.Handler {
	mux := http.NewServeMux()
	obs.Mount(mux, "COCOON worker", func() any { return w.Snapshot() }, w.metrics, w.cfg.HTTPAccessHash)
	control := func(f func(r *http.Request) error) http.Handler {
		return obs.RequireAccessHash(w.cfg.HTTPAccessHash, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if err := f(r); err != nil {
				http.Error(rw, err.Error(), http.StatusBadRequest)
				return
			}
			fmt.Fprintln(rw, "OK")
		}))
	}
	mux.Handle("/request/enable", control(func(*http.Request) error { w.SetEnabled(true); return nil }))
	mux.Handle("/request/disable", control(func(*http.Request) error { w.SetEnabled(false); return nil }))
	mux.Handle("/request/change_coefficient", control(func(r *http.Request) error {
		f, err := strconv.ParseFloat(r.URL.Query().Get("coefficient"), 64)
		if err != nil || f < 0 || f*1000 >= billing.MaxCoefficient {
			return errors.New("coefficient: want a non-negative number such as 1.5")
		}
		return w.SetCoefficient(int32(f * 1000))
	}))
	mux.Handle("/", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Error(rw, "unknown path", http.StatusBadRequest)
	}))
	return mux
}
