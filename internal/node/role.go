package node

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net"
	"net/http"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/web"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// roleNode is what every node holds besides its role's own parts: the
// role, its pages, its HTTP listener and what it opened.
type roleNode[R interface{ Handler() http.Handler }] struct {
	role R
	site *web.Site
	http net.Listener
	closers
}

// Role is the role the node runs.
func (n *roleNode[R]) Role() R { return n.role }

// HTTPAddr is where the node serves HTTP; nil with Options.NoHTTP.
func (n *roleNode[R]) HTTPAddr() net.Addr { return addrOf(n.http) }

// Handler serves the role's API (a client's) or stats, its control and
// its pages.
func (n *roleNode[R]) Handler() http.Handler { return n.site.Handler(n.role.Handler()) }

// Close releases what the node's constructor opened, for a node that is
// never run.
func (n *roleNode[R]) Close() { n.close() }

// build composes the node: compose builds the role from o and what it
// opens (added to the node's closers) and returns its pages; build then
// listens for HTTP on addr. If any of it fails, build releases what was
// opened.
func (n *roleNode[R]) build(o Options, addr string, compose func(log *slog.Logger) (*web.Site, error)) (err error) {
	log := o.logger()
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	if n.site, err = compose(log); err != nil {
		return err
	}
	n.http, err = httpListener(o, addr, &n.closers, log)
	return err
}

// run runs role, the pages' sampler and the HTTP server until ctx ends or
// one of them fails, then stops them within ShutdownTimeout and releases
// what the node opened.
func (n *roleNode[R]) run(ctx context.Context, role func(context.Context) error) error {
	defer n.close()
	return run(ctx, n.http, n.Handler(), withPages(n.site, role))
}

// certifier is a node's RA-TLS certifier for key, attested by the issuer
// that newIssuer makes.
func certifier(ctx context.Context, key ed25519.PrivateKey, newIssuer func(*slog.Logger) (attest.Issuer, error), log *slog.Logger) (*ratls.Certifier, error) {
	issuer, err := newIssuer(log)
	if err != nil {
		return nil, err
	}
	return Certifier(ctx, key, issuer, log)
}

// payee is what a client or a worker is paid under: the derivation of
// its contracts and the root's prices and version.
type payee struct {
	contracts interface {
		client.Contracts
		worker.Contracts
	}
	prices      billing.Prices
	rootVersion uint32
	// fake is the fake TON the role runs on without a chain.
	fake contracts.FakeTON
}

// openPayee is what a client or a worker is paid under: without a chain
// (rc nil) the fake TON its chain config cfg names; on the chain rc,
// which c then closes, the contracts the proxies name, deployed under the
// params of their day, from which ours derive.
func openPayee(log *slog.Logger, cfg chainconf.Chain, rc *Chain, c *closers) (payee, error) {
	if rc == nil {
		ft, err := FakeTON(log, cfg)
		if err != nil {
			return payee{}, err
		}
		d, err := ft.Derivation()
		if err != nil {
			return payee{}, err
		}
		return payee{contracts: d, prices: ft.Prices(), rootVersion: ft.Config.Version, fake: ft}, nil
	}
	c.add(rc.Close)
	prices, err := rc.Prices(rc.Config.Params)
	if err != nil {
		return payee{}, err
	}
	oc, err := onchain.NewContracts(rc.Chain, rc.Root)
	if err != nil {
		return payee{}, err
	}
	return payee{contracts: oc, prices: prices, rootVersion: rc.Config.Version}, nil
}
