package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"golang.org/x/sync/errgroup"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/attest/faketdx"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/obs"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/ton/liteclient"
	"github.com/cocoon-go/cocoon/internal/web"
	"github.com/cocoon-go/cocoon/internal/wire"
)

func init() {
	commands["explorer"] = command{summary: "serve the network explorer: root, proxies, workers, clients, value locked", run: runExplorer}
}

// proxyContracts collects repeated --proxy-contract flags.
type proxyContracts []*address.Address

func (p *proxyContracts) String() string { return fmt.Sprint(len(*p)) }

func (p *proxyContracts) Set(s string) error {
	a, err := parseAnyAddr(s)
	if err != nil {
		return fmt.Errorf("bad address %q: %w", s, err)
	}
	*p = append(*p, a)
	return nil
}

func runExplorer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("explorer", stdout, stderr)
	fs.SetOutput(stderr)
	statePath := fs.String("state", "", "emulated chain state `file` (as a devnet writes it)")
	dataDir := fs.String("data-dir", "", "a devnet's data `directory`, whose emulated chain to read (default "+defaultDevnetDir()+")")
	tonConfig := fs.String("ton-config", "", "TON global config `file` of a real network")
	rootFlag := fs.String("root", "", "`address` of the COCOON root contract (required)")
	listen := fs.String("listen", "127.0.0.1:8080", "`address` to serve the explorer on")
	accessHash := fs.String("access-hash", "", "demand ?access_hash=`VALUE` on every page, as a role's http_access_hash does")
	var fixed proxyContracts
	fs.Var(&fixed, "proxy-contract", "show this proxy contract `address` too (repeatable)")
	locate := fs.Bool("locate", true, "ask each proxy the root registers for its contract, as a client connecting to it learns it")
	policy := fs.String("policy", "tdx", "attestation the proxies must present when asked: tdx, fake_tdx or any")
	fakeTDX := fs.Bool("insecure-fake-tdx", false, "accept the fake TDX quotes of a test network's proxies (proves nothing)")
	maxPoW := fs.Int("max-pow-difficulty", wire.DefaultMaxPoWDifficulty, "hardest proof of work to solve when asking a proxy")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() != 0 {
		return usageError{fmt.Sprintf("explorer takes no arguments, got %q", fs.Args())}
	}
	sources := 0
	for _, s := range []string{*statePath, *dataDir, *tonConfig} {
		if s != "" {
			sources++
		}
	}
	switch {
	case sources > 1:
		return usageError{"explorer takes at most one of --data-dir, --state and --ton-config"}
	case *dataDir != "":
		*statePath = devnetChainState(*dataDir)
	case sources == 0:
		*statePath = devnetChainState(defaultDevnetDir())
	}
	root, err := rootParseAddr("root", *rootFlag)
	if err != nil {
		return err
	}
	log, err := obs.NewLogger(stderr, "text", *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	opts := web.Options{Root: root, ProxyContracts: fixed, AccessHash: *accessHash, Logger: log}
	if *statePath != "" {
		if _, err := os.Stat(*statePath); err != nil {
			return fmt.Errorf("opening chain state (is a devnet with --chain emulated using this directory?): %w", err)
		}
		c, err := emulated.New(emulated.Options{Path: *statePath, Logger: log})
		if err != nil {
			return err
		}
		opts.Chain = c
	} else {
		c, err := liteclient.Open(ctx, liteclient.Options{ConfigPath: *tonConfig, Logger: log})
		if err != nil {
			return err
		}
		defer c.Close()
		opts.Chain = c
	}
	if *locate {
		if opts.Locator, err = newProbeLocator(ctx, *policy, *fakeTDX, *maxPoW, log); err != nil {
			return err
		}
	}
	site, err := web.NewExplorer(opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening for HTTP: %w", err)
	}
	fmt.Fprintf(stdout, "explorer on http://%s/explorer\n", ln.Addr())
	return serveExplorer(ctx, ln, site.Handler(nil))
}

// serveExplorer serves h on ln until ctx ends.
func serveExplorer(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serving HTTP: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), roleShutdown)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
		return nil
	})
	return g.Wait()
}

// probeLocator learns a proxy's contract by connecting to its client
// endpoint as `cocoon probe` does.
type probeLocator struct {
	tls    *tls.Config
	maxPoW int
	log    *slog.Logger
}

var _ web.Locator = (*probeLocator)(nil)

// probeTimeout bounds one question to a proxy.
const probeTimeout = 20 * time.Second

func newProbeLocator(ctx context.Context, policy string, fakeTDX bool, maxPoW int, log *slog.Logger) (*probeLocator, error) {
	rf := &roleFlags{fakeTDX: &fakeTDX}
	v, err := rf.verifier(policy, time.Duration(chainconf.DefaultRootPollEvery), log)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	var issuer attest.Issuer = attest.NoEvidence
	if fakeTDX {
		issuer = faketdx.NewIssuer()
	}
	cert, err := certifier(ctx, issuer, log)
	if err != nil {
		return nil, err
	}
	return &probeLocator{tls: ratls.ClientConfig(cert, v), maxPoW: maxPoW, log: log}, nil
}

func (l *probeLocator) Locate(ctx context.Context, endpoint string, isTest bool) (*address.Address, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	connected, err := probeProxy(ctx, endpoint, l.tls.Clone(), l.maxPoW, isTest, l.log, nil)
	if err != nil {
		return nil, err
	}
	a, err := parseAnyAddr(connected.Params.ProxySCAddress)
	if err != nil {
		return nil, fmt.Errorf("the proxy at %s names contract %q: %w", endpoint, connected.Params.ProxySCAddress, err)
	}
	// Proxies name it non-bounceable, as the reference does; the pages
	// key contracts in the one form derived addresses have.
	return payment.Canonical(a), nil
}
