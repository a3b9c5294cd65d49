package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strings"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// newUploadID returns 32 upper-hex characters: the id clock (so a key's
// uploads list in initiation order) and 8 random bytes (unguessable).
func (s *Store) newUploadID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.clock.next())
	rand.Read(b[8:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

func noSuchUpload(op, bucket, key, id string) error {
	e := oss.E(op, oss.NoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	e.Bucket, e.Key = bucket, key
	e.ArgumentName, e.ArgumentValue = "uploadId", id
	return e
}

// InitiateMultipartUpload starts an upload; its Put-style metadata (content
// headers, user metadata, ACL, storage class, tags, SSE) is stored with the
// upload and applied to the object at completion.
func (s *Store) InitiateMultipartUpload(ctx context.Context, in oss.PutObjectInput) (oss.MultipartUpload, error) {
	const op = "InitiateMultipartUpload"
	in.Size = 0
	if err := checkPut(op, &in); err != nil {
		return oss.MultipartUpload{}, err
	}
	bs, release, err := s.writeBucket(op, in.Bucket)
	if err != nil {
		return oss.MultipartUpload{}, err
	}
	defer release()
	// The upload's data key encrypts every part; each part's data is keyed
	// by its own extent id.
	sse, err := s.resolveSSE(op, in.SSE, bs)
	if err != nil {
		return oss.MultipartUpload{}, err
	}
	sl, err := s.newSealer(op, sse)
	if err != nil {
		return oss.MultipartUpload{}, err
	}
	now := s.now()
	r := newRecord(bs, &in)
	r.seal(sl, sse)
	r.Type = oss.TypeMultipart
	r.MTime = now.UnixNano()
	id := s.newUploadID()
	t := s.newTxn(ctx)
	defer t.abort()
	t.setRecord(uploadKey(in.Bucket, in.Key, id), r)
	t.delta(counterDelta{bs: bs, uploads: 1})
	t.objectEvent(bs, now, eventSpec{name: oss.ObjectCreatedInitiateMultipart, key: in.Key})
	if err := t.commit(op); err != nil {
		return oss.MultipartUpload{}, err
	}
	return oss.MultipartUpload{Bucket: in.Bucket, Key: in.Key, UploadID: id, Initiated: r.mtime()}, nil
}

func checkPartInput(op string, in *oss.UploadPartInput) error {
	if err := oss.CheckBucketName(op, in.Bucket); err != nil {
		return err
	}
	if err := oss.CheckObjectKey(op, in.Key); err != nil {
		return err
	}
	if in.PartNumber < oss.MinPartNumber || in.PartNumber > oss.MaxPartNumber {
		return invalidArg(op, "partNumber", itoa(in.PartNumber), "The part number must be between 1 and 10000.")
	}
	if in.Size > oss.MaxPartSize {
		return oss.E(op, oss.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size.")
	}
	if len(in.ContentMD5) != 0 && len(in.ContentMD5) != 16 {
		return oss.E(op, oss.InvalidDigest, "The Content-MD5 you specified was invalid.")
	}
	return nil
}

// UploadPart stores one part. A part number uploaded again replaces the
// previous part (whose data is dropped in the same commit).
func (s *Store) UploadPart(ctx context.Context, in oss.UploadPartInput, body io.Reader) (oss.Part, error) {
	const op = "UploadPart"
	if err := checkPartInput(op, &in); err != nil {
		return oss.Part{}, err
	}
	up, err := s.uploadExists(op, in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return oss.Part{}, err
	}
	if err := s.outboxRoom(op); err != nil {
		return oss.Part{}, err
	}
	sl, err := s.sealerOf(op, up.Enc)
	if err != nil {
		return oss.Part{}, err
	}
	bd, err := s.readBody(op, body, in.Size, in.ContentMD5, true, sl)
	if err != nil {
		return oss.Part{}, err
	}
	return s.commitPart(ctx, op, &in, bd, oss.ObjectCreatedUploadPart)
}

// uploadExists is an early (unlocked) check, so a body is not streamed for
// an upload that does not exist; commitPart checks again under the lock. It
// returns the upload's record (whose encryption the parts follow; an upload
// id is never reused, so the record read here is the one committed with).
func (s *Store) uploadExists(op, bucket, key, id string) (*record, error) {
	if _, err := s.readBucket(op, bucket); err != nil {
		return nil, err
	}
	up, err := s.getRecord(uploadKey(bucket, key, id))
	if err != nil {
		return nil, oss.Wrap(op, err)
	}
	if up == nil {
		return nil, noSuchUpload(op, bucket, key, id)
	}
	return up, nil
}

// commitPart records a received part under the upload's read lock and the
// part's stripe lock.
func (s *Store) commitPart(ctx context.Context, op string, in *oss.UploadPartInput, bd *body, name oss.EventName) (oss.Part, error) {
	t := s.newTxn(ctx)
	defer t.abort()
	ext := bd.attach(t)
	bs, release, err := s.writeBucket(op, in.Bucket)
	if err != nil {
		return oss.Part{}, err
	}
	defer release()
	ul := s.uploads.get(in.UploadID)
	ul.RLock()
	defer ul.RUnlock()
	unlock := s.keys.lock(in.UploadID, itoa(in.PartNumber))
	defer unlock()
	if _, ok, err := s.get(uploadKey(in.Bucket, in.Key, in.UploadID)); err != nil || !ok {
		if err != nil {
			return oss.Part{}, oss.Wrap(op, err)
		}
		return oss.Part{}, noSuchUpload(op, in.Bucket, in.Key, in.UploadID)
	}
	pk := partKey(in.UploadID, in.PartNumber)
	old, err := s.getRecord(pk)
	if err != nil {
		return oss.Part{}, oss.Wrap(op, err)
	}
	if old != nil {
		t.dropExtents(old.Extents)
	}
	now := s.now()
	r := &record{Type: oss.TypeNormal, Size: bd.size, ETag: checksum.ETag(bd.md5), CRC64: bd.crc, MTime: now.UnixNano(), Extents: ext}
	if len(in.Checksums) > 0 {
		r.Checksums = make(map[string]string, len(in.Checksums))
		for k, v := range in.Checksums {
			r.Checksums[k] = v
		}
	}
	t.setRecord(pk, r)
	t.objectEvent(bs, now, eventSpec{name: name, key: in.Key, size: r.Size, etag: r.ETag})
	if err := t.commit(op); err != nil {
		return oss.Part{}, err
	}
	return partOf(in.PartNumber, r), nil
}

func partOf(n int, r *record) oss.Part {
	return oss.Part{PartNumber: n, ETag: r.ETag, Size: r.Size, CRC64: r.CRC64, LastModified: r.mtime(), Checksums: r.Checksums}
}

// UploadPartCopy copies a range of a source object (version) into a part.
// A symlink source is followed one level.
func (s *Store) UploadPartCopy(ctx context.Context, in oss.UploadPartCopyInput) (oss.Part, error) {
	const op = "UploadPartCopy"
	in.Part.Size = 0
	if err := checkPartInput(op, &in.Part); err != nil {
		return oss.Part{}, err
	}
	if err := oss.CheckBucketName(op, in.SrcBucket); err != nil {
		return oss.Part{}, err
	}
	if err := oss.CheckObjectKey(op, in.SrcKey); err != nil {
		return oss.Part{}, err
	}
	srcBs, err := s.readBucket(op, in.SrcBucket)
	if err != nil {
		return oss.Part{}, err
	}
	up, err := s.uploadExists(op, in.Part.Bucket, in.Part.Key, in.Part.UploadID)
	if err != nil {
		return oss.Part{}, err
	}
	if err := s.outboxRoom(op); err != nil {
		return oss.Part{}, err
	}
	sl, err := s.sealerOf(op, up.Enc)
	if err != nil {
		return oss.Part{}, err
	}
	for attempt := 0; ; attempt++ {
		src, latest, err := s.lookup(s.db, op, srcBs, in.SrcKey, in.SrcVersionID)
		if err != nil {
			return oss.Part{}, err
		}
		if src.deleteMarker() {
			return oss.Part{}, noSuchKey(op, in.SrcBucket, in.SrcKey)
		}
		info := src.info(in.SrcBucket, in.SrcKey, srcBs.versioning(), latest)
		if src.Type == oss.TypeSymlink {
			if src, err = s.followSymlink(op, srcBs, src); err != nil {
				return oss.Part{}, err
			}
			info = src.info(in.SrcBucket, info.SymlinkTarget, srcBs.versioning(), true)
		}
		if err := in.SrcConditions.Check(info, true); err != nil {
			setOp(err, op)
			return oss.Part{}, err
		}
		rng, err := in.SrcRange.Resolve(src.Size)
		if err != nil {
			setOp(err, op)
			return oss.Part{}, err
		}
		start, length := int64(0), src.Size
		if rng != nil {
			start, length = rng.Start, rng.Length
		}
		bd, err := s.copyRange(op, src, start, length, sl)
		if isNotExist(err) && attempt < maxReadRetries {
			continue
		}
		if err != nil {
			return oss.Part{}, err
		}
		return s.commitPart(ctx, op, &in.Part, bd, oss.ObjectCreatedUploadPartCopy)
	}
}

// uploadParts returns an upload's parts in part-number order.
func (s *Store) uploadParts(rd pebble.Reader, uploadID string, after, max int) ([]int, []*record, bool, error) {
	p := partPrefix(uploadID)
	it, err := rd.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, nil, false, err
	}
	defer it.Close()
	var nums []int
	var recs []*record
	for ok := it.SeekGE(partKey(uploadID, after+1)); ok; ok = it.Next() {
		if max > 0 && len(nums) == max {
			return nums, recs, true, nil
		}
		k := it.Key()
		r, err := decodeRecord(it.Value())
		if err != nil {
			return nil, nil, false, err
		}
		nums = append(nums, int(binary.BigEndian.Uint32(k[len(k)-4:])))
		recs = append(recs, r)
	}
	return nums, recs, false, it.Error()
}
