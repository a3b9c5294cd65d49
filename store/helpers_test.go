package store

import (
	"bytes"
	"context"
	"crypto/md5"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// fakeClock is an injectable Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // strictly increasing
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var bg = context.Background()

type testEnv struct {
	t     testing.TB
	s     *Store
	dir   string
	clock *fakeClock
	opts  Options
}

func newEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dir: t.TempDir(), clock: newFakeClock()}
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	if opts.Owner == (oss.Owner{}) {
		opts.Owner = oss.Owner{ID: "1234567890", DisplayName: "tester"}
	}
	e.opts = opts
	s, err := Open(bg, e.dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	t.Cleanup(func() { e.s.Close() })
	return e
}

// reopen closes and reopens the store on the same directory.
func (e *testEnv) reopen() {
	e.t.Helper()
	if err := e.s.Close(); err != nil {
		e.t.Fatal(err)
	}
	s, err := Open(bg, e.dir, e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.s = s
}

func (e *testEnv) bucket(name string) {
	e.t.Helper()
	if _, err := e.s.CreateBucket(bg, oss.Bucket{Name: name}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *testEnv) put(bucket, key string, data []byte) oss.ObjectInfo {
	e.t.Helper()
	info, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: bucket, Key: key, Size: int64(len(data))}, bytes.NewReader(data))
	if err != nil {
		e.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info
}

func (e *testEnv) get(bucket, key, vid string) ([]byte, oss.ObjectInfo) {
	e.t.Helper()
	out, err := e.s.GetObject(bg, oss.GetObjectInput{Bucket: bucket, Key: key, VersionID: vid})
	if err != nil {
		e.t.Fatalf("get %s/%s@%s: %v", bucket, key, vid, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	return b, out.Info
}

func (e *testEnv) events() []oss.Event {
	e.t.Helper()
	evs, err := e.s.OutboxRead(bg, 0, 1<<30)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func wantCode(t testing.TB, err error, code oss.Code) {
	t.Helper()
	if code == oss.InternalError && err == nil {
		return
	}
	if err == nil {
		t.Fatalf("got nil error, want %v", code)
	}
	if got := oss.CodeOf(err); got != code {
		t.Fatalf("got %v (%v), want %v", got, err, code)
	}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func md5sum(b []byte) []byte { s := md5.Sum(b); return s[:] }

func etagOf(b []byte) string { return checksum.ETag(md5sum(b)) }

// countBlobFiles counts the blob files under dir.
func countBlobFiles(t testing.TB, dir string) int {
	t.Helper()
	n := 0
	subs, _ := os.ReadDir(filepath.Join(dir, "blobs"))
	for _, d := range subs {
		files, _ := os.ReadDir(filepath.Join(dir, "blobs", d.Name()))
		n += len(files)
	}
	return n
}
