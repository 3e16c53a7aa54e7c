package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"golang.org/x/sync/errgroup"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/fakesevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/attest/sevsnp"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/store"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/ton/liteclient"
	"github.com/cocoon-go/cocoon/internal/web"
)

func init() {
	commands["proxy"] = command{summary: "run a proxy: accept workers and clients, route requests", run: runProxy}
}

// roleFlags are the flags every role command shares.
type roleFlags struct {
	fs              *flag.FlagSet
	config          *string
	logFormat       *string
	logLevel        *string
	fakeTDX         *bool
	fakeSEVSNP      *bool
	tee             *string
	skipAttestation *bool
	skipHashChecks  *bool
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
		chainState: fs.String("chain-state", "", "run on the emulated chain kept in this state `file` (a devnet's; chain_state)"),
		tonConfig:  fs.String("ton-config", "", "run on real TON through the liteservers of this global config `file` (ton_config_filename)"),
		root:       fs.String("root", "", "`address` of the COCOON root contract (root_contract_address)"),
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

// parse parses args and sets up logging.
func (r *roleFlags) parse(args []string, stderr io.Writer) (*slog.Logger, error) {
	if err := r.fs.Parse(args); err != nil {
		return nil, usageErr(err)
	}
	if r.fs.NArg() != 0 {
		return nil, usageError{fmt.Sprintf("%s takes no arguments, got %q", r.fs.Name(), r.fs.Args())}
	}
	if *r.config == "" {
		return nil, usageError{r.fs.Name() + " needs --config FILE"}
	}
	log, err := obs.NewLogger(stderr, *r.logFormat, *r.logLevel)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return log, nil
}

// issuer is where this node's quotes come from: --tee, or the fake that
// the one --insecure-fake-* flag given allows, or TDX.
func (r *roleFlags) issuer(log *slog.Logger) (attest.Issuer, error) {
	fakeSNP := r.fakeSEVSNP != nil && *r.fakeSEVSNP
	tee := ""
	if r.tee != nil {
		tee = *r.tee
	}
	if tee == "" {
		switch {
		case *r.fakeTDX && fakeSNP:
			return nil, usageError{"--insecure-fake-tdx and --insecure-fake-sev-snp: pass --tee fake-tdx or --tee fake-sev-snp to say which this node attests with"}
		case *r.fakeTDX:
			tee = "fake-tdx"
		case fakeSNP:
			tee = "fake-sev-snp"
		default:
			tee = "tdx"
		}
	}
	switch tee {
	case "fake-tdx":
		if !*r.fakeTDX {
			return nil, usageError{"--tee fake-tdx needs --insecure-fake-tdx"}
		}
		log.Warn("INSECURE: attesting with fake TDX quotes, which prove nothing")
		return faketdx.NewIssuer(), nil
	case "fake-sev-snp":
		if !fakeSNP {
			return nil, usageError{"--tee fake-sev-snp needs --insecure-fake-sev-snp"}
		}
		log.Warn("INSECURE: attesting with fake SEV-SNP evidence, which proves nothing")
		return fakesevsnp.NewIssuer(), nil
	case "sev-snp":
		i, err := sevsnp.NewIssuer()
		if err != nil {
			return nil, fmt.Errorf("setting up SEV-SNP attestation (outside an SNP guest, test networks may use --insecure-fake-sev-snp): %w", err)
		}
		return i, nil
	case "tdx":
		i, err := tdx.NewIssuer()
		if err != nil {
			return nil, fmt.Errorf("setting up TDX attestation (outside a TD, test networks may use --insecure-fake-tdx): %w", err)
		}
		return i, nil
	}
	return nil, usageError{fmt.Sprintf("--tee must be tdx, sev-snp, fake-tdx or fake-sev-snp, not %q", tee)}
}

// skipHashes applies --insecure-skip-hash-checks to a role's chain
// settings: only a test network may.
func (r *roleFlags) skipHashes(c *chainconf.Chain, isTest bool) error {
	if r.skipHashChecks == nil || !*r.skipHashChecks {
		return nil
	}
	if !isTest {
		return usageError{"--insecure-skip-hash-checks lets any attested image serve; only a test network (is_test) may"}
	}
	c.InsecureSkipHashChecks = true
	return nil
}

// verifier checks peers against a policy in the router's syntax, with a
// validator for each TEE the policy accepts. Evidence it validated is
// remembered for at most one root poll, rootPoll, so that a revoked
// collateral or a changed root is never served from its cache for longer.
func (r *roleFlags) verifier(spec string, rootPoll time.Duration, log *slog.Logger) (*ratls.Verifier, error) {
	cache := ratls.WithCache(rootPoll, ratls.DefaultCacheSize)
	if r.skipAttestation != nil && *r.skipAttestation {
		log.Warn("INSECURE: peers' attestation is not checked (--insecure-skip-attestation)")
		return ratls.NewVerifier(attest.NoVerification, attest.Policy{Name: "any", Require: attest.KindNone}, cache)
	}
	p, err := attest.ParsePolicy(spec)
	if err != nil {
		return nil, err
	}
	if p.Require == attest.KindNone {
		return ratls.NewVerifier(attest.NoVerification, p, cache)
	}
	var tdxV, snpV attest.Validator = attest.NoVerification, nil
	for _, k := range p.Kinds() {
		switch k {
		case attest.KindFakeTDX:
			if !*r.fakeTDX {
				return nil, fmt.Errorf("policy %q accepts fake TDX quotes: pass --insecure-fake-tdx to allow it", spec)
			}
			tdxV = faketdx.NewValidator()
		case attest.KindFakeSEVSNP:
			if r.fakeSEVSNP == nil || !*r.fakeSEVSNP {
				return nil, fmt.Errorf("policy %q accepts fake SEV-SNP evidence: pass --insecure-fake-sev-snp to allow it", spec)
			}
			snpV = fakesevsnp.NewValidator()
		case attest.KindTDX:
			if tdxV, err = tdx.NewValidator(time.Now); err != nil {
				return nil, fmt.Errorf("setting up TDX verification: %w", err)
			}
		case attest.KindSEVSNP:
			if snpV, err = sevsnp.NewValidator(time.Now); err != nil {
				return nil, fmt.Errorf("setting up SEV-SNP verification: %w", err)
			}
		}
	}
	var opts []ratls.Option
	if snpV != nil {
		opts = append(opts, ratls.WithSEVSNP(snpV))
	}
	return ratls.NewVerifier(tdxV, p, append(opts, cache)...)
}

// ownImage is the image hash this node attests with c's certificate:
// zero when it attests nothing.
func ownImage(ctx context.Context, c *ratls.Certifier) ([32]byte, error) {
	cert, err := c.Certificate(ctx)
	if err != nil {
		return [32]byte{}, err
	}
	ev, err := ratls.ParseEvidence(cert.Leaf)
	if err != nil {
		return [32]byte{}, fmt.Errorf("reading our own certificate: %w", err)
	}
	m, err := measurementsOf(ev)
	if err != nil {
		return [32]byte{}, fmt.Errorf("reading our own evidence: %w", err)
	}
	if m.Kind == attest.KindNone {
		return [32]byte{}, nil
	}
	return m.ImageHash(), nil
}

// certifier issues this node's RA-TLS certificate for a fresh key.
func certifier(ctx context.Context, issuer attest.Issuer, log *slog.Logger) (*ratls.Certifier, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the TLS key: %w", err)
	}
	return ratls.NewCertifier(ctx, key, issuer, time.Now, log)
}

// registeredAt reports whether a proxy the root registers has the ports
// of the workers and clients listeners (the hosts are public addresses the
// proxy cannot see from inside), and its seqno.
func registeredAt(proxies []contracts.RegisteredProxy, workers, clients net.Addr) (uint32, bool) {
	port := func(a string) string {
		_, p, err := net.SplitHostPort(a)
		if err != nil {
			return ""
		}
		return p
	}
	for _, p := range proxies {
		if port(p.WorkerAddr()) == port(workers.String()) && port(p.ClientAddr()) == port(clients.String()) {
			return p.Seqno, true
		}
	}
	return 0, false
}

// fakeTON returns the fake TON a role without a chain runs on: the
// reference's, from its root config file s.fakeTON under the root s.root,
// or without that file our own.
func fakeTON(log *slog.Logger, s chainSpec) (contracts.FakeTON, error) {
	if s.fakeTON == "" {
		f, err := contracts.BuiltinFakeTON()
		if err != nil {
			return contracts.FakeTON{}, err
		}
		log.Info("on our fake TON: contract addresses derived under its root", "root", f.Root.String(), "root_version", f.Config.Version)
		return f, nil
	}
	if s.root == "" {
		return contracts.FakeTON{}, errors.New("fake_ton_config (--disable-ton) needs root_contract_address (--root): the reference's runners derive their contracts under theirs")
	}
	root, err := parseAnyAddr(s.root)
	if err != nil {
		return contracts.FakeTON{}, fmt.Errorf("root_contract_address: %w", err)
	}
	f, err := contracts.LoadFakeTON(s.fakeTON, root)
	if err != nil {
		return contracts.FakeTON{}, err
	}
	if err := f.Prices().Validate(); err != nil {
		return contracts.FakeTON{}, fmt.Errorf("fake_ton_config %s: %w", s.fakeTON, err)
	}
	log.Info("on the reference's fake TON: contract addresses derived under its root config", "config", s.fakeTON, "root", root.String(),
		"root_version", f.Config.Version, "params_version", f.Config.Params.ParamsVersion,
		"price_per_token_nano", int64(f.Config.Params.PricePerToken), "worker_fee_per_token_nano", int64(f.Config.Params.WorkerFeePerToken))
	return f, nil
}

// fakeWallet returns the address of the node's cocoon wallet on fake TON,
// which no chain holds but whose address the key and owner fix; nil
// without a node_wallet_key.
func fakeWallet(s chainSpec, owner string) (*address.Address, error) {
	if s.walletKey == "" {
		return nil, nil
	}
	key, err := loadNodeKey(s.walletKey)
	if err != nil {
		return nil, err
	}
	o, err := parseAnyAddr(owner)
	if err != nil {
		return nil, fmt.Errorf("owner_address %q: the node's cocoon wallet names its owner: %w", owner, err)
	}
	code, err := contracts.Code(contracts.Wallet)
	if err != nil {
		return nil, err
	}
	w, err := ton.NewCocoonWallet(code, key, o)
	if err != nil {
		return nil, err
	}
	return w.Address(), nil
}

// chainSpec says where a role's chain is, as the reference's config
// fields name it, plus chain_state: the state file of an emulated chain.
type chainSpec struct {
	state, tonConfig, root, walletKey, fakeTON string
}

// roleSpec returns the chain fields of a role's config.
func roleSpec(c chainconf.Chain) chainSpec {
	return chainSpec{state: c.ChainState, tonConfig: c.TonConfigFilename, root: c.RootContractAddress, walletKey: c.NodeWalletKey, fakeTON: c.FakeTONConfig}
}

// chainSpec returns the config's chain fields overridden by the flags.
func (r *roleFlags) chainSpec(config chainSpec) chainSpec {
	s := config
	for _, f := range []struct {
		flag *string
		dst  *string
	}{{r.chainState, &s.state}, {r.tonConfig, &s.tonConfig}, {r.root, &s.root}, {r.nodeWalletKey, &s.walletKey}, {r.fakeTON, &s.fakeTON}} {
		if *f.flag != "" {
			*f.dst = *f.flag
		}
	}
	return s
}

// roleChain is a role's chain, opened: the root contract as read at the
// start and the node's cocoon wallet, owned by the node's owner address.
type roleChain struct {
	chain  ton.Chain
	root   *address.Address
	config contracts.RootConfig
	// wallet and owner are nil without a node wallet key.
	wallet *onchain.Wallet
	owner  *address.Address
	close  func()
}

// openRoleChain opens the chain s names (nil, nil for none: fake TON),
// reads its root contract and opens the node's cocoon wallet, owned by
// owner. needWallet makes the wallet key required.
func openRoleChain(ctx context.Context, log *slog.Logger, s chainSpec, owner string, needWallet bool) (*roleChain, error) {
	switch {
	case s.state != "" && s.tonConfig != "":
		return nil, errors.New("chain_state (--chain-state) and ton_config_filename (--ton-config) both set: name one chain")
	case s.fakeTON != "" && (s.state != "" || s.tonConfig != ""):
		return nil, errors.New("fake_ton_config (--disable-ton) and a chain (chain_state, ton_config_filename) both set: fake TON has no chain")
	case s.state == "" && s.tonConfig == "":
		if s.fakeTON == "" && (s.root != "" || s.walletKey != "") {
			return nil, errors.New("root_contract_address and node_wallet_key need a chain, chain_state (--chain-state) or ton_config_filename (--ton-config), or the reference's fake TON, fake_ton_config (--disable-ton)")
		}
		return nil, nil
	case s.root == "":
		return nil, errors.New("a chain needs root_contract_address (--root)")
	case needWallet && s.walletKey == "":
		return nil, errors.New("a chain needs node_wallet_key (--node-wallet-key): the seed of the node's cocoon wallet, which sends its messages")
	}
	root, err := parseAnyAddr(s.root)
	if err != nil {
		return nil, fmt.Errorf("root_contract_address: %w", err)
	}
	rc := &roleChain{root: root}
	if s.walletKey != "" {
		if rc.owner, err = parseAnyAddr(owner); err != nil {
			return nil, fmt.Errorf("owner_address %q: the node's cocoon wallet names its owner: %w", owner, err)
		}
	}
	var key ed25519.PrivateKey
	if s.walletKey != "" {
		if key, err = loadNodeKey(s.walletKey); err != nil {
			return nil, err
		}
	}
	kind := "ton"
	if s.state != "" {
		kind = "emulated"
		if _, err := os.Stat(s.state); err != nil {
			return nil, fmt.Errorf("opening emulated chain state: %w", err)
		}
		c, err := emulated.New(emulated.Options{Path: s.state, Logger: log})
		if err != nil {
			return nil, err
		}
		rc.chain, rc.close = c, func() {}
	} else {
		c, err := liteclient.Open(ctx, liteclient.Options{ConfigPath: s.tonConfig, Logger: log})
		if err != nil {
			return nil, err
		}
		rc.chain, rc.close = c, func() { c.Close() }
	}
	if rc.config, err = ton.ReadRootConfig(ctx, rc.chain, root); err != nil {
		rc.close()
		return nil, fmt.Errorf("starting on the %s chain: %w", kind, err)
	}
	log.Info("on chain", "chain", kind, "root", root.String(), "root_version", rc.config.Version,
		"params_version", rc.config.Params.ParamsVersion, "price_per_token_nano", int64(rc.config.Params.PricePerToken),
		"worker_fee_per_token_nano", int64(rc.config.Params.WorkerFeePerToken))
	if key == nil {
		return rc, nil
	}
	if rc.wallet, err = onchain.NewWallet(rc.chain, key, rc.owner, onchain.WalletOptions{Logger: log}); err != nil {
		rc.close()
		return nil, err
	}
	bal, err := rc.wallet.Balance(ctx)
	if err != nil {
		rc.close()
		return nil, fmt.Errorf("starting on the %s chain: %w", kind, err)
	}
	if bal < onchain.WalletMinimum {
		log.Warn("the node's cocoon wallet cannot send until it is funded", "wallet", rc.wallet.Address().String(),
			"balance_ton", bal.String(), "minimum_ton", onchain.WalletMinimum.String())
	} else {
		log.Info("node's cocoon wallet", "wallet", rc.wallet.Address().String(), "balance_ton", bal.String())
	}
	return rc, nil
}

// prices returns the prices of params, checked.
func (rc *roleChain) prices(params contracts.Params) (billing.Prices, error) {
	prices := params.Prices()
	if err := prices.Validate(); err != nil {
		return billing.Prices{}, fmt.Errorf("root %s prices: %w", rc.root, err)
	}
	return prices, nil
}

// derivation returns the prices of params and the contract derivation
// under them.
func (rc *roleChain) derivation(params contracts.Params) (billing.Prices, *contracts.Derivation, error) {
	prices, err := rc.prices(params)
	if err != nil {
		return billing.Prices{}, nil, err
	}
	c, err := contracts.NewDerivation(rc.root, params)
	if err != nil {
		return billing.Prices{}, nil, fmt.Errorf("root %s params: %w", rc.root, err)
	}
	return prices, c, nil
}

// parseAnyAddr reads a TON address in user-friendly or raw form.
func parseAnyAddr(s string) (*address.Address, error) {
	a, err := address.ParseAddr(s)
	if err == nil {
		return a, nil
	}
	if a, rawErr := address.ParseRawAddr(s); rawErr == nil {
		return a, nil
	}
	return nil, err
}

// loadNodeKey reads a node_wallet_key as the reference does: a file
// holding the Ed25519 seed, or the seed itself in hex or base64. The key
// never appears in an error.
func loadNodeKey(s string) (ed25519.PrivateKey, error) {
	if _, err := os.Stat(s); err == nil {
		k, err := loadKeyFile(s)
		if err != nil {
			return nil, fmt.Errorf("node_wallet_key: %w", err)
		}
		return k, nil
	}
	text := strings.TrimSpace(s)
	if b, err := hex.DecodeString(text); err == nil && len(b) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(b), nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == ed25519.SeedSize {
			return ed25519.NewKeyFromSeed(b), nil
		}
	}
	return nil, errors.New("node_wallet_key: neither a readable file nor a 32-byte Ed25519 seed in hex or base64")
}

// roleShutdown bounds how long the HTTP server may take to stop.
const roleShutdown = 5 * time.Second

// serveRole runs a role and its HTTP server until ctx ends or either
// fails, then stops both.
func serveRole(ctx context.Context, log *slog.Logger, httpAddr string, h http.Handler, run func(context.Context) error) error {
	ln, err := net.Listen("tcp", httpAddr)
	if err != nil {
		return fmt.Errorf("listening for HTTP: %w", err)
	}
	log.Info("HTTP listening", "addr", ln.Addr().String())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving HTTP: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		err := run(gctx)
		sctx, cancel := context.WithTimeout(context.Background(), roleShutdown)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		return err
	})
	return g.Wait()
}

func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRoleFlags("proxy", stdout, stderr, false)
	log, err := rf.parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := proxy.LoadConfig(*rf.config)
	if err != nil {
		return err
	}
	if err := rf.skipHashes(&cfg.Chain, cfg.IsTest); err != nil {
		return err
	}
	issuer, err := rf.issuer(log)
	if err != nil {
		return err
	}
	// The proxy's RA-TLS key is its signing key, so that its attestation
	// vouches for the key its contract and payments carry; peers that are
	// cocoon-go nodes check it.
	var key ed25519.PrivateKey
	if cfg.MachineSpecificPrivateKey != "" {
		seed, err := cfg.SigningSeed()
		if err != nil {
			return err
		}
		key = ed25519.NewKeyFromSeed(seed[:])
	} else if _, key, err = ed25519.GenerateKey(rand.Reader); err != nil {
		return fmt.Errorf("generating the proxy's key: %w", err)
	}
	cert, err := ratls.NewCertifier(ctx, key, issuer, time.Now, log)
	if err != nil {
		return err
	}
	image, err := ownImage(ctx, cert)
	if err != nil {
		return err
	}
	rootPoll := time.Duration(cfg.RootPollEvery)
	wv, err := rf.verifier(cfg.WorkerPolicy, rootPoll, log)
	if err != nil {
		return fmt.Errorf("worker_policy: %w", err)
	}
	cv, err := rf.verifier(cfg.ClientPolicy, rootPoll, log)
	if err != nil {
		return fmt.Errorf("client_policy: %w", err)
	}
	deps := proxy.Deps{
		WorkerTLS: ratls.ServerConfig(cert, wv), ClientTLS: ratls.ServerConfig(cert, cv), Logger: log,
		SigningKey: key, WorkerPeers: wv, ImageHash: image,
	}
	spec := rf.chainSpec(roleSpec(cfg.Chain))
	rc, err := openRoleChain(ctx, log, spec, cfg.OwnerAddress, true)
	if err != nil {
		return err
	}
	if rc == nil {
		ft, err := fakeTON(log, spec)
		if err != nil {
			return err
		}
		if deps.Contracts, err = ft.Derivation(); err != nil {
			return err
		}
		deps.Prices, deps.RootVersion = ft.Prices(), ft.Config.Version
		// The payments the proxy signs send their excess to its cocoon
		// wallet, which fake TON does not deploy but whose address the
		// key fixes.
		if deps.Wallet, err = fakeWallet(spec, cfg.OwnerAddress); err != nil {
			return err
		}
	} else {
		defer rc.close()
		if cfg.MachineSpecificPrivateKey == "" {
			return errors.New("a proxy on a chain needs machine_specific_private_key: its contract stores the proxy's key")
		}
		deps.Wallet, deps.RootVersion = rc.wallet.Address(), rc.config.Version
	}
	var st *store.Bolt
	if cfg.DBPath != "" {
		if st, err = store.OpenBolt(cfg.DBPath, deps.SigningKey, 5*time.Second); err != nil {
			return err
		}
		defer st.Close()
		deps.Store = st
	}
	if rc != nil {
		pc, err := onchain.NewProxy(onchain.ProxyConfig{
			Chain: rc.chain, Root: rc.root, Wallet: rc.wallet, Owner: rc.owner,
			Key: deps.SigningKey.Public().(ed25519.PublicKey), Logger: log,
			Derive: func(params contracts.Params) (proxy.Contracts, error) {
				_, c, err := rc.derivation(params)
				return c, err
			},
		})
		if err != nil {
			return err
		}
		// The proxy keeps the contract its ledger is at across changes of
		// the root's params; without a database it has no ledger to keep.
		var rec onchain.ProxyRecord
		if st != nil {
			rec = st
		}
		params, err := pc.Locate(ctx, rec)
		if err != nil {
			return err
		}
		if deps.Prices, deps.Contracts, err = rc.derivation(params); err != nil {
			return err
		}
		deps.Chain = pc
	}
	p, err := proxy.New(cfg, deps)
	if err != nil {
		return err
	}
	wln, err := net.Listen("tcp", cfg.WorkersListen)
	if err != nil {
		return fmt.Errorf("listening for workers: %w", err)
	}
	cln, err := net.Listen("tcp", cfg.ClientsListen)
	if err != nil {
		wln.Close()
		return fmt.Errorf("listening for clients: %w", err)
	}
	log.Info("proxy listening", "workers", wln.Addr().String(), "clients", cln.Addr().String())
	if rc != nil {
		if seqno, ok := registeredAt(rc.config.Proxies, wln.Addr(), cln.Addr()); !ok {
			log.Warn("the root registers no proxy at the ports this proxy listens on: workers and clients that follow the root cannot reach it; have the root's owner run cocoon root update-proxy (or register-proxy) with these ports, or listen where the root says",
				"workers", wln.Addr().String(), "clients", cln.Addr().String(), "registered", rc.config.Proxies)
		} else {
			log.Info("the root registers this proxy's endpoints", "seqno", seqno)
		}
	}
	site, err := web.NewProxySite(p, pageOptions(rc, cfg.HTTPAccessHash, log))
	if err != nil {
		wln.Close()
		cln.Close()
		return err
	}
	return serveRole(ctx, log, cfg.HTTPAddr(), site.Handler(p.Handler()), withPages(site, func(ctx context.Context) error { return p.Run(ctx, wln, cln) }))
}

// pageOptions are the options of a role's pages (package web): its
// chain and root, or none on fake TON.
func pageOptions(rc *roleChain, accessHash string, log *slog.Logger) web.Options {
	opts := web.Options{AccessHash: accessHash, Logger: log}
	if rc != nil {
		opts.Chain, opts.Root = rc.chain, rc.root
	}
	return opts
}

// withPages runs a role with its pages' sampler beside it; both stop
// when the role does.
func withPages(site *web.Site, run func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		pctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() { site.Run(pctx) })
		err := run(ctx)
		cancel()
		wg.Wait()
		return err
	}
}
