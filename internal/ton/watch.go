package ton

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/xssnick/tonutils-go/address"
)

// watchPage is how many transactions Watch asks for at once.
const watchPage = 100

// Watch polls addr every interval and calls fn with each transaction after
// afterLT, oldest first, exactly once, until ctx ends or fn fails. Chain
// errors are logged and retried at the next tick; the transaction that
// was being delivered is delivered again. Watch returns ctx's error or
// fn's. It runs in the caller's goroutine.
func Watch(ctx context.Context, chain Chain, addr *address.Address, afterLT uint64, interval time.Duration, log *slog.Logger, fn func(Tx) error) error {
	if interval <= 0 {
		return fmt.Errorf("watching %s: interval %v, want positive", addr, interval)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	last := afterLT
	for {
		for {
			txs, err := chain.Transactions(ctx, addr, last, watchPage)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				log.Warn("listing transactions", "account", addr.StringRaw(), "after_lt", last, "error", err)
				break
			}
			for _, tx := range txs {
				if err := fn(tx); err != nil {
					return err
				}
				last = tx.LT
			}
			if len(txs) < watchPage {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
