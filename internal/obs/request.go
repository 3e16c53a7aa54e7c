package obs

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Request is what a role reports of one finished inference request: the
// metrics it feeds and the one log line it writes. It never holds the
// prompt or the completion.
type Request struct {
	// ID is the role's id of the request (the client's X-Request-Id, the
	// proxy's and worker's hex request id).
	ID string
	// Model is the model the request named; Worker the worker that
	// answered, as the proxy knows it (its address); empty elsewhere.
	Model, Worker string
	// Outcome is OutcomeSuccess, OutcomeFailed or OutcomeRejected; Status
	// the HTTP status the caller got (client) or the engine answered
	// (worker), 0 where there was none; Error a short reason for a
	// failure.
	Outcome string
	Status  int
	Error   string
	// Token counts as the answer's usage reported them.
	PromptTokens, CachedTokens, CompletionTokens, ReasoningTokens int64
	// Nano is the request's value in nanoTON: paid by the client, charged
	// by the proxy, earned by the worker.
	Nano int64
	// Queue is the wait before the request started on its way (the
	// worker's wait for the engine's head, the proxy's for a worker);
	// FirstToken the time from its arrival to the first answer byte;
	// Total to its last.
	Queue, FirstToken, Total time.Duration
}

// maxLabelValues bounds the distinct values of the model and worker
// labels: past it, new values count under otherLabel, so that callers
// naming made-up models cannot grow the metrics without bound.
const maxLabelValues = 64

// otherLabel stands for the values past maxLabelValues.
const otherLabel = "_other"

// labelSet keeps the first maxLabelValues values of a label.
type labelSet struct {
	mu   sync.Mutex // guards seen
	seen map[string]bool
}

func (s *labelSet) value(v string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[v] {
		return v
	}
	if len(s.seen) >= maxLabelValues {
		return otherLabel
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[v] = true
	return v
}

// requestMetrics are the per-request metrics of a role.
type requestMetrics struct {
	models, workers labelSet
	byModel         *prometheus.CounterVec   // outcome, model, worker
	tokens          *prometheus.CounterVec   // model, worker, kind
	nano            *prometheus.CounterVec   // model, worker, kind
	firstToken      *prometheus.HistogramVec // model, worker
	queue           *prometheus.HistogramVec // model, worker

	mu    sync.Mutex // guards tally
	tally map[string]*ModelRow
}

// ModelRow is one model's line of the /stats page: its requests by
// outcome, tokens and nanoTON since the start.
type ModelRow struct {
	Model                      string `json:"model"`
	Success, Failed, Rejected  int64
	PromptTokens, OutputTokens int64
	Nano                       int64
	FirstTokenSum              time.Duration
	FirstTokenCount            int64
}

// Models returns the per-model rows of what Observe has seen, sorted by
// model.
func (m *Metrics) Models() []ModelRow {
	rm := m.perRequest
	rm.mu.Lock()
	defer rm.mu.Unlock()
	out := make([]ModelRow, 0, len(rm.tally))
	for _, r := range rm.tally {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b ModelRow) int { return strings.Compare(a.Model, b.Model) })
	return out
}

// nanoKind names what a role's nanoTON are.
func nanoKind(role string) string {
	switch role {
	case "client":
		return "paid"
	case "worker":
		return "earned"
	}
	return "charged"
}

func newRequestMetrics(labels prometheus.Labels) *requestMetrics {
	buckets := prometheus.ExponentialBuckets(0.001, 2, 18)
	return &requestMetrics{
		byModel: prometheus.NewCounterVec(prometheus.CounterOpts(metricOpts(labels, "model_requests_total",
			"Inference requests finished, by outcome, model and worker (the worker label is the worker's address at the proxy, empty at the client and the worker).")), []string{"outcome", "model", "worker"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts(metricOpts(labels, "tokens_total",
			"Tokens of finished requests as their usage reported them, by kind: prompt, cached (of the prompt), completion, reasoning (of the completion).")), []string{"model", "worker", "kind"}),
		nano: prometheus.NewCounterVec(prometheus.CounterOpts(metricOpts(labels, "nanoton_total",
			"Value of finished requests in nanoTON (1 TON = 1e9): kind paid at the client, charged at the proxy, earned at the worker.")), []string{"model", "worker", "kind"}),
		firstToken: prometheus.NewHistogramVec(histogramOpts(labels, "time_to_first_token_seconds",
			"Time from a request's arrival to the first byte of its answer's body (time to first token).", buckets), []string{"model", "worker"}),
		queue: prometheus.NewHistogramVec(histogramOpts(labels, "queue_seconds",
			"Time a request waited before its answer started: for a worker at the proxy, for the engine's head at the worker.", buckets), []string{"model", "worker"}),
	}
}

func (rm *requestMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{rm.byModel, rm.tokens, rm.nano, rm.firstToken, rm.queue}
}

// Observe records one finished request in the metrics; it does not touch
// the in-flight gauge (see RequestStarted and RequestFinished).
func (m *Metrics) Observe(r Request) {
	rm := m.perRequest
	model, worker := rm.models.value(r.Model), ""
	if r.Worker != "" {
		worker = rm.workers.value(r.Worker)
	}
	rm.byModel.WithLabelValues(r.Outcome, model, worker).Inc()
	rm.mu.Lock()
	if rm.tally == nil {
		rm.tally = map[string]*ModelRow{}
	}
	row := rm.tally[model]
	if row == nil {
		row = &ModelRow{Model: model}
		rm.tally[model] = row
	}
	switch r.Outcome {
	case OutcomeSuccess:
		row.Success++
	case OutcomeRejected:
		row.Rejected++
	default:
		row.Failed++
	}
	row.PromptTokens += r.PromptTokens
	row.OutputTokens += r.CompletionTokens
	row.Nano += r.Nano
	if r.FirstToken > 0 {
		row.FirstTokenSum += r.FirstToken
		row.FirstTokenCount++
	}
	rm.mu.Unlock()
	for _, t := range []struct {
		kind string
		n    int64
	}{{"prompt", r.PromptTokens}, {"cached", r.CachedTokens}, {"completion", r.CompletionTokens}, {"reasoning", r.ReasoningTokens}} {
		if t.n > 0 {
			rm.tokens.WithLabelValues(model, worker, t.kind).Add(float64(t.n))
		}
	}
	if r.Nano > 0 {
		rm.nano.WithLabelValues(model, worker, nanoKind(m.role)).Add(float64(r.Nano))
	}
	if r.FirstToken > 0 {
		rm.firstToken.WithLabelValues(model, worker).Observe(r.FirstToken.Seconds())
	}
	if r.Queue > 0 {
		rm.queue.WithLabelValues(model, worker).Observe(r.Queue.Seconds())
	}
}

// LogRequest writes the one line a role logs per request, at info level
// ("request"), with the request's id, model, worker, outcome, tokens,
// value and timings in milliseconds.
func LogRequest(log *slog.Logger, r Request) {
	attrs := []slog.Attr{
		slog.String("request_id", r.ID),
		slog.String("model", r.Model),
		slog.String("outcome", r.Outcome),
	}
	if r.Worker != "" {
		attrs = append(attrs, slog.String("worker", r.Worker))
	}
	if r.Status != 0 {
		attrs = append(attrs, slog.Int("status", r.Status))
	}
	if r.Error != "" {
		attrs = append(attrs, slog.String("error", r.Error))
	}
	attrs = append(attrs,
		slog.Int64("prompt_tokens", r.PromptTokens),
		slog.Int64("cached_tokens", r.CachedTokens),
		slog.Int64("completion_tokens", r.CompletionTokens),
		slog.Int64("reasoning_tokens", r.ReasoningTokens),
		slog.Int64("nanoton", r.Nano),
		slog.Float64("queue_ms", ms(r.Queue)),
		slog.Float64("first_token_ms", ms(r.FirstToken)),
		slog.Float64("total_ms", ms(r.Total)),
	)
	log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
