package runtime

import (
	"errors"
	"fmt"
)

// Kind classifies a runtime failure. The zero value is Internal, so an
// unclassified error is never mistaken for a guest's fault.
type Kind uint8

// The kinds of failure.
const (
	// Internal is a failure of the host itself (a bug or an I/O error
	// outside the guest's control).
	Internal Kind = iota
	// Timeout: the invocation's wall-clock limit (or the caller's deadline)
	// passed; the instance was stopped and discarded.
	Timeout
	// Canceled: the caller's context was canceled, while queued or running.
	Canceled
	// MemoryLimit: the guest tried to grow its memory past Limits.MaxMemory.
	MemoryLimit
	// Trap: the guest trapped (unreachable, out-of-bounds access, stack
	// overflow...) or exited (a Go panic exits with status 2).
	Trap
	// Denied: the guest failed because a capability was not granted (it
	// returned the Denied status after a denied host call).
	Denied
	// InputTooLarge: the input exceeds Limits.MaxInput; the guest did not run.
	InputTooLarge
	// OutputTooLarge: the guest wrote more than Limits.MaxOutput.
	OutputTooLarge
	// BadModule: the module does not compile, does not follow the ABI, or
	// failed to initialize.
	BadModule
	// GuestError: the guest's handler returned an error; Message is the
	// guest's own message.
	GuestError
	// Closed: the Function or Runtime was closed.
	Closed
	// Invalid: bad configuration, limits or grants given to New or Load.
	Invalid
)

func (k Kind) String() string {
	switch k {
	case Internal:
		return "internal"
	case Timeout:
		return "timeout"
	case Canceled:
		return "canceled"
	case MemoryLimit:
		return "memory limit"
	case Trap:
		return "trap"
	case Denied:
		return "denied"
	case InputTooLarge:
		return "input too large"
	case OutputTooLarge:
		return "output too large"
	case BadModule:
		return "bad module"
	case GuestError:
		return "guest error"
	case Closed:
		return "closed"
	case Invalid:
		return "invalid"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Error is the error type of every failure the runtime reports. Function is
// the function's name ("" for Runtime-level errors), Message the
// human-readable explanation (for GuestError, the guest's own message),
// and Err the underlying cause, if any.
type Error struct {
	Kind     Kind
	Function string
	Message  string
	// Status is the non-zero status the guest's handler returned
	// (GuestError and Denied only).
	Status int32
	Err    error
}

func (e *Error) Error() string {
	s := "function"
	if e.Function != "" {
		s += " " + e.Function
	}
	s += ": " + e.Kind.String()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, runtime.Timeout) (a bare Kind) and
// errors.Is(err, &runtime.Error{Kind: runtime.Timeout}) match by kind.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Kind:
		return t == e.Kind
	case *Error:
		return t.Kind == e.Kind && t.Message == "" && t.Function == ""
	}
	return false
}

// Error makes a Kind usable as a sentinel: errors.Is(err, runtime.Trap).
func (k Kind) Error() string { return k.String() }

// KindOf returns the Kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

func newError(kind Kind, fn string, err error, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Kind: kind, Function: fn, Message: msg, Err: err}
}
