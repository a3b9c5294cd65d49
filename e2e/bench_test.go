package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
	"github.com/ossflow/ossflow/store"
)

// The HTTP benchmarks drive a real server (servertest) through
// aws-sdk-go-v2, path style, over loopback:
//
//	go test -run '^$' -bench . -benchtime 2s ./e2e/
//
// Targets:
//
//	bare          a trivial net/http handler that discards PUT bodies and
//	              answers GETs with the object's size of bytes: the ceiling
//	              of HTTP plus the SDK on this machine
//	events=on     ossflow as in production: the event plane (embedded NATS
//	              JetStream and the outbox relay) is on. The timer of a
//	              write benchmark runs until the relay has published every
//	              event of the writes (reported as drain-ms), so ops/s is
//	              a sustainable rate, not one that leaves a backlog behind
//	events=off    ossflow with Events.Disabled (writes still record their
//	              events in the outbox; nothing publishes them): the
//	              difference to events=on is the event path's cost
//	...,crc=off   the same with the SDK's checksums off (WhenRequired); by
//	              default the SDK computes a CRC32 of every PUT body and asks
//	              for, and validates, the stored CRC32 on every GET. Over
//	              plain HTTP SigV4 also makes it hash every PUT body with
//	              SHA-256 (x-amz-content-sha256), checksums on or off.
//
// Every figure reports ops/s, MB/s and cpu-us/op: the CPU time (user and
// system) of the whole process per operation. Client, server and embedded
// NATS share the process, so CPU/op is the path's full cost, and it is far
// less disturbed than wall-clock rates by other work on a shared machine.
// ossflow figures also report pct-of-bare, their ops/s as a percentage of
// the bare target's at the same operation and concurrency (measured just
// before), and each parent benchmark prints a summary line per figure with
// both ratios (by ops/s and by CPU/op).

const (
	benchBucket  = "bench"
	small        = 4 << 10
	big          = 16 << 20
	benchGetKeys = 256 // distinct keys GET cycles over (small objects)
)

// benchTarget is a server the benchmarks drive.
type benchTarget struct {
	name string
	s3   *s3.Client
	// drain waits until the event plane has published every committed
	// event; nil when there is nothing to wait for.
	drain func(testing.TB) time.Duration
}

// benchS3 is an aws-sdk-go-v2 client with the SDK's default checksum
// behaviour (crc) or with checksums only where an operation requires them,
// and a connection pool large enough for every benchmark's concurrency.
func benchS3(endpoint, ak, sk string, crc bool) *s3.Client {
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	})
	cfg := aws.Config{
		Region:                     region,
		Credentials:                awscreds.NewStaticCredentialsProvider(ak, sk, ""),
		HTTPClient:                 hc,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	if !crc {
		cfg.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		cfg.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

// startOssflow runs a server with the event plane on or off and creates
// the benchmark bucket. crc selects the clients' checksum behaviour.
func startOssflow(b *testing.B, events, crc bool) benchTarget {
	b.Helper()
	ts := servertest.Start(b, servertest.WithConfig(func(c *server.Config) { c.Events.Disabled = !events }))
	t := ossflowTarget(ts, events, crc)
	if _, err := t.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(benchBucket)}); err != nil {
		b.Fatal(err)
	}
	return t
}

func ossflowTarget(ts *servertest.Instance, events, crc bool) benchTarget {
	t := benchTarget{name: "events=" + onOff(events), s3: benchS3(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret, crc)}
	if !crc {
		t.name += ",crc=off"
	}
	if events {
		t.drain = func(tb testing.TB) time.Duration { return waitRelay(tb, ts) }
	}
	return t
}

// dirTarget is a server on a given data directory.
type dirTarget struct {
	benchTarget
	ts *servertest.Instance
}

// startOssflowDir runs a server on dir and creates the benchmark bucket
// unless it exists.
func startOssflowDir(b *testing.B, dir string, events bool) dirTarget {
	b.Helper()
	ts := servertest.Start(b, servertest.WithDataDir(dir), servertest.WithConfig(func(c *server.Config) { c.Events.Disabled = !events }))
	t := dirTarget{ossflowTarget(ts, events, true), ts}
	_, err := t.s3.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(benchBucket)})
	if err != nil {
		_, err = t.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(benchBucket)})
	}
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// startBare runs the trivial handler: PUT discards the body, GET answers
// getSize bytes (with a Content-Length), anything else 200.
func startBare(b *testing.B, getSize int, crc bool) benchTarget {
	b.Helper()
	body := bytes.Repeat([]byte("x"), getSize)
	length := strconv.Itoa(getSize)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Length", length)
			w.Header().Set("ETag", `"bare"`)
			_, _ = w.Write(body)
			return
		}
		w.Header().Set("ETag", `"bare"`)
	}))
	b.Cleanup(srv.Close)
	t := benchTarget{name: "bare", s3: benchS3(srv.URL, "AKIDBARE", "secret", crc)}
	if !crc {
		t.name += ",crc=off"
	}
	return t
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// waitRelay waits until the relay has published every committed event and
// returns how long that took.
func waitRelay(tb testing.TB, ts *servertest.Instance) time.Duration {
	start := time.Now()
	servertest.CheckFor(tb, 2*time.Minute, func() error {
		lag, err := relayLag(ts)
		if err == nil && lag != 0 {
			err = fmt.Errorf("relay lags %.0f events", lag)
		}
		return err
	})
	return time.Since(start)
}

// relayLag reads ossflow_events_relay_lag_events from the server's
// registry.
func relayLag(ts *servertest.Instance) (float64, error) {
	mfs, err := ts.Server.Metrics().Registry().Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() == "ossflow_events_relay_lag_events" && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue(), nil
		}
	}
	return 0, fmt.Errorf("no ossflow_events_relay_lag_events metric")
}

// runConcurrent calls fn(i) for i in [0, b.N) from c goroutines, then
// drains the event plane (timer still running), and reports ops/s and the
// process's CPU time per operation.
func runConcurrent(b *testing.B, c int, drain func(testing.TB) time.Duration, fn func(ctx context.Context, i int) error) (opsPerSec, cpuPerOp float64) {
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	b.ResetTimer()
	cpu0 := processCPU()
	for g := 0; g < c; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for failed.Load() == nil {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := fn(ctx, int(i)); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var drained time.Duration
	if drain != nil {
		drained = drain(b)
	}
	b.StopTimer()
	cpu := processCPU() - cpu0
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	ops := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(ops, "ops/s")
	cpuPerOp = float64(cpu.Microseconds()) / float64(b.N)
	b.ReportMetric(cpuPerOp, "cpu-us/op")
	if drain != nil {
		b.ReportMetric(float64(drained.Microseconds())/1000, "drain-ms")
	}
	return ops, cpuPerOp
}

// processCPU is the CPU time (user and system) the process has used: the
// client, the server and its embedded NATS all run in it, so CPU time per
// operation measures the whole path's cost, much less disturbed by other
// processes on a shared machine than wall-clock rates are.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSuite runs PUT and GET of size-byte objects at each concurrency on
// each target, recording ops/s by "target/op/c".
type benchSuite struct {
	size   int
	conc   []int
	mu     sync.Mutex
	result map[string]float64 // ops/s by target/op/c, and CPU µs per op by cpu:target/op/c
}

func (s *benchSuite) record(key string, ops float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.result[key] = ops
}

func (s *benchSuite) get(key string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.result[key]
}

// putKey is the key PUT number i of goroutine-agnostic benchmarks writes.
// Small objects get distinct keys; big ones overwrite one of as many keys
// as there are goroutines, so the disk holds at most c of them whatever
// the benchtime.
func (s *benchSuite) putKey(i, c int) string {
	if s.size >= big {
		return "put/big-" + strconv.Itoa(i%c)
	}
	return fmt.Sprintf("put/%09d", i)
}

func (s *benchSuite) getKey(i int) string {
	if s.size >= big {
		return "get/big-" + strconv.Itoa(i%16)
	}
	return fmt.Sprintf("get/%05d", i%benchGetKeys)
}

func (s *benchSuite) getKeys() int {
	if s.size >= big {
		return 16
	}
	return benchGetKeys
}

// run benchmarks PUT, then GET, at each concurrency, on each target that
// include selects, interleaving the targets figure by figure (so that a
// figure and its ceiling are measured close in time on this shared
// machine). Sub-benchmarks are named op/c=N/target; ossflow ones report
// pct-of-bare, their ops/s as a percentage of the bare target's.
func (s *benchSuite) run(b *testing.B, targets []benchTarget, include func(target, op string, c int) bool) {
	data := bytes.Repeat([]byte("o"), s.size)
	for _, op := range []string{"PUT", "GET"} {
		for _, t := range targets {
			if op == "GET" && t.name != "bare" && slices.ContainsFunc(s.conc, func(c int) bool { return include(t.name, op, c) }) {
				populate(b, t.s3, s.getKeys(), s.getKey, data)
				if t.drain != nil {
					t.drain(b)
				}
			}
		}
		for _, c := range s.conc {
			for _, t := range targets {
				if include(t.name, op, c) {
					s.runOne(b, t, op, c, data)
				}
			}
		}
	}
}

func (s *benchSuite) runOne(b *testing.B, t benchTarget, op string, c int, data []byte) {
	b.Run(fmt.Sprintf("%s/c=%d/%s", op, c, t.name), func(b *testing.B) {
		b.SetBytes(int64(s.size))
		var ops, cpu float64
		switch op {
		case "PUT":
			ops, cpu = runConcurrent(b, c, t.drain, func(ctx context.Context, i int) error {
				_, err := t.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(benchBucket), Key: aws.String(s.putKey(i, c)),
					Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
				return err
			})
		case "GET":
			ops, cpu = runConcurrent(b, c, nil, func(ctx context.Context, i int) error {
				out, err := t.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(benchBucket), Key: aws.String(s.getKey(i))})
				if err != nil {
					return err
				}
				n, err := io.Copy(io.Discard, out.Body) // validates the CRC32 when the SDK asked for it
				out.Body.Close()
				if err == nil && n != int64(len(data)) {
					err = fmt.Errorf("GET read %d bytes, want %d", n, len(data))
				}
				return err
			})
		}
		s.record(fmt.Sprintf("%s/%s/%d", t.name, op, c), ops)
		s.record(fmt.Sprintf("cpu:%s/%s/%d", t.name, op, c), cpu)
		if ceil := s.get(fmt.Sprintf("bare/%s/%d", op, c)); ceil > 0 && t.name != "bare" {
			b.ReportMetric(100*ops/ceil, "pct-of-bare")
		}
	})
}

// summary logs "ossflow PUT 4KiB c16 = X ops/s = Y% of the bare HTTP+SDK
// ceiling" for every figure measured.
func (s *benchSuite) summary(b *testing.B, label string, targets []string, ops []string) {
	var sb strings.Builder
	for _, op := range ops {
		for _, c := range s.conc {
			for _, tn := range targets {
				v := s.get(fmt.Sprintf("%s/%s/%d", tn, op, c))
				if v == 0 {
					continue
				}
				mbs := v * float64(s.size) / 1e6
				cpu := s.get(fmt.Sprintf("cpu:%s/%s/%d", tn, op, c))
				line := fmt.Sprintf("%-18s %s %s c%-2d = %6.0f ops/s %7.1f MB/s %7.0f cpu-us/op", tn, op, label, c, v, mbs, cpu)
				if ceil := s.get(fmt.Sprintf("bare/%s/%d", op, c)); ceil > 0 && tn != "bare" {
					line += fmt.Sprintf(" = %5.1f%% of the bare HTTP+SDK ceiling", 100*v/ceil)
					if bareCPU := s.get(fmt.Sprintf("cpu:bare/%s/%d", op, c)); cpu > 0 {
						line += fmt.Sprintf(" (by CPU/op %5.1f%%)", 100*bareCPU/cpu)
					}
				}
				if onCPU := s.get(fmt.Sprintf("cpu:events=on/%s/%d", op, c)); tn == "events=off" && onCPU > 0 {
					line += fmt.Sprintf("; event plane %+.0f cpu-us/op", onCPU-cpu)
				}
				if onCPU := s.get(fmt.Sprintf("cpu:events=on/%s/%d", op, c)); tn == "events=on,crc=off" && onCPU > 0 {
					line += fmt.Sprintf("; SDK checksums %+.0f cpu-us/op", onCPU-cpu)
				}
				sb.WriteString("\n" + line)
			}
		}
	}
	fmt.Printf("%s summary (load average %s):%s\n", b.Name(), loadAvg(), sb.String())
}

// loadAvg is /proc/loadavg's first three fields: the machine is shared.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// populate writes n objects of data under key(0..n-1) with 16 writers.
func populate(b *testing.B, c *s3.Client, n int, key func(int) string, data []byte) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil {
					return
				}
				_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(benchBucket), Key: aws.String(key(i)),
					Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
}

// BenchmarkHTTP4KiB: PUT (distinct keys) and GET of 4 KiB objects at
// concurrency 1 and 16.
func BenchmarkHTTP4KiB(b *testing.B) {
	s := &benchSuite{size: small, conc: []int{1, 16}, result: map[string]float64{}}
	targets := []benchTarget{startBare(b, small, true), startOssflow(b, true, true), startOssflow(b, false, true), startOssflow(b, true, false)}
	s.run(b, targets, func(target, op string, c int) bool {
		switch target {
		case "events=off":
			return op == "PUT" // GET does not touch the event plane
		case "events=on,crc=off":
			return c == 16
		}
		return true
	})
	s.summary(b, "4KiB", targetNames(targets), []string{"PUT", "GET"})
}

func targetNames(ts []benchTarget) []string {
	var names []string
	for _, t := range ts {
		names = append(names, t.name)
	}
	return names
}

// BenchmarkHTTP16MiB: PUT and GET of 16 MiB objects at concurrency 1 and
// 16. PUTs overwrite one key per goroutine, so the disk holds at most 16
// objects whatever the benchtime.
func BenchmarkHTTP16MiB(b *testing.B) {
	s := &benchSuite{size: big, conc: []int{1, 16}, result: map[string]float64{}}
	targets := []benchTarget{startBare(b, big, true), startOssflow(b, true, true), startOssflow(b, false, true), startOssflow(b, true, false)}
	s.run(b, targets, func(target, op string, c int) bool {
		switch target {
		case "events=off":
			return op == "PUT"
		case "events=on,crc=off":
			return c == 1
		}
		return true
	})
	s.summary(b, "16MiB", targetNames(targets), []string{"PUT", "GET"})
}

// BenchmarkHTTPListObjectsV2 pages through a bucket of 100,000 keys, 1000
// keys a page (wrapping around at the end), on a server with the event
// plane on.
//
// The keys are written through the engine directly, not the SDK: on this
// 2-core machine 100,000 SDK PUTs take minutes (see BenchmarkHTTP4KiB's
// PUT rate), the engine takes seconds. The bucket is created through the
// API by a first server on the data directory; the engine then writes the
// empty objects (32 goroutines) and acknowledges their events (nothing is
// left for the relay to publish), and the benchmarked server opens the
// same directory.
func BenchmarkHTTPListObjectsV2(b *testing.B) {
	const total, page = 100_000, 1000
	t, note := listServer(b, total)
	fmt.Println("BenchmarkHTTPListObjectsV2: " + note)
	b.Run(fmt.Sprintf("keys=%d/page=%d", total, page), func(b *testing.B) {
		ctx := context.Background()
		var token *string
		keys := 0
		b.ResetTimer()
		cpu0 := processCPU()
		for i := 0; i < b.N; i++ {
			out, err := t.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(benchBucket), MaxKeys: aws.Int32(page), ContinuationToken: token})
			if err != nil {
				b.Fatal(err)
			}
			if len(out.Contents) != page {
				b.Fatalf("page of %d keys", len(out.Contents))
			}
			keys += len(out.Contents)
			token = nil
			if aws.ToBool(out.IsTruncated) {
				token = out.NextContinuationToken
			}
		}
		b.StopTimer()
		cpu := processCPU() - cpu0
		secs := b.Elapsed().Seconds()
		b.ReportMetric(float64(b.N)/secs, "pages/s")
		b.ReportMetric(float64(keys)/secs, "keys/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/page")
	})
}

// listServer prepares a data directory holding the benchmark bucket with
// total empty objects "dirNNN/objNNNNNN" and starts a server (event plane
// on) on it.
func listServer(b *testing.B, total int) (benchTarget, string) {
	ctx := context.Background()
	dir := b.TempDir()
	first := startOssflowDir(b, dir, false) // credentials, identity directory, the bucket
	uid := first.ts.Server.Directory().AccountUID()
	if err := first.ts.Server.Shutdown(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	st, err := store.Open(ctx, filepath.Join(dir, server.StoreDir), store.Options{Region: region, Owner: oss.Owner{ID: uid, DisplayName: uid}})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for failed.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= total {
					return
				}
				key := fmt.Sprintf("dir%03d/obj%06d", i%100, i)
				if _, err := st.PutObject(ctx, oss.PutObjectInput{Bucket: benchBucket, Key: key}, bytes.NewReader(nil)); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	err = st.OutboxAck(ctx, st.OutboxStats().LastSeq)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	t := startOssflowDir(b, dir, true)
	return t.benchTarget, fmt.Sprintf("%d empty objects written through the engine (store.Open on the server's data directory, 32 goroutines) in %v, events acknowledged; listed through the SDK",
		total, took.Round(time.Millisecond))
}
