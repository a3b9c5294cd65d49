package store

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// lookup finds a version of key: the current one when vid is "", the null
// version for "null", else the version with that id. Delete markers are
// returned as found; latest tells whether the record is the current one.
func (s *Store) lookup(rd pebble.Reader, op string, bs *bucketState, key, vid string) (*record, bool, error) {
	cur, err := getRecordFrom(rd, objectKey(bs.name, key))
	if err != nil {
		return nil, false, oss.Wrap(op, err)
	}
	switch vid {
	case "":
		if cur == nil {
			return nil, false, noSuchKey(op, bs.name, key)
		}
		return cur, true, nil
	case oss.NullVersionID:
		if cur != nil && cur.isNull() {
			return cur, true, nil
		}
		nv, _, err := findNullVersion(rd, bs.name, key)
		if err != nil {
			return nil, false, oss.Wrap(op, err)
		}
		if nv == nil {
			return nil, false, noSuchVersion(op, bs.name, key, vid)
		}
		return nv, false, nil
	}
	vseq, ok := parseVersionID(vid)
	if !ok {
		return nil, false, noSuchVersion(op, bs.name, key, vid)
	}
	if cur != nil && !cur.isNull() && cur.VSeq == vseq {
		return cur, true, nil
	}
	r, err := getRecordFrom(rd, versionKey(bs.name, key, vseq))
	if err != nil {
		return nil, false, oss.Wrap(op, err)
	}
	if r == nil || r.isNull() {
		return nil, false, noSuchVersion(op, bs.name, key, vid)
	}
	return r, false, nil
}

// resolved is a read after lookup, symlink resolution and preconditions.
type resolved struct {
	info oss.ObjectInfo
	data *record // whose extents hold the content (the target of a followed symlink)
	rng  *oss.Range
}

// resolveRead looks an object up for GetObject / HeadObject: it follows a
// symlink one level (unless NoFollow), evaluates the preconditions and
// resolves the range. A delete marker yields NoSuchKey together with an info
// whose DeleteMarker is set (OSS answers 404 with x-oss-delete-marker).
func (s *Store) resolveRead(op string, in *oss.GetObjectInput) (resolved, error) {
	bs, err := s.readBucket(op, in.Bucket)
	if err != nil {
		return resolved{}, err
	}
	if err := oss.CheckObjectKey(op, in.Key); err != nil {
		return resolved{}, err
	}
	rec, latest, err := s.lookup(s.db, op, bs, in.Key, in.VersionID)
	if err != nil {
		return resolved{}, err
	}
	vs := bs.versioning()
	info := rec.info(in.Bucket, in.Key, vs, latest)
	if rec.deleteMarker() {
		return resolved{info: info}, noSuchKey(op, in.Bucket, in.Key)
	}
	data := rec
	if rec.Type == oss.TypeSymlink && !in.NoFollow {
		tgt, err := s.followSymlink(op, bs, rec)
		if err != nil {
			return resolved{}, err
		}
		data = tgt
		ti := tgt.info(in.Bucket, rec.Target, vs, true)
		ti.Key, ti.VersionID, ti.IsLatest = in.Key, info.VersionID, latest
		ti.SymlinkTarget = rec.Target
		if info.LastModified.After(ti.LastModified) {
			ti.LastModified = info.LastModified
		}
		info = ti
	}
	if err := in.Conditions.Check(info, false); err != nil {
		setOp(err, op)
		return resolved{info: info}, err
	}
	rng, err := in.Range.Resolve(info.Size)
	if err != nil {
		setOp(err, op)
		return resolved{info: info}, err
	}
	return resolved{info: info, data: data, rng: rng}, nil
}

func setOp(err error, op string) {
	var e *oss.Error
	if errors.As(err, &e) && e.Op == "" {
		e.Op = op
	}
}

// followSymlink returns the current version of link's target: missing (or a
// delete marker) -> SymlinkTargetNotExist, itself a symlink ->
// InvalidTargetType.
func (s *Store) followSymlink(op string, bs *bucketState, link *record) (*record, error) {
	tgt, err := s.getRecord(objectKey(bs.name, link.Target))
	if err != nil {
		return nil, oss.Wrap(op, err)
	}
	if tgt == nil || tgt.deleteMarker() {
		e := oss.E(op, oss.SymlinkTargetNotExist, "The symlink target object does not exist.")
		e.Bucket, e.Key = bs.name, link.Target
		return nil, e
	}
	if tgt.Type == oss.TypeSymlink {
		e := oss.E(op, oss.InvalidTargetType, "The symbolic link target is itself a symbolic link.")
		e.Bucket, e.Key = bs.name, link.Target
		return nil, e
	}
	return tgt, nil
}

// maxReadRetries bounds the retries of a read whose data vanished under a
// concurrent overwrite between the record lookup and the open.
const maxReadRetries = 16

// GetObject opens an object (version) for reading. The body reads a
// consistent version even if the key is overwritten meanwhile.
//
// When the object was found but is not served — NotModified,
// PreconditionFailed, InvalidRange, or a delete marker (NoSuchKey) — the
// error comes with an output whose Info describes it (for the ETag and
// Last-Modified of a 304, or x-oss-delete-marker) and whose Body is nil.
func (s *Store) GetObject(ctx context.Context, in oss.GetObjectInput) (*oss.GetObjectOutput, error) {
	const op = "GetObject"
	for attempt := 0; ; attempt++ {
		rs, err := s.resolveRead(op, &in)
		if err != nil {
			if rs.info.Key != "" {
				return &oss.GetObjectOutput{Info: rs.info}, err
			}
			return nil, err
		}
		start, length := int64(0), rs.data.Size
		if rs.rng != nil {
			start, length = rs.rng.Start, rs.rng.Length
		}
		body, err := s.openData(rs.data, start, length)
		if isNotExist(err) && attempt < maxReadRetries {
			continue
		}
		if err != nil {
			return nil, oss.Wrap(op, err)
		}
		return &oss.GetObjectOutput{Info: rs.info, Range: rs.rng, Body: body}, nil
	}
}

// HeadObject is GetObject without the body; like GetObject it returns the
// object's info along with NotModified, PreconditionFailed, InvalidRange and
// a delete marker's NoSuchKey.
func (s *Store) HeadObject(ctx context.Context, in oss.GetObjectInput) (oss.ObjectInfo, error) {
	rs, err := s.resolveRead("HeadObject", &in)
	return rs.info, err
}

// piece is the part of one extent a reader serves.
type piece struct {
	ext  extent
	off  int64 // first byte within the extent
	n    int64 // bytes to serve
	pos  int64 // bytes served
	data []byte
	f    *os.File
	rc   *recCrypt  // decryption of an encrypted record's data, else nil
	dc   DataCipher // the extent's cipher (rc's cache)
}

// objectReader serves a byte range spanning an object's extents. Inline
// data and the first files are opened when the reader is created, so a
// concurrent overwrite that unlinks them cannot cut the body short; objects
// with very many parts open the rest lazily.
type objectReader struct {
	s      *Store
	pieces []piece
	i      int
}

const eagerOpens = 64

func (s *Store) openData(r *record, start, length int64) (*objectReader, error) {
	rc, err := s.decrypter(r)
	if err != nil {
		return nil, err
	}
	or := &objectReader{s: s}
	var off int64
	for _, e := range r.Extents {
		end := off + e.Size
		if end > start && off < start+length {
			ps := max(start-off, 0)
			pe := min(e.Size, start+length-off)
			if pe > ps {
				or.pieces = append(or.pieces, piece{ext: e, off: ps, n: pe - ps, rc: rc})
			}
		}
		off = end
	}
	opened := 0
	for i := range or.pieces {
		p := &or.pieces[i]
		switch p.ext.Kind {
		case extInline:
			v, ok, err := s.get(dataKey(p.ext.ID))
			if err == nil && !ok {
				err = fs.ErrNotExist
			}
			if err == nil && int64(len(v)) < p.off+p.n {
				err = errCorrupt
			}
			if err != nil {
				or.Close()
				return nil, err
			}
			p.data = v[p.off : p.off+p.n]
		case extFile:
			if opened >= eagerOpens {
				continue
			}
			f, err := s.blobs.open(p.ext.ID)
			if err != nil {
				or.Close()
				return nil, err
			}
			p.f = f
			opened++
		}
	}
	return or, nil
}

func (or *objectReader) Read(b []byte) (int, error) {
	for or.i < len(or.pieces) {
		p := &or.pieces[or.i]
		if p.pos >= p.n {
			if p.f != nil {
				p.f.Close()
				p.f = nil
			}
			or.i++
			continue
		}
		if len(b) == 0 {
			return 0, nil
		}
		want := min(int64(len(b)), p.n-p.pos)
		if p.ext.Kind == extInline {
			n := copy(b[:want], p.data[p.pos:])
			if err := p.decrypt(b[:n]); err != nil {
				return 0, err
			}
			p.pos += int64(n)
			return n, nil
		}
		if p.f == nil {
			f, err := or.s.blobs.open(p.ext.ID)
			if err != nil {
				return 0, err
			}
			p.f = f
		}
		n, err := p.f.ReadAt(b[:want], p.off+p.pos)
		if n > 0 {
			if err := p.decrypt(b[:n]); err != nil {
				return 0, err
			}
			p.pos += int64(n)
			return n, nil
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // a blob shorter than its record: corruption
		}
		return 0, err
	}
	return 0, io.EOF
}

// WriteTo copies the remaining data to w without an intermediate buffer
// for inline pieces.
func (or *objectReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	for {
		if or.i < len(or.pieces) && or.pieces[or.i].ext.Kind == extInline && or.pieces[or.i].rc == nil && or.pieces[or.i].pos < or.pieces[or.i].n {
			p := &or.pieces[or.i]
			n, err := w.Write(p.data[p.pos:])
			p.pos += int64(n)
			total += int64(n)
			if err != nil {
				return total, err
			}
			continue
		}
		n, err := or.Read(*bp)
		if n > 0 {
			m, werr := w.Write((*bp)[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// decrypt decrypts in place b, the stored bytes at p.pos of the piece.
func (p *piece) decrypt(b []byte) error {
	if p.rc == nil {
		return nil
	}
	return p.rc.xor(p.ext, &p.dc, b, b, p.off+p.pos)
}

func (or *objectReader) Close() error {
	for i := range or.pieces {
		if f := or.pieces[i].f; f != nil {
			f.Close()
			or.pieces[i].f = nil
		}
	}
	or.pieces = nil
	return nil
}
