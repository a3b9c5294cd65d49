package server

import "github.com/ossflow/ossflow/httpapi"

// SetImageJobHook makes every asynchronous image job call f before it
// runs (nil removes it).
func SetImageJobHook(s *Server, f func(httpapi.AsyncJob)) {
	if f == nil {
		s.images.hook.Store(nil)
		return
	}
	s.images.hook.Store(&f)
}
