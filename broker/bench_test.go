package broker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
	"github.com/ossflow/ossflow/store"
)

// Benchmarks of the event path with the real engine and the embedded
// server. Latencies are from a PUT's acknowledgement to the event's
// arrival at a durable pull consumer (which acks each event).

const benchBody = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" // 64 B

// latencyProbe records, per PUT index, when the PUT was acknowledged and
// when a durable consumer received its event.
type latencyProbe struct {
	acked    []atomic.Int64 // unix ns
	received []atomic.Int64
	got      atomic.Int64
	notify   chan int
}

func newLatencyProbe(n int) *latencyProbe {
	return &latencyProbe{acked: make([]atomic.Int64, n), received: make([]atomic.Int64, n), notify: make(chan int, 1024)}
}

// consume starts a durable consumer on js that records arrivals of keys
// "<prefix><index>".
func (p *latencyProbe) consume(b *testing.B, js jetstream.JetStream, durable, prefix string) func() {
	ctx := context.Background()
	cons, err := js.CreateOrUpdateConsumer(ctx, events.DefaultStream, jetstream.ConsumerConfig{
		Durable: durable, AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverNewPolicy,
		MaxAckPending: 10000,
	})
	if err != nil {
		b.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		now := time.Now().UnixNano()
		m.Ack()
		key, _ := events.DecodeKeyHeader(m.Headers().Get(events.HeaderKey))
		i, err := strconv.Atoi(strings.TrimPrefix(key, prefix))
		if err != nil || !strings.HasPrefix(key, prefix) || i >= len(p.received) {
			return
		}
		p.received[i].Store(now)
		p.got.Add(1)
		select {
		case p.notify <- i:
		default:
		}
	}, jetstream.PullMaxMessages(1000))
	if err != nil {
		b.Fatal(err)
	}
	return cc.Stop
}

// percentiles of received-acked over the first n indexes.
func (p *latencyProbe) report(b *testing.B, n int, what string) {
	lat := make([]time.Duration, 0, n)
	for i := range n {
		a, r := p.acked[i].Load(), p.received[i].Load()
		if a == 0 || r == 0 {
			continue
		}
		lat = append(lat, time.Duration(max(r-a, 0)))
	}
	if len(lat) == 0 {
		b.Fatal("no latency samples")
	}
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(q(0.50), what+"-p50-µs")
	b.ReportMetric(q(0.99), what+"-p99-µs")
	b.ReportMetric(q(0.999), what+"-p99.9-µs")
}

func benchStoreBroker(b *testing.B, relay bool) (*store.Store, *Broker) {
	dir := b.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{DataDir: filepath.Join(dir, "nats"), Port: -1}
	if v := os.Getenv("BENCH_HOLD"); v != "" {
		cfg.DurabilityHold, _ = time.ParseDuration(v)
		cfg.DuplicateWindow = max(cfg.DurabilityHold+time.Minute, 2*time.Minute)
	}
	if v := os.Getenv("BENCH_SYNC"); v != "" {
		cfg.SyncInterval, _ = time.ParseDuration(v)
	}
	if v := os.Getenv("BENCH_LINGER"); v != "" {
		cfg.BatchLinger, _ = time.ParseDuration(v)
	}
	if relay {
		cfg.Outbox, cfg.OutboxStats = &countingOutbox{Outbox: st}, storeStats(st)
	}
	br, err := Start(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		br.Close()
		st.Close()
	})
	if _, err := st.CreateBucket(context.Background(), oss.Bucket{Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	return st, br
}

// countingOutbox counts reads and the events they returned.
type countingOutbox struct {
	Outbox
	reads, events atomic.Int64
}

func (o *countingOutbox) OutboxRead(ctx context.Context, after uint64, max int) ([]oss.Event, error) {
	evs, err := o.Outbox.OutboxRead(ctx, after, max)
	o.reads.Add(1)
	o.events.Add(int64(len(evs)))
	return evs, err
}

// OutboxReadRaw forwards to the engine's fast path (the relay uses it when
// present), counting the same way.
func (o *countingOutbox) OutboxReadRaw(ctx context.Context, after uint64, max int, fn func(*oss.Event) error) error {
	n := 0
	err := readOutbox(ctx, o.Outbox, after, max, func(e *oss.Event) error { n++; return fn(e) })
	o.reads.Add(1)
	o.events.Add(int64(n))
	return err
}

func (o *countingOutbox) perRead() float64 {
	return float64(o.events.Load()) / float64(max(o.reads.Load(), 1))
}

// BenchmarkEventLatencyLowLoad: one PUT at a time; the next PUT waits for
// the previous event to arrive.
func BenchmarkEventLatencyLowLoad(b *testing.B) {
	st, br := benchStoreBroker(b, true)
	p := newLatencyProbe(b.N)
	stop := p.consume(b, br.JetStream(), "bench-low", "low/")
	defer stop()
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := putObject(ctx, st, "bench", fmt.Sprintf("low/%d", i), benchBody); err != nil {
			b.Fatal(err)
		}
		p.acked[i].Store(time.Now().UnixNano())
		for p.received[i].Load() == 0 {
			select {
			case <-p.notify:
			case <-time.After(10 * time.Second):
				b.Fatalf("event %d not received", i)
			}
		}
	}
	b.StopTimer()
	p.report(b, b.N, "e2e")
}

// BenchmarkEventLatencySaturation: 32 writers PUT as fast as the engine
// allows; reports latency percentiles and the events/s that arrived.
func BenchmarkEventLatencySaturation(b *testing.B) {
	st, br := benchStoreBroker(b, true)
	const writers = 32
	p := newLatencyProbe(b.N)
	stop := p.consume(b, br.JetStream(), "bench-sat", "sat/")
	defer stop()
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if _, err := putObject(ctx, st, "bench", fmt.Sprintf("sat/%d", i), benchBody); err != nil {
					b.Error(err)
					return
				}
				p.acked[i].Store(time.Now().UnixNano())
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for p.got.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if n := p.got.Load(); n < int64(b.N) {
		b.Fatalf("received %d of %d events", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	p.report(b, b.N, "e2e")
}

// BenchmarkRelayDrain measures the relay alone: the outbox is filled with
// the relay off, then the time to publish all of it is measured.
func BenchmarkRelayDrain(b *testing.B) {
	ob := newFakeOutbox()
	for i := range b.N {
		ob.add("bench", "k"+strconv.Itoa(i%100), oss.ObjectCreatedPut)
	}
	cfg := Config{DataDir: b.TempDir(), Port: -1, Outbox: ob}
	if v := os.Getenv("BENCH_INFLIGHT"); v != "" {
		cfg.MaxInFlight, _ = strconv.Atoi(v)
		cfg.ReadBatch = cfg.MaxInFlight
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), processCPU()
	br, err := Start(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	for br.RelayStatus().Published < uint64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric((processCPU()-cpu0).Seconds()*1e6/float64(b.N), "cpu-µs/event")
}

// BenchmarkPutThroughputEventCost compares small-object PUT throughput of
// the engine without the relay (baseline: events stay in the outbox) and
// with the relay publishing into the embedded server, in the same run,
// alternating A B A B to even out noise. It reports both rates and the
// event path's cost as a fraction of the baseline.
func BenchmarkPutThroughputEventCost(b *testing.B) {
	const writers = 32
	// run returns PUTs/s and the process CPU time per PUT, the relay's
	// publishing included (it is awaited before the CPU clock stops).
	var perRead []float64
	run := func(relay bool, n int) (rate, cpuPerPut float64) {
		st, br := benchStoreBroker(b, relay)
		ctx := context.Background()
		var next atomic.Int64
		var wg sync.WaitGroup
		cpu0 := processCPU()
		start := time.Now()
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= n {
						return
					}
					if _, err := putObject(ctx, st, "bench", fmt.Sprintf("put/%d", i), benchBody); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		rate = float64(n) / time.Since(start).Seconds()
		if relay { // wait until the relay has published everything
			deadline := time.Now().Add(30 * time.Second)
			for br.RelayStatus().Published < st.OutboxStats().LastSeq && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		if relay {
			perRead = append(perRead, br.cfg.Outbox.(*countingOutbox).perRead())
		}
		return rate, (processCPU() - cpu0).Seconds() * 1e6 / float64(n)
	}
	n := max(b.N, 2000)
	var base, with, baseCPU, withCPU []float64
	b.ResetTimer()
	for range 2 {
		r, c := run(false, n)
		base, baseCPU = append(base, r), append(baseCPU, c)
		r, c = run(true, n)
		with, withCPU = append(with, r), append(withCPU, c)
	}
	b.StopTimer()
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	mb, mw := mean(base), mean(with)
	b.ReportMetric(mb, "puts/s-baseline")
	b.ReportMetric(mw, "puts/s-with-relay")
	b.ReportMetric(mw/mb, "ratio")
	b.ReportMetric(100*(1-mw/mb), "cost-%")
	cb, cw := mean(baseCPU), mean(withCPU)
	b.ReportMetric(cb, "cpu-µs/put-baseline")
	b.ReportMetric(cw-cb, "cpu-µs/event")
	b.ReportMetric(100*(cw-cb)/cb, "cpu-cost-%")
	b.ReportMetric(mean(perRead), "events/read")
}

// processCPU is the CPU time (user + system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
