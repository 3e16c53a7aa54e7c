package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/attest/tdx"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/store"
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
	skipAttestation *bool
}

func newRoleFlags(name string, stderr io.Writer, skip bool) *roleFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	r := &roleFlags{
		fs:        fs,
		config:    fs.String("config", "", "JSON configuration `file` (required)"),
		logFormat: fs.String("log-format", "text", "log format: text or json"),
		logLevel:  fs.String("log-level", "info", "log level: debug, info, warn or error"),
		fakeTDX: fs.Bool("insecure-fake-tdx", false,
			"attest with the reference's fake TDX quotes and accept them from peers (proves nothing; test networks only)"),
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

// issuer is where this node's quotes come from.
func (r *roleFlags) issuer(log *slog.Logger) (attest.Issuer, error) {
	if *r.fakeTDX {
		log.Warn("INSECURE: attesting with fake TDX quotes, which prove nothing")
		return faketdx.NewIssuer(), nil
	}
	i, err := tdx.NewIssuer()
	if err != nil {
		return nil, fmt.Errorf("setting up TDX attestation (outside a TD, test networks may use --insecure-fake-tdx): %w", err)
	}
	return i, nil
}

// verifier checks peers against a policy in the router's syntax.
func (r *roleFlags) verifier(spec string, log *slog.Logger) (*ratls.Verifier, error) {
	if r.skipAttestation != nil && *r.skipAttestation {
		log.Warn("INSECURE: peers' attestation is not checked (--insecure-skip-attestation)")
		return ratls.NewVerifier(attest.NoVerification, attest.Policy{Name: "any", Require: attest.KindNone})
	}
	p, err := attest.ParsePolicy(spec)
	if err != nil {
		return nil, err
	}
	switch p.Require {
	case attest.KindNone:
		return ratls.NewVerifier(attest.NoVerification, p)
	case attest.KindFakeTDX:
		if !*r.fakeTDX {
			return nil, fmt.Errorf("policy %q accepts fake TDX quotes: pass --insecure-fake-tdx to allow it", spec)
		}
		return ratls.NewVerifier(faketdx.NewValidator(), p)
	}
	v, err := tdx.NewValidator(time.Now)
	if err != nil {
		return nil, fmt.Errorf("setting up TDX verification: %w", err)
	}
	return ratls.NewVerifier(v, p)
}

// certifier issues this node's RA-TLS certificate for a fresh key.
func certifier(ctx context.Context, issuer attest.Issuer, log *slog.Logger) (*ratls.Certifier, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the TLS key: %w", err)
	}
	return ratls.NewCertifier(ctx, key, issuer, time.Now, log)
}

// fakeTONPrices are the prices the roles bill and value tokens at until
// the root contract is read: the reference's fake-TON 2 nanoTON per token,
// 1 to the worker, multipliers 1.0.
var fakeTONPrices = billing.DefaultPrices(devnet.FakePricePerToken, devnet.FakeWorkerFeePerToken)

// fakeTONContracts derives contract addresses under the fake-TON root
// params and the compiled contract code, until the root contract's own
// params are read from the chain.
func fakeTONContracts(log *slog.Logger) (*devnet.Contracts, error) {
	c, err := devnet.FakeTONContracts()
	if err != nil {
		return nil, err
	}
	log.Info("contract addresses derived under the fake-TON root", "root", devnet.FakeTONRoot().String())
	return c, nil
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
	rf := newRoleFlags("proxy", stderr, false)
	log, err := rf.parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := proxy.LoadConfig(*rf.config)
	if err != nil {
		return err
	}
	issuer, err := rf.issuer(log)
	if err != nil {
		return err
	}
	cert, err := certifier(ctx, issuer, log)
	if err != nil {
		return err
	}
	wv, err := rf.verifier(cfg.WorkerPolicy, log)
	if err != nil {
		return fmt.Errorf("worker_policy: %w", err)
	}
	cv, err := rf.verifier(cfg.ClientPolicy, log)
	if err != nil {
		return fmt.Errorf("client_policy: %w", err)
	}
	contracts, err := fakeTONContracts(log)
	if err != nil {
		return err
	}
	deps := proxy.Deps{
		WorkerTLS: ratls.ServerConfig(cert, wv), ClientTLS: ratls.ServerConfig(cert, cv), Logger: log,
		Prices: fakeTONPrices, Contracts: contracts,
	}
	if cfg.MachineSpecificPrivateKey != "" {
		seed, err := cfg.SigningSeed()
		if err != nil {
			return err
		}
		deps.SigningKey = ed25519.NewKeyFromSeed(seed[:])
	}
	if cfg.DBPath != "" {
		st, err := store.OpenBolt(cfg.DBPath, deps.SigningKey, 5*time.Second)
		if err != nil {
			return err
		}
		defer st.Close()
		deps.Store = st
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
	return serveRole(ctx, log, cfg.HTTPAddr(), p.Handler(), func(ctx context.Context) error { return p.Run(ctx, wln, cln) })
}
