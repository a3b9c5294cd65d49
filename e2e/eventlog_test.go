package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/broker"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
	"github.com/ossflow/ossflow/server/servertest"
	"github.com/ossflow/ossflow/store"
)

// eventLog stands in for the engine's outbox over the wire: it reads the
// events where consumers read them, the event plane's JetStream stream
// (server.Events(), decoded by sdk/events from the message headers and the
// OSS JSON body), from the first event on.
//
// read waits until the stream holds every committed event: until the
// relay reports no lag (ossflow_events_relay_lag_events, on the server's
// metrics), then until the tail has received the stream's last message.
// Acknowledgement is a cursor of the adapter (the stream keeps the
// events): OutboxAck moves it, OutboxStats counts the events past it.
type eventLog struct {
	t      *testing.T
	ts     *servertest.Instance
	b      *broker.Broker
	notify chan struct{}

	mu         sync.Mutex
	evs        []oss.Event
	lastStream uint64 // stream sequence of the last event received
	acked      uint64 // outbox Seq acknowledged
	err        error
}

func newEventLog(t *testing.T, ts *servertest.Instance) *eventLog {
	l := &eventLog{t: t, ts: ts, b: ts.Server.Events(), notify: make(chan struct{}, 1)}
	if l.b == nil {
		return l
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := broker.Tail(ctx, l.b.JetStream(), broker.TailOptions{Stream: l.b.Stream(), SubjectPrefix: l.b.SubjectPrefix()}, l.add)
		if err != nil {
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done }) // before the server's shutdown (cleanups run last-in first-out)
	return l
}

func (l *eventLog) add(ev events.Event) error {
	t, _ := time.Parse("2006-01-02T15:04:05.000Z", ev.Record.EventTime)
	l.mu.Lock()
	l.evs = append(l.evs, oss.Event{Seq: ev.Seq, ID: ev.ID, BucketSeq: ev.BucketSeq, Name: ev.Name, Bucket: ev.Bucket, Key: ev.Key,
		VersionID: ev.VersionID, Time: t, Origin: ev.Origin, Record: ev.Record})
	l.lastStream = ev.StreamSeq
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
	return nil
}

// sync waits until every committed event has reached the log.
func (l *eventLog) sync(ctx context.Context) error {
	if l.b == nil {
		l.t.Skip("the event plane is off: no events to read")
	}
	deadline := time.Now().Add(10 * time.Second)
	wait := time.Millisecond
	for {
		err := l.caughtUp(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("events: %w", err)
		}
		time.Sleep(wait)
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func (l *eventLog) caughtUp(ctx context.Context) error {
	lag, err := relayLag(l.ts)
	if err != nil {
		return err
	}
	if lag != 0 {
		return fmt.Errorf("the relay lags %.0f events", lag)
	}
	st, err := l.b.JetStream().Stream(ctx, l.b.Stream())
	if err != nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if l.lastStream < info.State.LastSeq {
		return fmt.Errorf("tail at stream sequence %d of %d", l.lastStream, info.State.LastSeq)
	}
	return nil
}

func (l *eventLog) read(ctx context.Context, afterSeq uint64, max int) ([]oss.Event, error) {
	if err := l.sync(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []oss.Event
	for _, ev := range l.evs {
		if ev.Seq > afterSeq && ev.Seq > l.acked && len(out) < max {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (l *eventLog) ack(upto uint64) {
	l.mu.Lock()
	l.acked = max(l.acked, upto)
	l.mu.Unlock()
}

func (l *eventLog) stats() store.OutboxStats {
	if err := l.sync(context.Background()); err != nil {
		l.t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var st store.OutboxStats
	for _, ev := range l.evs {
		st.LastSeq = max(st.LastSeq, ev.Seq)
		if ev.Seq > l.acked {
			if st.Depth == 0 {
				st.OldestTime = ev.Time
			}
			st.Depth++
		}
	}
	return st
}
