//go:build long

package broker

import (
	"context"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
)

// Soak tests: go test -tags long -run Long -timeout 30m ./broker/

// TestLongSoakServerRestarts writes for a minute through the real store
// while the embedded server is restarted every few seconds, then checks
// that every event is in the stream exactly once, in commit order.
func TestLongSoakServerRestarts(t *testing.T) {
	st, b := storeBroker(t, t.TempDir(), func(c *Config) { c.DurabilityHold = 500 * time.Millisecond })
	ctx := context.Background()
	buckets := []string{"soak-a", "soak-b", "soak-c", "soak-d"}
	for _, name := range buckets {
		if _, err := st.CreateBucket(ctx, oss.Bucket{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	w := startWriteStorm(t, st, buckets, 8, 16, 0)
	end := time.Now().Add(time.Minute)
	restarts := 0
	for time.Now().Before(end) {
		time.Sleep(3 * time.Second)
		b.emb.shutdown()
		time.Sleep(time.Duration(200+restarts*97%800) * time.Millisecond)
		if err := b.emb.start(); err != nil {
			t.Fatal(err)
		}
		restarts++
	}
	w.finish(t)
	last := waitCaughtUp(t, st, b, 2*time.Minute)
	checkStreamMatchesStore(t, st, b, last, w.acked)
	t.Logf("%d events, %d server restarts", last, restarts)
}

// TestLongCrashLoop kills the writing child ten times on one data dir.
func TestLongCrashLoop(t *testing.T) {
	dir := t.TempDir()
	acked := map[string]string{}
	for round := 1; round <= 10; round++ {
		for etag, key := range runCrashChild(t, dir, round, 500) {
			acked[etag] = key
		}
	}
	st, b := storeBroker(t, dir, nil)
	last := waitCaughtUp(t, st, b, 2*time.Minute)
	evs, err := streamEvents(context.Background(), b.JetStream(), b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != last {
		t.Fatalf("stream holds %d events, %d committed", len(evs), last)
	}
	puts := map[string]string{}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("stream message %d is event %d", i+1, e.Seq)
		}
		puts[`"`+e.Record.OSS.Object.ETag+`"`] = e.Key
	}
	for etag, key := range acked {
		if puts[etag] != key {
			t.Fatalf("acknowledged PUT %s has no event", key)
		}
	}
	t.Logf("%d events after 10 kills, %d acknowledged PUTs", last, len(acked))
}
