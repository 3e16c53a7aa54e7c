package node

import (
	"context"
	"log/slog"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/web"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// Worker is a worker node: the role, its pages, its HTTP listener and
// what it opened. Run it with Run, which releases all of it.
type Worker struct {
	roleNode[*worker.Worker]
}

// NewWorker builds a worker from cfg as `cocoon worker` does: its
// attestation, its engine (forward_requests_to), and its chain, wallet and
// root's lists, or fake TON.
func NewWorker(ctx context.Context, cfg worker.Config, o Options) (*Worker, error) {
	n := &Worker{}
	if err := n.build(o, cfg.HTTPAddr(), func(log *slog.Logger) (*web.Site, error) {
		cert, err := certifier(ctx, o.Key, o.Attestation.Issuer, log)
		if err != nil {
			return nil, err
		}
		image, err := OwnImage(ctx, cert)
		if err != nil {
			return nil, err
		}
		v, err := o.Attestation.Verifier(cfg.ProxyPolicy, rootPollOf(cfg.RootPollEvery), log)
		if err != nil {
			return nil, err
		}
		eng, err := worker.NewEngine(cfg.ForwardRequestsTo, nil)
		if err != nil {
			return nil, err
		}
		rc, err := openRoleChain(ctx, log, cfg.Chain, cfg.OwnerAddress, chainOptions{shared: o.Chain, walletKey: o.WalletKey, needWallet: true})
		if err != nil {
			return nil, err
		}
		pay, err := openPayee(log, cfg.Chain, rc, &n.closers)
		if err != nil {
			return nil, err
		}
		deps := worker.Deps{TLS: ratls.ClientConfig(cert, v), Engine: eng, Logger: log, Contracts: pay.contracts, Prices: pay.prices, Mode: chainconf.FakeTON}
		if rc != nil {
			deps.Mode = chainconf.OnChain
			if deps.Chain, err = onchain.NewWorker(onchain.WorkerConfig{Chain: rc.Chain, Root: rc.Root, Wallet: rc.Wallet, Owner: rc.Owner, Logger: log}); err != nil {
				return nil, err
			}
			// The root admits the proxies and this worker by its lists.
			deps.Root, deps.ProxyPeers, deps.ImageHash = rc.Lists, v, image
		}
		if n.role, err = worker.New(cfg, deps); err != nil {
			return nil, err
		}
		return web.NewWorkerSite(n.role, pageOptions(rc, cfg.HTTPAccessHash, o, log))
	}); err != nil {
		return nil, err
	}
	return n, nil
}

// Run runs the worker, its pages and its HTTP server until ctx ends or
// one of them fails, then stops them within ShutdownTimeout and releases
// what NewWorker opened.
func (w *Worker) Run(ctx context.Context) error { return w.run(ctx, w.role.Run) }
