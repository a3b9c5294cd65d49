package broker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

var errStop = errors.New("stop")

// tailUntil runs Tail until emit has seen the event with Seq last (every
// test set ends with an event all filters select) and returns the Seqs.
func tailUntil(t *testing.T, b *Broker, opts TailOptions, last uint64) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []uint64
	err := Tail(ctx, b.JetStream(), opts, func(ev events.Event) error {
		got = append(got, ev.Seq)
		if ev.Seq == last {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Tail = %v after %v, want errStop", err, got)
	}
	return got
}

func TestTailFilters(t *testing.T) {
	ob := newFakeOutbox()
	b := startBroker(t, testConfig(t, ob))
	type spec struct {
		bucket, key string
		name        oss.EventName
	}
	specs := []spec{
		{"photos", "src/a.zip", oss.ObjectCreatedPut},
		{"docs", "src/b.zip", oss.ObjectCreatedPut},
		{"photos", "src/c.txt", oss.ObjectCreatedCopy},
		{"photos", "dst/d.zip", oss.ObjectRemovedDelete},
		{"photos", "", oss.BucketCreated},
		{"docs", "src/e.zip", oss.ObjectModifiedTagging},
		{"photos", "src/f.zip", oss.ObjectCreatedCompleteMultipart},
		{"photos", "src/z.zip", oss.ObjectCreatedPut}, // selected by every filter below
	}
	for _, s := range specs {
		ob.add(s.bucket, s.key, s.name)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != uint64(len(specs)) {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	// The store time of stream message 4, for StartTime.
	s, err := b.JetStream().Stream(context.Background(), b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	m4, err := s.GetMsg(context.Background(), 4)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts TailOptions
		want []uint64
	}{
		{"everything", TailOptions{}, []uint64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"bucket", TailOptions{Bucket: "photos"}, []uint64{1, 3, 4, 5, 7, 8}},
		{"event type wildcard", TailOptions{Events: []string{"ObjectCreated:*"}}, []uint64{1, 2, 3, 7, 8}},
		{"exact events in a bucket", TailOptions{Bucket: "photos", Events: []string{"oss:ObjectCreated:PutObject", "ObjectRemoved:*"}}, []uint64{1, 4, 8}},
		{"action wildcard", TailOptions{Events: []string{"*:PutObject"}}, []uint64{1, 2, 8}},
		{"key prefix and suffix", TailOptions{Prefix: "src/", Suffix: ".zip"}, []uint64{1, 2, 6, 7, 8}},
		{"all filters", TailOptions{Bucket: "photos", Events: []string{"ObjectCreated:*"}, Prefix: "src/", Suffix: ".zip"}, []uint64{1, 7, 8}},
		{"start sequence", TailOptions{StartSeq: 6}, []uint64{6, 7, 8}},
		{"start time", TailOptions{StartTime: m4.Time}, []uint64{4, 5, 6, 7, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tailUntil(t, b, tc.opts, 8); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := events.FilterSubjects("x", "", "bad"); err == nil {
		t.Fatal("bad pattern accepted")
	}
	if err := Tail(context.Background(), b.JetStream(), TailOptions{Events: []string{"bad"}}, nil); err == nil {
		t.Fatal("Tail accepted a bad pattern")
	}
}

func TestTailNewOnlyFollowsLiveEvents(t *testing.T) {
	ob := newFakeOutbox()
	b := startBroker(t, testConfig(t, ob))
	for range 5 {
		ob.add("b", "old", oss.ObjectCreatedPut)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != 5 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	started := make(chan struct{})
	var (
		mu  sync.Mutex
		got []string
	)
	done := make(chan error, 1)
	go func() {
		close(started)
		done <- Tail(ctx, b.JetStream(), TailOptions{NewOnly: true}, func(ev events.Event) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, ev.Key)
			if len(got) == 3 {
				return errStop
			}
			return nil
		})
	}()
	<-started
	// The consumer may start after some of these: keep adding until three
	// new events arrived; none of the old ones may appear.
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		select {
		case err := <-done:
			if !errors.Is(err, errStop) {
				t.Fatalf("Tail = %v", err)
			}
			return nil
		default:
			ob.add("b", "new", oss.ObjectCreatedPut)
			return errors.New("waiting")
		}
	})
	for _, k := range got {
		if k != "new" {
			t.Fatalf("NewOnly tail delivered %v", got)
		}
	}
}

// flushWriter records writes and flushes.
type flushWriter struct {
	mu      sync.Mutex
	lines   []string
	flushes int
}

func (w *flushWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lines = append(w.lines, string(p))
	return len(p), nil
}

func (w *flushWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushes++
	return nil
}

func TestTailJSON(t *testing.T) {
	ob := newFakeOutbox()
	b := startBroker(t, testConfig(t, ob))
	var want []string
	for i := range 20 {
		e := ob.add("b", fmt.Sprintf("k\n%d", i), oss.ObjectCreatedPut)
		p, _ := e.Payload()
		want = append(want, string(p)+"\n")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &flushWriter{}
	done := make(chan error, 1)
	go func() { done <- TailJSON(ctx, b.JetStream(), TailOptions{}, w) }()
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.lines) != 20 {
			return fmt.Errorf("%d lines", len(w.lines))
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("TailJSON after cancel = %v, want nil", err)
	}
	if !slices.Equal(w.lines, want) || w.flushes != 20 {
		t.Fatalf("lines %q (flushes %d), want %q", w.lines, w.flushes, want)
	}
	// A failing writer ends the tail with its error.
	pr, pw := io.Pipe()
	pr.Close()
	err := TailJSON(context.Background(), b.JetStream(), TailOptions{}, bufio.NewWriterSize(pw, 1))
	if err == nil || !strings.Contains(err.Error(), "closed pipe") {
		t.Fatalf("TailJSON to a closed pipe = %v", err)
	}
}
