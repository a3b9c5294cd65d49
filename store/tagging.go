package store

import (
	"context"

	"github.com/ossflow/ossflow/oss"
)

// modifyVersion changes an object version's record in place (same version
// id, same LastModified) and commits it with the event name. Delete markers
// cannot be modified (NoSuchKey, as OSS answers for them).
func (s *Store) modifyVersion(ctx context.Context, op, bucket, key, vid string, name oss.EventName, change func(r *record)) (oss.ObjectInfo, error) {
	if err := oss.CheckBucketName(op, bucket); err != nil {
		return oss.ObjectInfo{}, err
	}
	if err := oss.CheckObjectKey(op, key); err != nil {
		return oss.ObjectInfo{}, err
	}
	bs, release, err := s.writeBucket(op, bucket)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	defer release()
	unlock := s.keys.lock(bucket, key)
	defer unlock()
	r, latest, err := s.lookup(s.db, op, bs, key, vid)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if r.deleteMarker() {
		return oss.ObjectInfo{}, noSuchKey(op, bucket, key)
	}
	change(r)
	k := objectKey(bucket, key)
	if !latest {
		k = versionKey(bucket, key, r.VSeq)
	}
	t := s.newTxn(ctx)
	defer t.abort()
	t.setRecord(k, r)
	info := r.info(bucket, key, bs.versioning(), latest)
	t.objectEvent(bs, s.now(), eventSpec{name: name, key: key, versionID: info.VersionID, size: r.Size, etag: r.ETag})
	if err := t.commit(op); err != nil {
		return oss.ObjectInfo{}, err
	}
	return info, nil
}

// PutObjectTagging replaces an object version's tags (at most 10; keys of
// 1..128 bytes, values up to 256 bytes; else InvalidArgument).
func (s *Store) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags []oss.Tag) (oss.ObjectInfo, error) {
	const op = "PutObjectTagging"
	if err := checkTags(op, tags); err != nil {
		return oss.ObjectInfo{}, err
	}
	return s.modifyVersion(ctx, op, bucket, key, versionID, oss.ObjectModifiedTagging, func(r *record) {
		r.Tags = append([]oss.Tag(nil), tags...)
	})
}

// GetObjectTagging returns an object version; its tags are in Info.Tags.
func (s *Store) GetObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error) {
	const op = "GetObjectTagging"
	bs, err := s.readBucket(op, bucket)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if err := oss.CheckObjectKey(op, key); err != nil {
		return oss.ObjectInfo{}, err
	}
	r, latest, err := s.lookup(s.db, op, bs, key, versionID)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if r.deleteMarker() {
		return oss.ObjectInfo{}, noSuchKey(op, bucket, key)
	}
	return r.info(bucket, key, bs.versioning(), latest), nil
}

// DeleteObjectTagging removes an object version's tags.
func (s *Store) DeleteObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error) {
	return s.modifyVersion(ctx, "DeleteObjectTagging", bucket, key, versionID, oss.ObjectModifiedDeleteTagging, func(r *record) {
		r.Tags = nil
	})
}

// PutObjectACL sets an object version's ACL (default = inherit the
// bucket's).
func (s *Store) PutObjectACL(ctx context.Context, bucket, key, versionID string, acl oss.ACL) (oss.ObjectInfo, error) {
	const op = "PutObjectACL"
	if !acl.Valid() {
		return oss.ObjectInfo{}, invalidArg(op, "x-oss-object-acl", string(acl), "The ACL is not valid.")
	}
	return s.modifyVersion(ctx, op, bucket, key, versionID, oss.ObjectModifiedACL, func(r *record) {
		r.ACL = acl
	})
}
