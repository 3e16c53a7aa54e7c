package obs

import (
	"math"
	"sync"
	"time"
)

// ratePeriods are the decay windows of the reference's AmortCounterList:
// 1 s, 10 s, 1 min, 10 min, 1 h and 1 day.
var ratePeriods = [...]time.Duration{time.Second, 10 * time.Second, time.Minute, 10 * time.Minute, time.Hour, 24 * time.Hour}

// RateNames are the JSON keys of the decayed values, in ratePeriods order.
var RateNames = [...]string{"1s", "10s", "1m", "10m", "1h", "1d"}

// Rate counts events: a running total plus, for each period, an
// exponentially decayed sum divided by the period, which is a per-second
// rate. The caller passes the time of every event and reading, so tests
// control the clock. A Rate is safe for concurrent use.
type Rate struct {
	mu      sync.Mutex // guards the fields below
	total   float64
	decayed [len(ratePeriods)]float64
	last    time.Time
}

// Add records v at time now.
func (r *Rate) Add(now time.Time, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
	r.total += v
	for i := range r.decayed {
		r.decayed[i] += v
	}
}

// advance decays the sums from r.last to now. Time going backwards is
// treated as no time passing.
func (r *Rate) advance(now time.Time) {
	if !r.last.IsZero() && now.After(r.last) {
		dt := now.Sub(r.last).Seconds()
		for i, p := range ratePeriods {
			r.decayed[i] *= math.Exp(-dt / p.Seconds())
		}
	}
	if r.last.IsZero() || now.After(r.last) {
		r.last = now
	}
}

// RateSnapshot is a Rate as read at one moment.
type RateSnapshot struct {
	Total float64            `json:"total"`
	Rates map[string]float64 `json:"rates"`
}

// Snapshot reads the total and the per-second rates at time now.
func (r *Rate) Snapshot(now time.Time) RateSnapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
	s := RateSnapshot{Total: r.total, Rates: make(map[string]float64, len(ratePeriods))}
	for i, p := range ratePeriods {
		s.Rates[RateNames[i]] = r.decayed[i] / p.Seconds()
	}
	return s
}

// RequestRates are the request counters of a role's stats pages, under
// the reference's names: queries, success, failed and time (seconds spent),
// plus the answers whose first byte went out and the seconds each took to
// get there (their ratio is the time to first token). They are safe for
// concurrent use.
type RequestRates struct {
	queries, success, failed, seconds Rate
	firstAnswers, firstSeconds        Rate
}

// Finished records one request that ended at now after d.
func (c *RequestRates) Finished(now time.Time, ok bool, d time.Duration) {
	c.queries.Add(now, 1)
	if ok {
		c.success.Add(now, 1)
	} else {
		c.failed.Add(now, 1)
	}
	c.seconds.Add(now, d.Seconds())
}

// FirstAnswer records that a request's first answer byte went out at now,
// d after the request arrived.
func (c *RequestRates) FirstAnswer(now time.Time, d time.Duration) {
	c.firstAnswers.Add(now, 1)
	c.firstSeconds.Add(now, d.Seconds())
}

// RequestRatesSnapshot is RequestRates as read at one moment.
type RequestRatesSnapshot struct {
	Queries RateSnapshot `json:"queries"`
	Success RateSnapshot `json:"success"`
	Failed  RateSnapshot `json:"failed"`
	Time    RateSnapshot `json:"time"`
	// FirstAnswers counts answers whose first byte went out;
	// FirstAnswerTime sums the seconds they took to get there.
	FirstAnswers    RateSnapshot `json:"first_answers"`
	FirstAnswerTime RateSnapshot `json:"first_answer_time"`
}

// Snapshot reads the counters at now.
func (c *RequestRates) Snapshot(now time.Time) RequestRatesSnapshot {
	return RequestRatesSnapshot{
		Queries: c.queries.Snapshot(now), Success: c.success.Snapshot(now),
		Failed: c.failed.Snapshot(now), Time: c.seconds.Snapshot(now),
		FirstAnswers: c.firstAnswers.Snapshot(now), FirstAnswerTime: c.firstSeconds.Snapshot(now),
	}
}
