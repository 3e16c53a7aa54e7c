package ton

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
)

// historyChain is a Chain that only has a growing transaction history.
type historyChain struct {
	mu   sync.Mutex
	lts  []uint64
	fail error
}

func (h *historyChain) add(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range n {
		h.lts = append(h.lts, uint64(len(h.lts)+1)*10)
	}
}

func (h *historyChain) failNext(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fail = err
}

func (h *historyChain) Transactions(_ context.Context, _ *address.Address, afterLT uint64, limit int) ([]Tx, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.fail; err != nil {
		h.fail = nil
		return nil, err
	}
	var out []Tx
	for _, lt := range h.lts {
		if lt > afterLT && len(out) < limit {
			out = append(out, Tx{LT: lt})
		}
	}
	return out, nil
}

func (h *historyChain) Account(context.Context, *address.Address) (Account, error) {
	return Account{}, ErrNotFound
}

func (h *historyChain) RunGetMethod(context.Context, *address.Address, string, ...any) ([]any, error) {
	return nil, ErrNotFound
}

func (h *historyChain) SendExternal(context.Context, *tlb.ExternalMessage) error {
	return errors.New("read-only")
}

func (h *historyChain) Now(context.Context) (time.Time, error) { return time.Time{}, nil }

func TestWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &historyChain{}
		h.add(3)
		ctx, cancel := context.WithCancel(t.Context())
		var (
			mu  sync.Mutex
			got []uint64
		)
		seen := func() []uint64 {
			mu.Lock()
			defer mu.Unlock()
			return append([]uint64(nil), got...)
		}
		done := make(chan error, 1)
		go func() {
			done <- Watch(ctx, h, addr(1), 10, time.Second, nil, func(tx Tx) error {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, tx.LT)
				return nil
			})
		}()
		synctest.Wait()
		if s := seen(); len(s) != 2 || s[0] != 20 || s[1] != 30 {
			t.Fatalf("first poll delivered %v, want [20 30]", s)
		}

		h.add(250)
		time.Sleep(time.Second)
		synctest.Wait()
		s := seen()
		if len(s) != 252 {
			t.Fatalf("after 250 more: delivered %d, want 252", len(s))
		}
		for i := 1; i < len(s); i++ {
			if s[i] != s[i-1]+10 {
				t.Fatalf("delivery %d is LT %d after %d, want each once in order", i, s[i], s[i-1])
			}
		}

		h.failNext(errors.New("liteserver down"))
		h.add(1)
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(seen()); n != 252 {
			t.Fatalf("delivered %d during an error, want 252", n)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := len(seen()); n != 253 {
			t.Fatalf("delivered %d after the error passed, want 253", n)
		}

		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v, want context.Canceled", err)
		}
	})
}

func TestWatchStopsOnCallbackError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &historyChain{}
		h.add(5)
		stop := errors.New("stop here")
		calls := 0
		err := Watch(t.Context(), h, addr(1), 0, time.Second, nil, func(tx Tx) error {
			calls++
			if tx.LT == 30 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 3 {
			t.Errorf("got %v after %d calls, want the callback's error after 3", err, calls)
		}
		if err := Watch(t.Context(), h, addr(1), 0, 0, nil, func(Tx) error { return nil }); err == nil {
			t.Error("interval 0 accepted, want an error")
		}
	})
}
