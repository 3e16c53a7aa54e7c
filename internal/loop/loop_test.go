package loop

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		var at []time.Duration
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			Every(ctx, time.Second, func(context.Context) { at = append(at, time.Since(start)) })
		}()
		time.Sleep(3500 * time.Millisecond)
		cancel()
		<-ended
		if len(at) != 3 || at[0] != time.Second || at[2] != 3*time.Second {
			t.Errorf("called at %v, want at 1s, 2s and 3s", at)
		}
	})
}

func TestEveryWhile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		calls := 0
		time.AfterFunc(2500*time.Millisecond, func() { close(done) })
		if err := EveryWhile(t.Context(), done, time.Second, func(context.Context) { calls++ }); err != nil || calls != 2 {
			t.Errorf("done closed after 2.5 s: %v after %d calls, want nil after 2", err, calls)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		if err := EveryWhile(ctx, nil, time.Second, func(context.Context) {}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ctx ended: got %v, want its error", err)
		}
	})
}
