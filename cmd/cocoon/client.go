package main

import (
	"context"
	"io"
	"time"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/web"
)

func init() {
	commands["client"] = command{summary: "run a client: the OpenAI-compatible API in front of the network", run: runClient}
}

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRoleFlags("client", stdout, stderr, true)
	log, err := rf.parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := client.LoadConfig(*rf.config)
	if err != nil {
		return err
	}
	if err := rf.skipHashes(&cfg.Chain, cfg.IsTest); err != nil {
		return err
	}
	// Proxies do not attest clients (their client port's policy is
	// "any"), so a client needs no quote unless asked for a fake one.
	var issuer attest.Issuer = attest.NoEvidence
	if *rf.fakeTDX || *rf.fakeSEVSNP {
		if issuer, err = rf.issuer(log); err != nil {
			return err
		}
	}
	cert, err := certifier(ctx, issuer, log)
	if err != nil {
		return err
	}
	v, err := rf.verifier(cfg.ProxyPolicy, time.Duration(cfg.RootPollEvery), log)
	if err != nil {
		return err
	}
	deps := client.Deps{TLS: ratls.ClientConfig(cert, v), Logger: log}
	spec := rf.chainSpec(roleSpec(cfg.Chain))
	rc, err := openRoleChain(ctx, log, spec, cfg.OwnerAddress, false)
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
		deps.Prices = ft.Prices()
		// The reference's fake TON lists its proxies, as a root
		// contract would; they do not change.
		if spec.fakeTON != "" && len(cfg.Proxies) == 0 {
			for _, p := range ft.Config.Proxies {
				cfg.Proxies = append(cfg.Proxies, p.ClientAddr())
			}
		}
	} else {
		defer rc.close()
		if deps.Prices, err = rc.prices(rc.config.Params); err != nil {
			return err
		}
		// Proxies name their contracts, deployed under the params of
		// their day; our contracts derive from those.
		if deps.Contracts, err = onchain.NewContracts(rc.chain, rc.root); err != nil {
			return err
		}
		// The client dials the proxies the root registers and checks
		// them against its lists.
		deps.Root = func(ctx context.Context) (trust.Lists, error) { return onchain.RootLists(ctx, rc.chain, rc.root) }
		deps.ProxyPeers = v
		if rc.wallet == nil {
			log.Warn("no node_wallet_key (--node-wallet-key): the proxies come from the root contract, but the client's contracts are not operated")
		} else {
			// The client's contracts are owned by its cocoon wallet
			// (reference.md §4.5): that is the owner it names to proxies.
			cfg.OwnerAddress = rc.wallet.Address().String()
			log.Info("the client's contracts are owned by its cocoon wallet", "owner", cfg.OwnerAddress)
			deps.Chain, err = onchain.NewClient(onchain.ClientConfig{Chain: rc.chain, Root: rc.root, Wallet: rc.wallet, Logger: log})
			if err != nil {
				return err
			}
		}
	}
	c, err := client.New(cfg, deps)
	if err != nil {
		return err
	}
	site, err := web.NewClientSite(c, pageOptions(rc, cfg.HTTPAccessHash, log))
	if err != nil {
		return err
	}
	return serveRole(ctx, log, cfg.HTTPAddr(), site.Handler(c.Handler()), withPages(site, c.Run))
}
