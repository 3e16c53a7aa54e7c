package proxy

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/wire"
)

// Protocol versions the proxy speaks with workers and clients.
const (
	minProto = 1
	maxProto = 2
)

// Timing and limits of the proxy.
const (
	handshakeTimeout = 30 * time.Second
	// hopShare is the part of its remaining budget that a hop passes on,
	// so that the next hop times out first and its error still reaches
	// the caller.
	hopShare = 0.95
	// defaultBudget applies when a client sends no usable timeout.
	defaultBudget = 114 * time.Second
	maxBudget     = 24 * time.Hour
	// DefaultMaxAttempts is how many workers a request may try when each
	// fails before its first byte.
	DefaultMaxAttempts = 3
	// latencyWeight is the weight of the newest sample in a worker's
	// moving-average request time.
	latencyWeight = 0.2
	// maxConnsPerListener bounds the connections each listener holds,
	// handshakes included; beyond it new ones are closed at once.
	maxConnsPerListener = 10000
)

// Deps are what a proxy is built from besides its config.
type Deps struct {
	// WorkerTLS and ClientTLS are the RA-TLS server configs of the two
	// listeners, each checking peers against its own policy.
	WorkerTLS, ClientTLS *tls.Config
	// SigningKey is the proxy's Ed25519 key; its public half goes into
	// proxy.params. Nil means a fresh random key.
	SigningKey ed25519.PrivateKey
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// Clock is the time source; nil means time.Now.
	Clock func() time.Time
	// MaxAttempts bounds the workers one request tries; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// Prices are the root config's prices; the zero value bills nothing.
	// With a Chain, the root contract's prices replace them at Run;
	// without one, clients hold the fake-TON pseudo state.
	Prices billing.Prices
	// Store, if set, keeps the ledger across restarts: Run loads it first
	// and flushes to it every 1–2 s. Nil keeps the ledger in memory.
	Store LedgerStore
	// Contracts, if set, derives the proxy's, clients' and workers'
	// contract addresses; the owner addresses of the config and of every
	// peer must then be TON addresses, and the proxy signs a payment to
	// each contract for the tokens committed to its database. Nil keeps
	// accounts by owner and sends proxy.signedPaymentEmpty, which holders
	// cannot claim: for tests of other matters only.
	Contracts Contracts
	// RootVersion is the version of the root config the proxy runs under,
	// as the composition read it: the fake-TON root config's (3 in the
	// reference's) or the root contract's. Clients that have seen a newer
	// one are refused ("active config version is too low"), so it is
	// required; with a Chain the root contract's replaces it as the chain
	// loop reads it.
	RootVersion uint32
	// Wallet is the proxy's cocoon wallet, where the payments it signs
	// send their excess, as the reference's (whose holders refuse
	// addr_none there). Nil means the owner_address.
	Wallet *address.Address
	// ClientStake is the fake-TON stake of every client contract, which
	// bounds the usage not yet charged on chain; zero means
	// DefaultClientStake.
	ClientStake billing.NanoTON
	// Mode names where the proxy's money moves, and must be set:
	// chainconf.OnChain with Chain, TON (Run reads the root contract,
	// opens the proxy's contract and commits its ledger seqno before
	// serving, and a chain loop commits, charges clients, pays workers
	// and grants refunds; clients authorise against their contracts; it
	// needs Contracts and WorkerPeers), or chainconf.FakeTON without, the
	// reference's fake-TON semantics.
	Mode  chainconf.Mode
	Chain Chain
	// WorkerPeers is the verifier behind WorkerTLS. With a Chain the
	// proxy keeps its live list at the root's worker_hashes, admits each
	// worker by it when the worker first asks (the handshake leaves the
	// list to that step, so that a refusal reaches the worker with its
	// reason), and verifies every worker again at each root poll.
	WorkerPeers PeerVerifier
	// ImageHash is the proxy's own attested image hash, which the stats
	// show beside the root's proxy_hashes; zero when unknown.
	ImageHash [32]byte
}

// PeerVerifier is what the proxy needs of the worker port's RA-TLS
// verifier: ratls.Verifier.
type PeerVerifier interface {
	// Policy and SetPolicy let the proxy's trust.Gate keep the live list.
	trust.Verifier
	// Recheck verifies an established peer under the policy in force.
	Recheck(ctx context.Context, certs []*x509.Certificate) (*ratls.Peer, error)
}

// Proxy is the proxy role. Build it with New, run it with Run; its
// Handler serves the stats pages.
type Proxy struct {
	cfg         Config
	wtls, ctls  *tls.Config
	pub         [32]byte
	log         *slog.Logger
	now         func() time.Time
	maxAttempts int
	metrics     *obs.Metrics
	stats       obs.RequestRates
	sel         selector
	ledger      *billing.Ledger
	store       LedgerStore
	contracts   *contracts // nil without Deps.Contracts
	// inst is the proxy contract the proxy serves under; nil without
	// Deps.Contracts. A rollover replaces it.
	inst        atomic.Pointer[instance]
	clientStake billing.NanoTON
	disabled    atomic.Bool // the operator refuses new requests
	chain       Chain       // nil without Deps.Chain
	// rootVersion is the root config version clients are judged against:
	// Deps.RootVersion until the root contract is read.
	rootVersion atomic.Int32
	// onChain is the chain loop's state and counters.
	onChain chainState
	// trust is the root's live admission policy, nil without a chain;
	// workerPeers verifies workers against it.
	trust       *trust.Gate
	workerPeers PeerVerifier
	// image is the proxy's own image hash, zero when unknown.
	image [32]byte
	// admissions counts the workers refused and evicted by the root's
	// lists or their attestation, for the stats.
	admissions struct{ refused, evicted atomic.Int64 }
	// auths counts client authorisations by path, for the stats.
	auths struct{ short, long, refused, longFailed atomic.Int64 }

	// mu guards the fields below and the selection fields of every
	// workerConn (see there).
	mu      sync.Mutex
	models  map[string][]*workerConn // ready workers by base model name
	seen    map[string]bool          // every model a worker ever offered
	clients map[*clientConn]struct{} // authorised clients
	nextID  uint64
	// barred is, by base model, why the latest worker of the model was
	// refused or evicted; cleared when one is admitted. A request for a
	// model no worker may serve says why.
	barred map[string]string
	// lastRefusal is the latest refusal or eviction of a worker.
	lastRefusal string
}

// New builds a proxy.
func New(cfg Config, deps Deps) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.WorkerTLS == nil || deps.ClientTLS == nil {
		return nil, errors.New("building the proxy: both TLS configs are required")
	}
	if err := chainconf.CheckMode("proxy", deps.Mode, deps.Chain != nil, false); err != nil {
		return nil, err
	}
	if deps.RootVersion == 0 || deps.RootVersion > math.MaxInt32 {
		return nil, fmt.Errorf("building the proxy: root config version %d: want the fake-TON root config's or the root contract's, from 1", deps.RootVersion)
	}
	p := &Proxy{
		cfg: cfg, wtls: deps.WorkerTLS, ctls: deps.ClientTLS, log: deps.Logger, now: deps.Clock,
		maxAttempts: deps.MaxAttempts, metrics: obs.NewMetrics("proxy"),
		models: map[string][]*workerConn{}, seen: map[string]bool{}, clients: map[*clientConn]struct{}{},
		barred: map[string]string{}, workerPeers: deps.WorkerPeers,
	}
	prices := deps.Prices
	if prices == (billing.Prices{}) {
		prices = billing.DefaultPrices(0, 0)
	}
	ledger, err := billing.NewLedger(prices)
	if err != nil {
		return nil, fmt.Errorf("building the proxy: %w", err)
	}
	p.ledger, p.store, p.clientStake = ledger, deps.Store, deps.ClientStake
	if p.clientStake <= 0 {
		p.clientStake = DefaultClientStake
	}
	key := deps.SigningKey
	if key == nil {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, fmt.Errorf("building the proxy: generating a signing key: %w", err)
		}
		key = k
	}
	copy(p.pub[:], key.Public().(ed25519.PublicKey))
	if deps.Chain != nil && deps.Contracts == nil {
		return nil, errors.New("building the proxy: a chain needs Contracts to derive contract addresses")
	}
	p.chain = deps.Chain
	p.onChain.pending = map[pendingKey]pendingPay{}
	p.cfg.chainDefaults()
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.log = p.log.With("component", "proxy")
	if p.now == nil {
		p.now = time.Now
	}
	if err := p.setUpTrust(deps); err != nil {
		return nil, err
	}
	p.rootVersion.Store(int32(deps.RootVersion))
	if deps.Contracts != nil {
		var in *instance
		if p.contracts, in, err = newContracts(deps.Contracts, cfg.OwnerAddress, deps.Wallet, key, prices); err != nil {
			return nil, fmt.Errorf("building the proxy: %w", err)
		}
		p.inst.Store(in)
	}
	if p.maxAttempts <= 0 {
		p.maxAttempts = DefaultMaxAttempts
	}
	return p, nil
}

// setUpTrust makes, with a chain, the gate that admits workers by the
// root's lists, bound to the worker port's verifier.
func (p *Proxy) setUpTrust(deps Deps) error {
	image, err := chainconf.OwnImage(p.cfg.ImageHash, deps.ImageHash, "proxy")
	if err != nil {
		return fmt.Errorf("building the proxy: %w", err)
	}
	p.image = image
	if p.chain == nil {
		return nil
	}
	if deps.WorkerPeers == nil {
		return errors.New("building the proxy: a chain needs WorkerPeers, the worker port's verifier, to admit workers by the root's worker_hashes")
	}
	p.trust = trust.ForChain(p.cfg.Chain, p.now, p.log)
	p.trust.Announce(p.cfg.CheckWorkerHashes, "check_worker_hashes", "workers",
		"workers are not checked against the root's worker_hashes and model_hashes")
	if err := p.trust.Bind(trust.Workers, deps.WorkerPeers); err != nil {
		return fmt.Errorf("building the proxy: worker_policy: %w", err)
	}
	return nil
}

// Run accepts workers on workers and clients on clients until ctx ends,
// then closes both listeners and every connection and waits for every
// goroutine it started.
func (p *Proxy) Run(ctx context.Context, workers, clients net.Listener) error {
	// With a chain, the root's prices apply to the restored ledger, and
	// no connection is accepted before the proxy's seqno is committed on
	// chain under this run's session hash.
	steps := []func(context.Context) error{p.restoreLedger}
	if p.chain != nil {
		steps = []func(context.Context) error{p.openChain, p.restoreLedger, p.firstCommit}
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			workers.Close()
			clients.Close()
			if ctx.Err() != nil {
				// Stopped while starting: a clean stop, nothing was
				// served yet.
				return nil
			}
			return err
		}
	}
	// The ledger is flushed while connections run, and once more after
	// the last of them has settled its requests. Without a store but with
	// a chain, flushes are kept in memory, since the chain commits them.
	flushDone := make(chan struct{})
	fctx, stopFlushing := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(flushDone)
		if p.store != nil || p.chain != nil {
			p.keepFlushing(fctx)
		}
	}()
	defer func() {
		stopFlushing()
		<-flushDone
	}()
	// The chain loop runs until the connections are closed; Run waits
	// for it.
	if p.chain != nil {
		cctx, stopChain := context.WithCancel(ctx)
		chainDone := make(chan struct{})
		go func() {
			defer close(chainDone)
			p.keepChain(cctx)
		}()
		defer func() {
			stopChain()
			<-chainDone
		}()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() { errs <- p.accept(ctx, workers, p.wtls, p.serveWorker) })
	wg.Go(func() { errs <- p.accept(ctx, clients, p.ctls, p.serveClient) })
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	workers.Close()
	clients.Close()
	wg.Wait()
	return err
}

// accept serves every connection on ln with serve after the proof of
// work and the RA-TLS handshake.
func (p *Proxy) accept(ctx context.Context, ln net.Listener, cfg *tls.Config, serve func(context.Context, *tls.Conn)) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	context.AfterFunc(ctx, func() { ln.Close() })
	slots := make(chan struct{}, maxConnsPerListener)
	for {
		raw, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return fmt.Errorf("accepting on %s: %w", ln.Addr(), err)
		}
		select {
		case slots <- struct{}{}:
		default:
			p.log.Warn("refusing a connection: too many", "listener", ln.Addr().String(), "limit", maxConnsPerListener)
			raw.Close()
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			hctx, hcancel := context.WithTimeout(ctx, handshakeTimeout)
			conn, err := wire.ServerHandshake(hctx, raw, cfg, p.cfg.PoWDifficulty)
			hcancel()
			if err != nil {
				p.log.Debug("inbound handshake failed", "remote", raw.RemoteAddr().String(), "err", err)
				return
			}
			serve(ctx, conn)
		})
	}
}

// params is the proxy.params the proxy answers with under the proxy
// contract in (nil without contracts).
func (p *Proxy) params(proto int32, in *instance) tl.ProxyParams {
	pp := tl.ProxyParams{
		Flags: 1 | 2 | tl.ExtFlag, ProxyPublicKey: p.pub, ProxyOwnerAddress: p.cfg.OwnerAddress,
		IsTest: p.cfg.IsTest, ProtoVersion: proto,
	}
	if p.contracts != nil {
		pp.ProxyOwnerAddress = p.cfg.WireAddress(p.contracts.owner)
	}
	if in != nil {
		pp.ProxySCAddress = p.cfg.WireAddress(in.sc)
	}
	return pp
}

// commonProto picks the highest protocol version both sides speak.
func commonProto(flags uint32, lo, hi int32) (int32, error) {
	if flags&2 == 0 {
		lo, hi = 0, 0
	}
	v := min(hi, maxProto)
	if v < max(lo, minProto) {
		return 0, &wire.QueryError{Code: wire.CodeProtoViolation, Message: fmt.Sprintf("no common protocol version: peer speaks %d..%d, proxy %d..%d", lo, hi, minProto, maxProto)}
	}
	return v, nil
}

var emptyPayment tl.ProxySignedPaymentT = &tl.ProxySignedPaymentEmpty{}

// workerTypes lists the models and their enabled workers.
func (p *Proxy) workerTypes() *tl.ClientWorkerTypesV2 {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.seen))
	for m := range p.seen {
		names = append(names, m)
	}
	sort.Strings(names)
	out := &tl.ClientWorkerTypesV2{}
	for _, m := range names {
		t := tl.ClientWorkerTypeV2{Name: m}
		for _, wc := range p.models[m] {
			if !wc.enabled {
				continue
			}
			t.Workers = append(t.Workers, tl.ClientWorkerInstanceV2{Coefficient: wc.coefficient, ActiveRequests: int32(wc.running), MaxActiveRequests: int32(wc.capacity)})
		}
		sort.Slice(t.Workers, func(i, j int) bool { return t.Workers[i].Coefficient < t.Workers[j].Coefficient })
		out.Types = append(out.Types, t)
	}
	return out
}

// workerTypesV1 is the older summary form of workerTypes.
func (p *Proxy) workerTypesV1() *tl.ClientWorkerTypes {
	out := &tl.ClientWorkerTypes{}
	for _, t := range p.workerTypes().Types {
		wt := tl.ClientWorkerType{Name: t.Name, ActiveWorkers: int32(len(t.Workers))}
		if n := len(t.Workers); n > 0 {
			wt.CoefficientMin = t.Workers[0].Coefficient
			wt.CoefficientBucket50 = t.Workers[n/2].Coefficient
			wt.CoefficientMax = t.Workers[n-1].Coefficient
		}
		out.Types = append(out.Types, wt)
	}
	return out
}

// SetEnabled switches the proxy on or off, as POST /request/enable and
// /request/disable do: a disabled proxy keeps its connections and running
// requests but refuses new requests.
func (p *Proxy) SetEnabled(on bool) { p.disabled.Store(!on) }

// Handler serves the stats pages and POST /request/enable and
// /request/disable.
func (p *Proxy) Handler() http.Handler {
	mux := http.NewServeMux()
	obs.Mount(mux, "COCOON proxy", func() any { return p.Snapshot() }, p.metrics, p.cfg.HTTPAccessHash)
	for path, on := range map[string]bool{"POST /request/enable": true, "POST /request/disable": false} {
		mux.Handle(path, obs.RequireAccessHash(p.cfg.HTTPAccessHash, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.SetEnabled(on)
			fmt.Fprintln(w, "OK")
		})))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unknown path", http.StatusBadRequest)
	}))
	return mux
}
