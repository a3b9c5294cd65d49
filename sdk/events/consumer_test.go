package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/broker"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

func checkFor(t testing.TB, timeout, interval time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(interval)
	}
	t.Fatalf("condition not met after %v: %v", timeout, err)
}

// startBroker runs an embedded broker without a relay; tests publish
// events the way the relay does.
func startBroker(t testing.TB) *broker.Broker {
	t.Helper()
	b, err := broker.Start(context.Background(), broker.Config{DataDir: t.TempDir(), Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

var seq uint64

// publish publishes one event on the wire format of package events.
func publish(t testing.TB, js jetstream.JetStream, bucket, key string, name oss.EventName) string {
	t.Helper()
	seq++
	id := fmt.Sprintf("id-%d", seq)
	rec := oss.EventRecord{EventName: string(name), EventID: id,
		OSS: oss.EventOSS{Bucket: oss.EventBucket{Name: bucket}, Object: oss.EventObject{Key: key}}}
	data, _ := json.Marshal(oss.EventEnvelope{Events: []oss.EventRecord{rec}})
	m := &nats.Msg{
		Subject: events.Subject(events.DefaultSubjectPrefix, bucket, name),
		Data:    data,
		Header: nats.Header{
			events.HeaderMsgID: {id}, events.HeaderEventID: {id}, events.HeaderBucket: {bucket},
			events.HeaderKey: {events.EncodeKeyHeader(key)}, events.HeaderEventName: {string(name)},
			events.HeaderSeq: {strconv.FormatUint(seq, 10)}, events.HeaderBucketSeq: {"1"},
		},
	}
	if _, err := js.PublishMsg(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return id
}

// recorder is a handler that fails each listed key once.
type recorder struct {
	mu       sync.Mutex
	handled  []string
	attempts map[string]int
	failOnce map[string]bool
}

func (r *recorder) handle(_ context.Context, ev events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[ev.Key]++
	if r.failOnce[ev.Key] && r.attempts[ev.Key] == 1 {
		return errors.New("transient")
	}
	r.handled = append(r.handled, ev.Key)
	return nil
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.handled)
}

func TestConsumeFiltersAcksAndRedelivers(t *testing.T) {
	b := startBroker(t)
	js := b.JetStream()
	publish(t, js, "photos", "src/1.zip", oss.ObjectCreatedPut)
	publish(t, js, "docs", "src/2.zip", oss.ObjectCreatedPut)      // other bucket
	publish(t, js, "photos", "src/3.zip", oss.ObjectRemovedDelete) // other event
	publish(t, js, "photos", "dst/4.zip", oss.ObjectCreatedCopy)   // other prefix
	publish(t, js, "photos", "src/5.zip", oss.ObjectCreatedCopy)   // fails once
	publish(t, js, "photos", "src/6.txt", oss.ObjectCreatedPut)    // other suffix
	publish(t, js, "photos", "src/7.zip", oss.ObjectCreatedPost)   // ok

	rec := &recorder{attempts: map[string]int{}, failOnce: map[string]bool{"src/5.zip": true}}
	var errs []error
	var errMu sync.Mutex
	cfg := events.ConsumerConfig{
		Durable: "zipper", Bucket: "photos", Events: []string{"ObjectCreated:*"},
		Keys:     events.KeyFilter{Prefix: "src/", Suffix: ".zip"},
		NakDelay: 20 * time.Millisecond,
		// Events pulled by a stopped consumer come back after AckWait.
		AckWait: time.Second,
		OnError: func(err error) { errMu.Lock(); errs = append(errs, err); errMu.Unlock() },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- events.Consume(ctx, js, cfg, rec.handle) }()
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if got := rec.snapshot(); len(got) != 3 {
			return fmt.Errorf("handled %v", got)
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Consume after cancel = %v", err)
	}
	got := rec.snapshot()
	slices.Sort(got)
	if want := []string{"src/1.zip", "src/5.zip", "src/7.zip"}; !slices.Equal(got, want) {
		t.Fatalf("handled %v, want %v", got, want)
	}
	if rec.attempts["src/5.zip"] != 2 {
		t.Fatalf("src/5.zip attempted %d times, want 2", rec.attempts["src/5.zip"])
	}
	errMu.Lock()
	if len(errs) != 1 {
		t.Fatalf("OnError got %v, want the one handler failure", errs)
	}
	errMu.Unlock()

	// The durable remembers its position: only new events after a restart.
	publish(t, js, "photos", "src/8.zip", oss.ObjectCreatedPut)
	rec2 := &recorder{attempts: map[string]int{}}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() { done <- events.Consume(ctx2, js, cfg, rec2.handle) }()
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if got := rec2.snapshot(); !slices.Equal(got, []string{"src/8.zip"}) {
			return fmt.Errorf("handled %v after restart", got)
		}
		return nil
	})
	cancel2()
	<-done
}

func TestConsumeTerminatesUndecodableMessages(t *testing.T) {
	b := startBroker(t)
	js := b.JetStream()
	if _, err := js.Publish(context.Background(), events.DefaultSubjectPrefix+".b.ObjectCreated.PutObject", []byte("not json")); err != nil {
		t.Fatal(err)
	}
	publish(t, js, "b", "good", oss.ObjectCreatedPut)
	rec := &recorder{attempts: map[string]int{}}
	var bad sync.WaitGroup
	bad.Add(1)
	var once sync.Once
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go events.Consume(ctx, js, events.ConsumerConfig{Durable: "d", OnError: func(error) { once.Do(bad.Done) }}, rec.handle)
	bad.Wait()
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if got := rec.snapshot(); !slices.Equal(got, []string{"good"}) {
			return fmt.Errorf("handled %v", got)
		}
		return nil
	})
	if err := events.Consume(ctx, js, events.ConsumerConfig{}, rec.handle); err == nil {
		t.Fatal("Consume without Durable succeeded")
	}
}

// tempDir is os.MkdirTemp for examples, which have no testing.T.
func tempDir() (string, func()) {
	dir, err := os.MkdirTemp("", "ossflow-events-example")
	if err != nil {
		panic(err)
	}
	return dir, func() { os.RemoveAll(dir) }
}
