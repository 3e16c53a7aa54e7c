package main

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/chainconf"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/node"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/tl"
	"github.com/cocoon-go/cocoon/internal/tl/tltest"
)

// refOwner is the owner_address of every node of the reference's local
// network (its scripts/cocoon-launch --local-all).
const refOwner = "UQAuz15H1ZHrZ_psVrAra7HealMIVeFq0wguqlmFno1f3B-m"

// TestInteropFakeTONRoles pins mismatch 8 for the role commands: given
// the reference's fake-TON config and root (fake_ton_config or
// --disable-ton, root_contract_address or --root) a role derives the
// contracts the reference's proxy named on the wire, at the file's prices
// and root config version; without the file, our fake TON's version 3,
// never 0.
func TestInteropFakeTONRoles(t *testing.T) {
	file := sharedtest.Path(t, "testdata/reference/fake-ton-config.json")
	log := slog.New(slog.DiscardHandler)
	ft, err := node.FakeTON(log, chainconf.Chain{FakeTONConfig: file, RootContractAddress: contracts.ReferenceLocalRoot})
	if err != nil {
		t.Fatal(err)
	}
	if p := ft.Prices(); ft.Config.Version != 3 || p.PricePerToken != 2 || p.WorkerFeePerToken != 1 {
		t.Errorf("root config version %d, prices %+v: want 3, 2 and 1", ft.Config.Version, p)
	}
	connected := tltest.Reference(t, "b-client-proxy-0001-client.connectedToProxy.bin").(*tl.ClientConnectedToProxy)
	workerConnected := tltest.Reference(t, "d-worker-proxy-0001-worker.connectedToProxy.bin").(*tl.WorkerConnectedToProxy)
	d, err := ft.Derivation()
	if err != nil {
		t.Fatal(err)
	}
	owner, key := address.MustParseAddr(refOwner), ed25519.PublicKey(connected.Params.ProxyPublicKey[:])
	proxySC, _ := d.ProxyAddress(owner, key)
	clientSC, _ := d.ClientAddress(owner, owner, key)
	workerSC, _ := d.WorkerAddress(owner, owner, key)
	for what, c := range map[string][2]*address.Address{
		"proxy":  {proxySC, address.MustParseAddr(connected.Params.ProxySCAddress)},
		"client": {clientSC, address.MustParseAddr(connected.ClientSCAddress)},
		"worker": {workerSC, address.MustParseAddr(workerConnected.WorkerSCAddress)},
	} {
		if c[0] == nil || !c[0].Equals(c[1]) {
			t.Errorf("%s contract %v, the reference named %s", what, c[0], c[1])
		}
	}
	ours, err := node.FakeTON(log, chainconf.Chain{})
	if err != nil || ours.Config.Version != contracts.FakeTONVersion || contracts.FakeTONVersion == 0 {
		t.Errorf("our fake TON at root config version %d (%v), want %d", ours.Config.Version, err, contracts.FakeTONVersion)
	}
	for _, tc := range []struct {
		name string
		s    chainconf.Chain
		want string
	}{
		{"no root", chainconf.Chain{FakeTONConfig: file}, "needs root_contract_address"},
		{"bad root", chainconf.Chain{FakeTONConfig: file, RootContractAddress: "nowhere"}, "root_contract_address"},
		{"no file", chainconf.Chain{FakeTONConfig: filepath.Join(t.TempDir(), "none.json"), RootContractAddress: contracts.ReferenceLocalRoot}, "loading the fake-TON root config"},
	} {
		if _, err := node.FakeTON(log, tc.s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
	cfgPath := filepath.Join(t.TempDir(), "proxy.json")
	writeJSON(t, cfgPath, map[string]any{"is_test": true, "owner_address": refOwner, "worker_policy": "fake_tdx"})
	if err := runProxy(t.Context(), []string{"--config", cfgPath, "--insecure-fake-tdx", "--disable-ton", file, "--chain-state", "chain.json", "--root", contracts.ReferenceLocalRoot}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "fake TON has no chain") {
		t.Errorf("fake TON and a chain: got %v, want a refusal", err)
	}
	writeJSON(t, cfgPath, map[string]any{"is_test": true, "owner_address": refOwner, "fake_ton_config": file})
	if _, err := proxy.LoadConfig(cfgPath); err == nil || !strings.Contains(err.Error(), "fake_ton_config needs root_contract_address") {
		t.Errorf("a proxy config with fake_ton_config and no root: got %v, want a refusal", err)
	}
}

// TestInteropProxyOnReferenceFakeTON runs `cocoon proxy --disable-ton FILE
// --root ROOT` until it listens: the reference's file is accepted, and the
// proxy runs at its root config version.
func TestInteropProxyOnReferenceFakeTON(t *testing.T) {
	file := sharedtest.Path(t, "testdata/reference/fake-ton-config.json")
	cfgPath := filepath.Join(t.TempDir(), "proxy.json")
	writeJSON(t, cfgPath, map[string]any{"is_test": true, "workers_listen": "127.0.0.1:0", "clients_listen": "127.0.0.1:0", "http_listen": "127.0.0.1:0",
		"owner_address": refOwner, "worker_policy": "fake_tdx", "client_policy": "any"})
	ctx, cancel := context.WithCancel(t.Context())
	var logs sharedtest.Log
	done := make(chan error, 1)
	go func() {
		done <- runProxy(ctx, []string{"--config", cfgPath, "--insecure-fake-tdx", "--disable-ton", file, "--root", contracts.ReferenceLocalRoot}, io.Discard, &logs)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "proxy listening") {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("the proxy stopped: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the proxy did not start:\n%s", logs.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("the proxy ended with %v", err)
	}
	if out := logs.String(); !strings.Contains(out, "on the reference's fake TON") || !strings.Contains(out, "root_version=3") {
		t.Errorf("the proxy's log does not show the reference's fake TON at root version 3:\n%s", out)
	}
}
