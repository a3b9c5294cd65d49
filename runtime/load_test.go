package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadRefusesBadModules(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	tests := []struct {
		name   string
		wasm   []byte
		limits Limits
		grants Grants
		kind   Kind
		msg    string
	}{
		{name: "not wasm", wasm: []byte("hello"), kind: BadModule, msg: "compile"},
		{name: "empty module", wasm: []byte("\x00asm\x01\x00\x00\x00"), kind: BadModule, msg: `does not export the function "ossflow_handle"`},
		{name: "WASI command", wasm: guests["wat/command"], kind: BadModule, msg: "-buildmode=c-shared"},
		{name: "initializer traps", wasm: guests["wat/badinit"], kind: BadModule, msg: "initialization failed"},
		{name: "unknown host call", wasm: guests["wat/badimport"], kind: BadModule, msg: "import ossflow.teleport: no such host call"},
		{name: "initial memory over the cap", wasm: guests["testguest"], limits: Limits{MaxMemory: 1 << 20}, kind: BadModule, msg: "over the function's limit of 1 MiB"},
		{name: "negative limit", wasm: guests["wat/guest"], limits: Limits{Timeout: -time.Second}, kind: Invalid, msg: "limits"},
		{name: "bad grant", wasm: guests["wat/guest"], grants: Grants{Read: []string{"/x"}}, kind: Invalid, msg: "grants"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := rt.Load(context.Background(), "bad", tc.wasm, tc.limits, tc.grants)
			if f != nil {
				t.Fatal("loaded")
			}
			wantKind(t, err, tc.kind, tc.msg)
		})
	}
}

// TestCompilationCacheSurvivesRestart: a second Runtime on the same cache
// directory (a restarted server) loads the module without compiling it.
func TestCompilationCacheSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	loadOnce := func() time.Duration {
		rt, err := New(ctx, Config{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer rt.Close(ctx)
		start := time.Now()
		f, err := rt.Load(ctx, "cached", guests["thumbnail"], Limits{}, Grants{})
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		if _, err := f.Invoke(ctx, []byte(`{"events":[]}`), Env{}); err != nil {
			t.Fatal(err)
		}
		return elapsed
	}
	cold := loadOnce()
	entries := 0
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			entries++
		}
		return nil
	})
	if entries == 0 {
		t.Fatal("nothing was written to the cache directory")
	}
	warm := loadOnce()
	t.Logf("load with compilation: %v; after a restart, from the cache: %v", cold, warm)
	if warm > cold/3 {
		t.Fatalf("load after restart took %v, compiling took %v: the cache was not used", warm, cold)
	}
}

func TestRuntimeClose(t *testing.T) {
	ctx := context.Background()
	rt, err := New(ctx, Config{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	f, err := rt.Load(ctx, "f", guests["wat/guest"], Limits{}, Grants{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = f.Invoke(ctx, []byte("ex"), Env{})
	wantKind(t, err, Closed, "")
	_, err = rt.Load(ctx, "g", guests["wat/guest"], Limits{}, Grants{})
	wantKind(t, err, Closed, "")
}

// TestHostCallTable keeps the host module and the abi package in step.
func TestHostCallTable(t *testing.T) {
	seen := map[string]bool{}
	for _, hc := range hostCalls() {
		if seen[hc.name] {
			t.Errorf("host call %s registered twice", hc.name)
		}
		seen[hc.name] = true
		if len(hc.results) != 1 {
			t.Errorf("host call %s must return one i32", hc.name)
		}
	}
	if len(seen) != 24 {
		t.Errorf("%d host calls, ABI.md documents 24", len(seen))
	}
}
