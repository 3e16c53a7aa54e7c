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
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/worker"
)

const opPayout = 0xc59a7cd3

// node is a client or worker of the test network.
func (n *net) newClient(t *testing.T, key byte) (*Client, *Wallet) {
	t.Helper()
	w := fundedWallet(t, n.chain, testKey(key))
	c, err := NewClient(ClientConfig{Chain: n.chain, Root: n.root, Wallet: w})
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// deposit is a client of key whose contract at the proxy id is deployed
// with 5 TON: a deposit that funds the proxy's payouts.
func (n *net) deposit(t *testing.T, key byte, id client.ProxyID) *Client {
	t.Helper()
	c, _ := n.newClient(t, key)
	if err := c.Deploy(context.Background(), id, 5*billing.TON, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// newWorker is the worker adapter of owner's contracts, relaying through
// a funded wallet of key.
func (n *net) newWorker(t *testing.T, key byte, owner *address.Address) *Worker {
	t.Helper()
	w, err := NewWorker(WorkerConfig{Chain: n.chain, Root: n.root, Wallet: fundedWallet(t, n.chain, testKey(key)), Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (n *net) clientID() client.ProxyID {
	return client.ProxyID{Owner: n.pw.Address(), Key: n.proxyKey.Public().(ed25519.PublicKey)}
}

func (n *net) workerID() worker.ProxyID {
	return worker.ProxyID{Owner: n.pw.Address(), Key: n.proxyKey.Public().(ed25519.PublicKey)}
}

func (n *net) clientData(t *testing.T, a *address.Address) contracts.ClientData {
	t.Helper()
	d, err := readClient(context.Background(), n.chain, a)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// payouts returns the values of the payout messages from the proxy
// contract proxyAddr that reached a after lt.
func (n *net) payouts(t *testing.T, a, proxyAddr *address.Address, lt uint64) []billing.NanoTON {
	t.Helper()
	var out []billing.NanoTON
	for _, tx := range n.txsAfter(t, a, lt) {
		in := tx.In
		if in == nil || in.Src == nil || !in.Src.Equals(proxyAddr) {
			continue
		}
		if s := in.Body.MustBeginParse(); s.BitsLeft() >= 32 && s.MustLoadUInt(32) == opPayout {
			out = append(out, in.Value)
		}
	}
	return out
}

func onePayout(t *testing.T, got []billing.NanoTON, want billing.NanoTON) {
	t.Helper()
	if len(got) != 1 || got[0] != want {
		t.Errorf("got payouts %v, want exactly one of %v", got, want)
	}
}

// TestClientLifecycle runs a client through deploy, register, top-up, a
// charge relayed by the proxy, withdraw, and closing with the proxy's
// grant refund, checking every figure.
func TestClientLifecycle(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	proxyAddr := n.open(t)
	c, cw := n.newClient(t, 0x21)
	id := n.clientID()

	undeployed, err := c.Contract(ctx, id)
	if !errors.Is(err, client.ErrNoContract) {
		t.Fatalf("Contract before Deploy: got %v, want ErrNoContract", err)
	}
	if wantAddr, err := c.Address(ctx, id); err != nil || undeployed.Address == nil || !undeployed.Address.Equals(wantAddr) || undeployed.Stake != testStake || undeployed.PricePerToken != testPrice {
		t.Errorf("undeployed contract %+v, want address %s, stake %v and price %v", undeployed, wantAddr, testStake, testPrice)
	}
	if err := c.Register(ctx, id, 5); !errors.Is(err, client.ErrNoContract) {
		t.Errorf("Register before Deploy: got %v, want ErrNoContract", err)
	}
	proxyBefore := n.balance(t, proxyAddr)
	secret := [32]byte{0xaa}
	if err := c.Deploy(ctx, id, 5*billing.TON, secret); err != nil {
		t.Fatal(err)
	}
	cc, err := c.Contract(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := client.ClientContract{ClientChain: billing.ClientChain{State: billing.ClientRunning, Balance: 5 * billing.TON, Stake: testStake}, SecretHash: secret, Address: cc.Address, PricePerToken: testPrice}
	if cc != want {
		t.Errorf("after Deploy: got %+v, want %+v", cc, want)
	}
	if gain := n.balance(t, proxyAddr) - proxyBefore; gain < 5*billing.TON || gain > 5*billing.TON+billing.TON/10 {
		t.Errorf("the proxy contract gained %v from a 5 TON deposit, want 5 TON plus at most 0.1 of kept gas", gain)
	}
	derived, err := contracts.ClientAddress(cw.Address(), proxyAddr, n.proxyData(t, proxyAddr))
	if err != nil {
		t.Fatal(err)
	}
	if !cc.Address.Equals(derived) {
		t.Errorf("client contract %s, want %s derived from the proxy's stored data", cc.Address, derived)
	}
	if pc, err := n.proxy.Client(ctx, cc.Address); err != nil || pc.ClientChain != want.ClientChain || pc.SecretHash != secret {
		t.Errorf("the proxy reads %+v (%v), want %+v", pc, err, want.ClientChain)
	}

	// Registration: only the registered (client, nonce) pair.
	other, _ := n.newClient(t, 0x22)
	if err := other.Deploy(ctx, id, 0, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	otherAddr, err := other.Address(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := n.proxy.Registered(ctx, cc.Address, 77); err != nil || ok {
		t.Errorf("Registered before Register: got %v (%v), want false", ok, err)
	}
	if err := c.Register(ctx, id, 77); err != nil {
		t.Fatal(err)
	}
	if err := other.Register(ctx, id, 78); err != nil {
		t.Fatal(err)
	}
	regs := []struct {
		name   string
		client *address.Address
		nonce  uint64
		want   bool
	}{
		{"registered", cc.Address, 77, true},
		{"other nonce", cc.Address, 78, false},
		{"other client", otherAddr, 77, false},
		{"other client registered", otherAddr, 78, true},
	}
	for _, r := range regs {
		if ok, err := n.proxy.Registered(ctx, r.client, r.nonce); err != nil || ok != r.want {
			t.Errorf("%s: got %v (%v), want %v", r.name, ok, err, r.want)
		}
	}

	// Top-up, change of secret.
	if err := c.TopUp(ctx, id, 2*billing.TON); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangeSecret(ctx, id, [32]byte{0xbb}); err != nil {
		t.Fatal(err)
	}
	if d := n.clientData(t, cc.Address); d.Balance != 7*billing.TON || d.SecretHash != [32]byte{0xbb} {
		t.Errorf("after top-up and change secret: balance %v secret %x, want 7 TON and bb…", d.Balance, d.SecretHash[:1])
	}

	// The proxy charges 1000 tokens; the client relays a charge of 1500.
	n.submit(t, payment.OpClientCharge, 1000, cc.Address)
	if d := n.clientData(t, cc.Address); d.TokensUsed != 1000 || d.Balance != 7*billing.TON-1000*testPrice {
		t.Errorf("after the proxy's charge: tokens %d balance %v, want 1000 and %v", d.TokensUsed, d.Balance, 7*billing.TON-1000*testPrice)
	}
	if err := c.Charge(ctx, id, paymenttest.SignedBOC(t, n.proxyKey, payment.OpClientCharge, payment.RandomQueryID(), 1500, cc.Address)); err != nil {
		t.Fatal(err)
	}
	balance := 7*billing.TON - 1500*testPrice
	if d := n.clientData(t, cc.Address); d.TokensUsed != 1500 || d.Balance != balance {
		t.Errorf("after the client's charge: tokens %d balance %v, want 1500 and %v", d.TokensUsed, d.Balance, balance)
	}

	// Withdraw: everything above the stake comes back, exactly.
	lt := n.lastLT(t, cw.Address())
	if err := c.Withdraw(ctx, id); err != nil {
		t.Fatal(err)
	}
	onePayout(t, n.payouts(t, cw.Address(), proxyAddr, lt), balance-testStake)
	if d := n.clientData(t, cc.Address); d.Balance != testStake {
		t.Errorf("after withdraw: balance %v, want the stake %v", d.Balance, testStake)
	}

	// Close: request a refund, the proxy grants it.
	if err := c.RequestRefund(ctx, id); err != nil {
		t.Fatal(err)
	}
	cc, err = c.Contract(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if cc.State != billing.ClientClosing || cc.UnlockTS != testStartUTC+testDelay {
		t.Errorf("after the refund request: state %d unlock %d, want closing and %d", cc.State, cc.UnlockTS, testStartUTC+testDelay)
	}
	lt = n.lastLT(t, cw.Address())
	n.submit(t, payment.OpClientGrantRefund, 1600, cc.Address)
	onePayout(t, n.payouts(t, cw.Address(), proxyAddr, lt), testStake-100*testPrice)
	if d := n.clientData(t, cc.Address); d.State != contracts.StateClosed || d.Balance != 0 || d.TokensUsed != 1600 {
		t.Errorf("after the grant: state %d balance %v tokens %d, want closed, 0, 1600", d.State, d.Balance, d.TokensUsed)
	}
}

// TestForcedRefund closes a client by force after its unlock time: the
// proxy's stake pays it.
func TestForcedRefund(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	proxyAddr := n.open(t)
	c, cw := n.newClient(t, 0x23)
	id := n.clientID()
	if err := c.Deploy(ctx, id, billing.TON/2, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	if err := c.RequestRefund(ctx, id); err != nil {
		t.Fatal(err)
	}
	// Before the unlock time the second request fails on chain.
	if err := c.RequestRefund(ctx, id); err != nil {
		t.Fatal(err)
	}
	if cc, err := c.Contract(ctx, id); err != nil || cc.State != billing.ClientClosing {
		t.Fatalf("early forced claim: got state %d (%v), want still closing", cc.State, err)
	}
	n.clock.Advance((testDelay + 1) * time.Second)
	lt := n.lastLT(t, cw.Address())
	if err := c.RequestRefund(ctx, id); err != nil {
		t.Fatal(err)
	}
	onePayout(t, n.payouts(t, cw.Address(), proxyAddr, lt), billing.TON/2)
	cc, err := c.Contract(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if cc.State != billing.ClientClosed || cc.Balance != 0 {
		t.Errorf("after the forced claim: state %d balance %v, want closed and 0", cc.State, cc.Balance)
	}
	if d := n.proxyData(t, proxyAddr); d.Stake != testStake-billing.TON/2 {
		t.Errorf("proxy stake %v after paying a forced refund of 0.5 TON, want %v", d.Stake, testStake-billing.TON/2)
	}
}

// TestWorkerPayout deploys a worker contract with its first payout and
// pays a second one: the owner receives exactly Δ × fee each time and the
// operator is credited Δ × (price − fee).
func TestWorkerPayout(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	proxyAddr := n.open(t)
	// Clients' deposits fund the payouts.
	n.deposit(t, 0x24, n.clientID())
	ww := fundedWallet(t, n.chain, testKey(0x25))
	owner := testAddr(0x55)
	w, err := NewWorker(WorkerConfig{Chain: n.chain, Root: n.root, Wallet: ww, Owner: owner})
	if err != nil {
		t.Fatal(err)
	}
	id := n.workerID()
	if wc, err := w.Contract(ctx, id); !errors.Is(err, worker.ErrNoContract) || wc.FeePerToken != testFee {
		t.Fatalf("Contract before the first payout: got %+v, %v; want ErrNoContract at the fee %v", wc, err, testFee)
	}
	addr, err := w.Address(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		tokens int64
		delta  billing.NanoTON
	}{{1000, 1000}, {3000, 2000}}
	for _, s := range steps {
		lt := n.lastLT(t, owner)
		before := n.proxyData(t, proxyAddr).Balance
		if err := w.Payout(ctx, id, paymenttest.SignedBOC(t, n.proxyKey, payment.OpWorkerPayout, payment.RandomQueryID(), s.tokens, addr)); err != nil {
			t.Fatal(err)
		}
		onePayout(t, n.payouts(t, owner, proxyAddr, lt), s.delta*testFee)
		if got := n.proxyData(t, proxyAddr).Balance - before; got != s.delta*(testPrice-testFee) {
			t.Errorf("payout to %d: operator credited %v, want %v", s.tokens, got, s.delta*(testPrice-testFee))
		}
		wc, err := w.Contract(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if wc.Tokens != s.tokens || wc.State != 0 || !wc.Address.Equals(addr) || wc.FeePerToken != testFee {
			t.Errorf("worker contract %+v, want %d tokens, state 0 at %s, fee %v", wc, s.tokens, addr, testFee)
		}
		if pw, err := n.proxy.Worker(ctx, addr); err != nil || pw.Tokens != s.tokens {
			t.Errorf("the proxy reads %+v (%v), want %d tokens", pw, err, s.tokens)
		}
	}
	if got := n.balance(t, owner); got != 3000*testFee {
		t.Errorf("worker owner holds %v, want exactly 3000 × fee", got)
	}

	// A payout for another worker, or signed by another key, is refused
	// before anything is sent.
	lt := n.lastLT(t, ww.Address())
	refused := []struct {
		name   string
		signed []byte
		want   string
	}{
		{"other target", paymenttest.SignedBOC(t, n.proxyKey, payment.OpWorkerPayout, payment.RandomQueryID(), 4000, testAddr(0x66)), "another contract"},
		{"other key", paymenttest.SignedBOC(t, testKey(0x67), payment.OpWorkerPayout, payment.RandomQueryID(), 4000, addr), "bad signature"},
		{"charge", paymenttest.SignedBOC(t, n.proxyKey, payment.OpClientCharge, payment.RandomQueryID(), 4000, addr), "unexpected op"},
		{"garbage", []byte{1, 2, 3}, "malformed"},
	}
	for _, r := range refused {
		if err := w.Payout(ctx, id, r.signed); err == nil || !strings.Contains(err.Error(), r.want) {
			t.Errorf("%s: got %v, want an error containing %q", r.name, err, r.want)
		}
	}
	if got := n.lastLT(t, ww.Address()); got != lt {
		t.Errorf("a refused payout was sent")
	}
}

func TestWalletWithoutFunds(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	n.open(t)
	w, err := NewWallet(n.chain, testKey(0x30), testAddr(0xee), WalletOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ClientConfig{Chain: n.chain, Root: n.root, Wallet: w})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Deploy(ctx, n.clientID(), billing.TON, [32]byte{}); !errors.Is(err, ErrInsufficientFunds) {
		t.Errorf("deploy from an empty wallet: got %v, want ErrInsufficientFunds", err)
	}
	if err := n.chain.Fund(ctx, w.Address(), WalletMinimum+billing.TON); err != nil {
		t.Fatal(err)
	}
	if err := c.Deploy(ctx, n.clientID(), billing.TON, [32]byte{}); !errors.Is(err, ErrInsufficientFunds) {
		t.Errorf("deploy needing more than the wallet holds above its minimum: got %v, want ErrInsufficientFunds", err)
	}
	if err := c.Deploy(ctx, n.clientID(), billing.TON/10, [32]byte{}); err != nil {
		t.Errorf("deploy within the wallet's means: %v", err)
	}
}
