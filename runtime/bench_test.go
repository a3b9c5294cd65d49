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
// BenchmarkWarmInvoke reports, for an empty handler, the ns/op of a warm
// Invoke, of a bare wazero call of the same export with a deadline (the
// floor: "baseline-ns/op"), their difference ("overhead-ns/op") and ratio
// ("x-baseline").

func BenchmarkWarmInvoke(b *testing.B) {
	for _, guest := range []string{"wat/guest", "testguest"} {
		b.Run(guest, func(b *testing.B) {
			baseline := bareCallNs(b, guests[guest])
			rt := newTestRuntime(b, Config{})
			f := load(b, rt, "bench", guest, Limits{MaxConcurrency: 1}, Grants{})
			ctx := context.Background()
			env := Env{}
			for range 100 { // warm up
				if _, err := f.Invoke(ctx, nil, env); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.Invoke(ctx, nil, env); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(baseline, "baseline-ns/op")
			b.ReportMetric(per-baseline, "overhead-ns/op")
			b.ReportMetric(per/baseline, "x-baseline")
		})
	}
}

// bareCallNs measures a call of ossflow_handle(0) on a plain wazero
// instance of the module, with a fresh deadline per call and close on
// context done, as Invoke does: the cost any embedding pays.
func bareCallNs(b *testing.B, wasm []byte) float64 {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCloseOnContextDone(true).
		WithCompilationCache(mustCache(b)))
	defer r.Close(ctx)
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
	call := func() {
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
	for range 1000 {
		call()
	}
	const n = 50000
	start := time.Now()
	for range n {
		call()
	}
	return float64(time.Since(start).Nanoseconds()) / n
}

func mustCache(b *testing.B) wazero.CompilationCache {
	c, err := wazero.NewCompilationCacheWithDir(cacheDir)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkFirstInvokeAfterRestart: New + Load + first Invoke of the ~3.5 MB
// thumbnail guest, the compilation cache on disk warm, as after a server
// restart.
func BenchmarkFirstInvokeAfterRestart(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	warm, err := New(ctx, Config{CacheDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := warm.Load(ctx, "thumbnail", guests["thumbnail"], Limits{}, Grants{}); err != nil {
		b.Fatal(err)
	}
	_ = warm.Close(ctx)
	input := []byte(`{"events":[]}`)
	b.ReportMetric(float64(len(guests["thumbnail"]))/(1<<20), "module-MiB")
	for b.Loop() {
		rt, err := New(ctx, Config{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		f, err := rt.Load(ctx, "thumbnail", guests["thumbnail"], Limits{}, Grants{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Invoke(ctx, input, Env{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = rt.Close(ctx)
		b.StartTimer()
	}
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
