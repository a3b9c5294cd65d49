package server

import (
	"context"
	"time"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
)

// lifecycler applies lifecycle rules; *store.Store is one.
type lifecycler interface {
	ApplyLifecycle(ctx context.Context, now time.Time) (store.LifecycleReport, error)
}

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

// applyLifecycle runs one lifecycle pass and logs what it did.
func (s *Server) applyLifecycle(ctx context.Context) {
	start := time.Now()
	rep, err := s.lifecycle.ApplyLifecycle(ctx, s.cfg.Now())
	switch {
	case err != nil && ctx.Err() != nil:
		return
	case oss.IsCode(err, oss.NotImplemented):
		s.log.Debug("lifecycle pass skipped", "reason", err)
		return
	case err != nil:
		s.log.Error("lifecycle pass failed", "err", err)
		return
	}
	if rep == (store.LifecycleReport{}) {
		s.log.Debug("lifecycle pass done", "took", time.Since(start))
		return
	}
	s.log.Info("lifecycle pass done", "took", time.Since(start),
		"expired", rep.Expired, "delete_markers_removed", rep.DeleteMarkersRemoved,
		"noncurrent_expired", rep.NoncurrentExpired, "uploads_aborted", rep.UploadsAborted,
		"transitioned", rep.Transitioned)
}
