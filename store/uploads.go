package store

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// lockUpload takes, in lock order, the bucket's read lock and the upload's
// write lock, and reads the upload record (NoSuchUpload when absent).
func (s *Store) lockUpload(op, bucket, key, id string) (*bucketState, *record, func(), error) {
	if err := oss.CheckBucketName(op, bucket); err != nil {
		return nil, nil, nil, err
	}
	if err := oss.CheckObjectKey(op, key); err != nil {
		return nil, nil, nil, err
	}
	bs, release, err := s.writeBucket(op, bucket)
	if err != nil {
		return nil, nil, nil, err
	}
	ul := s.uploads.get(id)
	ul.Lock()
	unlock := func() { ul.Unlock(); release() }
	up, err := s.getRecord(uploadKey(bucket, key, id))
	if err != nil || up == nil {
		unlock()
		if err != nil {
			return nil, nil, nil, oss.Wrap(op, err)
		}
		return nil, nil, nil, noSuchUpload(op, bucket, key, id)
	}
	return bs, up, unlock, nil
}

// CompleteMultipartUpload assembles the object from the named parts (or,
// with CompleteAll, from every uploaded part). Part numbers must ascend
// (InvalidPartOrder), each part must exist with the given ETag (InvalidPart),
// and every part but the last must be at least 100 KB (EntityTooSmall). The
// object references the parts' data in place: nothing is copied. Its ETag is
// OSS's multipart ETag ("<hex>-<n>") and its CRC-64 the combination of the
// parts' CRCs. Parts not named are dropped. ForbidOverwrite and IfMatch are
// checked under the key lock; a completion that fails them leaves the upload
// and all its parts in place.
func (s *Store) CompleteMultipartUpload(ctx context.Context, in oss.CompleteMultipartInput) (oss.ObjectInfo, error) {
	const op = "CompleteMultipartUpload"
	if in.CompleteAll && len(in.Parts) > 0 {
		return oss.ObjectInfo{}, invalidArg(op, "x-oss-complete-all", "yes", "A part list cannot be given with x-oss-complete-all.")
	}
	if !in.CompleteAll && len(in.Parts) == 0 {
		return oss.ObjectInfo{}, oss.E(op, oss.MalformedXML, "The part list is empty.")
	}
	if err := s.outboxRoom(op); err != nil {
		return oss.ObjectInfo{}, err
	}
	bs, up, unlock, err := s.lockUpload(op, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	defer unlock()
	nums, parts, _, err := s.uploadParts(s.db, in.UploadID, 0, 0)
	if err != nil {
		return oss.ObjectInfo{}, oss.Wrap(op, err)
	}
	byNum := make(map[int]*record, len(nums))
	for i, n := range nums {
		byNum[n] = parts[i]
	}
	var chosen []*record
	if in.CompleteAll {
		chosen = parts
	} else {
		for i, cp := range in.Parts {
			if i > 0 && cp.PartNumber <= in.Parts[i-1].PartNumber {
				return oss.ObjectInfo{}, oss.E(op, oss.InvalidPartOrder, "The list of parts was not in ascending order.")
			}
		}
		for _, cp := range in.Parts {
			p := byNum[cp.PartNumber]
			if p == nil || !oss.ETagMatches(cp.ETag, p.ETag) || cp.ETag == "" {
				e := oss.E(op, oss.InvalidPart, "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.")
				e.ArgumentName, e.ArgumentValue = "PartNumber", itoa(cp.PartNumber)
				return oss.ObjectInfo{}, e
			}
			chosen = append(chosen, p)
		}
	}
	if len(chosen) == 0 {
		return oss.ObjectInfo{}, oss.E(op, oss.InvalidPart, "The upload has no parts.")
	}
	r := *up
	r.Type = oss.TypeMultipart
	r.PartsCount = len(chosen)
	r.Size, r.CRC64, r.Extents = 0, 0, nil
	md5s := make([][]byte, 0, len(chosen))
	for i, p := range chosen {
		if i < len(chosen)-1 && p.Size < oss.MinPartSize {
			return oss.ObjectInfo{}, oss.E(op, oss.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size.")
		}
		sum, _ := checksum.ParseETagMD5(p.ETag)
		md5s = append(md5s, sum)
		r.CRC64 = checksum.CombineCRC64(r.CRC64, p.CRC64, p.Size)
		r.Size += p.Size
		r.Extents = append(r.Extents, p.Extents...)
	}
	r.ETag = checksum.MultipartETag(md5s)
	unlockKey := s.keys.lock(in.Bucket, in.Key)
	defer unlockKey()
	old, err := s.getRecord(objectKey(in.Bucket, in.Key))
	if err != nil {
		return oss.ObjectInfo{}, oss.Wrap(op, err)
	}
	t := s.newTxn(ctx)
	keep := make(map[*record]bool, len(chosen))
	for _, p := range chosen {
		keep[p] = true
	}
	return s.installLocked(op, t, bs, in.Key, old, &r, installOpts{
		forbidOverwrite: in.ForbidOverwrite,
		ifMatch:         in.IfMatch,
		ifNoneMatch:     in.IfNoneMatch,
		event:           oss.ObjectCreatedCompleteMultipart,
		extra: func(t *txn, _ *record) error {
			t.b.Delete(uploadKey(in.Bucket, in.Key, in.UploadID), nil)
			pp := partPrefix(in.UploadID)
			t.b.DeleteRange(pp, prefixEnd(pp), nil)
			for _, p := range parts {
				if !keep[p] {
					t.dropExtents(p.Extents)
				}
			}
			t.delta(counterDelta{bs: bs, uploads: -1})
			return nil
		},
	})
}

// AbortMultipartUpload removes an upload and its parts' data.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	const op = "AbortMultipartUpload"
	bs, _, unlock, err := s.lockUpload(op, bucket, key, uploadID)
	if err != nil {
		return err
	}
	defer unlock()
	t := s.newTxn(ctx)
	defer t.abort()
	if err := s.abortUpload(t, op, bs, key, uploadID, s.now()); err != nil {
		return err
	}
	return t.commit(op)
}

// abortUpload adds the removal of an upload (locked by the caller) to t.
func (s *Store) abortUpload(t *txn, op string, bs *bucketState, key, id string, now time.Time) error {
	_, parts, _, err := s.uploadParts(t.rd, id, 0, 0)
	if err != nil {
		return oss.Wrap(op, err)
	}
	var size int64
	for _, p := range parts {
		t.dropExtents(p.Extents)
		size += p.Size
	}
	t.b.Delete(uploadKey(bs.name, key, id), nil)
	pp := partPrefix(id)
	t.b.DeleteRange(pp, prefixEnd(pp), nil)
	t.delta(counterDelta{bs: bs, uploads: -1})
	t.objectEvent(bs, now, eventSpec{name: oss.ObjectRemovedAbortMultipart, key: key, size: size})
	return nil
}

// ListParts pages through an upload's parts (max-parts default and bound
// 1000).
func (s *Store) ListParts(ctx context.Context, in oss.ListPartsInput) (oss.ListPartsOutput, error) {
	const op = "ListParts"
	if _, err := s.readBucket(op, in.Bucket); err != nil {
		return oss.ListPartsOutput{}, err
	}
	if err := oss.CheckObjectKey(op, in.Key); err != nil {
		return oss.ListPartsOutput{}, err
	}
	max := in.MaxParts
	if max == 0 {
		max = 1000
	}
	if max < 0 || max > 1000 {
		return oss.ListPartsOutput{}, invalidArg(op, "max-parts", itoa(in.MaxParts), "max-parts must be between 1 and 1000.")
	}
	if in.PartNumberMarker < 0 {
		return oss.ListPartsOutput{}, invalidArg(op, "part-number-marker", itoa(in.PartNumberMarker), "The part number marker must not be negative.")
	}
	snap := s.db.NewSnapshot()
	defer snap.Close()
	up, err := getRecordFrom(snap, uploadKey(in.Bucket, in.Key, in.UploadID))
	if err != nil {
		return oss.ListPartsOutput{}, oss.Wrap(op, err)
	}
	if up == nil {
		return oss.ListPartsOutput{}, noSuchUpload(op, in.Bucket, in.Key, in.UploadID)
	}
	nums, parts, more, err := s.uploadParts(snap, in.UploadID, in.PartNumberMarker, max)
	if err != nil {
		return oss.ListPartsOutput{}, oss.Wrap(op, err)
	}
	out := oss.ListPartsOutput{
		Upload:           oss.MultipartUpload{Bucket: in.Bucket, Key: in.Key, UploadID: in.UploadID, Initiated: up.mtime()},
		StorageClass:     up.StorageClass,
		PartNumberMarker: in.PartNumberMarker,
		MaxParts:         max,
		IsTruncated:      more,
	}
	for i, n := range nums {
		out.Parts = append(out.Parts, partOf(n, parts[i]))
	}
	if more {
		out.NextPartNumberMarker = nums[len(nums)-1]
	}
	return out, nil
}

// ListMultipartUploads lists in-progress uploads by key, then initiation
// order, with prefix, delimiter (common prefixes, whose subtrees are skipped
// by one seek) and the key / upload-id markers of S3 and OSS: without an
// upload-id marker, listing resumes after every upload of the key marker;
// with one, after that upload of the key marker.
func (s *Store) ListMultipartUploads(ctx context.Context, in oss.ListUploadsInput) (oss.ListUploadsOutput, error) {
	const op = "ListMultipartUploads"
	if _, err := s.readBucket(op, in.Bucket); err != nil {
		return oss.ListUploadsOutput{}, err
	}
	max := in.MaxUploads
	if max == 0 {
		max = 1000
	}
	if max < 0 || max > 1000 {
		return oss.ListUploadsOutput{}, invalidArg(op, "max-uploads", itoa(in.MaxUploads), "max-uploads must be between 1 and 1000.")
	}
	space := bucketSpace(ksUpload, in.Bucket)
	lower := append(append([]byte(nil), space...), in.Prefix...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return oss.ListUploadsOutput{}, oss.Wrap(op, err)
	}
	defer it.Close()
	seek := lower
	if in.KeyMarker != "" {
		m := append(append([]byte(nil), space...), in.KeyMarker...)
		if in.UploadIDMarker != "" {
			m = append(append(append(m, 0), in.UploadIDMarker...), 0)
		} else {
			m = append(m, 1)
		}
		if bytes.Compare(m, seek) > 0 {
			seek = m
		}
	}
	var out oss.ListUploadsOutput
	n := 0
	for ok := it.SeekGE(seek); ok; {
		rest := it.Key()[len(space):]
		sep := strings.IndexByte(string(rest), 0)
		if sep < 0 {
			ok = it.Next()
			continue
		}
		key, id := string(rest[:sep]), string(rest[sep+1:])
		if in.Delimiter != "" {
			if i := strings.Index(key[len(in.Prefix):], in.Delimiter); i >= 0 {
				cp := key[:len(in.Prefix)+i+len(in.Delimiter)]
				if cp > in.KeyMarker {
					if n == max {
						out.IsTruncated = true
						break
					}
					n++
					out.CommonPrefixes = append(out.CommonPrefixes, cp)
					out.NextKeyMarker, out.NextUploadIDMarker = cp, ""
				}
				ok = skipSubtree(it, append(append([]byte(nil), space...), cp...))
				continue
			}
		}
		if n == max {
			out.IsTruncated = true
			break
		}
		r, err := decodeRecord(it.Value())
		if err != nil {
			return oss.ListUploadsOutput{}, oss.Wrap(op, err)
		}
		n++
		out.Uploads = append(out.Uploads, oss.MultipartUpload{Bucket: in.Bucket, Key: key, UploadID: id, Initiated: r.mtime()})
		out.NextKeyMarker, out.NextUploadIDMarker = key, id
		ok = it.Next()
	}
	if err := it.Error(); err != nil {
		return oss.ListUploadsOutput{}, oss.Wrap(op, err)
	}
	if !out.IsTruncated {
		out.NextKeyMarker, out.NextUploadIDMarker = "", ""
	}
	return out, nil
}
