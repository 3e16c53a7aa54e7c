package proxy

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cocoon-go/cocoon/internal/wire"
)

func idle(id uint64, coef int32) candidate {
	return candidate{id: id, enabled: true, capacity: 10, coefficient: coef}
}

func TestChoose(t *testing.T) {
	busy := idle(1, 1000)
	busy.running = 2
	busy.latency = time.Second
	fast := idle(2, 1000)
	fast.running = 2
	fast.latency = 100 * time.Millisecond
	full := idle(3, 1000)
	full.running = 10
	disabled := idle(4, 1000)
	disabled.enabled = false
	flaky := idle(5, 1000)
	flaky.failures = 9
	reliable := idle(6, 1000)
	reliable.successes = 9
	tests := []struct {
		name     string
		cands    []candidate
		maxCoef  int32
		skip     func(int) bool
		wantIdx  int
		wantCode int32
		wantMsg  string
	}{
		{name: "none", cands: nil, maxCoef: 4000, wantCode: wire.CodeProtoViolation, wantMsg: "no workers for model"},
		{name: "lower expected wait wins", cands: []candidate{busy, fast}, maxCoef: 4000, wantIdx: 1},
		{name: "idle beats busy", cands: []candidate{fast, idle(9, 1000)}, maxCoef: 4000, wantIdx: 1},
		{name: "full and disabled skipped", cands: []candidate{full, disabled, busy}, maxCoef: 4000, wantIdx: 2},
		{name: "only full", cands: []candidate{full}, maxCoef: 4000, wantCode: wire.CodeNotReady, wantMsg: "no ready workers"},
		{name: "coefficient too high", cands: []candidate{idle(1, 3000), idle(2, 2000)}, maxCoef: 1000, wantCode: wire.CodeNotReady, wantMsg: "can run this query with coefficient=2000"},
		{name: "reputation breaks tie", cands: []candidate{flaky, reliable}, maxCoef: 4000, wantIdx: 1},
		{name: "price breaks tie", cands: []candidate{idle(1, 2000), idle(2, 1500)}, maxCoef: 4000, wantIdx: 1},
		{name: "skip failed worker", cands: []candidate{idle(1, 1000), idle(2, 1500)}, maxCoef: 4000, skip: func(i int) bool { return i == 0 }, wantIdx: 1},
		{name: "all skipped", cands: []candidate{idle(1, 1000)}, maxCoef: 4000, skip: func(int) bool { return true }, wantCode: wire.CodeNotReady, wantMsg: "no ready workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s selector
			got, err := s.choose(tt.cands, tt.maxCoef, tt.skip)
			if tt.wantMsg != "" {
				var r *rejection
				if !errors.As(err, &r) || r.code != tt.wantCode || r.message != tt.wantMsg {
					t.Fatalf("choose error = %v, want code %d %q", err, tt.wantCode, tt.wantMsg)
				}
				return
			}
			if err != nil || got != tt.wantIdx {
				t.Fatalf("choose = %d, %v; want %d", got, err, tt.wantIdx)
			}
		})
	}
}

func TestChooseSpreadsIdleWorkers(t *testing.T) {
	cands := []candidate{idle(1, 1000), idle(2, 1000), busyAt(3), idle(4, 1000)}
	var s selector
	counts := map[int]int{}
	for range 300 {
		i, err := s.choose(cands, 4000, nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[i]++
	}
	for _, i := range []int{0, 1, 3} {
		if counts[i] != 100 {
			t.Errorf("idle worker %d chosen %d times of 300, want 100 (counts %v)", i, counts[i], counts)
		}
	}
	if counts[2] != 0 {
		t.Errorf("busy worker chosen %d times, want 0", counts[2])
	}
}

func busyAt(id uint64) candidate {
	c := idle(id, 1000)
	c.running = 1
	return c
}

func BenchmarkChoose1000(b *testing.B) {
	cands := make([]candidate, 1000)
	for i := range cands {
		cands[i] = candidate{
			id: uint64(i), enabled: i%10 != 0, running: i % 7, capacity: 6,
			coefficient: int32(1000 + i%5*100), latency: time.Duration(i%13) * 10 * time.Millisecond,
			successes: uint64(i % 50), failures: uint64(i % 3),
		}
	}
	var s selector
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.choose(cands, 1300, nil); err != nil {
			b.Fatal(fmt.Sprint(err))
		}
	}
}

func TestNewWorkerIsNotStarved(t *testing.T) {
	veteran := idle(1, 1000)
	veteran.successes = 50
	veteran.latency = 10 * time.Millisecond
	newcomer := idle(2, 1000)
	var s selector
	picked := map[int]int{}
	for range 10 {
		i, err := s.choose([]candidate{veteran, newcomer}, 4000, nil)
		if err != nil {
			t.Fatal(err)
		}
		picked[i]++
	}
	if picked[1] == 0 {
		t.Errorf("a new idle worker got none of 10 requests beside an idle veteran (%v)", picked)
	}
}
