package cli

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
)

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

func newRoleFlags(fs *flag.FlagSet, skip bool) *roleFlags {
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
	if err := ParseFlags(r.fs, args); err != nil {
		return node.Options{}, err
	}
	if *r.config == "" {
		return node.Options{}, UsageError{r.fs.Name() + " needs --config FILE"}
	}
	log, err := obs.NewLogger(stderr, *r.logFormat, *r.logLevel)
	if err != nil {
		return node.Options{}, UsageError{err.Error()}
	}
	a := node.Attestation{TEE: *r.tee, InsecureFakeTDX: *r.fakeTDX, InsecureFakeSEVSNP: *r.fakeSEVSNP, InsecureSkipAttestation: *r.skipAttestation}
	return node.Options{Logger: log, Attestation: a}, nil
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
			return UsageError{"--insecure-skip-hash-checks lets any attested image serve; only a test network (is_test) may"}
		}
		c.InsecureSkipHashChecks = true
	}
	return nil
}

// Role is a role command: it parses the role's flags on fs, loads its
// config with load, applies the flags to the config's chain settings,
// builds its node with build and runs it until ctx ends. The worker and
// the client may skip checking the proxies' attestation
// (--insecure-skip-attestation); the proxy may not.
func Role[C any, N interface{ Run(context.Context) error }](ctx context.Context, fs *flag.FlagSet, args []string, stderr io.Writer,
	load func(string) (C, error), chain func(*C) (*chainconf.Chain, bool), build func(context.Context, C, node.Options) (N, error)) error {
	name := fs.Name()
	rf := newRoleFlags(fs, name != "proxy")
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
			return UsageError{err.Error()}
		}
	}
	n, err := build(ctx, cfg, o)
	if err != nil {
		return err
	}
	return n.Run(ctx)
}

// ServedClient is `cocoon client`: the client library (package client)
// serving its API on the config's HTTP port.
type ServedClient struct {
	c  *client.Client
	ln net.Listener
}

// OpenClient opens the client with the library and listens on its HTTP
// port.
func OpenClient(ctx context.Context, cfg client.Config, o node.Options) (*ServedClient, error) {
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
	return &ServedClient{c: c, ln: ln}, nil
}

// Run serves the client's API until ctx ends, then stops the client and
// the server within node.ShutdownTimeout.
func (s *ServedClient) Run(ctx context.Context) error { return s.c.Serve(ctx, s.ln) }
