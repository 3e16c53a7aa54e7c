// Package devnet composes a whole COCOON network in one process on
// loopback: a proxy, N workers and a client, with fake TDX attestation,
// a low proof-of-work difficulty, the built-in engine (or any
// OpenAI-compatible engine URL), and either the reference's fake-TON
// semantics or an emulated TON chain on which the COCOON contracts are
// deployed at start and the roles move money. It is what `cocoon devnet`
// runs and what the integration tests start.
package devnet

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/fakesevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/engine"
	"github.com/cocoon-go/cocoon/internal/engine/fakespeech"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/store"
	"github.com/cocoon-go/cocoon/internal/store/boltstore"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/web"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// The attestation a devnet worker may have (Options.WorkerTEEs).
const (
	TEEFakeTDX    = "fake-tdx"
	TEEFakeSEVSNP = "fake-sev-snp"
)

// DefaultPoWDifficulty is the devnet's proof of work: cheap, but real.
const DefaultPoWDifficulty = 12

// Options configure a network. Exactly one engine source is used: Engine
// handlers, then EngineURL, then ModelPath with the built-in engine.
type Options struct {
	// Workers is the number of workers (default 1).
	Workers int
	// WorkerTEEs names the attestation of worker i: TEEFakeTDX (the
	// default, also for workers past its end) or TEEFakeSEVSNP. With an
	// SEV-SNP worker the proxy's worker_policy is
	// fake_tdx_or_fake_sev_snp, and that worker is built as `cocoon worker
	// --config DIR/worker-N.json --insecure-fake-tdx --insecure-fake-sev-snp
	// --tee fake-sev-snp` builds it (it attests with fake SEV-SNP and
	// accepts the proxy's fake TDX).
	WorkerTEEs []string
	// ModelPath is a GGUF file run by the built-in engine.
	ModelPath string
	// EngineURL is an OpenAI-compatible server all workers forward to.
	EngineURL string
	// Engine, if set, returns the engine of worker i as an http.Handler
	// served on a loopback listener (tests use fakes).
	Engine func(i int) http.Handler
	// Model is the model name requests use; with ModelPath it defaults to
	// the model's own name.
	Model string
	// Endpoints are those the Workers' engine serves; empty means
	// chat, completions and embeddings with the built-in engine, and the
	// reference's two (chat and completions) with any other.
	Endpoints []string
	// Extra are workers of other models besides the Workers, each in
	// front of an engine of its own: a speech engine, for instance
	// (FakeSpeechWorker).
	Extra []ExtraWorker
	// PortsBase, when non-zero, places the HTTP ports as the reference
	// does: client on N, proxy on N+1000, worker k on N+2000+10k; the
	// proxy's worker and client endpoints are N+1001 and N+1002. Zero
	// picks free ports (tests).
	PortsBase int
	// DataDir, if set, receives the config of every node (proxy.json,
	// worker-N.json, client.json: the ports the devnet bound, readable by
	// the owner only as they may hold secrets) and, on the emulated chain,
	// the node keys (KeysFile, AdminKeyFile and each node's wallet key
	// file), the chain state (ChainStateFile), the proxy's ledger
	// (LedgerFile), the client's contract states and accounts
	// (ClientStateFile) and each worker's accounts (WorkerStateFile), so
	// that a devnet restarted on the same directory finds its contracts
	// and accounts again.
	//
	// The devnet builds each node as `cocoon proxy|worker|client --config
	// DIR/x.json --insecure-fake-tdx` builds it from the config written
	// there: the node's cocoon wallet is owned by the config's
	// owner_address (the admin for the proxy and the client, a random
	// address per worker, kept in KeysFile), the proxy's and the workers'
	// contracts too, and the client's contracts by its wallet; proxy.json
	// carries the proxy's signing key and the ledger. So once the devnet
	// is closed, nodes started from those configs run on the same chain
	// with the same wallets, contracts and ledger. The data directory of
	// an older devnet, whose admin owned every wallet, keeps its contracts
	// (its proxy's owner becomes the proxy's old wallet); its proxy and
	// workers get new wallets, funded at start, and the old ones keep
	// their funds under the admin's escape hatch.
	DataDir string
	// Chain is ChainFake (the zero value) or ChainEmulated.
	Chain string
	// ChainStatePath is the emulated chain's state file; empty means
	// ChainStateFile in DataDir, or memory without a DataDir.
	ChainStatePath string
	// Settlement sets how fast money moves on the emulated chain; its
	// zero fields take DefaultSettlement's.
	Settlement Settlement
	// PoWDifficulty defaults to DefaultPoWDifficulty.
	PoWDifficulty int
	// MaxActiveRequests per worker (default the worker's default).
	MaxActiveRequests int
	// APIKeys, if set, protect the client's API.
	APIKeys []string
	// FakeTONConfig, with Chain ChainFake, is the reference's fake-TON
	// root config file (its runners' --disable-ton FILE): the network
	// runs under it and FakeTONRoot, so that its contracts are the ones
	// the reference's runners derive. Empty runs our own fake TON
	// (contracts.BuiltinFakeTON).
	FakeTONConfig string
	// FakeTONRoot is the root contract address of FakeTONConfig, the
	// reference's runners' root_contract_address; empty means
	// contracts.ReferenceLocalRoot.
	FakeTONRoot string
	// MaxUploadBytes bounds the client's audio uploads; zero means
	// client.DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// ClientStake is the fake-TON stake of the client's contract, which
	// bounds its uncharged usage; zero means proxy.DefaultClientStake.
	ClientStake billing.NanoTON
	// ChainClock is the emulated chain's clock; nil is the wall clock. A
	// chain behind the nodes' clocks is one whose state they judge old.
	ChainClock func() time.Time
	// Logger receives every node's diagnostics; nil discards them.
	Logger *slog.Logger
	// SampleEvery is how often the nodes' pages sample them for their
	// charts; zero means web.SampleEvery.
	SampleEvery time.Duration
}

// ExtraWorker is a worker of a model of its own, besides the Workers.
type ExtraWorker struct {
	// Model is the model name its requests use.
	Model string
	// EngineURL is its engine, an OpenAI-compatible server; or Engine, a
	// handler the devnet serves on a loopback listener for it.
	EngineURL string
	Engine    http.Handler
	// Endpoints are what its engine serves.
	Endpoints []string
	// AudioTokensPerSecond is the worker's audio rate (required with an
	// audio endpoint).
	AudioTokensPerSecond int64
}

// FakeSpeechModel is the model name of the FAKE speech engine's worker.
const FakeSpeechModel = "fake-whisper"

// DefaultAudioTokensPerSecond is the audio rate of the devnet's speech
// workers: ten tokens a second of audio, as OpenAI's audio models count
// one token per 100 ms.
const DefaultAudioTokensPerSecond = 10

// FakeSpeechWorker is a worker in front of the FAKE speech engine
// (package fakespeech), which speaks vLLM's Whisper API and recognises
// nothing: for tests and development only.
func FakeSpeechWorker() ExtraWorker {
	return ExtraWorker{Model: FakeSpeechModel, Engine: fakespeech.NewHandler(FakeSpeechModel), Endpoints: fakespeech.Endpoints, AudioTokensPerSecond: DefaultAudioTokensPerSecond}
}

// SpeechWorker is a worker in front of a speech engine at url serving
// model on the audio endpoints, as vLLM serves Whisper.
func SpeechWorker(url, model string) ExtraWorker {
	return ExtraWorker{Model: model, EngineURL: url, Endpoints: fakespeech.Endpoints, AudioTokensPerSecond: DefaultAudioTokensPerSecond}
}

// Network is a running devnet.
type Network struct {
	// ClientURL is the base URL of the client's OpenAI API.
	ClientURL string
	// ProxyURL and WorkerURLs are the stats servers. Every node's HTTP
	// port serves the pages of package web besides: the explorer on each,
	// the wallet page on the client's (/wallet), the earnings page on
	// each worker's (/earnings).
	ProxyURL   string
	WorkerURLs []string
	// ExplorerURL is the explorer on the proxy's port.
	ExplorerURL string
	// EngineURLs are the base URLs of the workers' engines, which their
	// configs forward to: with Engine handlers or the built-in engine,
	// servers of the devnet's own, gone once it is closed.
	EngineURLs []string
	// ModelPath is the GGUF file the built-in engine runs; empty with
	// other engines.
	ModelPath string
	// ProxyWorkersAddr and ProxyClientsAddr are the proxy's endpoints.
	ProxyWorkersAddr, ProxyClientsAddr string
	// Model is the model name to request.
	Model string
	// ProxyKey is the proxy's signing key, from which its contract and
	// its clients' and workers' contracts derive (as `cocoon probe`
	// shows it).
	ProxyKey ed25519.PublicKey
	// ExtraModels are the models of Options.Extra, in order; their
	// workers follow the Workers in WorkerURLs, EngineURLs and Workers.
	ExtraModels []string

	Proxy   *proxy.Proxy
	Client  *client.Client
	Workers []*worker.Worker

	// ChainKind is the chain the network runs on (ChainFake or
	// ChainEmulated).
	ChainKind string
	// On the emulated chain: the chain as the nodes use it, its state
	// file (empty in memory) and the accounts of the network; nil and
	// empty on fake TON.
	Chain          ton.Chain
	ChainStatePath string
	Addresses      *Addresses
	// RootPollEvery is how often the nodes read the root contract on the
	// emulated chain: a node the root stops listing is refused within it.
	RootPollEvery time.Duration

	log    *slog.Logger
	runCtx context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// tn is the emulated chain, nil on fake TON; settle its pace.
	tn     *tonNet
	settle Settlement
	// workerContracts derives the workers' contracts; prices are the
	// network's until a chain's root is read.
	workerContracts worker.Contracts
	prices          billing.Prices
	servers         []*http.Server
	closers         []func()
	// The roles' runs, and what builds each anew from its config and
	// runs it (the first start and every restart); only the goroutine
	// that starts, restarts and closes the network touches them.
	proxyRole, clientRole   *role
	workerRoles             []*role
	startProxy, startClient func(ctx context.Context) error
	startWorkers            []func(ctx context.Context) error
	closeOnce               sync.Once
}

// role is one run of a node of the network, until the network closes or
// a restart stops it; its HTTP server serves the handler of the run.
type role struct {
	handler atomic.Pointer[http.Handler]
	stop    context.CancelFunc
	done    chan struct{} // closed once the run and its pages have stopped
}

func (r *role) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	(*r.handler.Load()).ServeHTTP(w, req)
}

// run runs node and its pages site until the network closes or the role
// is stopped by a restart, serving the pages in front of the node's
// handler h.
func (n *Network) run(r *role, site *web.Site, h http.Handler, node func(context.Context)) {
	ctx, cancel := context.WithCancel(n.runCtx)
	done := make(chan struct{})
	handler := site.Handler(h)
	r.handler.Store(&handler)
	r.stop, r.done = cancel, done
	n.wg.Go(func() {
		defer close(done)
		var pages sync.WaitGroup
		pages.Go(func() { site.Run(ctx) })
		node(ctx)
		cancel()
		pages.Wait()
	})
}

// restart stops the run of r and waits for it, then starts the node
// again with start.
func restart(ctx context.Context, r *role, start func(context.Context) error) error {
	r.stop()
	<-r.done
	return start(ctx)
}

// RestartProxy stops the proxy as its process ending would (it closes
// its connections, settling their requests, and flushes its ledger) and
// builds it again from its config, as `cocoon proxy` would: on the same
// endpoints, ledger, keys and chain. It returns once the new proxy runs;
// its peers reconnect on their own.
func (n *Network) RestartProxy(ctx context.Context) error {
	return restart(ctx, n.proxyRole, n.startProxy)
}

// RestartWorker stops worker i and builds it again from its config.
func (n *Network) RestartWorker(ctx context.Context, i int) error {
	return restart(ctx, n.workerRoles[i], n.startWorkers[i])
}

// RestartClient stops the client and builds it again from its config,
// with its state file.
func (n *Network) RestartClient(ctx context.Context) error {
	return restart(ctx, n.clientRole, n.startClient)
}

// listen opens a loopback listener on port, or a free one when port is 0.
func listen(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1:%d (another devnet or program has the port: stop it, or pass --ports-base N): %w", port, err)
	}
	return ln, nil
}

func port(base, off int) int {
	if base == 0 {
		return 0
	}
	return base + off
}

// node is one node's RA-TLS material with fake quotes.
type node struct {
	cert *ratls.Certifier
	key  ed25519.PrivateKey
}

// newNode returns a node with a fresh key attesting with fake TDX quotes.
func newNode(ctx context.Context, log *slog.Logger) (*node, error) {
	return newNodeKey(ctx, nil, faketdx.NewIssuer(), log)
}

// newNodeKey returns a node with key, or with a fresh key when key is nil,
// attesting with issuer.
func newNodeKey(ctx context.Context, key ed25519.PrivateKey, issuer attest.Issuer, log *slog.Logger) (*node, error) {
	if key == nil {
		var err error
		if _, key, err = ed25519.GenerateKey(nil); err != nil {
			return nil, fmt.Errorf("generating a node key: %w", err)
		}
	}
	c, err := ratls.NewCertifier(ctx, key, issuer, time.Now, log)
	if err != nil {
		return nil, err
	}
	return &node{cert: c, key: key}, nil
}

// verifier accepts peers with fake TDX quotes or fake SEV-SNP evidence as
// policy allows, or anyone for policy "any". It remembers validated
// evidence for one root poll, so that what the root or the collateral says
// is never older than that.
func verifier(policy string, rootPoll time.Duration) (*ratls.Verifier, error) {
	p, err := attest.ParsePolicy(policy)
	if err != nil {
		return nil, err
	}
	if p.Require == attest.KindNone {
		return ratls.NewVerifier(attest.NoVerification, p)
	}
	return ratls.NewVerifier(faketdx.NewValidator(), p, ratls.WithSEVSNP(fakesevsnp.NewValidator()), ratls.WithCache(rootPoll, ratls.DefaultCacheSize))
}

// workerTEEs returns the issuer of each worker, the Workers' and then
// the Extra ones' (fake TDX), and the proxy's worker policy for opts.
func workerTEEs(opts Options) ([]attest.Issuer, string, error) {
	if len(opts.WorkerTEEs) > opts.Workers {
		return nil, "", fmt.Errorf("starting devnet: %d worker TEEs for %d workers", len(opts.WorkerTEEs), opts.Workers)
	}
	issuers := make([]attest.Issuer, opts.Workers+len(opts.Extra))
	policy := "fake_tdx"
	for i := range issuers {
		tee := TEEFakeTDX
		if i < len(opts.WorkerTEEs) && opts.WorkerTEEs[i] != "" {
			tee = opts.WorkerTEEs[i]
		}
		switch tee {
		case TEEFakeTDX:
			issuers[i] = faketdx.NewIssuer()
		case TEEFakeSEVSNP:
			issuers[i] = fakesevsnp.NewIssuer()
			policy = "fake_tdx_or_fake_sev_snp"
		default:
			return nil, "", fmt.Errorf("starting devnet: worker %d: unknown TEE %q: want %q or %q", i, tee, TEEFakeTDX, TEEFakeSEVSNP)
		}
	}
	return issuers, policy, nil
}

// Start starts a network and returns once the client has a ready proxy
// connection and every worker is registered with the proxy. ctx bounds
// only the start; Close stops the network.
func Start(ctx context.Context, opts Options) (_ *Network, err error) {
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if opts.PoWDifficulty == 0 {
		opts.PoWDifficulty = DefaultPoWDifficulty
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	n := &Network{log: log, runCtx: runCtx, cancel: cancel, settle: opts.Settlement.withDefaults()}
	n.RootPollEvery = n.settle.RootPollEvery
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("creating the data directory: %w", err)
		}
	}

	workerIssuers, workerPolicy, err := workerTEEs(opts)
	if err != nil {
		return nil, err
	}
	var keys *nodeKeys
	switch opts.Chain {
	case "", ChainFake:
		n.ChainKind = ChainFake
		if opts.ChainStatePath != "" {
			return nil, errors.New("starting devnet: a chain state file needs the emulated chain")
		}
	case ChainEmulated:
		n.ChainKind = ChainEmulated
		if keys, err = loadKeys(opts.DataDir, opts.Workers+len(opts.Extra)); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("starting devnet: unknown chain %q: want %q or %q", opts.Chain, ChainEmulated, ChainFake)
	}

	engines, model, err := n.startEngines(opts)
	if err != nil {
		return nil, err
	}
	n.Model, n.EngineURLs = model, engines
	endpoints := opts.Endpoints
	if len(endpoints) == 0 && opts.Engine == nil && opts.EngineURL == "" {
		endpoints = []string{openai.PathChatCompletions, openai.PathCompletions, openai.PathEmbeddings}
	}
	type spec struct {
		model     string
		endpoints []string
		rate      int64
	}
	specs := make([]spec, 0, opts.Workers+len(opts.Extra))
	for range opts.Workers {
		specs = append(specs, spec{model, endpoints, 0})
	}
	for _, x := range opts.Extra {
		u := x.EngineURL
		if x.Engine != nil {
			if u, err = n.serveHTTP(0, x.Engine); err != nil {
				return nil, err
			}
		}
		if x.Model == "" || u == "" {
			return nil, errors.New("starting devnet: an extra worker needs a model name and an engine")
		}
		n.EngineURLs = append(n.EngineURLs, u)
		n.ExtraModels = append(n.ExtraModels, x.Model)
		specs = append(specs, spec{x.Model, x.Endpoints, x.AudioTokensPerSecond})
	}
	// Fake TON: ours, or the reference's from its config file. On the
	// emulated chain the chain's root replaces it below.
	fake, err := contracts.BuiltinFakeTON()
	if err != nil {
		return nil, err
	}
	var fakeChain chainconf.Chain
	if opts.FakeTONConfig != "" {
		if n.ChainKind != ChainFake {
			return nil, errors.New("starting devnet: a fake-TON config needs the fake chain")
		}
		if fakeChain.FakeTONConfig, err = filepath.Abs(opts.FakeTONConfig); err != nil {
			return nil, fmt.Errorf("starting devnet: %w", err)
		}
		fakeChain.RootContractAddress = cmp.Or(opts.FakeTONRoot, contracts.ReferenceLocalRoot)
		root, err := address.ParseAddr(fakeChain.RootContractAddress)
		if err != nil {
			return nil, fmt.Errorf("starting devnet: the fake-TON root %q: %w", fakeChain.RootContractAddress, err)
		}
		if fake, err = contracts.LoadFakeTON(fakeChain.FakeTONConfig, root); err != nil {
			return nil, fmt.Errorf("starting devnet: %w", err)
		}
	} else if opts.FakeTONRoot != "" {
		return nil, errors.New("starting devnet: a fake-TON root needs the fake-TON config it is the root of")
	}
	derivation, err := fake.Derivation()
	if err != nil {
		return nil, err
	}
	prices := fake.Prices()

	// The proxy.
	wln, err := listen(port(opts.PortsBase, 1001))
	if err != nil {
		return nil, err
	}
	cln, err := listen(port(opts.PortsBase, 1002))
	if err != nil {
		wln.Close()
		return nil, err
	}
	n.ProxyWorkersAddr, n.ProxyClientsAddr = wln.Addr().String(), cln.Addr().String()
	var tn *tonNet
	if keys != nil {
		images := make([]contracts.Hash, len(workerIssuers))
		for i, is := range workerIssuers {
			images[i] = fakeImage(is)
		}
		models := []string{model}
		for _, sp := range specs[opts.Workers:] {
			models = append(models, sp.model)
		}
		if tn, err = n.openChain(ctx, opts, keys, images, models); err != nil {
			wln.Close()
			cln.Close()
			return nil, err
		}
		for _, w := range keys.olderWallets {
			log.Info("keys of an older devnet: this wallet, owned by the admin, is no longer a node's and keeps its funds", "wallet", w.String())
		}
	}
	// owner names the owner of a node's contract: on the emulated chain
	// the given account, on fake TON a random address.
	owner := func(a func(*tonNet) *address.Address) string {
		if tn == nil {
			return contracts.NewOwnerAddress().String()
		}
		return a(tn).String()
	}
	settle := n.settle
	pcfg := proxy.Config{
		IsTest: true, WorkersListen: n.ProxyWorkersAddr, ClientsListen: n.ProxyClientsAddr,
		HTTPPort: port(opts.PortsBase, 1000), PoWDifficulty: opts.PoWDifficulty,
		WorkerPolicy: workerPolicy, ClientPolicy: "any",
		OwnerAddress: owner(func(t *tonNet) *address.Address { return t.keys.proxyOwner }),
		Chain:        fakeChain,
	}
	if tn != nil {
		settle.proxy(&pcfg)
		if pcfg.ChainState, pcfg.RootContractAddress, pcfg.NodeWalletKey, err = n.nodeChain(opts.DataDir, tn, ProxyWalletKeyFile, keys.proxyWallet); err != nil {
			wln.Close()
			cln.Close()
			return nil, err
		}
		if pcfg.MachineSpecificPrivateKey, pcfg.DBPath, err = proxySigning(opts.DataDir, keys.proxy); err != nil {
			wln.Close()
			cln.Close()
			return nil, err
		}
	}
	var proxyKey ed25519.PrivateKey
	if keys != nil {
		proxyKey = keys.proxy
	}
	pnode, err := newNodeKey(ctx, proxyKey, faketdx.NewIssuer(), log)
	if err != nil {
		wln.Close()
		cln.Close()
		return nil, err
	}
	wv, err := verifier(pcfg.WorkerPolicy, settle.RootPollEvery)
	if err != nil {
		return nil, err
	}
	cv, err := verifier(pcfg.ClientPolicy, settle.RootPollEvery)
	if err != nil {
		return nil, err
	}
	ledgerStore, err := n.openLedger(opts, pnode.key)
	if err != nil {
		wln.Close()
		cln.Close()
		return nil, err
	}
	pdeps := proxy.Deps{
		WorkerTLS: ratls.ServerConfig(pnode.cert, wv), ClientTLS: ratls.ServerConfig(pnode.cert, cv),
		SigningKey: pnode.key, Logger: log.With("node", "proxy"),
		Prices: prices, RootVersion: fake.Config.Version,
		Store: ledgerStore, ClientStake: opts.ClientStake,
		WorkerPeers: wv, ImageHash: FakeImageHash,
	}
	// The roles' derivations of the contracts: on fake TON from the
	// fake-TON params; on the emulated chain the proxy's from the params
	// of the contract its ledger is at, which it keeps across changes of
	// the root's params, and the client's and worker's from the proxy
	// contract the proxy names, as the chain holds it.
	var roleContracts interface {
		client.Contracts
		worker.Contracts
	} = derivation
	if tn != nil {
		if roleContracts, err = onchain.NewContracts(tn.chain, tn.root); err != nil {
			wln.Close()
			cln.Close()
			return nil, err
		}
	}
	// newProxy builds the proxy as `cocoon proxy` does from its config:
	// on the emulated chain its adapter, the contract its ledger is at
	// and the root's version.
	newProxy := func(ctx context.Context) (*proxy.Proxy, *contracts.Derivation, error) {
		deps, derive := pdeps, derivation
		if tn != nil {
			pc, err := tn.proxyChain(deps.Logger)
			if err != nil {
				return nil, nil, err
			}
			params, err := pc.Locate(ctx, ledgerStore)
			if err != nil {
				return nil, nil, err
			}
			if derive, err = contracts.NewDerivation(tn.root, params); err != nil {
				return nil, nil, err
			}
			deps.Chain, deps.Prices, deps.Wallet = pc, params.Prices(), tn.proxyWallet.Address()
			root, err := ton.ReadRootConfig(ctx, tn.chain, tn.root)
			if err != nil {
				return nil, nil, fmt.Errorf("starting devnet: %w", err)
			}
			deps.RootVersion = root.Version
		}
		deps.Contracts = derive
		p, err := proxy.New(pcfg, deps)
		return p, derive, err
	}
	p, proxyContracts, err := newProxy(ctx)
	if err != nil {
		wln.Close()
		cln.Close()
		return nil, err
	}
	if tn != nil {
		if n.Addresses, err = tn.addresses(proxyContracts); err != nil {
			wln.Close()
			cln.Close()
			return nil, err
		}
	}
	n.ProxyKey = pnode.key.Public().(ed25519.PublicKey)
	n.proxyRole = &role{}
	runProxy := func(p *proxy.Proxy, wln, cln net.Listener) error {
		site, err := web.NewProxySite(p, n.siteOptions(opts, tn, pcfg.HTTPAccessHash, pdeps.Logger))
		if err != nil {
			wln.Close()
			cln.Close()
			return err
		}
		n.Proxy = p
		n.run(n.proxyRole, site, p.Handler(), func(ctx context.Context) { p.Run(ctx, wln, cln) })
		return nil
	}
	if err := runProxy(p, wln, cln); err != nil {
		return nil, err
	}
	n.startProxy = func(ctx context.Context) error {
		p, _, err := newProxy(ctx)
		if err != nil {
			return err
		}
		wln, err := net.Listen("tcp", n.ProxyWorkersAddr)
		if err != nil {
			return fmt.Errorf("restarting the proxy: %w", err)
		}
		cln, err := net.Listen("tcp", n.ProxyClientsAddr)
		if err != nil {
			wln.Close()
			return fmt.Errorf("restarting the proxy: %w", err)
		}
		return runProxy(p, wln, cln)
	}
	if n.ProxyURL, err = n.serveHTTP(port(opts.PortsBase, 1000), n.proxyRole); err != nil {
		return nil, err
	}
	n.ExplorerURL = n.ProxyURL + "/explorer"
	pcfg.HTTPPort = urlPort(n.ProxyURL)
	if err := writeConfig(opts.DataDir, "proxy.json", pcfg); err != nil {
		return nil, err
	}

	// The workers.
	n.workerContracts, n.prices = roleContracts, prices
	for i, sp := range specs {
		wcfg := n.workerConfig(i, opts, owner(func(t *tonNet) *address.Address { return t.keys.workerOwners[i] }), sp.model, sp.endpoints, sp.rate)
		wcfg.Chain = fakeChain
		wlog := log.With("node", fmt.Sprintf("worker-%d", i))
		var wchain worker.Chain
		if tn != nil {
			settle.worker(&wcfg, opts.DataDir, i)
			if wcfg.StateFile != "" {
				if wcfg.StateFile, err = filepath.Abs(wcfg.StateFile); err != nil {
					return nil, fmt.Errorf("writing the node configs: %w", err)
				}
			}
			if wcfg.ChainState, wcfg.RootContractAddress, wcfg.NodeWalletKey, err = n.nodeChain(opts.DataDir, tn, WorkerWalletKeyFile(i), keys.workerWallets[i]); err != nil {
				return nil, err
			}
			if wchain, err = tn.workerChain(i, wlog); err != nil {
				return nil, err
			}
		}
		w, u, err := n.startWorker(ctx, opts, wcfg, workerIssuers[i], wchain, wlog)
		if err != nil {
			return nil, err
		}
		n.Workers = append(n.Workers, w)
		n.WorkerURLs = append(n.WorkerURLs, u)
		wcfg.HTTPPort = urlPort(u)
		if err := writeConfig(opts.DataDir, fmt.Sprintf("worker-%d.json", i), wcfg); err != nil {
			return nil, err
		}
	}

	// The client. Its config names the owner of its cocoon wallet; the
	// client runs with that wallet as its owner, which owns its contracts,
	// as `cocoon client` on a chain does.
	ccfg := client.Config{
		IsTest: true, OwnerAddress: owner(func(t *tonNet) *address.Address { return t.keys.clientOwner }), Proxies: []string{n.ProxyClientsAddr}, ProxyConnections: 1,
		ProxyPolicy: "fake_tdx", MaxPoWDifficulty: client.DefaultMaxPoWDifficulty, MaxBodyBytes: client.DefaultMaxBodyBytes,
		MaxUploadBytes: cmp.Or(opts.MaxUploadBytes, client.DefaultMaxUploadBytes),
		APIKeys:        opts.APIKeys, HTTPPort: port(opts.PortsBase, 0), Chain: fakeChain,
	}
	if tn != nil {
		ccfg.SecretString = keys.clientSecret
		settle.client(&ccfg, opts.DataDir)
		if ccfg.StateFile != "" {
			if ccfg.StateFile, err = filepath.Abs(ccfg.StateFile); err != nil {
				return nil, fmt.Errorf("writing the node configs: %w", err)
			}
		}
		if ccfg.ChainState, ccfg.RootContractAddress, ccfg.NodeWalletKey, err = n.nodeChain(opts.DataDir, tn, ClientWalletKeyFile, keys.clientWallet); err != nil {
			return nil, err
		}
	}
	cnode, err := newNode(ctx, log)
	if err != nil {
		return nil, err
	}
	pv, err := verifier(ccfg.ProxyPolicy, settle.RootPollEvery)
	if err != nil {
		return nil, err
	}
	runCfg := ccfg
	if tn != nil {
		runCfg.OwnerAddress = tn.clientWallet.Address().String()
	}
	n.clientRole = &role{}
	// startClient builds the client as `cocoon client` does from its
	// config and runs it.
	n.startClient = func(ctx context.Context) error {
		cdeps := client.Deps{
			TLS: ratls.ClientConfig(cnode.cert, pv), Logger: log.With("node", "client"), Contracts: roleContracts,
			Prices: prices,
		}
		if tn != nil {
			// The client learns its proxy from the root, as on TON, and
			// checks it against the root's lists.
			cdeps.Root, cdeps.ProxyPeers = tn.rootLists, pv
			var err error
			if cdeps.Chain, err = tn.clientChain(cdeps.Logger); err != nil {
				return err
			}
		}
		c, err := client.New(runCfg, cdeps)
		if err != nil {
			return err
		}
		site, err := web.NewClientSite(c, n.siteOptions(opts, tn, ccfg.HTTPAccessHash, cdeps.Logger))
		if err != nil {
			return err
		}
		n.Client = c
		n.run(n.clientRole, site, c.Handler(), func(ctx context.Context) { c.Run(ctx) })
		return nil
	}
	if err := n.startClient(ctx); err != nil {
		return nil, err
	}
	if n.ClientURL, err = n.serveHTTP(port(opts.PortsBase, 0), n.clientRole); err != nil {
		return nil, err
	}
	ccfg.HTTPPort = urlPort(n.ClientURL)
	if err := writeConfig(opts.DataDir, "client.json", ccfg); err != nil {
		return nil, err
	}

	if err := removeStaleConfigs(opts.DataDir, len(specs)); err != nil {
		return nil, err
	}
	if err := n.waitReady(ctx, len(specs)); err != nil {
		return nil, err
	}
	n.currentClientContract()
	return n, nil
}

// currentClientContract points Addresses at the client's contract in use
// when it is a later generation's than the first: one the client opened
// after its first was closed, as in a data directory whose contract was.
func (n *Network) currentClientContract() {
	if n.Addresses == nil {
		return
	}
	s := n.Client.Snapshot()
	for _, ps := range s.ProxyStatus {
		if ps.Generation == 0 {
			continue
		}
		for _, c := range s.Contracts {
			if c.Generation != ps.Generation || c.Phase != client.PhaseRunning {
				continue
			}
			addr, err1 := address.ParseAddr(c.Address)
			owner, err2 := address.ParseAddr(ps.Owner)
			if err1 == nil && err2 == nil {
				n.Addresses.ClientContract, n.Addresses.ClientGeneration, n.Addresses.ClientContractOwner = addr, ps.Generation, owner
			}
		}
	}
}

// openChain opens the emulated chain of opts and deploys what is missing;
// its root lists workerImages, the image hashes of the workers, and
// models, their full model names.
func (n *Network) openChain(ctx context.Context, opts Options, keys *nodeKeys, workerImages []contracts.Hash, models []string) (*tonNet, error) {
	n.ChainStatePath = opts.ChainStatePath
	if n.ChainStatePath == "" && opts.DataDir != "" {
		n.ChainStatePath = filepath.Join(opts.DataDir, ChainStateFile)
	}
	tn, err := openChain(ctx, n.ChainStatePath, opts.DataDir, keys, n.ProxyWorkersAddr+" "+n.ProxyClientsAddr, models, workerImages, opts.Settlement, opts.ChainClock)
	if err != nil {
		return nil, err
	}
	n.tn = tn
	if tn.deployed && opts.DataDir != "" {
		// A new chain: the proxy's ledger and the client's and workers'
		// states of a previous run belong to contracts that are gone.
		names := []string{LedgerFile, ClientStateFile}
		workers, err := filepath.Glob(filepath.Join(opts.DataDir, workerStateGlob))
		if err != nil {
			return nil, fmt.Errorf("listing the workers' state files: %w", err)
		}
		for _, w := range workers {
			names = append(names, filepath.Base(w))
		}
		for _, name := range names {
			if err := os.Remove(filepath.Join(opts.DataDir, name)); err == nil {
				n.log.Info("new chain: removed the state of the previous one", "file", name)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("removing the state of a previous chain: %w", err)
			}
		}
	}
	n.Chain = tn.chain
	return tn, nil
}

// workerConfig is the config of worker i, whose owner is owner, of model
// on endpoints (audio billed at audioRate), before its chain fields.
func (n *Network) workerConfig(i int, opts Options, owner, model string, endpoints []string, audioRate int64) worker.Config {
	c := worker.Config{
		IsTest: true, OwnerAddress: owner, Proxies: []string{n.ProxyWorkersAddr},
		ProxyConnections: 1, ModelName: model, Coefficient: billing.CoefficientOne,
		Endpoints: endpoints, AudioTokensPerSecond: audioRate,
		ForwardRequestsTo: n.EngineURLs[i], MaxActiveRequests: opts.MaxActiveRequests,
		ProxyPolicy: "fake_tdx", MaxPoWDifficulty: worker.DefaultMaxPoWDifficulty,
		HTTPPort: port(opts.PortsBase, 2000+10*i),
	}
	if c.MaxActiveRequests == 0 {
		c.MaxActiveRequests = worker.DefaultMaxActiveRequests
	}
	return c
}

// startWorker builds a worker from cfg as `cocoon worker --config …
// --insecure-fake-tdx` does, attesting with issuer, relaying payouts on
// chain (nil: none), and runs it and its HTTP server until the network
// closes; RestartWorker, with the index of its start, builds it again.
// On the emulated chain it reads the root and checks the proxy and
// itself against its lists.
func (n *Network) startWorker(ctx context.Context, opts Options, cfg worker.Config, issuer attest.Issuer, chain worker.Chain, log *slog.Logger) (*worker.Worker, string, error) {
	wnode, err := newNodeKey(ctx, nil, issuer, log)
	if err != nil {
		return nil, "", err
	}
	pv, err := verifier(cfg.ProxyPolicy, n.settle.RootPollEvery)
	if err != nil {
		return nil, "", err
	}
	r, i := &role{}, len(n.workerRoles)
	var first *worker.Worker
	start := func(ctx context.Context) error {
		eng, err := worker.NewEngine(cfg.ForwardRequestsTo, nil)
		if err != nil {
			return err
		}
		deps := worker.Deps{
			TLS: ratls.ClientConfig(wnode.cert, pv), Engine: eng,
			Prices: n.prices, Logger: log,
			Contracts: n.workerContracts, Chain: chain,
		}
		if n.tn != nil {
			deps.Root, deps.ProxyPeers, deps.ImageHash = n.tn.rootLists, pv, fakeImage(issuer)
		}
		w, err := worker.New(cfg, deps)
		if err != nil {
			return err
		}
		site, err := web.NewWorkerSite(w, n.siteOptions(opts, n.tn, cfg.HTTPAccessHash, log))
		if err != nil {
			return err
		}
		if first == nil {
			first = w
		} else if i < len(n.Workers) {
			n.Workers[i] = w
		}
		n.run(r, site, w.Handler(), func(ctx context.Context) { w.Run(ctx) })
		return nil
	}
	n.workerRoles = append(n.workerRoles, r)
	n.startWorkers = append(n.startWorkers, start)
	if err := start(ctx); err != nil {
		return nil, "", err
	}
	u, err := n.serveHTTP(cfg.HTTPPort, r)
	if err != nil {
		return nil, "", err
	}
	return first, u, nil
}

// fakeImage is the image hash of every node that issuer attests: its
// fake TEE's measurements are all zero.
func fakeImage(issuer attest.Issuer) contracts.Hash {
	return contracts.Hash(attest.Measurements{Kind: attest.IssuedKind(issuer)}.ImageHash())
}

// openLedger opens the proxy's ledger. On the emulated chain with a data
// directory it is a database there, so that a restarted devnet continues
// the accounts its contracts hold; otherwise it is kept in memory,
// flushed as to a database, so that the proxy signs payments for
// committed tokens.
func (n *Network) openLedger(opts Options, key ed25519.PrivateKey) (store.Store, error) {
	if n.ChainKind == ChainEmulated && opts.DataDir != "" {
		b, err := boltstore.Open(filepath.Join(opts.DataDir, LedgerFile), key, 5*time.Second)
		if err != nil {
			return nil, err
		}
		n.closers = append(n.closers, func() { b.Close() })
		return b, nil
	}
	return store.OpenMemory(store.NewMemoryFile(), key)
}

// startEngines returns the base URL of each worker's engine and the model
// name.
func (n *Network) startEngines(opts Options) ([]string, string, error) {
	urls := make([]string, opts.Workers)
	switch {
	case opts.Engine != nil:
		if opts.Model == "" {
			return nil, "", errors.New("starting devnet: a model name is needed with engine handlers")
		}
		for i := range urls {
			u, err := n.serveHTTP(0, opts.Engine(i))
			if err != nil {
				return nil, "", err
			}
			urls[i] = u
		}
		return urls, opts.Model, nil
	case opts.EngineURL != "":
		if opts.Model == "" {
			return nil, "", errors.New("starting devnet: --engine-url needs a model name")
		}
		if err := checkEngine(opts.EngineURL, opts.Model); err != nil {
			return nil, "", fmt.Errorf("starting devnet: %w", err)
		}
		for i := range urls {
			urls[i] = opts.EngineURL
		}
		return urls, opts.Model, nil
	case opts.ModelPath != "":
		m, err := engine.Load(context.Background(), opts.ModelPath, "", nil)
		if err != nil {
			return nil, "", fmt.Errorf("starting devnet: %w", err)
		}
		name := opts.Model
		if name == "" {
			name = m.Name()
		}
		n.ModelPath = opts.ModelPath
		e := engine.New(m, engine.Options{Threads: 1, Logger: n.log.With("node", "engine")})
		n.closers = append(n.closers, func() { e.Close() })
		u, err := n.serveHTTP(0, engine.NewHandler(e, name))
		if err != nil {
			return nil, "", err
		}
		for i := range urls {
			urls[i] = u
		}
		return urls, name, nil
	}
	return nil, "", errors.New("starting devnet: no engine: give a GGUF model or an engine URL")
}

// checkEngine asks the engine at url for its models and fails, naming the
// cause and the fix, when it does not answer or does not serve model.
func checkEngine(url, model string) error {
	// Its own connection, closed after: the engine's shutdown does not
	// wait for it.
	c := http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get(strings.TrimSuffix(url, "/") + "/v1/models")
	if err != nil {
		return fmt.Errorf("the engine at %s does not answer (%v): start it, or fix --engine-url", url, err)
	}
	defer res.Body.Close()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("the engine at %s answers GET /v1/models with %s: is it an OpenAI-compatible server? fix --engine-url", url, res.Status)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&list); err != nil {
		return fmt.Errorf("the engine at %s answers GET /v1/models with no model list (%v): is it an OpenAI-compatible server? fix --engine-url", url, err)
	}
	var ids []string
	for _, m := range list.Data {
		if m.ID == model {
			return nil
		}
		ids = append(ids, m.ID)
	}
	return fmt.Errorf("the engine at %s does not serve model %q; it serves %q: pass one of them as --model-name", url, model, ids)
}

// removeStaleConfigs removes the configs of workers beyond the first n
// that an earlier devnet with more workers left in dir, so that no
// config there describes a node this devnet does not run.
func removeStaleConfigs(dir string, n int) error {
	if dir == "" {
		return nil
	}
	for i := n; ; i++ {
		err := os.Remove(filepath.Join(dir, fmt.Sprintf("worker-%d.json", i)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("removing the config of a worker this devnet does not run: %w", err)
		}
	}
}

// siteOptions are the options of a node's pages: the emulated chain and
// its root, or none on fake TON.
func (n *Network) siteOptions(o Options, tn *tonNet, accessHash string, log *slog.Logger) web.Options {
	opts := web.Options{AccessHash: accessHash, Logger: log, SampleEvery: o.SampleEvery}
	if tn != nil {
		opts.Chain, opts.Root = tn.chain, tn.root
	}
	return opts
}

// serveHTTP serves h on a loopback port until Close and returns its URL.
func (n *Network) serveHTTP(p int, h http.Handler) (string, error) {
	ln, err := listen(p)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	n.servers = append(n.servers, srv)
	n.wg.Go(func() { srv.Serve(ln) })
	return "http://" + ln.Addr().String(), nil
}

// Files of the nodes' cocoon wallet keys in a devnet's data directory on
// the emulated chain, each the wallet's hex Ed25519 seed as KeysFile has
// it, readable by the owner only: the node configs' node_wallet_key.
const (
	ProxyWalletKeyFile  = "proxy-wallet.key"
	ClientWalletKeyFile = "client-wallet.key"
)

// WorkerWalletKeyFile is the file of worker i's cocoon wallet key.
func WorkerWalletKeyFile(i int) string { return fmt.Sprintf("worker-%d-wallet.key", i) }

// nodeChain returns the chain fields of a node config on the emulated
// chain with a data directory, so that the config written there names the
// devnet's chain: the absolute path of its state file, the root's address
// and the file of the node's wallet key, which it writes. Without a data
// directory nothing is written and the fields stay empty.
func (n *Network) nodeChain(dir string, tn *tonNet, keyName string, key ed25519.PrivateKey) (state, root, keyFile string, err error) {
	if dir == "" || n.ChainStatePath == "" {
		return "", "", "", nil
	}
	if state, err = filepath.Abs(n.ChainStatePath); err != nil {
		return "", "", "", fmt.Errorf("writing the node configs: %w", err)
	}
	if keyFile, err = filepath.Abs(filepath.Join(dir, keyName)); err != nil {
		return "", "", "", fmt.Errorf("writing the node configs: %w", err)
	}
	if err := writePrivate(keyFile, []byte(hex.EncodeToString(key.Seed())+"\n")); err != nil {
		return "", "", "", fmt.Errorf("writing a node wallet key: %w", err)
	}
	return state, tn.root.String(), keyFile, nil
}

// proxySigning returns the fields of proxy.json that let `cocoon proxy`
// sign as the devnet's proxy and continue its ledger: key's seed as
// machine_specific_private_key, and the absolute path of the ledger in
// dir as db_path. Without a data directory both are empty.
func proxySigning(dir string, key ed25519.PrivateKey) (machineKey, dbPath string, err error) {
	if dir == "" {
		return "", "", nil
	}
	if dbPath, err = filepath.Abs(filepath.Join(dir, LedgerFile)); err != nil {
		return "", "", fmt.Errorf("writing the node configs: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key.Seed()), dbPath, nil
}

// urlPort is the port of a URL serveHTTP returned.
func urlPort(u string) int {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(u, "http://"))
	n, _ := strconv.Atoi(p)
	return n
}

// writeConfig writes a node config into dir, if set, readable by the
// owner only: proxy.json holds the proxy's signing key, client.json the
// client's secret and API keys.
func writeConfig(dir, name string, cfg any) error {
	if dir == "" {
		return nil
	}
	b, _ := json.MarshalIndent(cfg, "", "  ") // plain config structs always marshal
	if err := writePrivate(filepath.Join(dir, name), append(b, '\n')); err != nil {
		return fmt.Errorf("writing the node config %s: %w", name, err)
	}
	return nil
}

// waitReady waits until every worker is registered and the client is
// connected.
func (n *Network) waitReady(ctx context.Context, workers int) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		ps := n.Proxy.Snapshot()
		cs := n.Client.Snapshot()
		if len(ps.WorkerConnections) >= workers && len(cs.ProxyConnections) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the network: %d of %d workers registered, %d client connections: %w",
				len(ps.WorkerConnections), workers, len(cs.ProxyConnections), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// StopWorker stops worker i: its proxy connections close at once, with
// whatever requests they carried.
func (n *Network) StopWorker(i int) { n.workerRoles[i].stop() }

// Close stops every node and waits for all of them.
func (n *Network) Close() error {
	n.closeOnce.Do(func() {
		n.cancel()
		// The roles are stopping, so there is nothing left to drain:
		// close the HTTP servers and their connections at once.
		for _, s := range n.servers {
			s.Close()
		}
		n.wg.Wait()
		for _, c := range n.closers {
			c()
		}
	})
	return nil
}
