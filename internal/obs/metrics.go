package obs

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of a request, the values of the "outcome" label.
const (
	OutcomeSuccess  = "success"
	OutcomeFailed   = "failed"
	OutcomeRejected = "rejected"
)

// Metrics are the Prometheus metrics of one role, registered in a registry
// of their own so that several roles can live in one process (devnet).
// Its methods are safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    prometheus.Histogram
	active      prometheus.Gauge
	bytes       prometheus.Counter
	connections prometheus.Gauge
	retries     prometheus.Counter
	role        string
	perRequest  *requestMetrics
}

// NewMetrics builds the metrics of role ("client", "proxy" or "worker"),
// plus the Go runtime and process collectors.
func NewMetrics(role string) *Metrics {
	labels := prometheus.Labels{"role": role}
	m := &Metrics{
		role: role, perRequest: newRequestMetrics(labels),
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "cocoon", Name: "requests_total", ConstLabels: labels,
			Help: "Inference requests finished, by outcome.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "cocoon", Name: "request_duration_seconds", ConstLabels: labels,
			Help:    "Time from receiving an inference request to its last byte.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16),
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cocoon", Name: "active_requests", ConstLabels: labels,
			Help: "Inference requests in flight.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cocoon", Name: "answer_bytes_total", ConstLabels: labels,
			Help: "Answer bytes passed on toward the caller.",
		}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "cocoon", Name: "ready_connections", ConstLabels: labels,
			Help: "Peer connections that completed their handshake.",
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "cocoon", Name: "retries_total", ConstLabels: labels,
			Help: "Requests sent again to another peer after a failure before the first byte.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.active, m.bytes, m.connections, m.retries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(m.perRequest.collectors()...)
	return m
}

// RequestStarted counts a request as in flight.
func (m *Metrics) RequestStarted() { m.active.Inc() }

// RequestFinished ends a request started with RequestStarted.
func (m *Metrics) RequestFinished(outcome string, d time.Duration) {
	m.active.Dec()
	m.requests.WithLabelValues(outcome).Inc()
	m.duration.Observe(d.Seconds())
}

// AddBytes counts answer bytes.
func (m *Metrics) AddBytes(n int) { m.bytes.Add(float64(n)) }

// SetConnections sets the number of ready peer connections.
func (m *Metrics) SetConnections(n int) { m.connections.Set(float64(n)) }

// Retried counts one retry.
func (m *Metrics) Retried() { m.retries.Inc() }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
