package store

import (
	"context"
	"errors"
	"io/fs"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// CopyObject copies a source object (version) to the destination.
//
// Metadata and tags are the source's unless ReplaceMeta / ReplaceTags; the
// ACL, storage class and SSE come from the destination input (not
// inherited). Source preconditions fail with PreconditionFailed. A symlink
// source is copied as a symlink. A copy onto itself that replaces the
// current version (unversioned bucket, or a null version while suspended)
// is a metadata update that keeps the data in place; otherwise the data is
// copied (hashed again and verified against the source's CRC-64), so no two
// versions ever share a blob. The event is ObjectCreated:CopyObject.
func (s *Store) CopyObject(ctx context.Context, in oss.CopyObjectInput) (oss.CopyObjectOutput, error) {
	const op = "CopyObject"
	if err := oss.CheckBucketName(op, in.SrcBucket); err != nil {
		return oss.CopyObjectOutput{}, err
	}
	if err := oss.CheckObjectKey(op, in.SrcKey); err != nil {
		return oss.CopyObjectOutput{}, err
	}
	dst := in.Dest
	dst.Size = 0
	if !in.ReplaceMeta {
		dst.Meta = oss.Metadata{}
	}
	if !in.ReplaceTags {
		dst.Tags = nil
	}
	if err := checkPut(op, &dst); err != nil {
		return oss.CopyObjectOutput{}, err
	}
	srcBs, err := s.readBucket(op, in.SrcBucket)
	if err != nil {
		return oss.CopyObjectOutput{}, err
	}
	dstBs, err := s.readBucket(op, dst.Bucket)
	if err != nil {
		return oss.CopyObjectOutput{}, err
	}
	if err := s.outboxRoom(op); err != nil {
		return oss.CopyObjectOutput{}, err
	}
	// The destination's encryption is the copy request's or the destination
	// bucket's default, never inherited from the source (as in OSS).
	sse, err := s.resolveSSE(op, dst.SSE, dstBs)
	if err != nil {
		return oss.CopyObjectOutput{}, err
	}
	name := dst.EventName
	if name == "" {
		name = oss.ObjectCreatedCopy
	}
	for attempt := 0; ; attempt++ {
		src, latest, err := s.lookup(s.db, op, srcBs, in.SrcKey, in.SrcVersionID)
		if err != nil {
			return oss.CopyObjectOutput{}, err
		}
		if src.deleteMarker() {
			return oss.CopyObjectOutput{}, noSuchKey(op, in.SrcBucket, in.SrcKey)
		}
		srcInfo := src.info(in.SrcBucket, in.SrcKey, srcBs.versioning(), latest)
		if err := in.SrcConditions.Check(srcInfo, true); err != nil {
			setOp(err, op)
			return oss.CopyObjectOutput{}, err
		}
		r := newRecord(dstBs, &dst)
		if !in.ReplaceMeta {
			r.Meta = srcInfo.Meta
		}
		if !in.ReplaceTags {
			r.Tags = srcInfo.Tags
		}
		r.Checksums = srcInfo.Checksums
		t := s.newTxn(ctx)
		o := installOpts{forbidOverwrite: dst.ForbidOverwrite, ifMatch: dst.IfMatch, ifNoneMatch: dst.IfNoneMatch, event: name}
		// A copy onto itself keeps the data in place unless it changes
		// whether the data is encrypted (OSS's way to encrypt, or decrypt,
		// an existing object).
		inPlace := latest && in.SrcBucket == dst.Bucket && in.SrcKey == dst.Key &&
			(dstBs.versioning() == oss.VersioningOff || (dstBs.versioning() == oss.VersioningSuspended && src.isNull())) &&
			(sse == "") == (src.Enc == nil)
		switch {
		case src.Type == oss.TypeSymlink:
			r.Type, r.Target, r.ETag, r.CRC64 = oss.TypeSymlink, src.Target, src.ETag, src.CRC64
		case inPlace:
			// Metadata update: the new record keeps the source's data (and
			// its encryption), which the replaced record then does not drop.
			r.Type, r.Size, r.ETag, r.CRC64, r.PartsCount = src.Type, src.Size, src.ETag, src.CRC64, src.PartsCount
			r.Extents = src.Extents
			r.SSE, r.Enc = src.SSE, src.Enc
			vseq := src.VSeq
			o.check = func(old *record) error {
				if old == nil || old.VSeq != vseq {
					return errRetry
				}
				return nil
			}
		default:
			// The data is decrypted from the source and encrypted under a
			// new data key of the destination's own.
			sl, err := s.newSealer(op, sse)
			if err != nil {
				t.abort()
				return oss.CopyObjectOutput{}, err
			}
			r.seal(sl, sse)
			bd, err := s.copyData(op, src, sl)
			if isNotExist(err) && attempt < maxReadRetries {
				t.abort()
				continue
			}
			if err != nil {
				t.abort()
				return oss.CopyObjectOutput{}, err
			}
			r.Size, r.CRC64, r.ETag = bd.size, bd.crc, checksum.ETag(bd.md5)
			r.Extents = bd.attach(t)
		}
		info, err := s.install(op, t, dst.Bucket, dst.Key, r, o)
		if errors.Is(err, errRetry) && attempt < maxReadRetries {
			continue
		}
		if err != nil {
			return oss.CopyObjectOutput{}, oss.Wrap(op, err)
		}
		return oss.CopyObjectOutput{Info: info, SrcVersionID: srcInfo.VersionID}, nil
	}
}

// errRetry asks an operation to start over (its view went stale).
var errRetry = errors.New("store: retry")

// copyData reads the whole data of src into a new body, verifying it
// against the source's CRC-64.
func (s *Store) copyData(op string, src *record, sl *sealer) (*body, error) {
	bd, err := s.copyRange(op, src, 0, src.Size, sl)
	if err != nil {
		return nil, err
	}
	if bd.crc != src.CRC64 {
		s.discard(bd)
		return nil, oss.Wrap(op, errors.New("store: source data does not match its CRC-64"))
	}
	return bd, nil
}

// copyRange reads length bytes of src (decrypted) from start into a new
// body, encrypted by sl if set. A vanished source blob is reported as
// fs.ErrNotExist (the caller looks up again).
func (s *Store) copyRange(op string, src *record, start, length int64, sl *sealer) (*body, error) {
	rd, err := s.openData(src, start, length)
	if isNotExist(err) {
		return nil, err
	}
	if err != nil {
		return nil, oss.Wrap(op, err)
	}
	defer rd.Close()
	bd, err := s.readBody(op, rd, length, nil, true, sl)
	if oss.IsCode(err, oss.IncompleteBody) { // the source, not a client, fell short
		return nil, oss.Wrap(op, errors.New("store: copy source shorter than its record"))
	}
	if err != nil {
		return nil, oss.Wrap(op, err)
	}
	return bd, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
