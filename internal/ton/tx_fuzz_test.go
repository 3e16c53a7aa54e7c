package ton

import (
	"bytes"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

func addr(b byte) *address.Address {
	return address.NewAddress(0, 0, bytes.Repeat([]byte{b}, 32))
}

// sampleTx is a transaction skipped for lack of gas on a 5-nanoTON
// bounceable message.
func sampleTx(t testing.TB) *cell.Cell {
	in := &tlb.Message{MsgType: tlb.MsgTypeInternal, Msg: &tlb.InternalMessage{
		IHRDisabled: true, Bounce: true, SrcAddr: addr(1), DstAddr: addr(2),
		Amount: tlb.FromNanoTONU(5), Body: cell.BeginCell().MustStoreUInt(7, 32).EndCell(),
	}}
	tx := tlb.Transaction{
		AccountAddr: bytes.Repeat([]byte{2}, 32), LT: 100, PrevTxHash: make([]byte, 32), PrevTxLT: 90, Now: 1700000000,
		OrigStatus: tlb.AccountStatusActive, EndStatus: tlb.AccountStatusActive,
		StateUpdate: tlb.HashUpdate{OldHash: make([]byte, 32), NewHash: make([]byte, 32)},
		Description: tlb.TransactionDescriptionOrdinary{ComputePhase: tlb.ComputePhase{Phase: tlb.ComputePhaseSkipped{Reason: tlb.ComputeSkipReason{Type: tlb.ComputeSkipReasonNoGas}}}},
	}
	tx.IO.In = in
	c, err := tlb.ToCell(&tx)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTxFromTLB(t *testing.T) {
	var raw tlb.Transaction
	if err := tlb.Parse(&raw, sampleTx(t)); err != nil {
		t.Fatal(err)
	}
	tx, err := TxFromTLB(&raw)
	if err != nil {
		t.Fatal(err)
	}
	if tx.LT != 100 || tx.PrevLT != 90 || !tx.Skipped || tx.Success || tx.Now.Unix() != 1700000000 {
		t.Errorf("got LT %d prev %d skipped %v success %v at %v, want 100, 90, skipped, not successful, 1700000000", tx.LT, tx.PrevLT, tx.Skipped, tx.Success, tx.Now)
	}
	if tx.In == nil || tx.In.Kind != Internal || tx.In.Value != 5 || !tx.In.Bounce || !tx.In.Src.Equals(addr(1)) || len(tx.In.Hash) != 32 {
		t.Errorf("inbound message %+v, want a bounceable 5-nanoTON internal message from %s", tx.In, addr(1))
	}
	if len(tx.Out) != 0 {
		t.Errorf("%d outbound messages, want none", len(tx.Out))
	}
}

// FuzzTxFromTLB decodes transactions as a liteserver would hand them over
// and checks that TxFromTLB gives the same view before and after
// re-encoding.
func FuzzTxFromTLB(f *testing.F) {
	f.Add(sampleTx(f).ToBOC())
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := cell.FromBOC(raw)
		if err != nil {
			return
		}
		var first tlb.Transaction
		if err := tlb.Parse(&first, c); err != nil {
			return
		}
		a, err := TxFromTLB(&first)
		if err != nil {
			return
		}
		enc, err := tlb.ToCell(&first)
		if err != nil {
			return
		}
		var second tlb.Transaction
		if err := tlb.Parse(&second, enc); err != nil {
			t.Fatalf("decoding a re-encoded transaction: %v", err)
		}
		b, err := TxFromTLB(&second)
		if err != nil {
			t.Fatalf("viewing a re-encoded transaction: %v", err)
		}
		if a.LT != b.LT || a.PrevLT != b.PrevLT || a.Success != b.Success || a.Skipped != b.Skipped ||
			a.ExitCode != b.ExitCode || a.TotalFees != b.TotalFees || len(a.Out) != len(b.Out) || (a.In == nil) != (b.In == nil) {
			t.Fatalf("views differ after a round trip:\n%+v\n%+v", a, b)
		}
		if a.In != nil && (a.In.Value != b.In.Value || !bytes.Equal(a.In.Hash, b.In.Hash)) {
			t.Fatalf("inbound message differs after a round trip:\n%+v\n%+v", a.In, b.In)
		}
	})
}
