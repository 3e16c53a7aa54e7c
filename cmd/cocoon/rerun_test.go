package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/config/configtest"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

const rerunChat = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

// usage reads the tokens the client contract has been charged for and the
// tokens the worker contract has been paid for, from the state file as
// another process sees it; ok is false until both are deployed.
func usage(t *testing.T, state string, clientSC, workerSC *address.Address) (clientTokens, workerTokens uint64, ok bool) {
	t.Helper()
	c, err := emulated.New(emulated.Options{Path: state})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	read := func(a *address.Address) (ton.Account, bool) {
		acc, err := c.Account(ctx, a)
		if errors.Is(err, ton.ErrNotFound) {
			return ton.Account{}, false
		}
		if err != nil {
			t.Fatalf("reading %s: %v", a, err)
		}
		return acc, acc.Status == ton.StatusActive
	}
	ca, cok := read(clientSC)
	wa, wok := read(workerSC)
	if !cok || !wok {
		return 0, 0, false
	}
	cd, err := contracts.ParseClientData(ca.Data)
	if err != nil {
		t.Fatal(err)
	}
	wd, err := contracts.ParseWorkerData(wa.Data)
	if err != nil {
		t.Fatal(err)
	}
	return cd.TokensUsed, wd.Tokens, true
}

// chat posts one chat completion and reports whether it succeeded.
func chat(url string) bool {
	res, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(rerunChat))
	if err != nil {
		return false
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode == http.StatusOK
}

// TestDevnetConfigsRerun starts a devnet on the emulated chain in a data
// directory, sends it a request and closes it; then starts `cocoon proxy`,
// `cocoon worker` and `cocoon client` from the configs it wrote there, as
// a user would (with --insecure-fake-tdx), and sends the client a request:
// the nodes run on the devnet's chain with its wallets, so the same client
// contract is charged more tokens and the same worker contract is paid
// for more.
func TestDevnetConfigsRerun(t *testing.T) {
	dir := t.TempDir()
	// The engine outlives the devnet, as a separate engine process would.
	eng := httptest.NewServer(plainEngine)
	defer eng.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := devnet.Start(ctx, devnet.Options{Model: "m", EngineURL: eng.URL, Chain: devnet.ChainEmulated, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	a := *n.Addresses
	// The banner tells how to run each node; the test runs those commands.
	var banner bytes.Buffer
	n.PrintBanner(&banner, "cocoon", dir, nil)
	for _, name := range []string{"proxy", "worker-0", "client"} {
		role, _, _ := strings.Cut(name, "-")
		if want := "cocoon " + role + " --config " + filepath.Join(dir, name+".json") + " --insecure-fake-tdx"; !strings.Contains(banner.String(), want) {
			t.Errorf("the devnet banner lacks %q:\n%s", want, banner.String())
		}
	}
	state := filepath.Join(dir, devnet.ChainStateFile)
	if !chat(n.ClientURL) {
		t.Fatal("the devnet's client did not answer a chat")
	}
	var used, paid uint64
	waitFor(t, "the devnet's request settled on chain", 60*time.Second, func() bool {
		var ok bool
		used, paid, ok = usage(t, state, a.ClientContract, a.WorkerContracts[0])
		return ok && used > 0 && paid == used
	})
	n.Close()

	secrets := []string{}
	for _, f := range []string{devnet.ProxyWalletKeyFile, devnet.ClientWalletKeyFile, devnet.WorkerWalletKeyFile(0)} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, strings.TrimSpace(string(b)))
	}
	// Each role derives the devnet's wallet from its config and opens the
	// devnet's contracts.
	flags := func(name string) []string {
		return []string{"--config", filepath.Join(dir, name), "--insecure-fake-tdx"}
	}
	logs := []*sharedtest.Log{
		startRole(t, runProxy, flags("proxy.json"), "wallet="+a.ProxyWallet.String(), "contract="+a.ProxyContract.String(), "ledger restored", "proxy listening", "the root registers this proxy's endpoints"),
		startRole(t, runWorker, flags("worker-0.json"), "wallet="+a.WorkerWallets[0].String(), "HTTP listening"),
	}
	clientLog := startRole(t, runClient, flags("client.json"), "owner="+a.ClientWallet.String(), "HTTP listening")
	logs = append(logs, clientLog)
	ccfg := configtest.Load(t, client.LoadConfig, filepath.Join(dir, "client.json"))
	clientURL := "http://" + ccfg.HTTPAddr()
	waitFor(t, "a chat through the re-run nodes", 60*time.Second, func() bool { return chat(clientURL) })
	waitFor(t, "the re-run nodes' request settled on the devnet's contracts", 60*time.Second, func() bool {
		c, w, ok := usage(t, state, a.ClientContract, a.WorkerContracts[0])
		return ok && c > used && w > paid
	})
	for _, l := range logs {
		for _, s := range secrets {
			if strings.Contains(l.String(), s) {
				t.Error("a wallet key appears in a role's log")
			}
		}
	}
}
