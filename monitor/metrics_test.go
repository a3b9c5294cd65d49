package monitor

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gathered returns the metric family named name, or nil.
func gathered(t *testing.T, reg *prometheus.Registry, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// value returns the counter value (or histogram sample count) of the series
// of family name whose labels equal want.
func value(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mf := gathered(t, reg, name)
	if mf == nil {
		return 0
	}
next:
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, lp := range m.GetLabel() {
			if want[lp.GetName()] != lp.GetValue() {
				continue next
			}
		}
		if h := m.GetHistogram(); h != nil {
			return float64(h.GetSampleCount())
		}
		return m.GetCounter().GetValue()
	}
	return 0
}

func TestObserveRequest(t *testing.T) {
	type obs struct {
		op      string
		status  int
		d       time.Duration
		in, out int64
	}
	tests := []struct {
		name   string
		obs    []obs
		metric string
		labels map[string]string
		want   float64
	}{
		{"counts by op and status", []obs{{"PutObject", 200, time.Millisecond, 10, 0}, {"PutObject", 200, time.Millisecond, 5, 0}, {"PutObject", 403, 0, 0, 0}},
			"ossflow_requests_total", map[string]string{"operation": "PutObject", "status": "200"}, 2},
		{"other status separate", []obs{{"PutObject", 200, 0, 0, 0}, {"PutObject", 403, 0, 0, 0}},
			"ossflow_requests_total", map[string]string{"operation": "PutObject", "status": "403"}, 1},
		{"empty op is Unknown", []obs{{"", 400, 0, 0, 0}},
			"ossflow_requests_total", map[string]string{"operation": "Unknown", "status": "400"}, 1},
		{"bytes in summed", []obs{{"PutObject", 200, 0, 10, 0}, {"PutObject", 200, 0, 5, 0}},
			"ossflow_received_bytes_total", map[string]string{"operation": "PutObject"}, 15},
		{"bytes out summed", []obs{{"GetObject", 200, 0, 0, 7}, {"GetObject", 206, 0, 0, 3}},
			"ossflow_sent_bytes_total", map[string]string{"operation": "GetObject"}, 10},
		{"negative bytes ignored", []obs{{"GetObject", 200, 0, -5, -5}, {"GetObject", 200, 0, 0, 2}},
			"ossflow_sent_bytes_total", map[string]string{"operation": "GetObject"}, 2},
		{"latency histogram count", []obs{{"HeadObject", 200, 2 * time.Millisecond, 0, 0}, {"HeadObject", 404, time.Second, 0, 0}},
			"ossflow_request_duration_seconds", map[string]string{"operation": "HeadObject"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMetrics()
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range tt.obs {
				m.ObserveRequest(o.op, o.status, o.d, o.in, o.out)
			}
			if got := value(t, m.Registry(), tt.metric, tt.labels); got != tt.want {
				t.Errorf("%s%v = %v, want %v", tt.metric, tt.labels, got, tt.want)
			}
		})
	}
}

func TestHandlerExposition(t *testing.T) {
	m, err := NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	m.ObserveRequest("ListBuckets", 200, 3*time.Millisecond, 0, 120)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`ossflow_requests_total{operation="ListBuckets",status="200"} 1`,
		`ossflow_sent_bytes_total{operation="ListBuckets"} 120`,
		`ossflow_request_duration_seconds_bucket{operation="ListBuckets",le="0.005"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func TestRegistryAcceptsOtherCollectors(t *testing.T) {
	m, err := NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ossflow_broker_events_total", Help: "x"})
	if err := m.Registry().Register(c); err != nil {
		t.Fatal(err)
	}
	c.Add(3)
	if got := value(t, m.Registry(), "ossflow_broker_events_total", map[string]string{}); got != 3 {
		t.Fatalf("got %v", got)
	}
}

func TestMetricsAreIndependent(t *testing.T) {
	a, err := NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	a.ObserveRequest("GetObject", 200, 0, 0, 0)
	if got := value(t, b.Registry(), "ossflow_requests_total", map[string]string{"operation": "GetObject", "status": "200"}); got != 0 {
		t.Fatalf("second Metrics saw the first's request: %v", got)
	}
}
