package node

import (
	"context"
	"net"
	"net/http"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/web"
)

// Client is a client node: the role, its pages, its HTTP listener and
// what it opened. Run it with Run, which releases all of it.
type Client struct {
	role *client.Client
	site *web.Site
	http net.Listener
	closers
}

// Role is the client role the node runs.
func (c *Client) Role() *client.Client { return c.role }

// HTTPAddr is where the node serves its API; nil with Options.NoHTTP.
func (c *Client) HTTPAddr() net.Addr { return addrOf(c.http) }

// Handler serves the OpenAI-compatible API, the stats, control and pages.
func (c *Client) Handler() http.Handler { return c.site.Handler(c.role.Handler()) }

// NewClient builds a client from cfg as `cocoon client` does: its
// attestation (none, unless a fake one is allowed: proxies do not attest
// clients), its chain, with the root's registered proxies and lists and
// its contracts owned by its cocoon wallet, or fake TON.
func NewClient(ctx context.Context, cfg client.Config, o Options) (_ *Client, err error) {
	log := o.logger()
	n := &Client{}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	issuer, err := o.Attestation.ClientIssuer(log)
	if err != nil {
		return nil, err
	}
	cert, err := Certifier(ctx, o.Key, issuer, log)
	if err != nil {
		return nil, err
	}
	v, err := o.Attestation.Verifier(cfg.ProxyPolicy, rootPollOf(cfg.RootPollEvery), log)
	if err != nil {
		return nil, err
	}
	deps := client.Deps{TLS: ratls.ClientConfig(cert, v), Logger: log}
	rc, err := openRoleChain(ctx, log, cfg.Chain, cfg.OwnerAddress, chainOptions{shared: o.Chain, walletKey: o.WalletKey})
	if err != nil {
		return nil, err
	}
	if rc == nil {
		ft, err := FakeTON(log, cfg.Chain)
		if err != nil {
			return nil, err
		}
		if deps.Contracts, err = ft.Derivation(); err != nil {
			return nil, err
		}
		deps.Mode, deps.Prices, deps.RootVersion = chainconf.FakeTON, ft.Prices(), ft.Config.Version
		// The reference's fake TON lists its proxies, as a root
		// contract would; they do not change.
		if cfg.FakeTONConfig != "" && len(cfg.Proxies) == 0 {
			for _, p := range ft.Config.Proxies {
				cfg.Proxies = append(cfg.Proxies, p.ClientAddr())
			}
		}
	} else {
		n.add(rc.Close)
		deps.RootVersion = rc.Config.Version
		if deps.Prices, err = rc.Prices(rc.Config.Params); err != nil {
			return nil, err
		}
		// Proxies name their contracts, deployed under the params of
		// their day; our contracts derive from those.
		if deps.Contracts, err = onchain.NewContracts(rc.Chain, rc.Root); err != nil {
			return nil, err
		}
		// The client dials the proxies the root registers and checks
		// them against its lists.
		deps.Root, deps.ProxyPeers = rc.Lists, v
		if rc.Wallet == nil {
			log.Warn("no node_wallet_key (--node-wallet-key): the proxies come from the root contract, but the client's contracts are not operated")
			deps.Mode = chainconf.ReadOnly
		} else {
			// The client's contracts are owned by its cocoon wallet, as
			// the reference's are: that is the owner it names to proxies.
			cfg.OwnerAddress = rc.Wallet.Address().String()
			log.Info("the client's contracts are owned by its cocoon wallet", "owner", cfg.OwnerAddress)
			deps.Mode = chainconf.OnChain
			deps.Chain, err = onchain.NewClient(onchain.ClientConfig{Chain: rc.Chain, Root: rc.Root, Wallet: rc.Wallet, Logger: log})
			if err != nil {
				return nil, err
			}
		}
	}
	if n.role, err = client.New(cfg, deps); err != nil {
		return nil, err
	}
	if n.site, err = web.NewClientSite(n.role, pageOptions(rc, cfg.HTTPAccessHash, o, log)); err != nil {
		return nil, err
	}
	if n.http, err = httpListener(o, cfg.HTTPAddr(), &n.closers, log); err != nil {
		return nil, err
	}
	return n, nil
}

// Run runs the client, its pages and its HTTP server until ctx ends or
// one of them fails, then stops them within ShutdownTimeout and releases
// what NewClient opened.
func (c *Client) Run(ctx context.Context) error {
	defer c.close()
	return run(ctx, c.http, c.Handler(), withPages(c.site, c.role.Run))
}

// Close releases what NewClient opened, for a node that is never run.
func (c *Client) Close() { c.close() }
