package proxy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cocoon-go/cocoon/internal/billing"
)

// setEarned sets the proxy contract's balance field on the fake chain.
func (f *fakeChain) setEarned(v billing.NanoTON) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.earned = v
}

func (f *fakeChain) withdrawCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.withdrawals
}

func TestWithdrawThreshold(t *testing.T) {
	tests := []struct {
		name   string
		earned billing.NanoTON
		want   bool
	}{
		{"nothing earned", 0, false},
		{"below the threshold", 999, false},
		{"at the threshold", 1000, true},
		{"above the threshold", 5000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := newChainProxy(t, `,"withdraw_threshold_nano":1000`)
			cp.chain.setEarned(tt.earned)
			cp.pollChain(t.Context())
			want := 0
			if tt.want {
				want = 1
			}
			if got := cp.chain.withdrawCount(); got != want {
				t.Fatalf("withdrawals requested with %d earned = %d, want %d", tt.earned, got, want)
			}
			s := cp.Snapshot().Chain
			if s.Earned != int64(tt.earned) || s.WithdrawalsRequested != int64(want) || s.WithdrawalInFlight != tt.want {
				t.Errorf("chain stats = %+v, want earned %d, %d withdrawals, in flight %v", s, tt.earned, want, tt.want)
			}
			if tt.want && (s.LastWithdrawal != int64(tt.earned) || s.LastWithdrawalAt.IsZero()) {
				t.Errorf("last withdrawal %d at %v, want %d at the poll", s.LastWithdrawal, s.LastWithdrawalAt, tt.earned)
			}
			if !tt.want && (s.LastWithdrawal != 0 || !s.LastWithdrawalAt.IsZero()) {
				t.Errorf("last withdrawal %d at %v, want none", s.LastWithdrawal, s.LastWithdrawalAt)
			}
		})
	}
}

func TestWithdrawDefaultThreshold(t *testing.T) {
	cp := newChainProxy(t, "")
	if got := cp.cfg.WithdrawThresholdNano; got != int64(10*billing.TON) {
		t.Fatalf("default withdraw threshold = %d, want 10 TON", got)
	}
	cp.chain.setEarned(10*billing.TON - 1)
	cp.pollChain(t.Context())
	if got := cp.chain.withdrawCount(); got != 0 {
		t.Errorf("withdrawals below 10 TON = %d, want 0", got)
	}
	cp.chain.setEarned(10 * billing.TON)
	cp.pollChain(t.Context())
	if got := cp.chain.withdrawCount(); got != 1 {
		t.Errorf("withdrawals at 10 TON = %d, want 1", got)
	}
}

func TestWithdrawInFlightNotResent(t *testing.T) {
	cp := newChainProxy(t, `,"withdraw_threshold_nano":500`)
	poll := func(want int, inFlight bool) {
		t.Helper()
		cp.pollChain(t.Context())
		if got := cp.chain.withdrawCount(); got != want {
			t.Fatalf("withdrawals requested = %d, want %d", got, want)
		}
		if got := cp.Snapshot().Chain.WithdrawalInFlight; got != inFlight {
			t.Fatalf("withdrawal in flight = %v, want %v", got, inFlight)
		}
	}
	cp.chain.setEarned(1000)
	poll(1, true)
	// The balance field does not show it, and even grows: no resend for
	// resubmitPolls polls in all.
	cp.chain.setEarned(1200)
	for range resubmitPolls - 1 {
		poll(1, true)
	}
	// Then it is requested again, for what the contract now holds.
	poll(2, true)
	if got := cp.Snapshot().Chain.LastWithdrawal; got != 1200 {
		t.Errorf("last withdrawal after the resend = %d, want 1200", got)
	}
	// The payout lands: the balance field falls below the request.
	cp.chain.setEarned(0)
	poll(2, false)
	cp.chain.setEarned(499)
	poll(2, false)
	cp.chain.setEarned(800)
	poll(3, true)
	// It lands while new commission already reaches the threshold: that is
	// requested at once.
	cp.chain.setEarned(600)
	poll(4, true)
	s := cp.Snapshot().Chain
	if s.WithdrawalsRequested != 4 || s.LastWithdrawal != 600 || s.Earned != 600 || s.Errors != 0 {
		t.Errorf("chain stats = %+v, want 4 withdrawals, the last of 600, 600 earned, no errors", s)
	}
}

func TestWithdrawChainErrorsRetried(t *testing.T) {
	cp := newChainProxy(t, `,"withdraw_threshold_nano":100`)
	cp.chain.setEarned(700)
	cp.chain.earnedErr = errors.New("liteserver timeout")
	cp.pollChain(t.Context())
	if s := cp.Snapshot().Chain; cp.chain.withdrawCount() != 0 || s.Errors != 1 || !strings.Contains(s.LastError, "earnings") {
		t.Fatalf("after a failed read: %d withdrawals, stats %+v; want none and 1 error naming the earnings", cp.chain.withdrawCount(), s)
	}
	cp.chain.earnedErr = nil
	cp.chain.withdrawErr = errors.New("wallet seqno mismatch")
	cp.pollChain(t.Context())
	s := cp.Snapshot().Chain
	if s.Errors != 2 || !strings.Contains(s.LastError, "wallet seqno mismatch") || s.WithdrawalsRequested != 0 || s.WithdrawalInFlight {
		t.Fatalf("after a failed withdrawal: stats %+v; want 2 errors, the last named, no withdrawal in flight", s)
	}
	// The next poll after the chain recovers asks for all of it.
	cp.chain.withdrawErr = nil
	cp.pollChain(t.Context())
	s = cp.Snapshot().Chain
	if cp.chain.withdrawCount() != 1 || s.WithdrawalsRequested != 1 || s.LastWithdrawal != 700 || !s.WithdrawalInFlight {
		t.Errorf("after recovery: %d withdrawals, stats %+v; want one of the 700 earned, in flight", cp.chain.withdrawCount(), s)
	}
}

func TestRunWithdrawsEarnings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cp := newChainProxy(t, `,"chain_commit_every":"1m","chain_poll_every":"1s","withdraw_threshold_nano":100`)
		cp.chain.payOnWithdraw = true
		cp.chain.setEarned(250)
		workers, clients := newFakeListener(), newFakeListener()
		stop := startRun(t, cp.Proxy, workers, clients)
		<-clients.accepted
		started := time.Now()
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		if got := cp.chain.withdrawCount(); got != 1 {
			t.Fatalf("withdrawals after a poll = %d, want 1", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		b, err := json.Marshal(cp.Snapshot().Chain)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Earned   string    `json:"earned_nano"`
			Count    int64     `json:"withdrawals_requested"`
			Last     string    `json:"last_withdrawal_nano"`
			At       time.Time `json:"last_withdrawal_at"`
			InFlight bool      `json:"withdrawal_in_flight"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if s.Earned != "0" || s.Count != 1 || s.Last != "250" || s.InFlight || s.At.Before(started) {
			t.Errorf("chain stats JSON %s: want 0 earned, one withdrawal of \"250\" at the poll, landed", b)
		}
		stop()
	})
}
