package emulated

import (
	"bytes"
	"context"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// BenchmarkWalletTransfer measures one v5r1 external with its transfer:
// two transactions (wallet, destination) on the TVM.
func BenchmarkWalletTransfer(b *testing.B) {
	ctx := context.Background()
	c := newChain(b, "")
	w := fundedWallet(b, c, 8, 1_000_000*billing.TON)
	dst := address.NewAddress(0, 0, bytes.Repeat([]byte{0xee}, 32))
	for i := 0; b.Loop(); i++ {
		ext, err := w.External(ctx, uint32(i), ton.Transfer{To: dst, Amount: 1})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.SendExternal(ctx, ext); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRootGetter measures get_cocoon_data on a deployed root.
func BenchmarkRootGetter(b *testing.B) {
	ctx := context.Background()
	c := newChain(b, "")
	root := contracts.RootConfig{Owner: addr(1), Version: 1, WorkerHashes: []contracts.Hash{hashOf(1)}, Params: params(b)}
	a := deploy(b, c, code(b, "root"), root, billing.TON)
	for b.Loop() {
		if _, err := c.RunGetMethod(ctx, a, "get_cocoon_data"); err != nil {
			b.Fatal(err)
		}
	}
}
