package devnet

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// changeFees sets the root's price and worker fee through the devnet's
// admin wallet, as `cocoon root set-prices` does, and waits until the root
// shows the new params version.
func changeFees(t *testing.T, n *Network, dir string, price, fee billing.NanoTON) contracts.Params {
	t.Helper()
	newRootAdmin(t, n, dir).send(contracts.RootChangeFeesBody(1, price, fee))
	after, err := ton.ReadRootConfig(context.Background(), n.Chain, n.Addresses.Root)
	if err != nil {
		t.Fatal(err)
	}
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
		chat(t, ctx, n.ClientURL, alternating(i), fmt.Sprintf("request %d", i))
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
// wallet between two rounds of requests, on a root with short close
// delays. The proxy rolls over, as the reference's does when
// params_version changes: it deploys a
// contract under the new params and bills the second round at its
// prices, the client and the worker follow it with new contracts, and
// the old contract is wound down: the client's old contract is refunded
// to its wallet exactly what the first round left of its deposit, the
// worker's owner is paid exactly every token of both rounds, each at its
// contract's fee, and the old proxy contract ends closed with its rest
// paid to the owner. A restart keeps the new contract.
func TestParamsChangeOnChain(t *testing.T) {
	dir := t.TempDir()
	settle := Settlement{ProxyCloseDelay: 4 * time.Second, ClientCloseDelay: 2 * time.Second}
	opts := Options{Engine: engines(&fakeEngine{chunks: 3}), Chain: ChainEmulated, DataDir: dir, Settlement: settle}
	n := start(t, opts)
	old := *n.Addresses
	r := chainReader{tb: t, n: n}
	first, _ := round(t, n, 4)
	oldDeposit := r.deposits(old.ClientContract)
	pd, ok := r.proxy()
	if !ok {
		t.Fatal("the proxy contract is not deployed")
	}

	price, fee := 3*contracts.FakePricePerToken, 3*contracts.FakeWorkerFeePerToken
	params := changeFees(t, n, dir, price, fee)
	c, err := contracts.NewDerivation(old.Root, params)
	if err != nil {
		t.Fatal(err)
	}
	newProxy, err := c.ProxyAddress(old.ProxyOwner, pd.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	newClient, err := c.ClientAddress(old.ClientWallet, old.ProxyOwner, pd.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	newWorker, err := c.WorkerAddress(old.WorkerOwners[0], old.ProxyOwner, pd.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	// The proxy rolls over, and the client and the worker reconnect under
	// the new contract, the client deploying its contract there.
	within(t, 30*time.Second, "the client and the worker under the new proxy contract", func() bool {
		ps := n.Proxy.Snapshot()
		_, client := accountAt(ps.Clients, newClient)
		_, worker := accountAt(ps.Workers, newWorker)
		_, deployed := r.account(newClient)
		return ps.Chain.ProxyContract == newProxy.String() && client && worker && deployed && len(ps.WorkerConnections) == 1
	})
	ctx := context.Background()
	for i := range 4 {
		chat(t, ctx, n.ClientURL, alternating(i), fmt.Sprintf("request %d under the new contract", i))
	}

	// The new contracts settle; the old ones close.
	var second proxy.AccountSnapshot
	state := func(a *address.Address) (uint8, bool) {
		acc, ok := r.account(a)
		if !ok || acc.Status != ton.StatusActive {
			return 0, false
		}
		if a.Equals(old.ProxyContract) {
			d, err := contracts.ParseProxyData(acc.Data)
			return d.State, err == nil
		}
		if a.Equals(old.ClientContract) {
			d, err := contracts.ParseClientData(acc.Data)
			return d.State, err == nil
		}
		d, err := contracts.ParseWorkerData(acc.Data)
		return d.State, err == nil
	}
	within(t, 60*time.Second, "the new contracts settled and the old ones closed", func() bool {
		ps := n.Proxy.Snapshot()
		var ok bool
		if second, ok = accountAt(ps.Clients, newClient); !ok || second.Tokens == 0 || second.CommittedToChain != second.Tokens {
			return false
		}
		w, _ := accountAt(ps.Workers, newWorker)
		cd, cok := clientAt(r, newClient)
		wd, wok := workerAt(r, newWorker)
		if !cok || int64(cd.TokensUsed) != second.Tokens || !wok || int64(wd.Tokens) != w.Tokens || w.Tokens != second.Tokens {
			return false
		}
		for _, a := range []*address.Address{old.ProxyContract, old.ClientContract, old.WorkerContracts[0]} {
			if st, ok := state(a); !ok || st != contracts.StateClosed {
				return false
			}
		}
		return true
	})

	// The client: its old contract refunded to its wallet, by the old
	// proxy contract, exactly what the first round left of its deposit;
	// its new contract charged the second round at the new price.
	if oldDeposit != billing.TON {
		t.Errorf("deposited %d nanoTON in the old client contract, want one stake (%d)", oldDeposit, billing.TON)
	}
	wallet := r.flows(r.txs(old.ClientWallet, 0), old.ProxyContract)
	if want := oldDeposit - billing.NanoTON(first.Tokens)*contracts.FakePricePerToken; wallet.payouts != want {
		t.Errorf("the client's wallet was refunded %d by the old proxy contract, want the deposit %d less %d tokens at %d: %d",
			wallet.payouts, oldDeposit, first.Tokens, contracts.FakePricePerToken, want)
	}
	cd, _ := clientAt(r, newClient)
	newDeposit := r.deposits(newClient)
	if want := newDeposit - billing.NanoTON(second.Tokens)*price; cd.Balance != want || cd.State != contracts.StateNormal {
		t.Errorf("new client contract: balance %d, state %d; want the deposit %d less %d tokens at the new price %d: %d, running",
			cd.Balance, cd.State, newDeposit, second.Tokens, price, want)
	}
	// The worker's owner: every token of both rounds, each at its
	// contract's fee.
	owner := r.txs(old.WorkerOwners[0], 0)
	fromOld, fromNew := r.flows(owner, old.ProxyContract), r.flows(owner, newProxy)
	if want := billing.NanoTON(first.Tokens) * contracts.FakeWorkerFeePerToken; fromOld.payouts != want {
		t.Errorf("the worker's owner was paid %d by the old proxy contract, want %d tokens at %d: %d", fromOld.payouts, first.Tokens, contracts.FakeWorkerFeePerToken, want)
	}
	if want := billing.NanoTON(second.Tokens) * fee; fromNew.payouts != want {
		t.Errorf("the worker's owner was paid %d by the new proxy contract, want %d tokens at %d: %d", fromNew.payouts, second.Tokens, fee, want)
	}
	if fromOld.received != fromOld.payouts+fromNew.payouts {
		t.Errorf("the worker's owner received %d, want only the payouts %d and %d", fromOld.received, fromOld.payouts, fromNew.payouts)
	}
	// The old proxy contract: closed, its stake and the commission it held
	// paid to the owner.
	if got := r.flows(r.txs(old.ProxyOwner, 0), old.ProxyContract).payouts; got < pd.Stake {
		t.Errorf("the proxy's owner was paid %d by the old proxy contract, want at least its stake %d", got, pd.Stake)
	}
	if got := r.balance(old.ProxyContract); got > billing.TON/100 {
		t.Errorf("the closed old proxy contract holds %d, want no more than a storage floor", got)
	}
	tot := n.Proxy.Snapshot().Totals
	charged := first.Tokens*int64(contracts.FakePricePerToken) + second.Tokens*int64(price)
	earned := first.Tokens*int64(contracts.FakeWorkerFeePerToken) + second.Tokens*int64(fee)
	if tot.Tokens != first.Tokens+second.Tokens || tot.Charged != charged || tot.Earned != earned {
		t.Errorf("ledger totals %+v, want %d tokens charged %d and earned %d", tot, first.Tokens+second.Tokens, charged, earned)
	}
	// The chain may show the completion before the proxy counts it.
	within(t, 10*time.Second, "the proxy's stats counting the completion", func() bool {
		return n.Proxy.Snapshot().Chain.CloseCompletions > 0
	})
	if s := n.Proxy.Snapshot().Chain; s.Rollovers != 1 || s.CloseRequests == 0 {
		t.Errorf("proxy chain stats %+v, want one rollover and its close request", s)
	}
	for _, ct := range n.Client.Snapshot().Contracts {
		if ct.Address == old.ClientContract.String() && ct.Phase != "closed" {
			within(t, 10*time.Second, "the client seeing its old contract closed", func() bool {
				for _, ct := range n.Client.Snapshot().Contracts {
					if ct.Address == old.ClientContract.String() {
						return ct.Phase == "closed"
					}
				}
				return false
			})
		}
	}

	// A restart keeps the new contract and winds nothing down.
	n.Close()
	again := start(t, opts)
	if got := again.Addresses; !got.ProxyContract.Equals(newProxy) || !got.ClientContract.Equals(newClient) || !got.WorkerContracts[0].Equals(newWorker) {
		t.Fatalf("after a restart the contracts are %s, %s, %s; want %s, %s, %s",
			got.ProxyContract, got.ClientContract, got.WorkerContracts[0], newProxy, newClient, newWorker)
	}
	if res, got := post(t, ctx, again.ClientURL, chatPlain); res.StatusCode != 200 {
		t.Fatalf("a request after the restart: %d %s", res.StatusCode, got)
	}
	if s := again.Proxy.Snapshot().Chain; s.Rollovers != 0 || s.CloseRequests != 0 {
		t.Errorf("restarted proxy chain stats %+v, want no rollover and nothing to wind down", s)
	}
	// The restarted ledger values each round at its own contract's
	// prices, as before the restart, not every token at the new ones.
	if got := again.Proxy.Snapshot().Totals; got.Charged < charged || got.Earned < earned || got.Charged-charged != int64(price)*(got.Tokens-tot.Tokens) || got.Earned-earned != int64(fee)*(got.Tokens-tot.Tokens) {
		t.Errorf("totals after the restart %+v, want the %d charged and %d earned before it plus the request after it at the new prices", got, charged, earned)
	}
}

// accountAt finds the ledger account of contract a.
func accountAt(list []proxy.AccountSnapshot, a *address.Address) (proxy.AccountSnapshot, bool) {
	for _, s := range list {
		if s.Address == a.String() {
			return s, true
		}
	}
	return proxy.AccountSnapshot{}, false
}

// clientAt reads the client contract at a; ok is false until deployed.
func clientAt(r chainReader, a *address.Address) (contracts.ClientData, bool) {
	r.tb.Helper()
	return contractAt(r, a, contracts.ParseClientData)
}

// workerAt reads the worker contract at a; ok is false until deployed.
func workerAt(r chainReader, a *address.Address) (contracts.WorkerData, bool) {
	r.tb.Helper()
	return contractAt(r, a, contracts.ParseWorkerData)
}
