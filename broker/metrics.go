package broker

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metricsNamespace and metricsSubsystem prefix every metric:
// ossflow_events_*.
const (
	metricsNamespace = "ossflow"
	metricsSubsystem = "events"
)

// latencyBuckets span an in-process publish (tens of µs) to a publish
// that waits out a slow or restarting server (seconds).
var latencyBuckets = []float64{
	.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10,
}

// metrics are the broker's Prometheus collectors. They are created per
// Broker and registered only where the caller says.
type metrics struct {
	published    prometheus.Counter
	deduplicated prometheus.Counter
	skipped      prometheus.Counter
	rewound      prometheus.Counter
	errors       *prometheus.CounterVec
	publishDur   prometheus.Histogram
	commitDelay  prometheus.Histogram
	funcs        []prometheus.Collector
}

// Error stages, the "stage" label of ossflow_events_errors_total.
const (
	stageRead    = "outbox_read"
	stagePublish = "publish"
	stageResync  = "resync"
	stageRemove  = "outbox_ack"
)

func newMetrics() *metrics {
	m := &metrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name: "published_total",
			Help: "Events stored in the stream (covered by a PubAck, not a duplicate).",
		}),
		deduplicated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name: "deduplicated_total",
			Help: "Republished events the stream dropped as duplicates.",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name: "resync_skipped_total",
			Help: "Outbox events not republished because the stream already held them (found at resync).",
		}),
		rewound: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name: "rewound_total",
			Help: "Acknowledged events the stream lost (a server restart without its unsynced tail) and the relay republished from the outbox.",
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name: "errors_total",
			Help: "Relay errors by stage (outbox_read, publish, resync, outbox_ack); each publish error starts a back-off.",
		}, []string{"stage"}),
		publishDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name:    "publish_duration_seconds",
			Help:    "Time from sending an acknowledged publish (every 32nd event of a batch, and its last) to its PubAck.",
			Buckets: latencyBuckets,
		}),
		commitDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name:    "commit_to_ack_seconds",
			Help:    "Time from the commit in the engine of the oldest event a PubAck covers to that PubAck.",
			Buckets: latencyBuckets,
		}),
	}
	for _, s := range []string{stageRead, stagePublish, stageResync, stageRemove} {
		m.errors.WithLabelValues(s)
	}
	return m
}

// addOutboxFuncs adds the gauges computed at scrape time.
func (m *metrics) addOutboxFuncs(cfg *Config, r *relay) {
	if cfg.OutboxStats != nil {
		stats := cfg.OutboxStats
		m.funcs = append(m.funcs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: metricsNamespace, Subsystem: metricsSubsystem,
				Name: "outbox_depth",
				Help: "Events in the engine's outbox: not yet published, or published and held for durability.",
			}, func() float64 { return float64(stats().Depth) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: metricsNamespace, Subsystem: metricsSubsystem,
				Name: "outbox_oldest_age_seconds",
				Help: "Age of the oldest event in the outbox (0 when empty).",
			}, func() float64 {
				st := stats()
				if st.Depth == 0 || st.OldestTime.IsZero() {
					return 0
				}
				return time.Since(st.OldestTime).Seconds()
			}),
		)
		if r != nil {
			m.funcs = append(m.funcs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: metricsNamespace, Subsystem: metricsSubsystem,
				Name: "relay_lag_events",
				Help: "Committed events not yet acknowledged by the stream.",
			}, func() float64 { return float64(r.lagEvents(stats())) }))
		}
	}
	if cfg.OutboxLimit > 0 {
		m.funcs = append(m.funcs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name: "outbox_limit",
			Help: "The engine's outbox bound: at it, writes fail with 503 SlowDown.",
		}, func() float64 { return float64(cfg.OutboxLimit) }))
	}
	if r != nil {
		m.funcs = append(m.funcs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: metricsNamespace, Subsystem: metricsSubsystem,
			Name: "relay_lag_seconds",
			Help: "Age of the oldest committed event the stream has not acknowledged yet (0 when caught up).",
		}, func() float64 { return r.lagSeconds(time.Now()) }))
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	cs := []prometheus.Collector{m.published, m.deduplicated, m.skipped, m.rewound, m.errors, m.publishDur, m.commitDelay}
	return append(cs, m.funcs...)
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("broker: register metrics: %w", err)
		}
	}
	return nil
}
