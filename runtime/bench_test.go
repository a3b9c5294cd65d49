package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Benchmarks. Run: go test -run '^$' -bench . ./runtime/
//
// The machine is shared, so absolute times move with its load; each
// benchmark therefore times its floor in the same loop, interleaved, and
// reports the ratio ("x-baseline") next to both figures.
//
// BenchmarkWarmInvoke: per iteration, one bare wazero call of the empty
// handler on a plain instance with a fresh deadline (the floor,
// "baseline-ns/op") and one warm Invoke of the same module
// ("invoke-ns/op"); "overhead-ns/op" is their difference. ns/op is the sum
// of both and means nothing by itself.
func BenchmarkWarmInvoke(b *testing.B) {
	for _, guest := range []string{"wat/guest", "testguest"} {
		b.Run(guest, func(b *testing.B) {
			bare := newBareCall(b, guests[guest])
			rt := newTestRuntime(b, Config{})
			f := load(b, rt, "bench", guest, Limits{MaxConcurrency: 1}, Grants{})
			ctx := context.Background()
			env := Env{}
			for range 1000 { // warm up both
				bare()
				if _, err := f.Invoke(ctx, nil, env); err != nil {
					b.Fatal(err)
				}
			}
			var tBare, tInvoke time.Duration
			for b.Loop() {
				t0 := time.Now()
				bare()
				t1 := time.Now()
				if _, err := f.Invoke(ctx, nil, env); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				tBare += t1.Sub(t0)
				tInvoke += t2.Sub(t1)
			}
			n := float64(b.N)
			base, inv := float64(tBare.Nanoseconds())/n, float64(tInvoke.Nanoseconds())/n
			b.ReportMetric(base, "baseline-ns/op")
			b.ReportMetric(inv, "invoke-ns/op")
			b.ReportMetric(inv-base, "overhead-ns/op")
			b.ReportMetric(inv/base, "x-baseline")
		})
	}
}

// BenchmarkInvokeAllocs reports the allocations of a warm Invoke alone.
func BenchmarkInvokeAllocs(b *testing.B) {
	rt := newTestRuntime(b, Config{})
	f := load(b, rt, "bench", "wat/guest", Limits{MaxConcurrency: 1}, Grants{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Invoke(ctx, nil, Env{}); err != nil {
			b.Fatal(err)
		}
	}
}

// newBareCall instantiates wasm on a plain wazero runtime configured as
// ours (close on context done, no debug info) and returns a call of
// ossflow_handle(0) with a fresh 10 s deadline: what any embedding pays.
func newBareCall(b *testing.B, wasm []byte) func() {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true).
		WithDebugInfoEnabled(false).WithCompilationCache(mustCache(b)))
	b.Cleanup(func() { _ = r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	if err := instantiateHostModule(ctx, r); err != nil {
		b.Fatal(err)
	}
	mod, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize"))
	if err != nil {
		b.Fatal(err)
	}
	fn := mod.ExportedFunction("ossflow_handle")
	stack := []uint64{0}
	return func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		stack[0] = 0
		if err := fn.CallWithStack(cctx, stack); err != nil {
			b.Fatal(err)
		}
		if api.DecodeI32(stack[0]) != 0 {
			b.Fatalf("status %d", api.DecodeI32(stack[0]))
		}
		cancel()
	}
}

func mustCache(b *testing.B) wazero.CompilationCache {
	c, err := wazero.NewCompilationCacheWithDir(cacheDir)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkFirstInvokeAfterRestart: New + Load + first Invoke of a ~3.5 MB
// Go guest with the compilation cache on disk warm, as after a server
// restart. Each iteration also times the floor, a bare wazero start of the
// same module (cache from disk, compile, instantiate with _initialize, one
// call), reported as "baseline-ns/op" with the ratio "x-baseline".
func BenchmarkFirstInvokeAfterRestart(b *testing.B) {
	for _, tc := range []struct{ guest, input string }{
		{"testguest", ""},              // empty handler
		{"thumbnail", `{"events":[]}`}, // decodes an (empty) event notification
	} {
		b.Run(tc.guest, func(b *testing.B) {
			ctx := context.Background()
			wasm := guests[tc.guest]
			dir := b.TempDir()
			warm, err := New(ctx, Config{CacheDir: dir})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := warm.Load(ctx, "f", wasm, Limits{}, Grants{}); err != nil {
				b.Fatal(err)
			}
			_ = warm.Close(ctx)
			var bare time.Duration
			for b.Loop() {
				b.StopTimer()
				bare += bareColdStart(b, dir, wasm)
				b.StartTimer()
				rt, err := New(ctx, Config{CacheDir: dir})
				if err != nil {
					b.Fatal(err)
				}
				f, err := rt.Load(ctx, "f", wasm, Limits{}, Grants{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := f.Invoke(ctx, []byte(tc.input), Env{}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = rt.Close(ctx)
				b.StartTimer()
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			floor := float64(bare.Nanoseconds()) / float64(b.N)
			b.ReportMetric(float64(len(wasm))/(1<<20), "module-MiB")
			b.ReportMetric(floor, "baseline-ns/op")
			b.ReportMetric(per/floor, "x-baseline")
		})
	}
}

// bareColdStart is the floor of a restart: wazero alone, same settings.
func bareColdStart(b *testing.B, dir string, wasm []byte) time.Duration {
	ctx := context.Background()
	start := time.Now()
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true).
		WithDebugInfoEnabled(false).WithCompilationCache(cache))
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	if err := instantiateHostModule(ctx, r); err != nil {
		b.Fatal(err)
	}
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		b.Fatal(err)
	}
	mod, err := r.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions("_initialize"))
	if err != nil {
		b.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, _ = mod.ExportedFunction("ossflow_handle").Call(cctx, 0)
	cancel()
	elapsed := time.Since(start)
	_ = r.Close(ctx)
	_ = cache.Close(ctx)
	return elapsed
}

// BenchmarkCompileNoCache: Load of the thumbnail guest with an empty
// in-memory cache, i.e. a full compilation.
func BenchmarkCompileNoCache(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		rt, err := New(ctx, Config{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rt.Load(ctx, "thumbnail", guests["thumbnail"], Limits{}, Grants{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = rt.Close(ctx)
		b.StartTimer()
	}
}
