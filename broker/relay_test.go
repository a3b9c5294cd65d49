package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

func TestRelayPublishesEveryEventOnceInOrder(t *testing.T) {
	tests := []struct {
		name        string
		n           int
		maxInFlight int
		readBatch   int
		cloudEvents bool
	}{
		{"one", 1, 0, 0, false},
		{"window of 1", 50, 1, 1, false},
		{"default window", 2000, 0, 0, false},
		{"small batches, cloudevents", 700, 64, 7, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ob := newFakeOutbox()
			cfg := testConfig(t, ob)
			cfg.MaxInFlight, cfg.ReadBatch, cfg.CloudEvents = tc.maxInFlight, tc.readBatch, tc.cloudEvents
			b := startBroker(t, cfg)
			var ids []string
			for i := range tc.n {
				ids = append(ids, ob.add(fmt.Sprintf("b%d", i%3), fmt.Sprintf("k/%d", i%17), oss.ObjectCreatedPut).ID)
			}
			ctx := context.Background()
			checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
				if d := ob.depth(); d != 0 {
					return fmt.Errorf("outbox depth %d", d)
				}
				return nil
			})
			evs, err := streamEvents(ctx, b.JetStream(), b.Stream())
			if err != nil {
				t.Fatal(err)
			}
			if err := checkExactlyOnce(evs, ids); err != nil {
				t.Fatal(err)
			}
			if st := b.RelayStatus(); st.Published != uint64(tc.n) || st.Removed != uint64(tc.n) || st.LagSeconds != 0 {
				t.Fatalf("RelayStatus = %+v, want published=removed=%d, no lag", st, tc.n)
			}
		})
	}
}

func TestRelayHoldsEntriesUntilDurable(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.DurabilityHold = 1500 * time.Millisecond
	b := startBroker(t, cfg)
	for i := range 100 {
		ob.add("b", fmt.Sprint(i), oss.ObjectCreatedPut)
	}
	ctx := context.Background()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if n, err := streamCount(ctx, b.JetStream(), b.Stream()); err != nil || n != 100 {
			return fmt.Errorf("stream holds %d (%v)", n, err)
		}
		if p := b.RelayStatus().Published; p != 100 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	// Published, but within the hold: still in the outbox.
	if d := ob.depth(); d != 100 {
		t.Fatalf("outbox depth right after publishing = %d, want 100 (held)", d)
	}
	if st := b.RelayStatus(); st.Published != 100 || st.Removed != 0 {
		t.Fatalf("RelayStatus = %+v, want published 100, removed 0", st)
	}
	start := time.Now()
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if d := ob.depth(); d != 0 {
			return fmt.Errorf("outbox depth %d", d)
		}
		return nil
	})
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("removal took %v after publishing, hold is 1.5s", waited)
	}
}

// TestRelayRestartSkipsWhatTheStreamHolds restarts the broker while the
// outbox still holds published (held) entries: the new relay must not
// republish them at all, so the outcome does not depend on the duplicate
// window (downtime may exceed it).
func TestRelayRestartSkipsWhatTheStreamHolds(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.DurabilityHold = time.Hour
	cfg.DuplicateWindow = time.Hour
	b := startBroker(t, cfg)
	var ids []string
	for i := range 300 {
		ids = append(ids, ob.add("b", fmt.Sprint(i%10), oss.ObjectCreatedPut).ID)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != 300 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	b.Close()
	if d := ob.depth(); d != 300 {
		t.Fatalf("outbox depth after close = %d, want 300 (held)", d)
	}
	// More writes while the broker is down.
	for i := range 50 {
		ids = append(ids, ob.add("b", fmt.Sprint(i%10), oss.ObjectCreatedPut).ID)
	}
	b2 := startBroker(t, cfg)
	reg := prometheus.NewRegistry()
	if err := b2.Register(reg); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b2.RelayStatus().Published; p != 350 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	evs, err := streamEvents(context.Background(), b2.JetStream(), b2.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkExactlyOnce(evs, ids); err != nil {
		t.Fatal(err)
	}
	m := gather(t, reg)
	if got := m["ossflow_events_deduplicated_total"]; got != 0 {
		t.Fatalf("deduplicated_total = %v, want 0: held entries were republished", got)
	}
	if got := m["ossflow_events_resync_skipped_total"]; got != 300 {
		t.Fatalf("resync_skipped_total = %v, want 300", got)
	}
	if got := m["ossflow_events_published_total"]; got != 50 {
		t.Fatalf("published_total = %v, want 50", got)
	}
}

// TestRelayResyncIgnoresAResetOutbox: the stream's last event has a Seq the
// outbox also has, but a different ID (the data dir was reset while the
// stream was kept): nothing may be skipped.
func TestRelayResyncIgnoresAResetOutbox(t *testing.T) {
	cfg := testConfig(t, nil)
	ob1 := newFakeOutbox()
	cfg.Outbox = ob1
	b := startBroker(t, cfg)
	for range 20 {
		ob1.add("b", "k", oss.ObjectCreatedPut)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if ob1.depth() != 0 {
			return errors.New("not drained")
		}
		return nil
	})
	b.Close()
	ob2 := newFakeOutbox()
	var ids []string
	for range 30 {
		ids = append(ids, ob2.add("b", "k", oss.ObjectCreatedPut).ID)
	}
	cfg.Outbox = ob2
	b2 := startBroker(t, cfg)
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if ob2.depth() != 0 {
			return errors.New("not drained")
		}
		return nil
	})
	evs, err := streamEvents(context.Background(), b2.JetStream(), b2.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 50 {
		t.Fatalf("stream holds %d events, want 20 + 30", len(evs))
	}
	if err := checkExactlyOnce(evs[20:], ids); err != nil {
		t.Fatal(err)
	}
}

func TestRelayBacksOffOnOutboxErrorsAndResumes(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	b := startBroker(t, cfg)
	reg := prometheus.NewRegistry()
	if err := b.Register(reg); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 10 {
		ids = append(ids, ob.add("b", "k", oss.ObjectCreatedPut).ID)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != 10 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	ob.setReadErr(errors.New("disk on fire"))
	for range 10 {
		ids = append(ids, ob.add("b", "k", oss.ObjectCreatedPut).ID)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if n := gather(t, reg)[`ossflow_events_errors_total{stage="outbox_read"}`]; n < 2 {
			return fmt.Errorf("outbox_read errors %v, want >= 2 (retries)", n)
		}
		return nil
	})
	if p := b.RelayStatus().Published; p != 10 {
		t.Fatalf("published %d during read errors", p)
	}
	ob.setReadErr(nil)
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != 20 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	evs, err := streamEvents(context.Background(), b.JetStream(), b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkExactlyOnce(evs, ids); err != nil {
		t.Fatal(err)
	}
}

func TestRelayRetriesOutboxRemoval(t *testing.T) {
	ob := newFakeOutbox()
	ob.ackErr = errors.New("busy")
	cfg := testConfig(t, ob)
	b := startBroker(t, cfg)
	for range 5 {
		ob.add("b", "k", oss.ObjectCreatedPut)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		ob.mu.Lock()
		defer ob.mu.Unlock()
		if ob.ackCalls < 3 {
			return fmt.Errorf("%d ack calls", ob.ackCalls)
		}
		return nil
	})
	ob.mu.Lock()
	ob.ackErr = nil
	ob.mu.Unlock()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if d := ob.depth(); d != 0 {
			return fmt.Errorf("depth %d", d)
		}
		return nil
	})
	if r := b.RelayStatus().Removed; r != 5 {
		t.Fatalf("removed %d, want 5", r)
	}
}

// TestRelayServerRestartDuringWriteStorm stops the embedded server while
// writers keep committing, restarts it, and checks that the stream ends up
// with every event exactly once, in commit order.
func TestRelayServerRestartDuringWriteStorm(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.DurabilityHold = 300 * time.Millisecond
	if os.Getenv("BROKER_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b := startBroker(t, cfg)
	reg := prometheus.NewRegistry()
	if err := b.Register(reg); err != nil {
		t.Fatal(err)
	}

	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		written atomic.Int64
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				ob.add(fmt.Sprintf("b%d", w), fmt.Sprint(i%7), oss.ObjectCreatedPut)
				written.Add(1)
				if i%8 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	ctx := context.Background()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p < 2000 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	t0 := time.Now()
	b.emb.shutdown()
	t.Logf("shutdown took %v", time.Since(t0))
	down := written.Load()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if n := written.Load(); n < down+3000 {
			return fmt.Errorf("only %d writes while NATS is down", n-down)
		}
		return nil
	})
	t0 = time.Now()
	if err := b.emb.start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("restart took %v", time.Since(t0))
	t0 = time.Now()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p < uint64(down)+1000 {
			return fmt.Errorf("published %d, %d written before the restart", p, down)
		}
		return nil
	})
	t.Logf("first 1000 after restart took %v", time.Since(t0))
	stop.Store(true)
	wg.Wait()
	total := uint64(written.Load())
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != total {
			return fmt.Errorf("published %d of %d", p, total)
		}
		return nil
	})
	m := gather(t, reg)
	t.Logf("%d events; %d written while NATS was down; published %v, deduplicated %v, publish errors %v",
		total, written.Load()-down, m["ossflow_events_published_total"], m["ossflow_events_deduplicated_total"],
		m[`ossflow_events_errors_total{stage="publish"}`]+m[`ossflow_events_errors_total{stage="resync"}`])
	evs, err := streamEvents(ctx, b.JetStream(), b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != total {
		t.Fatalf("stream holds %d events, want %d", len(evs), total)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("stream message %d is event %d: gap, duplicate or reordering", i+1, e.Seq)
		}
	}
}

func TestMetricsAndFillWarning(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.DurabilityHold = time.Hour // keep entries: the outbox fills
	cfg.OutboxStats = ob.stats
	cfg.OutboxLimit = 40
	cfg.WarnInterval = 20 * time.Millisecond
	logs := &syncBuffer{}
	cfg.Logger = newTestLogger(logs)
	b := startBroker(t, cfg)
	reg := prometheus.NewRegistry()
	if err := b.Register(reg); err != nil {
		t.Fatal(err)
	}
	if err := b.Register(reg); err == nil {
		t.Fatal("second Register succeeded, want AlreadyRegistered error")
	}
	for range 30 {
		ob.add("b", "k", oss.ObjectCreatedPut)
	}
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		m := gather(t, reg)
		want := map[string]float64{
			"ossflow_events_published_total":   30,
			"ossflow_events_outbox_depth":      30,
			"ossflow_events_outbox_limit":      40,
			"ossflow_events_relay_lag_events":  0,
			"ossflow_events_relay_lag_seconds": 0,
		}
		for k, v := range want {
			if m[k] != v {
				return fmt.Errorf("%s = %v, want %v", k, m[k], v)
			}
		}
		if m["ossflow_events_outbox_oldest_age_seconds"] <= 0 {
			return errors.New("oldest age is 0")
		}
		// One PubAck covers up to ackEvery messages of a batch: between one
		// and 30 acknowledged publishes, each with a duration and a delay.
		acks := m["ossflow_events_publish_duration_seconds_count"]
		if acks < 1 || acks > 30 || m["ossflow_events_commit_to_ack_seconds_count"] != acks {
			return fmt.Errorf("publish durations %v, commit delays %v, want as many, 1 to 30",
				acks, m["ossflow_events_commit_to_ack_seconds_count"])
		}
		if !strings.Contains(logs.String(), "event outbox filling") {
			return errors.New("no fill warning logged")
		}
		return nil
	})
}

// gather returns every sample of reg by name (counters, gauges,
// histogram counts, with labels in the name when present).
func gather(t testing.TB, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			if len(m.GetLabel()) > 0 {
				var ls []string
				for _, l := range m.GetLabel() {
					ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				}
				name += "{" + strings.Join(ls, ",") + "}"
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[name] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[name+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestRelayRepublishesATailLostToPowerLoss simulates a power loss that
// loses the stream's unsynced tail: the message block file is truncated
// while the outbox still holds the entries (durability hold). After the
// restart the stream must again hold every event exactly once.
func TestRelayRepublishesATailLostToPowerLoss(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.DurabilityHold = time.Hour
	b := startBroker(t, cfg)
	var ids []string
	for i := range 200 {
		ids = append(ids, ob.add("b", fmt.Sprint(i%10), oss.ObjectCreatedPut).ID)
	}
	waitPublished(t, b, 200, 10*time.Second)
	b.Close()
	truncateStream(t, cfg.DataDir, 0.75)

	b2 := startBroker(t, cfg)
	n, err := streamCount(context.Background(), b2.JetStream(), b2.Stream())
	t.Logf("stream holds %d of 200 after the simulated power loss (%v)", n, err)
	waitPublished(t, b2, 200, 10*time.Second)
	checkStream(t, b2, ids)
}

// TestRelayForeignLastMessage: someone else published on the events
// subjects, so the stream's last message is not an event the relay can
// recognise. The relay cannot skip: it republishes its held entries, which
// the duplicate window drops (counted), and carries on in order.
func TestRelayForeignLastMessage(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.DurabilityHold = time.Hour
	if os.Getenv("BROKER_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b := startBroker(t, cfg)
	var ids []string
	for range 50 {
		ids = append(ids, ob.add("b", "k", oss.ObjectCreatedPut).ID)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != 50 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	b.Close()

	plain := cfg
	plain.Outbox = nil
	b1 := startBroker(t, plain)
	if _, err := b1.JetStream().Publish(context.Background(), "ossflow.events.b.Foreign.Thing", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	b1.Close()

	for range 20 {
		ids = append(ids, ob.add("b", "k", oss.ObjectCreatedPut).ID)
	}
	b2 := startBroker(t, cfg)
	reg := prometheus.NewRegistry()
	if err := b2.Register(reg); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b2.RelayStatus().Published; p != 70 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	m := gather(t, reg)
	if m["ossflow_events_deduplicated_total"] != 50 || m["ossflow_events_published_total"] != 20 {
		t.Fatalf("deduplicated %v published %v, want 50 and 20", m["ossflow_events_deduplicated_total"], m["ossflow_events_published_total"])
	}
	if _, err := streamEvents(context.Background(), b2.JetStream(), b2.Stream()); err == nil {
		t.Fatal("decoding the foreign message succeeded")
	}
	s, _ := b2.JetStream().Stream(context.Background(), b2.Stream())
	if n := s.CachedInfo().State.Msgs; n != 71 {
		t.Fatalf("stream holds %d messages, want 50 + 1 foreign + 20", n)
	}
}

// TestRelayAcknowledgesBatchesNotMessages checks that a backlog is
// published with one PubAck per ackEvery messages, not one per message,
// and still lands exactly once and in order.
func TestRelayAcknowledgesBatchesNotMessages(t *testing.T) {
	ob := newFakeOutbox()
	var ids []string
	const n = 1000
	for i := range n { // a backlog, before the relay starts
		ids = append(ids, ob.add("b", fmt.Sprintf("k%d", i), oss.ObjectCreatedPut).ID)
	}
	b := startBroker(t, testConfig(t, ob))
	reg := prometheus.NewRegistry()
	if err := b.Register(reg); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if d := ob.depth(); d != 0 {
			return fmt.Errorf("outbox depth %d", d)
		}
		return nil
	})
	checkStream(t, b, ids)
	m := gather(t, reg)
	// The first message is acknowledged alone (a new stream: the chain has
	// no anchor yet); then at most one PubAck per ackEvery messages, plus
	// one per read batch for its tail.
	acks := m["ossflow_events_publish_duration_seconds_count"]
	if limit := float64(1 + n/ackEvery + n/128); acks < 2 || acks > limit {
		t.Fatalf("%v PubAcks for %d events, want 2..%v", acks, n, limit)
	}
	if m["ossflow_events_published_total"] != n || m["ossflow_events_deduplicated_total"] != 0 {
		t.Fatalf("published %v deduplicated %v, want %d and 0", m["ossflow_events_published_total"], m["ossflow_events_deduplicated_total"], n)
	}
}

// TestRelayRecoversFromAChainBreakMidBatch publishes foreign messages into
// the stream while the relay streams a large backlog: each one breaks the
// chain in the middle of an unacknowledged run, so every later message of
// the run is rejected. The relay must notice at the next PubAck, resync
// and republish, leaving every event exactly once and in order.
func TestRelayRecoversFromAChainBreakMidBatch(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.DurabilityHold = time.Hour // keep every entry: republishing may reach back
	b := startBroker(t, cfg)
	ctx := context.Background()
	var ids []string
	const n, foreign = 4000, 20
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.Now().Add(30 * time.Second)
		for i := range foreign {
			for b.RelayStatus().Published < uint64(i*n/foreign) {
				if time.Now().After(deadline) {
					t.Errorf("published %d, waited for %d", b.RelayStatus().Published, i*n/foreign)
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
			if _, err := b.JetStream().Publish(ctx, "ossflow.events.other.Foreign.Thing", []byte("{}")); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range n {
		ids = append(ids, ob.add("b", fmt.Sprintf("k%d", i), oss.ObjectCreatedPut).ID)
	}
	<-done
	waitPublished(t, b, n, 30*time.Second)
	s, err := b.JetStream().Stream(ctx, b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	var evs []events.Event
	foreignSeen := 0
	for seq := uint64(1); seq <= s.CachedInfo().State.LastSeq; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if raw.Header.Get(events.HeaderMsgID) == "" {
			foreignSeen++
			continue
		}
		ev, err := events.Decode(raw.Header, raw.Data)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	if foreignSeen != foreign {
		t.Fatalf("%d foreign messages in the stream, want %d", foreignSeen, foreign)
	}
	if err := checkExactlyOnce(evs, ids); err != nil {
		t.Fatal(err)
	}
}

// TestRelayRewindsWhenTheServerLosesItsTail: the server (not ossflow)
// restarts having lost the unsynced tail of the stream — a power loss of
// an external R1 server — while the relay keeps running. The relay must
// go back to the stream's last message and republish what the stream
// lost from the held outbox entries, not carry on after what it had
// published: that would leave a gap.
func TestRelayRewindsWhenTheServerLosesItsTail(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.DurabilityHold = time.Hour
	b := startBroker(t, cfg)
	reg := prometheus.NewRegistry()
	if err := b.Register(reg); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 200 {
		ids = append(ids, ob.add("b", fmt.Sprint(i%10), oss.ObjectCreatedPut).ID)
	}
	waitPublished(t, b, 200, 10*time.Second)
	b.emb.shutdown()
	truncateStream(t, cfg.DataDir, 0.5)
	if err := b.emb.start(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		ids = append(ids, ob.add("b", fmt.Sprint(i%10), oss.ObjectCreatedPut).ID)
	}
	waitPublished(t, b, 250, 20*time.Second)
	checkStream(t, b, ids)
	if m := gather(t, reg); m["ossflow_events_rewound_total"] == 0 {
		t.Fatal("ossflow_events_rewound_total = 0 after a rewind")
	}
}

// TestRelayLingersOnlyUnderLoad: after a batch of several events the next
// read waits until BatchLinger after it; after a batch of one it does not.
func TestRelayLingersOnlyUnderLoad(t *testing.T) {
	ob := newFakeOutbox()
	cfg := testConfig(t, ob)
	cfg.BatchLinger = 2 * time.Second
	b := startBroker(t, cfg)
	ob.add("b", "k0", oss.ObjectCreatedPut)
	waitPublished(t, b, 1, 10*time.Second)
	// Two events that the relay can only read together: reads fail while
	// they are added.
	ob.setReadErr(errors.New("injected"))
	ob.add("b", "k1", oss.ObjectCreatedPut)
	ob.add("b", "k2", oss.ObjectCreatedPut)
	ob.setReadErr(nil)
	waitPublished(t, b, 3, 10*time.Second)
	start := time.Now()
	ob.add("b", "k3", oss.ObjectCreatedPut)
	waitPublished(t, b, 4, 10*time.Second)
	if d := time.Since(start); d < time.Second {
		t.Fatalf("the event after a batch of two went out after %v, want the linger (2s after that batch)", d)
	}
	start = time.Now()
	ob.add("b", "k4", oss.ObjectCreatedPut) // the last batch was one event
	waitPublished(t, b, 5, 10*time.Second)
	if d := time.Since(start); d >= time.Second {
		t.Fatalf("the event after a batch of one waited %v", d)
	}
}
