package store

import (
	"context"
	"io"
	"time"

	"github.com/ossflow/ossflow/oss"
)

// Operations of later slices; they answer NotImplemented until they land.

func notYet(op string) error {
	return oss.E(op, oss.NotImplemented, "%s is not implemented yet.", op)
}

func (s *Store) InitiateMultipartUpload(ctx context.Context, in oss.PutObjectInput) (oss.MultipartUpload, error) {
	return oss.MultipartUpload{}, notYet("InitiateMultipartUpload")
}
func (s *Store) UploadPart(ctx context.Context, in oss.UploadPartInput, body io.Reader) (oss.Part, error) {
	return oss.Part{}, notYet("UploadPart")
}
func (s *Store) UploadPartCopy(ctx context.Context, in oss.UploadPartCopyInput) (oss.Part, error) {
	return oss.Part{}, notYet("UploadPartCopy")
}
func (s *Store) CompleteMultipartUpload(ctx context.Context, in oss.CompleteMultipartInput) (oss.ObjectInfo, error) {
	return oss.ObjectInfo{}, notYet("CompleteMultipartUpload")
}
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	return notYet("AbortMultipartUpload")
}
func (s *Store) ListParts(ctx context.Context, in oss.ListPartsInput) (oss.ListPartsOutput, error) {
	return oss.ListPartsOutput{}, notYet("ListParts")
}
func (s *Store) ListMultipartUploads(ctx context.Context, in oss.ListUploadsInput) (oss.ListUploadsOutput, error) {
	return oss.ListUploadsOutput{}, notYet("ListMultipartUploads")
}
func (s *Store) ListObjectVersions(ctx context.Context, in oss.ListVersionsInput) (oss.ListVersionsOutput, error) {
	return oss.ListVersionsOutput{}, notYet("ListObjectVersions")
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
