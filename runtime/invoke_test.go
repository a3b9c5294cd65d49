package runtime

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func invoke(t *testing.T, f *Function, input string, env Env) (string, error) {
	t.Helper()
	out, err := f.Invoke(context.Background(), []byte(input), env)
	return string(out), err
}

func wantKind(t *testing.T, err error, kind Kind, msgPart string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("got %v (kind %v), want kind %v", err, KindOf(err), kind)
	}
	if msgPart != "" && !strings.Contains(err.Error(), msgPart) {
		t.Fatalf("error %q does not mention %q", err, msgPart)
	}
}

// TestEchoAndLogs proves the basic round trip with a Go guest and a
// hand-written WAT guest: input in, output out, log lines to the sink.
func TestEchoAndLogs(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	tests := []struct {
		guest, input, want, logLine string
	}{
		{"testguest", "echo:hello, ossflow", "hello, ossflow", "info echo 14 bytes"},
		{"wat/guest", "ehello, ossflow", "hello, ossflow", "info hello from wat"},
		{"testguest", "", "", ""},
		{"wat/guest", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.guest+"/"+tc.input, func(t *testing.T) {
			f := load(t, rt, "echo", tc.guest, Limits{}, Grants{})
			defer f.Close(context.Background())
			var logs logRecorder
			got, err := invoke(t, f, tc.input, Env{Log: logs.log})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("output %q, want %q", got, tc.want)
			}
			if tc.logLine != "" && !logs.contains(tc.logLine) {
				t.Fatalf("log %q missing from %q", tc.logLine, logs.all())
			}
		})
	}
}

func TestLogLevelsAndStreams(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "logger", "testguest", Limits{}, Grants{})
	var logs logRecorder
	if _, err := invoke(t, f, "log:", Env{Log: logs.log}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"debug a debug line", "info an info line", "warn a warn line", "error an error line",
		"info stdout: to stdout", "error stderr: to stderr",
	} {
		if !logs.contains(want) {
			t.Errorf("missing log line %q in %q", want, logs.all())
		}
	}

	// A quota bounds what one invocation may log.
	small := load(t, rt, "quiet", "testguest", Limits{MaxLogBytes: 30}, Grants{})
	var few logRecorder
	if _, err := invoke(t, small, "log:", Env{Log: few.log}); err != nil {
		t.Fatal(err)
	}
	if !few.contains("log quota of 30 bytes") || few.contains("an error line") {
		t.Fatalf("quota not applied: %q", few.all())
	}
}

func TestConfig(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	env := Env{Config: map[string]string{"greeting": "bonjour"}}
	tests := []struct {
		guest, input, want string
		kind               Kind
		msg                string
	}{
		{"testguest", "config:greeting", "bonjour", 0, ""},
		{"wat/guest", "c", "bonjour", 0, ""},
		{"testguest", "config:missing", "", GuestError, `no configuration value "missing"`},
	}
	for _, tc := range tests {
		t.Run(tc.guest+"/"+tc.input, func(t *testing.T) {
			f := load(t, rt, "config", tc.guest, Limits{}, Grants{})
			got, err := invoke(t, f, tc.input, env)
			if tc.msg != "" {
				wantKind(t, err, tc.kind, tc.msg)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestTimeoutStopsInfiniteLoop: a guest spinning in `for {}` is stopped at
// its deadline, and the function keeps working on a fresh instance.
func TestTimeoutStopsInfiniteLoop(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	const limit = 300 * time.Millisecond
	tests := []struct{ guest, spin, state string }{
		{"testguest", "spin:", "state:"},
		{"wat/guest", "l", "s"},
		{"testguest", "sleep:5000", "state:"}, // a sleeping guest is stopped too
	}
	for _, tc := range tests {
		t.Run(tc.guest+"/"+tc.spin, func(t *testing.T) {
			f := load(t, rt, "spinner", tc.guest, Limits{Timeout: limit}, Grants{})
			start := time.Now()
			_, err := invoke(t, f, tc.spin, Env{})
			elapsed := time.Since(start)
			wantKind(t, err, Timeout, "deadline")
			if elapsed < limit || elapsed > limit+time.Second {
				t.Fatalf("stopped after %v, want about %v", elapsed, limit)
			}
			if got, err := invoke(t, f, tc.state, Env{}); err != nil || got != "1" {
				t.Fatalf("after the timeout: %q, %v; want a fresh instance", got, err)
			}
		})
	}
}

func TestCallerDeadlineAndCancel(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "spinner", "testguest", Limits{Timeout: 5 * time.Second}, Grants{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := f.Invoke(ctx, []byte("spin:"), Env{})
	wantKind(t, err, Timeout, "")

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err = f.Invoke(ctx, []byte("spin:"), Env{})
	wantKind(t, err, Canceled, "")
}

// TestMemoryLimit: growing past the cap fails the invocation with
// MemoryLimit; the next invocation gets a fresh instance.
func TestMemoryLimit(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	tests := []struct {
		guest, input, state string
		limit               int64
	}{
		{"testguest", "alloc:64", "state:", 16 << 20},
		{"wat/guest", "g", "s", 4 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.guest, func(t *testing.T) {
			f := load(t, rt, "hog", tc.guest, Limits{MaxMemory: tc.limit}, Grants{})
			_, err := invoke(t, f, tc.input, Env{})
			wantKind(t, err, MemoryLimit, "the limit is")
			if got, err := invoke(t, f, tc.state, Env{}); err != nil || got != "1" {
				t.Fatalf("after the memory limit: %q, %v", got, err)
			}
		})
	}
	// Within the cap, allocation works.
	f := load(t, rt, "modest", "testguest", Limits{MaxMemory: 32 << 20}, Grants{})
	if got, err := invoke(t, f, "alloc:4", Env{}); err != nil || got != "4194304" {
		t.Fatalf("alloc within the cap: %q, %v", got, err)
	}
}

// TestTrapDiscardsInstance: state survives across warm invocations and is
// gone after a trap, because the trapped instance is discarded.
func TestTrapDiscardsInstance(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	tests := []struct {
		guest, state, trap, msg string
		kind                    Kind
	}{
		{"wat/guest", "s", "t", "unreachable", Trap},
		{"testguest", "state:", "exit:", "exited with status 3", Trap},
		// An out-of-bounds pointer handed to the host is caught by the host
		// (the guest gets Invalid) and the instance is not reused.
		{"wat/guest", "s", "p", "outside the guest", GuestError},
	}
	for _, tc := range tests {
		t.Run(tc.guest+"/"+tc.trap, func(t *testing.T) {
			f := load(t, rt, "trapper", tc.guest, Limits{MaxConcurrency: 1}, Grants{})
			for _, want := range []string{"1", "2"} {
				if got, err := invoke(t, f, tc.state, Env{}); err != nil || got != want {
					t.Fatalf("state: %q, %v; want %q", got, err, want)
				}
			}
			_, err := invoke(t, f, tc.trap, Env{})
			wantKind(t, err, tc.kind, tc.msg)
			if got, err := invoke(t, f, tc.state, Env{}); err != nil || got != "1" {
				t.Fatalf("after the trap: %q, %v; want a fresh instance", got, err)
			}
		})
	}
}

// TestGoPanicIsGuestError: the Go SDK turns a handler's panic into the
// invocation's error (with the panic's text) instead of killing the instance.
func TestGoPanicIsGuestError(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "panicky", "testguest", Limits{}, Grants{})
	_, err := invoke(t, f, "panic:", Env{})
	wantKind(t, err, GuestError, "panic: boom")
	if got, err := invoke(t, f, "echo:still here", Env{}); err != nil || got != "still here" {
		t.Fatalf("after the panic: %q, %v", got, err)
	}
}

func TestInputOutputLimits(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "sized", "testguest", Limits{MaxInput: 1 << 10, MaxOutput: 1 << 10}, Grants{})
	tests := []struct {
		input string
		kind  Kind
		msg   string
	}{
		{"echo:" + strings.Repeat("a", 2<<10), InputTooLarge, "exceeds the limit of 1024"},
		{"big:4096", OutputTooLarge, "output exceeds the limit of 1024"},
		{"big:1024", 0, ""},
	}
	for _, tc := range tests {
		out, err := invoke(t, f, tc.input, Env{})
		if tc.msg == "" {
			if err != nil || len(out) != 1024 {
				t.Fatalf("%.20q: %d bytes, %v", tc.input, len(out), err)
			}
			continue
		}
		wantKind(t, err, tc.kind, tc.msg)
	}
}

// TestConcurrencyLimitQueues: with one slot, concurrent invocations wait
// for it (none fails), and a caller that gives up while queued gets its
// context's error.
func TestConcurrencyLimitQueues(t *testing.T) {
	var obs statsRecorder
	rt := newTestRuntime(t, Config{Observer: &obs})
	f := load(t, rt, "single", "testguest", Limits{MaxConcurrency: 1}, Grants{})
	const n = 3
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := f.Invoke(context.Background(), []byte("sleep:150"), Env{})
			if err == nil && string(out) != "slept" {
				err = errors.New("unexpected output " + string(out))
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a queued invocation failed: %v", err)
		}
	}
	if elapsed := time.Since(start); elapsed < n*150*time.Millisecond {
		t.Fatalf("%d invocations of 150ms took %v with one slot: they ran concurrently", n, elapsed)
	}
	var maxWait time.Duration
	for _, s := range obs.all() {
		maxWait = max(maxWait, s.QueueWait)
	}
	if maxWait < 250*time.Millisecond {
		t.Fatalf("longest queue wait %v, want >= 250ms", maxWait)
	}

	// Give up while queued.
	hold := make(chan error, 1)
	go func() {
		_, err := f.Invoke(context.Background(), []byte("sleep:300"), Env{})
		hold <- err
	}()
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := f.Invoke(ctx, []byte("echo:x"), Env{})
	wantKind(t, err, Timeout, "while waiting for a free instance")
	if err := <-hold; err != nil {
		t.Fatal(err)
	}
}

func TestObserverColdWarm(t *testing.T) {
	var obs statsRecorder
	rt := newTestRuntime(t, Config{Observer: &obs})
	f := load(t, rt, "observed", "wat/guest", Limits{}, Grants{})
	for _, in := range []string{"ex", "ex", "t", "ex"} {
		_, _ = invoke(t, f, in, Env{})
	}
	got := obs.all()
	want := []struct {
		cold bool
		kind Kind
		err  bool
	}{{false, 0, false}, {false, 0, false}, {false, Trap, true}, {true, 0, false}}
	if len(got) != len(want) {
		t.Fatalf("%d observations, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Cold != w.cold || (got[i].Err != nil) != w.err || got[i].ErrKind != w.kind || got[i].Function != "observed" {
			t.Errorf("observation %d: %+v, want cold=%v err=%v kind=%v", i, got[i], w.cold, w.err, w.kind)
		}
	}
}

func TestCloseFunction(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "closing", "testguest", Limits{}, Grants{})
	done := make(chan error, 1)
	go func() {
		_, err := f.Invoke(context.Background(), []byte("sleep:200"), Env{})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := f.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Close did not let the running invocation finish: %v", err)
	}
	_, err := invoke(t, f, "echo:x", Env{})
	wantKind(t, err, Closed, "")
}

func TestTrimIdle(t *testing.T) {
	var obs statsRecorder
	rt := newTestRuntime(t, Config{Observer: &obs})
	f := load(t, rt, "trimmed", "wat/guest", Limits{}, Grants{})
	if _, err := invoke(t, f, "s", Env{}); err != nil {
		t.Fatal(err)
	}
	if n := rt.TrimIdle(time.Hour); n != 0 {
		t.Fatalf("trimmed %d fresh instances", n)
	}
	if n := rt.TrimIdle(0); n != 1 {
		t.Fatalf("trimmed %d idle instances, want 1", n)
	}
	if got, err := invoke(t, f, "s", Env{}); err != nil || got != "1" {
		t.Fatalf("after trimming: %q, %v", got, err)
	}
	if st := obs.all(); len(st) != 2 || st[0].Cold || !st[1].Cold {
		t.Fatalf("observations %+v: want warm, then cold", st)
	}
}
