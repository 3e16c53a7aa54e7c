package main

import (
	"context"
	"io"
	"time"

	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/trust"
	"github.com/cocoon-go/cocoon/internal/web"
	"github.com/cocoon-go/cocoon/internal/worker"
)

func init() {
	commands["worker"] = command{summary: "run a worker: serve proxies' requests on an inference engine", run: runWorker}
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRoleFlags("worker", stdout, stderr, true)
	log, err := rf.parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := worker.LoadConfig(*rf.config)
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
	cert, err := certifier(ctx, issuer, log)
	if err != nil {
		return err
	}
	image, err := ownImage(ctx, cert)
	if err != nil {
		return err
	}
	v, err := rf.verifier(cfg.ProxyPolicy, time.Duration(cfg.RootPollEvery), log)
	if err != nil {
		return err
	}
	eng, err := worker.NewEngine(cfg.ForwardRequestsTo, nil)
	if err != nil {
		return err
	}
	deps := worker.Deps{TLS: ratls.ClientConfig(cert, v), Engine: eng, Logger: log}
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
		deps.Prices = ft.Prices()
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
		deps.Chain, err = onchain.NewWorker(onchain.WorkerConfig{Chain: rc.chain, Root: rc.root, Wallet: rc.wallet, Owner: rc.owner, Logger: log})
		if err != nil {
			return err
		}
		// The root admits the proxies and this worker by its lists.
		deps.Root = func(ctx context.Context) (trust.Lists, error) { return onchain.RootLists(ctx, rc.chain, rc.root) }
		deps.ProxyPeers, deps.ImageHash = v, image
	}
	w, err := worker.New(cfg, deps)
	if err != nil {
		return err
	}
	site, err := web.NewWorkerSite(w, pageOptions(rc, cfg.HTTPAccessHash, log))
	if err != nil {
		return err
	}
	return serveRole(ctx, log, cfg.HTTPAddr(), site.Handler(w.Handler()), withPages(site, w.Run))
}
