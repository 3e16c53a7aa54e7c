package client

import (
	"time"

	"github.com/cocoon-go/cocoon/internal/obs"
)

// counters are the request counters of the stats pages, with the
// reference's key names.
type counters struct {
	queries, success, failed, seconds obs.Rate
}

func (c *counters) finished(now time.Time, ok bool, d time.Duration) {
	c.queries.Add(now, 1)
	if ok {
		c.success.Add(now, 1)
	} else {
		c.failed.Add(now, 1)
	}
	c.seconds.Add(now, d.Seconds())
}

// countersSnapshot is the "stats" object of /jsonstats.
type countersSnapshot struct {
	Queries obs.RateSnapshot `json:"queries"`
	Success obs.RateSnapshot `json:"success"`
	Failed  obs.RateSnapshot `json:"failed"`
	Time    obs.RateSnapshot `json:"time"`
}

func (c *counters) snapshot(now time.Time) countersSnapshot {
	return countersSnapshot{
		Queries: c.queries.Snapshot(now), Success: c.success.Snapshot(now),
		Failed: c.failed.Snapshot(now), Time: c.seconds.Snapshot(now),
	}
}
