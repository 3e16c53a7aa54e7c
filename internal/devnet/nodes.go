package devnet

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"path/filepath"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/store"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// nodeOptions are what a devnet node is built with besides its config:
// fake attestation with tee (both fakes accepted from peers, as
// `--insecure-fake-tdx --insecure-fake-sev-snp --tee …` has it), its
// TLS key, kept across restarts, and on the emulated chain the chain
// the nodes share in memory and the node's wallet key. Its HTTP port is
// the devnet's, which outlives its restarts.
func (n *Network) nodeOptions(name, tee string, key, walletKey ed25519.PrivateKey) node.Options {
	o := node.Options{
		Attestation: node.Attestation{TEE: tee, InsecureFakeTDX: true, InsecureFakeSEVSNP: true},
		Logger:      n.log.With("node", name), Key: key, NoHTTP: true, SampleEvery: n.opts.SampleEvery,
	}
	if n.tn != nil {
		o.Chain = &node.Shared{Chain: n.tn.chain, Root: n.tn.root, Poll: chainPoll}
		o.WalletKey = walletKey
	}
	return o
}

// newKey is a fresh node key.
func newKey() (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("generating a node key: %w", err)
	}
	return key, nil
}

// owner is the owner address of a node's contracts: on the emulated chain
// the keys' account a names, on fake TON a random address.
func (n *Network) owner(a func(*nodeKeys) string) string {
	if n.keys == nil {
		return contracts.NewOwnerAddress().String()
	}
	return a(n.keys)
}

// startProxyNode writes the proxy's config and starts it on the
// listeners wln and cln, checking workers against workerPolicy.
func (n *Network) startProxyNode(ctx context.Context, workerPolicy string, wln, cln net.Listener) error {
	opts := n.opts
	cfg := proxy.Config{
		IsTest: true, WorkersListen: n.ProxyWorkersAddr, ClientsListen: n.ProxyClientsAddr,
		HTTPPort: port(opts.PortsBase, 1000), PoWDifficulty: opts.PoWDifficulty,
		WorkerPolicy: workerPolicy, ClientPolicy: "any",
		OwnerAddress: n.owner(func(k *nodeKeys) string { return k.proxyOwner.String() }), Chain: n.fake,
	}
	var key, walletKey ed25519.PrivateKey
	var err error
	if n.keys != nil {
		key, walletKey = n.keys.proxy, n.keys.proxyWallet
		n.settle.proxy(&cfg)
		if cfg.ChainState, cfg.RootContractAddress, cfg.NodeWalletKey, err = n.nodeChain(opts.DataDir, n.tn, ProxyWalletKeyFile, walletKey); err != nil {
			return err
		}
		if cfg.MachineSpecificPrivateKey, cfg.DBPath, err = proxySigning(opts.DataDir, key); err != nil {
			return err
		}
	} else if key, err = newKey(); err != nil {
		return err
	}
	o := n.nodeOptions("proxy", TEEFakeTDX, key, walletKey)
	o.ClientStake = opts.ClientStake
	// On the emulated chain with a data directory the ledger is the
	// database of cfg.DBPath, which package node opens at each start of
	// the proxy (a restarted devnet continues the accounts its contracts
	// hold). Otherwise it is kept in memory across the proxy's restarts,
	// flushed as to a database, so that the proxy signs payments for
	// committed tokens.
	if cfg.DBPath == "" {
		if o.Store, err = store.OpenMemory(store.NewMemoryFile(), key); err != nil {
			return err
		}
	}
	n.ProxyKey = key.Public().(ed25519.PublicKey)
	n.proxyRole = &role{}
	start := func(ctx context.Context, wln, cln net.Listener) error {
		o := o
		o.Workers, o.Clients = wln, cln
		p, err := node.NewProxy(ctx, cfg, o)
		if err != nil {
			return err
		}
		if n.tn != nil && n.Addresses == nil {
			if n.Addresses, err = n.tn.addresses(p.Derivation()); err != nil {
				p.Close()
				return err
			}
		}
		n.Proxy = p.Role()
		n.run(n.proxyRole, p)
		return nil
	}
	// A restart listens again where the proxy listened.
	n.startProxy = func(ctx context.Context) error {
		wln, err := net.Listen("tcp", n.ProxyWorkersAddr)
		if err != nil {
			return fmt.Errorf("restarting the proxy: %w", err)
		}
		cln, err := net.Listen("tcp", n.ProxyClientsAddr)
		if err != nil {
			wln.Close()
			return fmt.Errorf("restarting the proxy: %w", err)
		}
		return start(ctx, wln, cln)
	}
	if err := start(ctx, wln, cln); err != nil {
		return err
	}
	if n.ProxyURL, err = n.serveHTTP(cfg.HTTPPort, n.proxyRole); err != nil {
		return err
	}
	n.ExplorerURL = n.ProxyURL + "/explorer"
	cfg.HTTPPort = urlPort(n.ProxyURL)
	return writeConfig(opts.DataDir, "proxy.json", cfg)
}

// startWorkerNode writes worker i's config and starts it: sp's model on
// its engine, attesting with the fake TEE tee.
func (n *Network) startWorkerNode(ctx context.Context, i int, sp workerSpec, tee string) error {
	opts := n.opts
	cfg := worker.Config{
		IsTest: true, OwnerAddress: n.owner(func(k *nodeKeys) string { return k.workerOwners[i].String() }),
		Proxies: []string{n.ProxyWorkersAddr}, ProxyConnections: 1, ModelName: sp.model, Coefficient: billing.CoefficientOne,
		Endpoints: sp.endpoints, AudioTokensPerSecond: sp.rate, ForwardRequestsTo: sp.engineURL,
		MaxActiveRequests: cmp.Or(opts.MaxActiveRequests, worker.DefaultMaxActiveRequests),
		ProxyPolicy:       "fake_tdx", MaxPoWDifficulty: worker.DefaultMaxPoWDifficulty,
		HTTPPort: port(opts.PortsBase, 2000+10*i), Chain: n.fake,
	}
	var walletKey ed25519.PrivateKey
	if n.keys != nil {
		walletKey = n.keys.workerWallets[i]
		n.settle.worker(&cfg, opts.DataDir, i)
		var err error
		if cfg.StateFile, err = absolute(cfg.StateFile); err != nil {
			return err
		}
		if cfg.ChainState, cfg.RootContractAddress, cfg.NodeWalletKey, err = n.nodeChain(opts.DataDir, n.tn, WorkerWalletKeyFile(i), walletKey); err != nil {
			return err
		}
	}
	key, err := newKey()
	if err != nil {
		return err
	}
	o := n.nodeOptions(fmt.Sprintf("worker-%d", i), tee, key, walletKey)
	r := &role{}
	n.workerRoles, n.Workers = append(n.workerRoles, r), append(n.Workers, nil)
	start := func(ctx context.Context) error {
		w, err := node.NewWorker(ctx, cfg, o)
		if err != nil {
			return err
		}
		n.Workers[i] = w.Role()
		n.run(r, w)
		return nil
	}
	n.startWorkers = append(n.startWorkers, start)
	if err := start(ctx); err != nil {
		return err
	}
	u, err := n.serveHTTP(cfg.HTTPPort, r)
	if err != nil {
		return err
	}
	n.WorkerURLs = append(n.WorkerURLs, u)
	cfg.HTTPPort = urlPort(u)
	return writeConfig(opts.DataDir, fmt.Sprintf("worker-%d.json", i), cfg)
}

// startClientNode writes the client's config and starts it. Its config
// names the owner of its cocoon wallet; the client runs with that wallet
// as its owner, which owns its contracts, as `cocoon client` on a chain
// does.
func (n *Network) startClientNode(ctx context.Context) error {
	opts := n.opts
	cfg := client.Config{
		IsTest: true, OwnerAddress: n.owner(func(k *nodeKeys) string { return k.clientOwner.String() }),
		Proxies: []string{n.ProxyClientsAddr}, ProxyConnections: 1,
		ProxyPolicy: "fake_tdx", MaxPoWDifficulty: client.DefaultMaxPoWDifficulty, MaxBodyBytes: client.DefaultMaxBodyBytes,
		MaxUploadBytes: cmp.Or(opts.MaxUploadBytes, client.DefaultMaxUploadBytes),
		APIKeys:        opts.APIKeys, HTTPPort: port(opts.PortsBase, 0), Chain: n.fake,
	}
	var walletKey ed25519.PrivateKey
	if n.keys != nil {
		walletKey, cfg.SecretString = n.keys.clientWallet, n.keys.clientSecret
		n.settle.client(&cfg, opts.DataDir)
		var err error
		if cfg.StateFile, err = absolute(cfg.StateFile); err != nil {
			return err
		}
		if cfg.ChainState, cfg.RootContractAddress, cfg.NodeWalletKey, err = n.nodeChain(opts.DataDir, n.tn, ClientWalletKeyFile, walletKey); err != nil {
			return err
		}
	}
	key, err := newKey()
	if err != nil {
		return err
	}
	o := n.nodeOptions("client", TEEFakeTDX, key, walletKey)
	n.clientRole = &role{}
	n.startClient = func(ctx context.Context) error {
		c, err := node.NewClient(ctx, cfg, o)
		if err != nil {
			return err
		}
		n.Client = c.Role()
		n.run(n.clientRole, c)
		return nil
	}
	if err := n.startClient(ctx); err != nil {
		return err
	}
	if n.ClientURL, err = n.serveHTTP(cfg.HTTPPort, n.clientRole); err != nil {
		return err
	}
	cfg.HTTPPort = urlPort(n.ClientURL)
	return writeConfig(opts.DataDir, "client.json", cfg)
}

// absolute makes a state file's path absolute, so that the config written
// names it from anywhere; empty stays empty.
func absolute(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("writing the node configs: %w", err)
	}
	return abs, nil
}
