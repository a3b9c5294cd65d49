package fn

import (
	"errors"
	"io"
	"unsafe"

	"github.com/ossflow/ossflow/runtime/abi"
)

// Code is a host call's result code (runtime/ABI.md); negative is an error.
type Code = abi.Code

// The error codes a host call can report. Test for them with errors.Is:
//
//	if errors.Is(err, fn.ErrNotFound) { ... }
const (
	ErrInternal    = abi.Internal
	ErrDenied      = abi.Denied
	ErrNotFound    = abi.NotFound
	ErrInvalid     = abi.Invalid
	ErrBadHandle   = abi.BadHandle
	ErrTooLarge    = abi.TooLarge
	ErrLimit       = abi.Limit
	ErrIO          = abi.IO
	ErrUnavailable = abi.Unavailable
	ErrTimeout     = abi.Timeout
)

// Error is a failed host call: its code and the host's message, e.g.
// "object_delete: access denied: function f may not write b/k".
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code.String()
	}
	return e.Message
}

// Is makes errors.Is(err, fn.ErrDenied) match by code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// hostError fetches the message of the failed call that returned code.
func hostError(code int32) error {
	var small [256]byte
	n := hostLastError(unsafe.Pointer(&small[0]), uint32(len(small)))
	var msg string
	switch {
	case n <= 0:
	case int(n) <= len(small):
		msg = string(small[:n])
	default:
		big := make([]byte, n)
		n = hostLastError(unsafe.Pointer(&big[0]), uint32(len(big)))
		msg = string(big[:min(int(n), len(big))])
	}
	return &Error{Code: Code(code), Message: msg}
}

func bytesPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

func strPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// withResult runs a host call that returns a variable-length result: the
// call fills buf and returns the full length; a longer result is then
// fetched whole with result_read.
func withResult(call func(buf unsafe.Pointer, n uint32) int32) ([]byte, error) {
	buf := make([]byte, 2048)
	n := call(bytesPtr(buf), uint32(len(buf)))
	if n < 0 {
		return nil, hostError(n)
	}
	if int(n) <= len(buf) {
		return buf[:n], nil
	}
	buf = make([]byte, n)
	m := hostResultRead(bytesPtr(buf), uint32(len(buf)))
	if m < 0 {
		return nil, hostError(m)
	}
	return buf[:min(int(m), len(buf))], nil
}

// readHandle reads from host handle h with the host call read, as
// io.Reader does: at most maxChunk bytes per call, 0 for EOF, a negative
// code for an error. what names the handle's kind in the closed-handle error.
func readHandle(read func(int32, unsafe.Pointer, uint32) int32, h int32, closed bool, what string, p []byte) (int, error) {
	if closed {
		return 0, errors.New("fn: read of a closed " + what)
	}
	if len(p) == 0 {
		return 0, nil
	}
	p = p[:min(len(p), maxChunk)]
	n := read(h, bytesPtr(p), uint32(len(p)))
	switch {
	case n < 0:
		return 0, hostError(n)
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}
