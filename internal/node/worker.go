package node

import (
	"context"
	"net"
	"net/http"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/web"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// Worker is a worker node: the role, its pages, its HTTP listener and
// what it opened. Run it with Run, which releases all of it.
type Worker struct {
	role *worker.Worker
	site *web.Site
	http net.Listener
	closers
}

// Role is the worker role the node runs.
func (w *Worker) Role() *worker.Worker { return w.role }

// HTTPAddr is where the node serves HTTP; nil with Options.NoHTTP.
func (w *Worker) HTTPAddr() net.Addr { return addrOf(w.http) }

// Handler serves the worker's stats, control and pages.
func (w *Worker) Handler() http.Handler { return w.site.Handler(w.role.Handler()) }

// NewWorker builds a worker from cfg as `cocoon worker` does: its
// attestation, its engine (forward_requests_to), and its chain, wallet and
// root's lists, or fake TON.
func NewWorker(ctx context.Context, cfg worker.Config, o Options) (_ *Worker, err error) {
	log := o.logger()
	n := &Worker{}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	issuer, err := o.Attestation.Issuer(log)
	if err != nil {
		return nil, err
	}
	cert, err := Certifier(ctx, o.Key, issuer, log)
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
	deps := worker.Deps{TLS: ratls.ClientConfig(cert, v), Engine: eng, Logger: log}
	rc, err := openRoleChain(ctx, log, cfg.Chain, cfg.OwnerAddress, chainOptions{shared: o.Chain, walletKey: o.WalletKey, needWallet: true})
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
		deps.Mode, deps.Prices = chainconf.FakeTON, ft.Prices()
	} else {
		n.add(rc.Close)
		if deps.Prices, err = rc.Prices(rc.Config.Params); err != nil {
			return nil, err
		}
		// Proxies name their contracts, deployed under the params of
		// their day; our contracts derive from those.
		if deps.Contracts, err = onchain.NewContracts(rc.Chain, rc.Root); err != nil {
			return nil, err
		}
		deps.Mode = chainconf.OnChain
		deps.Chain, err = onchain.NewWorker(onchain.WorkerConfig{Chain: rc.Chain, Root: rc.Root, Wallet: rc.Wallet, Owner: rc.Owner, Logger: log})
		if err != nil {
			return nil, err
		}
		// The root admits the proxies and this worker by its lists.
		deps.Root, deps.ProxyPeers, deps.ImageHash = rc.Lists, v, image
	}
	if n.role, err = worker.New(cfg, deps); err != nil {
		return nil, err
	}
	if n.site, err = web.NewWorkerSite(n.role, pageOptions(rc, cfg.HTTPAccessHash, o, log)); err != nil {
		return nil, err
	}
	if n.http, err = httpListener(o, cfg.HTTPAddr(), &n.closers, log); err != nil {
		return nil, err
	}
	return n, nil
}

// Run runs the worker, its pages and its HTTP server until ctx ends or
// one of them fails, then stops them within ShutdownTimeout and releases
// what NewWorker opened.
func (w *Worker) Run(ctx context.Context) error {
	defer w.close()
	return run(ctx, w.http, w.Handler(), withPages(w.site, w.role.Run))
}

// Close releases what NewWorker opened, for a node that is never run.
func (w *Worker) Close() { w.close() }
