package functions_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/functions"
	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server/servertest"
)

// env is one running server and a root client of it.
type env struct {
	ts *servertest.Instance
	c  *client.Client
}

func newEnv(t testing.TB, opts ...servertest.Option) *env {
	t.Helper()
	ts := servertest.Start(t, opts...)
	c, err := client.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	return &env{ts: ts, c: c}
}

func (e *env) bucket(t testing.TB, name string) {
	t.Helper()
	if err := e.c.CreateBucket(context.Background(), name, nil); err != nil {
		t.Fatal(err)
	}
}

func (e *env) deploy(t testing.TB, m fnapi.Manifest, module string) fnapi.DeployResult {
	t.Helper()
	res, err := e.c.DeployFunction(context.Background(), m, guests[module])
	if err != nil {
		t.Fatalf("deploy %s: %v", m.Name, err)
	}
	return res
}

func (e *env) put(t *testing.T, bucket, key, body string) {
	t.Helper()
	if _, err := e.c.PutObject(context.Background(), bucket, key, strings.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatal(err)
	}
}

func (e *env) waitObject(t *testing.T, bucket, key string) []byte {
	t.Helper()
	var data []byte
	servertest.CheckFor(t, 30*time.Second, func() error {
		rc, _, err := e.c.GetObject(context.Background(), bucket, key, nil)
		if err != nil {
			return err
		}
		defer rc.Close()
		data, err = io.ReadAll(rc)
		return err
	})
	return data
}

func (e *env) waitDLQ(t *testing.T, name string, n int) []fnapi.DLQEntry {
	t.Helper()
	var list []fnapi.DLQEntry
	servertest.CheckFor(t, 30*time.Second, func() error {
		var err error
		list, err = e.c.FunctionDeadLetters(context.Background(), name)
		if err != nil {
			return err
		}
		if len(list) != n {
			return fmt.Errorf("%d dead letters, want %d: %+v", len(list), n, list)
		}
		return nil
	})
	return list
}

// records reads function name's retained records.
func (e *env) records(t *testing.T, name string) []fnapi.Record {
	t.Helper()
	body, err := e.c.FunctionLogs(context.Background(), name, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	data, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	var out []fnapi.Record
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		r, err := decodeRecord(line)
		if err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func eventTrigger(bucket, prefix string) fnapi.Triggers {
	return fnapi.Triggers{Events: []fnapi.EventTrigger{{Events: []string{"ObjectCreated:*"}, Bucket: bucket, Prefix: prefix}}}
}

// TestPlatform runs the platform's end-to-end cases against one server
// (so the guest is compiled once), each with its own bucket and function.
func TestPlatform(t *testing.T) {
	e := newEnv(t)
	// Compile once before the parallel cases.
	e.bucket(t, "warmup")
	e.deploy(t, fnapi.Manifest{Name: "warmup", Triggers: eventTrigger("warmup", "copy/")}, "fnguest")

	t.Run("Faults", func(t *testing.T) {
		t.Parallel()
		// Each fault lands in the dead-letter stream at its first delivery,
		// with the runtime's error kind.
		e.bucket(t, "faults")
		e.deploy(t, fnapi.Manifest{Name: "faults", Triggers: eventTrigger("faults", ""),
			Limits: fnapi.Limits{Timeout: fnapi.Duration(3 * time.Second), Memory: 48 << 20},
			Retry:  fnapi.Retry{MaxDeliver: 1}}, "fnguest")
		want := map[string]string{"spin/x": "Timeout", "alloc/x": "MemoryLimit", "trap/x": "Trap", "denied/x": "Denied"}
		for k := range want {
			e.put(t, "faults", k, "x")
		}
		list := e.waitDLQ(t, "faults", len(want))
		for _, d := range list {
			if want[d.Key] != d.ErrorKind {
				t.Errorf("%s: error kind %s (%s), want %s", d.Key, d.ErrorKind, d.Error, want[d.Key])
			}
			if d.Delivered != 1 || d.Version != 1 || d.EventID == "" || d.Bucket != "faults" {
				t.Errorf("dead letter %+v", d)
			}
		}
		// The server is still fine, and so is the function.
		e.put(t, "faults", "copy/ok", "fine")
		e.waitObject(t, "faults", "out/copy/ok")
	})

	t.Run("Retry", func(t *testing.T) {
		t.Parallel()
		e.bucket(t, "retry")
		e.deploy(t, fnapi.Manifest{Name: "flaky", Triggers: eventTrigger("retry", "flaky/"),
			Config: map[string]string{"failuntil": "3"},
			Retry:  fnapi.Retry{MaxDeliver: 5, Backoff: fnapi.Duration(50 * time.Millisecond)}}, "fnguest")
		e.put(t, "retry", "flaky/a", "third time lucky")
		if got := e.waitObject(t, "retry", "out/flaky/a"); string(got) != "third time lucky" {
			t.Fatalf("output %q", got)
		}
		var invs []fnapi.Record
		servertest.CheckFor(t, 10*time.Second, func() error {
			invs = invocations(e.records(t, "flaky"))
			if len(invs) != 3 {
				return fmt.Errorf("%d invocation records, want 3", len(invs))
			}
			return nil
		})
		for i, r := range invs {
			wantResult := "error"
			if i == 2 {
				wantResult = "ok"
			}
			if r.Result != wantResult || r.Delivery != i+1 || r.EventID != invs[0].EventID {
				t.Errorf("invocation %d: %+v", i, r)
			}
		}
		if list, _ := e.c.FunctionDeadLetters(context.Background(), "flaky"); len(list) != 0 {
			t.Fatalf("dead letters %+v", list)
		}
		// The trail of the event tells the same story.
		trail, err := e.c.EventTrail(context.Background(), invs[0].EventID)
		if err != nil || len(invocations(trail)) != 3 {
			t.Fatalf("trail: %v %+v", err, trail)
		}
	})

	t.Run("DeadLetterAndReplay", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		e.bucket(t, "dlq")
		m := fnapi.Manifest{Name: "broken", Triggers: eventTrigger("dlq", "fail/"),
			Retry: fnapi.Retry{MaxDeliver: 3, Backoff: fnapi.Duration(20 * time.Millisecond)}}
		e.deploy(t, m, "fnguest")
		e.put(t, "dlq", "fail/a", "payload")
		d := e.waitDLQ(t, "broken", 1)[0]
		if d.Delivered != 3 || d.Version != 1 || d.ErrorKind != "GuestError" || !strings.Contains(d.Error, "broken") || d.Key != "fail/a" {
			t.Fatalf("dead letter %+v", d)
		}
		// Replaying the still broken version fails and keeps the letter.
		res, err := e.c.ReplayDeadLetters(ctx, "broken", d.EventID)
		if err != nil || res.Failed != 1 || res.Replayed != 0 {
			t.Fatalf("replay while broken: %v %+v", err, res)
		}
		e.waitDLQ(t, "broken", 1)
		// Fixed (a new version), the replay succeeds and empties the DLQ.
		m.Config = map[string]string{"fixed": "1"}
		if v := e.deploy(t, m, "fnguest").Version; v != 2 {
			t.Fatalf("version %d", v)
		}
		res, err = e.c.ReplayDeadLetters(ctx, "broken", d.EventID)
		if err != nil || res.Replayed != 1 || res.Failed != 0 {
			t.Fatalf("replay once fixed: %v %+v", err, res)
		}
		if got := e.waitObject(t, "dlq", "out/fail/a"); string(got) != "payload" {
			t.Fatalf("output %q", got)
		}
		e.waitDLQ(t, "broken", 0)
	})

	t.Run("LoopGuard", func(t *testing.T) {
		t.Parallel()
		e.bucket(t, "loop")
		// The function writes loop/<key>.again, inside its own trigger.
		e.deploy(t, fnapi.Manifest{Name: "looper", Triggers: eventTrigger("loop", "loop/")}, "fnguest")
		e.put(t, "loop", "loop/a", "once")
		e.waitObject(t, "loop", "loop/a.again")
		// Its own write's event reaches it and is skipped by the guard.
		var recs []fnapi.Record
		servertest.CheckFor(t, 10*time.Second, func() error {
			recs = e.records(t, "looper")
			for _, r := range recs {
				if r.Type == fnapi.RecordSkipped && r.Key == "loop/a.again" && len(invocations(recs)) > 0 {
					return nil
				}
			}
			return errors.New("no loop-guard and invocation records yet")
		})
		if n := len(invocations(recs)); n != 1 {
			t.Fatalf("%d invocations, want 1: %+v", n, recs)
		}
		res, err := e.c.ListObjects(context.Background(), "loop", &client.ListOptions{Prefix: "loop/"})
		if err != nil || len(res.Objects) != 2 {
			t.Fatalf("objects under loop/: %v %+v", err, res)
		}
	})

	t.Run("InProgress", func(t *testing.T) {
		t.Parallel()
		// A run longer than the AckWait keeps its event with in-progress
		// acknowledgements: it is not redelivered.
		e.bucket(t, "slow")
		e.deploy(t, fnapi.Manifest{Name: "slow", Triggers: eventTrigger("slow", "slow/"),
			Retry: fnapi.Retry{AckWait: fnapi.Duration(time.Second)}}, "fnguest")
		e.put(t, "slow", "slow/2200", "late")
		e.waitObject(t, "slow", "out/slow/2200")
		js := e.ts.Server.Events().JetStream()
		servertest.CheckFor(t, 10*time.Second, func() error {
			cons, err := js.Consumer(context.Background(), e.ts.Server.Events().Stream(), functions.ConsumerName("slow", 0))
			if err != nil {
				return err
			}
			info, err := cons.Info(context.Background())
			if err != nil {
				return err
			}
			if info.NumAckPending != 0 || info.NumRedelivered != 0 {
				return fmt.Errorf("ack pending %d, redelivered %d", info.NumAckPending, info.NumRedelivered)
			}
			return nil
		})
		invs := invocations(e.records(t, "slow"))
		if len(invs) != 1 || invs[0].Delivery != 1 || invs[0].DurationMillis < 2000 {
			t.Fatalf("invocations %+v", invs)
		}
	})

	t.Run("Overlap", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		e.bucket(t, "ovl")
		e.deploy(t, fnapi.Manifest{Name: "ov-a", Triggers: eventTrigger("ovl", "img/")}, "fnguest")
		_, err := e.c.DeployFunction(ctx, fnapi.Manifest{Name: "ov-b", Triggers: eventTrigger("ovl", "img/2024/")}, guests["fnguest"])
		var ce *client.Error
		if !errors.As(err, &ce) || ce.StatusCode != http.StatusBadRequest || ce.Code != "InvalidArgument" ||
			!strings.HasPrefix(ce.Message, "Cannot specify overlapping prefix and suffix with same event type.") {
			t.Fatalf("overlapping deploy: %v", err)
		}
		if _, err := e.c.GetFunction(ctx, "ov-b"); !client.IsCode(err, "NoSuchFunction") {
			t.Fatalf("refused function exists: %v", err)
		}
		// Other prefixes, other event types and a redeploy are fine.
		e.deploy(t, fnapi.Manifest{Name: "ov-c", Triggers: eventTrigger("ovl", "doc/")}, "fnguest")
		e.deploy(t, fnapi.Manifest{Name: "ov-d", Triggers: fnapi.Triggers{Events: []fnapi.EventTrigger{{Events: []string{"ObjectRemoved:*"}, Bucket: "ovl", Prefix: "img/"}}}}, "fnguest")
		e.deploy(t, fnapi.Manifest{Name: "ov-a", Triggers: eventTrigger("ovl", "img/")}, "fnguest")
	})

	t.Run("BadModule", func(t *testing.T) {
		t.Parallel()
		_, err := e.c.DeployFunction(context.Background(), fnapi.Manifest{Name: "garbage", Triggers: fnapi.Triggers{HTTP: &fnapi.HTTPTrigger{}}}, []byte("\x00asm\x01\x00\x00\x00garbage"))
		if !client.IsCode(err, "InvalidModule") {
			t.Fatalf("garbage module: %v", err)
		}
		if _, err := e.c.GetFunction(context.Background(), "garbage"); !client.IsCode(err, "NoSuchFunction") {
			t.Fatalf("refused function exists: %v", err)
		}
	})

	t.Run("RollbackAndHTTP", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		m := fnapi.Manifest{Name: "web", Triggers: fnapi.Triggers{HTTP: &fnapi.HTTPTrigger{}}}
		e.deploy(t, m, "fnguest")
		m.Triggers.HTTP.Public = true
		if v := e.deploy(t, m, "fnguest").Version; v != 2 {
			t.Fatalf("second deploy is v%d", v)
		}
		invoke := func() *client.InvokeResult {
			t.Helper()
			res, err := e.c.InvokeFunction(ctx, "web", []byte("there"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 200 || string(res.Body) != "hello there" || res.Header.Get("X-Fn") != "fnguest" {
				t.Fatalf("invoke: %d %q %v", res.StatusCode, res.Body, res.Header)
			}
			return res
		}
		anonymous := func() int {
			resp, err := http.Post(e.ts.Endpoint+"/-/functions/web/invoke", "text/plain", strings.NewReader("anyone"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if v := invoke().Version; v != 2 {
			t.Fatalf("invoked v%d", v)
		}
		if code := anonymous(); code != 200 {
			t.Fatalf("public v2, anonymous: %d", code)
		}
		vs, err := e.c.FunctionVersions(ctx, "web")
		if err != nil || len(vs) != 2 || !vs[1].Current || vs[0].Current {
			t.Fatalf("versions %v %+v", err, vs)
		}
		rb, err := e.c.RollbackFunction(ctx, "web", 0)
		if err != nil || rb.Version != 1 || rb.Previous != 2 {
			t.Fatalf("rollback %v %+v", err, rb)
		}
		if v := invoke().Version; v != 1 {
			t.Fatalf("after rollback, invoked v%d", v)
		}
		if code := anonymous(); code != http.StatusForbidden {
			t.Fatalf("private v1, anonymous: %d", code)
		}
		if rb, err = e.c.RollbackFunction(ctx, "web", 2); err != nil || rb.Version != 2 {
			t.Fatalf("rollback --to 2: %v %+v", err, rb)
		}
		if v := invoke().Version; v != 2 {
			t.Fatalf("after rollback to 2, invoked v%d", v)
		}
		if err := e.c.DeleteFunction(ctx, "web"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.InvokeFunction(ctx, "web", nil, nil); !client.IsCode(err, "NoSuchFunction") {
			t.Fatalf("invoke after delete: %v", err)
		}
	})

	t.Run("LogsAndMetrics", func(t *testing.T) {
		t.Parallel()
		e.bucket(t, "logs")
		e.deploy(t, fnapi.Manifest{Name: "logger", Triggers: eventTrigger("logs", "copy/")}, "fnguest")
		e.put(t, "logs", "copy/l", "x")
		e.waitObject(t, "logs", "out/copy/l")
		servertest.CheckFor(t, 10*time.Second, func() error {
			recs := e.records(t, "logger")
			var sawLog, sawInv bool
			for _, r := range recs {
				sawLog = sawLog || (r.Type == fnapi.RecordLog && strings.Contains(r.Message, "ObjectCreated:PutObject logs/copy/l"))
				sawInv = sawInv || (r.Type == fnapi.RecordInvocation && r.Result == "ok" && r.Key == "copy/l" && r.Version == 1)
			}
			if !sawLog || !sawInv {
				return fmt.Errorf("log %v, invocation %v in %+v", sawLog, sawInv, recs)
			}
			return nil
		})
		resp, err := http.Get(e.ts.Endpoint + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`ossflow_fn_invocations_total{function="logger",result="ok",start=`, `ossflow_fn_duration_seconds_bucket{function="logger"`,
			`ossflow_fn_queue_wait_seconds_count{function="logger"}`, `ossflow_fn_event_wait_seconds_count{function="logger"}`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

func invocations(recs []fnapi.Record) []fnapi.Record {
	var out []fnapi.Record
	for _, r := range recs {
		if r.Type == fnapi.RecordInvocation {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b fnapi.Record) int { return a.Time.Compare(b.Time) })
	return out
}
