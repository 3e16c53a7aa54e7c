// Package devnet composes a whole COCOON network in one process on
// loopback: a proxy, N workers and a client, with fake TDX attestation,
// a low proof-of-work difficulty, the built-in engine (or any
// OpenAI-compatible engine URL), and either the reference's fake-TON
// semantics or an emulated TON chain on which the COCOON contracts are
// deployed at start and the roles move money. It is what `cocoon devnet`
// runs and what the integration tests start. Each node, the built-in
// engine and the proxy's ledger file included, is built by package node
// as the command of its role builds it; the devnet adds what the nodes
// share in one process (the emulated chain, keys, loopback listeners).
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
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/engine/fakespeech"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/openai"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/statefile"
	"github.com/cocoon-go/cocoon/internal/ton"
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

	opts   Options
	log    *slog.Logger
	runCtx context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// tn is the emulated chain, nil on fake TON; settle its pace; keys
	// the nodes' keys on it; fake the chain fields of the nodes' configs
	// on the reference's fake TON.
	tn      *tonNet
	settle  Settlement
	keys    *nodeKeys
	fake    chainconf.Chain
	servers []*http.Server
	closers []func()
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

// run runs nd (the role and its pages) until the network closes or the
// role is stopped by a restart; r serves nd's handler.
func (n *Network) run(r *role, nd interface {
	Run(context.Context) error
	Handler() http.Handler
}) {
	ctx, cancel := context.WithCancel(n.runCtx)
	done := make(chan struct{})
	h := nd.Handler()
	r.handler.Store(&h)
	r.stop, r.done = cancel, done
	n.wg.Go(func() {
		defer close(done)
		if err := nd.Run(ctx); err != nil {
			n.log.Error("a node of the devnet stopped", "err", err)
		}
		cancel()
	})
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

// workerTEEs returns the TEE of each worker, the Workers' and then the
// Extra ones' (fake TDX), and the proxy's worker policy for opts.
func workerTEEs(opts Options) ([]string, string, error) {
	if len(opts.WorkerTEEs) > opts.Workers {
		return nil, "", fmt.Errorf("starting devnet: %d worker TEEs for %d workers", len(opts.WorkerTEEs), opts.Workers)
	}
	tees := make([]string, opts.Workers+len(opts.Extra))
	policy := "fake_tdx"
	for i := range tees {
		tees[i] = TEEFakeTDX
		if i < len(opts.WorkerTEEs) && opts.WorkerTEEs[i] != "" {
			tees[i] = opts.WorkerTEEs[i]
		}
		switch tees[i] {
		case TEEFakeTDX:
		case TEEFakeSEVSNP:
			policy = "fake_tdx_or_fake_sev_snp"
		default:
			return nil, "", fmt.Errorf("starting devnet: worker %d: unknown TEE %q: want %q or %q", i, tees[i], TEEFakeTDX, TEEFakeSEVSNP)
		}
	}
	return tees, policy, nil
}

// Start starts a network and returns once the client has a ready proxy
// connection and every worker is registered with the proxy. ctx bounds
// only the start; Close stops the network. Each node is built by package
// node from the config the devnet writes for it, as `cocoon
// proxy|worker|client --config … --insecure-fake-tdx` builds it, and the
// built-in engine as `cocoon engine` builds it.
func Start(ctx context.Context, opts Options) (_ *Network, err error) {
	opts.Workers, opts.PoWDifficulty = cmp.Or(max(opts.Workers, 0), 1), cmp.Or(opts.PoWDifficulty, DefaultPoWDifficulty)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	n := &Network{opts: opts, log: opts.Logger, runCtx: runCtx, cancel: cancel, settle: opts.Settlement.withDefaults()}
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
	tees, workerPolicy, err := workerTEEs(opts)
	if err != nil {
		return nil, err
	}
	if err := n.chooseChain(); err != nil {
		return nil, err
	}
	specs, err := n.startEngines(opts)
	if err != nil {
		return nil, err
	}
	// The proxy's endpoints, which the root registers on the emulated
	// chain.
	wln, err := listen(port(opts.PortsBase, 1001))
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, func() { wln.Close() })
	cln, err := listen(port(opts.PortsBase, 1002))
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, func() { cln.Close() })
	n.ProxyWorkersAddr, n.ProxyClientsAddr = wln.Addr().String(), cln.Addr().String()
	if n.keys != nil {
		images, models := make([]contracts.Hash, len(tees)), make([]string, 0, len(specs))
		for i, tee := range tees {
			images[i] = fakeImage(tee)
		}
		for i, sp := range specs {
			if i == 0 || i >= opts.Workers {
				models = append(models, sp.model)
			}
		}
		if err := n.openChain(ctx, images, models); err != nil {
			return nil, err
		}
	}
	if err := n.startProxyNode(ctx, workerPolicy, wln, cln); err != nil {
		return nil, err
	}
	for i, sp := range specs {
		if err := n.startWorkerNode(ctx, i, sp, tees[i]); err != nil {
			return nil, err
		}
	}
	if err := n.startClientNode(ctx); err != nil {
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

// chooseChain sets the chain the network runs on: fake TON (ours, or the
// reference's root config) or the emulated chain, whose keys it loads.
func (n *Network) chooseChain() error {
	opts := n.opts
	switch opts.Chain {
	case "", ChainFake:
		n.ChainKind = ChainFake
		if opts.ChainStatePath != "" {
			return errors.New("starting devnet: a chain state file needs the emulated chain")
		}
	case ChainEmulated:
		n.ChainKind = ChainEmulated
		var err error
		if n.keys, err = loadKeys(opts.DataDir, opts.Workers+len(opts.Extra)); err != nil {
			return err
		}
		for _, w := range n.keys.olderWallets {
			n.log.Info("keys of an older devnet: this wallet, owned by the admin, is no longer a node's and keeps its funds", "wallet", w.String())
		}
	default:
		return fmt.Errorf("starting devnet: unknown chain %q: want %q or %q", opts.Chain, ChainEmulated, ChainFake)
	}
	switch {
	case opts.FakeTONConfig != "" && n.ChainKind != ChainFake:
		return errors.New("starting devnet: a fake-TON config needs the fake chain")
	case opts.FakeTONConfig != "":
		file, err := filepath.Abs(opts.FakeTONConfig)
		if err != nil {
			return fmt.Errorf("starting devnet: %w", err)
		}
		n.fake = chainconf.Chain{FakeTONConfig: file, RootContractAddress: cmp.Or(opts.FakeTONRoot, contracts.ReferenceLocalRoot)}
		if _, err := address.ParseAddr(n.fake.RootContractAddress); err != nil {
			return fmt.Errorf("starting devnet: the fake-TON root %q: %w", n.fake.RootContractAddress, err)
		}
	case opts.FakeTONRoot != "":
		return errors.New("starting devnet: a fake-TON root needs the fake-TON config it is the root of")
	}
	return nil
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

// openChain opens the emulated chain and deploys what is missing; its
// root lists workerImages, the image hashes of the workers, and models,
// their full model names.
func (n *Network) openChain(ctx context.Context, workerImages []contracts.Hash, models []string) error {
	opts := n.opts
	n.ChainStatePath = opts.ChainStatePath
	if n.ChainStatePath == "" && opts.DataDir != "" {
		n.ChainStatePath = filepath.Join(opts.DataDir, ChainStateFile)
	}
	tn, err := openChain(ctx, n.ChainStatePath, opts.DataDir, n.keys, n.ProxyWorkersAddr+" "+n.ProxyClientsAddr, models, workerImages, opts.Settlement, opts.ChainClock)
	if err != nil {
		return err
	}
	n.tn = tn
	if tn.deployed && opts.DataDir != "" {
		// A new chain: the proxy's ledger and the client's and workers'
		// states of a previous run belong to contracts that are gone.
		names := []string{LedgerFile, ClientStateFile}
		workers, err := filepath.Glob(filepath.Join(opts.DataDir, workerStateGlob))
		if err != nil {
			return fmt.Errorf("listing the workers' state files: %w", err)
		}
		for _, w := range workers {
			names = append(names, filepath.Base(w))
		}
		for _, name := range names {
			if err := os.Remove(filepath.Join(opts.DataDir, name)); err == nil {
				n.log.Info("new chain: removed the state of the previous one", "file", name)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing the state of a previous chain: %w", err)
			}
		}
	}
	n.Chain = tn.chain
	return nil
}

// fakeImage is the image hash of every node that attests with the fake
// TEE tee: its measurements are all zero.
func fakeImage(tee string) contracts.Hash {
	kind := attest.KindFakeTDX
	if tee == TEEFakeSEVSNP {
		kind = attest.KindFakeSEVSNP
	}
	return contracts.Hash(attest.Measurements{Kind: kind}.ImageHash())
}

// workerSpec is what one worker serves: its model, on endpoints of its
// engine at engineURL, audio billed at rate.
type workerSpec struct {
	model, engineURL string
	endpoints        []string
	rate             int64
}

// startEngines starts the engines of the Workers and of the Extra ones,
// and returns what each worker serves.
func (n *Network) startEngines(opts Options) ([]workerSpec, error) {
	engines, model, err := n.mainEngines(opts)
	if err != nil {
		return nil, err
	}
	n.Model, n.EngineURLs = model, engines
	endpoints := opts.Endpoints
	if len(endpoints) == 0 && opts.Engine == nil && opts.EngineURL == "" {
		endpoints = []string{openai.PathChatCompletions, openai.PathCompletions, openai.PathEmbeddings}
	}
	specs := make([]workerSpec, 0, opts.Workers+len(opts.Extra))
	for i := range opts.Workers {
		specs = append(specs, workerSpec{model, engines[i], endpoints, 0})
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
		specs = append(specs, workerSpec{x.Model, u, x.Endpoints, x.AudioTokensPerSecond})
	}
	return specs, nil
}

// mainEngines returns the base URL of each of the Workers' engines and
// the model name.
func (n *Network) mainEngines(opts Options) ([]string, string, error) {
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
		// The built-in engine, as `cocoon engine --model … --threads 1`
		// builds it, on a free loopback port until the network closes.
		cfg := node.EngineConfig{Model: opts.ModelPath, Name: opts.Model, Listen: "127.0.0.1:0", Threads: 1}
		e, err := node.NewEngine(context.Background(), cfg, nil, n.log.With("node", "engine"))
		if err != nil {
			return nil, "", fmt.Errorf("starting devnet: %w", err)
		}
		n.ModelPath = opts.ModelPath
		n.wg.Go(func() {
			if err := e.Run(n.runCtx); err != nil {
				n.log.Error("the devnet's engine stopped", "err", err)
			}
		})
		for i := range urls {
			urls[i] = "http://" + e.Addr().String()
		}
		return urls, e.Name(), nil
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
	if err := statefile.Write(keyFile, []byte(hex.EncodeToString(key.Seed())+"\n")); err != nil {
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
	if err := statefile.Write(filepath.Join(dir, name), append(b, '\n')); err != nil {
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
