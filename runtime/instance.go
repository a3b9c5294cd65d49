package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/runtime/abi"
)

type instanceKey struct{}

// instance is one instantiation of a function's module: its own linear
// memory, never shared with another instance or function. It serves one
// invocation at a time.
type instance struct {
	fn     *Function
	mod    api.Module
	handle api.Function
	stack  [1]uint64
	mem    *cappedMemory
	stdout *guestStream
	stderr *guestStream

	inv invocation
	// tainted, when set, is why the instance must not be reused (a trap,
	// a deadline, a host-detected misbehaviour).
	tainted string
	// idleSince is when the instance went back to the pool.
	idleSince time.Time
}

// invocation is the state of the invocation an instance is running. It
// lives inside the instance and is reset, not reallocated, per call.
type invocation struct {
	ctx  context.Context // the invocation's context (deadline included)
	hctx context.Context // ctx with the function's oss.RequestInfo, made on first use
	// running is true during an invocation (false during initialization,
	// when no capability is available); env is then the invocation's.
	running bool
	env     Env
	input   []byte
	inOff   int

	out         []byte
	outTooLarge bool

	failed  bool   // the guest called fail
	failMsg string // its message
	denied  string // the last denial a host call reported

	errCode abi.Code
	errMsg  string // last_error
	result  []byte // result_read

	handles  []hostHandle
	nHandles int

	logBytes   int
	logDropped bool
}

func (inv *invocation) reset(ctx context.Context, input []byte, env *Env) {
	out := inv.out[:0]
	if cap(out) > 64<<10 {
		out = nil
	}
	handles := inv.handles[:0]
	*inv = invocation{ctx: ctx, input: input, out: out, handles: handles}
	if env != nil {
		inv.env, inv.running = *env, true
	}
}

// hostCtx is the context given to the embedder's capabilities: the
// invocation's, carrying an oss.RequestInfo whose Origin names the function.
func (in *instance) hostCtx() context.Context {
	inv := &in.inv
	if inv.hctx == nil {
		ri := oss.RequestInfoFrom(inv.ctx)
		if ri.Origin == "" {
			ri.Origin = "function:" + in.fn.name
		}
		inv.hctx = oss.WithRequestInfo(inv.ctx, ri)
	}
	return inv.hctx
}

// fail records a host call's error for last_error and returns its code.
func (inv *invocation) fail(code abi.Code, format string, args ...any) int32 {
	inv.errCode = code
	if len(args) > 0 {
		inv.errMsg = fmt.Sprintf(format, args...)
	} else {
		inv.errMsg = format
	}
	if code == abi.Denied {
		inv.denied = inv.errMsg
	}
	return int32(code)
}

func (in *instance) taint(reason string) {
	if in.tainted == "" {
		in.tainted = reason
	}
}

// instantiate creates a fresh instance, running the module's initializer
// within the function's timeout.
func (f *Function) instantiate(ctx context.Context) (*instance, *Error) {
	in := &instance{fn: f, mem: &cappedMemory{limit: uint64(f.limits.MaxMemory)}}
	in.stdout = &guestStream{in: in, level: "info", name: "stdout"}
	in.stderr = &guestStream{in: in, level: "error", name: "stderr", keepTail: true}

	tctx, cancel := context.WithTimeout(ctx, f.limits.Timeout)
	defer cancel()
	in.inv.reset(tctx, nil, nil)
	ictx := context.WithValue(tctx, instanceKey{}, in)
	ictx = experimental.WithMemoryAllocator(ictx, in.mem.allocator())

	cfg := wazero.NewModuleConfig().
		WithName(""). // anonymous: many instances of one module may coexist
		WithStartFunctions(abi.ExportInitialize).
		WithArgs(f.name).
		WithStdout(in.stdout).
		WithStderr(in.stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithNanosleep(boundedSleep).
		WithRandSource(rand.Reader)
	// No WithFS/WithFSConfig: the guest sees no file system at all.
	mod, err := f.wr.InstantiateModule(ictx, f.compiled, cfg)
	in.stdout.flush()
	in.stderr.flush()
	if err != nil {
		e := in.classify(tctx, err)
		if e.Kind == Trap {
			e.Kind = BadModule
			e.Message = "initialization failed: " + e.Message
		}
		return nil, e
	}
	in.mod = mod
	in.handle = mod.ExportedFunction(abi.ExportHandle)
	in.inv.reset(nil, nil, nil)
	return in, nil
}

// boundedSleep serves the guest's sleeps (WASI poll_oneoff) in slices of
// at most 10 ms, so a sleeping guest returns to wasm code, where wazero
// notices its deadline, soon after the deadline passes. Guests loop until
// their own clock says the sleep is over.
func boundedSleep(ns int64) {
	const slice = int64(10 * time.Millisecond)
	time.Sleep(time.Duration(min(ns, slice)))
}

func (in *instance) close() {
	if in.mod != nil {
		_ = in.mod.Close(context.Background())
	}
}

// guestStream turns a guest's stdout or stderr into log lines of the
// current invocation (or of the runtime, during initialization). stderr
// keeps its last bytes for trap messages (a Go panic prints there).
type guestStream struct {
	in       *instance
	level    string
	name     string
	line     []byte
	keepTail bool
	tail     []byte
}

const (
	maxLineBytes = 4 << 10
	tailBytes    = 2 << 10
)

func (s *guestStream) Write(p []byte) (int, error) {
	n := len(p)
	if s.keepTail {
		s.tail = append(s.tail, p...)
		if len(s.tail) > tailBytes {
			s.tail = append(s.tail[:0], s.tail[len(s.tail)-tailBytes:]...)
		}
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.line = append(s.line, p...)
			if len(s.line) >= maxLineBytes {
				s.flush()
			}
			break
		}
		s.line = append(s.line, p[:i]...)
		s.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (s *guestStream) flush() {
	if len(s.line) == 0 {
		return
	}
	s.in.emitLog(s.level, s.name+": "+string(s.line))
	s.line = s.line[:0]
}

func (s *guestStream) takeTail() string {
	t := string(bytes.TrimSpace(s.tail))
	s.tail = s.tail[:0]
	return t
}

// emitLog sends one line to the invocation's sink, within its quota.
func (in *instance) emitLog(level, msg string) bool {
	if !in.inv.running {
		in.fn.rt.log(level, "function "+in.fn.name+": "+msg)
		return true
	}
	if !in.logRoom(len(msg)) {
		return false
	}
	if in.inv.env.Log != nil {
		in.inv.env.Log(level, msg)
	}
	return true
}

// logRoom reserves n bytes of the invocation's log quota; past the quota
// it reports false, after one notice.
func (in *instance) logRoom(n int) bool {
	inv := &in.inv
	if !inv.running {
		return true
	}
	if inv.logBytes+n > in.fn.limits.MaxLogBytes {
		if !inv.logDropped {
			inv.logDropped = true
			if inv.env.Log != nil {
				inv.env.Log("warn", fmt.Sprintf("log quota of %d bytes for this invocation reached; further lines are dropped", in.fn.limits.MaxLogBytes))
			}
		}
		return false
	}
	inv.logBytes += n
	return true
}
