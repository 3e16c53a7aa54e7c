package client

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cocoon-go/cocoon/internal/loop"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client/gateway"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// Protocol versions the client speaks; 1 and 2 carry the Ex answers.
const (
	minProto = 1
	maxProto = 2
)

// Timing of the client.
const (
	connectTimeout = 30 * time.Second
	authTimeout    = 300 * time.Second
	// readyWait is how long a request waits for a proxy connection when
	// none is ready, as happens right after start.
	readyWait  = 5 * time.Second
	minBackoff = 200 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// Deps are what a client is built from besides its config.
type Deps struct {
	// TLS is the RA-TLS client config that checks each proxy against the
	// proxy policy.
	TLS *tls.Config
	// Dial opens TCP connections; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// Clock is the time source; nil means time.Now.
	Clock func() time.Time
	// Root, if set, reads the root contract's lists, every
	// root_poll_every: the client then dials only the proxies the root
	// registers (those of Config.Proxies, when it names some), accepts
	// one only if the root lists its attested image (ProxyPeers keeps the
	// handshake's list at the root's proxy_hashes), closes a connection
	// to one it no longer registers or lists within a poll, and takes no
	// request while its reading is too old. Nil, without a root (fake
	// TON), uses Config.Proxies and checks none of it.
	Root func(ctx context.Context) (trust.Lists, error)
	// ProxyPeers is the verifier behind TLS; needed with Root.
	ProxyPeers PeerVerifier
	// Contracts, if set, derives the proxy's and this client's contract
	// addresses; owner_address must then be a TON address, and the
	// client checks each proxy's contracts and verifies every signed
	// payment it sends. Nil trusts the proxy's figures unchecked: for
	// tests of other matters only.
	Contracts Contracts
	// RootVersion is the version of the root config the client runs
	// under, as the composition read it: the fake-TON root config's (3
	// in the reference's) or the root contract's; with Root, each
	// reading replaces it. The client sends it as min_config_version
	// when it connects and with every request, as the reference's client
	// does, so that a proxy on an older root config refuses it.
	RootVersion uint32
	// Prices are the root config's prices, with which the client values
	// the tokens it is charged at a contract whose price it has not read
	// (on fake TON, every one); the zero value values them at nothing.
	Prices billing.Prices
	// Mode names where the client's money moves, and must be set:
	// chainconf.OnChain with Chain, the client's contracts on TON (the
	// client deploys its contract at each proxy, registers for the long
	// authorisation, tops up, submits the proxy's signed charges and
	// recovers its funds: Withdraw, Close; it needs Contracts), or without
	// Chain chainconf.FakeTON (the reference's fake-TON semantics) or
	// chainconf.ReadOnly (on a chain, its proxies from the root, no
	// contract operated).
	Mode  chainconf.Mode
	Chain Chain
}

// PeerVerifier is what the client needs of its RA-TLS verifier:
// ratls.Verifier.
type PeerVerifier interface {
	// Policy and SetPolicy let the client's trust.Gate keep the live
	// list.
	trust.Verifier
	// Recheck verifies an established peer under the policy in force.
	Recheck(ctx context.Context, certs []*x509.Certificate) (*ratls.Peer, error)
}

// Client is the client role. Build it with New, run it with Run; its
// Handler serves the OpenAI API and the stats pages.
type Client struct {
	cfg     Config
	tls     *tls.Config
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	log     *slog.Logger
	now     func() time.Time
	metrics *obs.Metrics
	stats   obs.RequestRates
	api     *gateway.API
	// root reads the root, every rootEvery, into trust, by which
	// proxyPeers checks proxies; root and trust are nil without a root.
	root      func(ctx context.Context) (trust.Lists, error)
	rootEvery time.Duration
	trust     *trust.Gate
	// rootVersion is Deps.RootVersion, until trust holds a reading.
	rootVersion uint32
	proxyPeers  PeerVerifier
	// contracts and owner are set when payments are checked.
	contracts Contracts
	owner     *address.Address
	prices    billing.Prices
	// chain is nil without a chain; secretHash is sha256(secret_string).
	chain      Chain
	secretHash [32]byte
	checkEvery time.Duration

	// chainMu guards chainAccts and lastSaved and orders the writes of
	// the state file.
	chainMu    sync.Mutex
	chainAccts map[string]*chainAccount // by client contract address; never removed
	lastSaved  []byte                   // the state file as last written

	// mu guards the fields below.
	mu       sync.Mutex
	accounts map[string]*account // by client contract; entries are never removed
	// endpoints are the client's standing at each proxy endpoint; needed
	// is closed and replaced when something needs a proxy whose contract
	// was closed (wantOpen).
	endpoints map[string]*endpoint
	needed    chan struct{}
	// stopped is closed when Run returns: no connection comes after it.
	stopped chan struct{}
	proxies []string      // the proxies to choose from
	conns   []*proxyConn  // ready connections
	changed chan struct{} // closed and replaced whenever conns changes
	turn    int
	// refusal is the latest proxy refused for a cause the root gives (an
	// endpoint it does not register, an image it does not list, a reading
	// too old); a request that finds no proxy says it.
	refusal error
	// listed is closed, and replaced, whenever proxies is set from the
	// root.
	listed chan struct{}
}

// New builds a client.
func New(cfg Config, deps Deps) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.TLS == nil {
		return nil, errors.New("building the client: a TLS config is required")
	}
	if err := chainconf.CheckMode("client", deps.Mode, deps.Chain != nil, true); err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, tls: deps.TLS, dial: deps.Dial, log: deps.Logger, now: deps.Clock,
		metrics: obs.NewMetrics("client"), changed: make(chan struct{}), listed: make(chan struct{}),
		root: deps.Root, rootVersion: deps.RootVersion, rootEvery: time.Duration(cmp.Or(cfg.RootPollEvery, chainconf.DefaultRootPollEvery)), proxyPeers: deps.ProxyPeers,
		proxies: append([]string(nil), cfg.Proxies...), contracts: deps.Contracts, prices: deps.Prices,
		accounts: map[string]*account{}, chain: deps.Chain, endpoints: map[string]*endpoint{}, needed: make(chan struct{}), stopped: make(chan struct{}), secretHash: sha256.Sum256([]byte(cfg.SecretString)),
		checkEvery: time.Duration(cfg.ChainCheckEvery), chainAccts: map[string]*chainAccount{}}
	if c.checkEvery <= 0 {
		c.checkEvery = time.Duration(DefaultChainCheckEvery)
	}
	if c.chain != nil && c.contracts == nil {
		return nil, errors.New("building the client: a chain needs Contracts, to check the proxies whose charges it relays")
	}
	if c.contracts != nil {
		owner, err := address.ParseAddr(cfg.OwnerAddress)
		if err != nil {
			return nil, fmt.Errorf("building the client: owner_address %q is not a TON address: %w", cfg.OwnerAddress, err)
		}
		c.owner = owner
	}
	if c.chain != nil && cfg.StateFile != "" {
		saved, err := loadState(cfg.StateFile, c.owner)
		if err == nil {
			err = c.restoreAccounts(saved)
		}
		if err != nil {
			return nil, fmt.Errorf("building the client: %w", err)
		}
		c.restoreGenerations()
	}
	if c.dial == nil {
		c.dial = (&net.Dialer{}).DialContext
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "client")
	if c.now == nil {
		c.now = time.Now
	}
	if err := c.setUpTrust(); err != nil {
		return nil, err
	}
	c.api = gateway.New(c, gateway.Options{Logger: c.log, Keys: cfg.APIKeys, MaxBody: cfg.MaxBodyBytes, MaxUpload: cmp.Or(cfg.MaxUploadBytes, DefaultMaxUploadBytes),
		Clock: c.now, Metrics: c.metrics, Counters: &c.stats,
		Cost: func(tokens int64) int64 {
			v, err := c.prices.Cost(tokens)
			if err != nil {
				return 0
			}
			return int64(v)
		}})
	return c, nil
}

// Handler serves the OpenAI-compatible API, the stats pages and the
// control endpoints (POST /control/withdraw and /control/close).
func (c *Client) Handler() http.Handler {
	mux := http.NewServeMux()
	c.mountControl(mux)
	mux.Handle("/", c.api.Handler(func() any { return c.Snapshot() }, c.cfg.HTTPAccessHash))
	return mux
}

// Run keeps ProxyConnections proxies connected until ctx ends, then
// closes every connection and waits for every goroutine it started.
func (c *Client) Run(ctx context.Context) error {
	defer close(c.stopped)
	var wg sync.WaitGroup
	if c.root != nil {
		c.readRoot(ctx)
		wg.Go(func() { loop.Every(ctx, c.rootEvery, c.readRoot) })
	}
	if c.chain != nil {
		wg.Go(func() { c.checkLoop(ctx) })
	}
	for slot := range c.cfg.ProxyConnections {
		wg.Go(func() { c.keepConnected(ctx, slot) })
	}
	wg.Wait()
	// Every connection has ended: keep their last reports.
	if c.chain != nil {
		if err := c.persist(); err != nil {
			c.log.Error("writing the client state file", "err", err)
		}
	}
	return nil
}

// proxyList returns the proxies to choose from.
func (c *Client) proxyList() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proxies
}

// keepConnected keeps one slot connected: it tries the proxies in turn,
// starting with its own, skipping those other slots hold, with capped,
// jittered exponential backoff.
func (c *Client) keepConnected(ctx context.Context, slot int) {
	backoff := minBackoff
	for i := 0; ctx.Err() == nil; i++ {
		proxies := c.proxyList()
		n := len(proxies)
		if n == 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		addr := proxies[(slot+i)%n]
		if c.connectedTo(addr) && n > 1 && i%n != n-1 {
			continue
		}
		if err := c.admitEndpoint(addr); err != nil {
			if !c.awaitRoot(ctx) {
				return
			}
			continue
		}
		gen := c.generation(addr)
		start := c.now()
		err := c.serveProxy(ctx, addr, gen)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errContractClosing) {
			// Our contract there is closing or closed: on to the next
			// generation's, at once or once something needs the proxy,
			// at the same proxy.
			next := gen + 1
			if ce, ok := errors.AsType[*closedError](err); ok {
				next = ce.next
			}
			if !c.reopen(ctx, addr, gen, next) {
				return
			}
			backoff = minBackoff
			i--
			continue
		}
		if c.now().Sub(start) > time.Minute {
			backoff = minBackoff
		}
		c.setStatus(addr, fmt.Sprintf("the connection to proxy %s failed: %v", addr, err), errors.Is(err, ErrInsufficientFunds))
		if trust.IsRefusal(err) {
			c.refused(err)
		}
		c.log.Warn("proxy connection ended", "proxy", addr, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff/2 + mrand.N(backoff/2+1)):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (c *Client) connectedTo(addr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pc := range c.conns {
		if pc.addr == addr {
			return true
		}
	}
	return false
}

func (c *Client) setReady(pc *proxyConn, ready bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ready {
		c.conns = append(c.conns, pc)
	} else {
		for i, x := range c.conns {
			if x == pc {
				c.conns = append(c.conns[:i:i], c.conns[i+1:]...)
				break
			}
		}
	}
	close(c.changed)
	c.changed = make(chan struct{})
	c.metrics.SetConnections(len(c.conns))
}

// WaitReady waits until a proxy connection is ready, or ctx ends.
func (c *Client) WaitReady(ctx context.Context) error {
	for {
		c.mu.Lock()
		n, changed := len(c.conns), c.changed
		c.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ready returns the ready connections, starting at the next in turn, so
// that requests spread over them. Finding none, it asks for a new
// contract where the client's was closed (wantOpen) and waits up to
// readyWait for one, or openWait while a new contract is being opened;
// then it fails with why none is ready: the root's cause, if it gave
// one, and each proxy's.
func (c *Client) ready(ctx context.Context) ([]*proxyConn, error) {
	if c.trust != nil {
		if err := c.trust.Ready(); err != nil {
			return nil, fmt.Errorf("%w: %w", gateway.ErrNoProxy, err)
		}
	}
	start := time.Now()
	asked := false
	for {
		c.mu.Lock()
		n := len(c.conns)
		if n > 0 {
			c.turn++
			out := make([]*proxyConn, 0, n)
			for i := range n {
				out = append(out, c.conns[(c.turn+i)%n])
			}
			c.mu.Unlock()
			return out, nil
		}
		changed, opening := c.changed, c.openingLocked()
		c.mu.Unlock()
		if !asked {
			asked = true
			opening = c.wantOpen() || opening
		}
		limit := readyWait
		if opening {
			limit = openWait
		}
		wait := time.Until(start.Add(limit))
		if wait <= 0 {
			return nil, c.noProxy()
		}
		timer := time.NewTimer(wait)
		select {
		case <-changed:
		case <-timer.C:
		case <-c.stopped:
			timer.Stop()
			return nil, gateway.ErrStopped
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
		timer.Stop()
	}
}

// send forwards q on a ready proxy connection, failing over to the next
// when one cannot take it.
func (c *Client) Send(ctx context.Context, q *gateway.Query) (*gateway.Stream, error) {
	conns, err := c.ready(ctx)
	if err != nil {
		return nil, err
	}
	var refusal error
	for _, pc := range conns {
		s, err := pc.start(q)
		if err == nil {
			return s, nil
		}
		if errors.Is(err, wire.ErrFrameTooLarge) {
			return nil, err // too large for any proxy
		}
		if trust.IsRefusal(err) {
			refusal = err
		}
		c.log.Debug("proxy connection refused a request", "proxy", pc.addr, "err", err)
	}
	if refusal != nil {
		return nil, fmt.Errorf("%w: %w", gateway.ErrNoProxy, refusal)
	}
	return nil, gateway.ErrNoProxy
}

// models lists the models behind a ready proxy.
func (c *Client) Models(ctx context.Context) ([]gateway.ModelInfo, error) {
	conns, err := c.ready(ctx)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for _, pc := range conns {
		b, err := pc.sess.Query(ctx, tl.Marshal(&tl.ClientGetWorkerTypesV2{}))
		if err != nil {
			lastErr = err
			continue
		}
		var types tl.ClientWorkerTypesV2
		if err := tl.UnmarshalAs(b, &types); err != nil {
			lastErr = err
			continue
		}
		endpoints := pc.modelEndpoints(ctx)
		out := make([]gateway.ModelInfo, 0, len(types.Types))
		for _, t := range types.Types {
			m := gateway.ModelInfo{Name: t.Name, Endpoints: endpoints[t.Name]}
			for _, w := range t.Workers {
				m.Workers = append(m.Workers, gateway.WorkerInstance{Coefficient: w.Coefficient, RunningRequests: w.ActiveRequests, MaxRunningRequests: w.MaxActiveRequests})
			}
			out = append(out, m)
		}
		return out, nil
	}
	return nil, fmt.Errorf("listing models: %w", lastErr)
}

// modelEndpoints asks a cocoon-go proxy which endpoints each model's
// workers serve; a reference proxy cannot say, and nil is returned.
func (pc *proxyConn) modelEndpoints(ctx context.Context) map[string][]string {
	if !pc.ext {
		return nil
	}
	b, err := pc.sess.Query(ctx, tl.Marshal(&tl.CocoonGetModelEndpoints{}))
	if err != nil {
		pc.c.log.Debug("asking the proxy for its models' endpoints", "proxy", pc.addr, "err", err)
		return nil
	}
	var me tl.CocoonModelEndpoints
	if err := tl.UnmarshalAs(b, &me); err != nil {
		pc.c.log.Debug("reading the proxy's models' endpoints", "proxy", pc.addr, "err", err)
		return nil
	}
	out := make(map[string][]string, len(me.Models))
	for _, m := range me.Models {
		out[m.Name] = m.Endpoints
	}
	return out
}

// proxyConn is one ready connection to a proxy.
type proxyConn struct {
	c    *Client
	addr string
	gen  uint32 // the generation of our contracts it is under
	sess *wire.Session
	ext  bool // the proxy is a cocoon-go node and takes our extensions
	// certs are the proxy's RA-TLS certificates; image its attested image
	// hash (zero without a root).
	certs []*x509.Certificate
	image [32]byte
	// account and tracker check the proxy's payment reports; both are
	// set by the handshake, nil without contracts.
	account *account
	tracker *payment.Tracker
	// payMu makes each payment report's check and update of tracker
	// one step.
	payMu sync.Mutex

	// mu guards streams.
	mu      sync.Mutex
	streams map[[32]byte]*gateway.Stream // requests whose answer has not ended
	// evicted is why the client closed the connection, if the root no
	// longer admits the proxy.
	evicted error
}

// serveProxy runs one connection to a proxy, under the client's contracts
// of generation gen there, until it or ctx ends.
func (c *Client) serveProxy(ctx context.Context, addr string, gen uint32) error {
	hctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	raw, err := c.dial(hctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("dialling proxy %s: %w", addr, err)
	}
	conn, err := wire.ClientHandshake(hctx, raw, c.tls, c.cfg.MaxPoWDifficulty)
	if err != nil {
		return fmt.Errorf("connecting to proxy %s: %w", addr, err)
	}
	pc := &proxyConn{c: c, addr: addr, gen: gen, streams: map[[32]byte]*gateway.Stream{}, certs: conn.ConnectionState().PeerCertificates}
	pc.sess = wire.NewSession(conn, wire.Config{Outbound: true, Handler: pc, Logger: c.log, BorrowPackets: true})
	defer func() {
		pc.sess.Close()
		pc.mu.Lock()
		why := pc.evicted
		pc.mu.Unlock()
		if why != nil {
			pc.failAll(&gateway.AnswerError{Code: wire.CodeNotReady, Message: "proxy connection closed: " + why.Error()})
			return
		}
		pc.failAll(gateway.ErrProxyLost)
	}()
	if c.trust != nil {
		peer, err := c.proxyPeers.Recheck(hctx, pc.certs)
		if err != nil {
			return fmt.Errorf("verifying proxy %s: %w", addr, err)
		}
		pc.image = peer.ImageHash
	}
	if err := pc.sess.Start(hctx); err != nil {
		return fmt.Errorf("opening session with proxy %s: %w", addr, err)
	}
	if err := pc.handshake(ctx); err != nil {
		if errors.Is(err, errProxyRolledBack) {
			c.log.Error("refusing proxy: its account of this client is not to be trusted", "proxy", addr, "err", err)
		}
		return fmt.Errorf("client handshake with proxy %s: %w", addr, err)
	}
	c.log.Info("connected to proxy", "proxy", addr, "cocoon_go_peer", pc.ext, "generation", gen)
	c.setStatus(addr, "", false)
	c.setReady(pc, true)
	defer c.setReady(pc, false)
	if err := loop.EveryWhile(ctx, pc.sess.Done(), paymentPollEvery, pc.pollPayment); err != nil {
		return err
	}
	return pc.sess.Err()
}

// handshake runs client.connectToProxy and the authorisation.
func (pc *proxyConn) handshake(ctx context.Context) error {
	c := pc.c
	ownerStr, owner, err := c.ownerFor(pc.gen)
	if err != nil {
		return err
	}
	qctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	b, err := pc.sess.Query(qctx, tl.Marshal(&tl.ClientConnectToProxy{Params: tl.ClientParams{
		Flags: 1 | 2 | tl.ExtFlag, ClientOwnerAddress: ownerStr, IsTest: c.cfg.IsTest,
		MinProtoVersion: minProto, MaxProtoVersion: maxProto,
	}, MinConfigVersion: c.configVersion()}))
	if err != nil {
		return fmt.Errorf("client.connectToProxy: %w", err)
	}
	var connected tl.ClientConnectedToProxy
	if err := tl.UnmarshalAs(b, &connected); err != nil {
		return fmt.Errorf("client.connectToProxy: %w", err)
	}
	p := connected.Params
	if p.Flags&2 == 0 || p.ProtoVersion < minProto || p.ProtoVersion > maxProto {
		return fmt.Errorf("proxy chose protocol %d, want %d..%d", p.ProtoVersion, minProto, maxProto)
	}
	if p.Flags&1 != 0 && p.IsTest != c.cfg.IsTest {
		return fmt.Errorf("proxy is_test=%v, ours %v", p.IsTest, c.cfg.IsTest)
	}
	pc.ext = p.Flags&tl.ExtFlag != 0
	if c.trust != nil && len(pc.certs) == 1 {
		attested, _ := pc.certs[0].PublicKey.(ed25519.PublicKey)
		if err := c.trust.CheckProxyKey(pc.ext, attested, p.ProxyPublicKey); err != nil {
			return fmt.Errorf("checking the proxy: %w", err)
		}
	}
	if pc.account, pc.tracker, err = c.checkProxy(qctx, pc.addr, p, connected.ClientSCAddress, owner); err != nil {
		return fmt.Errorf("checking the proxy: %w", err)
	}
	if pc.tracker != nil {
		f := pc.tracker.Figures()
		if err := pc.payment(connected.SignedPayment, f.DB, f.Max); err != nil {
			return err
		}
	}
	var auth tl.Object
	var nonce int64
	switch a := connected.Auth.(type) {
	case *tl.ClientProxyConnectionAuthShort:
		nonce = a.Nonce
		if subtle.ConstantTimeCompare(c.secretHash[:], a.SecretHash[:]) == 1 {
			auth = &tl.ClientAuthorizeWithProxyShort{Data: []byte(c.cfg.SecretString)}
		} else {
			// Not our secret: prove the contract the long way instead.
			c.log.Info("secret_string does not match the contract's secret hash; authenticating the long way", "proxy", pc.addr)
			auth = &tl.ClientAuthorizeWithProxyLong{}
		}
	case *tl.ClientProxyConnectionAuthLong:
		nonce = a.Nonce
		auth = &tl.ClientAuthorizeWithProxyLong{}
	default:
		return fmt.Errorf("proxy offered unknown authentication %T", connected.Auth)
	}
	if c.chain != nil {
		_, long := auth.(*tl.ClientAuthorizeWithProxyLong)
		// Deploying and registering take a chain's time: as long as the
		// authorisation may.
		cctx, cancel := context.WithTimeout(ctx, authTimeout)
		err := c.prepareContract(cctx, pc, p, connected.ClientSCAddress, long, nonce)
		cancel()
		if err != nil {
			return fmt.Errorf("preparing our contract at the proxy: %w", err)
		}
	}
	actx, cancel2 := context.WithTimeout(ctx, authTimeout)
	defer cancel2()
	b, err = pc.sess.Query(actx, tl.Marshal(auth))
	if err != nil {
		return fmt.Errorf("authorising with proxy: %w", err)
	}
	obj, err := tl.Unmarshal(b)
	if err != nil {
		return fmt.Errorf("authorising with proxy: %w", err)
	}
	switch r := obj.(type) {
	case *tl.ClientAuthorizationWithProxySuccess:
		return pc.payment(r.SignedPayment, r.TokensCommittedToDB, r.MaxTokens)
	case *tl.ClientAuthorizationWithProxyFailed:
		return fmt.Errorf("proxy refused authorisation: %s (code %d)", r.Error, r.ErrorCode)
	}
	return fmt.Errorf("authorising with proxy: unexpected answer %s", tl.Name(obj.TLID()))
}

// configVersion is the version of the root config the client last read,
// which it sends proxies as min_config_version.
func (c *Client) configVersion() int32 {
	v := c.rootVersion
	if c.trust != nil {
		if l, ok := c.trust.Current(); ok {
			v = l.Version
		}
	}
	return int32(min(v, math.MaxInt32))
}

// start sends one request on this connection.
func (pc *proxyConn) start(q *gateway.Query) (*gateway.Stream, error) {
	if err := pc.c.admitted(pc); err != nil {
		return nil, err
	}
	var id [32]byte
	rand.Read(id[:])
	s := gateway.NewStream(func() { pc.abandon(id) })
	req := &tl.HTTPRequest{Method: q.Method, URL: q.URL, HTTPVersion: "HTTP/1.1", Payload: q.Body}
	for _, h := range q.Header {
		req.Headers = append(req.Headers, tl.HTTPHeader{Name: h.Name, Value: h.Value})
	}
	req.Headers = append(req.Headers, tl.HTTPHeader{Name: "Content-Length", Value: strconv.Itoa(len(q.Body))})
	msg := &tl.ClientRunQueryEx{
		ModelName: q.Model, MaxCoefficient: int32(min(q.MaxCoefficient, math.MaxInt32)),
		MaxTokens: int32(min(q.MaxTokens, math.MaxInt32)), Timeout: q.Timeout.Seconds(), RequestID: id,
		MinConfigVersion: pc.c.configVersion(),
	}
	if q.Debug {
		msg.Flags, msg.EnableDebug = 1, true
	}
	pc.mu.Lock()
	pc.streams[id] = s
	pc.mu.Unlock()
	// The http.request is encoded inside the frame: the body is copied
	// once, into the frame.
	if err := pc.sess.SendObject(&queryFrame{msg: msg, req: req}); err != nil {
		pc.mu.Lock()
		delete(pc.streams, id)
		pc.mu.Unlock()
		return nil, err
	}
	return s, nil
}

// abandon forgets a request whose caller closed its stream; if its answer
// had not ended, a cocoon-go proxy is told to stop it.
func (pc *proxyConn) abandon(id [32]byte) {
	pc.mu.Lock()
	_, running := pc.streams[id]
	delete(pc.streams, id)
	pc.mu.Unlock()
	if running && pc.ext {
		pc.sess.Send(tl.Marshal(&tl.CocoonCancelQuery{RequestID: id}))
	}
}

// take returns the stream of a request; when final, the request's answer
// has ended and the stream is forgotten.
func (pc *proxyConn) take(id [32]byte, final bool) *gateway.Stream {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	s := pc.streams[id]
	if final {
		delete(pc.streams, id)
	}
	return s
}

func (pc *proxyConn) failAll(err error) {
	pc.mu.Lock()
	streams := pc.streams
	pc.streams = map[[32]byte]*gateway.Stream{}
	pc.mu.Unlock()
	for _, s := range streams {
		s.Fail(err)
	}
}

func final(f *tl.ClientQueryFinalInfo) *gateway.FinalInfo {
	if f == nil {
		return &gateway.FinalInfo{}
	}
	fi := &gateway.FinalInfo{Tokens: f.TokensUsed.TotalTokensUsed}
	if f.Flags&1 != 0 {
		fi.WorkerDebug, fi.ProxyDebug = f.WorkerDebug, f.ProxyDebug
	}
	return fi
}

// ServeQuery answers queries from the proxy; the protocol has none.
func (pc *proxyConn) ServeQuery(ctx context.Context, payload []byte) ([]byte, error) {
	return nil, &wire.QueryError{Code: wire.CodeProtoViolation, Message: "client serves no queries"}
}

// ServePacket routes answers to their streams.
func (pc *proxyConn) ServePacket(payload []byte) {
	obj, err := tl.Unmarshal(payload)
	if err != nil {
		pc.c.log.Debug("dropping undecodable packet from proxy", "proxy", pc.addr, "err", err)
		return
	}
	switch m := obj.(type) {
	case *tl.ProxyClientRequestPayment:
		pc.requestPayment(m)
	case *tl.ClientQueryAnswerEx:
		last := m.Flags&1 != 0
		s := pc.take(m.RequestID, last)
		if s == nil {
			return
		}
		var resp tl.HTTPResponse
		if err := tl.UnmarshalAs(m.Answer, &resp); err != nil {
			pc.take(m.RequestID, true)
			s.Fail(&gateway.AnswerError{Code: wire.CodeProtoViolation, Message: "proxy sent an undecodable answer head"})
			return
		}
		h := gateway.Head{Status: int(resp.StatusCode), Reason: resp.Reason}
		for _, kv := range resp.Headers {
			h.Header = append(h.Header, gateway.Header{Name: kv.Name, Value: kv.Value})
		}
		s.PushHead(h, resp.Payload)
		if last {
			s.Finish(final(m.FinalInfo))
		}
	case *tl.ClientQueryAnswerPartEx:
		last := m.Flags&1 != 0
		if s := pc.take(m.RequestID, last); s != nil {
			s.PushData(m.Answer)
			if last {
				s.Finish(final(m.FinalInfo))
			}
		}
	case *tl.ClientQueryAnswerErrorEx:
		if s := pc.take(m.RequestID, true); s != nil {
			s.Fail(&gateway.AnswerError{Code: m.ErrorCode, Message: m.Error})
		}
	// Reference proxies send their own failures in the older forms, which
	// the reference client drops; we end the request with them instead.
	case *tl.ClientQueryAnswerError:
		if s := pc.take(m.RequestID, true); s != nil {
			s.Fail(&gateway.AnswerError{Code: m.ErrorCode, Message: m.Error})
		}
	case *tl.ClientQueryAnswerPartError:
		if s := pc.take(m.RequestID, true); s != nil {
			s.Fail(&gateway.AnswerError{Code: m.ErrorCode, Message: m.Error})
		}
	default:
		pc.c.log.Debug("ignoring packet from proxy", "proxy", pc.addr, "type", tl.Name(obj.TLID()))
	}
}

// Snapshot is what /jsonstats shows, with the reference's key names where
// they exist.
type Snapshot struct {
	Stats            obs.RequestRatesSnapshot `json:"stats"`
	LocalConf        LocalConfSnapshot        `json:"localconf"`
	ProxyConnections []ProxyConnSnapshot      `json:"proxy_connections"`
	// Accounts are the client's accounts at the proxies, from their
	// verified payment reports; Paid sums them.
	Accounts []AccountSnapshot `json:"accounts"`
	Paid     PaidSnapshot      `json:"paid"`
	// Contracts are the client's contracts on chain, with a chain.
	Contracts []ContractSnapshot `json:"contracts,omitempty"`
	// ProxyStatus is, with a chain, the client's standing at each proxy:
	// the generation of its contracts there, their owner, whether it
	// waits for a request or POST /control/open to open a new one where
	// its contract was closed, and why it is not connected.
	ProxyStatus []ProxyStatusSnapshot `json:"proxy_status,omitempty"`
	// Root is the root contract as the client last read it, by which it
	// chooses and checks proxies (absent without one); LastRefusal the
	// latest proxy it refused for the root's cause.
	Root        *trust.Snapshot `json:"root,omitempty"`
	LastRefusal string          `json:"last_refusal,omitempty"`
}

// LocalConfSnapshot is the client's configuration as it runs.
type LocalConfSnapshot struct {
	IsTest       bool     `json:"is_test"`
	OwnerAddress string   `json:"owner_address"`
	Proxies      []string `json:"proxies"`
	ProxyPolicy  string   `json:"proxy_policy"`
}

// ProxyConnSnapshot is one ready proxy connection.
type ProxyConnSnapshot struct {
	Address        string `json:"address"`
	CocoonGoPeer   bool   `json:"cocoon_go_peer"`
	RunningQueries int    `json:"running_queries"`
	// ImageHash is the proxy's attested image hash (empty without a
	// root).
	ImageHash string `json:"image_hash,omitempty"`
}

// Snapshot reads the client's stats.
func (c *Client) Snapshot() Snapshot {
	s := Snapshot{
		Stats:            c.stats.Snapshot(c.now()),
		LocalConf:        LocalConfSnapshot{IsTest: c.cfg.IsTest, OwnerAddress: c.cfg.OwnerAddress, Proxies: c.proxyList(), ProxyPolicy: c.cfg.ProxyPolicy},
		ProxyConnections: []ProxyConnSnapshot{},
	}
	s.Accounts, s.Paid = c.accountsSnapshot()
	if c.chain != nil {
		s.Contracts = c.contractsSnapshot()
		s.ProxyStatus = c.endpointsSnapshot()
	}
	if c.trust != nil {
		r := c.trust.Snapshot()
		s.Root = &r
	}
	c.mu.Lock()
	conns := append([]*proxyConn(nil), c.conns...)
	if c.refusal != nil {
		s.LastRefusal = c.refusal.Error()
	}
	c.mu.Unlock()
	for _, pc := range conns {
		pc.mu.Lock()
		ps := ProxyConnSnapshot{Address: pc.addr, CocoonGoPeer: pc.ext, RunningQueries: len(pc.streams)}
		pc.mu.Unlock()
		if pc.image != [32]byte{} {
			ps.ImageHash = fmt.Sprintf("%x", pc.image)
		}
		s.ProxyConnections = append(s.ProxyConnections, ps)
	}
	return s
}
