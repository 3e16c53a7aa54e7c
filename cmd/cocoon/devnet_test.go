package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/devnet"
)

// plainEngine serves model m and answers every chat request with one JSON
// body of 2 prompt and 1 completion tokens.
var plainEngine = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v1/models" {
		w.Write([]byte(`{"object":"list","data":[{"id":"m","object":"model"}]}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}`))
})

// emulatedDevnet starts a devnet of model m served by plainEngine, on the
// emulated chain, with its data directory dir. The caller closes it.
func emulatedDevnet(t *testing.T, dir string) *devnet.Network {
	t.Helper()
	n, err := devnet.Start(context.Background(), devnet.Options{Model: "m", Engine: func(int) http.Handler { return plainEngine }, Chain: devnet.ChainEmulated, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDevnetChainFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run([]string{"devnet", "--chain", "real", "--engine-url", "http://127.0.0.1:1", "--model-name", "m"}, &out, &errOut)
	if got := exitCode(err); got != 2 || !strings.Contains(err.Error(), `unknown --chain "real"`) {
		t.Errorf("devnet --chain real: exit code %d, error %v; want 2 and an unknown-chain error", got, err)
	}
}

// TestDevnetChainState starts a devnet on the emulated chain in a data
// directory and reads its accounts with `cocoon chain state`, as the
// addresses it prints invite a user to.
func TestDevnetChainState(t *testing.T) {
	dir := t.TempDir()
	n := emulatedDevnet(t, dir)
	defer n.Close()
	var out bytes.Buffer
	n.PrintBanner(&out, "cocoon", dir, nil)
	for _, want := range []string{"emulated TON chain", "explorer     " + n.ProxyURL + "/explorer", "wallet       " + n.ClientURL + "/wallet",
		"earnings 0   " + n.WorkerURLs[0] + "/earnings",
		"cocoon explorer --state " + filepath.Join(dir, devnet.ChainStateFile) + " --root " + n.Addresses.Root.String(), "root               " + n.Addresses.Root.String(), "client contract    " + n.Addresses.ClientContract.String(), "worker 0 contract  " + n.Addresses.WorkerContracts[0].String(), "cocoon chain state --state " + filepath.Join(dir, devnet.ChainStateFile)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("devnet banner lacks %q:\n%s", want, out.String())
		}
	}
	// Every command the banner prints names the binary as it was started,
	// so that each runs as printed.
	var started bytes.Buffer
	n.PrintBanner(&started, "./bin/cocoon", dir, nil)
	commands := 0
	for line := range strings.Lines(started.String()) {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasSuffix(f[0], "cocoon") {
			continue
		}
		commands++
		if f[0] != "./bin/cocoon" {
			t.Errorf("banner command %q names %q, want ./bin/cocoon as the devnet was started", strings.TrimSpace(line), f[0])
		}
	}
	for _, want := range []string{"./bin/cocoon probe ", "./bin/cocoon root del-worker-hash ", "./bin/cocoon root add-worker-hash ", "./bin/cocoon chain state ", "./bin/cocoon proxy --config "} {
		if !strings.Contains(started.String(), want) {
			t.Errorf("devnet banner started as ./bin/cocoon lacks %q:\n%s", want, started.String())
		}
	}
	if commands < 9 {
		t.Errorf("the banner printed %d commands, want the chain's, the probe's, the root's and each node's:\n%s", commands, started.String())
	}
	res, err := http.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("request: status %d", res.StatusCode)
	}
	// The 3 tokens are charged to the client contract within a few of the
	// devnet's half-second rounds.
	client := n.Addresses.ClientContract.String()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var out, errOut bytes.Buffer
		err := runChain(context.Background(), []string{"state", "--data-dir", dir, client}, &out, &errOut)
		if err == nil && strings.Contains(out.String(), "tokens used 3,") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client contract never showed its 3 tokens used: %v\n%s", err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	tests := []struct {
		name string
		addr string
		want []string
	}{
		{"root", n.Addresses.Root.String(), []string{"status:    active", "contract:  root", "price per token 0.000000002 TON", n.ProxyWorkersAddr + " " + n.ProxyClientsAddr}},
		{"proxy contract", n.Addresses.ProxyContract.String(), []string{"contract:  proxy", "state 0 (normal)", "stake 1 TON"}},
		{"client contract", client, []string{"contract:  client", "state 0 (normal), recorded balance 0.999999994 TON, stake 1 TON, tokens used 3,"}},
		{"proxy wallet", n.Addresses.ProxyWallet.String(), []string{"contract:  cocoon wallet", ", status 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := runChain(context.Background(), []string{"state", "--data-dir", dir, tt.addr}, &out, &errOut); err != nil {
				t.Fatalf("chain state: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("chain state of the %s lacks %q:\n%s", tt.name, w, out.String())
				}
			}
		})
	}
	// A wallet funded at start: chain wait returns at once; asked for more
	// than it holds, it says how much is missing and where to send it.
	wallet := n.Addresses.ClientWallet.String()
	var errOut bytes.Buffer
	out.Reset()
	if err := runChain(context.Background(), []string{"wait", "--data-dir", dir, wallet, "--balance", "0.001"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "funded") {
		t.Errorf("chain wait on a funded wallet: %v\n%s", err, out.String())
	}
	out.Reset()
	err = runChain(context.Background(), []string{"wait", "--data-dir", dir, wallet, "--balance", "1000000", "--timeout", "300ms"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "ton://transfer/") || !strings.Contains(out.String(), "of 1000000 TON (") {
		t.Errorf("chain wait beyond the balance: %v\n%s", err, out.String())
	}
}

// TestExplorerAlone runs `cocoon explorer` on a devnet's chain: it asks
// the proxy the root registers for its contract, as a client would, and
// shows it with its worker and client.
func TestExplorerAlone(t *testing.T) {
	dir := t.TempDir()
	n := emulatedDevnet(t, dir)
	defer n.Close()
	// A worker deploys its contract with its first payout.
	res, err := http.Post(n.ClientURL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// With the flags the banner prints, and with the devnet's defaults:
	// its root, and its proxies' fake TDX accepted, saying so.
	for _, tc := range []struct {
		name, notice string
		args         []string
	}{
		{"flags", "", []string{"--root", n.Addresses.Root.String(), "--policy", "fake_tdx", "--insecure-fake-tdx"}},
		{"devnet defaults", "devnet root (" + filepath.Join(dir, "proxy.json") + "): INSECURE fake TDX accepted", nil},
	} {
		t.Run(tc.name, func(t *testing.T) { exploreDevnet(t, n, append([]string{"--data-dir", dir}, tc.args...), tc.notice) })
	}
}

// exploreDevnet runs `cocoon explorer` with args on the devnet n's chain
// and checks that it shows the devnet's proxy, worker and client, after
// printing notice (when not empty).
func exploreDevnet(t *testing.T, n *devnet.Network, args []string, notice string) {
	ctx, cancel := context.WithCancel(context.Background())
	out := newLineWriter()
	done := make(chan error, 1)
	go func() {
		done <- runExplorer(ctx, append(args, "--listen", "127.0.0.1:0", "--log-level", "error"), out, io.Discard)
	}()
	ended := false
	defer func() {
		cancel()
		if err := <-done; !ended && err != nil {
			t.Errorf("explorer: %v", err)
		}
	}()
	var url, printed string
	for url == "" {
		select {
		case line := <-out.lines:
			printed += line
			if u, ok := strings.CutPrefix(strings.TrimSpace(line), "explorer on "); ok {
				url = u
			}
		case err := <-done:
			ended = true
			done <- err
			t.Fatalf("explorer ended before serving: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("the explorer printed no address")
		}
	}
	if notice != "" && !strings.Contains(printed, notice) {
		t.Errorf("the explorer printed %q, want %q first", printed, notice)
	}
	var net struct {
		Proxies []struct {
			Address string `json:"address"`
			Workers []struct {
				Address string `json:"address"`
			} `json:"workers"`
			Clients []struct {
				Address string `json:"address"`
			} `json:"clients"`
		} `json:"proxies"`
		Errors []string `json:"errors"`
	}
	read := func() {
		res, err := http.Get(strings.TrimSuffix(url, "/explorer") + "/explorer.json")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(&net); err != nil {
			t.Fatalf("decoding /explorer.json: %v", err)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		read()
		if len(net.Proxies) == 1 && len(net.Proxies[0].Workers) == 1 || time.Now().After(deadline) {
			break
		}
	}
	if len(net.Proxies) != 1 || net.Proxies[0].Address != n.Addresses.ProxyContract.String() {
		t.Fatalf("explorer shows proxies %+v (errors %q), want the devnet's %s", net.Proxies, net.Errors, n.Addresses.ProxyContract)
	}
	p := net.Proxies[0]
	if len(p.Workers) != 1 || p.Workers[0].Address != n.Addresses.WorkerContracts[0].String() {
		t.Errorf("explorer shows workers %+v, want %s", p.Workers, n.Addresses.WorkerContracts[0])
	}
	if len(p.Clients) != 1 || p.Clients[0].Address != n.Addresses.ClientContract.String() {
		t.Errorf("explorer shows clients %+v, want %s", p.Clients, n.Addresses.ClientContract)
	}
}

// lineWriter hands each line written to it to lines.
type lineWriter struct{ lines chan string }

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 16)} }

func (w *lineWriter) Write(b []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" {
			select {
			case w.lines <- l:
			default:
			}
		}
	}
	return len(b), nil
}
