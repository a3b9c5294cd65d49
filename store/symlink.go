package store

import (
	"context"
	"crypto/md5"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// PutSymlink creates a symlink object whose target (a key of the same
// bucket) is not checked: GetObject resolves it at read time. The symlink
// has no data: Size 0, CRC-64 0, and as ETag the MD5 of the target name.
func (s *Store) PutSymlink(ctx context.Context, in oss.PutSymlinkInput) (oss.ObjectInfo, error) {
	const op = "PutSymlink"
	p := oss.PutObjectInput{Bucket: in.Bucket, Key: in.Key, Meta: in.Meta, ACL: in.ACL, StorageClass: in.StorageClass, ForbidOverwrite: in.ForbidOverwrite}
	if err := checkPut(op, &p); err != nil {
		return oss.ObjectInfo{}, err
	}
	if !oss.ValidObjectKey(in.Target) {
		return oss.ObjectInfo{}, invalidArg(op, "x-oss-symlink-target", in.Target, "The symlink target is not a valid object name.")
	}
	bs, err := s.readBucket(op, in.Bucket)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if err := s.outboxRoom(op); err != nil {
		return oss.ObjectInfo{}, err
	}
	r := newRecord(bs, &p)
	r.Type = oss.TypeSymlink
	r.Target = in.Target
	sum := md5.Sum([]byte(in.Target))
	r.ETag = checksum.ETag(sum[:])
	return s.install(op, s.newTxn(ctx), in.Bucket, in.Key, r, installOpts{forbidOverwrite: in.ForbidOverwrite, event: oss.ObjectCreatedPutSymlink})
}

// GetSymlink returns a symlink (version) itself, its target in
// SymlinkTarget. A missing key or a delete marker is NoSuchKey; an object
// that is not a symlink is InvalidArgument (OSS's NotSymlink).
func (s *Store) GetSymlink(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error) {
	const op = "GetSymlink"
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
	info := r.info(bucket, key, bs.versioning(), latest)
	if r.deleteMarker() {
		return info, noSuchKey(op, bucket, key)
	}
	if r.Type != oss.TypeSymlink {
		return info, invalidArg(op, "symlink", key, "The specified object is not a symlink.")
	}
	return info, nil
}
