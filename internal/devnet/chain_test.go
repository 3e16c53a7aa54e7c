package devnet

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/attest"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/trust"
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
		{"bad proxy owner", `{"proxy_owner_address":"nope"}`, "proxy_owner_address"},
		{"bad client owner", `{"client_owner_address":"nope"}`, "client_owner_address"},
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
	tn, err := openChain(ctx, path, dir, keys, desc, []string{"Org/M@1:a"}, []contracts.Hash{FakeImageHash}, Settlement{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ton.ReadRootConfig(ctx, tn.chain, tn.root)
	if err != nil {
		t.Fatal(err)
	}
	fake := contracts.Hash(attest.Measurements{Kind: attest.KindFakeTDX}.ImageHash())
	if len(cfg.Proxies) != 1 || cfg.Proxies[0].Desc != desc || !cfg.HasWorkerHash(fake) || !cfg.HasProxyHash(fake) ||
		!cfg.HasModelHash(contracts.Hash(trust.ModelHash("Org/M@1:a"))) || len(cfg.ModelHashes) != 1 {
		t.Errorf("root config %+v: want the proxy at %q, the fake image hash allowed and the model registered", cfg, desc)
	}
	if cfg.Params.PricePerToken != contracts.FakePricePerToken || cfg.Params.WorkerFeePerToken != contracts.FakeWorkerFeePerToken || !cfg.Params.IsTest {
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
	again, err := openChain(ctx, path, dir, keys, moved, []string{"Org/N@1:b"}, []contracts.Hash{FakeImageHash}, Settlement{}, nil)
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
	// A restart with another model registers it beside the first.
	if !cfg.HasModelHash(contracts.Hash(trust.ModelHash("Org/N@1:b"))) || !cfg.HasModelHash(contracts.Hash(trust.ModelHash("Org/M@1:a"))) {
		t.Errorf("model hashes after a restart with another model: %x, want both models", cfg.ModelHashes)
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
	if got, want := ps.LocalConfig.OwnerAddress, a.ProxyOwner.String(); got != want {
		t.Errorf("proxy owner %s, want %s", got, want)
	}
	if a.ProxyOwner.StringRaw() != a.Admin.StringRaw() || a.ClientOwner.StringRaw() != a.Admin.StringRaw() {
		t.Errorf("proxy owner %s, client owner %s; want the admin %s", a.ProxyOwner, a.ClientOwner, a.Admin)
	}
	if res, _ := post(t, ctx, n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	cs := n.Client.Snapshot()
	if len(cs.Accounts) != 1 || cs.Accounts[0].ClientSCAddress != a.ClientContract.String() {
		t.Errorf("client accounts %+v, want the contract %s", cs.Accounts, a.ClientContract)
	}
	if got, want := cs.LocalConf.OwnerAddress, a.ClientWallet.String(); got != want {
		t.Errorf("client runs as owner %s, want its wallet %s", got, want)
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

// olderKeyFile is a key file as devnets wrote it when the admin owned
// every wallet: no owners but the workers'.
type olderKeyFile struct {
	kf keyFile
	// admin, proxyWallet, clientWallet and workerWallet are the keys'
	// wallets as that devnet derived them, all owned by the admin.
	admin                                   *address.Address
	proxyWallet, clientWallet, workerWallet *address.Address
}

func writeOlderKeyFile(t *testing.T, dir string) olderKeyFile {
	t.Helper()
	o := olderKeyFile{kf: keyFile{
		Admin: newSeed(), Proxy: newSeed(), ProxyWallet: newSeed(), ClientWallet: newSeed(), ClientSecret: newSeed(),
		Workers: []workerKeys{{Wallet: newSeed(), Owner: contracts.NewOwnerAddress().StringRaw()}},
	}}
	b, err := json.Marshal(o.kf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, KeysFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	key := func(s string) ed25519.PrivateKey {
		k, err := parseSeed("seed", s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	admin, err := ton.NewV5R1(key(o.kf.Admin), adminNetworkID)
	if err != nil {
		t.Fatal(err)
	}
	o.admin = admin.Address()
	code, err := contracts.Code(contracts.Wallet)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		seed string
		dst  **address.Address
	}{{o.kf.ProxyWallet, &o.proxyWallet}, {o.kf.ClientWallet, &o.clientWallet}, {o.kf.Workers[0].Wallet, &o.workerWallet}} {
		cw, err := ton.NewCocoonWallet(code, key(w.seed), o.admin)
		if err != nil {
			t.Fatal(err)
		}
		*w.dst = cw.Address()
	}
	return o
}

// TestLoadKeysOlder loads the key file of an older devnet: the proxy's
// owner becomes its old wallet, which owned its contract, and the client's
// the admin, which owned its wallet, so that the contracts stay; the old
// proxy and worker wallets are listed as no longer the nodes', a worker
// added now is not; the owners are written back, and a second load is no
// longer an older devnet's.
func TestLoadKeysOlder(t *testing.T) {
	dir := t.TempDir()
	o := writeOlderKeyFile(t, dir)
	k, err := loadKeys(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.proxyOwner.StringRaw(), o.proxyWallet.StringRaw(); got != want {
		t.Errorf("proxy owner %s, want the older proxy wallet %s", got, want)
	}
	if got, want := k.clientOwner.StringRaw(), o.admin.StringRaw(); got != want {
		t.Errorf("client owner %s, want the admin %s", got, want)
	}
	var older []string
	for _, w := range k.olderWallets {
		older = append(older, w.StringRaw())
	}
	if want := []string{o.proxyWallet.StringRaw(), o.workerWallet.StringRaw()}; strings.Join(older, " ") != strings.Join(want, " ") {
		t.Errorf("older wallets %v, want the proxy's and worker 0's %v", older, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		t.Fatal(err)
	}
	if kf.ProxyOwner != o.proxyWallet.StringRaw() || kf.ClientOwner != o.admin.StringRaw() {
		t.Errorf("key file owners proxy %q, client %q; want %s and %s", kf.ProxyOwner, kf.ClientOwner, o.proxyWallet.StringRaw(), o.admin.StringRaw())
	}
	again, err := loadKeys(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.olderWallets) != 0 || again.proxyOwner.StringRaw() != k.proxyOwner.StringRaw() {
		t.Errorf("second load: older wallets %v, proxy owner %s; want none and %s", again.olderWallets, again.proxyOwner, k.proxyOwner)
	}

	fresh, err := loadKeys(t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ton.NewV5R1(fresh.admin, adminNetworkID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.proxyOwner.StringRaw() != admin.Address().StringRaw() || fresh.clientOwner.StringRaw() != admin.Address().StringRaw() || len(fresh.olderWallets) != 0 {
		t.Errorf("fresh keys: proxy owner %s, client owner %s, older wallets %v; want the admin %s twice and none",
			fresh.proxyOwner, fresh.clientOwner, fresh.olderWallets, admin.Address())
	}
}

// TestStartOlderDataDir starts a devnet on the data directory of an older
// devnet whose wallets the admin owned and funded: the client keeps its
// wallet, the proxy and the worker get new wallets owned by their configs'
// owners, funded at start, the old ones keep their funds (the old proxy
// wallet, now the proxy's owner, may gain its commission), and a request
// is charged on chain.
func TestStartOlderDataDir(t *testing.T) {
	dir := t.TempDir()
	o := writeOlderKeyFile(t, dir)
	chain, err := emulated.New(emulated.Options{Path: filepath.Join(dir, ChainStateFile)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, w := range []*address.Address{o.proxyWallet, o.clientWallet, o.workerWallet} {
		if err := chain.Fund(ctx, w, walletFunding); err != nil {
			t.Fatal(err)
		}
	}
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir})
	a := n.Addresses
	r := chainReader{tb: t, n: n}
	if a.ProxyOwner.StringRaw() != o.proxyWallet.StringRaw() || a.ClientWallet.StringRaw() != o.clientWallet.StringRaw() {
		t.Errorf("proxy owner %s, client wallet %s; want the older proxy wallet %s and the same client wallet %s", a.ProxyOwner, a.ClientWallet, o.proxyWallet, o.clientWallet)
	}
	for _, w := range []*address.Address{a.ProxyWallet, a.WorkerWallets[0]} {
		if w.StringRaw() == o.proxyWallet.StringRaw() || w.StringRaw() == o.workerWallet.StringRaw() {
			t.Errorf("wallet %s is an older, admin-owned one", w)
		}
	}
	if got := r.balance(a.WorkerWallets[0]); got != walletFunding {
		t.Errorf("new worker wallet balance %d, want its funding %d", got, walletFunding)
	}
	if res, got := post(t, ctx, n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("request: %d %s", res.StatusCode, got)
	}
	within(t, 30*time.Second, "the usage charged on chain", func() bool {
		cd, ok := r.client()
		return ok && cd.TokensUsed == 7
	})
	// The older proxy wallet owns the proxy contract, so it may receive
	// the commission; nothing leaves it.
	if got := r.balance(o.workerWallet); got != walletFunding {
		t.Errorf("older worker wallet holds %d, want its %d untouched", got, walletFunding)
	}
	if got := r.balance(o.proxyWallet); got < walletFunding {
		t.Errorf("older proxy wallet holds %d, want at least its %d", got, walletFunding)
	}
}

// TestRestartRegistersListeningEndpoints restarts an emulated devnet on
// other ports: the root's registered proxy endpoints, the client's proxies
// and the configs written must all name the ports the proxy listens on
// now.
func TestRestartRegistersListeningEndpoints(t *testing.T) {
	dir := t.TempDir()
	first := start(t, Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir})
	firstDesc := first.ProxyWorkersAddr + " " + first.ProxyClientsAddr
	first.Close()
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir})
	desc := n.ProxyWorkersAddr + " " + n.ProxyClientsAddr
	if desc == firstDesc {
		t.Skip("the restarted devnet got the same free ports")
	}
	cfg, err := ton.ReadRootConfig(context.Background(), n.Chain, n.Addresses.Root)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Proxies) != 1 || cfg.Proxies[0].Desc != desc {
		t.Errorf("root registers %+v, want the proxy at %q where it listens", cfg.Proxies, desc)
	}
	eventually(t, "the client following the root", func() bool {
		p := n.Client.Snapshot().LocalConf.Proxies
		return len(p) == 1 && p[0] == n.ProxyClientsAddr
	})
	var pc struct {
		WorkersListen string `json:"workers_listen"`
		ClientsListen string `json:"clients_listen"`
	}
	var cc struct {
		Proxies []string `json:"proxies"`
	}
	for _, f := range []struct {
		name string
		v    any
	}{{"proxy.json", &pc}, {"client.json", &cc}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, f.v); err != nil {
			t.Fatal(err)
		}
	}
	if pc.WorkersListen+" "+pc.ClientsListen != desc || len(cc.Proxies) != 1 || cc.Proxies[0] != n.ProxyClientsAddr {
		t.Errorf("proxy.json listens on %q %q, client.json names %q; want %q", pc.WorkersListen, pc.ClientsListen, cc.Proxies, desc)
	}
}
