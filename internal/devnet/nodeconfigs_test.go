package devnet

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/config/configtest"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// chainFields are a node config's chain fields.
type chainFields struct{ state, tonConfig, root, walletKey string }

// TestNodeConfigsCarryChain starts a devnet on the emulated chain with a
// data directory: the node configs it writes there load, name its chain
// and root, and point to key files, readable by their owner only, that
// hold the seeds of the wallets the devnet reports, each owned by the
// config's owner_address as the role commands derive it.
func TestNodeConfigsCarryChain(t *testing.T) {
	dir := t.TempDir()
	var logs sharedtest.Log
	n := start(t, Options{Workers: 2, Engine: engines(&fakeEngine{chunks: 1}, &fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	a := n.Addresses
	wantState, err := filepath.Abs(filepath.Join(dir, ChainStateFile))
	if err != nil {
		t.Fatal(err)
	}

	pcfg := configtest.Load(t, proxy.LoadConfig, filepath.Join(dir, "proxy.json"))
	ccfg := configtest.Load(t, client.LoadConfig, filepath.Join(dir, "client.json"))
	type node struct {
		name          string
		fields        chainFields
		keyFile       string
		owner         string
		wallet, wantO *address.Address
	}
	nodes := []node{
		{"proxy", chainFields{pcfg.ChainState, pcfg.TonConfigFilename, pcfg.RootContractAddress, pcfg.NodeWalletKey}, ProxyWalletKeyFile, pcfg.OwnerAddress, a.ProxyWallet, a.ProxyOwner},
		{"client", chainFields{ccfg.ChainState, ccfg.TonConfigFilename, ccfg.RootContractAddress, ccfg.NodeWalletKey}, ClientWalletKeyFile, ccfg.OwnerAddress, a.ClientWallet, a.ClientOwner},
	}
	for i := range 2 {
		wcfg := configtest.Load(t, worker.LoadConfig, filepath.Join(dir, fmt.Sprintf("worker-%d.json", i)))
		if !wcfg.OnChain() {
			t.Errorf("worker-%d.json is not on a chain", i)
		}
		nodes = append(nodes, node{fmt.Sprintf("worker-%d", i), chainFields{wcfg.ChainState, wcfg.TonConfigFilename, wcfg.RootContractAddress, wcfg.NodeWalletKey},
			WorkerWalletKeyFile(i), wcfg.OwnerAddress, a.WorkerWallets[i], a.WorkerOwners[i]})
	}
	if !pcfg.OnChain() || !ccfg.OnChain() {
		t.Errorf("proxy.json on chain %v, client.json %v; want both", pcfg.OnChain(), ccfg.OnChain())
	}

	log := logs.String()
	for _, nd := range nodes {
		f := nd.fields
		if f.state != wantState || f.tonConfig != "" || f.root != a.Root.String() {
			t.Errorf("%s: chain_state %q, ton_config_filename %q, root_contract_address %q; want %q, none, %q",
				nd.name, f.state, f.tonConfig, f.root, wantState, a.Root)
		}
		if want := filepath.Join(filepath.Dir(wantState), nd.keyFile); f.walletKey != want {
			t.Errorf("%s: node_wallet_key %q, want %q", nd.name, f.walletKey, want)
		}
		fi, err := os.Stat(f.walletKey)
		if err != nil {
			t.Fatalf("%s: %v", nd.name, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: key file mode %v, want 0600", nd.name, fi.Mode().Perm())
		}
		raw, err := os.ReadFile(f.walletKey)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.TrimSpace(string(raw))
		seed, err := hex.DecodeString(text)
		if err != nil || len(seed) != ed25519.SeedSize {
			t.Fatalf("%s: key file holds no hex Ed25519 seed", nd.name)
		}
		// Each wallet is owned by its config's owner_address.
		owner, err := address.ParseAddr(nd.owner)
		if err != nil {
			t.Fatalf("%s: owner_address %q: %v", nd.name, nd.owner, err)
		}
		if owner.String() != nd.wantO.String() {
			t.Errorf("%s: owner_address %s, the devnet reports owner %s", nd.name, owner, nd.wantO)
		}
		w, err := onchain.NewWallet(n.Chain, ed25519.NewKeyFromSeed(seed), owner, onchain.WalletOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if w.Address().String() != nd.wallet.String() {
			t.Errorf("%s: the key file's seed derives wallet %s, the devnet reports %s", nd.name, w.Address(), nd.wallet)
		}
		if strings.Contains(log, text) {
			t.Errorf("%s: the wallet seed appears in the log", nd.name)
		}
	}
}

// TestNodeConfigsWithoutChain: on fake TON the configs name no chain and
// no key files are written.
func TestNodeConfigsWithoutChain(t *testing.T) {
	dir := t.TempDir()
	start(t, Options{Engine: engines(&fakeEngine{chunks: 1}), DataDir: dir})
	pcfg := configtest.Load(t, proxy.LoadConfig, filepath.Join(dir, "proxy.json"))
	ccfg := configtest.Load(t, client.LoadConfig, filepath.Join(dir, "client.json"))
	wcfg := configtest.Load(t, worker.LoadConfig, filepath.Join(dir, "worker-0.json"))
	for name, f := range map[string]chainFields{
		"proxy":    {pcfg.ChainState, pcfg.TonConfigFilename, pcfg.RootContractAddress, pcfg.NodeWalletKey},
		"client":   {ccfg.ChainState, ccfg.TonConfigFilename, ccfg.RootContractAddress, ccfg.NodeWalletKey},
		"worker-0": {wcfg.ChainState, wcfg.TonConfigFilename, wcfg.RootContractAddress, wcfg.NodeWalletKey},
	} {
		if f != (chainFields{}) {
			t.Errorf("%s on fake TON has chain fields %+v, want none", name, f)
		}
	}
	keys, err := filepath.Glob(filepath.Join(dir, "*.key"))
	if err != nil || len(keys) != 0 {
		t.Errorf("key files on fake TON: %v (%v), want none", keys, err)
	}
}

// TestNodeConfigsRerun checks that the configs a devnet on the emulated
// chain writes describe its nodes as the role commands would build them:
// proxy.json carries the proxy's signing key and ledger, the contracts the
// role commands derive from the configs' owners and that key are the
// devnet's, every config holds the ports the devnet bound and is readable
// by its owner only, and the signing key is not logged.
func TestNodeConfigsRerun(t *testing.T) {
	dir := t.TempDir()
	var logs sharedtest.Log
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	a := n.Addresses
	pcfg := configtest.Load(t, proxy.LoadConfig, filepath.Join(dir, "proxy.json"))
	ccfg := configtest.Load(t, client.LoadConfig, filepath.Join(dir, "client.json"))
	wcfg := configtest.Load(t, worker.LoadConfig, filepath.Join(dir, "worker-0.json"))

	// The proxy signs with the devnet's proxy key and keeps its ledger.
	seed, err := pcfg.SigningSeed()
	if err != nil {
		t.Fatalf("proxy.json: %v", err)
	}
	proxyKey := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	if wantDB, _ := filepath.Abs(filepath.Join(dir, LedgerFile)); pcfg.DBPath != wantDB {
		t.Errorf("proxy.json db_path %q, want %q", pcfg.DBPath, wantDB)
	}
	if strings.Contains(logs.String(), pcfg.MachineSpecificPrivateKey) {
		t.Error("the proxy's signing key appears in the log")
	}
	if wantState, _ := filepath.Abs(filepath.Join(dir, ClientStateFile)); ccfg.StateFile != wantState {
		t.Errorf("client.json state_file %q, want %q", ccfg.StateFile, wantState)
	}

	// The contracts derived from the configs are the devnet's.
	params, err := contracts.FakeTONParams()
	if err != nil {
		t.Fatal(err)
	}
	c, err := contracts.NewDerivation(a.Root, params)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(name, s string) *address.Address {
		t.Helper()
		addr, err := address.ParseAddr(s)
		if err != nil {
			t.Fatalf("%s owner_address %q: %v", name, s, err)
		}
		return addr
	}
	proxyOwner, workerOwner, clientOwner := parse("proxy", pcfg.OwnerAddress), parse("worker", wcfg.OwnerAddress), parse("client", ccfg.OwnerAddress)
	raw, err := os.ReadFile(ccfg.NodeWalletKey)
	if err != nil {
		t.Fatal(err)
	}
	clientSeed, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(clientSeed) != ed25519.SeedSize {
		t.Fatalf("client.json's node_wallet_key holds no hex seed (%v)", err)
	}
	clientWallet, err := onchain.NewWallet(n.Chain, ed25519.NewKeyFromSeed(clientSeed), clientOwner, onchain.WalletOptions{})
	if err != nil {
		t.Fatal(err)
	}
	proxySC, err := c.ProxyAddress(proxyOwner, proxyKey)
	if err != nil {
		t.Fatal(err)
	}
	// As `cocoon client` on a chain, the client's contract is owned by
	// its wallet.
	clientSC, err := c.ClientAddress(clientWallet.Address(), proxyOwner, proxyKey)
	if err != nil {
		t.Fatal(err)
	}
	workerSC, err := c.WorkerAddress(workerOwner, proxyOwner, proxyKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range []struct {
		name      string
		got, want *address.Address
	}{
		{"proxy contract", proxySC, a.ProxyContract}, {"client contract", clientSC, a.ClientContract},
		{"worker contract", workerSC, a.WorkerContracts[0]}, {"client wallet", clientWallet.Address(), a.ClientWallet},
	} {
		if cc.got.String() != cc.want.String() {
			t.Errorf("%s from the configs %s, the devnet's %s", cc.name, cc.got, cc.want)
		}
	}

	// The ports are those the devnet bound.
	for _, p := range []struct {
		name string
		got  string
		want string
	}{
		{"proxy http", pcfg.HTTPAddr(), strings.TrimPrefix(n.ProxyURL, "http://")},
		{"proxy workers", pcfg.WorkersListen, n.ProxyWorkersAddr},
		{"proxy clients", pcfg.ClientsListen, n.ProxyClientsAddr},
		{"worker http", wcfg.HTTPAddr(), strings.TrimPrefix(n.WorkerURLs[0], "http://")},
		{"worker proxy", strings.Join(wcfg.Proxies, ","), n.ProxyWorkersAddr},
		{"client http", ccfg.HTTPAddr(), strings.TrimPrefix(n.ClientURL, "http://")},
	} {
		if p.got != p.want {
			t.Errorf("%s: config %q, the devnet bound %q", p.name, p.got, p.want)
		}
	}
	for _, name := range []string{"proxy.json", "worker-0.json", "client.json"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
}
