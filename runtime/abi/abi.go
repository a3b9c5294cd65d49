package abi

// Version is the ABI version described by this package.
const Version = 1

// HostModule is the import module name of every host call.
const HostModule = "ossflow"

// Guest exports.
const (
	// ExportHandle is the guest's entry point: (input_len i32) -> status i32.
	ExportHandle = "ossflow_handle"
	// ExportMemory is the guest's linear memory.
	ExportMemory = "memory"
	// ExportInitialize is the WASI reactor initializer, called once after
	// instantiation when exported.
	ExportInitialize = "_initialize"
	// ExportStart marks a WASI command module, which ossflow refuses: a
	// command exits after main, so it cannot serve invocations.
	ExportStart = "_start"
)

// Code is the i32 result of a host call, and the status a guest's
// ossflow_handle returns. Non-negative values are successes (a count, a
// length or a handle); negative values are errors, whose message the guest
// reads with the last_error host call.
type Code int32

// The result codes. They are part of the ABI: never renumber.
const (
	OK          Code = 0
	Internal    Code = -1  // host-side failure; also a guest's generic failure status
	Denied      Code = -2  // the function's grants do not allow the operation
	NotFound    Code = -3  // no such object, bucket or config key
	Invalid     Code = -4  // malformed argument: bad pointer, bad JSON, bad name
	BadHandle   Code = -5  // unknown handle, or a handle of the wrong kind or state
	TooLarge    Code = -6  // a size limit was exceeded (output, HTTP body, declared size)
	Limit       Code = -7  // a count limit was reached (open handles, log quota)
	IO          Code = -8  // the store or the network failed; the message says how
	Unavailable Code = -9  // the host did not provide this capability to the invocation
	Timeout     Code = -10 // the invocation's deadline passed or it was canceled
)

// String is the code's name, e.g. "Denied".
func (c Code) String() string {
	switch c {
	case OK:
		return "OK"
	case Internal:
		return "Internal"
	case Denied:
		return "Denied"
	case NotFound:
		return "NotFound"
	case Invalid:
		return "Invalid"
	case BadHandle:
		return "BadHandle"
	case TooLarge:
		return "TooLarge"
	case Limit:
		return "Limit"
	case IO:
		return "IO"
	case Unavailable:
		return "Unavailable"
	case Timeout:
		return "Timeout"
	}
	if c > 0 {
		return "OK"
	}
	return "Code(" + itoa(int64(c)) + ")"
}

// Error makes a Code usable as an error sentinel: errors.Is(err, abi.Denied).
func (c Code) Error() string { return c.String() }

func itoa(v int64) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Level is a log level of the log host call.
type Level int32

// The log levels.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// String is the level's name as given to the embedder's log sink.
func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	}
	return "info"
}

// Host call names (import module HostModule). Signatures are in ABI.md.
const (
	CallLog          = "log"
	CallInputRead    = "input_read"
	CallOutputWrite  = "output_write"
	CallFail         = "fail"
	CallLastError    = "last_error"
	CallResultRead   = "result_read"
	CallConfigGet    = "config_get"
	CallObjOpenRead  = "object_open_read"
	CallObjInfo      = "object_info"
	CallObjRead      = "object_read"
	CallObjClose     = "object_close"
	CallObjOpenWrite = "object_open_write"
	CallObjWrite     = "object_write"
	CallObjCommit    = "object_commit"
	CallObjAbort     = "object_abort"
	CallObjHead      = "object_head"
	CallObjList      = "object_list"
	CallObjDelete    = "object_delete"
	CallImageProcess = "image_process"
	CallHTTPOpen     = "http_open"
	CallHTTPWrite    = "http_write"
	CallHTTPSend     = "http_send"
	CallHTTPRead     = "http_read"
	CallHTTPClose    = "http_close"
)
