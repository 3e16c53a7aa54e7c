package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// MaxRequests bounds one load run: its latencies are kept in memory.
const MaxRequests = 10_000_000

// MaxConcurrency bounds the connections one load run opens at once.
const MaxConcurrency = 10_000

// DefaultRequestTimeout bounds one request of a load run.
const DefaultRequestTimeout = time.Minute

// LoadOptions describe one load run.
type LoadOptions struct {
	// URL is the full address requests are POSTed to; its host must be a
	// loopback address.
	URL string
	// Body is the request body, sent as application/json.
	Body []byte
	// Requests is the number of requests to send (at least 1).
	Requests int
	// Concurrency is the number of requests in flight at once (at least 1).
	Concurrency int
	// KeepAlive reuses connections; off, every request opens a fresh one,
	// as hey -disable-keepalive does.
	KeepAlive bool
	// RequestTimeout bounds each request (default DefaultRequestTimeout).
	RequestTimeout time.Duration
}

func (o *LoadOptions) check() error {
	u, err := url.Parse(o.URL)
	if err != nil {
		return fmt.Errorf("parsing the target URL: %w", err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("target %q: only http is supported", o.URL)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("target %q: the load generator targets loopback addresses only", o.URL)
	}
	if o.Requests < 1 || o.Requests > MaxRequests {
		return fmt.Errorf("requests %d outside [1, %d]", o.Requests, MaxRequests)
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		return fmt.Errorf("concurrency %d outside [1, %d]", o.Concurrency, MaxConcurrency)
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Tally accumulates the outcome of load runs against one target.
type Tally struct {
	// Latencies holds the latency of every successful request, from
	// sending the request to reading the last byte of the answer.
	Latencies []time.Duration
	// Errors counts failed requests: transport errors, statuses other
	// than 200 and answers cut short.
	Errors int
	// FirstError describes the first failure seen, if any.
	FirstError string
	// Bytes counts answer body bytes of successful requests.
	Bytes int64
	// Elapsed is the wall time of the runs.
	Elapsed time.Duration
	// CPU is the process CPU time spent during the runs, if measured.
	CPU time.Duration
}

// Add merges another tally into t.
func (t *Tally) Add(o Tally) {
	t.Latencies = append(t.Latencies, o.Latencies...)
	t.Errors += o.Errors
	if t.FirstError == "" {
		t.FirstError = o.FirstError
	}
	t.Bytes += o.Bytes
	t.Elapsed += o.Elapsed
	t.CPU += o.CPU
}

// Stats are the figures of one target, as `cocoon bench --json` prints them.
type Stats struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50Ms    float64 `json:"p50_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P99Ms    float64 `json:"p99_ms"`
	// BytesPerRequest is the mean answer size, a check that both paths
	// carried the same stream.
	BytesPerRequest float64 `json:"bytes_per_request"`
	// CPUMsPerRequest is process CPU time per successful request, the
	// load generator and the backend included.
	CPUMsPerRequest float64 `json:"cpu_ms_per_request"`
	FirstError      string  `json:"first_error,omitempty"`
}

// Stats computes the figures of t.
func (t *Tally) Stats() Stats {
	ok := len(t.Latencies)
	s := Stats{Requests: ok, Errors: t.Errors, Seconds: t.Elapsed.Seconds(), FirstError: t.FirstError}
	if ok == 0 {
		return s
	}
	sorted := slices.Clone(t.Latencies)
	slices.Sort(sorted)
	s.P50Ms = ms(percentile(sorted, 50))
	s.P90Ms = ms(percentile(sorted, 90))
	s.P99Ms = ms(percentile(sorted, 99))
	if t.Elapsed > 0 {
		s.RPS = float64(ok) / t.Elapsed.Seconds()
	}
	s.BytesPerRequest = float64(t.Bytes) / float64(ok)
	s.CPUMsPerRequest = ms(t.CPU) / float64(ok)
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile returns the nearest-rank p-th percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// Load sends opts.Requests POST requests with opts.Concurrency in flight
// and reads every answer to its end. It returns when all are done or ctx
// ends; a cancelled run returns what it measured with ctx's error.
func Load(ctx context.Context, opts LoadOptions) (Tally, error) {
	if err := opts.check(); err != nil {
		return Tally{}, fmt.Errorf("starting a load run: %w", err)
	}
	tr := &http.Transport{
		DisableKeepAlives:   !opts.KeepAlive,
		DisableCompression:  true,
		MaxIdleConnsPerHost: opts.Concurrency,
		DialContext:         (&net.Dialer{Timeout: opts.RequestTimeout}).DialContext,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: opts.RequestTimeout}

	latencies := make([]time.Duration, opts.Requests)
	okAt := make([]bool, opts.Requests)
	var (
		next  atomic.Int64
		bytes atomic.Int64
		mu    sync.Mutex // guards errs and first
		errs  int
		first string
	)
	concurrency := min(opts.Concurrency, opts.Requests)
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= opts.Requests || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				n, err := send(ctx, hc, opts)
				if err != nil {
					mu.Lock()
					errs++
					if first == "" {
						first = err.Error()
					}
					mu.Unlock()
					continue
				}
				latencies[i] = time.Since(t0)
				okAt[i] = true
				bytes.Add(n)
			}
		})
	}
	wg.Wait()
	t := Tally{Errors: errs, FirstError: first, Bytes: bytes.Load(), Elapsed: time.Since(start)}
	t.Latencies = make([]time.Duration, 0, opts.Requests)
	for i, ok := range okAt {
		if ok {
			t.Latencies = append(t.Latencies, latencies[i])
		}
	}
	if err := ctx.Err(); err != nil {
		return t, fmt.Errorf("load run cut short: %w", err)
	}
	return t, nil
}

// send makes one request and reads its answer to the end, returning the
// answer's size.
func send(ctx context.Context, hc *http.Client, opts LoadOptions) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, opts.URL, bytes.NewReader(opts.Body))
	if err != nil {
		return 0, fmt.Errorf("building a request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("sending a request: %w", err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		return n, fmt.Errorf("reading an answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return n, fmt.Errorf("answer status %s", res.Status)
	}
	if n == 0 {
		return 0, errors.New("empty answer")
	}
	return n, nil
}
