package runtime

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/ossflow/ossflow/runtime/abi"
)

// Config configures a Runtime.
type Config struct {
	// CacheDir is where compiled modules are kept (e.g.
	// <data>/wazero-cache), so a restarted server does not compile them
	// again. Empty keeps compiled code in memory only. The directory must be
	// private to ossflow: its content is executable code.
	CacheDir string
	// Log receives the runtime's own diagnostics (e.g. a guest logging
	// during its initialization). Nil discards them.
	Log LogFunc
	// Observer, if set, is told about every invocation.
	Observer Observer
	// Resolver resolves host names for outbound HTTP (nil: net.DefaultResolver).
	Resolver Resolver
	// CompileWorkers is the number of goroutines that compile one module
	// (0: GOMAXPROCS).
	CompileWorkers int
	// DebugInfo makes trap messages carry source file and line numbers
	// (from the module's DWARF sections). It costs about a third of the
	// time of loading a module from the cache, so it is off by default;
	// traps still name the wasm functions.
	DebugInfo bool
}

// Runtime compiles and runs functions. It is safe for concurrent use.
type Runtime struct {
	cfg   Config
	cache wazero.CompilationCache
	base  wazero.RuntimeConfig

	mu     sync.Mutex
	fns    map[*Function]struct{}
	closed bool
}

// New returns a Runtime whose compiled code is cached in cfg.CacheDir.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	var (
		cache wazero.CompilationCache
		err   error
	)
	if cfg.CacheDir != "" {
		cache, err = wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, newError(Invalid, "", err, "compilation cache in %s", cfg.CacheDir)
		}
	} else {
		cache = wazero.NewCompilationCache()
	}
	if cfg.CompileWorkers <= 0 {
		cfg.CompileWorkers = goruntime.GOMAXPROCS(0)
	}
	base := wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		// Stop a guest at its deadline even inside a tight loop.
		WithCloseOnContextDone(true).
		// The cap is enforced by cappedMemory; see memory.go.
		WithMemoryLimitPages(maxWasmPages).
		WithDebugInfoEnabled(cfg.DebugInfo)
	return &Runtime{cfg: cfg, cache: cache, base: base, fns: map[*Function]struct{}{}}, nil
}

// Close closes every function still loaded and releases the in-memory
// compiled code. The on-disk cache stays for the next start.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	fns := make([]*Function, 0, len(r.fns))
	for f := range r.fns {
		fns = append(fns, f)
	}
	r.mu.Unlock()
	var errs []error
	for _, f := range fns {
		errs = append(errs, f.Close(ctx))
	}
	errs = append(errs, r.cache.Close(ctx))
	return errors.Join(errs...)
}

// TrimIdle closes, in every loaded function, the warm instances idle for
// longer than maxIdle, and returns how many it closed.
func (r *Runtime) TrimIdle(maxIdle time.Duration) int {
	r.mu.Lock()
	fns := make([]*Function, 0, len(r.fns))
	for f := range r.fns {
		fns = append(fns, f)
	}
	r.mu.Unlock()
	n := 0
	for _, f := range fns {
		n += f.TrimIdle(maxIdle)
	}
	return n
}

func (r *Runtime) log(level, msg string) {
	if r.cfg.Log != nil {
		r.cfg.Log(level, msg)
	}
}

// Load compiles wasm (or takes it from the compilation cache), checks that
// it follows the ABI, instantiates it once (running its initializer, so a
// module that fails to initialize is refused now rather than at its first
// event) and returns the Function, with that instance ready in its pool.
func (r *Runtime) Load(ctx context.Context, name string, wasm []byte, limits Limits, grants Grants) (*Function, error) {
	if name == "" {
		return nil, newError(Invalid, name, nil, "a function needs a name")
	}
	lim, err := limits.withDefaults()
	if err != nil {
		return nil, newError(Invalid, name, err, "limits")
	}
	gs, err := compileGrants(grants)
	if err != nil {
		return nil, newError(Invalid, name, err, "grants")
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, newError(Closed, name, nil, "runtime is closed")
	}

	wr := wazero.NewRuntimeWithConfig(ctx, r.base)
	f := &Function{
		name:   name,
		rt:     r,
		wr:     wr,
		limits: lim,
		grants: gs,
		sem:    make(chan struct{}, lim.MaxConcurrency),
		done:   make(chan struct{}),
	}
	f.client = newGuardedClient(newNetGuard(name, gs, r.cfg.Resolver))
	fail := func(e *Error) (*Function, error) {
		_ = wr.Close(ctx)
		return nil, e
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, wr); err != nil {
		return fail(newError(Internal, name, err, "instantiate WASI"))
	}
	if err := instantiateHostModule(ctx, wr); err != nil {
		return fail(newError(Internal, name, err, "instantiate host module"))
	}
	cctx := experimental.WithCompilationWorkers(ctx, r.cfg.CompileWorkers)
	cm, err := wr.CompileModule(cctx, wasm)
	if err != nil {
		return fail(newError(BadModule, name, err, "compile"))
	}
	f.compiled = cm
	if err := checkABI(cm, lim); err != nil {
		return fail(newError(BadModule, name, nil, "%s", err))
	}
	inst, ierr := f.instantiate(ctx)
	if ierr != nil {
		if ierr.Kind != MemoryLimit && ierr.Kind != Timeout && ierr.Kind != Canceled {
			ierr.Kind = BadModule
		}
		return fail(ierr)
	}
	f.idle = append(f.idle, inst)

	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fail(newError(Closed, name, nil, "runtime is closed"))
	}
	r.fns[f] = struct{}{}
	r.mu.Unlock()
	return f, nil
}

func (r *Runtime) forget(f *Function) {
	r.mu.Lock()
	delete(r.fns, f)
	r.mu.Unlock()
}

// checkABI verifies the exports and imports of a compiled module against
// ABI version 1 (see ABI.md).
func checkABI(cm wazero.CompiledModule, lim Limits) error {
	exports := cm.ExportedFunctions()
	h, ok := exports[abi.ExportHandle]
	if !ok {
		if _, isCommand := exports[abi.ExportStart]; isCommand {
			return fmt.Errorf("module is a WASI command (exports %s, not %s): build it as a reactor, e.g. GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared", abi.ExportStart, abi.ExportHandle)
		}
		return fmt.Errorf("module does not export the function %q (see ABI.md)", abi.ExportHandle)
	}
	if !sameTypes(h.ParamTypes(), api.ValueTypeI32) || !sameTypes(h.ResultTypes(), api.ValueTypeI32) {
		return fmt.Errorf("export %s must have type (i32) -> i32, has %v -> %v", abi.ExportHandle, h.ParamTypes(), h.ResultTypes())
	}
	if _, isCommand := exports[abi.ExportStart]; isCommand {
		if _, isReactor := exports[abi.ExportInitialize]; !isReactor {
			return fmt.Errorf("module is a WASI command (exports %s): build it as a reactor, e.g. GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared", abi.ExportStart)
		}
	}
	if len(cm.ImportedMemories()) > 0 {
		return fmt.Errorf("module imports a memory; it must define and export %q", abi.ExportMemory)
	}
	mem, ok := cm.ExportedMemories()[abi.ExportMemory]
	if !ok {
		return fmt.Errorf("module does not export its memory as %q", abi.ExportMemory)
	}
	if minBytes := uint64(mem.Min()) * wasmPageSize; minBytes > uint64(lim.MaxMemory) {
		return fmt.Errorf("module needs %d MiB of memory at start, over the function's limit of %d MiB", minBytes>>20, lim.MaxMemory>>20)
	}
	for _, imp := range cm.ImportedFunctions() {
		mod, fname, _ := imp.Import()
		switch mod {
		case wasi_snapshot_preview1.ModuleName:
		case abi.HostModule:
			sig, ok := hostSignature(fname)
			if !ok {
				return fmt.Errorf("import %s.%s: no such host call in ABI v%d (see ABI.md)", mod, fname, abi.Version)
			}
			if !sameTypes(imp.ParamTypes(), sig.params...) || !sameTypes(imp.ResultTypes(), sig.results...) {
				return fmt.Errorf("import %s.%s has type %v -> %v, the ABI says %v -> %v", mod, fname, imp.ParamTypes(), imp.ResultTypes(), sig.params, sig.results)
			}
		default:
			return fmt.Errorf("import %s.%s: unknown module %q (only %s and %s are provided)", mod, fname, mod, abi.HostModule, wasi_snapshot_preview1.ModuleName)
		}
	}
	return nil
}

func sameTypes(got []api.ValueType, want ...api.ValueType) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
