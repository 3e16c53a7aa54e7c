package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/cocoon-go/cocoon/client"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/worker"
)

func init() {
	commands["proxy"] = command{summary: "run a proxy: accept workers and clients, route requests", run: runProxy}
	commands["worker"] = command{summary: "run a worker: serve proxies' requests on an inference engine", run: runWorker}
	commands["client"] = command{summary: "run a client: the OpenAI-compatible API in front of the network", run: runClient}
}

// roleFlags are the flags every role command shares.
type roleFlags struct {
	fs                  *flag.FlagSet
	config              *string
	logFormat, logLevel *string
	fakeTDX, fakeSEVSNP *bool
	tee                 *string
	skipAttestation     *bool
	skipHashChecks      *bool
	// The chain: each overrides the role config's field of the same
	// meaning (chain_state, ton_config_filename, root_contract_address,
	// node_wallet_key, fake_ton_config).
	chainState, tonConfig, root, nodeWalletKey, fakeTON *string
}

func newRoleFlags(name string, stdout, stderr io.Writer, skip bool) *roleFlags {
	fs := newFlagSet(name, stdout, stderr)
	r := &roleFlags{
		fs:        fs,
		config:    fs.String("config", "", "JSON configuration `file` (required)"),
		logFormat: fs.String("log-format", "text", "log format: text or json"),
		logLevel:  fs.String("log-level", "info", "log level: debug, info, warn or error"),
		fakeTDX: fs.Bool("insecure-fake-tdx", false,
			"attest with the reference's fake TDX quotes and accept them from peers (proves nothing; test networks only)"),
		fakeSEVSNP: fs.Bool("insecure-fake-sev-snp", false,
			"attest with fake AMD SEV-SNP evidence and accept it from peers (proves nothing; test networks only)"),
		tee: fs.String("tee", "", "what this node attests with: tdx (Intel TDX, the default) or sev-snp (AMD SEV-SNP); fake-tdx or fake-sev-snp with their --insecure-fake-* flag (the default with one of them alone)"),
		skipHashChecks: fs.Bool("insecure-skip-hash-checks", false,
			"do not check peers against the root's proxy_hashes, worker_hashes and model_hashes (insecure_skip_hash_checks; test networks only)"),
		skipAttestation: new(bool),
		chainState:      fs.String("chain-state", "", "run on the emulated chain kept in this state `file` (a devnet's; chain_state)"),
		tonConfig:       fs.String("ton-config", "", "run on real TON through the liteservers of this global config `file` (ton_config_filename)"),
		root:            fs.String("root", "", "`address` of the COCOON root contract (root_contract_address)"),
		nodeWalletKey: fs.String("node-wallet-key", "",
			"Ed25519 seed of the node's cocoon wallet: a `file` holding it, or the seed in hex or base64 (node_wallet_key)"),
		fakeTON: fs.String("disable-ton", "",
			"run on the reference's fake TON: its root config `file` (its runners' --disable-ton FILE) under the root of --root (fake_ton_config)"),
	}
	if skip {
		r.skipAttestation = fs.Bool("insecure-skip-attestation", false,
			"accept proxies without checking their attestation or image hash (anyone can impersonate them)")
	}
	return r
}

// parse parses args, sets up logging and returns the node's options.
func (r *roleFlags) parse(args []string, stderr io.Writer) (node.Options, error) {
	if err := r.fs.Parse(args); err != nil {
		return node.Options{}, usageErr(err)
	}
	if r.fs.NArg() != 0 {
		return node.Options{}, usageError{fmt.Sprintf("%s takes no arguments, got %q", r.fs.Name(), r.fs.Args())}
	}
	if *r.config == "" {
		return node.Options{}, usageError{r.fs.Name() + " needs --config FILE"}
	}
	log, err := obs.NewLogger(stderr, *r.logFormat, *r.logLevel)
	if err != nil {
		return node.Options{}, usageError{err.Error()}
	}
	return node.Options{Logger: log, Attestation: r.attestation()}, nil
}

// attestation is how the flags ask the node to attest.
func (r *roleFlags) attestation() node.Attestation {
	return node.Attestation{TEE: *r.tee, InsecureFakeTDX: *r.fakeTDX, InsecureFakeSEVSNP: *r.fakeSEVSNP, InsecureSkipAttestation: *r.skipAttestation}
}

// apply applies the flags to a role's chain settings: the chain flags
// override the config's fields, and --insecure-skip-hash-checks is for a
// test network (isTest) only.
func (r *roleFlags) apply(c *chainconf.Chain, isTest bool) error {
	for _, f := range []struct{ flag, dst *string }{
		{r.chainState, &c.ChainState}, {r.tonConfig, &c.TonConfigFilename}, {r.root, &c.RootContractAddress},
		{r.nodeWalletKey, &c.NodeWalletKey}, {r.fakeTON, &c.FakeTONConfig},
	} {
		if *f.flag != "" {
			*f.dst = *f.flag
		}
	}
	if *r.skipHashChecks {
		if !isTest {
			return usageError{"--insecure-skip-hash-checks lets any attested image serve; only a test network (is_test) may"}
		}
		c.InsecureSkipHashChecks = true
	}
	return nil
}

// The role commands: each loads its config, applies the flags and
// builds its node, then runs it until ctx ends.
var (
	runProxy  = roleCommand("proxy", proxy.LoadConfig, func(c *proxy.Config) (*chainconf.Chain, bool) { return &c.Chain, c.IsTest }, node.NewProxy)
	runWorker = roleCommand("worker", worker.LoadConfig, func(c *worker.Config) (*chainconf.Chain, bool) { return &c.Chain, c.IsTest }, node.NewWorker)
	runClient = roleCommand("client", client.LoadConfig, func(c *client.Config) (*chainconf.Chain, bool) { return &c.Chain, c.IsTest }, openClient)
)

func roleCommand[C any, N interface{ Run(context.Context) error }](name string, load func(string) (C, error), chain func(*C) (*chainconf.Chain, bool),
	build func(context.Context, C, node.Options) (N, error)) func(context.Context, []string, io.Writer, io.Writer) error {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		// The worker and the client may skip checking the proxies'
		// attestation (--insecure-skip-attestation); the proxy may not.
		rf := newRoleFlags(name, stdout, stderr, name != "proxy")
		o, err := rf.parse(args, stderr)
		if err != nil {
			return err
		}
		cfg, err := load(*rf.config)
		if err != nil {
			return err
		}
		if err := rf.apply(chain(&cfg)); err != nil {
			return err
		}
		// A client attests nothing unless it may attest with a fake.
		a := o.Attestation
		if name != "client" || a.InsecureFakeTDX || a.InsecureFakeSEVSNP {
			if err := a.Check(); err != nil {
				return usageError{err.Error()}
			}
		}
		n, err := build(ctx, cfg, o)
		if err != nil {
			return err
		}
		return n.Run(ctx)
	}
}

// servedClient is `cocoon client`: the client library (package client)
// with its handler served on the config's HTTP port.
type servedClient struct {
	c  *client.Client
	ln net.Listener
}

// openClient opens the client with the library and listens on its HTTP
// port.
func openClient(ctx context.Context, cfg client.Config, o node.Options) (*servedClient, error) {
	a := o.Attestation
	c, err := client.Open(ctx, cfg, client.Options{TEE: a.TEE, InsecureFakeTDX: a.InsecureFakeTDX, InsecureFakeSEVSNP: a.InsecureFakeSEVSNP,
		InsecureSkipAttestation: a.InsecureSkipAttestation, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("listening for HTTP: %w", err), c.Close())
	}
	o.Logger.Info("HTTP listening", "addr", ln.Addr().String())
	return &servedClient{c: c, ln: ln}, nil
}

// Run serves the client's API until ctx ends, then stops the client and
// the server within node.ShutdownTimeout.
func (s *servedClient) Run(ctx context.Context) error {
	return node.Serve(ctx, s.ln, s.c.Handler(), func(ctx context.Context) error {
		<-ctx.Done()
		return s.c.Close()
	}, nil)
}
