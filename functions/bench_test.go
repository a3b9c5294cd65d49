package functions_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossflow/ossflow/functions"
	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/runtime"
	"github.com/ossflow/ossflow/server/servertest"
)

// BenchmarkWarmInvoke compares a warm invocation of an empty handler
// through the platform (Host.Invoke on the server's platform: capability
// set-up, log sink, invocation record published on the log stream,
// metrics) with runtime's Function.Invoke alone on the same function.
// The difference is the platform's overhead per call.
func BenchmarkWarmInvoke(b *testing.B) {
	e := newEnv(b)
	e.deploy(b, fnapi.Manifest{Name: "empty", Triggers: fnapi.Triggers{HTTP: &fnapi.HTTPTrigger{}}}, "fnguest")
	host := e.ts.Server.Functions().Host
	ctx := context.Background()
	l, err := host.Get(ctx, "empty")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("runtime", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.Function.Invoke(ctx, nil, runtime.Env{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("platform", func(b *testing.B) {
		inv := &functions.Invocation{Trigger: "bench"}
		for b.Loop() {
			if _, err := host.Invoke(ctx, l, nil, inv); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDeployReady measures a deploy over the API until the function
// is ready (compiled, stored in the registry, its consumer created and the
// in-process worker consuming), for a module already compiled once (the
// compilation cache hits: a redeploy, a rollback, another function of the
// same module) and for a new module (a full compilation). "compile" is
// runtime.Load of a new module alone: the floor of a fresh deploy.
func BenchmarkDeployReady(b *testing.B) {
	e := newEnv(b)
	e.bucket(b, "deploys")
	ctx := context.Background()
	n := 0
	deploy := func(b *testing.B, wasm []byte) {
		n++
		m := fnapi.Manifest{Name: fmt.Sprintf("d%d", n), Triggers: eventTrigger("deploys", fmt.Sprintf("p%d/", n))}
		if _, err := e.c.DeployFunction(ctx, m, wasm); err != nil {
			b.Fatal(err)
		}
	}
	deploy(b, guests["fnguest"]) // fills the cache
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			deploy(b, guests["fnguest"])
		}
	})
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			deploy(b, uniqueModule(guests["fnguest"]))
		}
	})
	// The thumbnail example is the reference guest (a ~3.4 MB Go
	// module); fnguest carries every test handler and is larger.
	b.Run("fresh-thumbnail", func(b *testing.B) {
		b.ReportMetric(float64(len(guests["thumbnail"]))/(1<<20), "module-MiB")
		for b.Loop() {
			deploy(b, uniqueModule(guests["thumbnail"]))
		}
	})
	b.Run("compile", func(b *testing.B) {
		rt, err := runtime.New(ctx, runtime.Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Close(ctx)
		for b.Loop() {
			f, err := rt.Load(ctx, "c", uniqueModule(guests["fnguest"]), runtime.Limits{}, runtime.Grants{})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			_ = f.Close(ctx)
			b.StartTimer()
		}
	})
}

var uniq atomic.Int64

// uniqueModule appends a custom section, so the module's bytes (and its
// compilation cache key) are new while its code is the same.
func uniqueModule(wasm []byte) []byte {
	name := fmt.Sprintf("bench%d-%d", time.Now().UnixNano(), uniq.Add(1))
	payload := append([]byte{byte(len(name))}, name...)
	out := append([]byte{}, wasm...)
	out = append(out, 0, byte(len(payload)))
	return append(out, payload...)
}

// BenchmarkEventThroughput measures sustained events per second through a
// trivial function: PUT -> event -> JetStream -> invoke -> ack, with 8
// concurrent writers. "puts" is the same writers with no function, the
// baseline of the same run.
func BenchmarkEventThroughput(b *testing.B) {
	e := newEnv(b)
	e.bucket(b, "tput")
	ctx := context.Background()
	put := func(b *testing.B, prefix string, n int) {
		var wg sync.WaitGroup
		var next atomic.Int64
		for range 8 {
			wg.Go(func() {
				for i := next.Add(1); i <= int64(n); i = next.Add(1) {
					if _, err := e.c.PutObject(ctx, "tput", fmt.Sprintf("%s%d", prefix, i), strings.NewReader("x"), 1, nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	b.Run("puts", func(b *testing.B) {
		put(b, "plain/", b.N)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	e.deploy(b, fnapi.Manifest{Name: "noop", Triggers: eventTrigger("tput", "noop/"), Limits: fnapi.Limits{Concurrency: 4}}, "fnguest")
	metrics := e.ts.Server.Functions().Metrics
	b.Run("function", func(b *testing.B) {
		start := metrics.Invocations("noop")
		put(b, fmt.Sprintf("noop/%d-", b.N), b.N)
		servertest.CheckFor(b, 5*time.Minute, func() error {
			if got := metrics.Invocations("noop") - start; got < uint64(b.N) {
				return fmt.Errorf("%d of %d invocations", got, b.N)
			}
			return nil
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}

type discardSink struct{ n atomic.Int64 }

func (d *discardSink) Record(*fnapi.Record) { d.n.Add(1) }

// BenchmarkWarmInvokeHost is BenchmarkWarmInvoke/platform with the
// records discarded instead of published: the host's own code alone.
func BenchmarkWarmInvokeHost(b *testing.B) {
	ctx := context.Background()
	m := functions.NewMetrics()
	rt, err := runtime.New(ctx, runtime.Config{Observer: m})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close(ctx)
	host := functions.NewHost(functions.HostConfig{Runtime: rt, Metrics: m, Records: &discardSink{},
		Objects: func(string) runtime.Objects { return nil }})
	l, err := host.Compile(ctx, &fnapi.Manifest{Name: "empty"}, guests["fnguest"], 1)
	if err != nil {
		b.Fatal(err)
	}
	inv := &functions.Invocation{Trigger: "bench"}
	for b.Loop() {
		if _, err := host.Invoke(ctx, l, nil, inv); err != nil {
			b.Fatal(err)
		}
	}
}
