package broker

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
)

// The crash test re-executes the test binary as a child that writes
// through the real store while the relay publishes into the embedded
// server, printing "A <etag> <key>" for every acknowledged PUT. The
// relay's outbox reads are slowed down so that, at any moment, committed
// events are waiting to be published. The parent kills the child with
// SIGKILL (twice, the second child resuming from the first one's data
// dir), then reopens the same data dir and checks that the stream holds
// exactly one message per committed write and none for anything else.

const (
	crashDirEnv   = "BROKER_CRASH_DIR"
	crashRoundEnv = "BROKER_CRASH_ROUND"
)

// slowOutbox delays reads so the relay lags behind commits.
type slowOutbox struct {
	Outbox
	delay time.Duration
}

func (o slowOutbox) OutboxRead(ctx context.Context, after uint64, max int) ([]oss.Event, error) {
	time.Sleep(o.delay)
	return o.Outbox.OutboxRead(ctx, after, min(max, 32))
}

// TestCrashChild is the child; it runs only under the parent.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("child of TestCrashBetweenCommitAndPublish")
	}
	round := os.Getenv(crashRoundEnv)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "store"), store.Options{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	b, err := Start(ctx, Config{
		DataDir: filepath.Join(dir, "nats"), Port: -1,
		Outbox:     slowOutbox{Outbox: st, delay: 2 * time.Millisecond},
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
	})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	_ = b
	if _, err := st.CreateBucket(ctx, oss.Bucket{Name: "crash"}); err != nil && oss.CodeOf(err) != oss.BucketAlreadyExists {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "READY")
	out.Flush()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				key := fmt.Sprintf("r%s/w%d/%06d", round, w, n)
				info, err := putObject(ctx, st, "crash", key, key)
				mu.Lock()
				if err != nil {
					fmt.Fprintln(out, "ERR", err)
				} else {
					fmt.Fprintln(out, "A", info.ETag, key)
				}
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait() // never: the parent kills us
}

// runCrashChild starts a child on dir, lets it acknowledge at least n
// PUTs, kills it with SIGKILL and returns the acknowledged keys by ETag.
func runCrashChild(t *testing.T, dir string, round, n int) map[string]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]string{}
	sc := bufio.NewScanner(stdout)
	timeout := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer timeout.Stop()
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) > 0 && f[0] == "ERR":
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child: %s", sc.Text())
		case len(f) == 3 && f[0] == "A":
			acked[f[1]] = f[2]
		}
		if len(acked) >= n {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < n {
		t.Fatalf("child acknowledged %d PUTs before dying, want %d", len(acked), n)
	}
	return acked
}

func TestCrashBetweenCommitAndPublish(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	acked := map[string]string{}
	for round := 1; round <= 2; round++ {
		for etag, key := range runCrashChild(t, dir, round, 300*round) {
			acked[etag] = key
		}
		// The kill left committed events the stream does not hold yet.
		st := openStore(t, filepath.Join(dir, "store"), 0)
		b := startBroker(t, Config{DataDir: filepath.Join(dir, "nats"), Port: -1})
		n, err := streamCount(context.Background(), b.JetStream(), b.Stream())
		if err != nil {
			t.Fatal(err)
		}
		stats := st.OutboxStats()
		t.Logf("round %d: %d PUTs acknowledged so far; %d events committed, %d in the stream, outbox depth %d",
			round, len(acked), stats.LastSeq, n, stats.Depth)
		if n >= stats.LastSeq {
			t.Errorf("round %d: the kill did not fall between commit and publish (stream %d, committed %d)", round, n, stats.LastSeq)
		}
		b.Close()
		st.Close()
	}

	// Restart on the same data dir: the relay publishes what is missing.
	st, b := storeBroker(t, dir, nil)
	last := waitCaughtUp(t, st, b, 30*time.Second)
	ctx := context.Background()
	evs, err := streamEvents(ctx, b.JetStream(), b.Stream())
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(evs)) != last {
		t.Fatalf("stream holds %d events, %d committed", len(evs), last)
	}
	// Stream events <-> committed mutations: one bucket creation, then one
	// PUT per object in the store (keys are never rewritten).
	objects := map[string]string{} // key -> ETag
	marker := ""
	for {
		out, err := st.ListObjects(ctx, oss.ListObjectsInput{Bucket: "crash", Marker: marker, MaxKeys: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Objects {
			objects[o.Key] = o.ETag
		}
		if !out.IsTruncated {
			break
		}
		marker = out.NextMarker
	}
	seen := map[string]bool{}
	puts := map[string]string{} // ETag -> key, from the stream
	for i, e := range evs {
		if e.Seq != uint64(i+1) || seen[e.ID] {
			t.Fatalf("stream message %d: event %d (%s): gap, reordering or duplicate", i+1, e.Seq, e.ID)
		}
		seen[e.ID] = true
		if e.Name == oss.BucketCreated {
			continue
		}
		etag, ok := objects[e.Key]
		if !ok || etag != `"`+e.Record.OSS.Object.ETag+`"` {
			t.Fatalf("event %d for %s (ETag %s) has no committed write (store: %q, %v)", e.Seq, e.Key, e.Record.OSS.Object.ETag, etag, ok)
		}
		delete(objects, e.Key)
		puts[etag] = e.Key
	}
	if len(objects) != 0 {
		t.Fatalf("%d committed objects have no event", len(objects))
	}
	for etag, key := range acked {
		if puts[etag] != key {
			t.Fatalf("acknowledged PUT %s %s has no event", key, etag)
		}
	}
	t.Logf("%d events, %d acknowledged PUTs, all exactly once", len(evs), len(acked))
}
