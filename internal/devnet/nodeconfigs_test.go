package devnet

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// syncBuffer is a log sink the nodes may write to concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// chainFields are a node config's chain fields.
type chainFields struct{ state, tonConfig, root, walletKey string }

// TestNodeConfigsCarryChain starts a devnet on the emulated chain with a
// data directory: the node configs it writes there load, name its chain
// and root, and point to key files, readable by their owner only, that
// hold the seeds of the wallets the devnet reports.
func TestNodeConfigsCarryChain(t *testing.T) {
	dir := t.TempDir()
	var logs syncBuffer
	n := start(t, Options{Workers: 2, Engine: engines(&fakeEngine{chunks: 1}, &fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	a := n.Addresses
	wantState, err := filepath.Abs(filepath.Join(dir, ChainStateFile))
	if err != nil {
		t.Fatal(err)
	}

	pcfg, err := proxy.LoadConfig(filepath.Join(dir, "proxy.json"))
	if err != nil {
		t.Fatal(err)
	}
	ccfg, err := client.LoadConfig(filepath.Join(dir, "client.json"))
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		name    string
		fields  chainFields
		keyFile string
		wallet  *address.Address
	}
	nodes := []node{
		{"proxy", chainFields{pcfg.ChainState, pcfg.TonConfigFilename, pcfg.RootContractAddress, pcfg.NodeWalletKey}, ProxyWalletKeyFile, a.ProxyWallet},
		{"client", chainFields{ccfg.ChainState, ccfg.TonConfigFilename, ccfg.RootContractAddress, ccfg.NodeWalletKey}, ClientWalletKeyFile, a.ClientWallet},
	}
	for i := range 2 {
		wcfg, err := worker.LoadConfig(filepath.Join(dir, fmt.Sprintf("worker-%d.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		if !wcfg.OnChain() {
			t.Errorf("worker-%d.json is not on a chain", i)
		}
		nodes = append(nodes, node{fmt.Sprintf("worker-%d", i), chainFields{wcfg.ChainState, wcfg.TonConfigFilename, wcfg.RootContractAddress, wcfg.NodeWalletKey},
			WorkerWalletKeyFile(i), a.WorkerWallets[i]})
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
		// The devnet's wallets are owned by the admin.
		w, err := onchain.NewWallet(n.Chain, ed25519.NewKeyFromSeed(seed), a.Admin, onchain.WalletOptions{})
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
	pcfg, err := proxy.LoadConfig(filepath.Join(dir, "proxy.json"))
	if err != nil {
		t.Fatal(err)
	}
	ccfg, err := client.LoadConfig(filepath.Join(dir, "client.json"))
	if err != nil {
		t.Fatal(err)
	}
	wcfg, err := worker.LoadConfig(filepath.Join(dir, "worker-0.json"))
	if err != nil {
		t.Fatal(err)
	}
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
