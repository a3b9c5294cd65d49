package store

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// CreateBucket creates a bucket. Zero fields take defaults: ACL private,
// storage class Standard, redundancy LRS, the store's region and owner.
func (s *Store) CreateBucket(ctx context.Context, b oss.Bucket) (oss.Bucket, error) {
	const op = "CreateBucket"
	if err := s.checkOpen(op); err != nil {
		return oss.Bucket{}, err
	}
	if err := oss.CheckBucketName(op, b.Name); err != nil {
		return oss.Bucket{}, err
	}
	if b.ACL == "" {
		b.ACL = oss.ACLPrivate
	}
	if !b.ACL.Valid() || b.ACL == oss.ACLDefault {
		return oss.Bucket{}, invalidArg(op, "x-oss-acl", string(b.ACL), "The ACL is not valid.")
	}
	if b.StorageClass == "" {
		b.StorageClass = oss.StorageStandard
	}
	if !b.StorageClass.Valid() {
		return oss.Bucket{}, invalidArg(op, "StorageClass", string(b.StorageClass), "The storage class is not valid.")
	}
	switch b.DataRedundancy {
	case "":
		b.DataRedundancy = "LRS"
	case "LRS", "ZRS":
	default:
		return oss.Bucket{}, invalidArg(op, "DataRedundancyType", b.DataRedundancy, "The data redundancy type is not valid.")
	}
	if b.Region == "" {
		b.Region = s.region
	}
	if strings.TrimPrefix(b.Region, "oss-") != s.region {
		return oss.Bucket{}, oss.E(op, oss.InvalidLocationConstraint, "The specified location constraint is not valid.")
	}
	b.Region = s.region
	if b.Owner == (oss.Owner{}) {
		b.Owner = s.opts.Owner
	}
	b.Versioning = oss.VersioningOff
	b.CreatedAt = s.now().UTC()

	s.createLock.Lock()
	defer s.createLock.Unlock()
	s.bucketsMu.RLock()
	_, exists := s.buckets[b.Name]
	n := len(s.buckets)
	s.bucketsMu.RUnlock()
	if exists {
		e := oss.E(op, oss.BucketAlreadyExists, "The requested bucket name is not available.")
		e.Bucket = b.Name
		return oss.Bucket{}, e
	}
	if n >= s.opts.MaxBuckets {
		return oss.Bucket{}, oss.E(op, oss.TooManyBuckets, "You have attempted to create more buckets than allowed.")
	}
	c, err := s.loadCounters(b.Name) // keeps the bucket sequence of a former bucket of that name
	if err != nil {
		return oss.Bucket{}, oss.Wrap(op, err)
	}
	bs := &bucketState{name: b.Name, c: bucketCounters{Seq: c.Seq}}
	bs.info.Store(&b)
	t := s.newTxn(ctx)
	js, _ := json.Marshal(&b)
	t.b.Set(bucketKey(b.Name), js, nil)
	t.delta(counterDelta{bs: bs}) // rewrites the counters (zeroed)
	t.event(s.newEvent(bs, b.CreatedAt, t.ri, eventSpec{name: oss.BucketCreated}), bs)
	if err := t.commit(op); err != nil {
		return oss.Bucket{}, err
	}
	s.bucketsMu.Lock()
	s.buckets[b.Name] = bs
	s.bucketsMu.Unlock()
	return b, nil
}

// DeleteBucket deletes an empty bucket: no object, version, delete marker or
// in-progress upload.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	const op = "DeleteBucket"
	if err := s.checkOpen(op); err != nil {
		return err
	}
	s.createLock.Lock()
	defer s.createLock.Unlock()
	bs := s.bucket(name)
	if bs == nil {
		return noSuchBucket(op, name)
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	s.commitMu.Lock()
	c := bs.c
	s.commitMu.Unlock()
	empty, err := s.bucketEmpty(name)
	if err != nil {
		return oss.Wrap(op, err)
	}
	if c.Versions > 0 || c.Uploads > 0 || !empty {
		e := oss.E(op, oss.BucketNotEmpty, "The bucket you tried to delete is not empty.")
		e.Bucket = name
		return e
	}
	t := s.newTxn(ctx)
	t.b.Delete(bucketKey(name), nil)
	t.b.Delete(lifecycleKey(name), nil)
	cs := bucketSpace(ksConfig, name)
	t.b.DeleteRange(cs, prefixEnd(cs), nil)
	t.event(s.newEvent(bs, s.now(), t.ri, eventSpec{name: oss.BucketRemoved}), bs)
	if err := t.commit(op); err != nil {
		return err
	}
	bs.deleted = true
	bs.configs.Store(nil) // its documents went with the commit's DeleteRange
	s.bucketsMu.Lock()
	delete(s.buckets, name)
	s.bucketsMu.Unlock()
	return nil
}

// bucketEmpty checks the object, version and upload keyspaces directly.
func (s *Store) bucketEmpty(name string) (bool, error) {
	for _, ks := range []byte{ksObject, ksVersion, ksUpload} {
		p := bucketSpace(ks, name)
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
		if err != nil {
			return false, err
		}
		found := it.First()
		err = it.Close()
		if found || err != nil {
			return false, err
		}
	}
	return true, nil
}

// GetBucket returns a bucket's configuration.
func (s *Store) GetBucket(ctx context.Context, name string) (oss.Bucket, error) {
	bs, err := s.readBucket("GetBucket", name)
	if err != nil {
		return oss.Bucket{}, err
	}
	return *bs.info.Load(), nil
}

// ListBuckets lists buckets in name order.
func (s *Store) ListBuckets(ctx context.Context, in oss.ListBucketsInput) (oss.ListBucketsOutput, error) {
	const op = "ListBuckets"
	if err := s.checkOpen(op); err != nil {
		return oss.ListBucketsOutput{}, err
	}
	max, err := maxKeys(op, "max-keys", in.MaxKeys)
	if err != nil {
		return oss.ListBucketsOutput{}, err
	}
	s.bucketsMu.RLock()
	all := make([]oss.Bucket, 0, len(s.buckets))
	for _, bs := range s.buckets {
		all = append(all, *bs.info.Load())
	}
	s.bucketsMu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	var out oss.ListBucketsOutput
	for _, b := range all {
		if !strings.HasPrefix(b.Name, in.Prefix) || b.Name <= in.Marker {
			continue
		}
		if len(out.Buckets) == max {
			out.IsTruncated = true
			out.NextMarker = out.Buckets[len(out.Buckets)-1].Name
			break
		}
		out.Buckets = append(out.Buckets, b)
	}
	return out, nil
}

// updateBucket applies change to a bucket's configuration under its
// exclusive lock and persists it.
func (s *Store) updateBucket(ctx context.Context, op, name string, change func(b *oss.Bucket) error) error {
	if err := s.checkOpen(op); err != nil {
		return err
	}
	bs := s.bucket(name)
	if bs == nil {
		return noSuchBucket(op, name)
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.deleted {
		return noSuchBucket(op, name)
	}
	b := *bs.info.Load()
	if err := change(&b); err != nil {
		return err
	}
	t := s.newTxn(ctx)
	js, _ := json.Marshal(&b)
	t.b.Set(bucketKey(name), js, nil)
	if err := t.commit(op); err != nil {
		return err
	}
	bs.info.Store(&b)
	return nil
}

// PutBucketACL sets a bucket's canned ACL.
func (s *Store) PutBucketACL(ctx context.Context, name string, acl oss.ACL) error {
	const op = "PutBucketACL"
	if !acl.Valid() || acl == oss.ACLDefault {
		return invalidArg(op, "x-oss-acl", string(acl), "The ACL is not valid.")
	}
	return s.updateBucket(ctx, op, name, func(b *oss.Bucket) error {
		b.ACL = acl
		return nil
	})
}

// PutBucketVersioning enables or suspends versioning. A bucket that has
// had versioning never returns to the unversioned state.
func (s *Store) PutBucketVersioning(ctx context.Context, name string, status oss.VersioningStatus) error {
	const op = "PutBucketVersioning"
	if status != oss.VersioningEnabled && status != oss.VersioningSuspended {
		return oss.E(op, oss.MalformedXML, "The versioning status must be Enabled or Suspended.")
	}
	return s.updateBucket(ctx, op, name, func(b *oss.Bucket) error {
		b.Versioning = status
		return nil
	})
}

// BucketStat reports the bucket's counters, maintained by every commit.
func (s *Store) BucketStat(ctx context.Context, name string) (oss.BucketStat, error) {
	bs, err := s.readBucket("BucketStat", name)
	if err != nil {
		return oss.BucketStat{}, err
	}
	s.commitMu.Lock()
	c := bs.c
	s.commitMu.Unlock()
	st := oss.BucketStat{Storage: c.Storage, ObjectCount: c.Objects, MultipartUploadCount: c.Uploads}
	if c.LastModified != 0 {
		st.LastModified = unixNano(c.LastModified)
	}
	return st, nil
}
