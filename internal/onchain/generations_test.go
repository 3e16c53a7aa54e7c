package onchain

import (
	"context"
	"errors"
	"testing"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
)

// TestClientGenerations closes a client's contract at a proxy and opens
// the next generation's there: a closed contract takes nothing more, not
// even a deployment, so generation 1 is owned by the wallet's subwallet 1
// and is a new address at the same proxy contract. The wallet funds the
// subwallet for the deployment and the owner's operations; the
// contract's refund goes to the subwallet, which sends it on to the
// wallet (Reclaim), keeping what it needs to send.
func TestClientGenerations(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	proxyAddr := n.open(t)
	c, cw := n.newClient(t, 0x31)
	first := n.clientID()
	if err := c.Deploy(ctx, first, testStake, [32]byte{1}); err != nil {
		t.Fatal(err)
	}
	firstAddr, _ := c.Address(ctx, first)
	if err := c.RequestRefund(ctx, first); err != nil {
		t.Fatal(err)
	}
	n.submit(t, payment.OpClientGrantRefund, 10, firstAddr)
	if d := n.clientData(t, firstAddr); d.State != contracts.StateClosed {
		t.Fatalf("the first contract is in state %d, want closed", d.State)
	}

	owner0, err := c.Owner(0)
	if err != nil || !owner0.Equals(cw.Address()) {
		t.Fatalf("owner of generation 0: %v, %v; want the wallet %s", owner0, err, cw.Address())
	}
	owner1, err := c.Owner(1)
	if err != nil || owner1.Equals(owner0) {
		t.Fatalf("owner of generation 1: %v, %v; want another address than the wallet's", owner1, err)
	}
	second := first
	second.Generation = 1
	secondAddr, err := c.Address(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	want, err := contracts.ClientAddress(owner1, proxyAddr, n.proxyData(t, proxyAddr))
	if err != nil || !secondAddr.Equals(want) || secondAddr.Equals(firstAddr) {
		t.Fatalf("generation 1's contract %s (%v), want %s derived from its owner, not %s", secondAddr, err, want, firstAddr)
	}
	walletBefore := n.balance(t, cw.Address())
	if err := c.Deploy(ctx, second, 2*testStake, [32]byte{2}); err != nil {
		t.Fatal(err)
	}
	if err := c.Register(ctx, second, 9); err != nil {
		t.Fatal(err)
	}
	if ok, err := n.proxy.Registered(ctx, secondAddr, 9); err != nil || !ok {
		t.Errorf("generation 1 registered: %v (%v), want true", ok, err)
	}
	if err := c.TopUp(ctx, second, testStake); err != nil {
		t.Fatal(err)
	}
	ct, err := c.Contract(ctx, second)
	if err != nil || ct.State != billing.ClientRunning || ct.Balance != 3*testStake || ct.SecretHash != [32]byte{2} {
		t.Fatalf("generation 1's contract %+v (%v), want running with 3 stakes and its secret", ct, err)
	}
	if d := n.clientData(t, secondAddr); !d.Owner.Equals(owner1) {
		t.Errorf("generation 1's contract is owned by %s, want %s", d.Owner, owner1)
	}
	// The subwallet holds its floor and what its operations need; the
	// rest came from the wallet.
	if got := n.balance(t, owner1); got < WalletMinimum || got > WalletMinimum+ClientOpGas+subwalletMargin {
		t.Errorf("the subwallet holds %s, want its floor %s and at most an operation's gas", got, WalletMinimum)
	}
	if spent := walletBefore - n.balance(t, cw.Address()); spent < 3*testStake+WalletMinimum {
		t.Errorf("the wallet spent %s, want at least the deposits and the subwallet's floor", spent)
	}

	// Closed, its refund goes to the subwallet, and on to the wallet.
	if err := c.RequestRefund(ctx, second); err != nil {
		t.Fatal(err)
	}
	n.submit(t, payment.OpClientGrantRefund, 0, secondAddr)
	if d := n.clientData(t, secondAddr); d.State != contracts.StateClosed {
		t.Fatalf("generation 1's contract in state %d, want closed", d.State)
	}
	held := n.balance(t, owner1)
	walletBefore = n.balance(t, cw.Address())
	if err := c.Reclaim(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := n.balance(t, owner1); got > WalletMinimum+subwalletMargin {
		t.Errorf("after Reclaim the subwallet holds %s, want no more than its floor and margin", got)
	}
	// Less the fee of receiving it, at most a hundredth of a TON.
	if gain, want := n.balance(t, cw.Address())-walletBefore, held-WalletMinimum-subwalletMargin; gain > want || gain < want-billing.TON/100 {
		t.Errorf("the wallet gained %s, want the %s the subwallet held beyond its floor and margin", gain, want)
	}
	if err := c.Reclaim(ctx, 0); err != nil {
		t.Errorf("Reclaim of generation 0: %v, want nothing done", err)
	}
}

// TestClientGenerationWithoutFunds: a wallet that cannot fund the next
// generation's owner says so as the client's lack of funds.
func TestClientGenerationWithoutFunds(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	n.open(t)
	w, err := NewWallet(n.chain, testKey(0x32), testAddr(0xee), WalletOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.chain.Fund(ctx, w.Address(), WalletMinimum+billing.TON); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ClientConfig{Chain: n.chain, Root: n.root, Wallet: w})
	if err != nil {
		t.Fatal(err)
	}
	id := n.clientID()
	id.Generation = 1
	if err := c.Deploy(ctx, id, 5*billing.TON, [32]byte{}); !errors.Is(err, client.ErrInsufficientFunds) {
		t.Errorf("Deploy of generation 1 from a poor wallet: %v, want %v", err, client.ErrInsufficientFunds)
	}
}
