package store

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// body is object data received and hashed in one pass: inline bytes, or a
// sealed (fsynced) blob file that is in flight until a txn takes it.
type body struct {
	inline   []byte
	pool     *bufPool // where inline came from (nil: not pooled)
	inlineID uint64   // the inline data's id when chosen before attach (encrypted data); 0 = at attach
	blob     uint64   // 0 = none
	size     int64
	md5      []byte
	crc      uint64
}

// attach adds the data to t and returns its extents.
func (b *body) attach(t *txn) []extent {
	switch {
	case b.blob != 0:
		t.addBlob(b.blob)
		return []extent{{Kind: extFile, ID: b.blob, Size: b.size}}
	case b.size > 0 && b.inlineID != 0:
		e := t.addInlineID(b.inlineID, b.inline)
		b.releaseInline()
		return []extent{e}
	case b.size > 0:
		e := t.addInline(b.inline)
		b.releaseInline()
		return []extent{e}
	}
	return nil
}

// releaseInline hands a pooled inline buffer back once the batch holds a
// copy of its bytes.
func (b *body) releaseInline() {
	if b.pool != nil {
		b.pool.put(b.inline)
		b.inline, b.pool = nil, nil
	}
}

// discard drops an unattached body.
func (s *Store) discard(b *body) {
	if b != nil && b.blob != 0 {
		s.blobs.remove(b.blob)
		s.blobs.release(b.blob)
	}
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// bodyErr maps a failure to read the client's body: a premature end is
// IncompleteBody; an *oss.Error from the reader (e.g. RequestTimeout set by
// the protocol layer) passes through.
func bodyErr(op string, err error) error {
	var oe *oss.Error
	if errors.As(err, &oe) {
		return err
	}
	e := oss.E(op, oss.IncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		e.Err = err
	}
	return e
}

// readBody receives size bytes (or, when size < 0, everything up to EOF,
// at most oss.MaxObjectSize) from r, hashing MD5 and CRC-64 while storing
// them: inline when inlineOK and the data fits the inline threshold, else
// into a new blob file, fsynced before return. wantMD5, when set, is
// verified (InvalidDigest). With a sealer the data is encrypted before it
// is stored (the hashes are of the plaintext); inline data then gets its id
// here, as it keys the keystream.
func (s *Store) readBody(op string, r io.Reader, size int64, wantMD5 []byte, inlineOK bool, sl *sealer) (*body, error) {
	limit := s.inline
	if !inlineOK {
		limit = -1
	}
	h := checksum.NewHasher(0)
	bd := &body{}
	switch {
	case size >= 0 && size <= limit:
		buf := s.bufs.get(int(size))
		if _, err := io.ReadFull(r, buf); err != nil {
			s.bufs.put(buf)
			return nil, bodyErr(op, err)
		}
		h.Write(buf)
		bd.inline, bd.pool = buf, &s.bufs
		if err := s.sealInline(bd, sl); err != nil {
			return nil, oss.Wrap(op, err)
		}
	case size < 0 && limit >= 0:
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
			return nil, bodyErr(op, err)
		}
		if int64(buf.Len()) <= limit {
			h.Write(buf.Bytes())
			bd.inline = buf.Bytes()
			if err := s.sealInline(bd, sl); err != nil {
				return nil, oss.Wrap(op, err)
			}
			break
		}
		id, err := s.writeBlob(op, h, buf.Bytes(), r, -1, sl)
		if err != nil {
			return nil, err
		}
		bd.blob = id
	default:
		id, err := s.writeBlob(op, h, nil, r, size, sl)
		if err != nil {
			return nil, err
		}
		bd.blob = id
	}
	bd.size, bd.md5, bd.crc = h.Len(), h.Sum(), h.CRC64()
	if len(wantMD5) != 0 && !bytes.Equal(wantMD5, bd.md5) {
		s.discard(bd)
		return nil, oss.E(op, oss.InvalidDigest, "The Content-MD5 you specified did not match what we received.")
	}
	return bd, nil
}

// sealInline encrypts bd's inline data in place under a fresh inline id.
func (s *Store) sealInline(bd *body, sl *sealer) error {
	if sl == nil || len(bd.inline) == 0 {
		return nil
	}
	id := s.clock.next()
	c, err := sl.cipher(id)
	if err != nil {
		return err
	}
	c.XORAt(bd.inline, bd.inline, 0)
	bd.inlineID = id
	return nil
}

// writeBlob streams prefix and then r (exactly size bytes, or to EOF when
// size < 0) into a new blob file, hashing into h, and seals it; with a
// sealer, the plaintext is hashed and the ciphertext (keyed by the blob's
// id) written. The file is in flight on success and removed on failure.
func (s *Store) writeBlob(op string, h *checksum.Hasher, prefix []byte, r io.Reader, size int64, sl *sealer) (uint64, error) {
	id, f, err := s.blobs.create(s.clock.next)
	if err != nil {
		return 0, oss.Wrap(op, err)
	}
	fail := func(err error) (uint64, error) {
		f.Close()
		s.blobs.remove(id)
		s.blobs.release(id)
		return 0, err
	}
	var w io.Writer = f
	if sl != nil {
		c, err := sl.cipher(id)
		if err != nil {
			return fail(oss.Wrap(op, err))
		}
		ew := newEncWriter(f, c, 0)
		defer ew.release()
		w = ew
	}
	if len(prefix) > 0 {
		h.Write(prefix)
		if _, err := w.Write(prefix); err != nil {
			return fail(oss.Wrap(op, err))
		}
	}
	if err := copyHashed(op, w, h, r, size, int64(len(prefix))); err != nil {
		return fail(err)
	}
	if err := s.blobs.seal(id, f); err != nil {
		return fail(oss.Wrap(op, err))
	}
	if err := f.Close(); err != nil {
		return fail(oss.Wrap(op, err))
	}
	return id, nil
}

// copyHashed copies size bytes (to EOF when size < 0; in total, with the
// already bytes before them, at most MaxObjectSize) from r to w, hashing
// them into h. Bodies beyond a few MiB are pipelined: reading, hashing and
// writing run on separate goroutines over a ring of buffers, so the disk
// write overlaps the MD5 and CRC-64 computation; the data is still read
// once and hashed in one pass.
func copyHashed(op string, w io.Writer, h *checksum.Hasher, r io.Reader, size, already int64) error {
	if size < 0 || size > 4<<20 {
		return copyPipelined(op, w, h, r, size, already)
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	for remaining := size; remaining > 0; {
		chunk := (*bp)[:min(int64(len(*bp)), remaining)]
		n, err := io.ReadFull(r, chunk)
		if err != nil {
			return bodyErr(op, err)
		}
		h.Write(chunk[:n])
		if _, err := w.Write(chunk[:n]); err != nil {
			return oss.Wrap(op, err)
		}
		remaining -= int64(n)
	}
	return nil
}

type chunk struct {
	bp   *[]byte
	n    int
	refs atomic.Int32
}

func copyPipelined(op string, w io.Writer, h *checksum.Hasher, r io.Reader, size, already int64) error {
	const nbuf = 4
	free := make(chan *chunk, nbuf)
	for i := 0; i < nbuf; i++ {
		free <- &chunk{bp: copyBufs.Get().(*[]byte)}
	}
	hashC := make(chan *chunk, nbuf)
	writeC := make(chan *chunk, nbuf)
	release := func(c *chunk) {
		if c.refs.Add(-1) == 0 {
			free <- c
		}
	}
	var wg sync.WaitGroup
	var werr error
	var failed atomic.Bool
	wg.Add(2)
	go func() {
		defer wg.Done()
		for c := range hashC {
			h.Write((*c.bp)[:c.n])
			release(c)
		}
	}()
	go func() {
		defer wg.Done()
		for c := range writeC {
			if werr == nil {
				if _, werr = w.Write((*c.bp)[:c.n]); werr != nil {
					failed.Store(true)
				}
			}
			release(c)
		}
	}()
	var err error
	total, remaining := already, size
	for size < 0 || remaining > 0 {
		if failed.Load() {
			break
		}
		c := <-free
		buf := *c.bp
		if size >= 0 && remaining < int64(len(buf)) {
			buf = buf[:remaining]
		}
		n, rerr := io.ReadFull(r, buf)
		done := false
		switch {
		case rerr == nil:
		case size < 0 && (rerr == io.EOF || rerr == io.ErrUnexpectedEOF):
			done = true
		default:
			err = bodyErr(op, rerr)
		}
		total += int64(n)
		if err == nil && total > oss.MaxObjectSize {
			err = oss.E(op, oss.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size.")
		}
		if err != nil || n == 0 {
			free <- c
			break
		}
		c.n = n
		c.refs.Store(2)
		hashC <- c
		writeC <- c
		remaining -= int64(n)
		if done {
			break
		}
	}
	close(hashC)
	close(writeC)
	wg.Wait()
	for i := 0; i < nbuf; i++ {
		copyBufs.Put((<-free).bp)
	}
	if err != nil {
		return err
	}
	return oss.Wrap(op, werr)
}

// PutObject stores an object from body. The data is hashed (MD5 for the
// ETag, CRC-64) while it is written, verified against ContentMD5, made
// durable, and then committed atomically with its event. ForbidOverwrite
// and IfMatch are checked against the current version under the key lock,
// just before that commit; a write that fails them discards its data.
func (s *Store) PutObject(ctx context.Context, in oss.PutObjectInput, body io.Reader) (oss.ObjectInfo, error) {
	const op = "PutObject"
	if err := checkPut(op, &in); err != nil {
		return oss.ObjectInfo{}, err
	}
	bs, err := s.readBucket(op, in.Bucket)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if err := s.outboxRoom(op); err != nil {
		return oss.ObjectInfo{}, err
	}
	sse, err := s.resolveSSE(op, in.SSE, bs)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	sl, err := s.newSealer(op, sse)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	bd, err := s.readBody(op, body, in.Size, in.ContentMD5, true, sl)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	r := newRecord(bs, &in)
	r.seal(sl, sse)
	r.Size, r.CRC64, r.ETag = bd.size, bd.crc, checksum.ETag(bd.md5)
	t := s.newTxn(ctx)
	r.Extents = bd.attach(t)
	name := in.EventName
	if name == "" {
		name = oss.ObjectCreatedPut
	}
	return s.install(op, t, in.Bucket, in.Key, r, installOpts{forbidOverwrite: in.ForbidOverwrite, ifMatch: in.IfMatch, ifNoneMatch: in.IfNoneMatch, event: name})
}

// outboxRoom fails early with SlowDown when the outbox is at its bound, so
// a write does not stream its body only to be refused at commit.
func (s *Store) outboxRoom(op string) error {
	lim := s.opts.OutboxLimit
	if lim <= 0 {
		return nil
	}
	if s.lastSeq.Load()-s.ackedSeq.Load() >= uint64(lim) {
		return oss.E(op, oss.SlowDown, "The event outbox is full; please reduce your request rate.")
	}
	return nil
}
