package onchain

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/client"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/payment"
	"github.com/cocoon-go/cocoon/internal/payment/paymenttest"
	"github.com/cocoon-go/cocoon/internal/proxy"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// storageFloor is what a closed proxy contract keeps (contracts/common.tolk
// STORAGE_FLOOR).
const storageFloor = billing.TON / 100

// TestProxyCloseSigned closes a proxy contract, whose owner is not its
// wallet, with the two signed close ops relayed through Submit: the
// request moves it to closing with unlock_ts = now + proxy_delay_before_close,
// a completion before then changes nothing, and the completion after it
// closes the contract and pays everything but the storage floor to the
// owner. An op signed by another key is refused before it is sent.
func TestProxyCloseSigned(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	owner := testAddr(0x5c)
	key := n.proxyKey.Public().(ed25519.PublicKey)
	p := n.newProxy(t, owner)
	proxyAddr, err := p.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.deposit(t, 0x2c, client.ProxyID{Owner: owner, Key: key})
	closeOp := func(op payment.Op, signed []byte) {
		t.Helper()
		if err := p.Submit(ctx, signed); err != nil {
			t.Fatalf("Submit of the %v: %v", op, err)
		}
	}
	state := func() contracts.ProxyData {
		t.Helper()
		return n.proxyData(t, proxyAddr)
	}

	// A request signed by another key is refused.
	if err := p.Submit(ctx, paymenttest.SignedBOC(t, testKey(0x77), payment.OpProxyCloseRequest, payment.RandomQueryID(), 0, proxyAddr)); err == nil {
		t.Error("Submit of a close request signed by another key: got no error")
	}
	if d := state(); d.State != contracts.StateNormal {
		t.Fatalf("proxy contract after a refused close request: state %d, want normal", d.State)
	}

	closeOp(payment.OpProxyCloseRequest, paymenttest.SignedBOC(t, n.proxyKey, payment.OpProxyCloseRequest, payment.RandomQueryID(), 0, proxyAddr))
	d := state()
	if want := uint32(n.clock.Now().Unix()) + testDelay; d.State != contracts.StateClosing || d.UnlockTS != want {
		t.Fatalf("proxy contract after the close request: state %d, unlock_ts %d; want closing, %d", d.State, d.UnlockTS, want)
	}

	// The completion before unlock_ts fails on chain (1011).
	closeOp(payment.OpProxyCloseComplete, paymenttest.SignedBOC(t, n.proxyKey, payment.OpProxyCloseComplete, payment.RandomQueryID(), 0, proxyAddr))
	if d := state(); d.State != contracts.StateClosing {
		t.Fatalf("proxy contract after an early close completion: state %d, want still closing", d.State)
	}

	n.clock.Advance(testDelay * time.Second)
	ownerLT := n.lastLT(t, owner)
	held := n.balance(t, proxyAddr)
	closeOp(payment.OpProxyCloseComplete, paymenttest.SignedBOC(t, n.proxyKey, payment.OpProxyCloseComplete, payment.RandomQueryID(), 0, proxyAddr))
	if d := state(); d.State != contracts.StateClosed || d.Balance != 0 || d.Stake != 0 || d.UnlockTS != 0 {
		t.Errorf("proxy contract after the close completion: state %d, balance %v, stake %v, unlock_ts %d; want closed and zeroes", d.State, d.Balance, d.Stake, d.UnlockTS)
	}
	if got := n.balance(t, proxyAddr); got != storageFloor {
		t.Errorf("closed proxy contract holds %v, want the storage floor %v", got, storageFloor)
	}
	paid := n.payouts(t, owner, proxyAddr, ownerLT)
	if len(paid) != 1 {
		t.Fatalf("owner payouts %v, want one", paid)
	}
	// The owner gets what the contract held, with the deposit and the stake,
	// and the relayed gas less the fees, less the storage floor.
	if lo, hi := held-storageFloor, held+ProxyCloseGas-storageFloor; paid[0] <= lo || paid[0] >= hi {
		t.Errorf("owner paid %v, want between %v and %v (the %v held, the %v of gas less fees, less the floor)", paid[0], lo, hi, held, ProxyCloseGas)
	}
	if held < 5*billing.TON+testStake {
		t.Errorf("proxy contract held %v before closing, want at least the deposit and stake %v", held, 5*billing.TON+testStake)
	}

	// A closed contract refuses another completion.
	closeOp(payment.OpProxyCloseComplete, paymenttest.SignedBOC(t, n.proxyKey, payment.OpProxyCloseComplete, payment.RandomQueryID(), 0, proxyAddr))
	if got := n.payouts(t, owner, proxyAddr, ownerLT); len(got) != 1 {
		t.Errorf("owner payouts after a second completion %v, want still one", got)
	}
}

// TestWindDownOnChain runs the proxy's wind-down of a contract its owner
// closes on the real contracts: while the proxy contract is closing, the
// grant refund of a running client's final tokens pays the client's owner
// exactly its balance less their price, the last payout pays the worker's
// owner exactly the fee of its final tokens, and the close completion then
// pays the rest to the owner.
func TestWindDownOnChain(t *testing.T) {
	n := newNet(t)
	ctx := context.Background()
	proxyAddr := n.open(t)
	c, cw := n.newClient(t, 0x2d)
	id := n.clientID()
	if err := c.Deploy(ctx, id, 5*billing.TON, [32]byte{}); err != nil {
		t.Fatal(err)
	}
	cc, err := c.Contract(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n.submit(t, payment.OpClientCharge, 1000, cc.Address)
	workerOwner := testAddr(0x5d)
	w := n.newWorker(t, 0x2e, workerOwner)
	waddr, err := w.Address(ctx, n.workerID())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Payout(ctx, n.workerID(), paymenttest.SignedBOC(t, n.proxyKey, payment.OpWorkerPayout, payment.RandomQueryID(), 400, waddr)); err != nil {
		t.Fatal(err)
	}

	// The owner starts the close: op, query id, send_excesses_to.
	body := cell.BeginCell().MustStoreUInt(0xb51d5a01, 32).MustStoreUInt(7, 64).MustStoreAddr(n.pw.Address()).EndCell()
	if err := n.pw.Send(ctx, ton.Transfer{To: proxyAddr, Amount: ProxyCloseGas, Bounce: true, Body: body}); err != nil {
		t.Fatal(err)
	}
	st, err := n.proxy.State(ctx, proxyAddr)
	if want := int64(n.clock.Now().Unix()) + testDelay; err != nil || st.State != proxy.ContractClosing || st.UnlockTS != want {
		t.Fatalf("proxy contract state after owner_proxy_close: %+v (%v), want closing until %d", st, err, want)
	}

	lt := n.lastLT(t, cw.Address())
	n.submit(t, payment.OpClientGrantRefund, 1500, cc.Address)
	onePayout(t, n.payouts(t, cw.Address(), proxyAddr, lt), 5*billing.TON-1500*testPrice)
	if d := n.clientData(t, cc.Address); d.State != contracts.StateClosed || d.Balance != 0 || d.TokensUsed != 1500 {
		t.Errorf("client contract after the grant refund: state %d, balance %v, tokens %d; want closed, 0, 1500", d.State, d.Balance, d.TokensUsed)
	}

	lt = n.lastLT(t, workerOwner)
	n.submit(t, payment.OpWorkerLastPayout, 1000, waddr)
	onePayout(t, n.payouts(t, workerOwner, proxyAddr, lt), (1000-400)*testFee)
	if d, err := readWorker(ctx, n.chain, waddr); err != nil || d.State != contracts.StateClosed || d.Tokens != 1000 {
		t.Errorf("worker contract after the last payout: %+v (%v), want closed with 1000 tokens", d, err)
	}

	n.clock.Advance(testDelay * time.Second)
	lt = n.lastLT(t, n.pw.Address())
	held := n.balance(t, proxyAddr)
	n.submit(t, payment.OpProxyCloseComplete, 0, proxyAddr)
	if st, err := n.proxy.State(ctx, proxyAddr); err != nil || st.State != proxy.ContractClosed {
		t.Errorf("proxy contract state after the completion: %+v (%v), want closed", st, err)
	}
	if paid := n.payouts(t, n.pw.Address(), proxyAddr, lt); len(paid) != 1 || paid[0] <= held-storageFloor || paid[0] >= held+ProxyCloseGas-storageFloor {
		t.Errorf("owner payouts %v, want one of the %v held and the gas less fees, less the floor", paid, held)
	}
	if got := n.balance(t, proxyAddr); got != storageFloor {
		t.Errorf("closed proxy contract holds %v, want the storage floor %v", got, storageFloor)
	}
}
