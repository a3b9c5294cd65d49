package server

import (
	"context"
	"time"
)

// runLifecycle is one pass of the engine's lifecycle rules.
// TODO(server): call s.store.ApplyLifecycle once the engine has it.
func (s *Server) runLifecycle(ctx context.Context, now time.Time) error {
	_, _ = ctx, now
	return nil
}
