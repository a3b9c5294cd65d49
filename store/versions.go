package store

import (
	"bytes"
	"context"
	"math"
	"strings"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// ListObjectVersions lists every version and delete marker, by key and,
// within a key, newest first (the current version first). Null versions are
// reported with the id "null". Markers follow S3: without VersionIDMarker the
// listing resumes after every version of KeyMarker; with it, after that
// version of KeyMarker (versions are ordered by their sequence, so a marker
// whose version has since been deleted still resumes at the right place).
// MaxKeys counts versions and common prefixes.
func (s *Store) ListObjectVersions(ctx context.Context, in oss.ListVersionsInput) (oss.ListVersionsOutput, error) {
	const op = "ListObjectVersions"
	bs, err := s.readBucket(op, in.Bucket)
	if err != nil {
		return oss.ListVersionsOutput{}, err
	}
	max, err := maxKeys(op, "max-keys", in.MaxKeys)
	if err != nil {
		return oss.ListVersionsOutput{}, err
	}
	vs := bs.versioning()
	vspace := bucketSpace(ksVersion, in.Bucket)
	vit, err := s.db.NewIter(&pebble.IterOptions{LowerBound: vspace, UpperBound: prefixEnd(vspace)})
	if err != nil {
		return oss.ListVersionsOutput{}, oss.Wrap(op, err)
	}
	defer vit.Close()

	var out oss.ListVersionsOutput
	cache := stringCache{}
	n := 0
	emit := func(key string, r *record, latest bool) bool {
		if n >= max {
			out.IsTruncated = true
			return false
		}
		info := r.info(in.Bucket, key, vs, latest)
		if r.isNull() {
			info.VersionID = oss.NullVersionID
		}
		out.Versions = append(out.Versions, info)
		n++
		out.NextKeyMarker, out.NextVersionIDMarker = key, info.VersionID
		return true
	}
	// emitKey emits the versions of key older than before (all with
	// math.MaxUint64); false means the page is full.
	emitKey := func(key string, cur *record, before uint64) (bool, error) {
		if cur.VSeq < before && !emit(key, cur, true) {
			return false, nil
		}
		p := versionKeyPrefix(in.Bucket, key)
		seek := p
		if before != math.MaxUint64 {
			seek = versionKey(in.Bucket, key, before)
		}
		for ok := vit.SeekGE(seek); ok && bytes.HasPrefix(vit.Key(), p); ok = vit.Next() {
			if vseqFromVersionKey(vit.Key()) >= before {
				continue
			}
			r, err := decodeRecordCached(vit.Value(), cache)
			if err != nil {
				return false, err
			}
			if !emit(key, r, false) {
				return false, nil
			}
		}
		return true, vit.Error()
	}

	if in.KeyMarker != "" && in.VersionIDMarker != "" && strings.HasPrefix(in.KeyMarker, in.Prefix) {
		before, ok, err := s.versionOrder(in.Bucket, in.KeyMarker, in.VersionIDMarker)
		if err != nil {
			return oss.ListVersionsOutput{}, oss.Wrap(op, err)
		}
		if !ok {
			return oss.ListVersionsOutput{}, invalidArg(op, "version-id-marker", in.VersionIDMarker, "The version id marker is not valid.")
		}
		cur, err := s.getRecord(objectKey(in.Bucket, in.KeyMarker))
		if err != nil {
			return oss.ListVersionsOutput{}, oss.Wrap(op, err)
		}
		if cur != nil {
			more, err := emitKey(in.KeyMarker, cur, before)
			if err != nil {
				return oss.ListVersionsOutput{}, oss.Wrap(op, err)
			}
			if !more {
				return out, nil
			}
		}
	}
	err = s.walkKeys(ksObject, in.Bucket, in.Prefix, in.Delimiter, in.KeyMarker, true, func(key string, cp bool, v []byte) (bool, error) {
		if cp {
			if n >= max {
				out.IsTruncated = true
				return false, nil
			}
			n++
			out.CommonPrefixes = append(out.CommonPrefixes, key)
			out.NextKeyMarker, out.NextVersionIDMarker = key, ""
			return true, nil
		}
		cur, err := decodeRecordCached(v, cache)
		if err != nil {
			return false, err
		}
		return emitKey(key, cur, math.MaxUint64)
	})
	if err != nil {
		return oss.ListVersionsOutput{}, oss.Wrap(op, err)
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextVersionIDMarker = "", ""
	}
	return out, nil
}

// versionOrder returns the sequence of version vid of key for ordering:
// the null version's own sequence for "null" (0, so nothing follows, when
// there is none), the id's sequence otherwise.
func (s *Store) versionOrder(bucket, key, vid string) (uint64, bool, error) {
	if vid != oss.NullVersionID {
		vseq, ok := parseVersionID(vid)
		return vseq, ok, nil
	}
	cur, err := s.getRecord(objectKey(bucket, key))
	if err != nil {
		return 0, false, err
	}
	if cur != nil && cur.isNull() {
		return cur.VSeq, true, nil
	}
	nv, _, err := findNullVersion(s.db, bucket, key)
	if err != nil || nv == nil {
		return 0, err == nil, err
	}
	return nv.VSeq, true, nil
}
