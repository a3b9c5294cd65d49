package store

import (
	"context"
	"time"

	"github.com/ossflow/ossflow/oss"
)

// Operations of later slices; they answer NotImplemented until they land.

func notYet(op string) error {
	return oss.E(op, oss.NotImplemented, "%s is not implemented yet.", op)
}

func (s *Store) PutBucketLifecycle(ctx context.Context, name string, cfg oss.LifecycleConfiguration) error {
	return notYet("PutBucketLifecycle")
}
func (s *Store) GetBucketLifecycle(ctx context.Context, name string) (oss.LifecycleConfiguration, error) {
	return oss.LifecycleConfiguration{}, notYet("GetBucketLifecycle")
}
func (s *Store) DeleteBucketLifecycle(ctx context.Context, name string) error {
	return notYet("DeleteBucketLifecycle")
}

// LifecycleReport counts what one ApplyLifecycle pass did.
type LifecycleReport struct {
	Expired              int // current versions expired (deleted or delete-marked)
	DeleteMarkersRemoved int // expired delete markers removed
	NoncurrentExpired    int // noncurrent versions removed
	UploadsAborted       int // stale multipart uploads aborted
	Transitioned         int // storage class changes
}

func (s *Store) ApplyLifecycle(ctx context.Context, now time.Time) (LifecycleReport, error) {
	return LifecycleReport{}, notYet("ApplyLifecycle")
}
