package onchain

import (
	"context"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// TestRegisteredPagesAndForgets registers more nonces than one page of
// transactions holds, and checks that the remembered pairs are bounded.
func TestRegisteredPagesAndForgets(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	n.open(t)
	c, _ := n.newClient(t, 0x27)
	id := n.clientID()
	if err := c.Deploy(ctx, id, 0, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	addr, err := c.Address(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	const count = txPage + 20
	for i := range uint64(count) {
		if err := c.Register(ctx, id, 1000+i); err != nil {
			t.Fatal(err)
		}
	}
	for _, nonce := range []uint64{1000, 1000 + count/2, 1000 + count - 1} {
		if ok, err := n.proxy.Registered(ctx, addr, nonce); err != nil || !ok {
			t.Errorf("nonce %d: got %v (%v), want true", nonce, ok, err)
		}
	}
	if ok, err := n.proxy.Registered(ctx, addr, 1000+count); err != nil || ok {
		t.Errorf("an unregistered nonce: got %v (%v), want false", ok, err)
	}

	// The memory is a ring of maxRegistrations pairs.
	p := n.proxy
	p.scan.Lock()
	defer p.scan.Unlock()
	for i := range uint64(maxRegistrations) {
		body, err := contracts.ClientReport{Owner: addr, Kind: contracts.OpClientProxyRegister, Nonce: 1<<40 + i}.Cell()
		if err != nil {
			t.Fatal(err)
		}
		p.notice(ton.Tx{In: &ton.Message{Kind: ton.Internal, Src: addr, Body: body}})
	}
	if len(p.regs) != maxRegistrations || len(p.order) != maxRegistrations {
		t.Errorf("got %d pairs in a ring of %d, want %d", len(p.regs), len(p.order), maxRegistrations)
	}
	if _, ok := p.regs[registration{client: addr.StringRaw(), nonce: 1000}]; ok {
		t.Error("the oldest pair was not forgotten")
	}
	if _, ok := p.regs[registration{client: addr.StringRaw(), nonce: 1<<40 + maxRegistrations - 1}]; !ok {
		t.Error("the newest pair was forgotten")
	}
}

// TestProxyRelaysPayoutsAndLastPayout has the proxy relay a payout to a
// deployed worker contract, then the worker relays the last payout, which
// closes the contract.
func TestProxyRelaysPayoutsAndLastPayout(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	proxyAddr := n.open(t)
	n.deposit(t, 0x28, n.clientID())
	owner := testAddr(0x56)
	w := n.newWorker(t, 0x29, owner)
	id := n.workerID()
	addr, err := w.Address(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Payout(ctx, id, paymenttest.SignedBOC(t, n.proxyKey, payment.OpWorkerPayout, payment.RandomQueryID(), 10, addr)); err != nil {
		t.Fatal(err)
	}
	lt := n.lastLT(t, owner)
	n.submit(t, payment.OpWorkerPayout, 110, addr)
	onePayout(t, n.payouts(t, owner, proxyAddr, lt), 100*testFee)
	lt = n.lastLT(t, owner)
	if err := w.Payout(ctx, id, paymenttest.SignedBOC(t, n.proxyKey, payment.OpWorkerLastPayout, payment.RandomQueryID(), 160, addr)); err != nil {
		t.Fatal(err)
	}
	onePayout(t, n.payouts(t, owner, proxyAddr, lt), 50*testFee)
	wc, err := w.Contract(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if wc.State != int(contracts.StateClosed) || wc.Tokens != 160 {
		t.Errorf("after the last payout: state %d tokens %d, want closed and 160", wc.State, wc.Tokens)
	}
	if got := n.proxyData(t, proxyAddr).Balance; got != 160*(testPrice-testFee) {
		t.Errorf("operator balance %v, want 160 × (price − fee)", got)
	}
}

func TestClientChargeRefused(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	n.open(t)
	c, _ := n.newClient(t, 0x2a)
	id := n.clientID()
	addr, err := c.Address(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Charge(ctx, id, paymenttest.SignedBOC(t, n.proxyKey, payment.OpClientCharge, payment.RandomQueryID(), 5, addr)); !errors.Is(err, client.ErrNoContract) {
		t.Errorf("charge of an undeployed contract: got %v, want ErrNoContract", err)
	}
	if err := c.Deploy(ctx, id, billing.TON, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		name   string
		signed []byte
		want   error
	}{
		{"other key", paymenttest.SignedBOC(t, testKey(0x68), payment.OpClientCharge, payment.RandomQueryID(), 5, addr), payment.ErrBadSignature},
		{"other target", paymenttest.SignedBOC(t, n.proxyKey, payment.OpClientCharge, payment.RandomQueryID(), 5, testAddr(0x69)), payment.ErrWrongTarget},
		{"grant refund", paymenttest.SignedBOC(t, n.proxyKey, payment.OpClientGrantRefund, payment.RandomQueryID(), 5, addr), payment.ErrWrongOp},
		{"truncated", paymenttest.SignedBOC(t, n.proxyKey, payment.OpClientCharge, payment.RandomQueryID(), 5, addr)[:20], payment.ErrMalformed},
	}
	for _, r := range refused {
		if err := c.Charge(ctx, id, r.signed); !errors.Is(err, r.want) {
			t.Errorf("%s: got %v, want %v", r.name, err, r.want)
		}
	}
	if cc, err := c.Contract(ctx, id); err != nil || cc.TokensUsed != 0 {
		t.Errorf("after refused charges: tokens %d (%v), want 0", cc.TokensUsed, err)
	}
}

// TestAdaptersRefuseIncompleteConfigs checks that the adapters refuse
// incomplete configs.
func TestAdaptersRefuseIncompleteConfigs(t *testing.T) {
	n := newNet(t)
	admin, err := NewWallet(n.chain, testKey(1), testAddr(0xee), WalletOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewWorker(WorkerConfig{Chain: n.chain, Root: n.root, Wallet: admin}); err == nil {
		t.Error("NewWorker without an owner: got nil error")
	}
	if _, err := NewProxy(ProxyConfig{Chain: n.chain, Root: n.root, Wallet: admin, Owner: admin.Address()}); err == nil {
		t.Error("NewProxy without a key: got nil error")
	}
	if _, err := NewClient(ClientConfig{Chain: n.chain, Wallet: admin}); err == nil {
		t.Error("NewClient without a root: got nil error")
	}
}

// TestProxyPaysUndeployedWorker has the proxy pay the last payout to the
// worker contract of an owner that never deployed it: PayWorker deploys
// it with the payout, the owner is paid every token at the fee, and the
// contract ends closed. A payout for another worker's contract is
// refused.
func TestProxyPaysUndeployedWorker(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	proxyAddr := n.open(t)
	n.deposit(t, 0x2a, n.clientID())
	owner := testAddr(0x57)
	addr, err := contracts.WorkerAddress(owner, proxyAddr, n.proxyData(t, proxyAddr))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.proxy.PayWorker(ctx, paymenttest.SignedBOC(t, n.proxyKey, payment.OpWorkerLastPayout, payment.RandomQueryID(), 70, addr), proxyAddr, testAddr(0x58)); err == nil {
		t.Error("a payout for the contract of another owner: got no error")
	}
	lt := n.lastLT(t, owner)
	if err := n.proxy.PayWorker(ctx, paymenttest.SignedBOC(t, n.proxyKey, payment.OpWorkerLastPayout, payment.RandomQueryID(), 70, addr), proxyAddr, owner); err != nil {
		t.Fatal(err)
	}
	onePayout(t, n.payouts(t, owner, proxyAddr, lt), 70*testFee)
	d, err := readWorker(ctx, n.chain, addr)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != contracts.StateClosed || d.Tokens != 70 || !d.Owner.Equals(owner) {
		t.Errorf("the worker contract after the last payout: %+v, want closed with 70 tokens, owned by %s", d, owner)
	}
}
