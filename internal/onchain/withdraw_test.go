package onchain

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/worker"
)

const opExcesses = 0x2565934c

// TestProxyWithdrawsEarnings credits a proxy contract, whose owner is not
// its wallet, with the commission of a worker payout, then withdraws it:
// the owner receives exactly the commission, the balance field returns
// to 0, the stake stays, and the gas comes back to the wallet.
func TestProxyWithdrawsEarnings(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	owner := testAddr(0x5a)
	key := n.proxyKey.Public().(ed25519.PublicKey)
	p := n.newProxy(t, owner)
	if _, err := p.Earnings(ctx); err == nil {
		t.Error("Earnings before Open: got no error")
	}
	if err := p.Withdraw(ctx); err == nil {
		t.Error("Withdraw before Open: got no error")
	}
	proxyAddr, err := p.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := p.Earnings(ctx); err != nil || got != 0 {
		t.Fatalf("earnings of a new proxy contract: got %v (%v), want 0", got, err)
	}

	// A client's deposit funds a worker payout, which credits the operator.
	n.deposit(t, 0x2a, client.ProxyID{Owner: owner, Key: key})
	w := n.newWorker(t, 0x2b, testAddr(0x5b))
	wid := worker.ProxyID{Owner: owner, Key: key}
	waddr, err := w.Address(ctx, wid)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Payout(ctx, wid, paymenttest.SignedBOC(t, n.proxyKey, payment.OpWorkerPayout, payment.RandomQueryID(), 1000, waddr)); err != nil {
		t.Fatal(err)
	}
	commission := 1000 * (testPrice - testFee)
	if got, err := p.Earnings(ctx); err != nil || got != commission {
		t.Fatalf("earnings after a payout of 1000 tokens: got %v (%v), want 1000 × (price − fee) = %v", got, err, commission)
	}

	ownerLT, walletLT := n.lastLT(t, owner), n.lastLT(t, n.pw.Address())
	held, stake := n.balance(t, proxyAddr), n.proxyData(t, proxyAddr).Stake
	if err := p.Withdraw(ctx); err != nil {
		t.Fatal(err)
	}
	onePayout(t, n.payouts(t, owner, proxyAddr, ownerLT), commission)
	if got := n.balance(t, owner); got != commission {
		t.Errorf("owner holds %v, want exactly the commission %v", got, commission)
	}
	if got, err := p.Earnings(ctx); err != nil || got != 0 {
		t.Errorf("earnings after the withdrawal: got %v (%v), want 0", got, err)
	}
	if d := n.proxyData(t, proxyAddr); d.Balance != 0 || d.Stake != stake || d.State != contracts.StateNormal {
		t.Errorf("proxy contract after the withdrawal: balance %v, stake %v, state %d; want 0, %v, normal", d.Balance, d.Stake, d.State, stake)
	}
	if got := n.balance(t, proxyAddr); got != held-commission {
		t.Errorf("proxy contract holds %v after the withdrawal, want %v − the commission %v = %v", got, held, commission, held-commission)
	}
	// The wallet attached the gas and gets back what the contract did not
	// spend, as excesses.
	var excesses []billing.NanoTON
	for _, tx := range n.txsAfter(t, n.pw.Address(), walletLT) {
		in := tx.In
		if in == nil || in.Kind != ton.Internal {
			continue
		}
		if !in.Src.Equals(proxyAddr) {
			t.Errorf("the wallet received %v from %s, want only the proxy contract's excesses", in.Value, in.Src)
			continue
		}
		if s := in.Body.MustBeginParse(); s.BitsLeft() < 32 || s.MustLoadUInt(32) != opExcesses {
			t.Errorf("the wallet received %v from the proxy contract that is not excesses", in.Value)
			continue
		}
		excesses = append(excesses, in.Value)
	}
	if len(excesses) != 1 || excesses[0] <= 0 || excesses[0] >= ProxyWithdrawGas {
		t.Errorf("excesses to the wallet %v, want one below the %v attached", excesses, ProxyWithdrawGas)
	}

	// A second request finds nothing to pay: the owner gets no more.
	ownerLT = n.lastLT(t, owner)
	if err := p.Withdraw(ctx); err != nil {
		t.Fatal(err)
	}
	for _, v := range n.payouts(t, owner, proxyAddr, ownerLT) {
		if v != 0 {
			t.Errorf("a repeated withdrawal paid the owner %v, want nothing", v)
		}
	}
	if got := n.balance(t, owner); got != commission {
		t.Errorf("owner holds %v after a repeated withdrawal, want still %v", got, commission)
	}
	if got := n.balance(t, proxyAddr); got != held-commission {
		t.Errorf("proxy contract holds %v after a repeated withdrawal, want still %v", got, held-commission)
	}
}
