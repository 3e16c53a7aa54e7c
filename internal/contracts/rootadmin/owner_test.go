package rootadmin

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// fakeChain is the far side of awaitRootTx: a chain whose root shows
// txs from the given call of Transactions on.
type fakeChain struct {
	ton.Chain
	calls   int
	visible int
	txs     []ton.Tx
}

func (c *fakeChain) Transactions(_ context.Context, _ *address.Address, afterLT uint64, limit int) ([]ton.Tx, error) {
	c.calls++
	if c.calls < c.visible {
		return nil, nil
	}
	var out []ton.Tx
	for _, tx := range c.txs {
		if tx.LT > afterLT && len(out) < limit {
			out = append(out, tx)
		}
	}
	return out, nil
}

func testTx(t *testing.T, lt uint64, from *address.Address, op contracts.Op, queryID uint64) ton.Tx {
	t.Helper()
	body := cell.BeginCell().MustStoreUInt(uint64(op), 32).MustStoreUInt(queryID, 64).EndCell()
	return ton.Tx{LT: lt, Success: true, In: &ton.Message{Kind: ton.Internal, Src: from, Body: body}}
}

func TestAwaitRootTx(t *testing.T) {
	root := address.NewAddress(0, 0, bytes.Repeat([]byte{1}, 32))
	wallet := address.NewAddress(0, 0, bytes.Repeat([]byte{2}, 32))
	other := address.NewAddress(0, 0, bytes.Repeat([]byte{3}, 32))
	const op = contracts.OpAddProxyType
	txs := []ton.Tx{
		testTx(t, 10, wallet, op, 1),                     // before afterLT
		testTx(t, 11, other, op, 7),                      // another sender
		testTx(t, 12, wallet, op, 8),                     // another query
		testTx(t, 13, wallet, contracts.OpExcesses, 7),   // another op
		{LT: 14, In: &ton.Message{Kind: ton.ExternalIn}}, // an external
		testTx(t, 15, wallet, op, 7),                     // the answer
	}
	tests := []struct {
		name    string
		visible int
		poll    time.Duration
		wantLT  uint64
		wantErr string
	}{
		{"applied at once", 0, 0, 15, ""},
		{"after three polls", 3, 2 * time.Second, 15, ""},
		{"never on a chain that applies at once", 2, 0, 0, "the wallet sent nothing"},
		{"never within the timeout", 1 << 30, 2 * time.Second, 0, "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				c := &fakeChain{visible: tt.visible, txs: txs}
				start := time.Now()
				tx, err := awaitRootTx(ctx, c, root, wallet, 10, op, 7, tt.poll, slog.New(slog.DiscardHandler))
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrNoRootTx) {
						t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("awaitRootTx: %v", err)
				}
				if tx.LT != tt.wantLT {
					t.Errorf("got transaction lt %d, want %d", tx.LT, tt.wantLT)
				}
				if want := time.Duration(max(tt.visible-1, 0)) * tt.poll; time.Since(start) != want {
					t.Errorf("got the answer after %v, want %v", time.Since(start), want)
				}
			})
		})
	}
}

func TestRootOutcome(t *testing.T) {
	wallet := address.NewAddress(0, 0, bytes.Repeat([]byte{2}, 32))
	owner := address.NewAddress(0, 0, bytes.Repeat([]byte{3}, 32))
	tests := []struct {
		name string
		tx   ton.Tx
		want string // empty: success
	}{
		{"success", ton.Tx{Success: true}, ""},
		{"skipped", ton.Tx{Skipped: true}, "skipped"},
		{"action phase", ton.Tx{ExitCode: 0}, "action phase failed"},
		{"not the owner", ton.Tx{ExitCode: 1010}, "exit code 1010, expected_message_from_owner"},
		{"malformed", ton.Tx{ExitCode: 9}, "exit code 9, cell underflow"},
		{"unknown code", ton.Tx{ExitCode: 77}, "exit code 77, unknown code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := outcome(tt.tx, "add proxy hash", wallet, owner)
			if tt.want == "" {
				if err != nil {
					t.Errorf("got %v, want success", err)
				}
				return
			}
			wantError(t, err, tt.want)
		})
	}
}

// FuzzRootTxAnswers feeds the matcher arbitrary inbound bodies read from
// the chain: it must never panic, and a body that carries the awaited op
// and query id (whatever follows) must match.
func FuzzRootTxAnswers(f *testing.F) {
	body, err := contracts.RootHashBody(contracts.OpAddProxyType, 7, contracts.Hash{1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body.ToBOC(), uint32(contracts.OpAddProxyType), uint64(7))
	f.Add([]byte{}, uint32(0), uint64(0))
	f.Add(cell.BeginCell().MustStoreUInt(1, 8).EndCell().ToBOC(), uint32(1), uint64(1))
	wallet := address.NewAddress(0, 0, bytes.Repeat([]byte{2}, 32))
	f.Fuzz(func(t *testing.T, boc []byte, op uint32, queryID uint64) {
		if c, err := cell.FromBOC(boc); err == nil {
			tx := ton.Tx{In: &ton.Message{Kind: ton.Internal, Src: wallet, Body: c}}
			got := answers(tx, wallet, contracts.Op(op), queryID)
			s, err := c.BeginParse()
			if err != nil {
				return
			}
			gotOp, errOp := s.LoadUInt(32)
			gotQuery, errQuery := s.LoadUInt(64)
			if want := errOp == nil && errQuery == nil && uint32(gotOp) == op && gotQuery == queryID; got != want {
				t.Errorf("answers = %v, want %v", got, want)
			}
		}
		// A body with the op and query id and then anything matches.
		b := cell.BeginCell().MustStoreUInt(uint64(op), 32).MustStoreUInt(queryID, 64)
		if len(boc) <= 100 {
			b.MustStoreSlice(boc, uint(8*len(boc)))
		}
		tx := ton.Tx{In: &ton.Message{Kind: ton.Internal, Src: wallet, Body: b.EndCell()}}
		if !answers(tx, wallet, contracts.Op(op), queryID) {
			t.Errorf("a body with op %#x and query id %d does not match", op, queryID)
		}
	})
}
