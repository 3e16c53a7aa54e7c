package node

import (
	"context"
	"log/slog"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/web"
)

// Client is a client node: the role, its pages, its HTTP listener and
// what it opened. Run it with Run, which releases all of it.
type Client struct {
	roleNode[*client.Client]
}

// NewClient builds a client from cfg as `cocoon client` does: its
// attestation (none, unless a fake one is allowed: proxies do not attest
// clients), its chain, with the root's registered proxies and lists and
// its contracts owned by its cocoon wallet, or fake TON.
func NewClient(ctx context.Context, cfg client.Config, o Options) (*Client, error) {
	n := &Client{}
	if err := n.build(o, cfg.HTTPAddr(), func(log *slog.Logger) (*web.Site, error) {
		cert, err := certifier(ctx, o.Key, o.Attestation.ClientIssuer, log)
		if err != nil {
			return nil, err
		}
		v, err := o.Attestation.Verifier(cfg.ProxyPolicy, rootPollOf(cfg.RootPollEvery), log)
		if err != nil {
			return nil, err
		}
		rc, err := openRoleChain(ctx, log, cfg.Chain, cfg.OwnerAddress, chainOptions{shared: o.Chain, walletKey: o.WalletKey})
		if err != nil {
			return nil, err
		}
		pay, err := openPayee(log, cfg.Chain, rc, &n.closers)
		if err != nil {
			return nil, err
		}
		deps := client.Deps{
			TLS: ratls.ClientConfig(cert, v), Logger: log,
			Contracts: pay.contracts, Prices: pay.prices, RootVersion: pay.rootVersion,
		}
		if rc == nil {
			deps.Mode = chainconf.FakeTON
			// The reference's fake TON lists its proxies, as a root
			// contract would; they do not change.
			if cfg.FakeTONConfig != "" && len(cfg.Proxies) == 0 {
				for _, p := range pay.fake.Config.Proxies {
					cfg.Proxies = append(cfg.Proxies, p.ClientAddr())
				}
			}
		} else {
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
				if deps.Chain, err = onchain.NewClient(onchain.ClientConfig{Chain: rc.Chain, Root: rc.Root, Wallet: rc.Wallet, Logger: log}); err != nil {
					return nil, err
				}
			}
		}
		if n.role, err = client.New(cfg, deps); err != nil {
			return nil, err
		}
		return web.NewClientSite(n.role, pageOptions(rc, cfg.HTTPAccessHash, o, log))
	}); err != nil {
		return nil, err
	}
	return n, nil
}

// Run runs the client, its pages and its HTTP server until ctx ends or
// one of them fails, then stops them within ShutdownTimeout and releases
// what NewClient opened.
func (c *Client) Run(ctx context.Context) error { return c.run(ctx, c.role.Run) }
