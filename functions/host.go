package functions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/runtime"
)

// HostConfig configures a Host.
type HostConfig struct {
	// Runtime runs the modules (its Observer should be Metrics).
	Runtime *runtime.Runtime
	// Registry is where functions are loaded from.
	Registry *Registry
	// Objects returns the object capability of function name's
	// invocations; its writes must carry Origin(name).
	Objects func(name string) runtime.Objects
	// Images returns the image capability over a function's Objects (nil:
	// none).
	Images func(objs runtime.Objects) runtime.Images
	// Records receives log lines and invocation records (nil: discarded).
	Records RecordSink
	// Metrics, when set, counts what the runtime's Observer does not see
	// (retries, dead letters, loop-guard skips).
	Metrics *Metrics
	// Log receives the platform's own diagnostics.
	Log *slog.Logger
}

// Host keeps the current version of each function loaded and invokes
// them, adding what the platform owes every invocation: the function's
// capabilities and configuration, its log, its invocation record and
// metrics. It is safe for concurrent use.
type Host struct {
	cfg HostConfig
	log *slog.Logger

	mu   sync.RWMutex
	fns  map[string]*Loaded
	load sync.Mutex // serializes loads from the registry
}

// Loaded is one version of a function, ready to run.
type Loaded struct {
	Name     string
	Version  int
	Manifest fnapi.Manifest
	Function *runtime.Function
	env      runtime.Env
	retry    fnapi.Retry
}

// NewHost returns a Host.
func NewHost(cfg HostConfig) *Host {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Host{cfg: cfg, log: cfg.Log, fns: map[string]*Loaded{}}
}

// Registry returns the host's registry.
func (h *Host) Registry() *Registry { return h.cfg.Registry }

// limits maps a manifest's limits onto the runtime's.
func limits(m *fnapi.Manifest) runtime.Limits {
	return runtime.Limits{
		MaxMemory:      int64(m.Limits.Memory),
		Timeout:        time.Duration(m.Limits.Timeout),
		MaxConcurrency: m.Limits.Concurrency,
		MaxInput:       int(m.Limits.MaxInput),
		MaxOutput:      int(m.Limits.MaxOutput),
	}
}

func grants(m *fnapi.Manifest) runtime.Grants {
	g := m.EffectiveGrants()
	return runtime.Grants{Read: g.Read, Write: g.Write, HTTPHosts: g.HTTPHosts}
}

// Compile loads a module with a manifest's limits and grants, without
// keeping it: the deploy-time check that the module starts.
func (h *Host) Compile(ctx context.Context, m *fnapi.Manifest, wasm []byte, version int) (*Loaded, error) {
	f, err := h.cfg.Runtime.Load(ctx, m.Name, wasm, limits(m), grants(m))
	if err != nil {
		return nil, err
	}
	objs := h.cfg.Objects(m.Name)
	env := runtime.Env{Objects: objs, Config: m.Config}
	if h.cfg.Images != nil {
		env.Images = h.cfg.Images(objs)
	}
	return &Loaded{Name: m.Name, Version: version, Manifest: *m, Function: f, env: env, retry: m.Retry.WithDefaults()}, nil
}

// Install makes l the running version of its function, closing the
// version it replaces once its running invocations end.
func (h *Host) Install(l *Loaded) {
	h.mu.Lock()
	old := h.fns[l.Name]
	h.fns[l.Name] = l
	h.mu.Unlock()
	if old != nil && old != l {
		h.retire(old)
	}
}

func (h *Host) retire(l *Loaded) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(max(l.Function.Limits().Timeout, time.Second))+5*time.Second)
		defer cancel()
		_ = l.Function.Close(ctx)
	}()
}

// Unload stops running name on this host.
func (h *Host) Unload(name string) {
	h.mu.Lock()
	old := h.fns[name]
	delete(h.fns, name)
	h.mu.Unlock()
	if old != nil {
		h.retire(old)
	}
}

// Loaded returns the running version of name, if loaded.
func (h *Host) Loaded(name string) *Loaded {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.fns[name]
}

// LoadedNames lists the functions loaded on this host.
func (h *Host) LoadedNames() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]string, 0, len(h.fns))
	for n := range h.fns {
		out = append(out, n)
	}
	return out
}

// Sync makes the host run the registry's current version of name (loading
// it if needed) or unloads it if the registry no longer has it. It
// returns the running version (nil when none).
func (h *Host) Sync(ctx context.Context, name string) (*Loaded, error) {
	h.load.Lock()
	defer h.load.Unlock()
	v, err := h.cfg.Registry.Current(ctx, name)
	if errors.Is(err, ErrNotFound) {
		h.Unload(name)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if l := h.Loaded(name); l != nil && l.Version == v {
		return l, nil
	}
	wasm, info, err := h.cfg.Registry.Module(ctx, name, v)
	if err != nil {
		return nil, err
	}
	l, err := h.Compile(ctx, &info.Manifest, wasm, v)
	if err != nil {
		return nil, fmt.Errorf("load %s v%d: %w", name, v, err)
	}
	h.Install(l)
	h.log.Info("function loaded", "function", name, "version", v)
	return l, nil
}

// Get returns the running version of name, loading the registry's current
// one when this host has none yet.
func (h *Host) Get(ctx context.Context, name string) (*Loaded, error) {
	if l := h.Loaded(name); l != nil {
		return l, nil
	}
	l, err := h.Sync(ctx, name)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, ErrNotFound
	}
	return l, nil
}

// Close closes every loaded function.
func (h *Host) Close(ctx context.Context) {
	h.mu.Lock()
	fns := h.fns
	h.fns = map[string]*Loaded{}
	h.mu.Unlock()
	for _, l := range fns {
		_ = l.Function.Close(ctx)
	}
}

// Invocation describes what runs a function, for its records.
type Invocation struct {
	// EventID, EventName, Bucket and Key describe the triggering event.
	EventID, EventName, Bucket, Key string
	// Trigger says what ran the function (see fnapi.Record.Trigger).
	Trigger string
	// Delivery is the event's delivery count (1 for the first).
	Delivery int
}

var invocationSeq atomic.Uint64
var invocationPrefix = func() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

func newInvocationID() string {
	return fmt.Sprintf("%s%012x", invocationPrefix, invocationSeq.Add(1))
}

// Invoke runs l on input and publishes its log lines and invocation
// record.
func (h *Host) Invoke(ctx context.Context, l *Loaded, input []byte, inv *Invocation) ([]byte, error) {
	sink := h.cfg.Records
	env := l.env
	var invID string
	if sink != nil {
		if inv.EventID == "" {
			invID = newInvocationID()
		}
		env.Log = func(level, msg string) {
			sink.Record(&fnapi.Record{
				Type: fnapi.RecordLog, Time: time.Now().UTC(), Function: l.Name, Version: l.Version,
				EventID: inv.EventID, InvocationID: invID, Level: level, Message: msg,
			})
		}
	}
	var cold0 uint64
	if h.cfg.Metrics != nil {
		cold0 = h.cfg.Metrics.coldCount(l.Name)
	}
	start := time.Now()
	out, err := l.Function.Invoke(ctx, input, env)
	if sink != nil {
		d := time.Since(start)
		r := &fnapi.Record{
			Type: fnapi.RecordInvocation, Time: start.UTC(), Function: l.Name, Version: l.Version,
			EventID: inv.EventID, InvocationID: invID, Trigger: inv.Trigger, EventName: inv.EventName,
			Bucket: inv.Bucket, Key: inv.Key, Delivery: inv.Delivery,
			DurationMillis: float64(d.Microseconds()) / 1000, Result: "ok",
		}
		if h.cfg.Metrics != nil {
			r.Cold = h.cfg.Metrics.coldCount(l.Name) != cold0
		}
		if err != nil {
			r.Result, r.ErrorKind, r.Error = "error", KindName(runtime.KindOf(err)), err.Error()
		}
		sink.Record(r)
	}
	return out, err
}

// InvokeName invokes the running version of name (loading it if needed).
func (h *Host) InvokeName(ctx context.Context, name string, input []byte, inv *Invocation) ([]byte, *Loaded, error) {
	l, err := h.Get(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	out, err := h.Invoke(ctx, l, input, inv)
	return out, l, err
}

func (h *Host) record(r *fnapi.Record) {
	if h.cfg.Records != nil {
		h.cfg.Records.Record(r)
	}
}
