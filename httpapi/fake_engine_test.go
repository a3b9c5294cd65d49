package httpapi

import (
	"bytes"
	"context"
	"crypto/md5"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// fakeEngine is a minimal in-memory Engine for the unit tests: buckets,
// whole objects (ranges, conditions), listing, tagging and deletes. The
// methods it does not implement panic through the nil embedded Engine.
type fakeEngine struct {
	Engine
	mu      sync.Mutex
	now     time.Time
	buckets map[string]oss.Bucket
	objects map[string]map[string]*fakeObject
	// lastPut is the last PutObjectInput seen (after the body was read),
	// lastInfo the RequestInfo its context carried.
	lastPut  oss.PutObjectInput
	lastInfo oss.RequestInfo
}

type fakeObject struct {
	info oss.ObjectInfo
	data []byte
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		now:     time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC),
		buckets: map[string]oss.Bucket{},
		objects: map[string]map[string]*fakeObject{},
	}
}

func (f *fakeEngine) CreateBucket(ctx context.Context, b oss.Bucket) (oss.Bucket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.buckets[b.Name]; ok {
		return b, oss.E("CreateBucket", oss.BucketAlreadyExists, "")
	}
	if b.ACL == "" {
		b.ACL = oss.ACLPrivate
	}
	b.CreatedAt = f.now
	b.Owner = oss.Owner{ID: "owner", DisplayName: "owner"}
	f.buckets[b.Name] = b
	f.objects[b.Name] = map[string]*fakeObject{}
	return b, nil
}

func (f *fakeEngine) GetBucket(ctx context.Context, name string) (oss.Bucket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[name]
	if !ok {
		return b, oss.E("GetBucket", oss.NoSuchBucket, "")
	}
	return b, nil
}

func (f *fakeEngine) DeleteBucket(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.buckets[name]; !ok {
		return oss.E("DeleteBucket", oss.NoSuchBucket, "")
	}
	if len(f.objects[name]) > 0 {
		return oss.E("DeleteBucket", oss.BucketNotEmpty, "")
	}
	delete(f.buckets, name)
	return nil
}

func (f *fakeEngine) ListBuckets(ctx context.Context, in oss.ListBucketsInput) (oss.ListBucketsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out oss.ListBucketsOutput
	for _, b := range f.buckets {
		out.Buckets = append(out.Buckets, b)
	}
	sort.Slice(out.Buckets, func(i, j int) bool { return out.Buckets[i].Name < out.Buckets[j].Name })
	return out, nil
}

func (f *fakeEngine) PutBucketACL(ctx context.Context, name string, acl oss.ACL) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[name]
	if !ok {
		return oss.E("", oss.NoSuchBucket, "")
	}
	b.ACL = acl
	f.buckets[name] = b
	return nil
}

func (f *fakeEngine) PutBucketVersioning(ctx context.Context, name string, status oss.VersioningStatus) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[name]
	if !ok {
		return oss.E("", oss.NoSuchBucket, "")
	}
	b.Versioning = status
	f.buckets[name] = b
	return nil
}

func (f *fakeEngine) PutObject(ctx context.Context, in oss.PutObjectInput, body io.Reader) (oss.ObjectInfo, error) {
	// Like the real store, read exactly Size bytes when it is known (so the
	// body's EOF verification is the protocol layer's business).
	var data []byte
	var err error
	if in.Size >= 0 {
		data = make([]byte, in.Size)
		_, err = io.ReadFull(body, data)
	} else {
		data, err = io.ReadAll(body)
	}
	if err != nil {
		return oss.ObjectInfo{}, oss.Wrap("PutObject", err)
	}
	sum := md5.Sum(data)
	if in.ContentMD5 != nil && !bytes.Equal(in.ContentMD5, sum[:]) {
		return oss.ObjectInfo{}, oss.E("PutObject", oss.InvalidDigest, "")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	objs, ok := f.objects[in.Bucket]
	if !ok {
		return oss.ObjectInfo{}, oss.E("PutObject", oss.NoSuchBucket, "")
	}
	if _, exists := objs[in.Key]; exists && in.ForbidOverwrite {
		return oss.ObjectInfo{}, oss.E("PutObject", oss.FileAlreadyExists, "")
	}
	sums := map[string]string{}
	for k, v := range in.Checksums {
		sums[k] = v
	}
	info := oss.ObjectInfo{
		Bucket: in.Bucket, Key: in.Key, IsLatest: true, Type: oss.TypeNormal,
		Size: int64(len(data)), ETag: checksum.ETag(sum[:]), CRC64: checksum.CRC64(data),
		LastModified: f.now, StorageClass: in.StorageClass, ACL: in.ACL, Meta: in.Meta, Tags: in.Tags,
		SSE: in.SSE, Checksums: sums,
	}
	if info.StorageClass == "" {
		info.StorageClass = oss.StorageStandard
	}
	objs[in.Key] = &fakeObject{info: info, data: data}
	f.lastPut, f.lastInfo = in, oss.RequestInfoFrom(ctx)
	return info, nil
}

func (f *fakeEngine) lookup(bucket, key string) (*fakeObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	objs, ok := f.objects[bucket]
	if !ok {
		return nil, oss.E("", oss.NoSuchBucket, "")
	}
	o, ok := objs[key]
	if !ok {
		return nil, oss.E("", oss.NoSuchKey, "")
	}
	return o, nil
}

func (f *fakeEngine) HeadObject(ctx context.Context, in oss.GetObjectInput) (oss.ObjectInfo, error) {
	o, err := f.lookup(in.Bucket, in.Key)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if err := in.Conditions.Check(o.info, false); err != nil {
		return oss.ObjectInfo{}, err
	}
	return o.info, nil
}

func (f *fakeEngine) GetObject(ctx context.Context, in oss.GetObjectInput) (*oss.GetObjectOutput, error) {
	o, err := f.lookup(in.Bucket, in.Key)
	if err != nil {
		return nil, err
	}
	if err := in.Conditions.Check(o.info, false); err != nil {
		return nil, err
	}
	rng, err := in.Range.Resolve(o.info.Size)
	if err != nil {
		return nil, err
	}
	data := o.data
	if rng != nil {
		data = data[rng.Start : rng.Start+rng.Length]
	}
	return &oss.GetObjectOutput{Info: o.info, Range: rng, Body: io.NopCloser(bytes.NewReader(data))}, nil
}

func (f *fakeEngine) DeleteObject(ctx context.Context, in oss.DeleteObjectInput) (oss.DeletedObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	objs, ok := f.objects[in.Bucket]
	if !ok {
		return oss.DeletedObject{}, oss.E("", oss.NoSuchBucket, "")
	}
	delete(objs, in.Key)
	return oss.DeletedObject{Key: in.Key}, nil
}

func (f *fakeEngine) DeleteObjects(ctx context.Context, bucket string, ids []oss.ObjectIdentifier) ([]oss.DeletedObject, error) {
	var out []oss.DeletedObject
	for _, id := range ids {
		d, err := f.DeleteObject(ctx, oss.DeleteObjectInput{Bucket: bucket, Key: id.Key})
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (f *fakeEngine) ListObjects(ctx context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	objs, ok := f.objects[in.Bucket]
	if !ok {
		return oss.ListObjectsOutput{}, oss.E("", oss.NoSuchBucket, "")
	}
	keys := make([]string, 0, len(objs))
	for k := range objs {
		if strings.HasPrefix(k, in.Prefix) && k > in.Marker {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out oss.ListObjectsOutput
	for _, k := range keys {
		if len(out.Objects) == in.MaxKeys {
			out.IsTruncated = true
			out.NextMarker = out.Objects[len(out.Objects)-1].Key
			break
		}
		out.Objects = append(out.Objects, objs[k].info)
	}
	return out, nil
}

func (f *fakeEngine) GetObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error) {
	o, err := f.lookup(bucket, key)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	return o.info, nil
}

func (f *fakeEngine) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags []oss.Tag) (oss.ObjectInfo, error) {
	o, err := f.lookup(bucket, key)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	f.mu.Lock()
	o.info.Tags = tags
	f.mu.Unlock()
	return o.info, nil
}

// fakeAuth authenticates by the Authorization header: "s3" and "oss" are
// valid keys of each dialect, "bad" fails the signature, none is anonymous.
type fakeAuth struct{}

func (fakeAuth) Verify(ctx context.Context, r *http.Request, bucket, key string) (auth.Result, error) {
	switch r.Header.Get("Authorization") {
	case "":
		d := auth.DialectOSS
		for k := range r.Header {
			if strings.HasPrefix(k, "X-Amz-") {
				d = auth.DialectS3
			}
		}
		return auth.Result{Anonymous: true, Dialect: d}, nil
	case "oss":
		return auth.Result{AccessKeyID: "ak", Scheme: auth.SchemeOSSV4, Dialect: auth.DialectOSS}, nil
	case "s3":
		return auth.Result{AccessKeyID: "ak", Scheme: auth.SchemeAWSV4, Dialect: auth.DialectS3}, nil
	case "bad-s3":
		return auth.Result{Scheme: auth.SchemeAWSV4, Dialect: auth.DialectS3}, &auth.Error{
			Code: auth.CodeSignatureDoesNotMatch, StatusCode: 403, Message: "sig mismatch",
			AccessKeyID: "ak", StringToSign: "sts", SignatureProvided: "abc",
		}
	}
	return auth.Result{Scheme: auth.SchemeOSSV1, Dialect: auth.DialectOSS}, &auth.Error{
		Code: auth.CodeSignatureDoesNotMatch, StatusCode: 403, Message: "sig mismatch",
		AccessKeyID: "ak", StringToSign: "PUT\n\n", SignatureProvided: "abc",
	}
}

// observation is one Observer call.
type observation struct {
	op            string
	status        int
	bytesIn, bOut int64
}

type fakeObserver struct {
	mu  sync.Mutex
	obs []observation
}

func (o *fakeObserver) ObserveRequest(op string, status int, d time.Duration, in, out int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.obs = append(o.obs, observation{op, status, in, out})
}

func (o *fakeObserver) last() observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.obs) == 0 {
		return observation{}
	}
	return o.obs[len(o.obs)-1]
}
