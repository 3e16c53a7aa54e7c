package devnet

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/ton"
)

func TestLoadKeys(t *testing.T) {
	dir := t.TempDir()
	first, err := loadKeys(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadKeys(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !first.proxy.Equal(again.proxy) || !first.clientWallet.Equal(again.clientWallet) || !first.workerWallets[0].Equal(again.workerWallets[0]) {
		t.Error("a second load on the same directory gave other keys")
	}
	if len(again.workerWallets) != 2 || again.workerWallets[1].Equal(again.workerWallets[0]) {
		t.Errorf("got %d worker wallets, want 2 distinct ones", len(again.workerWallets))
	}
	if first.clientSecret == "" || first.clientSecret != again.clientSecret {
		t.Errorf("client secret %q then %q, want one non-empty secret", first.clientSecret, again.clientSecret)
	}
	other, err := loadKeys(t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if other.proxy.Equal(first.proxy) {
		t.Error("a fresh directory reused the proxy key")
	}
	st, err := os.Stat(filepath.Join(dir, KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	admin, err := os.ReadFile(filepath.Join(dir, AdminKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(admin)), hex.EncodeToString(first.admin.Seed()); got != want {
		t.Errorf("admin key file %q, want the admin seed in hex", got)
	}
}

func TestLoadKeysErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"not json", "{", "reading devnet keys"},
		{"bad seed", `{"admin_seed":"zz"}`, "admin_seed is not a hex Ed25519 seed"},
		{"short seed", `{"proxy_seed":"abcd"}`, "proxy_seed is not a hex Ed25519 seed"},
		{"bad owner", `{"workers":[{"wallet_seed":"` + strings.Repeat("11", 32) + `","owner_address":"nope"}]}`, "workers[0].owner_address"},
		{"bad root", `{"root_address":"nope"}`, "root_address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, KeysFile), []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadKeys(dir, 1)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestOpenChain deploys the devnet's root on a chain file, funds the
// wallets, and opens the same directory again: the root is reused, its
// proxy entry follows a new endpoint, and nothing is funded twice.
func TestOpenChain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys, err := loadKeys(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ChainStateFile)
	const desc = "127.0.0.1:1001 127.0.0.1:1002"
	tn, err := openChain(ctx, path, dir, keys, desc)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ton.ReadRootConfig(ctx, tn.chain, tn.root)
	if err != nil {
		t.Fatal(err)
	}
	fake := ton.Hash(attest.Measurements{Kind: attest.KindFakeTDX}.ImageHash())
	if len(cfg.Proxies) != 1 || cfg.Proxies[0].Desc != desc || !cfg.HasWorkerHash(fake) || !cfg.HasProxyHash(fake) {
		t.Errorf("root config %+v: want the proxy at %q and the fake image hash allowed", cfg, desc)
	}
	if cfg.Params.PricePerToken != FakePricePerToken || cfg.Params.WorkerFeePerToken != FakeWorkerFeePerToken || !cfg.Params.IsTest {
		t.Errorf("root params price %d, fee %d, test %v; want the fake-TON params", cfg.Params.PricePerToken, cfg.Params.WorkerFeePerToken, cfg.Params.IsTest)
	}
	for _, a := range tn.fundedAccounts() {
		acc, err := tn.chain.Account(ctx, a)
		if err != nil || acc.Balance != walletFunding {
			t.Errorf("wallet %s: balance %d, %v; want %d", a, acc.Balance, err, walletFunding)
		}
	}

	keys, err = loadKeys(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	const moved = "127.0.0.1:2001 127.0.0.1:2002"
	again, err := openChain(ctx, path, dir, keys, moved)
	if err != nil {
		t.Fatal(err)
	}
	if again.root.StringRaw() != tn.root.StringRaw() {
		t.Errorf("reopened root %s, want %s", again.root, tn.root)
	}
	if cfg, err = ton.ReadRootConfig(ctx, again.chain, again.root); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Proxies) != 1 || cfg.Proxies[0].Desc != moved {
		t.Errorf("proxies after a restart %+v, want the proxy at %q", cfg.Proxies, moved)
	}
	acc, err := again.chain.Account(ctx, again.clientWallet.Address())
	if err != nil || acc.Balance != walletFunding {
		t.Errorf("client wallet after a restart: %d, %v; want %d (funded once)", acc.Balance, err, walletFunding)
	}
	b, err := os.ReadFile(filepath.Join(dir, KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil || kf.Root != tn.root.StringRaw() {
		t.Errorf("key file root %q (%v), want %s", kf.Root, err, tn.root.StringRaw())
	}
}

// TestEmulatedDevnetAddresses starts a devnet on the emulated chain and
// checks the accounts it reports against the chain and the roles.
func TestEmulatedDevnetAddresses(t *testing.T) {
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated})
	a := n.Addresses
	if a == nil || n.Chain == nil {
		t.Fatal("an emulated devnet reports no chain or addresses")
	}
	ctx := context.Background()
	if acc, err := n.Chain.Account(ctx, a.Root); err != nil || acc.Status != ton.StatusActive {
		t.Errorf("root %s: %+v, %v; want an active account", a.Root, acc.Status, err)
	}
	ps := n.Proxy.Snapshot()
	if got, want := ps.LocalConfig.OwnerAddress, a.ProxyWallet.String(); got != want {
		t.Errorf("proxy owner %s, want its wallet %s", got, want)
	}
	if res, _ := post(t, ctx, n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	cs := n.Client.Snapshot()
	if len(cs.Accounts) != 1 || cs.Accounts[0].ClientSCAddress != a.ClientContract.String() {
		t.Errorf("client accounts %+v, want the contract %s", cs.Accounts, a.ClientContract)
	}
	ws := n.Workers[0].Snapshot()
	if len(ws.Accounts) != 1 || ws.Accounts[0].WorkerSCAddress != a.WorkerContracts[0].String() {
		t.Errorf("worker accounts %+v, want the contract %s", ws.Accounts, a.WorkerContracts[0])
	}
}

func TestStartChainErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"unknown chain", Options{Chain: "real"}, `unknown chain "real"`},
		{"state file on fake TON", Options{ChainStatePath: "chain.json"}, "needs the emulated chain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Engine, tt.opts.Model = engines(&fakeEngine{}), "m"
			n, err := Start(context.Background(), tt.opts)
			if err == nil {
				n.Close()
				t.Fatal("Start succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
