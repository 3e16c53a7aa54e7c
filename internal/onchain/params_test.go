package onchain

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// record is a ProxyRecord in memory.
type record struct {
	addr    string
	winding []string
}

func (r *record) ProxyContract(context.Context) (string, error) { return r.addr, nil }

func (r *record) SetProxyContract(_ context.Context, addr string) error {
	r.addr = addr
	return nil
}

func (r *record) WindingContracts(context.Context) ([]string, error) { return r.winding, nil }

func (r *record) SetWindingContracts(_ context.Context, addrs []string) error {
	r.winding = addrs
	return nil
}

// changeFees changes the root's price and fee from the admin wallet of
// newNet and returns the root's new params.
func (n *net) changeFees(t *testing.T, price, fee billing.NanoTON) contracts.Params {
	t.Helper()
	ctx := context.Background()
	admin, err := NewWallet(n.chain, testKey(1), testAddr(0xee), WalletOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body, err := contracts.RootChangeFeesBody(queryID(), price, fee)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Send(ctx, ton.Transfer{To: n.root, Amount: billing.TON / 10, Bounce: true, Body: body}); err != nil {
		t.Fatal(err)
	}
	var r contracts.RootConfig
	err = await(ctx, time.Millisecond, "the root's new params", func() (bool, error) {
		r, err = ton.ReadRootConfig(ctx, n.chain, n.root)
		return err == nil && r.Params.PricePerToken == price && r.Params.WorkerFeePerToken == fee, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.Params
}

// TestProxyKeepsItsContractAcrossParams opens the proxy contract, changes
// the root's params, and checks from every side that a proxy contract
// keeps the params it was deployed with and its children derive from them: the
// proxy located from its record keeps its contract and its prices, the
// client and worker contracts derive from the params the proxy contract
// stores, and only the contract a proxy is deployed with, or the one the
// root's current params derive, is accepted as the proxy's.
func TestProxyKeepsItsContractAcrossParams(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	key := n.proxyKey.Public().(ed25519.PublicKey)
	owner := n.pw.Address()
	rec := &record{}
	first, err := n.proxy.Locate(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	sc := n.open(t)
	if first.ParamsVersion != 1 || rec.addr != sc.StringRaw() {
		t.Fatalf("located params version %d, recorded %q; want 1 and the opened contract %s", first.ParamsVersion, rec.addr, sc.StringRaw())
	}

	params := n.changeFees(t, 2*testPrice, 2*testFee)
	fresh, err := contracts.ProxyAddress(owner, n.root, key, params)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Equals(sc) {
		t.Fatal("the new params derive the same proxy contract")
	}

	// A restarted proxy: located from its record, it opens the same
	// contract without sending anything and bills at its prices.
	again := n.newProxy(t, owner)
	located, err := again.Locate(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	if located.ParamsVersion != 1 || located.PricePerToken != testPrice || located.ProxyCode == nil {
		t.Errorf("located params version %d, price %d, proxy code %v; want 1, %d and the code", located.ParamsVersion, located.PricePerToken, located.ProxyCode != nil, testPrice)
	}
	root, err := again.Root(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := billing.DefaultPrices(testPrice, testFee); root.Prices != want || root.ParamsVersion != 2 {
		t.Errorf("Root prices %+v, params version %d; want the contract's %+v and the root's 2", root.Prices, root.ParamsVersion, want)
	}
	lt := n.lastLT(t, n.pw.Address())
	if got, err := again.Open(ctx); err != nil || !got.Equals(sc) {
		t.Fatalf("Open after the change = %v, %v; want %s", got, err, sc)
	}
	if got := n.lastLT(t, n.pw.Address()); got != lt {
		t.Error("Open after the change sent from the wallet")
	}

	// Without a record the proxy derives from the root's current params;
	// a record of a contract that is not deployed gives way to them too.
	bare := n.newProxy(t, owner)
	if p, err := bare.Locate(ctx, nil); err != nil || p.ParamsVersion != params.ParamsVersion {
		t.Errorf("Locate without a record = version %d, %v; want the root's %d", p.ParamsVersion, err, params.ParamsVersion)
	}
	gone := &record{addr: testAddr(0x44).StringRaw()}
	if p, err := bare.Locate(ctx, gone); err != nil || p.ParamsVersion != params.ParamsVersion || gone.addr != fresh.StringRaw() {
		t.Errorf("Locate from a record of nothing deployed = version %d, record %q, %v; want %d and %s", p.ParamsVersion, gone.addr, err, params.ParamsVersion, fresh.StringRaw())
	}

	// Clients and workers: under the deployed contract, the children of
	// its stored params; under the contract of the current params, not
	// deployed yet, theirs.
	c, err := NewContracts(n.chain, n.root)
	if err != nil {
		t.Fatal(err)
	}
	stored := n.proxyData(t, sc)
	them := testAddr(0x55)
	for _, tc := range []struct {
		name   string
		derive func(context.Context, *address.Address, *address.Address, ed25519.PublicKey, *address.Address) (*address.Address, error)
		want   func(owner, proxyAddr *address.Address, proxy contracts.ProxyData) (*address.Address, error)
	}{
		{"client", c.ClientContract, contracts.ClientAddress},
		{"worker", c.WorkerContract, contracts.WorkerAddress},
	} {
		got, err := tc.derive(ctx, them, owner, key, sc)
		if err != nil {
			t.Fatalf("%s contract under the deployed proxy contract: %v", tc.name, err)
		}
		want, _ := tc.want(them, sc, stored)
		if !got.Equals(want) {
			t.Errorf("%s contract under the deployed proxy contract %s, want %s", tc.name, got, want)
		}
		got, err = tc.derive(ctx, them, owner, key, fresh)
		if err != nil {
			t.Fatalf("%s contract under the proxy contract of the current params: %v", tc.name, err)
		}
		want, _ = tc.want(them, fresh, contracts.NewProxyData(owner, n.root, key, params))
		if !got.Equals(want) {
			t.Errorf("%s contract under the proxy contract of the current params %s, want %s", tc.name, got, want)
		}
		if _, err := tc.derive(ctx, them, owner, key, testAddr(0x66)); err == nil || !strings.Contains(err.Error(), "not deployed") {
			t.Errorf("%s contract under an unknown proxy contract: %v, want an error saying it is not deployed", tc.name, err)
		}
		if _, err := tc.derive(ctx, them, testAddr(0x77), key, sc); err == nil || !strings.Contains(err.Error(), "belongs to") {
			t.Errorf("%s contract under another owner's claim of the proxy contract: %v, want an error", tc.name, err)
		}
	}
}

// TestCloseWait checks the wait of a client whose proxy moved to a new
// contract before it closes its old one: half of proxy_delay_before_close
// less client_delay_before_close, as the reference's client waits.
func TestCloseWait(t *testing.T) {
	tests := []struct {
		proxy, client uint32
		want          time.Duration
	}{
		{600, 300, 150 * time.Second},
		{301, 300, 500 * time.Millisecond},
		{300, 300, 0},
		{100, 300, 0},
	}
	for _, tt := range tests {
		p := contracts.Params{ProxyDelayBeforeClose: tt.proxy, ClientDelayBeforeClose: tt.client}
		if got := closeWait(p); got != tt.want {
			t.Errorf("closeWait(proxy %d s, client %d s) = %v, want %v", tt.proxy, tt.client, got, tt.want)
		}
	}
}

// derivedFrom stands for the derivation under a proxy contract of params:
// the test only looks at which params it was made from.
type derivedFrom struct{ params contracts.Params }

func (derivedFrom) ProxyAddress(*address.Address, ed25519.PublicKey) (*address.Address, error) {
	return nil, errors.New("not derived in this test")
}

func (derivedFrom) ClientAddress(*address.Address, *address.Address, ed25519.PublicKey) (*address.Address, error) {
	return nil, errors.New("not derived in this test")
}

func (derivedFrom) WorkerAddress(*address.Address, *address.Address, ed25519.PublicKey) (*address.Address, error) {
	return nil, errors.New("not derived in this test")
}

// TestProxyRollover rolls a proxy over to the contract of the root's new
// params, as the reference's proxy does when params_version changes: the new contract is deployed and
// recorded, with the old one recorded to wind down; Root then gives the
// new contract's params version and prices, and Winding lists the old
// contract with its own prices until it is closed, then forgets it.
func TestProxyRollover(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	key := n.proxyKey.Public().(ed25519.PublicKey)
	owner := n.pw.Address()
	rec := &record{}
	p, err := NewProxy(ProxyConfig{Chain: n.chain, Root: n.root, Wallet: n.pw, Owner: owner, Key: key,
		Derive: func(params contracts.Params) (proxy.Contracts, error) { return derivedFrom{params}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Locate(ctx, rec); err != nil {
		t.Fatal(err)
	}
	old, err := p.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := p.Winding(ctx); err != nil || len(w) != 0 {
		t.Fatalf("Winding before any rollover = %v, %v; want none", w, err)
	}
	params := n.changeFees(t, 2*testPrice, 2*testFee)
	if r, err := p.Root(ctx); err != nil || r.ParamsVersion != 2 || r.ContractParamsVersion != 1 {
		t.Fatalf("Root after the change: %+v, %v; want the root's params version 2 and the contract's 1", r, err)
	}
	in, err := p.Rollover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := contracts.ProxyAddress(owner, n.root, key, params)
	if err != nil {
		t.Fatal(err)
	}
	newPrices := billing.DefaultPrices(2*testPrice, 2*testFee)
	if !in.Contract.Equals(fresh) || in.Prices != newPrices || in.Derive.(derivedFrom).params.ParamsVersion != 2 {
		t.Errorf("rolled over to %s at %+v, derived from params version %d; want %s at %+v from 2",
			in.Contract, in.Prices, in.Derive.(derivedFrom).params.ParamsVersion, fresh, newPrices)
	}
	if rec.addr != fresh.StringRaw() || len(rec.winding) != 1 || rec.winding[0] != old.StringRaw() {
		t.Errorf("recorded %q winding down %q; want %q winding down %q", rec.addr, rec.winding, fresh.StringRaw(), old.StringRaw())
	}
	if st, err := p.State(ctx, fresh); err != nil || st.State != proxy.ContractNormal {
		t.Errorf("the new contract's state: %+v, %v; want deployed and normal", st, err)
	}
	if r, err := p.Root(ctx); err != nil || r.ContractParamsVersion != 2 || r.Prices != newPrices {
		t.Errorf("Root after the rollover: %+v, %v; want the new contract's params version 2 and prices", r, err)
	}
	w, err := p.Winding(ctx)
	if err != nil || len(w) != 1 || !w[0].Contract.Equals(old) || w[0].Prices != billing.DefaultPrices(testPrice, testFee) {
		t.Fatalf("Winding after the rollover = %+v, %v; want the old contract %s at its prices", w, err, old)
	}

	// The old contract closed, Winding forgets it.
	if err := p.Submit(ctx, paymenttest.SignedBOC(t, n.proxyKey, payment.OpProxyCloseRequest, payment.RandomQueryID(), 0, old)); err != nil {
		t.Fatal(err)
	}
	n.clock.Advance(testDelay * time.Second)
	if err := p.Submit(ctx, paymenttest.SignedBOC(t, n.proxyKey, payment.OpProxyCloseComplete, payment.RandomQueryID(), 0, old)); err != nil {
		t.Fatal(err)
	}
	if st, err := p.State(ctx, old); err != nil || st.State != proxy.ContractClosed {
		t.Fatalf("the old contract's state: %+v, %v; want closed", st, err)
	}
	if w, err := p.Winding(ctx); err != nil || len(w) != 0 || len(rec.winding) != 0 {
		t.Errorf("Winding once the old contract is closed = %+v, %v, recorded %q; want none", w, err, rec.winding)
	}
}
