package node

import (
	"context"
	"log/slog"
	"net"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/probe"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/web"
)

// ExplorerConfig is what `cocoon explorer` serves: the explorer of a
// root's network, alone.
type ExplorerConfig struct {
	// State or TonConfig names the chain: an emulated chain's state file,
	// or TON's global config.
	State, TonConfig string
	Root             *address.Address
	// ProxyContracts are shown besides those the root's proxies name.
	ProxyContracts []*address.Address
	// Listen is the address served on; AccessHash guards the pages.
	Listen, AccessHash string
	// Locate asks each proxy the root registers for its contract, as a
	// client connecting to it learns it, checking it against Policy
	// (with Attestation's fakes) and solving proofs of work up to MaxPoW.
	Locate      bool
	Policy      string
	Attestation Attestation
	MaxPoW      int
}

// Explorer serves the explorer of a network. Run it with Run, which
// releases what it opened.
type Explorer struct {
	site *web.Site
	ln   net.Listener
	closers
}

// Addr is where the explorer is served.
func (e *Explorer) Addr() net.Addr { return e.ln.Addr() }

// NewExplorer opens the chain cfg names and listens.
func NewExplorer(ctx context.Context, cfg ExplorerConfig, log *slog.Logger) (_ *Explorer, err error) {
	n := &Explorer{}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	opts := web.Options{Root: cfg.Root, ProxyContracts: cfg.ProxyContracts, AccessHash: cfg.AccessHash, Logger: log}
	chain, closeChain, err := OpenChain(ctx, cfg.State, cfg.TonConfig, log)
	if err != nil {
		return nil, err
	}
	n.add(closeChain)
	opts.Chain = chain
	if cfg.Locate {
		v, err := cfg.Attestation.Verifier(cfg.Policy, rootPollOf(chainconf.DefaultRootPollEvery), log)
		if err != nil {
			return nil, err
		}
		issuer, err := cfg.Attestation.ClientIssuer(log)
		if err != nil {
			return nil, err
		}
		cert, err := Certifier(ctx, nil, issuer, log)
		if err != nil {
			return nil, err
		}
		opts.Locator = probe.NewLocator(ratls.ClientConfig(cert, v), cfg.MaxPoW, log)
	}
	if n.site, err = web.NewExplorer(opts); err != nil {
		return nil, err
	}
	if n.ln, err = listen(nil, cfg.Listen, "HTTP"); err != nil {
		return nil, err
	}
	return n, nil
}

// Run serves the explorer until ctx ends.
func (e *Explorer) Run(ctx context.Context) error {
	defer e.close()
	return Serve(ctx, e.ln, e.site.Handler(nil), func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}, nil)
}
