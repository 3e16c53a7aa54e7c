// Package loop runs a node's periodic work: a root read, a contract
// check, a payout, a sample, a payment poll, each every so often until
// the node stops. It is pure scheduling on the standard library's
// tickers, so that tests drive it with testing/synctest.
package loop

import (
	"context"
	"time"
)

// Every calls f every d, the first time d from now, until ctx ends; it
// runs in the caller's goroutine.
func Every(ctx context.Context, d time.Duration, f func(context.Context)) {
	_ = EveryWhile(ctx, nil, d, f)
}

// EveryWhile calls f every d, the first time d from now, while ctx lasts
// and done is open (a nil done never closes): it returns ctx's error once
// ctx ends, or nil once done is closed.
func EveryWhile(ctx context.Context, done <-chan struct{}, d time.Duration, f func(context.Context)) error {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return nil
		case <-t.C:
			f(ctx)
		}
	}
}
