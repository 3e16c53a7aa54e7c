// Package tontest is the conformance suite every ton.Chain implementation
// passes: account reads, get-methods, absent accounts, transaction
// listing, and (when the fixture can pay) sending wallet externals and
// seeing their transactions; and SliceResult, with which tests read a
// get-method's slice results.
package tontest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/ton"
)

// Fixture is what the suite runs against.
type Fixture struct {
	Chain ton.Chain
	// Wallet is an active v5r1 wallet with at least one transaction.
	Wallet *address.Address
	// Signer, when not nil, signs for Wallet; the sending cases then run
	// and spend a little of its TON in fees.
	Signer *ton.V5Wallet
	// Missing is an address with no account.
	Missing *address.Address
	// Settle is how long the chain may take to show a sent message's
	// transaction (0 for a chain that applies it before SendExternal
	// returns).
	Settle time.Duration
}

// Run runs the suite.
func Run(t *testing.T, f Fixture) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f Fixture)
		send bool
	}{
		{"AccountActive", testAccountActive, false},
		{"AccountMissing", testAccountMissing, false},
		{"GetMethod", testGetMethod, false},
		{"GetMethodUnknown", testGetMethodUnknown, false},
		{"GetMethodMissing", testGetMethodMissing, false},
		{"TransactionsLast", testTransactionsLast, false},
		{"TransactionsMissing", testTransactionsMissing, false},
		{"Now", testNow, false},
		{"SendAndSee", testSendAndSee, true},
		{"SendStale", testSendStale, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.send && f.Signer == nil {
				t.Skip("the fixture has no signer for its wallet")
			}
			tt.fn(t, f)
		})
	}
}

func testAccountActive(t *testing.T, f Fixture) {
	acc, err := f.Chain.Account(t.Context(), f.Wallet)
	if err != nil {
		t.Fatalf("Account: %v", err)
	}
	if acc.Status != ton.StatusActive {
		t.Errorf("status %q, want %q", acc.Status, ton.StatusActive)
	}
	if acc.Balance <= 0 {
		t.Errorf("balance %v, want positive", acc.Balance)
	}
	if len(acc.CodeHash()) != 32 || len(acc.DataHash()) != 32 {
		t.Errorf("code hash %x and data hash %x, want 32 bytes each", acc.CodeHash(), acc.DataHash())
	}
	if acc.LastLT == 0 || len(acc.LastHash) != 32 {
		t.Errorf("last transaction %d %x, want a non-zero LT and a 32-byte hash", acc.LastLT, acc.LastHash)
	}
	if !acc.Address.Equals(f.Wallet) {
		t.Errorf("address %s, want %s", acc.Address, f.Wallet)
	}
}

func testAccountMissing(t *testing.T, f Fixture) {
	_, err := f.Chain.Account(t.Context(), f.Missing)
	if !errors.Is(err, ton.ErrNotFound) {
		t.Errorf("got error %v, want ErrNotFound", err)
	}
}

func testGetMethod(t *testing.T, f Fixture) {
	res, err := f.Chain.RunGetMethod(t.Context(), f.Wallet, "seqno")
	if err != nil {
		t.Fatalf("RunGetMethod(seqno): %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("got %d results, want 1", len(res))
	}
	n, err := ton.IntResult(res, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n.Sign() < 0 {
		t.Errorf("seqno %v, want non-negative", n)
	}
	key, err := f.Chain.RunGetMethod(t.Context(), f.Wallet, "get_public_key")
	if err != nil {
		t.Fatalf("RunGetMethod(get_public_key): %v", err)
	}
	if k, err := ton.IntResult(key, 0); err != nil || k.Sign() == 0 {
		t.Errorf("public key %v (%v), want a non-zero integer", k, err)
	}
}

func testGetMethodUnknown(t *testing.T, f Fixture) {
	_, err := f.Chain.RunGetMethod(t.Context(), f.Wallet, "no_such_method_here")
	var exit *ton.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("got error %v, want an *ExitError", err)
	}
	if exit.Code == 0 || exit.Code == 1 {
		t.Errorf("exit code %d, want a failure code", exit.Code)
	}
}

func testGetMethodMissing(t *testing.T, f Fixture) {
	_, err := f.Chain.RunGetMethod(t.Context(), f.Missing, "seqno")
	if !errors.Is(err, ton.ErrNotFound) {
		t.Errorf("got error %v, want ErrNotFound", err)
	}
}

func testTransactionsLast(t *testing.T, f Fixture) {
	ctx := t.Context()
	acc, err := f.Chain.Account(ctx, f.Wallet)
	if err != nil {
		t.Fatal(err)
	}
	txs, err := f.Chain.Transactions(ctx, f.Wallet, acc.LastLT-1, 10)
	if err != nil {
		t.Fatalf("Transactions: %v", err)
	}
	if len(txs) != 1 || txs[0].LT != acc.LastLT || !bytes.Equal(txs[0].Hash, acc.LastHash) {
		t.Fatalf("got %d transactions (%+v), want the last one, LT %d", len(txs), txs, acc.LastLT)
	}
	none, err := f.Chain.Transactions(ctx, f.Wallet, acc.LastLT, 10)
	if err != nil || len(none) != 0 {
		t.Errorf("after the last LT: got %d transactions (%v), want none", len(none), err)
	}
	last := txs[0]
	if last.PrevLT == 0 {
		return
	}
	two, err := f.Chain.Transactions(ctx, f.Wallet, last.PrevLT-1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(two) != 2 || two[0].LT != last.PrevLT || !bytes.Equal(two[0].Hash, last.PrevHash) || two[1].LT != last.LT {
		t.Fatalf("got %d transactions, want the previous and the last, oldest first", len(two))
	}
	one, err := f.Chain.Transactions(ctx, f.Wallet, last.PrevLT-1, 1)
	if err != nil || len(one) != 1 || one[0].LT != last.PrevLT {
		t.Errorf("with limit 1: got %d transactions (%v), want the older one", len(one), err)
	}
	if _, err := f.Chain.Transactions(ctx, f.Wallet, 0, 0); err == nil {
		t.Error("limit 0 accepted, want an error")
	}
}

func testTransactionsMissing(t *testing.T, f Fixture) {
	txs, err := f.Chain.Transactions(t.Context(), f.Missing, 0, 10)
	if err != nil || len(txs) != 0 {
		t.Errorf("got %d transactions (%v), want none and no error", len(txs), err)
	}
}

func testNow(t *testing.T, f Fixture) {
	now, err := f.Chain.Now(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if now.Before(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("chain time %v, want a time after 2020", now)
	}
}

func seqno(ctx context.Context, t *testing.T, f Fixture) uint32 {
	t.Helper()
	res, err := f.Chain.RunGetMethod(ctx, f.Wallet, "seqno")
	if err != nil {
		t.Fatal(err)
	}
	n, err := ton.IntResult(res, 0)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(n.Uint64())
}

func testSendAndSee(t *testing.T, f Fixture) {
	ctx := t.Context()
	before, err := f.Chain.Account(ctx, f.Wallet)
	if err != nil {
		t.Fatal(err)
	}
	start := seqno(ctx, t, f)
	self := ton.Transfer{To: f.Wallet, Amount: 1, Mode: ton.ModePayFeesSeparately | ton.ModeIgnoreErrors}
	if err := f.Signer.Send(ctx, f.Chain, self); err != nil {
		t.Fatalf("Send: %v", err)
	}
	deadline := time.Now().Add(f.Settle)
	for seqno(ctx, t, f) == start {
		if time.Now().After(deadline) {
			t.Fatalf("seqno still %d after %v", start, f.Settle)
		}
		time.Sleep(2 * time.Second)
	}
	txs, err := f.Chain.Transactions(ctx, f.Wallet, before.LastLT, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ext *ton.Tx
	for i := range txs {
		if txs[i].In != nil && txs[i].In.Kind == ton.ExternalIn {
			ext = &txs[i]
			break
		}
	}
	if ext == nil {
		t.Fatalf("no external-in transaction among %d after LT %d", len(txs), before.LastLT)
	}
	if !ext.Success || len(ext.Out) != 1 || ext.Out[0].Kind != ton.Internal || !ext.Out[0].Dst.Equals(f.Wallet) || ext.Out[0].Value != 1 {
		t.Errorf("external transaction success %v with %d out messages %+v, want one 1-nanoTON message to itself", ext.Success, len(ext.Out), ext.Out)
	}
	if ext.TotalFees <= 0 {
		t.Errorf("fees %v, want positive", ext.TotalFees)
	}
}

func testSendStale(t *testing.T, f Fixture) {
	ctx := t.Context()
	cur := seqno(ctx, t, f)
	if cur == 0 {
		t.Skip("the wallet has not sent anything yet")
	}
	ext, err := f.Signer.External(ctx, cur-1, ton.Transfer{To: f.Wallet, Amount: 1, Mode: ton.ModePayFeesSeparately})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Chain.SendExternal(ctx, ext); err == nil {
		t.Error("an external with a used seqno was accepted")
	}
	if got := seqno(ctx, t, f); got != cur {
		t.Errorf("seqno %d after a stale external, want %d", got, cur)
	}
}

// SliceResult returns get-method result i as a slice (addresses come as
// slices).
func SliceResult(res []any, i int) (*cell.Slice, error) {
	if i < 0 || i >= len(res) {
		return nil, fmt.Errorf("result %d of %d", i, len(res))
	}
	switch v := res[i].(type) {
	case *cell.Slice:
		return v.Copy(), nil
	case *cell.Cell:
		return v.BeginParse()
	}
	return nil, fmt.Errorf("result %d is %T, want a slice", i, res[i])
}
