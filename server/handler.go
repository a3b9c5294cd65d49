package server

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// rootHandler serves GET /metrics (on path-style hosts) and hands
// everything else to the API. The bucket name "metrics" is reserved by the
// API for this reason; a virtual-hosted request for key "metrics" of a
// bucket still reaches the API.
type rootHandler struct {
	api      http.Handler
	metrics  http.Handler
	domains  []string
	mounts   []mount // management endpoints under "/-/", added before serving
	inFlight atomic.Int64
	gauge    prometheus.Gauge
}

func newRootHandler(api, metrics http.Handler, domains []string, gauge prometheus.Gauge) *rootHandler {
	h := &rootHandler{api: api, metrics: metrics, gauge: gauge}
	for _, d := range domains {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if d != "" {
			h.domains = append(h.domains, d)
		}
	}
	return h
}

// mount is a handler for a path prefix under "/-/": no bucket name starts
// with '-', so these never shadow the API.
type mount struct {
	prefix  string
	handler http.Handler
}

// mount adds a management endpoint. It must be called before serving.
func (h *rootHandler) mount(prefix string, hd http.Handler) {
	h.mounts = append(h.mounts, mount{prefix, hd})
}

func (h *rootHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/-/") && !h.virtualHosted(r.Host) {
		for _, m := range h.mounts {
			if strings.HasPrefix(r.URL.Path, m.prefix) {
				m.handler.ServeHTTP(w, r)
				return
			}
		}
	}
	if r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		r.URL.RawQuery == "" && !h.virtualHosted(r.Host) {
		h.metrics.ServeHTTP(w, r)
		return
	}
	h.inFlight.Add(1)
	h.gauge.Inc()
	defer func() {
		h.gauge.Dec()
		h.inFlight.Add(-1)
	}()
	h.api.ServeHTTP(w, r)
}

// virtualHosted reports whether host names a bucket under a base domain.
func (h *rootHandler) virtualHosted(host string) bool {
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, d := range h.domains {
		if strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// observers fans one request observation out to several observers.
type observers []interface {
	ObserveRequest(op string, status int, d time.Duration, bytesIn, bytesOut int64)
}

func (o observers) ObserveRequest(op string, status int, d time.Duration, bytesIn, bytesOut int64) {
	for _, x := range o {
		x.ObserveRequest(op, status, d, bytesIn, bytesOut)
	}
}

// requestLogger logs every request at debug level, and server errors at
// warn level.
type requestLogger struct{ log *slog.Logger }

func (l requestLogger) ObserveRequest(op string, status int, d time.Duration, bytesIn, bytesOut int64) {
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, "request", "op", op, "status", status, "duration", d, "in", bytesIn, "out", bytesOut)
}
