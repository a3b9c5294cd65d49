package runtime

import (
	"context"
	"fmt"
	goruntime "runtime"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/ossflow/ossflow/runtime/abi"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// hostImpl implements one host call: it reads its parameters from stack
// and returns the i32 result (a count, length or handle, or a negative
// abi.Code after recording the message with inv.fail).
type hostImpl func(in *instance, mem api.Memory, stack []uint64) int32

type hostCall struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
	impl    hostImpl
}

type hostSig struct{ params, results []api.ValueType }

// hostCalls is the ABI v1 table: the single source of the host calls'
// names, signatures and implementations (ABI.md documents each).
func hostCalls() []hostCall {
	r := []api.ValueType{i32}
	return []hostCall{
		{abi.CallLog, []api.ValueType{i32, i32, i32}, r, hcLog},
		{abi.CallInputRead, []api.ValueType{i32, i32}, r, hcInputRead},
		{abi.CallOutputWrite, []api.ValueType{i32, i32}, r, hcOutputWrite},
		{abi.CallFail, []api.ValueType{i32, i32}, r, hcFail},
		{abi.CallLastError, []api.ValueType{i32, i32}, r, hcLastError},
		{abi.CallResultRead, []api.ValueType{i32, i32}, r, hcResultRead},
		{abi.CallConfigGet, []api.ValueType{i32, i32, i32, i32}, r, hcConfigGet},
		{abi.CallObjOpenRead, []api.ValueType{i32, i32, i32, i32}, r, hcObjOpenRead},
		{abi.CallObjInfo, []api.ValueType{i32, i32, i32}, r, hcObjInfo},
		{abi.CallObjRead, []api.ValueType{i32, i32, i32}, r, hcObjRead},
		{abi.CallObjClose, []api.ValueType{i32}, r, hcObjClose},
		{abi.CallObjOpenWrite, []api.ValueType{i32, i32, i32, i32, i32, i32, i64}, r, hcObjOpenWrite},
		{abi.CallObjWrite, []api.ValueType{i32, i32, i32}, r, hcObjWrite},
		{abi.CallObjCommit, []api.ValueType{i32, i32, i32}, r, hcObjCommit},
		{abi.CallObjAbort, []api.ValueType{i32}, r, hcObjAbort},
		{abi.CallObjHead, []api.ValueType{i32, i32, i32, i32, i32, i32}, r, hcObjHead},
		{abi.CallObjList, []api.ValueType{i32, i32, i32, i32}, r, hcObjList},
		{abi.CallObjDelete, []api.ValueType{i32, i32, i32, i32}, r, hcObjDelete},
		{abi.CallImageProcess, []api.ValueType{i32, i32, i32, i32}, r, hcImageProcess},
		{abi.CallHTTPOpen, []api.ValueType{i32, i32, i64}, r, hcHTTPOpen},
		{abi.CallHTTPWrite, []api.ValueType{i32, i32, i32}, r, hcHTTPWrite},
		{abi.CallHTTPSend, []api.ValueType{i32, i32, i32}, r, hcHTTPSend},
		{abi.CallHTTPRead, []api.ValueType{i32, i32, i32}, r, hcHTTPRead},
		{abi.CallHTTPClose, []api.ValueType{i32}, r, hcHTTPClose},
	}
}

func hostSignature(name string) (hostSig, bool) {
	for _, hc := range hostCalls() {
		if hc.name == name {
			return hostSig{hc.params, hc.results}, true
		}
	}
	return hostSig{}, false
}

func instantiateHostModule(ctx context.Context, wr wazero.Runtime) error {
	b := wr.NewHostModuleBuilder(abi.HostModule)
	for _, hc := range hostCalls() {
		b.NewFunctionBuilder().
			WithGoModuleFunction(wrapHostCall(hc.name, hc.impl), hc.params, hc.results).
			Export(hc.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

// wrapHostCall adapts an implementation to wazero: it finds the instance
// in the call's context and turns a panic into an Internal result (the
// host stays up; the instance is discarded after the call).
func wrapHostCall(name string, impl hostImpl) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		in, _ := ctx.Value(instanceKey{}).(*instance)
		if in == nil {
			stack[0] = api.EncodeI32(int32(abi.Unavailable))
			return
		}
		defer func() {
			if r := recover(); r != nil {
				buf := make([]byte, 4<<10)
				buf = buf[:goruntime.Stack(buf, false)]
				in.taint("host call panicked")
				in.fn.rt.log("error", fmt.Sprintf("function %s: host call %s panicked: %v\n%s", in.fn.name, name, r, buf))
				stack[0] = api.EncodeI32(in.inv.fail(abi.Internal, "%s: internal error in the host", name))
			}
		}()
		stack[0] = api.EncodeI32(impl(in, mod.Memory(), stack))
	}
}

func u32(v uint64) uint32 { return uint32(v) }

// view returns guest memory [ptr, ptr+n) (aliased, not copied). A pointer
// outside memory is a guest bug the host detects: the call fails with
// Invalid and the instance is not reused.
func (in *instance) view(mem api.Memory, ptr, n uint32) ([]byte, bool) {
	b, ok := mem.Read(ptr, n)
	if !ok {
		in.taint("out-of-bounds pointer")
		in.inv.fail(abi.Invalid, "memory range [%d, %d+%d) is outside the guest's %d bytes of memory", ptr, ptr, n, mem.Size())
	}
	return b, ok
}

func (in *instance) str(mem api.Memory, ptr, n uint32) (string, bool) {
	b, ok := in.view(mem, ptr, n)
	return string(b), ok
}

// putResult stores data as the result register and copies as much of it
// as fits into the guest's buffer; it returns the full length, so a guest
// whose buffer was too small calls result_read with a larger one.
func (in *instance) putResult(mem api.Memory, data []byte, ptr, n uint32) int32 {
	in.inv.result = data
	return in.copyOut(mem, data, ptr, n)
}

func (in *instance) copyOut(mem api.Memory, data []byte, ptr, n uint32) int32 {
	k := min(uint32(len(data)), n)
	if k > 0 && !mem.Write(ptr, data[:k]) {
		in.taint("out-of-bounds pointer")
		return in.inv.fail(abi.Invalid, "memory range [%d, %d+%d) is outside the guest's %d bytes of memory", ptr, ptr, k, mem.Size())
	}
	return int32(len(data))
}

// log(level, msg_ptr, msg_len) -> 0
func hcLog(in *instance, mem api.Memory, s []uint64) int32 {
	level := abi.Level(api.DecodeI32(s[0]))
	if level < abi.LevelDebug || level > abi.LevelError {
		return in.inv.fail(abi.Invalid, "log: unknown level %d (0 debug, 1 info, 2 warn, 3 error)", level)
	}
	b, ok := in.view(mem, u32(s[1]), u32(s[2]))
	if !ok {
		return int32(abi.Invalid)
	}
	// Check the quota before copying: a guest may pass its whole memory.
	if !in.logRoom(len(b)) {
		return in.inv.fail(abi.Limit, "log: quota of %d bytes for this invocation reached", in.fn.limits.MaxLogBytes)
	}
	if !in.inv.running {
		in.fn.rt.log(level.String(), "function "+in.fn.name+": "+string(b))
	} else if in.inv.env.Log != nil {
		in.inv.env.Log(level.String(), string(b))
	}
	return 0
}

// input_read(buf_ptr, buf_len) -> bytes copied; 0 at the end
func hcInputRead(in *instance, mem api.Memory, s []uint64) int32 {
	inv := &in.inv
	rest := inv.input[inv.inOff:]
	n := in.copyOut(mem, rest, u32(s[0]), u32(s[1]))
	if n < 0 {
		return n
	}
	k := min(int(n), int(u32(s[1])))
	inv.inOff += k
	return int32(k)
}

// output_write(ptr, len) -> len
func hcOutputWrite(in *instance, mem api.Memory, s []uint64) int32 {
	inv := &in.inv
	b, ok := in.view(mem, u32(s[0]), u32(s[1]))
	if !ok {
		return int32(abi.Invalid)
	}
	if len(inv.out)+len(b) > in.fn.limits.MaxOutput {
		inv.outTooLarge = true
		return inv.fail(abi.TooLarge, "output_write: output would exceed the limit of %d bytes", in.fn.limits.MaxOutput)
	}
	inv.out = append(inv.out, b...)
	return int32(len(b))
}

// fail(msg_ptr, msg_len) -> 0: the message of the guest's failure.
func hcFail(in *instance, mem api.Memory, s []uint64) int32 {
	msg, ok := in.str(mem, u32(s[0]), min(u32(s[1]), 16<<10))
	if !ok {
		return int32(abi.Invalid)
	}
	in.inv.failed, in.inv.failMsg = true, msg
	return 0
}

// last_error(buf_ptr, buf_len) -> full length of the last error message
func hcLastError(in *instance, mem api.Memory, s []uint64) int32 {
	return in.copyOut(mem, []byte(in.inv.errMsg), u32(s[0]), u32(s[1]))
}

// result_read(buf_ptr, buf_len) -> full length of the last result
func hcResultRead(in *instance, mem api.Memory, s []uint64) int32 {
	return in.copyOut(mem, in.inv.result, u32(s[0]), u32(s[1]))
}

// config_get(key_ptr, key_len, buf_ptr, buf_len) -> full value length
func hcConfigGet(in *instance, mem api.Memory, s []uint64) int32 {
	key, ok := in.str(mem, u32(s[0]), u32(s[1]))
	if !ok {
		return int32(abi.Invalid)
	}
	if !in.inv.running {
		return in.inv.fail(abi.Unavailable, "config_get: no configuration outside an invocation")
	}
	v, found := in.inv.env.Config[key]
	if !found {
		return in.inv.fail(abi.NotFound, "config_get: no configuration value %q", key)
	}
	return in.putResult(mem, []byte(v), u32(s[2]), u32(s[3]))
}
