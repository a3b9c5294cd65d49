package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"github.com/ossflow/ossflow/runtime/abi"
)

// Function is a loaded module with its limits, grants and pool of warm
// instances. It is safe for concurrent use.
type Function struct {
	name     string
	rt       *Runtime
	wr       wazero.Runtime
	compiled wazero.CompiledModule
	limits   Limits
	grants   *grantSet
	client   *http.Client

	// sem holds one token per running invocation (MaxConcurrency).
	sem    chan struct{}
	done   chan struct{} // closed by Close, wakes queued invocations
	closed atomic.Bool

	mu   sync.Mutex
	idle []*instance // warm instances, most recently used last
}

// Name is the function's name.
func (f *Function) Name() string { return f.name }

// Limits are the function's limits, defaults applied.
func (f *Function) Limits() Limits { return f.limits }

// Invoke runs the function's handler on input and returns its output.
//
// At most Limits.MaxConcurrency invocations run at once; the others wait
// for a free instance for as long as ctx allows. A warm instance is reused
// when one is idle; otherwise a new one is made (a cold start). An
// instance that trapped, ran out of time or misbehaved is discarded, never
// reused. Failures are *Error values.
func (f *Function) Invoke(ctx context.Context, input []byte, env Env) ([]byte, error) {
	obs := f.rt.cfg.Observer
	var t0 time.Time
	if obs != nil {
		t0 = time.Now()
	}
	out, cold, t1, err := f.invoke(ctx, input, &env, obs != nil)
	if obs != nil {
		end := time.Now()
		s := InvocationStats{Function: f.name, Cold: cold, InputBytes: len(input), OutputBytes: len(out)}
		if !t1.IsZero() {
			s.QueueWait = t1.Sub(t0)
			s.Duration = end.Sub(t1)
		} else {
			s.QueueWait = end.Sub(t0)
		}
		if err != nil {
			s.Err = err
			s.ErrKind = KindOf(err)
		}
		obs.ObserveInvocation(s)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (f *Function) invoke(ctx context.Context, input []byte, env *Env, timed bool) (out []byte, cold bool, started time.Time, err error) {
	if len(input) > f.limits.MaxInput {
		return nil, false, started, newError(InputTooLarge, f.name, nil, "input of %d bytes exceeds the limit of %d", len(input), f.limits.MaxInput)
	}
	if f.closed.Load() {
		return nil, false, started, newError(Closed, f.name, nil, "function is closed")
	}
	select {
	case f.sem <- struct{}{}:
	default:
		// Backpressure: wait for a slot, for as long as the caller allows.
		select {
		case f.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, false, started, ctxError(ctx, f.name, "while waiting for a free instance")
		case <-f.done:
			return nil, false, started, newError(Closed, f.name, nil, "function is closed")
		}
	}
	defer func() { <-f.sem }()
	if f.closed.Load() {
		return nil, false, started, newError(Closed, f.name, nil, "function is closed")
	}
	if timed {
		started = time.Now()
	}
	in := f.takeIdle()
	if in == nil {
		cold = true
		var ierr *Error
		if in, ierr = f.instantiate(ctx); ierr != nil {
			return nil, cold, started, ierr
		}
	}
	out, ierr := in.invoke(ctx, input, env)
	if in.tainted != "" {
		in.close()
	} else {
		f.putIdle(in)
	}
	if ierr != nil {
		return nil, cold, started, ierr
	}
	return out, cold, started, nil
}

func (f *Function) takeIdle() *instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.idle)
	if n == 0 {
		return nil
	}
	in := f.idle[n-1]
	f.idle[n-1] = nil
	f.idle = f.idle[:n-1]
	return in
}

func (f *Function) putIdle(in *instance) {
	in.idleSince = time.Now()
	f.mu.Lock()
	if f.closed.Load() || len(f.idle) >= f.limits.MaxConcurrency {
		f.mu.Unlock()
		in.close()
		return
	}
	f.idle = append(f.idle, in)
	f.mu.Unlock()
}

// TrimIdle closes the warm instances that have been idle for longer than
// maxIdle and returns how many it closed, releasing their memory. The
// pool otherwise keeps up to MaxConcurrency warm instances for ever; an
// embedder calls this periodically (Runtime.TrimIdle does it for every
// function).
func (f *Function) TrimIdle(maxIdle time.Duration) int {
	cutoff := time.Now().Add(-maxIdle)
	f.mu.Lock()
	// idle is ordered by return time, oldest first.
	n := 0
	for n < len(f.idle) && f.idle[n].idleSince.Before(cutoff) {
		n++
	}
	old := append([]*instance(nil), f.idle[:n]...)
	f.idle = append(f.idle[:0], f.idle[n:]...)
	f.mu.Unlock()
	for _, in := range old {
		in.close()
	}
	return n
}

// Close stops accepting invocations, waits (as long as ctx allows) for
// the running ones to finish, and releases every instance. Invocations
// still running when ctx ends are stopped.
func (f *Function) Close(ctx context.Context) error {
	if f.closed.Swap(true) {
		return nil
	}
	close(f.done)
	// Drain: holding every token means nothing runs.
drain:
	for i := 0; i < cap(f.sem); i++ {
		select {
		case f.sem <- struct{}{}:
		case <-ctx.Done():
			break drain
		}
	}
	f.mu.Lock()
	idle := f.idle
	f.idle = nil
	f.mu.Unlock()
	for _, in := range idle {
		in.close()
	}
	f.client.CloseIdleConnections()
	f.rt.forget(f)
	return f.wr.Close(context.Background())
}

// invoke runs one call on the instance and classifies its outcome.
func (in *instance) invoke(ctx context.Context, input []byte, env *Env) ([]byte, *Error) {
	f := in.fn
	tctx, cancel := context.WithTimeout(ctx, f.limits.Timeout)
	defer cancel()
	inv := &in.inv
	inv.reset(tctx, input, env)
	in.mem.refused = 0
	in.stack[0] = uint64(len(input))
	// One small allocation per call: wazero's deadline watcher may read
	// this context after the call returns, so it cannot be reused.
	err := in.handle.CallWithStack(context.WithValue(tctx, instanceKey{}, in), in.stack[:])
	status := int32(in.stack[0])
	inv.closeHandles()
	in.stdout.flush()
	in.stderr.flush()
	defer inv.reset(nil, nil, nil) // drop references to input, env and output

	if err != nil {
		return nil, in.classify(tctx, err)
	}
	if in.mod.IsClosed() {
		in.taint("exited")
		return nil, newError(Trap, f.name, nil, "guest exited during the call%s", in.stderrSuffix())
	}
	if tctx.Err() != nil {
		in.taint("deadline")
		return nil, ctxError(tctx, f.name, "")
	}
	if inv.outTooLarge {
		return nil, newError(OutputTooLarge, f.name, nil, "output exceeds the limit of %d bytes", f.limits.MaxOutput)
	}
	if status != 0 {
		msg := inv.failMsg
		if !inv.failed {
			msg = fmt.Sprintf("handler returned status %d (%s)", status, abi.Code(status))
			if inv.errMsg != "" {
				msg += "; last host error: " + inv.errMsg
			}
		}
		kind := GuestError
		if abi.Code(status) == abi.Denied {
			kind = Denied
			if !inv.failed && inv.denied != "" {
				msg = inv.denied
			}
		}
		return nil, &Error{Kind: kind, Function: f.name, Message: msg, Status: status}
	}
	if len(inv.out) == 0 {
		return nil, nil
	}
	return append([]byte(nil), inv.out...), nil
}

func (in *instance) stderrSuffix() string {
	if t := in.stderr.takeTail(); t != "" {
		return "; stderr: " + t
	}
	return ""
}

// classify turns a failed wasm call into an *Error and taints the
// instance: after a trap or an exit, its state cannot be trusted.
func (in *instance) classify(tctx context.Context, err error) *Error {
	name := in.fn.name
	in.taint("failed call")
	if in.fn.closed.Load() && tctx.Err() == nil {
		return newError(Closed, name, err, "the function was closed while the invocation ran")
	}
	if in.mem.refused > 0 {
		return newError(MemoryLimit, name, nil, "guest tried to grow its memory to %d MiB; the limit is %d MiB",
			(in.mem.refused+(1<<20)-1)>>20, in.fn.limits.MaxMemory>>20)
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return newError(Timeout, name, nil, "stopped at the deadline (limit %v)", in.fn.limits.Timeout)
		case sys.ExitCodeContextCanceled:
			return newError(Canceled, name, nil, "stopped: the invocation was canceled")
		}
		return newError(Trap, name, nil, "guest exited with status %d%s", exit.ExitCode(), in.stderrSuffix())
	}
	if tctx.Err() != nil {
		return ctxError(tctx, name, "")
	}
	return newError(Trap, name, err, "wasm trap%s", in.stderrSuffix())
}

func ctxError(ctx context.Context, fn, where string) *Error {
	if where != "" {
		where = " " + where
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return newError(Timeout, fn, ctx.Err(), "deadline exceeded%s", where)
	}
	return newError(Canceled, fn, ctx.Err(), "canceled%s", where)
}
