// Package storetest is the conformance suite of ossflow's object engine
// contract (its Engine interface). Every engine — the local store, later
// backends, and the HTTP client adapter that drives a server — runs it:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Engine { ... a fresh, empty engine ... })
//	}
//
// Each subtest gets a fresh engine and closes it when done. The suite only
// uses the contract's methods, never an engine's internals; it does not
// control the engine's clock, so time-dependent behaviour (lifecycle) is
// driven through ApplyLifecycle's now argument. Most groups also check the
// events a mutation records, through the outbox methods: an adapter that
// drives a server over HTTP can delegate those (and ApplyLifecycle) to the
// engine behind its server.
package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
)

// Engine is the contract's method set.
type Engine interface {
	Close() error

	CreateBucket(ctx context.Context, b oss.Bucket) (oss.Bucket, error)
	DeleteBucket(ctx context.Context, name string) error
	GetBucket(ctx context.Context, name string) (oss.Bucket, error)
	ListBuckets(ctx context.Context, in oss.ListBucketsInput) (oss.ListBucketsOutput, error)
	PutBucketACL(ctx context.Context, name string, acl oss.ACL) error
	PutBucketVersioning(ctx context.Context, name string, status oss.VersioningStatus) error
	BucketStat(ctx context.Context, name string) (oss.BucketStat, error)
	PutBucketLifecycle(ctx context.Context, name string, cfg oss.LifecycleConfiguration) error
	GetBucketLifecycle(ctx context.Context, name string) (oss.LifecycleConfiguration, error)
	DeleteBucketLifecycle(ctx context.Context, name string) error
	PutBucketConfig(ctx context.Context, bucket, name string, data []byte) error
	GetBucketConfig(ctx context.Context, bucket, name string) (data []byte, ok bool, err error)
	DeleteBucketConfig(ctx context.Context, bucket, name string) error

	PutObject(ctx context.Context, in oss.PutObjectInput, body io.Reader) (oss.ObjectInfo, error)
	GetObject(ctx context.Context, in oss.GetObjectInput) (*oss.GetObjectOutput, error)
	HeadObject(ctx context.Context, in oss.GetObjectInput) (oss.ObjectInfo, error)
	DeleteObject(ctx context.Context, in oss.DeleteObjectInput) (oss.DeletedObject, error)
	DeleteObjects(ctx context.Context, bucket string, objs []oss.ObjectIdentifier) ([]oss.DeletedObject, error)
	CopyObject(ctx context.Context, in oss.CopyObjectInput) (oss.CopyObjectOutput, error)
	AppendObject(ctx context.Context, in oss.AppendObjectInput, body io.Reader) (oss.ObjectInfo, error)
	PutSymlink(ctx context.Context, in oss.PutSymlinkInput) (oss.ObjectInfo, error)
	GetSymlink(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error)
	PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags []oss.Tag) (oss.ObjectInfo, error)
	GetObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error)
	DeleteObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error)
	PutObjectACL(ctx context.Context, bucket, key, versionID string, acl oss.ACL) (oss.ObjectInfo, error)

	InitiateMultipartUpload(ctx context.Context, in oss.PutObjectInput) (oss.MultipartUpload, error)
	UploadPart(ctx context.Context, in oss.UploadPartInput, body io.Reader) (oss.Part, error)
	UploadPartCopy(ctx context.Context, in oss.UploadPartCopyInput) (oss.Part, error)
	CompleteMultipartUpload(ctx context.Context, in oss.CompleteMultipartInput) (oss.ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListParts(ctx context.Context, in oss.ListPartsInput) (oss.ListPartsOutput, error)
	ListMultipartUploads(ctx context.Context, in oss.ListUploadsInput) (oss.ListUploadsOutput, error)

	ListObjects(ctx context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error)
	ListObjectVersions(ctx context.Context, in oss.ListVersionsInput) (oss.ListVersionsOutput, error)

	OutboxRead(ctx context.Context, afterSeq uint64, max int) ([]oss.Event, error)
	OutboxAck(ctx context.Context, uptoSeq uint64) error
	OutboxNotify() <-chan struct{}
	OutboxStats() store.OutboxStats

	ApplyLifecycle(ctx context.Context, now time.Time) (store.LifecycleReport, error)
}

var _ Engine = (*store.Store)(nil)

// Run runs the conformance suite; newEngine returns a fresh, empty engine.
func Run(t *testing.T, newEngine func(t *testing.T) Engine) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEngine(t)
			t.Cleanup(func() { e.Close() })
			tc.fn(&T{T: t, E: e, ctx: context.Background()})
		})
	}
}

type testCase struct {
	name string
	fn   func(t *T)
}

// cases is filled by the files of this package, one group per concept.
var cases []testCase

func register(group string, tcs ...testCase) {
	for _, tc := range tcs {
		cases = append(cases, testCase{group + "/" + tc.name, tc.fn})
	}
}

// T bundles a subtest, its engine and helpers.
type T struct {
	*testing.T
	E   Engine
	ctx context.Context
}

// Bucket creates a bucket or fails.
func (t *T) Bucket(name string) oss.Bucket {
	t.Helper()
	b, err := t.E.CreateBucket(t.ctx, oss.Bucket{Name: name})
	if err != nil {
		t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return b
}

// Put writes data or fails.
func (t *T) Put(bucket, key string, data []byte) oss.ObjectInfo {
	t.Helper()
	info, err := t.E.PutObject(t.ctx, oss.PutObjectInput{Bucket: bucket, Key: key, Size: int64(len(data))}, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return info
}

// Get reads a whole object (version) or fails.
func (t *T) Get(bucket, key, vid string) ([]byte, oss.ObjectInfo) {
	t.Helper()
	b, info, err := t.TryGet(oss.GetObjectInput{Bucket: bucket, Key: key, VersionID: vid})
	if err != nil {
		t.Fatalf("GetObject %s/%s@%s: %v", bucket, key, vid, err)
	}
	return b, info
}

// TryGet reads an object.
func (t *T) TryGet(in oss.GetObjectInput) ([]byte, oss.ObjectInfo, error) {
	out, err := t.E.GetObject(t.ctx, in)
	if err != nil {
		return nil, oss.ObjectInfo{}, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return b, out.Info, err
}

// Code fails unless err carries code (InternalError meaning "no error").
func (t *T) Code(err error, code oss.Code) {
	t.Helper()
	if code == oss.InternalError {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if got := oss.CodeOf(err); err == nil || got != code {
		t.Fatalf("got %v (%v), want %v", got, err, code)
	}
}

// Events returns every unacknowledged event.
func (t *T) Events() []oss.Event {
	t.Helper()
	evs, err := t.E.OutboxRead(t.ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// EventNames returns the names of the unacknowledged events about key.
func (t *T) EventNames(key string) []oss.EventName {
	var names []oss.EventName
	for _, ev := range t.Events() {
		if ev.Key == key {
			names = append(names, ev.Name)
		}
	}
	return names
}

// Rand returns deterministic random bytes.
func Rand(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// ETag is the ETag of a single-part upload of b.
func ETag(b []byte) string { s := md5.Sum(b); return checksum.ETag(s[:]) }

// MD5 is the binary MD5 of b.
func MD5(b []byte) []byte { s := md5.Sum(b); return s[:] }
