package devnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/proxy"
)

const chatPlain = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`

// within polls cond every 20 ms for up to d: settlement on the chain
// takes a few of the devnet's half-second rounds.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled reports whether everything the proxy's ledger holds is on
// chain: committed, charged to the client contract and paid out to the
// worker contracts. It returns the ledger's accounts when it is.
func settled(r chainReader) (client proxy.AccountSnapshot, workers []proxy.AccountSnapshot, ok bool) {
	ps := r.n.Proxy.Snapshot()
	if len(ps.Clients) != 1 || len(ps.Workers) != len(r.n.Workers) {
		return client, nil, false
	}
	client = ps.Clients[0]
	if client.Tokens == 0 || client.CommittedToChain != client.Tokens {
		return client, nil, false
	}
	if cd, ok := r.client(); !ok || int64(cd.TokensUsed) != client.Tokens {
		return client, nil, false
	}
	// The proxy lists its workers by contract address.
	index := map[string]int{}
	for i, a := range r.n.Addresses.WorkerContracts {
		index[a.String()] = i
	}
	for _, w := range ps.Workers {
		i, known := index[w.Address]
		if !known {
			r.tb.Fatalf("the proxy lists a worker contract %s that the devnet does not know", w.Address)
		}
		if w.CommittedToChain != w.Tokens {
			return client, nil, false
		}
		if wd, ok := r.worker(i); !ok || int64(wd.Tokens) != w.Tokens {
			return client, nil, false
		}
	}
	return client, ps.Workers, true
}

// TestSettlementOnChain runs requests through a devnet on the emulated
// chain until they are settled, then checks that the contracts moved by
// exactly what the proxy's ledger says, gas accounted separately, and
// that the operator's commission reached the proxy's owner; then the
// client closes and gets its remaining balance back.
func TestSettlementOnChain(t *testing.T) {
	n := start(t, Options{Workers: 2, Engine: engines(&fakeEngine{chunks: 3}, &fakeEngine{chunks: 2}), Chain: ChainEmulated})
	r := chainReader{tb: t, n: n}
	a := n.Addresses
	ctx := context.Background()
	// Two rounds: a proxy pays only deployed worker contracts, and a
	// worker deploys its contract with its first payout, which it can
	// submit once it holds a payout signed for committed tokens. A
	// request's payment report brings one; so does the worker's poll of
	// its payment status, but only every 15 s. The two workers' engines
	// count different tokens.
	const requests = 12
	for i := range requests {
		if i == requests/2 {
			within(t, 10*time.Second, "the first round committed", func() bool {
				c := n.Proxy.Snapshot().Clients
				return len(c) == 1 && c[0].CommittedToDB == c[0].Tokens
			})
		}
		chat(t, ctx, n.ClientURL, alternating(i), fmt.Sprintf("request %d", i))
	}
	var client proxy.AccountSnapshot
	var workers []proxy.AccountSnapshot
	within(t, 30*time.Second, "settlement on chain", func() bool {
		var ok bool
		client, workers, ok = settled(r)
		return ok
	})
	tot := n.Proxy.Snapshot().Totals
	if tot.Charged != tot.Earned+tot.Commission || tot.Charged != client.Tokens*int64(contracts.FakePricePerToken) {
		t.Fatalf("ledger: charged %d, earned %d, commission %d for %d tokens; want charged = earned + commission = tokens × %d",
			tot.Charged, tot.Earned, tot.Commission, client.Tokens, contracts.FakePricePerToken)
	}

	// The client contract: charged for every token, from its deposit.
	cd, _ := r.client()
	deposit := r.deposits(a.ClientContract)
	if deposit != billing.TON {
		t.Errorf("deposited %d nanoTON, want one stake (%d)", deposit, billing.TON)
	}
	if got, want := cd.Balance, deposit-billing.NanoTON(tot.Charged); got != want {
		t.Errorf("client contract balance %d, want deposit %d − charged %d = %d", got, deposit, tot.Charged, want)
	}

	// Each worker's owner: paid exactly its earnings by the proxy contract.
	// An owner is a plain account, so its balance is what arrived minus
	// the fees of the transactions that brought it.
	earned := map[string]int64{}
	for _, w := range workers {
		earned[w.Address] = w.Tokens * int64(contracts.FakeWorkerFeePerToken)
	}
	var paid billing.NanoTON
	for i, owner := range a.WorkerOwners {
		want := billing.NanoTON(earned[a.WorkerContracts[i].String()])
		ownerTxs := r.txs(owner, 0)
		f := r.flows(ownerTxs, a.ProxyContract)
		if got := r.balance(owner); got != f.received-f.sent-f.fees {
			t.Fatalf("worker %d owner balance %d, want received %d − sent %d − fees %d", i, got, f.received, f.sent, f.fees)
		}
		if len(ownerTxs) == 0 || want == 0 {
			t.Fatalf("worker %d earned %d and its owner has %d transactions: each worker should have served and been paid", i, want, len(ownerTxs))
		}
		if f.payouts != f.received || f.received != want || f.sent != 0 {
			t.Errorf("worker %d owner received %d (%d as payouts from the proxy contract), want exactly its ledger earnings %d", i, f.received, f.payouts, want)
		}
		if got := r.balance(owner) + f.fees; got != want {
			t.Errorf("worker %d owner balance + fees = %d, want its earnings %d", i, got, want)
		}
		paid += f.received
	}
	if paid != billing.NanoTON(tot.Earned) {
		t.Errorf("worker owners received %d in all, want the ledger's earned %d", paid, tot.Earned)
	}

	// The proxy contract: its operator's share of the paid-out tokens,
	// credited to its balance field, which the proxy withdraws to the
	// contract's owner from a single nanoTON: the field returns to 0 and
	// the payouts the contract sent the owner carry exactly the
	// commission. The owner may be the proxy's wallet, whose balance mixes
	// in the gas of every message it sends and the excesses that come
	// back, or a funded account, so the payout messages' values count,
	// not its balance.
	pd, ok := r.proxy()
	if !ok {
		t.Fatal("the proxy contract is not deployed")
	}
	proxyOwner := pd.Owner
	withdrawn := func() billing.NanoTON { return r.flows(r.txs(proxyOwner, 0), a.ProxyContract).payouts }
	within(t, 30*time.Second, "the commission withdrawn to the proxy's owner", func() bool {
		pd, ok := r.proxy()
		return ok && pd.Balance == 0 && withdrawn() >= billing.NanoTON(tot.Commission)
	})
	pd, _ = r.proxy()
	out := withdrawn()
	if pd.Balance+out != billing.NanoTON(tot.Commission) || out != billing.NanoTON(tot.Commission) {
		t.Errorf("proxy contract balance field %d + withdrawn to the owner %d, want 0 + the commission %d", pd.Balance, out, tot.Commission)
	}
	if pd.Stake != billing.TON {
		t.Errorf("proxy stake %d, want min_proxy_stake %d", pd.Stake, billing.TON)
	}
	if s := n.Proxy.Snapshot().Chain; s.WithdrawalsRequested == 0 || s.LastWithdrawal <= 0 || s.LastWithdrawal > tot.Commission {
		t.Errorf("proxy chain stats %+v, want a withdrawal of at most the commission %d", s, tot.Commission)
	}
	// On chain alone: what left the client's balance reached the workers'
	// owners and the operator's owner.
	if charged := deposit - cd.Balance; charged != paid+out+pd.Balance {
		t.Errorf("on chain: client charged %d, workers paid %d + operator withdrew %d + holds %d", charged, paid, out, pd.Balance)
	}

	// Closing: the proxy grants the refund of the remaining balance, which
	// its contract pays to the client's owner, its wallet.
	wallet := a.ClientWallet
	fromLT, before := r.lastLT(wallet), r.balance(wallet)
	remaining := cd.Balance
	if err := n.Client.Close(ctx); err != nil {
		t.Fatalf("closing the client: %v", err)
	}
	within(t, 30*time.Second, "the refund", func() bool {
		cd, ok := r.client()
		return ok && cd.State == contracts.StateClosed && r.flows(r.txs(wallet, fromLT), a.ProxyContract).payouts > 0
	})
	cd, _ = r.client()
	if cd.Balance != 0 || int64(cd.TokensUsed) != client.Tokens {
		t.Errorf("closed client contract: balance %d, tokens used %d; want 0 and %d", cd.Balance, cd.TokensUsed, client.Tokens)
	}
	// The wallet's balance moved by what came in minus what it sent and
	// the fees it paid: TON's bookkeeping, checked first. What came in is
	// the refund, paid by the proxy contract with mode 1 so that it
	// arrives whole, and the excesses of the gas the wallet attached to its
	// close request. So the refund is the balance delta plus the wallet's
	// fees plus the gas it attached (what it sent) minus the gas that came
	// back (the excesses), and it must be exactly the balance the contract
	// held.
	w := r.flows(r.txs(wallet, fromLT), a.ProxyContract)
	delta := r.balance(wallet) - before
	if delta != w.received-w.sent-w.fees {
		t.Fatalf("client wallet moved by %d, want received %d − sent %d − fees %d", delta, w.received, w.sent, w.fees)
	}
	if w.other != 0 {
		t.Errorf("client wallet received %d that is neither a refund nor an excess", w.other)
	}
	if refund := delta + w.fees + w.sent - w.excesses; refund != remaining || w.payouts != remaining {
		t.Errorf("client wallet: delta %d + fees %d + gas attached %d − gas returned %d = %d (payouts %d), want the remaining balance %d",
			delta, w.fees, w.sent, w.excesses, refund, w.payouts, remaining)
	}
	if pd, _ := r.proxy(); pd.Balance != 0 || pd.Stake != billing.TON {
		t.Errorf("after the refund the proxy contract holds balance %d, stake %d; want 0 (withdrawn) and %d (the refund came from the deposits)", pd.Balance, pd.Stake, billing.TON)
	}
	if got := withdrawn(); got != billing.NanoTON(tot.Commission) {
		t.Errorf("after the refund the proxy's owner was paid %d in all, want still the commission %d", got, tot.Commission)
	}
}

// TestEmulatedRestart stops a devnet on a data directory and starts it
// again: it finds its root and contracts, its proxy's ledger, and goes on
// charging the same client contract, which is not deployed or funded again.
func TestEmulatedRestart(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir}
	ctx := context.Background()
	charged := func(n *Network, tokens int64) {
		t.Helper()
		r := chainReader{tb: t, n: n}
		within(t, 30*time.Second, "the usage charged on chain", func() bool {
			cd, ok := r.client()
			return ok && int64(cd.TokensUsed) == tokens
		})
	}
	first := start(t, opts)
	if res, got := post(t, ctx, first.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("first run: %d %s", res.StatusCode, got)
	}
	charged(first, 7)
	before := *first.Addresses
	first.Close()

	second := start(t, opts)
	after := second.Addresses
	for _, c := range []struct {
		name      string
		got, want string
	}{
		{"root", after.Root.String(), before.Root.String()},
		{"proxy contract", after.ProxyContract.String(), before.ProxyContract.String()},
		{"client contract", after.ClientContract.String(), before.ClientContract.String()},
		{"worker contract", after.WorkerContracts[0].String(), before.WorkerContracts[0].String()},
	} {
		if c.got != c.want {
			t.Errorf("%s after a restart %s, want %s", c.name, c.got, c.want)
		}
	}
	if c := second.Proxy.Snapshot().Clients; len(c) != 1 || c[0].Tokens != 7 || c[0].ValueNano != 7*int64(contracts.FakePricePerToken) {
		t.Errorf("restored ledger clients %+v, want the client's 7 tokens worth %d", c, 7*contracts.FakePricePerToken)
	}
	// The client and the worker kept what they paid and earned at these
	// contracts, as the proxy did.
	agree := func(n *Network, tokens int64) {
		t.Helper()
		paid, earned := n.Client.Snapshot().Paid, n.Workers[0].Snapshot().Earned
		if paid.Tokens != tokens || paid.PaidNano != tokens*int64(contracts.FakePricePerToken) {
			t.Errorf("the client paid %+v, want %d tokens at %d", paid, tokens, contracts.FakePricePerToken)
		}
		if earned.Tokens != tokens || earned.EarnedNano != tokens*int64(contracts.FakeWorkerFeePerToken) {
			t.Errorf("the worker earned %+v, want %d tokens at %d", earned, tokens, contracts.FakeWorkerFeePerToken)
		}
	}
	agree(second, 7)
	if res, got := post(t, ctx, second.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("second run: %d %s", res.StatusCode, got)
	}
	charged(second, 14)
	within(t, 10*time.Second, "the client and the worker told of the second request", func() bool {
		return second.Client.Snapshot().Paid.Tokens == 14 && second.Workers[0].Snapshot().Earned.Tokens == 14
	})
	agree(second, 14)
	r := chainReader{tb: t, n: second}
	if got := r.deposits(after.ClientContract); got != billing.TON {
		t.Errorf("client deposits after a restart %d, want the one stake %d", got, billing.TON)
	}
	if cd, _ := r.client(); cd.Balance != billing.TON-14*contracts.FakePricePerToken {
		t.Errorf("client contract balance %d, want %d", cd.Balance, billing.TON-14*contracts.FakePricePerToken)
	}
}

// TestEmulatedNewChain starts a devnet on a data directory whose chain
// file was removed: the keys stay, but the proxy's ledger and the client's
// contract states of the old chain go with it, so that the new client
// contract is charged for its own usage only.
func TestEmulatedNewChain(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Engine: engines(&fakeEngine{chunks: 1}), Chain: ChainEmulated, DataDir: dir}
	ctx := context.Background()
	first := start(t, opts)
	if res, got := post(t, ctx, first.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("first run: %d %s", res.StatusCode, got)
	}
	r := chainReader{tb: t, n: first}
	within(t, 30*time.Second, "the usage charged on chain", func() bool {
		cd, ok := r.client()
		return ok && cd.TokensUsed == 7
	})
	first.Close()
	if err := os.Remove(filepath.Join(dir, ChainStateFile)); err != nil {
		t.Fatal(err)
	}

	second := start(t, opts)
	for _, c := range second.Proxy.Snapshot().Clients {
		if c.Tokens != 0 {
			t.Errorf("ledger on a new chain holds %+v, want no usage", c)
		}
	}
	if res, got := post(t, ctx, second.ClientURL, chatStream); res.StatusCode != 200 {
		t.Fatalf("second run: %d %s", res.StatusCode, got)
	}
	r = chainReader{tb: t, n: second}
	within(t, 30*time.Second, "the new usage charged on chain", func() bool {
		cd, ok := r.client()
		return ok && cd.TokensUsed == 7
	})
	if cd, _ := r.client(); cd.Balance != billing.TON-7*contracts.FakePricePerToken {
		t.Errorf("new client contract balance %d, want %d", cd.Balance, billing.TON-7*contracts.FakePricePerToken)
	}
}
