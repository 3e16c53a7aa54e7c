package proxy

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/cocoon-go/cocoon/internal/wire"
)

// rejection is a failure the proxy reports to its client with a TON error
// code.
type rejection struct {
	code    int32
	message string
}

func (r *rejection) Error() string { return r.message }

// candidate is what selection knows about one worker connection serving
// the requested model.
type candidate struct {
	id          uint64 // connection id, for a stable order among equals
	enabled     bool
	running     int // requests in flight on this connection
	capacity    int // per-proxy share of the worker's max_active_requests
	coefficient int32
	latency     time.Duration // moving average of request time; 0 without history
	successes   uint64
	failures    uint64
}

// latencyPrior stands in for the latency of a worker without history, so
// that its running requests still count against it.
const latencyPrior = time.Second

// reputationBuckets groups success rates so that rates closer than 1/20
// tie and leave the decision to price and spreading.
const reputationBuckets = 20

// expectedWait is the ranking's first key: the time the worker needs to
// finish what it is already running.
func (c *candidate) expectedWait() time.Duration {
	l := c.latency
	if l <= 0 {
		l = latencyPrior
	}
	return time.Duration(c.running) * l
}

// reputation is the success rate in buckets, higher is better. A worker
// starts with the benefit of the doubt, (successes+1)/(requests+1), so that
// a new worker ties with a flawless one and gets its share of the load
// instead of starving behind workers with a history.
func (c *candidate) reputation() int {
	rate := (float64(c.successes) + 1) / (float64(c.successes+c.failures) + 1)
	return int(math.Floor(rate * reputationBuckets))
}

// better reports whether a ranks strictly before b.
func better(a, b *candidate) bool {
	if wa, wb := a.expectedWait(), b.expectedWait(); wa != wb {
		return wa < wb
	}
	if ra, rb := a.reputation(), b.reputation(); ra != rb {
		return ra > rb
	}
	return a.coefficient < b.coefficient
}

// selector picks a worker for a request. Workers that rank equal take
// turns, so idle workers share the load instead of the oldest taking it
// all. It is safe for concurrent use.
type selector struct {
	turn atomic.Uint64
}

// choose returns the index in cands of the worker to run a request that
// accepts coefficients up to maxCoefficient, skipping indexes for which
// skip returns true (workers that already failed this request). cands are
// all connections serving the model.
func (s *selector) choose(cands []candidate, maxCoefficient int32, skip func(i int) bool) (int, error) {
	if len(cands) == 0 {
		return -1, &rejection{wire.CodeProtoViolation, "no workers for model"}
	}
	best := -1
	ties := 0
	minCoefficient := int32(math.MaxInt32)
	for i := range cands {
		c := &cands[i]
		if !c.enabled || c.running >= c.capacity || (skip != nil && skip(i)) {
			continue
		}
		if c.coefficient > maxCoefficient {
			minCoefficient = min(minCoefficient, c.coefficient)
			continue
		}
		switch {
		case best < 0 || better(c, &cands[best]):
			best, ties = i, 1
		case !better(&cands[best], c):
			ties++
		}
	}
	if best < 0 {
		if minCoefficient != math.MaxInt32 {
			return -1, &rejection{wire.CodeNotReady, fmt.Sprintf("can run this query with coefficient=%d", minCoefficient)}
		}
		return -1, &rejection{wire.CodeNotReady, "no ready workers"}
	}
	if ties == 1 {
		return best, nil
	}
	// Take the n-th of the equals, in index order.
	n := int(s.turn.Add(1) % uint64(ties))
	for i := best; i < len(cands); i++ {
		c := &cands[i]
		if !c.enabled || c.running >= c.capacity || (skip != nil && skip(i)) || c.coefficient > maxCoefficient {
			continue
		}
		if better(&cands[best], c) {
			continue
		}
		if n == 0 {
			return i, nil
		}
		n--
	}
	return best, nil
}
