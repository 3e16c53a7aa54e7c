package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/config/configtest"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/onchain"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// chainNode is a node of the role tests on an emulated chain: its cocoon
// wallet's key (hex seed) and the owner the wallet names.
type chainNode struct {
	key   ed25519.PrivateKey
	owner *address.Address
}

func newChainNode(b byte) chainNode {
	return chainNode{
		key:   ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize)),
		owner: address.NewAddress(0, 0, bytes.Repeat([]byte{b + 0x40}, 32)),
	}
}

func (n chainNode) seedHex() string { return hex.EncodeToString(n.key.Seed()) }

// wallet is the address of the node's cocoon wallet.
func (n chainNode) wallet(t *testing.T) *address.Address {
	t.Helper()
	return cocoonWalletAddress(t, n.key, n.owner)
}

// chainRolesState writes an emulated chain with a root (the fake-TON
// params with the contract codes, the proxy at 127.0.0.1:1 registered)
// and funds each node's cocoon wallet with 100 TON. It returns the state
// file and the root's address.
func chainRolesState(t *testing.T, nodes ...chainNode) (string, *address.Address) {
	t.Helper()
	params, err := contracts.FakeTONParams()
	if err != nil {
		t.Fatal(err)
	}
	admin := address.NewAddress(0, 0, bytes.Repeat([]byte{0x01}, 32))
	cfg := contracts.RootConfig{Owner: admin, Version: 1, Params: params,
		Proxies: []contracts.RegisteredProxy{{Seqno: 1, Desc: "127.0.0.1:1"}}, LastProxySeqno: 1}
	var funds []funding
	for _, n := range nodes {
		funds = append(funds, funding{n.wallet(t), 100 * billing.TON})
	}
	return rootOnChain(t, emulated.Options{}, cfg, funds...)
}

// startRole runs a role command until the test ends, then checks that it
// stopped cleanly. It waits until the role's log shows every one of want.
func startRole(t *testing.T, role func(context.Context, []string, io.Writer, io.Writer) error, args []string, want ...string) *sharedtest.Log {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errOut := &sharedtest.Log{}
	done := make(chan error, 1)
	go func() { done <- role(ctx, append(args, "--log-level", "debug"), io.Discard, errOut) }()
	ended := false
	t.Cleanup(func() {
		cancel()
		if ended {
			return
		}
		if err := <-done; err != nil {
			t.Errorf("role stopped with %v, want a clean stop", err)
		}
	})
	waitFor(t, "role start-up", 60*time.Second, func() bool {
		select {
		case err := <-done:
			ended = true
			t.Fatalf("role ended early: %v\n%s", err, errOut.String())
		default:
		}
		for _, w := range want {
			if !strings.Contains(errOut.String(), w) {
				return false
			}
		}
		return true
	})
	return errOut
}

func TestWorkerOnEmulatedChain(t *testing.T) {
	node := newChainNode(0x21)
	state, root := chainRolesState(t, node)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "worker.json")
	writeJSON(t, cfg, map[string]any{
		"is_test": true, "model_name": "m@c:v", "forward_requests_to": "127.0.0.1:1", "proxies": []string{"127.0.0.1:1"},
		"proxy_policy": "fake_tdx", "owner_address": node.owner.String(), "http_listen": "127.0.0.1:0",
		"chain_state": state, "root_contract_address": root.String(), "node_wallet_key": node.seedHex(), "payout_every": "50ms",
	})
	// The root lists no image: the worker says so and takes no requests.
	startRole(t, runWorker, []string{"--config", cfg, "--insecure-fake-tdx"},
		"on chain", "root="+root.String(), "node's cocoon wallet", "wallet="+node.wallet(t).String(), "HTTP listening",
		"the root does not admit this worker: taking no requests until it does",
		"worker image hash 5c55c8f4db4010ba9203d83536d0609856af8c847ac039e37e7dde8fbd574b61 is not in the root's worker_hashes (root "+root.String()+", version 1)")
}

func TestProxyOnEmulatedChain(t *testing.T) {
	node := newChainNode(0x22)
	state, root := chainRolesState(t, node)
	seed := bytes.Repeat([]byte{0x33}, ed25519.SeedSize)
	cfg := filepath.Join(t.TempDir(), "proxy.json")
	writeJSON(t, cfg, map[string]any{
		"is_test": true, "workers_listen": "127.0.0.1:0", "clients_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
		"owner_address": node.owner.String(), "machine_specific_private_key": base64.StdEncoding.EncodeToString(seed),
		"worker_policy": "fake_tdx", "client_policy": "any",
	})
	startRole(t, runProxy, []string{"--config", cfg, "--insecure-fake-tdx", "--chain-state", state, "--root", root.String(), "--node-wallet-key", node.seedHex()},
		"on chain", "node's cocoon wallet", "wallet="+node.wallet(t).String(), "proxy listening")
	// The proxy deploys its contract before it takes connections.
	params, err := contracts.FakeTONParams()
	if err != nil {
		t.Fatal(err)
	}
	contracts, err := contracts.NewDerivation(root, params)
	if err != nil {
		t.Fatal(err)
	}
	proxySC, err := contracts.ProxyAddress(node.owner, ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the proxy contract deployed", 60*time.Second, func() bool {
		c, err := emulated.New(emulated.Options{Path: state})
		if err != nil {
			return false
		}
		acc, err := c.Account(context.Background(), proxySC)
		return err == nil && acc.Status == ton.StatusActive
	})
}

func TestClientOnEmulatedChain(t *testing.T) {
	node := newChainNode(0x23)
	state, root := chainRolesState(t, node)
	cfg := filepath.Join(t.TempDir(), "client.json")
	writeJSON(t, cfg, map[string]any{
		"is_test": true, "http_listen": "127.0.0.1:0", "owner_address": node.owner.String(), "proxy_policy": "fake_tdx",
		"proxies": []string{"127.0.0.1:1"},
	})
	startRole(t, runClient, []string{"--config", cfg, "--insecure-fake-tdx", "--chain-state", state, "--root", root.String(), "--node-wallet-key", node.seedHex()},
		"on chain", "owned by its cocoon wallet", "owner="+node.wallet(t).String(), "HTTP listening")
}

// TestRolesChainFromConfig starts a proxy and a client whose chain only
// their configs name, then again with flags that override every chain
// field the config gets wrong.
func TestRolesChainFromConfig(t *testing.T) {
	node, stranger := newChainNode(0x25), newChainNode(0x26)
	state, root := chainRolesState(t, node)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "wallet.key")
	writeFile(t, keyFile, node.seedHex()+"\n")
	other := address.NewAddress(0, 0, bytes.Repeat([]byte{0x78}, 32)).String()
	proxyCfg := func(name string, chain map[string]any) string {
		c := map[string]any{"is_test": true, "workers_listen": "127.0.0.1:0", "clients_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
			"owner_address": node.owner.String(), "worker_policy": "fake_tdx", "client_policy": "any",
			"machine_specific_private_key": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x34}, 32))}
		for k, v := range chain {
			c[k] = v
		}
		p := filepath.Join(dir, name)
		writeJSON(t, p, c)
		return p
	}
	clientCfg := func(name string, chain map[string]any) string {
		c := map[string]any{"is_test": true, "http_listen": "127.0.0.1:0", "owner_address": node.owner.String(), "proxy_policy": "fake_tdx"}
		for k, v := range chain {
			c[k] = v
		}
		p := filepath.Join(dir, name)
		writeJSON(t, p, c)
		return p
	}
	right := map[string]any{"chain_state": state, "root_contract_address": root.String(), "node_wallet_key": keyFile}
	// wrong names a missing state file, a root that is not there and a
	// stranger's wallet: the flags below replace each.
	wrong := map[string]any{"chain_state": filepath.Join(dir, "none.json"), "root_contract_address": other, "node_wallet_key": stranger.seedHex()}
	overrides := []string{"--chain-state", state, "--root", root.String(), "--node-wallet-key", node.seedHex()}
	wallet := node.wallet(t).String()
	tests := []struct {
		name string
		role func(context.Context, []string, io.Writer, io.Writer) error
		args []string
		want []string
	}{
		{"proxy from config", runProxy, []string{"--config", proxyCfg("proxy.json", right)},
			[]string{"on chain", "root=" + root.String(), "wallet=" + wallet, "proxy listening", "started on chain"}},
		{"client from config", runClient, []string{"--config", clientCfg("client.json", right)},
			[]string{"on chain", "root=" + root.String(), "owned by its cocoon wallet", "owner=" + wallet, "HTTP listening"}},
		{"proxy flags override config", runProxy, append([]string{"--config", proxyCfg("proxy-wrong.json", wrong)}, overrides...),
			[]string{"on chain", "root=" + root.String(), "wallet=" + wallet, "proxy listening", "started on chain"}},
		{"client flags override config", runClient, append([]string{"--config", clientCfg("client-wrong.json", wrong)}, overrides...),
			[]string{"on chain", "root=" + root.String(), "owned by its cocoon wallet", "owner=" + wallet, "HTTP listening"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := startRole(t, tt.role, append(tt.args, "--insecure-fake-tdx"), tt.want...)
			if strings.Contains(out.String(), node.seedHex()) || strings.Contains(out.String(), stranger.seedHex()) {
				t.Error("a wallet key appears in the log")
			}
		})
	}
}

// TestDevnetConfigsKeys: the node_wallet_key files a devnet on the
// emulated chain writes next to its node configs are keys node.LoadNodeKey
// reads, those of the wallets the devnet reports, owned by the configs'
// owner_address as openRoleChain derives them.
func TestDevnetConfigsKeys(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := devnet.Start(ctx, devnet.Options{Chain: devnet.ChainEmulated, DataDir: dir, Model: "m",
		Engine: func(int) http.Handler { return http.NotFoundHandler() }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	pcfg := configtest.Load(t, proxy.LoadConfig, filepath.Join(dir, "proxy.json"))
	ccfg := configtest.Load(t, client.LoadConfig, filepath.Join(dir, "client.json"))
	wcfg := configtest.Load(t, worker.LoadConfig, filepath.Join(dir, "worker-0.json"))
	a := n.Addresses
	for _, c := range []struct {
		name, key, owner string
		want             *address.Address
	}{
		{"proxy", pcfg.NodeWalletKey, pcfg.OwnerAddress, a.ProxyWallet},
		{"client", ccfg.NodeWalletKey, ccfg.OwnerAddress, a.ClientWallet},
		{"worker", wcfg.NodeWalletKey, wcfg.OwnerAddress, a.WorkerWallets[0]},
	} {
		key, err := node.LoadNodeKey(c.key)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		owner, err := contracts.ParseAddress(c.owner)
		if err != nil {
			t.Fatalf("%s: owner_address: %v", c.name, err)
		}
		w, err := onchain.NewWallet(n.Chain, key, owner, onchain.WalletOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if w.Address().String() != c.want.String() {
			t.Errorf("%s: node_wallet_key %s derives wallet %s, the devnet's is %s", c.name, c.key, w.Address(), c.want)
		}
	}
}

func TestRoleChainErrors(t *testing.T) {
	node := newChainNode(0x24)
	state, root := chainRolesState(t, node)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "wallet.key")
	writeFile(t, keyFile, node.seedHex()+"\n")
	proxyCfg := func(name string, machineKey bool) string {
		c := map[string]any{"is_test": true, "workers_listen": "127.0.0.1:0", "clients_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
			"owner_address": node.owner.String(), "worker_policy": "fake_tdx", "client_policy": "any"}
		if machineKey {
			c["machine_specific_private_key"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x33}, 32))
		}
		p := filepath.Join(dir, name)
		writeJSON(t, p, c)
		return p
	}
	withKey, withoutKey := proxyCfg("proxy.json", true), proxyCfg("proxy-nokey.json", false)
	workerCfg := filepath.Join(dir, "worker.json")
	writeJSON(t, workerCfg, map[string]any{
		"is_test": true, "model_name": "m@c:v", "forward_requests_to": "127.0.0.1:1", "proxies": []string{"127.0.0.1:1"},
		"proxy_policy": "fake_tdx", "owner_address": node.owner.String(), "http_listen": "127.0.0.1:0",
		"chain_state": state, "root_contract_address": root.String(), "node_wallet_key": keyFile,
	})
	clientCfg := filepath.Join(dir, "client.json")
	writeJSON(t, clientCfg, map[string]any{"is_test": true, "http_listen": "127.0.0.1:0", "owner_address": node.owner.String(),
		"proxy_policy": "fake_tdx", "proxies": []string{"127.0.0.1:1"}})
	other := address.NewAddress(0, 0, bytes.Repeat([]byte{0x77}, 32)).String()
	onChain := func(cfg string, extra ...string) []string {
		return append([]string{"--config", cfg, "--insecure-fake-tdx"}, extra...)
	}
	tests := []struct {
		name    string
		role    func(context.Context, []string, io.Writer, io.Writer) error
		args    []string
		wantErr string
	}{
		{"two chains", runWorker, onChain(workerCfg, "--ton-config", filepath.Join(dir, "global.json")), "name one chain"},
		{"chain without root", runProxy, onChain(withKey, "--chain-state", state, "--node-wallet-key", keyFile), "root_contract_address"},
		{"root without chain", runProxy, onChain(withKey, "--root", root.String()), "need a chain"},
		{"wallet key without chain", runClient, onChain(clientCfg, "--node-wallet-key", keyFile), "need a chain"},
		{"proxy without wallet key", runProxy, onChain(withKey, "--chain-state", state, "--root", root.String()), "node_wallet_key"},
		{"proxy without machine key", runProxy, onChain(withoutKey, "--chain-state", state, "--root", root.String(), "--node-wallet-key", keyFile), "machine_specific_private_key"},
		{"missing state file", runProxy, onChain(withKey, "--chain-state", filepath.Join(dir, "none.json"), "--root", root.String(), "--node-wallet-key", keyFile), "opening emulated chain state"},
		{"no root at the address", runWorker, onChain(workerCfg, "--root", other), "starting on the emulated chain"},
		{"bad root address", runClient, onChain(clientCfg, "--chain-state", state, "--root", "nowhere"), "root_contract_address"},
		{"bad wallet key", runWorker, onChain(workerCfg, "--node-wallet-key", "c0ffee"), "neither a readable file nor"},
		{"proxy config chain without machine key", runProxy, []string{"--config", writeProxyChainCfg(t, dir, node, state, root, keyFile, false), "--insecure-fake-tdx"}, "machine_specific_private_key"},
		{"proxy config chain and a second by flag", runProxy, []string{"--config", writeProxyChainCfg(t, dir, node, state, root, keyFile, true), "--insecure-fake-tdx", "--ton-config", filepath.Join(dir, "global.json")}, "name one chain"},
		{"client config chain, bad wallet key by flag", runClient, []string{"--config", writeJSONFile(t, filepath.Join(dir, "client-chain.json"), map[string]any{
			"is_test": true, "http_listen": "127.0.0.1:0", "owner_address": node.owner.String(), "proxy_policy": "fake_tdx",
			"chain_state": state, "root_contract_address": root.String(), "node_wallet_key": keyFile}), "--insecure-fake-tdx", "--node-wallet-key", "c0ffee"}, "neither a readable file nor"},
		{"bad owner", runClient, []string{"--config", writeClientCfg(t, dir, "not-an-address"), "--insecure-fake-tdx", "--chain-state", state, "--root", root.String(), "--node-wallet-key", keyFile}, "owner_address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errOut bytes.Buffer
			err := tt.role(t.Context(), tt.args, io.Discard, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error()+errOut.String(), node.seedHex()) {
				t.Error("the wallet key appears in the error or the log")
			}
		})
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeJSONFile(t *testing.T, path string, v any) string {
	t.Helper()
	writeJSON(t, path, v)
	return path
}

// writeProxyChainCfg writes a proxy config naming its chain, with or
// without a machine key.
func writeProxyChainCfg(t *testing.T, dir string, node chainNode, state string, root *address.Address, keyFile string, machineKey bool) string {
	t.Helper()
	c := map[string]any{"is_test": true, "workers_listen": "127.0.0.1:0", "clients_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
		"owner_address": node.owner.String(), "worker_policy": "fake_tdx", "client_policy": "any",
		"chain_state": state, "root_contract_address": root.String(), "node_wallet_key": keyFile}
	name := "proxy-chain-nokey.json"
	if machineKey {
		c["machine_specific_private_key"] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x35}, 32))
		name = "proxy-chain.json"
	}
	return writeJSONFile(t, filepath.Join(dir, name), c)
}

func writeClientCfg(t *testing.T, dir, owner string) string {
	t.Helper()
	p := filepath.Join(dir, "client-"+owner+".json")
	writeJSON(t, p, map[string]any{"is_test": true, "http_listen": "127.0.0.1:0", "owner_address": owner,
		"proxy_policy": "fake_tdx", "proxies": []string{"127.0.0.1:1"}})
	return p
}

// TestProxyKeepsItsContractAcrossParams runs `cocoon proxy` with a
// database on an emulated chain, changes the root's fees while it is
// stopped, and runs it again: it starts on the contract its database
// records (a proxy contract's stored params never change on chain, so
// it keeps serving its clients under the old ones), then rolls over to
// one under the new params, which a third run locates.
func TestProxyKeepsItsContractAcrossParams(t *testing.T) {
	node := newChainNode(0x24)
	state, root := chainRolesState(t, node)
	seed := bytes.Repeat([]byte{0x34}, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "proxy.json")
	writeJSON(t, cfg, map[string]any{
		"is_test": true, "workers_listen": "127.0.0.1:0", "clients_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
		"owner_address": node.owner.String(), "machine_specific_private_key": base64.StdEncoding.EncodeToString(seed),
		"worker_policy": "fake_tdx", "client_policy": "any", "db_path": filepath.Join(dir, "proxy.db"),
	})
	args := []string{"--config", cfg, "--insecure-fake-tdx", "--chain-state", state, "--root", root.String(), "--node-wallet-key", node.seedHex()}
	params, err := contracts.FakeTONParams()
	if err != nil {
		t.Fatal(err)
	}
	first, err := contracts.ProxyAddress(node.owner, root, key, params)
	if err != nil {
		t.Fatal(err)
	}
	active := func(a *address.Address) bool {
		c, err := emulated.New(emulated.Options{Path: state})
		if err != nil {
			t.Fatal(err)
		}
		acc, err := c.Account(context.Background(), a)
		return err == nil && acc.Status == ton.StatusActive
	}
	t.Run("first run", func(t *testing.T) {
		startRole(t, runProxy, args, "started on chain")
		if !active(first) {
			t.Fatalf("the proxy contract %s is not deployed", first)
		}
	})

	ctx := context.Background()
	c, err := emulated.New(emulated.Options{Path: state})
	if err != nil {
		t.Fatal(err)
	}
	body, err := contracts.RootChangeFeesBody(1, 3*contracts.FakePricePerToken, 3*contracts.FakeWorkerFeePerToken)
	if err != nil {
		t.Fatal(err)
	}
	admin := address.NewAddress(0, 0, bytes.Repeat([]byte{0x01}, 32))
	if err := c.SendInternal(ctx, admin, ton.Transfer{To: root, Amount: billing.TON / 10, Bounce: true, Body: body}); err != nil {
		t.Fatal(err)
	}
	rc, err := ton.ReadRootConfig(ctx, c, root)
	if err != nil || rc.Params.ParamsVersion != params.ParamsVersion+1 {
		t.Fatalf("root params version %d (%v) after the change, want %d", rc.Params.ParamsVersion, err, params.ParamsVersion+1)
	}
	fresh, err := contracts.ProxyAddress(node.owner, root, key, rc.Params)
	if err != nil {
		t.Fatal(err)
	}

	located := func(out string) string {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "proxy contract located") {
				return line
			}
		}
		return ""
	}
	// Reading the root often, the proxy sees its params version soon.
	writeJSON(t, cfg, map[string]any{
		"is_test": true, "workers_listen": "127.0.0.1:0", "clients_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
		"owner_address": node.owner.String(), "machine_specific_private_key": base64.StdEncoding.EncodeToString(seed),
		"worker_policy": "fake_tdx", "client_policy": "any", "db_path": filepath.Join(dir, "proxy.db"),
		"root_poll_every": "200ms",
	})
	t.Run("after the change", func(t *testing.T) {
		out := startRole(t, runProxy, args, "proxy contract located", "started on chain", "moved to a new contract")
		if line := located(out.String()); !strings.Contains(line, first.String()) {
			t.Errorf("located %q, want the recorded %s", line, first)
		}
		if !active(first) || !active(fresh) {
			t.Errorf("proxy contract %s active %v, under the new params %s active %v; want both, the first winding down", first, active(first), fresh, active(fresh))
		}
	})
	t.Run("restart", func(t *testing.T) {
		out := startRole(t, runProxy, args, "proxy contract located", "started on chain")
		if line := located(out.String()); !strings.Contains(line, fresh.String()) {
			t.Errorf("located %q, want the contract rolled over to, %s", line, fresh)
		}
	})
}
