package devnet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/cocoon-go/cocoon/internal/ton"
	"github.com/cocoon-go/cocoon/internal/ton/emulated"
)

// lockedChain is how a devnet's nodes and tests use the emulated chain:
// one operation at a time, and every cell it returns a detached copy.
// The emulated chain hands out the very cells its TVM runs produced and
// consumed, to which tonutils-go attaches the run's cell-load accounting
// (a cell trace); parsing such a cell while the chain runs the next
// message races inside tonutils-go. A copy made while no message runs
// carries no trace.
type lockedChain struct {
	// mu is held for each whole operation, copies included.
	mu sync.Mutex
	c  *emulated.Chain
}

var _ ton.Chain = (*lockedChain)(nil)

// detach copies a cell through its BoC; nil stays nil.
func detach(c *cell.Cell) (*cell.Cell, error) {
	if c == nil {
		return nil, nil
	}
	d, err := cell.FromBOC(c.ToBOC())
	if err != nil {
		return nil, fmt.Errorf("copying a cell: %w", err)
	}
	return d, nil
}

// Account returns the state of addr with its code and data copied.
func (l *lockedChain) Account(ctx context.Context, addr *address.Address) (ton.Account, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acc, err := l.c.Account(ctx, addr)
	if err != nil {
		return ton.Account{}, err
	}
	if acc.Code, err = detach(acc.Code); err != nil {
		return ton.Account{}, err
	}
	if acc.Data, err = detach(acc.Data); err != nil {
		return ton.Account{}, err
	}
	return acc, nil
}

// RunGetMethod runs a get-method; cells among the results are copied.
func (l *lockedChain) RunGetMethod(ctx context.Context, addr *address.Address, method string, args ...any) ([]any, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	res, err := l.c.RunGetMethod(ctx, addr, method, args...)
	if err != nil {
		return nil, err
	}
	return detachValues(res)
}

func detachValues(vs []any) ([]any, error) {
	out := make([]any, len(vs))
	for i, v := range vs {
		switch v := v.(type) {
		case *cell.Cell:
			c, err := detach(v)
			if err != nil {
				return nil, err
			}
			out[i] = c
		case *cell.Slice:
			c, err := v.ToCell()
			if err != nil {
				return nil, fmt.Errorf("copying a slice: %w", err)
			}
			if c, err = detach(c); err != nil {
				return nil, err
			}
			if out[i], err = c.BeginParse(); err != nil {
				return nil, fmt.Errorf("copying a slice: %w", err)
			}
		case []any:
			t, err := detachValues(v)
			if err != nil {
				return nil, err
			}
			out[i] = t
		default:
			out[i] = v
		}
	}
	return out, nil
}

// SendExternal applies an external message and all it causes.
func (l *lockedChain) SendExternal(ctx context.Context, msg *tlb.ExternalMessage) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.SendExternal(ctx, msg)
}

// Transactions lists transactions, each rebuilt from a copy of its cell.
func (l *lockedChain) Transactions(ctx context.Context, addr *address.Address, afterLT uint64, limit int) ([]ton.Tx, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	txs, err := l.c.Transactions(ctx, addr, afterLT, limit)
	if err != nil {
		return nil, err
	}
	for i, tx := range txs {
		c, err := tlb.ToCell(tx.Raw)
		if err != nil {
			return nil, fmt.Errorf("copying a transaction: %w", err)
		}
		if c, err = detach(c); err != nil {
			return nil, err
		}
		s, err := c.BeginParse()
		if err != nil {
			return nil, fmt.Errorf("copying a transaction: %w", err)
		}
		var raw tlb.Transaction
		if err := tlb.LoadFromCell(&raw, s); err != nil {
			return nil, fmt.Errorf("copying a transaction: %w", err)
		}
		raw.Hash = tx.Raw.Hash
		if txs[i], err = ton.TxFromTLB(&raw); err != nil {
			return nil, err
		}
	}
	return txs, nil
}

// Now returns the chain's clock.
func (l *lockedChain) Now(ctx context.Context) (time.Time, error) {
	return l.c.Now(ctx)
}
