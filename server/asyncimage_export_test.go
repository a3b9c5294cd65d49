package server

import (
	"context"
	"time"

	"github.com/ossflow/ossflow/httpapi"
)

// SetImageJobHook makes every asynchronous image job call f before it
// runs (nil removes it).
func SetImageJobHook(s *Server, f func(httpapi.AsyncJob)) {
	if f == nil {
		s.images.hook.Store(nil)
		return
	}
	s.images.hook.Store(&f)
}

// SetImageJobRunner makes the worker run jobs with f instead of the
// Handler (nil restores it).
func SetImageJobRunner(s *Server, f func(context.Context, httpapi.AsyncJob) (httpapi.AsyncResult, error)) {
	if f == nil {
		s.images.run.Store(nil)
		return
	}
	s.images.run.Store(&f)
}

// SetImageRetryUnit sets the first retry delay and returns a function
// that restores it.
func SetImageRetryUnit(d time.Duration) func() {
	old := retryUnit
	retryUnit = d
	return func() { retryUnit = old }
}
