package broker

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
	"github.com/ossflow/ossflow/store"
)

// Integration tests with the real engine: store.Open on a temporary
// directory, its outbox drained by the relay into the embedded server.

func openStore(t testing.TB, dir string, limit int) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir, store.Options{OutboxLimit: limit})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	return st
}

// storeStats adapts the engine's stats, as the composition root does.
func storeStats(st *store.Store) func() OutboxStats {
	return func() OutboxStats {
		s := st.OutboxStats()
		return OutboxStats{Depth: s.Depth, OldestTime: s.OldestTime, LastSeq: s.LastSeq}
	}
}

// storeBroker opens a store under dir/store and a broker whose server
// keeps its data under dir/nats, closing both (broker first) at cleanup.
func storeBroker(t testing.TB, dir string, tweak func(*Config)) (*store.Store, *Broker) {
	t.Helper()
	st := openStore(t, filepath.Join(dir, "store"), 0)
	cfg := Config{
		DataDir:        filepath.Join(dir, "nats"),
		Port:           -1,
		Outbox:         st,
		OutboxStats:    storeStats(st),
		PublishTimeout: 2 * time.Second,
		MinBackoff:     10 * time.Millisecond,
		MaxBackoff:     200 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	b := startBroker(t, cfg)
	t.Cleanup(func() {
		b.Close()
		st.Close()
	})
	return st, b
}

func putObject(ctx context.Context, st *store.Store, bucket, key, body string) (oss.ObjectInfo, error) {
	return st.PutObject(ctx, oss.PutObjectInput{Bucket: bucket, Key: key, Size: int64(len(body))}, strings.NewReader(body))
}

// waitCaughtUp waits until the relay has published every committed event.
func waitCaughtUp(t testing.TB, st *store.Store, b *Broker, timeout time.Duration) uint64 {
	t.Helper()
	var last uint64
	checkFor(t, timeout, 5*time.Millisecond, func() error {
		last = st.OutboxStats().LastSeq
		if p := b.RelayStatus().Published; p != last {
			return fmt.Errorf("published %d of %d", p, last)
		}
		return nil
	})
	return last
}

// writeStorm runs writers that put unique bodies to a few shared keys per
// bucket until stop is set; it returns the acknowledged ETags by
// bucket/key, in acknowledgement order per writer.
type writeStorm struct {
	stop  atomic.Bool
	wg    sync.WaitGroup
	count atomic.Int64
	mu    sync.Mutex
	acked map[string]string // ETag -> bucket/key
	errs  []error
}

func startWriteStorm(t testing.TB, st *store.Store, buckets []string, writers, keys int, pace time.Duration) *writeStorm {
	w := &writeStorm{acked: map[string]string{}}
	// Registered after the store's cleanup, so it runs before it.
	t.Cleanup(func() { w.stop.Store(true); w.wg.Wait() })
	for i := range writers {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			ctx := context.Background()
			for n := 0; !w.stop.Load(); n++ {
				bucket := buckets[n%len(buckets)]
				key := fmt.Sprintf("k%02d", (n*7+i)%keys)
				info, err := putObject(ctx, st, bucket, key, fmt.Sprintf("writer %d put %d", i, n))
				w.mu.Lock()
				if err != nil {
					w.errs = append(w.errs, err)
				} else {
					w.acked[info.ETag] = bucket + "/" + key
				}
				w.mu.Unlock()
				w.count.Add(1)
				if pace > 0 {
					time.Sleep(pace)
				}
			}
		}()
	}
	return w
}

func (w *writeStorm) finish(t testing.TB) {
	t.Helper()
	w.stop.Store(true)
	w.wg.Wait()
	if len(w.errs) > 0 {
		t.Fatalf("%d writes failed, first: %v", len(w.errs), w.errs[0])
	}
}

// checkStreamMatchesStore verifies that the stream holds, in commit order,
// exactly one event per committed mutation (Seq 1..last, no duplicate
// event ID), one per acknowledged PUT (by ETag), and that per key the
// events are in commit order (BucketSeq grows) with the last one
// describing the object the store holds now.
func checkStreamMatchesStore(t testing.TB, st *store.Store, b *Broker, last uint64, acked map[string]string) {
	t.Helper()
	ctx := context.Background()
	evs, err := streamEvents(ctx, b.JetStream(), b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != last {
		t.Fatalf("stream holds %d events, %d committed", len(evs), last)
	}
	ids := map[string]bool{}
	etags := map[string]int{}
	lastETag := map[string]string{}
	bseq := map[string]uint64{}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("stream message %d is event %d: gap, duplicate or reordering", i+1, e.Seq)
		}
		if ids[e.ID] {
			t.Fatalf("event ID %s twice", e.ID)
		}
		ids[e.ID] = true
		if e.BucketSeq <= bseq[e.Bucket] {
			t.Fatalf("bucket %s: BucketSeq %d after %d", e.Bucket, e.BucketSeq, bseq[e.Bucket])
		}
		bseq[e.Bucket] = e.BucketSeq
		if e.Name == oss.ObjectCreatedPut {
			etag := `"` + e.Record.OSS.Object.ETag + `"`
			etags[etag]++
			lastETag[e.Bucket+"/"+e.Key] = etag
		}
	}
	for etag, where := range acked {
		if etags[etag] != 1 {
			t.Fatalf("acknowledged PUT %s (%s) has %d events", where, etag, etags[etag])
		}
	}
	for bk, etag := range lastETag {
		bucket, key, _ := strings.Cut(bk, "/")
		info, err := st.HeadObject(ctx, oss.GetObjectInput{Bucket: bucket, Key: key})
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag != etag {
			t.Fatalf("%s: last event has ETag %s, the store holds %s: per-key order broken", bk, etag, info.ETag)
		}
	}
}

func TestStorePerKeyOrderUnderConcurrentWrites(t *testing.T) {
	st, b := storeBroker(t, t.TempDir(), nil)
	ctx := context.Background()
	buckets := []string{"alpha", "beta"}
	for _, name := range buckets {
		if _, err := st.CreateBucket(ctx, oss.Bucket{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	w := startWriteStorm(t, st, buckets, 8, 5, 0)
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if n := w.count.Load(); n < 2000 {
			return fmt.Errorf("%d writes", n)
		}
		return nil
	})
	w.finish(t)
	last := waitCaughtUp(t, st, b, 20*time.Second)
	checkStreamMatchesStore(t, st, b, last, w.acked)
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if d := st.OutboxStats().Depth; d != 0 {
			return fmt.Errorf("outbox depth %d after the hold", d)
		}
		return nil
	})
}

// TestStoreNATSRestartDuringWriteStorm stops the embedded server during a
// write storm: writes keep succeeding (the outbox grows), and once the
// server is back every event arrives exactly once.
func TestStoreNATSRestartDuringWriteStorm(t *testing.T) {
	st, b := storeBroker(t, t.TempDir(), func(c *Config) { c.DurabilityHold = 200 * time.Millisecond })
	ctx := context.Background()
	buckets := []string{"alpha", "beta", "gamma"}
	for _, name := range buckets {
		if _, err := st.CreateBucket(ctx, oss.Bucket{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	w := startWriteStorm(t, st, buckets, 6, 4, 0)
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p < 500 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	b.emb.shutdown()
	down := w.count.Load()
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if n := w.count.Load() - down; n < 1000 {
			return fmt.Errorf("%d writes while NATS is down", n)
		}
		return nil
	})
	if d := st.OutboxStats().Depth; d < 1000 {
		t.Fatalf("outbox depth %d while NATS is down, want >= 1000", d)
	}
	if lag := b.RelayStatus().LagSeconds; lag <= 0 {
		t.Fatalf("relay lag %v while NATS is down", lag)
	}
	if err := b.emb.start(); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if p := b.RelayStatus().Published; p < uint64(down)+1000 {
			return fmt.Errorf("published %d", p)
		}
		return nil
	})
	w.finish(t)
	last := waitCaughtUp(t, st, b, 30*time.Second)
	checkStreamMatchesStore(t, st, b, last, w.acked)
}

// TestStoreSubjectFilters drives real mutations and selects them by
// bucket, event name and wildcard through durable consumers.
func TestStoreSubjectFilters(t *testing.T) {
	st, b := storeBroker(t, t.TempDir(), nil)
	ctx := context.Background()
	for _, name := range []string{"photos", "docs"} {
		if _, err := st.CreateBucket(ctx, oss.Bucket{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(putObject(ctx, st, "photos", "src/a.jpg", "a"))
	must(putObject(ctx, st, "docs", "src/b.txt", "b"))
	must(st.CopyObject(ctx, oss.CopyObjectInput{SrcBucket: "photos", SrcKey: "src/a.jpg", Dest: oss.PutObjectInput{Bucket: "photos", Key: "dst/a.jpg"}}))
	must(st.DeleteObject(ctx, oss.DeleteObjectInput{Bucket: "photos", Key: "src/a.jpg"}))
	must(putObject(ctx, st, "photos", "src/z.jpg", "z"))
	waitCaughtUp(t, st, b, 10*time.Second)

	tests := []struct {
		name string
		opts TailOptions
		want []string
	}{
		{"all", TailOptions{}, []string{
			"photos BucketCreated:PutBucket ", "docs BucketCreated:PutBucket ",
			"photos ObjectCreated:PutObject src/a.jpg", "docs ObjectCreated:PutObject src/b.txt",
			"photos ObjectCreated:CopyObject dst/a.jpg", "photos ObjectRemoved:DeleteObject src/a.jpg",
			"photos ObjectCreated:PutObject src/z.jpg"}},
		{"bucket", TailOptions{Bucket: "photos", Events: []string{"ObjectCreated:*", "ObjectRemoved:*"}}, []string{
			"photos ObjectCreated:PutObject src/a.jpg", "photos ObjectCreated:CopyObject dst/a.jpg",
			"photos ObjectRemoved:DeleteObject src/a.jpg", "photos ObjectCreated:PutObject src/z.jpg"}},
		{"event name", TailOptions{Events: []string{"oss:ObjectCreated:PutObject"}}, []string{
			"photos ObjectCreated:PutObject src/a.jpg", "docs ObjectCreated:PutObject src/b.txt",
			"photos ObjectCreated:PutObject src/z.jpg"}},
		{"action wildcard and prefix", TailOptions{Events: []string{"*:PutObject", "*:DeleteObject"}, Prefix: "src/", Suffix: ".jpg"}, []string{
			"photos ObjectCreated:PutObject src/a.jpg", "photos ObjectRemoved:DeleteObject src/a.jpg",
			"photos ObjectCreated:PutObject src/z.jpg"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var got []string
			err := Tail(tctx, b.JetStream(), tc.opts, func(ev events.Event) error {
				got = append(got, fmt.Sprintf("%s %s %s", ev.Bucket, ev.Name, ev.Key))
				if ev.Key == "src/z.jpg" {
					return errStop
				}
				return nil
			})
			if err != errStop {
				t.Fatalf("Tail = %v; got %q", err, got)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
