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

// metricOpts are the options of a cocoon metric: the cocoon namespace, the
// role's constant labels, name and help.
func metricOpts(labels prometheus.Labels, name, help string) prometheus.Opts {
	return prometheus.Opts{Namespace: "cocoon", Name: name, Help: help, ConstLabels: labels}
}

// histogramOpts are metricOpts for a histogram with buckets.
func histogramOpts(labels prometheus.Labels, name, help string, buckets []float64) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{Namespace: "cocoon", Name: name, Help: help, ConstLabels: labels, Buckets: buckets}
}

// NewMetrics builds the metrics of role ("client", "proxy" or "worker"),
// plus the Go runtime and process collectors.
func NewMetrics(role string) *Metrics {
	labels := prometheus.Labels{"role": role}
	m := &Metrics{
		role: role, perRequest: newRequestMetrics(labels),
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts(metricOpts(labels, "requests_total",
			"Inference requests finished, by outcome.")), []string{"outcome"}),
		duration: prometheus.NewHistogram(histogramOpts(labels, "request_duration_seconds",
			"Time from receiving an inference request to its last byte.", prometheus.ExponentialBuckets(0.005, 2, 16))),
		active: prometheus.NewGauge(prometheus.GaugeOpts(metricOpts(labels, "active_requests",
			"Inference requests in flight."))),
		bytes: prometheus.NewCounter(prometheus.CounterOpts(metricOpts(labels, "answer_bytes_total",
			"Answer bytes passed on toward the caller."))),
		connections: prometheus.NewGauge(prometheus.GaugeOpts(metricOpts(labels, "ready_connections",
			"Peer connections that completed their handshake."))),
		retries: prometheus.NewCounter(prometheus.CounterOpts(metricOpts(labels, "retries_total",
			"Requests sent again to another peer after a failure before the first byte."))),
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
