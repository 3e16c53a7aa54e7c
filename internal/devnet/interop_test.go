package devnet

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/config/configtest"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/sharedtest"
	"github.com/cocoon-go/cocoon/internal/worker"
)

// TestInteropFakeTONDevnet runs `cocoon devnet --chain fake` under the
// reference's fake-TON root config, its prices changed to tell them from
// ours: requests are billed at the file's prices, the contracts derive
// under its params (struct version 1, the reference's codes) and the
// reference's root, and every node config written names the file and the
// root, so that a node started from it runs the same.
func TestInteropFakeTONDevnet(t *testing.T) {
	raw, err := os.ReadFile(sharedtest.Path(t, "testdata/reference/fake-ton-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["price_per_token"], m["worker_fee_per_token"] = 5, 3
	changed, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "fake-ton-config.json")
	if err := os.WriteFile(file, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	n := start(t, Options{Engine: engines(&fakeEngine{chunks: 2}), Chain: ChainFake, FakeTONConfig: file, DataDir: filepath.Join(dir, "net")})
	if res, _ := post(t, context.Background(), n.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	// The fake engine reports 7 tokens: 35 nanoTON charged at 5, 21
	// earned at 3.
	eventually(t, "the proxy settles the request", func() bool { return n.Proxy.Snapshot().Totals.Tokens == 7 })
	if tot := n.Proxy.Snapshot().Totals; tot.Charged != 35 || tot.Earned != 21 {
		t.Errorf("totals %+v, want 35 charged and 21 earned at the file's prices", tot)
	}

	pcfg := configtest.Load(t, proxy.LoadConfig, filepath.Join(dir, "net", "proxy.json"))
	ccfg := configtest.Load(t, client.LoadConfig, filepath.Join(dir, "net", "client.json"))
	wcfg := configtest.Load(t, worker.LoadConfig, filepath.Join(dir, "net", "worker-0.json"))
	for name, c := range map[string][2]string{
		"proxy": {pcfg.FakeTONConfig, pcfg.RootContractAddress}, "client": {ccfg.FakeTONConfig, ccfg.RootContractAddress},
		"worker": {wcfg.FakeTONConfig, wcfg.RootContractAddress},
	} {
		if c != [2]string{file, contracts.ReferenceLocalRoot} {
			t.Errorf("%s.json names fake TON %q under root %q, want %q under %q", name, c[0], c[1], file, contracts.ReferenceLocalRoot)
		}
	}

	// The proxy's and the client's contracts are the ones the reference's
	// derivation gives, under struct version 1 and the reference's codes
	// and root, not those of our fake TON.
	accts := n.Client.Snapshot().Accounts
	if len(accts) != 1 {
		t.Fatalf("client accounts %+v, want one", accts)
	}
	ref, err := contracts.LoadFakeTON(file, address.MustParseAddr(contracts.ReferenceLocalRoot))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := contracts.BuiltinFakeTON()
	if err != nil {
		t.Fatal(err)
	}
	proxyOwner, clientOwner := address.MustParseAddr(pcfg.OwnerAddress), address.MustParseAddr(ccfg.OwnerAddress)
	for _, c := range []struct {
		name string
		f    contracts.FakeTON
		want bool
	}{{"the reference's", ref, true}, {"ours", ours, false}} {
		d, err := c.f.Derivation()
		if err != nil {
			t.Fatal(err)
		}
		proxySC, err := d.ProxyAddress(proxyOwner, n.ProxyKey)
		if err != nil {
			t.Fatal(err)
		}
		clientSC, err := d.ClientAddress(clientOwner, proxyOwner, n.ProxyKey)
		if err != nil {
			t.Fatal(err)
		}
		got := accts[0].ProxySCAddress == proxySC.String() && accts[0].ClientSCAddress == clientSC.String()
		if got != c.want {
			t.Errorf("contracts %s / %s derive under %s fake TON: %v, want %v", accts[0].ProxySCAddress, accts[0].ClientSCAddress, c.name, got, c.want)
		}
	}
}
