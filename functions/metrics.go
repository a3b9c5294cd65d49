package functions

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ossflow/ossflow/runtime"
)

// Metrics are the platform's Prometheus collectors (ossflow_fn_*). They
// double as the runtime's Observer.
type Metrics struct {
	invocations *prometheus.CounterVec
	errors      *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	queueWait   *prometheus.HistogramVec
	eventLag    *prometheus.HistogramVec
	retries     *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	skipped     *prometheus.CounterVec
	dropped     prometheus.Counter

	mu  sync.RWMutex
	fns map[string]*fnMetrics
}

// fnMetrics are one function's label children, resolved once.
type fnMetrics struct {
	okCold, okWarm, errCold, errWarm prometheus.Counter
	duration, queueWait, eventLag    prometheus.Observer
	retries, deadLetters, skipped    prometheus.Counter
	cold                             atomic.Uint64 // cold starts seen (records use the delta)
	total                            atomic.Uint64 // invocations seen
}

var durationBuckets = []float64{.0001, .0005, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewMetrics makes the collectors; register them with Register.
func NewMetrics() *Metrics {
	const ns, sub = "ossflow", "fn"
	return &Metrics{
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "invocations_total",
			Help: "Function invocations by function, result (ok, error) and start (cold, warm)."}, []string{"function", "result", "start"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "errors_total",
			Help: "Failed invocations by function and error kind (Timeout, MemoryLimit, Trap, Denied, GuestError, ...)."}, []string{"function", "kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "duration_seconds",
			Help: "Invocation run time (instantiation included for cold starts).", Buckets: durationBuckets}, []string{"function"}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "queue_wait_seconds",
			Help: "Time an invocation waited for a free instance (the concurrency limit).", Buckets: durationBuckets}, []string{"function"}),
		eventLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "event_wait_seconds",
			Help: "Time from an event's arrival in the stream to its dispatch to the function (includes retry delays).", Buckets: durationBuckets}, []string{"function"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "retries_total",
			Help: "Failed event deliveries scheduled for redelivery."}, []string{"function"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "dead_letters_total",
			Help: "Events moved to the dead-letter stream after their last delivery failed."}, []string{"function"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "loop_guard_skips_total",
			Help: "Events the loop guard kept from triggering the function that wrote them."}, []string{"function"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "records_dropped_total",
			Help: "Log and invocation records dropped because the publisher was behind."}),
		fns: map[string]*fnMetrics{},
	}
}

// Collectors are the collectors to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.invocations, m.errors, m.duration, m.queueWait, m.eventLag, m.retries, m.deadLetters, m.skipped, m.dropped}
}

// Register registers the collectors on reg.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	for _, c := range m.Collectors() {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *Metrics) fn(name string) *fnMetrics {
	m.mu.RLock()
	f := m.fns[name]
	m.mu.RUnlock()
	if f != nil {
		return f
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if f = m.fns[name]; f != nil {
		return f
	}
	f = &fnMetrics{
		okCold: m.invocations.WithLabelValues(name, "ok", "cold"), okWarm: m.invocations.WithLabelValues(name, "ok", "warm"),
		errCold: m.invocations.WithLabelValues(name, "error", "cold"), errWarm: m.invocations.WithLabelValues(name, "error", "warm"),
		duration: m.duration.WithLabelValues(name), queueWait: m.queueWait.WithLabelValues(name), eventLag: m.eventLag.WithLabelValues(name),
		retries: m.retries.WithLabelValues(name), deadLetters: m.deadLetters.WithLabelValues(name), skipped: m.skipped.WithLabelValues(name),
	}
	m.fns[name] = f
	return f
}

// ObserveInvocation implements runtime.Observer.
func (m *Metrics) ObserveInvocation(s runtime.InvocationStats) {
	f := m.fn(s.Function)
	switch {
	case s.Err == nil && s.Cold:
		f.okCold.Inc()
	case s.Err == nil:
		f.okWarm.Inc()
	case s.Cold:
		f.errCold.Inc()
	default:
		f.errWarm.Inc()
	}
	f.total.Add(1)
	if s.Cold {
		f.cold.Add(1)
	}
	if s.Err != nil {
		m.errors.WithLabelValues(s.Function, KindName(s.ErrKind)).Inc()
	}
	f.duration.Observe(s.Duration.Seconds())
	f.queueWait.Observe(s.QueueWait.Seconds())
}

func (m *Metrics) coldCount(name string) uint64 { return m.fn(name).cold.Load() }

// Invocations is the number of finished invocations of function name
// (in this process).
func (m *Metrics) Invocations(name string) uint64 { return m.fn(name).total.Load() }

func (m *Metrics) eventWait(name string, d time.Duration) { m.fn(name).eventLag.Observe(d.Seconds()) }
func (m *Metrics) retry(name string)                      { m.fn(name).retries.Inc() }
func (m *Metrics) deadLetter(name string)                 { m.fn(name).deadLetters.Inc() }
func (m *Metrics) skip(name string)                       { m.fn(name).skipped.Inc() }

// KindName is the name of a runtime error kind as records, dead letters,
// metrics and the API show it: the constant's name ("Timeout",
// "MemoryLimit", "Trap", "Denied", "GuestError", ...).
func KindName(k runtime.Kind) string {
	switch k {
	case runtime.Internal:
		return "Internal"
	case runtime.Timeout:
		return "Timeout"
	case runtime.Canceled:
		return "Canceled"
	case runtime.MemoryLimit:
		return "MemoryLimit"
	case runtime.Trap:
		return "Trap"
	case runtime.Denied:
		return "Denied"
	case runtime.InputTooLarge:
		return "InputTooLarge"
	case runtime.OutputTooLarge:
		return "OutputTooLarge"
	case runtime.BadModule:
		return "BadModule"
	case runtime.GuestError:
		return "GuestError"
	case runtime.Closed:
		return "Closed"
	case runtime.Invalid:
		return "Invalid"
	}
	return k.String()
}
