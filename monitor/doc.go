// Package monitor observes a running ossflow: Prometheus metrics of every
// request (counts by operation and status, latency histograms, bytes in and
// out) and optional continuous profiling with Pyroscope.
//
// [Metrics] owns its own Prometheus registry (never the process-wide default
// one); other subsystems register their collectors on [Metrics.Registry].
// The composition root serves [Metrics.Handler] at GET /metrics and passes
// the *Metrics to the HTTP layer, which calls [Metrics.ObserveRequest] once
// per request.
//
// The package never logs: failures are returned as errors to the caller.
// Throttling, alerting and webhooks will live here later, built on the same
// per-operation observations.
package monitor
