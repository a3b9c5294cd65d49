package monitor

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name ossflow exports.
const Namespace = "ossflow"

// LatencyBuckets are the upper bounds, in seconds, of the request latency
// histogram: from one millisecond (a HEAD on a warm cache) to one minute (a
// 5 GiB part on a slow link).
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Metrics records per-request measurements in its own Prometheus registry.
// It is safe for concurrent use. The zero value is not usable: call
// [NewMetrics].
type Metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	bytesIn  *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
}

// NewMetrics returns Metrics registered on a fresh registry that also holds
// the Go runtime and process collectors.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "requests_total",
			Help:      "Requests served, by API operation and HTTP status.",
		}, []string{"operation", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "request_duration_seconds",
			Help:      "Time from receiving a request to finishing its response, by API operation.",
			Buckets:   LatencyBuckets,
		}, []string{"operation"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "received_bytes_total",
			Help:      "Request body bytes read, by API operation.",
		}, []string{"operation"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "sent_bytes_total",
			Help:      "Response body bytes written, by API operation.",
		}, []string{"operation"}),
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.latency, m.bytesIn, m.bytesOut,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: Namespace}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("monitor: register collector: %w", err)
		}
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg,
		EnableOpenMetrics: true,
		// A slow scraper must not pin a goroutine forever.
		Timeout:             30 * time.Second,
		MaxRequestsInFlight: 4,
	})
	return m, nil
}

// ObserveRequest records one finished request: op is the API operation
// ("PutObject", "ListObjectsV2", ...; "" is recorded as "Unknown"), status
// the HTTP status answered, d the time taken, bytesIn and bytesOut the body
// bytes read and written. Negative byte counts are ignored.
func (m *Metrics) ObserveRequest(op string, status int, d time.Duration, bytesIn, bytesOut int64) {
	if op == "" {
		op = "Unknown"
	}
	m.requests.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(op).Observe(d.Seconds())
	if bytesIn > 0 {
		m.bytesIn.WithLabelValues(op).Add(float64(bytesIn))
	}
	if bytesOut > 0 {
		m.bytesOut.WithLabelValues(op).Add(float64(bytesOut))
	}
}

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// exposition format, for GET /metrics.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registry is where other subsystems (broker, functions, ...) register their
// own collectors so that they appear on the same /metrics page.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }
