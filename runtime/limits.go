package runtime

import (
	"fmt"
	"time"
)

// Limits bound what one function may consume. Zero fields take the
// defaults of DefaultLimits; negative fields are invalid.
type Limits struct {
	// MaxMemory caps the guest's linear memory, in bytes (rounded up to
	// 64 KiB wasm pages; at most 4 GiB). A guest that tries to grow past it
	// gets a failed memory.grow; if it then dies, the invocation fails with
	// Kind MemoryLimit.
	MaxMemory int64
	// Timeout is the wall-clock limit of one invocation, including the
	// host calls it makes. A guest still running at the deadline (even in
	// a tight loop) is stopped and its instance discarded.
	Timeout time.Duration
	// MaxConcurrency is the number of instances that may run at once;
	// further invocations wait (honoring their context) for a free one.
	MaxConcurrency int
	// MaxInput and MaxOutput bound the invocation's input and output bytes.
	MaxInput  int
	MaxOutput int
	// MaxHandles bounds the object and HTTP handles open at once in one
	// invocation.
	MaxHandles int
	// MaxLogBytes bounds the log bytes (log calls plus stdout/stderr) one
	// invocation may emit; the rest is dropped with one notice.
	MaxLogBytes int
}

// DefaultLimits are the limits applied to zero fields.
func DefaultLimits() Limits {
	return Limits{
		MaxMemory:      64 << 20,
		Timeout:        10 * time.Second,
		MaxConcurrency: 4,
		MaxInput:       6 << 20,
		MaxOutput:      6 << 20,
		MaxHandles:     16,
		MaxLogBytes:    64 << 10,
	}
}

const (
	wasmPageSize = 64 << 10
	maxWasmPages = 65536
)

func (l Limits) withDefaults() (Limits, error) {
	d := DefaultLimits()
	if l.MaxMemory < 0 || l.Timeout < 0 || l.MaxConcurrency < 0 || l.MaxInput < 0 ||
		l.MaxOutput < 0 || l.MaxHandles < 0 || l.MaxLogBytes < 0 {
		return l, fmt.Errorf("negative limit in %+v", l)
	}
	if l.MaxMemory == 0 {
		l.MaxMemory = d.MaxMemory
	}
	if l.MaxMemory > maxWasmPages*wasmPageSize {
		return l, fmt.Errorf("MaxMemory %d exceeds the 4 GiB of wasm32", l.MaxMemory)
	}
	l.MaxMemory = (l.MaxMemory + wasmPageSize - 1) / wasmPageSize * wasmPageSize
	if l.Timeout == 0 {
		l.Timeout = d.Timeout
	}
	if l.MaxConcurrency == 0 {
		l.MaxConcurrency = d.MaxConcurrency
	}
	if l.MaxInput == 0 {
		l.MaxInput = d.MaxInput
	}
	if l.MaxOutput == 0 {
		l.MaxOutput = d.MaxOutput
	}
	if l.MaxHandles == 0 {
		l.MaxHandles = d.MaxHandles
	}
	if l.MaxLogBytes == 0 {
		l.MaxLogBytes = d.MaxLogBytes
	}
	return l, nil
}
