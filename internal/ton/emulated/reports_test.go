package emulated

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// TestReportsAsTheProxySeesThem drives the client and worker contracts with
// the message builders of internal/contracts, sent by their owners' cocoon
// wallets, and reads the reports from the proxy's transactions as the
// off-chain proxy does: the client's register nonce and state cell, the
// worker's token count from its report's header.
func TestReportsAsTheProxySeesThem(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	proxyKey := testKey(2)
	proxyData := contracts.NewProxyData(addr(0x11), addr(0x22), proxyKey.Public().(ed25519.PublicKey), params(t))
	proxy := deploy(t, c, params(t).ProxyCode, proxyData, 10*billing.TON)
	owner := fundedOwner(t, c, 3, 20*billing.TON)
	must := func(b *cell.Cell, err error) *cell.Cell {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	send := func(tr ...ton.Transfer) {
		t.Helper()
		if err := owner.Send(ctx, c, time.Hour, tr...); err != nil {
			t.Fatal(err)
		}
	}
	proxyReport := func() ton.Tx {
		t.Helper()
		tx := lastTx(t, c, proxy)
		if tx.In == nil {
			t.Fatal("proxy's last transaction has no inbound message")
		}
		return tx
	}

	// The owner's wallet deploys its client contract and registers with
	// a long-auth nonce, in one external.
	client, clientInit, err := contracts.ClientInit(owner.Address(), proxy, proxyData)
	if err != nil {
		t.Fatal(err)
	}
	send(
		ton.Transfer{To: client, Amount: billing.TON, StateInit: clientInit},
		ton.Transfer{To: client, Amount: billing.TON / 2, Bounce: true, Body: must(contracts.ClientRegisterBody(1, 0xabcdef0123, owner.Address()))},
	)
	tx := proxyReport()
	rep, err := contracts.ParseClientReport(tx.In.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !tx.In.Src.Equals(client) || !tx.Skipped || rep.Kind != contracts.OpClientProxyRegister || rep.Nonce != 0xabcdef0123 || !rep.Owner.Equals(owner.Address()) || rep.State.Stake != billing.TON {
		t.Errorf("register report from %s (skipped %v): %+v; want the nonce from the client, skipped for lack of gas", tx.In.Src, tx.Skipped, rep)
	}

	// A top-up reaches the proxy as a carry-all report it executes.
	send(ton.Transfer{To: client, Amount: 3 * billing.TON, Bounce: true, Body: must(contracts.ClientTopUpBody(2, 2*billing.TON, owner.Address()))})
	tx = proxyReport()
	if rep, err = contracts.ParseClientReport(tx.In.Body); err != nil {
		t.Fatal(err)
	}
	if !tx.Success || rep.Kind != contracts.OpClientProxyTopUp || rep.Amount != 2*billing.TON || rep.State.Balance != 2*billing.TON || !rep.ExcessTo.Equals(owner.Address()) {
		t.Errorf("top-up report (success %v): %+v; want 2 TON in the payload and the state", tx.Success, rep)
	}

	// Secret hash change: a notice carrying the new hash in the state.
	secret := hashOf(0x5e)
	send(ton.Transfer{To: client, Amount: billing.TON / 2, Bounce: true, Body: must(contracts.ClientChangeSecretBody(3, secret, owner.Address()))})
	if rep, err = contracts.ParseClientReport(proxyReport().In.Body); err != nil {
		t.Fatal(err)
	}
	if rep.Kind != 0 || rep.State.SecretHash != secret {
		t.Errorf("secret report %+v, want no payload and the new hash", rep)
	}

	// Withdraw above the stake: refund_granted, paid to the owner.
	before := balance(t, c, owner.Address())
	send(ton.Transfer{To: client, Amount: billing.TON / 2, Bounce: true, Body: must(contracts.ClientWithdrawBody(4, owner.Address()))})
	if rep, err = contracts.ParseClientReport(proxyReport().In.Body); err != nil {
		t.Fatal(err)
	}
	if rep.Kind != contracts.OpClientProxyRefundGranted || rep.Amount != billing.TON || rep.State.Balance != billing.TON {
		t.Errorf("withdraw report %+v, want 1 TON refunded and 1 TON (the stake) left", rep)
	}
	if gained := balance(t, c, owner.Address()) - before; gained < billing.TON/2 {
		t.Errorf("owner's wallet changed by %v TON on a 1 TON withdrawal, want most of it back", gained)
	}

	// Worker register: the notice without payload.
	worker, workerInit, err := contracts.WorkerInit(owner.Address(), proxy, proxyData)
	if err != nil {
		t.Fatal(err)
	}
	send(
		ton.Transfer{To: worker, Amount: billing.TON / 2, StateInit: workerInit},
		ton.Transfer{To: worker, Amount: billing.TON / 2, Bounce: true, Body: cell.BeginCell().MustStoreUInt(uint64(contracts.OpOwnerWorkerRegister), 32).MustStoreUInt(5, 64).MustStoreAddr(owner.Address()).EndCell()},
	)
	tx = proxyReport()
	wrep, err := contracts.ParseWorkerReport(tx.In.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !tx.In.Src.Equals(worker) || wrep.Payout != nil || wrep.Tokens != 0 || !wrep.Owner.Equals(owner.Address()) {
		t.Errorf("worker register report from %s: %+v, want the notice without payout", tx.In.Src, wrep)
	}

	// Anyone asks the proxy to pay the operator's earnings (none yet).
	send(ton.Transfer{To: proxy, Amount: billing.TON / 2, Bounce: true, Body: must(contracts.ProxyPayoutRequestBody(6, owner.Address()))})
	if tx := lastTx(t, c, proxy); !tx.Success {
		t.Errorf("payout request failed with exit code %d", tx.ExitCode)
	}
	// And raises its stake.
	send(ton.Transfer{To: proxy, Amount: 2 * billing.TON, Bounce: true, Body: must(contracts.ProxyIncreaseStakeBody(7, billing.TON, owner.Address()))})
	ps, err := ton.ReadProxyData(ctx, c, proxy)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Stake != billing.TON {
		t.Errorf("proxy stake %v after increasing by 1 TON, want 1", ps.Stake)
	}
}
