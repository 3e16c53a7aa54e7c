package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ratls"
	"github.com/cocoon-go/cocoon/internal/store/boltstore"
	"github.com/cocoon-go/cocoon/internal/web"
)

// ledgerLockTimeout is how long a proxy waits for its ledger file when
// another process holds it.
const ledgerLockTimeout = 5 * time.Second

// Proxy is a proxy node: the role, its pages, its listeners and what it
// opened. Run it with Run, which releases all of it.
type Proxy struct {
	roleNode[*proxy.Proxy]
	derivation       *contracts.Derivation
	workers, clients net.Listener
}

// Derivation derives the contracts under the proxy contract the proxy
// runs at: fake TON's, or the one its ledger is at on a chain.
func (p *Proxy) Derivation() *contracts.Derivation { return p.derivation }

// WorkersAddr and ClientsAddr are where the node listens for workers and
// clients.
func (p *Proxy) WorkersAddr() net.Addr { return p.workers.Addr() }
func (p *Proxy) ClientsAddr() net.Addr { return p.clients.Addr() }

// NewProxy builds a proxy from cfg as `cocoon proxy` does: its signing
// key (machine_specific_private_key, or a fresh one), its attestation,
// its chain, contract and ledger (db_path), or fake TON, and its
// listeners.
func NewProxy(ctx context.Context, cfg proxy.Config, o Options) (*Proxy, error) {
	n := &Proxy{}
	if err := n.build(o, cfg.HTTPAddr(), func(log *slog.Logger) (*web.Site, error) { return n.compose(ctx, cfg, o, log) }); err != nil {
		return nil, err
	}
	return n, nil
}

// compose builds the proxy role of NewProxy and its listeners and
// returns its pages.
func (p *Proxy) compose(ctx context.Context, cfg proxy.Config, o Options, log *slog.Logger) (*web.Site, error) {
	issuer, err := o.Attestation.Issuer(log)
	if err != nil {
		return nil, err
	}
	// The proxy's RA-TLS key is its signing key, so that its attestation
	// vouches for the key its contract and payments carry; peers that are
	// cocoon-go nodes check it.
	key := o.Key
	if key == nil && cfg.MachineSpecificPrivateKey != "" {
		seed, err := cfg.SigningSeed()
		if err != nil {
			return nil, err
		}
		key = ed25519.NewKeyFromSeed(seed[:])
	}
	if key == nil {
		if _, key, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return nil, fmt.Errorf("generating the proxy's key: %w", err)
		}
	}
	cert, err := Certifier(ctx, key, issuer, log)
	if err != nil {
		return nil, err
	}
	image, err := OwnImage(ctx, cert)
	if err != nil {
		return nil, err
	}
	rootPoll := rootPollOf(cfg.RootPollEvery)
	wv, err := o.Attestation.Verifier(cfg.WorkerPolicy, rootPoll, log)
	if err != nil {
		return nil, fmt.Errorf("worker_policy: %w", err)
	}
	cv, err := o.Attestation.Verifier(cfg.ClientPolicy, rootPoll, log)
	if err != nil {
		return nil, fmt.Errorf("client_policy: %w", err)
	}
	deps := proxy.Deps{
		WorkerTLS: ratls.ServerConfig(cert, wv), ClientTLS: ratls.ServerConfig(cert, cv), Logger: log,
		SigningKey: key, WorkerPeers: wv, ImageHash: image, ClientStake: o.ClientStake,
	}
	rc, err := openRoleChain(ctx, log, cfg.Chain, cfg.OwnerAddress, chainOptions{shared: o.Chain, walletKey: o.WalletKey, needWallet: true})
	if err != nil {
		return nil, err
	}
	if rc == nil {
		ft, err := FakeTON(log, cfg.Chain)
		if err != nil {
			return nil, err
		}
		if p.derivation, err = ft.Derivation(); err != nil {
			return nil, err
		}
		deps.Mode, deps.Prices, deps.RootVersion = chainconf.FakeTON, ft.Prices(), ft.Config.Version
		// The payments the proxy signs send their excess to its cocoon
		// wallet, which fake TON does not deploy but whose address the
		// key fixes.
		if deps.Wallet, err = fakeWallet(cfg.NodeWalletKey, cfg.OwnerAddress); err != nil {
			return nil, err
		}
	} else {
		p.add(rc.Close)
		if cfg.MachineSpecificPrivateKey == "" && o.Key == nil {
			return nil, errors.New("a proxy on a chain needs machine_specific_private_key: its contract stores the proxy's key")
		}
		deps.Wallet, deps.RootVersion = rc.Wallet.Address(), rc.Config.Version
	}
	ledger := o.Store
	if ledger == nil && cfg.DBPath != "" {
		st, err := boltstore.Open(cfg.DBPath, key, ledgerLockTimeout)
		if err != nil {
			return nil, err
		}
		p.add(func() { st.Close() })
		ledger = st
	}
	deps.Store = ledger
	if rc != nil {
		pc, err := onchain.NewProxy(onchain.ProxyConfig{
			Chain: rc.Chain, Root: rc.Root, Wallet: rc.Wallet, Owner: rc.Owner,
			Key: key.Public().(ed25519.PublicKey), Poll: rc.poll, Logger: log,
			Derive: func(params contracts.Params) (proxy.Contracts, error) {
				_, c, err := rc.Derivation(params)
				return c, err
			},
		})
		if err != nil {
			return nil, err
		}
		// The proxy keeps the contract its ledger is at across changes of
		// the root's params; without a ledger it has none to keep.
		params, err := pc.Locate(ctx, ledger)
		if err != nil {
			return nil, err
		}
		if deps.Prices, p.derivation, err = rc.Derivation(params); err != nil {
			return nil, err
		}
		deps.Mode, deps.Chain = chainconf.OnChain, pc
	}
	deps.Contracts = p.derivation
	if p.role, err = proxy.New(cfg, deps); err != nil {
		return nil, err
	}
	if p.workers, err = listen(o.Workers, cfg.WorkersListen, "workers"); err != nil {
		return nil, err
	}
	p.add(func() { p.workers.Close() })
	if p.clients, err = listen(o.Clients, cfg.ClientsListen, "clients"); err != nil {
		return nil, err
	}
	p.add(func() { p.clients.Close() })
	log.Info("proxy listening", "workers", p.workers.Addr().String(), "clients", p.clients.Addr().String())
	if rc != nil {
		if seqno, ok := registeredAt(rc.Config.Proxies, p.workers.Addr(), p.clients.Addr()); !ok {
			log.Warn("the root registers no proxy at the ports this proxy listens on: workers and clients that follow the root cannot reach it; have the root's owner run cocoon root update-proxy (or register-proxy) with these ports, or listen where the root says",
				"workers", p.workers.Addr().String(), "clients", p.clients.Addr().String(), "registered", rc.Config.Proxies)
		} else {
			log.Info("the root registers this proxy's endpoints", "seqno", seqno)
		}
	}
	return web.NewProxySite(p.role, pageOptions(rc, cfg.HTTPAccessHash, o, log))
}

// Run runs the proxy, its pages and its HTTP server until ctx ends or one
// of them fails, then stops them within ShutdownTimeout and releases
// what NewProxy opened.
func (p *Proxy) Run(ctx context.Context) error {
	return p.run(ctx, func(ctx context.Context) error { return p.role.Run(ctx, p.workers, p.clients) })
}

// registeredAt reports whether a proxy the root registers has the ports
// of the workers and clients listeners (the hosts are public addresses the
// proxy cannot see from inside), and its seqno.
func registeredAt(proxies []contracts.RegisteredProxy, workers, clients net.Addr) (uint32, bool) {
	port := func(a string) string {
		_, p, err := net.SplitHostPort(a)
		if err != nil {
			return ""
		}
		return p
	}
	for _, p := range proxies {
		if port(p.WorkerAddr()) == port(workers.String()) && port(p.ClientAddr()) == port(clients.String()) {
			return p.Seqno, true
		}
	}
	return 0, false
}
