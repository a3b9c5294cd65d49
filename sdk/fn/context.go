package fn

import (
	"context"
	"fmt"

	"unsafe"

	"github.com/ossflow/ossflow/runtime/abi"
)

// Context is what a handler gets besides its input: a context.Context
// (the host enforces the invocation's deadline itself, stopping the guest
// when it passes) with shortcuts to logging and configuration.
type Context struct {
	context.Context
}

// Level is a log level.
type Level = abi.Level

// The log levels.
const (
	LevelDebug = abi.LevelDebug
	LevelInfo  = abi.LevelInfo
	LevelWarn  = abi.LevelWarn
	LevelError = abi.LevelError
)

// Log sends msg to the function's log at level. Logging is best effort:
// past the invocation's log quota, lines are dropped.
func Log(level Level, msg string) {
	_ = hostLog(int32(level), strPtr(msg), uint32(len(msg)))
}

// Debugf logs at debug level.
func (Context) Debugf(format string, args ...any) { Log(LevelDebug, fmt.Sprintf(format, args...)) }

// Infof logs at info level.
func (Context) Infof(format string, args ...any) { Log(LevelInfo, fmt.Sprintf(format, args...)) }

// Warnf logs at warn level.
func (Context) Warnf(format string, args ...any) { Log(LevelWarn, fmt.Sprintf(format, args...)) }

// Errorf logs at error level.
func (Context) Errorf(format string, args ...any) { Log(LevelError, fmt.Sprintf(format, args...)) }

// Config returns the function's configuration value for key.
func (Context) Config(key string) (string, bool) {
	v, err := ConfigValue(key)
	return v, err == nil
}

// ConfigValue returns the function's configuration value for key; a
// missing key is an error matching ErrNotFound.
func ConfigValue(key string) (string, error) {
	b, err := withResult(func(buf unsafe.Pointer, n uint32) int32 {
		return hostConfigGet(strPtr(key), uint32(len(key)), buf, n)
	})
	if err != nil {
		return "", err
	}
	return string(b), nil
}
