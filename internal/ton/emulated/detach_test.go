package emulated

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/billing"
	"github.com/cocoon-go/cocoon/internal/contracts"
	"github.com/cocoon-go/cocoon/internal/ton"
)

// traced reports whether c or any cell below it carries a TVM trace.
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

// walk parses c and every cell below it, as a reader of chain state does.
func walk(c *cell.Cell) error {
	if c == nil {
		return nil
	}
	s, err := c.BeginParse()
	if err != nil {
		return err
	}
	if _, err := s.LoadSlice(s.BitsLeft()); err != nil {
		return err
	}
	for s.RefsNum() > 0 {
		ref, err := s.LoadRef()
		if err != nil {
			return err
		}
		rc, err := ref.ToCell()
		if err != nil {
			return err
		}
		if err := walk(rc); err != nil {
			return err
		}
	}
	return nil
}

// TestHandsOutDetachedCells reads and parses the root's state,
// transactions and get-method results while its owner changes it, and
// checks that no cell handed out carries a trace: under -race, a reader
// parsing a cell a TVM run touches is a data race.
func TestHandsOutDetachedCells(t *testing.T) {
	ctx := context.Background()
	c := newChain(t, "")
	owner := fundedOwner(t, c, 9, 100*billing.TON)
	start := contracts.RootConfig{Owner: owner.Address(), Version: 1, WorkerHashes: []contracts.Hash{hashOf(1)}, Params: params(t)}
	root := deploy(t, c, code(t, "root"), start, billing.TON)
	send := func(i int) error {
		body, err := contracts.RootRegisterProxyBody(uint64(i), fmt.Sprintf("10.1.1.%d:5222", i))
		if err != nil {
			return err
		}
		return owner.Send(ctx, c, time.Hour, ton.Transfer{To: root, Amount: billing.TON / 50, Bounce: true, Body: body, Mode: ton.ModePayFeesSeparately})
	}
	if err := send(1); err != nil {
		t.Fatal(err)
	}

	const sends = 10
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range sends {
			if err := send(2 + i); err != nil {
				errs <- err
				return
			}
		}
	})
	read := func() error {
		acc, err := c.Account(ctx, root)
		if err != nil {
			return err
		}
		if traced(acc.Code) || traced(acc.Data) {
			return errors.New("Account hands out a traced cell")
		}
		if err := walk(acc.Data); err != nil {
			return err
		}
		if _, err := ton.ReadRootConfig(ctx, c, root); err != nil {
			return err
		}
		txs, err := c.Transactions(ctx, root, 0, 100)
		if err != nil {
			return err
		}
		for _, tx := range txs {
			if tx.In == nil {
				continue
			}
			if traced(tx.In.Body) {
				return errors.New("Transactions hands out a traced body")
			}
			if err := walk(tx.In.Body); err != nil {
				return err
			}
		}
		res, err := c.RunGetMethod(ctx, root, "get_cocoon_data")
		if err != nil {
			return err
		}
		for _, v := range res {
			if cl, ok := v.(*cell.Cell); ok && traced(cl) {
				return errors.New("RunGetMethod hands out a traced cell")
			}
		}
		return nil
	}
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := read(); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := ton.ReadRootConfig(ctx, c, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Proxies) != sends+1 {
		t.Errorf("root lists %d proxies, want %d", len(r.Proxies), sends+1)
	}
}

// BenchmarkAccountRead measures reading an account: its code and data
// are copied once per transaction, not per read.
func BenchmarkAccountRead(b *testing.B) {
	ctx := context.Background()
	c := newChain(b, "")
	w := fundedWallet(b, c, 4, billing.TON)
	for b.Loop() {
		if _, err := c.Account(ctx, w.Address()); err != nil {
			b.Fatal(err)
		}
	}
}
