package devnet

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/ton"
)

// traced reports whether c or any cell below it carries a trace.
func traced(c *cell.Cell) bool {
	if c == nil {
		return false
	}
	if c.Trace() != nil {
		return true
	}
	for i := range c.RefsNum() {
		ref, err := c.PeekRef(int(i))
		if err == nil && traced(ref) {
			return true
		}
	}
	return false
}

// TestLockedChainDetaches checks that the devnet's view of the chain hands
// out cells that no TVM run traces, and the same state as the chain.
func TestLockedChainDetaches(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys, err := loadKeys(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := openChain(ctx, filepath.Join(dir, ChainStateFile), dir, keys, "127.0.0.1:1 127.0.0.1:2")
	if err != nil {
		t.Fatal(err)
	}
	// A restart's endpoint change runs the root contract once more.
	if err := tn.updateProxy(ctx, mustAccount(t, tn.chain, tn), "127.0.0.1:3 127.0.0.1:4"); err != nil {
		t.Fatal(err)
	}
	raw := mustAccount(t, tn.chain, tn)
	got := mustAccount(t, tn.view, tn)
	if traced(got.Data) || traced(got.Code) {
		t.Error("the view hands out a traced cell")
	}
	if string(got.Data.Hash()) != string(raw.Data.Hash()) || got.Balance != raw.Balance || got.LastLT != raw.LastLT {
		t.Error("the view's account differs from the chain's")
	}
	txs, err := tn.view.Transactions(ctx, tn.root, 0, 10)
	if err != nil || len(txs) == 0 {
		t.Fatalf("root transactions: %d, %v", len(txs), err)
	}
	rawTxs, err := tn.chain.Transactions(ctx, tn.root, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i, tx := range txs {
		if tx.In != nil && traced(tx.In.Body) {
			t.Errorf("transaction %d: traced inbound body", i)
		}
		if tx.LT != rawTxs[i].LT || string(tx.Hash) != string(rawTxs[i].Hash) || tx.TotalFees != rawTxs[i].TotalFees {
			t.Errorf("transaction %d differs from the chain's", i)
		}
	}
	res, err := tn.view.RunGetMethod(ctx, tn.admin.Address(), "seqno")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ton.IntResult(res, 0); err != nil || n.Int64() != 1 {
		t.Errorf("admin wallet seqno %v, %v; want 1", n, err)
	}
}

func mustAccount(t *testing.T, c ton.Chain, tn *tonNet) ton.Account {
	t.Helper()
	acc, err := c.Account(context.Background(), tn.root)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// BenchmarkAccountRead compares reading the root's account from the
// emulated chain directly and through the devnet's locked view, which
// copies its cells.
func BenchmarkAccountRead(b *testing.B) {
	ctx := context.Background()
	keys, err := loadKeys("", 1)
	if err != nil {
		b.Fatal(err)
	}
	tn, err := openChain(ctx, "", "", keys, "127.0.0.1:1 127.0.0.1:2")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		chain ton.Chain
	}{{"direct", tn.chain}, {"locked", tn.view}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.chain.Account(ctx, tn.root); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
