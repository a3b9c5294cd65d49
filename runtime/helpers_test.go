package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
)

// The guests are built once per package run, in TestMain, and every test
// runtime shares one compilation cache directory, so each module is
// compiled once per run.
var (
	guestDir string
	cacheDir string
	guests   = map[string][]byte{}
)

// goGuests are the Go guests built for the tests: name -> package.
var goGuests = map[string]string{
	"testguest": "./testdata/guests/testguest",
	"httpguest": "./testdata/guests/httpguest",
	"thumbnail": "../examples/thumbnail",
}

func TestMain(m *testing.M) {
	code, err := testMain(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(code)
}

func testMain(m *testing.M) (int, error) {
	tmp, err := os.MkdirTemp("", "ossflow-runtime-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	guestDir = filepath.Join(tmp, "guests")
	cacheDir = filepath.Join(tmp, "wazero-cache")
	if err := buildGoGuests(guestDir); err != nil {
		return 0, err
	}
	for _, name := range []string{"guest", "badimport", "command", "badinit"} {
		b, err := os.ReadFile(filepath.Join("testdata", "wat", name+".wasm"))
		if err != nil {
			return 0, err
		}
		guests["wat/"+name] = b
	}
	return m.Run(), nil
}

// buildGoGuests builds every Go guest with the standard toolchain as a
// WASI reactor.
func buildGoGuests(dir string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(goruntime.GOROOT(), "bin", "go")
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	for name, pkg := range goGuests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := filepath.Join(dir, name+".wasm")
			cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-o", out, pkg)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
			msg, err := cmd.CombinedOutput()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Sprintf("build %s: %v\n%s", pkg, err, msg))
				return
			}
			b, err := os.ReadFile(out)
			if err != nil {
				errs = append(errs, err.Error())
				return
			}
			guests[name] = b
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

func newTestRuntime(t testing.TB, cfg Config) *Runtime {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = cacheDir
	}
	rt, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close(context.Background()) })
	return rt
}

func load(t testing.TB, rt *Runtime, name, guest string, lim Limits, g Grants) *Function {
	t.Helper()
	f, err := rt.Load(context.Background(), name, guests[guest], lim, g)
	if err != nil {
		t.Fatalf("load %s: %v", guest, err)
	}
	return f
}

// logRecorder collects log lines.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) log(level, msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, level+" "+msg)
	l.mu.Unlock()
}

func (l *logRecorder) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *logRecorder) contains(s string) bool {
	for _, line := range l.all() {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// memObjects is an in-memory Objects for the tests only.
type memObjects struct {
	mu   sync.Mutex
	objs map[string]memObject
	// panicOn makes the named operation panic (host-panic test).
	panicOn string
}

type memObject struct {
	data []byte
	info oss.ObjectInfo
}

func newMemObjects() *memObjects { return &memObjects{objs: map[string]memObject{}} }

func (m *memObjects) put(bucket, key string, data []byte, contentType string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[bucket+"/"+key] = memObject{data: data, info: oss.ObjectInfo{
		Bucket: bucket, Key: key, Size: int64(len(data)), ETag: fmt.Sprintf("\"%d\"", len(data)),
		LastModified: time.Unix(1700000000, 0).UTC(), Meta: oss.Metadata{ContentType: contentType},
	}}
}

func (m *memObjects) get(bucket, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[bucket+"/"+key]
	return o.data, ok
}

func (m *memObjects) Get(_ context.Context, bucket, key string) (io.ReadCloser, oss.ObjectInfo, error) {
	if m.panicOn == "Get" {
		panic("memObjects: Get exploded")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[bucket+"/"+key]
	if !ok {
		return nil, oss.ObjectInfo{}, oss.E("GetObject", oss.NoSuchKey, "")
	}
	return io.NopCloser(bytes.NewReader(o.data)), o.info, nil
}

func (m *memObjects) Put(ctx context.Context, bucket, key string, r io.Reader, size int64, meta oss.Metadata) (oss.ObjectInfo, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if size >= 0 && int64(len(data)) != size {
		return oss.ObjectInfo{}, oss.E("PutObject", oss.IncompleteBody, "")
	}
	if ri := oss.RequestInfoFrom(ctx); ri.Origin == "" {
		return oss.ObjectInfo{}, fmt.Errorf("no origin in the request info")
	}
	m.put(bucket, key, data, meta.ContentType)
	return m.Head(ctx, bucket, key)
}

func (m *memObjects) Head(_ context.Context, bucket, key string) (oss.ObjectInfo, error) {
	if m.panicOn == "Head" {
		panic("memObjects: Head exploded")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[bucket+"/"+key]
	if !ok {
		return oss.ObjectInfo{}, oss.E("HeadObject", oss.NoSuchKey, "")
	}
	return o.info, nil
}

func (m *memObjects) List(_ context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out oss.ListObjectsOutput
	for _, o := range m.objs {
		if o.info.Bucket == in.Bucket && strings.HasPrefix(o.info.Key, in.Prefix) {
			out.Objects = append(out.Objects, o.info)
		}
	}
	sort.Slice(out.Objects, func(i, j int) bool { return out.Objects[i].Key < out.Objects[j].Key })
	return out, nil
}

func (m *memObjects) Delete(_ context.Context, bucket, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, bucket+"/"+key)
	return nil
}

// memImages runs the real imgproc pipeline over memObjects.
type memImages struct {
	objs *memObjects
	proc *imgproc.Processor
}

func newMemImages(objs *memObjects) *memImages {
	return &memImages{objs: objs, proc: imgproc.NewProcessor(imgproc.DefaultLimits(), 1)}
}

func (im *memImages) Process(ctx context.Context, srcBucket, srcKey, process, dstBucket, dstKey string) (oss.ObjectInfo, error) {
	pl, err := imgproc.Parse(process)
	if err != nil {
		return oss.ObjectInfo{}, oss.E("ProcessImage", oss.InvalidArgument, "%v", err)
	}
	src, ok := im.objs.get(srcBucket, srcKey)
	if !ok {
		return oss.ObjectInfo{}, oss.E("ProcessImage", oss.NoSuchKey, "")
	}
	res, err := im.proc.Process(ctx, bytes.NewReader(src), int64(len(src)), pl, nil)
	if err != nil {
		return oss.ObjectInfo{}, oss.E("ProcessImage", oss.InvalidArgument, "%v", err)
	}
	return im.objs.Put(ctx, dstBucket, dstKey, bytes.NewReader(res.Body), int64(len(res.Body)), oss.Metadata{ContentType: res.ContentType})
}

// statsRecorder is an Observer.
type statsRecorder struct {
	mu    sync.Mutex
	stats []InvocationStats
}

func (s *statsRecorder) ObserveInvocation(st InvocationStats) {
	s.mu.Lock()
	s.stats = append(s.stats, st)
	s.mu.Unlock()
}

func (s *statsRecorder) all() []InvocationStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]InvocationStats(nil), s.stats...)
}
