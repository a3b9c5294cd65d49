package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

// checkFor calls f every interval until it returns nil, failing the test
// with f's last error after timeout (as nats-server's tests do).
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

// fakeOutbox is an in-memory Outbox with the engine's semantics: dense
// Seq from 1, reads after max(afterSeq, acked), acks remove a prefix.
type fakeOutbox struct {
	mu       sync.Mutex
	evs      []oss.Event // Seq > acked, in order
	acked    uint64
	last     uint64
	bseq     map[string]uint64
	notify   chan struct{}
	readErr  error // returned by OutboxRead while set
	ackErr   error
	ackCalls int
}

func newFakeOutbox() *fakeOutbox {
	return &fakeOutbox{bseq: map[string]uint64{}, notify: make(chan struct{}, 1)}
}

// add commits an event for bucket/key and returns it.
func (o *fakeOutbox) add(bucket, key string, name oss.EventName) oss.Event {
	o.mu.Lock()
	o.last++
	o.bseq[bucket]++
	now := time.Now().UTC()
	id := fmt.Sprintf("ev-%d-%d", o.last, now.UnixNano())
	e := oss.Event{
		Seq: o.last, ID: id, BucketSeq: o.bseq[bucket], Name: name, Bucket: bucket, Key: key, Time: now,
		Record: oss.EventRecord{
			EventName: string(name), EventSource: "acs:oss", EventVersion: "1.0", EventID: id,
			EventTime: now.Format("2006-01-02T15:04:05.000Z"), Region: "cn-hangzhou",
			OSS: oss.EventOSS{
				Bucket:           oss.EventBucket{Name: bucket, ARN: "acs:oss:cn-hangzhou:1:" + bucket},
				Object:           oss.EventObject{Key: key, Sequencer: fmt.Sprintf("%016X", o.bseq[bucket])},
				OSSSchemaVersion: "1.0",
			},
		},
	}
	o.evs = append(o.evs, e)
	o.mu.Unlock()
	select {
	case o.notify <- struct{}{}:
	default:
	}
	return e
}

func (o *fakeOutbox) OutboxRead(_ context.Context, after uint64, max int) ([]oss.Event, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.readErr != nil {
		return nil, o.readErr
	}
	i, _ := slices.BinarySearchFunc(o.evs, after+1, func(e oss.Event, s uint64) int {
		switch {
		case e.Seq < s:
			return -1
		case e.Seq > s:
			return 1
		}
		return 0
	})
	j := min(i+max, len(o.evs))
	return slices.Clone(o.evs[i:j]), nil
}

func (o *fakeOutbox) OutboxAck(_ context.Context, upto uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ackCalls++
	if o.ackErr != nil {
		return o.ackErr
	}
	n := 0
	for n < len(o.evs) && o.evs[n].Seq <= upto {
		n++
	}
	o.evs = o.evs[n:]
	o.acked = max(o.acked, upto)
	return nil
}

func (o *fakeOutbox) OutboxNotify() <-chan struct{} { return o.notify }

func (o *fakeOutbox) stats() OutboxStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := OutboxStats{Depth: uint64(len(o.evs)), LastSeq: o.last}
	if len(o.evs) > 0 {
		st.OldestTime = o.evs[0].Time
	}
	return st
}

func (o *fakeOutbox) depth() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.evs)
}

func (o *fakeOutbox) setReadErr(err error) {
	o.mu.Lock()
	o.readErr = err
	o.mu.Unlock()
}

// testConfig is an embedded broker configuration for tests: no listener,
// short timeouts.
func testConfig(t testing.TB, ob Outbox) Config {
	return Config{
		DataDir:        t.TempDir(),
		Port:           -1,
		Outbox:         ob,
		PublishTimeout: 2 * time.Second,
		MinBackoff:     10 * time.Millisecond,
		MaxBackoff:     200 * time.Millisecond,
		DurabilityHold: -1,
	}
}

func startBroker(t testing.TB, cfg Config) *Broker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// streamEvents reads every message of the stream (direct gets, in stream
// order) and decodes it.
func streamEvents(ctx context.Context, js jetstream.JetStream, stream string) ([]events.Event, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	st := s.CachedInfo().State
	var out []events.Event
	for seq := st.FirstSeq; seq > 0 && seq <= st.LastSeq; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ev, err := events.Decode(raw.Header, raw.Data)
		if err != nil {
			return nil, err
		}
		ev.StreamSeq = raw.Sequence
		out = append(out, ev)
	}
	return out, nil
}

// checkExactlyOnce verifies that evs hold Seq 1..n exactly once, in Seq
// order, with the given IDs (want[seq-1]).
func checkExactlyOnce(evs []events.Event, want []string) error {
	if len(evs) != len(want) {
		seen := map[uint64]int{}
		for _, e := range evs {
			seen[e.Seq]++
		}
		var dups, missing []uint64
		for s, n := range seen {
			if n > 1 {
				dups = append(dups, s)
			}
		}
		for i := range want {
			if seen[uint64(i+1)] == 0 {
				missing = append(missing, uint64(i+1))
			}
		}
		slices.Sort(dups)
		slices.Sort(missing)
		return fmt.Errorf("stream holds %d events, want %d (dups %v, missing %v)", len(evs), len(want), head(dups), head(missing))
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) || e.ID != want[i] {
			return fmt.Errorf("stream message %d is event seq %d id %s, want seq %d id %s", i+1, e.Seq, e.ID, i+1, want[i])
		}
	}
	return nil
}

func head(s []uint64) []uint64 {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

func streamCount(ctx context.Context, js jetstream.JetStream, stream string) (uint64, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, err
	}
	return s.CachedInfo().State.Msgs, nil
}

func atoi(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// waitPublished waits until the relay has published n events.
func waitPublished(t testing.TB, b *Broker, n uint64, timeout time.Duration) {
	t.Helper()
	checkFor(t, timeout, 5*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p != n {
			return fmt.Errorf("published %d of %d", p, n)
		}
		return nil
	})
}

// checkStream fails t unless the stream holds exactly the events with
// the given IDs, once each and in order (see checkExactlyOnce).
func checkStream(t testing.TB, b *Broker, ids []string) {
	t.Helper()
	evs, err := streamEvents(context.Background(), b.JetStream(), b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if err := checkExactlyOnce(evs, ids); err != nil {
		t.Fatal(err)
	}
}

// truncateStream cuts the events stream's only message block of a
// stopped embedded server to frac of its size and drops its index, as a
// power loss would lose the unsynced tail.
func truncateStream(t testing.TB, dataDir string, frac float64) {
	t.Helper()
	dir := filepath.Join(dataDir, "jetstream", "$G", "streams", events.DefaultStream)
	blks, _ := filepath.Glob(filepath.Join(dir, "msgs", "*.blk"))
	if len(blks) != 1 {
		t.Fatalf("message blocks %v, want one", blks)
	}
	fi, err := os.Stat(blks[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(blks[0], int64(float64(fi.Size())*frac)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "msgs", "index.db"))
}
