package server

import (
	"context"
	"time"
)

// lifecycleLoop applies the buckets' lifecycle rules every interval until
// ctx is done.
func (s *Server) lifecycleLoop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.applyLifecycle(ctx)
		}
	}
}

// applyLifecycle runs one lifecycle pass.
func (s *Server) applyLifecycle(ctx context.Context) {
	start := time.Now()
	if err := s.runLifecycle(ctx, s.cfg.Now()); err != nil {
		if ctx.Err() == nil {
			s.log.Error("lifecycle pass failed", "err", err)
		}
		return
	}
	s.log.Debug("lifecycle pass done", "took", time.Since(start))
}
