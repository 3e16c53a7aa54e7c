package devnet

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// changeFees sets the root's price and worker fee through the devnet's
// admin wallet, as `cocoon root set-prices` does, and waits until the root
// shows the new params version.
func changeFees(t *testing.T, n *Network, dir string, price, fee billing.NanoTON) ton.Params {
	t.Helper()
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(dir, AdminKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("admin key file: %v", err)
	}
	admin, err := ton.NewV5R1(ed25519.NewKeyFromSeed(seed), adminNetworkID)
	if err != nil {
		t.Fatal(err)
	}
	before, err := ton.ReadRootConfig(ctx, n.Chain, n.Addresses.Root)
	if err != nil {
		t.Fatal(err)
	}
	body, err := ton.RootChangeFeesBody(1, price, fee)
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Send(ctx, n.Chain, ton.Transfer{To: n.Addresses.Root, Amount: billing.TON / 10, Bounce: true, Body: body}); err != nil {
		t.Fatalf("changing the root's fees: %v", err)
	}
	var after ton.RootConfig
	within(t, 10*time.Second, "the root's new params", func() bool {
		after, err = ton.ReadRootConfig(ctx, n.Chain, n.Addresses.Root)
		return err == nil && after.Params.ParamsVersion > before.Params.ParamsVersion
	})
	if after.Params.PricePerToken != price || after.Params.WorkerFeePerToken != fee {
		t.Fatalf("root params price %d, fee %d after the change; want %d, %d", after.Params.PricePerToken, after.Params.WorkerFeePerToken, price, fee)
	}
	return after.Params
}

// round sends requests through the devnet's client and waits until all
// of the proxy's ledger is settled on chain.
func round(t *testing.T, n *Network, requests int) (client proxy.AccountSnapshot, workers []proxy.AccountSnapshot) {
	t.Helper()
	ctx := context.Background()
	for i := range requests {
		body := chatStream
		if i%2 == 1 {
			body = chatPlain
		}
		if res, got := post(t, ctx, n.ClientURL, body); res.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, res.StatusCode, got)
		}
	}
	r := chainReader{tb: t, n: n}
	within(t, 30*time.Second, "settlement on chain", func() bool {
		var ok bool
		client, workers, ok = settled(r)
		return ok
	})
	return client, workers
}

// TestParamsChangeOnChain changes the root's prices through the admin
// wallet between two rounds of requests. The proxy keeps its contract,
// whose stored params do not change (contracts.md §8.9), and bills at its
// prices; the client and the worker keep the contracts they derive under
// it, so every token of both rounds is charged to the client contract and
// paid to the worker's owner exactly, and nothing is deployed under the
// new params. A restart of the devnet keeps the same contracts and prices.
func TestParamsChangeOnChain(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Engine: engines(&fakeEngine{chunks: 3}), Chain: ChainEmulated, DataDir: dir}
	n := start(t, opts)
	a := *n.Addresses
	first, _ := round(t, n, 4)

	params := changeFees(t, n, dir, 3*FakePricePerToken, 3*FakeWorkerFeePerToken)
	second, _ := round(t, n, 4)
	if second.Tokens <= first.Tokens {
		t.Fatalf("the client's tokens went from %d to %d over the second round, want more", first.Tokens, second.Tokens)
	}
	if !n.Addresses.ProxyContract.Equals(a.ProxyContract) || second.Address != a.ClientContract.String() {
		t.Errorf("after the change the proxy contract is %s and the client's %s, want %s and %s",
			n.Addresses.ProxyContract, second.Address, a.ProxyContract, a.ClientContract)
	}
	r := chainReader{tb: t, n: n}
	pd, ok := r.proxy()
	if !ok {
		t.Fatal("the proxy contract is not deployed")
	}
	if pd.Params.PricePerToken != FakePricePerToken || pd.Params.WorkerFeePerToken != FakeWorkerFeePerToken {
		t.Errorf("proxy contract params price %d, fee %d; want the ones it was deployed with, %d and %d",
			pd.Params.PricePerToken, pd.Params.WorkerFeePerToken, FakePricePerToken, FakeWorkerFeePerToken)
	}
	fresh, err := ton.ProxyAddress(pd.Owner, a.Root, pd.PublicKey, params)
	if err != nil {
		t.Fatal(err)
	}
	if _, deployed := r.account(fresh); deployed {
		t.Errorf("a proxy contract %s was deployed under the new params", fresh)
	}
	checkPaid(t, n, second.Tokens)
	// The worker's payout loop and the client's contract checks went on
	// against the same contracts: the worker reads its contract holding
	// every token, and neither failed a chain operation.
	within(t, 10*time.Second, "the worker reading its contract paid", func() bool {
		acc := n.Workers[0].Snapshot().Accounts
		return len(acc) == 1 && acc[0].Chain != nil && acc[0].Chain.Tokens == second.Tokens
	})
	if p := n.Workers[0].Snapshot().Payouts; p == nil || p.Errors != 0 {
		t.Errorf("worker payouts %+v, want no errors", p)
	}
	for _, c := range n.Client.Snapshot().Contracts {
		if c.Errors != 0 {
			t.Errorf("client contract %s: %d errors, the last %q; want none", c.Address, c.Errors, c.LastError)
		}
	}

	n.Close()
	again := start(t, opts)
	if got := again.Addresses; !got.ProxyContract.Equals(a.ProxyContract) || !got.ClientContract.Equals(a.ClientContract) || !got.WorkerContracts[0].Equals(a.WorkerContracts[0]) {
		t.Fatalf("after a restart the contracts are %s, %s, %s; want %s, %s, %s",
			got.ProxyContract, got.ClientContract, got.WorkerContracts[0], a.ProxyContract, a.ClientContract, a.WorkerContracts[0])
	}
	third, _ := round(t, again, 2)
	if third.Tokens <= second.Tokens {
		t.Fatalf("the client's tokens went from %d to %d over the third round, want more", second.Tokens, third.Tokens)
	}
	checkPaid(t, again, third.Tokens)
	r = chainReader{tb: t, n: again}
	if _, deployed := r.account(fresh); deployed {
		t.Errorf("a restart deployed a proxy contract %s under the new params", fresh)
	}
}

// checkPaid checks the money of a settled devnet of one worker whose
// client used tokens: the client contract, funded once with one stake, is
// charged tokens × the price the proxy contract was deployed with, and the
// worker's owner received exactly tokens × its fee from the proxy
// contract.
func checkPaid(t *testing.T, n *Network, tokens int64) {
	t.Helper()
	r := chainReader{tb: t, n: n}
	a := n.Addresses
	tot := n.Proxy.Snapshot().Totals
	if tot.Tokens != tokens || tot.Charged != tokens*int64(FakePricePerToken) || tot.Earned != tokens*int64(FakeWorkerFeePerToken) {
		t.Errorf("ledger totals %+v, want %d tokens charged %d and earned %d", tot, tokens, tokens*int64(FakePricePerToken), tokens*int64(FakeWorkerFeePerToken))
	}
	cd, ok := r.client()
	if !ok {
		t.Fatal("the client contract is not deployed")
	}
	deposit := r.deposits(a.ClientContract)
	if deposit != billing.TON {
		t.Errorf("deposited %d nanoTON, want one stake (%d)", deposit, billing.TON)
	}
	if want := deposit - billing.NanoTON(tokens)*FakePricePerToken; int64(cd.TokensUsed) != tokens || cd.Balance != want {
		t.Errorf("client contract: tokens used %d, balance %d; want %d and %d", cd.TokensUsed, cd.Balance, tokens, want)
	}
	owner := a.WorkerOwners[0]
	f := r.flows(r.txs(owner, 0), a.ProxyContract)
	if want := billing.NanoTON(tokens) * FakeWorkerFeePerToken; f.payouts != want || f.received != want {
		t.Errorf("worker owner received %d (%d as payouts from the proxy contract), want exactly %d", f.received, f.payouts, want)
	}
	if wd, ok := r.worker(0); !ok || int64(wd.Tokens) != tokens {
		t.Errorf("worker contract tokens %d (deployed %v), want %d", wd.Tokens, ok, tokens)
	}
}
