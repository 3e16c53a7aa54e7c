package liteclient_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/devnet"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
	"github.com/cocoon-go/cocoon/internal/ton/liteclient"
	"github.com/cocoon-go/cocoon/internal/web"
)

// TestExplorerThroughLiteclient reads a devnet's network with the
// explorer through the liteclient (answered from the emulated chain, as a
// liteserver would) and directly from the emulated chain: both show the
// same contracts, balances and value locked.
func TestExplorerThroughLiteclient(t *testing.T) {
	n, err := devnet.Start(context.Background(), devnet.Options{Model: "m", Chain: devnet.ChainEmulated,
		Engine: func(int) http.Handler { return http.NotFoundHandler() }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ec := n.Chain.(*emulated.Chain)
	read := func(chain web.Chain) (net struct {
		TVL       string `json:"tvl_ton"`
		Contracts []struct {
			Kind, Address string
			Balance       string `json:"balance_ton"`
		} `json:"contracts"`
		Errors []string `json:"errors"`
	}) {
		t.Helper()
		s, err := web.NewExplorer(web.Options{Chain: chain, Root: n.Addresses.Root, ProxyContracts: []*address.Address{n.Addresses.ProxyContract}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler(nil))
		defer srv.Close()
		res, err := http.Get(srv.URL + "/explorer.json")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(&net); err != nil {
			t.Fatal(err)
		}
		return net
	}
	// Nothing moves on the devnet without requests: both reads see one
	// state.
	direct, lite := read(ec), read(liteclient.OfflineClient(ec))
	if len(direct.Errors) != 0 || len(lite.Errors) != 0 {
		t.Fatalf("errors: emulated %q, liteclient %q", direct.Errors, lite.Errors)
	}
	if len(direct.Contracts) < 3 {
		t.Fatalf("the explorer shows %d contracts, want the root, the proxy and the client at least", len(direct.Contracts))
	}
	if direct.TVL != lite.TVL || len(direct.Contracts) != len(lite.Contracts) {
		t.Fatalf("emulated chain: %d contracts, %s TON locked; liteclient: %d, %s TON", len(direct.Contracts), direct.TVL, len(lite.Contracts), lite.TVL)
	}
	for i := range direct.Contracts {
		if direct.Contracts[i] != lite.Contracts[i] {
			t.Errorf("contract %d: emulated chain %+v, liteclient %+v", i, direct.Contracts[i], lite.Contracts[i])
		}
	}
}
