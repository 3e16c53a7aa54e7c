package main

import (
	"context"
	"io"

	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/web"
	"github.com/cocoon-go/cocoon/internal/worker"
)

func init() {
	commands["worker"] = command{summary: "run a worker: serve proxies' requests on an inference engine", run: runWorker}
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	rf := newRoleFlags("worker", stderr, true)
	log, err := rf.parse(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := worker.LoadConfig(*rf.config)
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
	v, err := rf.verifier(cfg.ProxyPolicy, log)
	if err != nil {
		return err
	}
	eng, err := worker.NewEngine(cfg.ForwardRequestsTo, nil)
	if err != nil {
		return err
	}
	deps := worker.Deps{TLS: ratls.ClientConfig(cert, v), Engine: eng, Logger: log}
	spec := rf.chainSpec(chainSpec{state: cfg.ChainState, tonConfig: cfg.TonConfigFilename, root: cfg.RootContractAddress, walletKey: cfg.NodeWalletKey})
	rc, err := openRoleChain(ctx, log, spec, cfg.OwnerAddress, true)
	if err != nil {
		return err
	}
	if rc == nil {
		if deps.Contracts, err = fakeTONContracts(log); err != nil {
			return err
		}
		deps.Prices = fakeTONPrices
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
