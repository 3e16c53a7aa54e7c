package devnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FindModel returns the first GGUF file in $COCOON_MODEL (a file or a
// directory), $COCOON_SHARED/models, or the models directory of the
// shared folder beside the checkout (../shared/models from its root,
// found from any directory inside it).
func FindModel() (string, error) {
	var places []string
	if env := os.Getenv("COCOON_MODEL"); env != "" {
		if st, err := os.Stat(env); err == nil && !st.IsDir() {
			return env, nil
		}
		places = append(places, env)
	}
	if env := os.Getenv("COCOON_SHARED"); env != "" {
		places = append(places, filepath.Join(env, "models"))
	}
	places = append(places, filepath.Join("..", "shared", "models"))
	if wd, err := os.Getwd(); err == nil {
		for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				places = append(places, filepath.Join(filepath.Dir(d), "shared", "models"))
				break
			}
		}
	}
	for _, dir := range places {
		files, _ := filepath.Glob(filepath.Join(dir, "*.gguf"))
		sort.Strings(files)
		if len(files) > 0 {
			return files[0], nil
		}
	}
	return "", errors.New("no model: pass --model FILE.gguf, set COCOON_MODEL, or put a GGUF file in ../shared/models beside the checkout")
}

// DefaultDir is where `cocoon devnet` keeps its state unless told
// otherwise, and where `cocoon chain state` looks for the chain: the
// user's cache directory, or a directory under the temporary one.
func DefaultDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "cocoon", "devnet")
}

// ChainName names a chain kind for people.
func ChainName(chain string) string {
	if chain == ChainFake {
		return "fake TON"
	}
	return "an emulated TON chain"
}

// PrintBanner prints what the network is and how to use it: its URLs,
// contracts, the commands that read the chain, probe the proxy and run
// each node on its own from the configs in dataDir (with bin, the binary
// as it was started), and a request to try (with the first of keys, the
// client's API keys).
func (n *Network) PrintBanner(w io.Writer, bin, dataDir string, keys []string) {
	fmt.Fprintf(w, "COCOON devnet is up (fake TDX, %s: for development only)\n\n", ChainName(n.ChainKind))
	fmt.Fprintf(w, "  client API   %s/v1   stats %s/stats\n", n.ClientURL, n.ClientURL)
	fmt.Fprintf(w, "  proxy        workers %s, clients %s, stats %s/stats\n", n.ProxyWorkersAddr, n.ProxyClientsAddr, n.ProxyURL)
	for i, u := range n.WorkerURLs {
		fmt.Fprintf(w, "  worker %-5d stats %s/stats\n", i, u)
	}
	fmt.Fprintf(w, "  explorer     %s\n", n.ExplorerURL)
	fmt.Fprintf(w, "  wallet       %s/wallet\n", n.ClientURL)
	for i, u := range n.WorkerURLs {
		fmt.Fprintf(w, "  earnings %-3d %s/earnings\n", i, u)
	}
	fmt.Fprintf(w, "  model        %s\n", n.Model)
	for _, m := range n.ExtraModels {
		fmt.Fprintf(w, "  model        %s (audio)\n", m)
	}
	if dataDir != "" {
		fmt.Fprintf(w, "  data         %s\n", dataDir)
	}
	if a := n.Addresses; a != nil {
		fmt.Fprintf(w, "\nContracts and wallets on the emulated chain:\n")
		row := func(name string, addr fmt.Stringer, note string, args ...any) {
			fmt.Fprintf(w, "  %-18s %s ("+note+")\n", append([]any{name, addr}, args...)...)
		}
		row("root", a.Root, "admin wallet %s", a.Admin)
		row("proxy contract", a.ProxyContract, "wallet %s, owner %s", a.ProxyWallet, a.ProxyOwner)
		if a.ClientGeneration == 0 {
			row("client contract", a.ClientContract, "wallet and owner %s", a.ClientWallet)
		} else {
			row("client contract", a.ClientContract, "generation %d: owner %s, funded by the wallet %s", a.ClientGeneration, a.ClientContractOwner, a.ClientWallet)
		}
		for i := range a.WorkerContracts {
			row(fmt.Sprintf("worker %d contract", i), a.WorkerContracts[i], "wallet %s, owner %s", a.WorkerWallets[i], a.WorkerOwners[i])
		}
		if n.ChainStatePath != "" {
			state := ""
			if n.ChainStatePath != filepath.Join(DefaultDir(), ChainStateFile) {
				state = " --state " + n.ChainStatePath
			}
			fmt.Fprintf(w, "Read one with:\n  %s chain state%s %s\n  %s root show%s\n", bin, state, a.ClientContract, bin, state)
			fmt.Fprintf(w, "Explore the chain on its own (while the devnet runs, or after):\n  %s explorer%s --root %s --policy fake_tdx --insecure-fake-tdx\n", bin, state, a.Root)
		}
	}
	n.printTrust(w, bin, dataDir)
	if dataDir != "" {
		n.printRerun(w, bin, dataDir)
	}
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"max_tokens":64}`, n.Model)
	auth := ""
	if len(keys) > 0 {
		auth = fmt.Sprintf("-H 'Authorization: Bearer %s' ", keys[0])
	}
	fmt.Fprintf(w, "\nTry:\n  curl -N %s%s/v1/chat/completions -d '%s'\n", auth, n.ClientURL, strings.ReplaceAll(body, "'", `'\''`))
	for _, m := range n.ExtraModels {
		fmt.Fprintf(w, "  curl %s%s/v1/audio/transcriptions -F model=%s -F file=@voice.wav\n", auth, n.ClientURL, m)
	}
	fmt.Fprintf(w, "\nPress Ctrl-C to stop.\n")
}

// printTrust says how to probe the proxy as a client judges it and, on the
// emulated chain, how the root's lists admit and evict nodes (with bin,
// the binary as it was started).
func (n *Network) printTrust(w io.Writer, bin, dataDir string) {
	root := ""
	if a := n.Addresses; a != nil && n.ChainStatePath != "" {
		root = fmt.Sprintf(" --chain-state %s --root %s", n.ChainStatePath, a.Root)
	}
	fmt.Fprintf(w, "\nProbe the proxy as a client would, by its attestation and the root's lists:\n")
	fmt.Fprintf(w, "  %s probe --test --policy fake_tdx --insecure-fake-tdx%s %s\n", bin, root, n.ProxyClientsAddr)
	if root == "" || dataDir == "" {
		return
	}
	fmt.Fprintf(w, "The root admits nodes by their image and model hashes, read every %v; take the workers' image off it, and put it back:\n", n.RootPollEvery)
	for _, op := range []string{"del-worker-hash", "add-worker-hash"} {
		fmt.Fprintf(w, "  %s root %s --root %s --state %s --key %s %x\n", bin, op, n.Addresses.Root, n.ChainStatePath, filepath.Join(dataDir, AdminKeyFile), FakeImageHash)
	}
}

// printRerun says how to run the devnet's nodes on their own from the
// configs in dataDir, on the same chain with the same wallets and
// contracts: once the devnet is stopped, as they take its ports, its
// ledger and its client state.
func (n *Network) printRerun(w io.Writer, bin, dataDir string) {
	fmt.Fprintf(w, "\nRun the nodes on their own from their configs, once the devnet is stopped (each in a terminal of its own):\n")
	if n.ModelPath != "" && len(n.EngineURLs) > 0 {
		model := n.ModelPath
		if abs, err := filepath.Abs(model); err == nil {
			model = abs
		}
		fmt.Fprintf(w, "  %s engine --model %s --name %s --listen %s\n", bin, model, n.Model, strings.TrimPrefix(n.EngineURLs[0], "http://"))
	}
	fmt.Fprintf(w, "  %s proxy --config %s --insecure-fake-tdx\n", bin, filepath.Join(dataDir, "proxy.json"))
	for i := range n.WorkerURLs {
		note := ""
		if x := i - (len(n.WorkerURLs) - len(n.ExtraModels)); x >= 0 && n.ExtraModels[x] == FakeSpeechModel {
			note = "   (its engine, the fake speech engine, runs inside the devnet only)"
		}
		fmt.Fprintf(w, "  %s worker --config %s --insecure-fake-tdx%s\n", bin, filepath.Join(dataDir, fmt.Sprintf("worker-%d.json", i)), note)
	}
	fmt.Fprintf(w, "  %s client --config %s --insecure-fake-tdx\n", bin, filepath.Join(dataDir, "client.json"))
}

// IsProxy reports whether addr is the clients endpoint of the proxy of
// the devnet whose configs are in dir (loopback addresses alike).
func IsProxy(dir, addr string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "proxy.json"))
	if err != nil {
		return false
	}
	var cfg struct {
		ClientsListen string `json:"clients_listen"`
	}
	if json.Unmarshal(b, &cfg) != nil || cfg.ClientsListen == "" {
		return false
	}
	if cfg.ClientsListen == addr {
		return true
	}
	h1, p1, err1 := net.SplitHostPort(cfg.ClientsListen)
	h2, p2, err2 := net.SplitHostPort(addr)
	loopback := func(h string) bool { ip := net.ParseIP(h); return h == "localhost" || (ip != nil && ip.IsLoopback()) }
	return err1 == nil && err2 == nil && p1 == p2 && loopback(h1) && loopback(h2)
}

// RootOf returns the root contract address the proxy config in dir
// names; empty when there is none.
func RootOf(dir string) string {
	var cfg struct {
		Root string `json:"root_contract_address"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "proxy.json")); err == nil && json.Unmarshal(b, &cfg) == nil {
		return cfg.Root
	}
	return ""
}
