package store

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"io"
	"os"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// appendETag is the ETag of an appendable object. OSS documents it as
// opaque; ossflow uses the MD5 of the object's CRC-64 and size (8 bytes
// big-endian each), upper-hex and quoted like any ETag: stable, cheap (no
// re-read of the data), and different whenever the content grows.
func appendETag(crc uint64, size int64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], crc)
	binary.BigEndian.PutUint64(b[8:], uint64(size))
	sum := md5.Sum(b[:])
	return checksum.ETag(sum[:])
}

func positionError(op string, next int64, crc uint64) error {
	e := oss.E(op, oss.PositionNotEqualToLength, "Position is not equal to file length.")
	e.NextAppendPosition = next
	e.CRC64 = checksum.FormatCRC64(crc)
	return e
}

// AppendObject appends body at Position to an appendable object, creating
// it when the key is free and Position is 0. The object's data always lives
// in one blob file: the append truncates any uncommitted tail left by a
// failed append, writes at the committed length, fsyncs, and commits the new
// length and the cumulative CRC-64 (seeded with the previous one); readers
// never read past the committed length. The append is serialized with every
// other write of the key (the key lock is held while the body streams). As
// in OSS, appends never create versions: the current appendable version
// grows in place.
//
// Encryption is chosen when the object is created (the request's SSE or the
// bucket default) and applies to every append; the keystream is seekable,
// so an append encrypts at its offset. A failed append may leave bytes
// beyond the committed length encrypted with the keystream at those
// offsets, and the next append writes other plaintext there: so an append
// continues the last keystream segment only when this process committed
// the previous append of the blob and no append of it failed since
// (appendClean); otherwise it starts a new segment with a fresh data id,
// recorded in the record. No (key, data id, offset) ever encrypts two
// different plaintexts, and a steady stream of appends adds no segments.
func (s *Store) AppendObject(ctx context.Context, in oss.AppendObjectInput, body io.Reader) (oss.ObjectInfo, error) {
	const op = "AppendObject"
	p := in.Put
	if err := checkPut(op, &p); err != nil {
		return oss.ObjectInfo{}, err
	}
	if in.Position < 0 {
		return oss.ObjectInfo{}, invalidArg(op, "position", itoa(int(in.Position)), "The position must not be negative.")
	}
	if err := s.outboxRoom(op); err != nil {
		return oss.ObjectInfo{}, err
	}
	bs, release, err := s.writeBucket(op, p.Bucket)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	defer release()
	unlock := s.keys.lock(p.Bucket, p.Key)
	defer unlock()
	old, err := s.getRecord(objectKey(p.Bucket, p.Key))
	if err != nil {
		return oss.ObjectInfo{}, oss.Wrap(op, err)
	}
	if old != nil && (old.deleteMarker() || old.Type != oss.TypeAppendable || len(old.Extents) != 1) {
		e := oss.E(op, oss.ObjectNotAppendable, "The object is not appendable.")
		e.Bucket, e.Key = p.Bucket, p.Key
		return oss.ObjectInfo{}, e
	}
	if old == nil {
		if in.Position != 0 {
			return oss.ObjectInfo{}, positionError(op, 0, 0)
		}
		return s.appendCreate(ctx, op, bs, &p, body)
	}
	if in.Position != old.Size {
		return oss.ObjectInfo{}, positionError(op, old.Size, old.CRC64)
	}
	ext := old.Extents[0]
	var enc *encState
	var c DataCipher
	if old.Enc != nil {
		sl, err := s.sealerOf(op, old.Enc)
		if err != nil {
			return oss.ObjectInfo{}, err
		}
		enc = &encState{Wrapped: old.Enc.Wrapped, Segs: append([]encSeg(nil), old.Enc.Segs...)}
		if len(enc.Segs) == 0 { // data keyed by the extent id, as without segments
			enc.Segs = []encSeg{{Off: 0, ID: ext.ID}}
		}
		if n, ok := s.appendClean.get(ext.ID); !ok || n != old.Size {
			seg := encSeg{Off: old.Size, ID: s.clock.next()}
			if k := len(enc.Segs); k > 0 && enc.Segs[k-1].Off == seg.Off {
				enc.Segs[k-1] = seg // the last segment holds no committed byte
			} else {
				enc.Segs = append(enc.Segs, seg)
			}
		}
		if c, err = sl.cipher(enc.Segs[len(enc.Segs)-1].ID); err != nil {
			return oss.ObjectInfo{}, oss.Wrap(op, err)
		}
		// From here until the commit, the blob may hold bytes at the
		// committed length encrypted under this segment.
		s.appendClean.forget(ext.ID)
	}
	f, err := os.OpenFile(s.blobs.path(ext.ID), os.O_RDWR, 0)
	if err != nil {
		return oss.ObjectInfo{}, oss.Wrap(op, err)
	}
	defer f.Close()
	if err := f.Truncate(old.Size); err != nil { // drop a failed append's tail
		return oss.ObjectInfo{}, oss.Wrap(op, err)
	}
	h := checksum.NewHasher(old.CRC64)
	fail := func(err error) (oss.ObjectInfo, error) {
		f.Truncate(old.Size)
		return oss.ObjectInfo{}, err
	}
	var w io.Writer = io.NewOffsetWriter(f, old.Size)
	if c != nil {
		ew := newEncWriter(w, c, old.Size)
		defer ew.release()
		w = ew
	}
	if err := copyHashed(op, w, h, body, p.Size, old.Size); err != nil {
		return fail(err)
	}
	if len(p.ContentMD5) != 0 && !bytes.Equal(p.ContentMD5, h.Sum()) {
		return fail(oss.E(op, oss.InvalidDigest, "The Content-MD5 you specified did not match what we received."))
	}
	if err := f.Sync(); err != nil {
		return fail(oss.Wrap(op, err))
	}
	now := s.now()
	r := *old
	r.Size = old.Size + h.Len()
	r.CRC64 = h.CRC64()
	r.ETag = appendETag(r.CRC64, r.Size)
	r.MTime = now.UnixNano()
	r.Extents = []extent{{Kind: extFile, ID: ext.ID, Size: r.Size}}
	r.Enc = enc
	t := s.newTxn(ctx)
	defer t.abort()
	t.setRecord(objectKey(p.Bucket, p.Key), &r)
	t.delta(counterDelta{bs: bs, storage: h.Len(), mtime: r.MTime})
	info := r.info(p.Bucket, p.Key, bs.versioning(), true)
	pos := old.Size
	t.objectEvent(bs, now, eventSpec{name: oss.ObjectCreatedAppend, key: p.Key, versionID: info.VersionID,
		size: r.Size, deltaSize: h.Len(), etag: r.ETag, position: &pos})
	if err := t.commit(op); err != nil {
		if t.applied {
			return oss.ObjectInfo{}, err
		}
		return fail(err)
	}
	if enc != nil {
		s.appendClean.set(ext.ID, r.Size)
	}
	return info, nil
}

// appendCreate creates an appendable object from its first append. The
// caller holds the bucket's read lock and the key's lock.
func (s *Store) appendCreate(ctx context.Context, op string, bs *bucketState, p *oss.PutObjectInput, body io.Reader) (oss.ObjectInfo, error) {
	sse, err := s.resolveSSE(op, p.SSE, bs)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	sl, err := s.newSealer(op, sse)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	h := checksum.NewHasher(0)
	id, err := s.writeBlob(op, h, nil, body, p.Size, sl)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if len(p.ContentMD5) != 0 && !bytes.Equal(p.ContentMD5, h.Sum()) {
		s.blobs.remove(id)
		s.blobs.release(id)
		return oss.ObjectInfo{}, oss.E(op, oss.InvalidDigest, "The Content-MD5 you specified did not match what we received.")
	}
	r := newRecord(bs, p)
	r.seal(sl, sse)
	if r.Enc != nil {
		// The first segment is keyed by the blob id, as writeBlob encrypted it.
		r.Enc.Segs = []encSeg{{Off: 0, ID: id}}
	}
	r.Type = oss.TypeAppendable
	r.Size, r.CRC64 = h.Len(), h.CRC64()
	r.ETag = appendETag(r.CRC64, r.Size)
	t := s.newTxn(ctx)
	t.addBlob(id)
	r.Extents = []extent{{Kind: extFile, ID: id, Size: r.Size}}
	var pos int64
	info, err := s.installLocked(op, t, bs, p.Key, nil, r, installOpts{event: oss.ObjectCreatedAppend, position: &pos})
	if err == nil && r.Enc != nil {
		s.appendClean.set(id, r.Size)
	}
	return info, err
}
