package web

import (
	"context"
	"sync"
	"time"

	"github.com/cocoon-go/cocoon/internal/loop"
)

// The charts' samples: one every SampleEvery, the last SeriesLen of them
// kept, which is one hour (a Site may sample faster, as the devnet's
// tests do, and then keeps less time). The ring is the whole of the
// memory the charts take: SeriesLen samples of four numbers and a time
// per node.
const (
	SampleEvery = 10 * time.Second
	SeriesLen   = 360
)

// sample is a node's running totals at one moment.
type sample struct {
	at time.Time
	c  counters
}

// series keeps the last SeriesLen samples of a node's counters in a ring.
type series struct {
	read  func() counters
	now   func() time.Time
	every time.Duration

	// mu guards ring, next and n.
	mu   sync.Mutex
	ring [SeriesLen]sample
	next int // where the next sample goes
	n    int // samples held, at most SeriesLen
}

func newSeries(read func() counters, now func() time.Time, every time.Duration) *series {
	return &series{read: read, now: now, every: every}
}

// take records one sample now.
func (s *series) take() {
	smp := sample{at: s.now(), c: s.read()}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring[s.next] = smp
	s.next = (s.next + 1) % SeriesLen
	s.n = min(s.n+1, SeriesLen)
}

// run samples at once and then every s.every until ctx ends.
func (s *series) run(ctx context.Context) {
	s.take()
	loop.Every(ctx, s.every, func(context.Context) { s.take() })
}

// samples returns the samples held, oldest first.
func (s *series) samples() []sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sample, 0, s.n)
	for i := range s.n {
		out = append(out, s.ring[(s.next-s.n+i+SeriesLen)%SeriesLen])
	}
	return out
}

// Chart is what the charts draw: per interval between two samples, its
// end (Unix seconds), the requests and tokens per second over it and the
// mean time to first answer byte of the answers that started in it, in
// milliseconds (nil where none did). Rates are for drawing; amounts of
// money are never floats.
type Chart struct {
	Times           []int64    `json:"t"`
	RequestsPerSec  []float64  `json:"rps"`
	TokensPerSec    []float64  `json:"tps"`
	FirstAnswerMsec []*float64 `json:"ttft_ms"`
}

// chart turns the samples into per-interval rates. A counter that went
// down (a restarted source) counts as a fresh start at zero.
func chart(list []sample) Chart {
	c := Chart{Times: []int64{}, RequestsPerSec: []float64{}, TokensPerSec: []float64{}, FirstAnswerMsec: []*float64{}}
	for i := 1; i < len(list); i++ {
		a, b := list[i-1], list[i]
		dt := b.at.Sub(a.at).Seconds()
		if dt <= 0 {
			continue
		}
		req := grow(a.c.requests, b.c.requests)
		tok := grow(float64(a.c.tokens), float64(b.c.tokens))
		ans := grow(a.c.answers, b.c.answers)
		sec := grow(a.c.answerSeconds, b.c.answerSeconds)
		c.Times = append(c.Times, b.at.Unix())
		c.RequestsPerSec = append(c.RequestsPerSec, req/dt)
		c.TokensPerSec = append(c.TokensPerSec, tok/dt)
		var ttft *float64
		if ans > 0 {
			ms := sec / ans * 1000
			ttft = &ms
		}
		c.FirstAnswerMsec = append(c.FirstAnswerMsec, ttft)
	}
	return c
}

// grow is how much a running total grew from a to b.
func grow(a, b float64) float64 {
	if b < a {
		return b
	}
	return b - a
}

// rate is the growth of tokens per second over the samples of the last
// window, as whole tokens and seconds: (tokens, seconds, ok).
func tokenRate(list []sample, window time.Duration) (int64, int64, bool) {
	if len(list) < 2 {
		return 0, 0, false
	}
	last := list[len(list)-1]
	first := list[0]
	for _, s := range list {
		if last.at.Sub(s.at) <= window {
			first = s
			break
		}
	}
	secs := int64(last.at.Sub(first.at) / time.Second)
	if secs <= 0 {
		return 0, 0, false
	}
	return int64(grow(float64(first.c.tokens), float64(last.c.tokens))), secs, true
}
