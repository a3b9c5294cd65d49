package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ossflow/ossflow/oss"
)

// Encryption is what the engine needs for server-side encryption at rest
// (x-oss-server-side-encryption: AES256): envelope keys and a seekable
// length-preserving cipher. The store never sees the master key; the
// composition root adapts package access (KeyManager, NewObjectCipher).
type Encryption interface {
	// NewDataKey returns a fresh data key and its wrapped form (the only
	// one stored).
	NewDataKey() (key, wrapped []byte, err error)
	// Unwrap returns the data key of a wrapped key; it fails (never yields
	// a wrong key) for a key wrapped under another master key or altered.
	Unwrap(wrapped []byte) ([]byte, error)
	// Cipher returns the keystream of the data identified by dataID under
	// key. (key, dataID) must never encrypt two different plaintexts at
	// the same offset.
	Cipher(key, dataID []byte) (DataCipher, error)
}

// DataCipher encrypts and decrypts (XOR with a keystream) bytes at any
// offset of one piece of stored data.
type DataCipher interface {
	XORAt(dst, src []byte, off int64)
}

// SSEAES256 is the one server-side encryption algorithm the engine
// implements.
const SSEAES256 = "AES256"

// encState is the stored encryption of a record's data: the wrapped data
// key and which data id keys which bytes. With no segments, every extent is
// keyed by its own ID (unique per stored data, so the parts of a multipart
// object, which share the upload's data key, never share a keystream), at
// offsets within the extent. An appendable object's single extent is
// keyed by segments: each starts at an offset with its own data id and
// runs to the next (see AppendObject for when a segment starts).
type encState struct {
	Wrapped []byte
	Segs    []encSeg
}

type encSeg struct {
	Off int64
	ID  uint64
}

func dataID(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func errSSENotConfigured(op string) error {
	return oss.E(op, oss.NotImplemented, "Server-side encryption is not configured on this server.")
}

// resolveSSE returns the algorithm a new write is encrypted with: the
// requested one, else the bucket's default. Only AES256 is implemented;
// KMS and SM4 (valid OSS values) are NotImplemented.
func (s *Store) resolveSSE(op, requested string, bs *bucketState) (string, error) {
	algo := requested
	if algo == "" {
		algo = bs.info.Load().ServerSideEncryp
	}
	return algo, s.checkSSEAvailable(op, algo)
}

func (s *Store) checkSSEAvailable(op, algo string) error {
	switch algo {
	case "":
		return nil
	case SSEAES256:
		if s.opts.Encryption == nil {
			return errSSENotConfigured(op)
		}
		return nil
	case "KMS", "SM4":
		return oss.E(op, oss.NotImplemented, "Server-side encryption with %s is not implemented; use AES256.", algo)
	}
	return oss.E(op, oss.InvalidEncryptionAlgorithm, "The encryption algorithm specified is not supported.")
}

// sealer encrypts the data of one write under one data key.
type sealer struct {
	enc     Encryption
	key     []byte
	wrapped []byte
}

// newSealer returns the sealer of a new data key for algo (nil for no
// encryption).
func (s *Store) newSealer(op, algo string) (*sealer, error) {
	if algo == "" {
		return nil, nil
	}
	key, wrapped, err := s.opts.Encryption.NewDataKey()
	if err != nil {
		return nil, oss.Wrap(op, err)
	}
	return &sealer{enc: s.opts.Encryption, key: key, wrapped: wrapped}, nil
}

// sealerOf returns the sealer continuing an existing encryption state (an
// upload's parts, an append), nil for none.
func (s *Store) sealerOf(op string, es *encState) (*sealer, error) {
	if es == nil {
		return nil, nil
	}
	key, err := s.unwrap(es)
	if err != nil {
		return nil, oss.Wrap(op, err)
	}
	return &sealer{enc: s.opts.Encryption, key: key, wrapped: es.Wrapped}, nil
}

func (sl *sealer) cipher(id uint64) (DataCipher, error) { return sl.enc.Cipher(sl.key, dataID(id)) }

// state is the encState to store with data written by sl.
func (sl *sealer) state() *encState {
	return &encState{Wrapped: append([]byte(nil), sl.wrapped...)}
}

// seal sets r's encryption from sl (nil: none).
func (r *record) seal(sl *sealer, algo string) {
	if sl == nil {
		r.SSE, r.Enc = "", nil
		return
	}
	r.SSE, r.Enc = algo, sl.state()
}

var errUnwrap = errors.New("store: cannot unwrap the data key of an encrypted object (was the server-side encryption master key changed?)")

// unwrap returns the data key of es.
func (s *Store) unwrap(es *encState) ([]byte, error) {
	if s.opts.Encryption == nil {
		return nil, errors.New("store: the object is encrypted but server-side encryption is not configured")
	}
	key, err := s.opts.Encryption.Unwrap(es.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUnwrap, err)
	}
	return key, nil
}

// recCrypt decrypts the extents of one record.
type recCrypt struct {
	enc  Encryption
	key  []byte
	segs []encSeg
	mu   sync.Mutex
	cs   []DataCipher // per segment, made on first use
}

// decrypter returns the decryption of r's data, nil when it is plaintext.
func (s *Store) decrypter(r *record) (*recCrypt, error) {
	if r.Enc == nil {
		return nil, nil
	}
	key, err := s.unwrap(r.Enc)
	if err != nil {
		return nil, err
	}
	return &recCrypt{enc: s.opts.Encryption, key: key, segs: r.Enc.Segs, cs: make([]DataCipher, len(r.Enc.Segs))}, nil
}

// xor decrypts src, the bytes at off of extent e, into dst. cache holds
// the extent's cipher for segment-less records.
func (rc *recCrypt) xor(e extent, cache *DataCipher, dst, src []byte, off int64) error {
	if len(rc.segs) == 0 {
		if *cache == nil {
			c, err := rc.enc.Cipher(rc.key, dataID(e.ID))
			if err != nil {
				return err
			}
			*cache = c
		}
		(*cache).XORAt(dst, src, off)
		return nil
	}
	for len(src) > 0 {
		i := len(rc.segs) - 1
		for i > 0 && rc.segs[i].Off > off {
			i--
		}
		n := int64(len(src))
		if i+1 < len(rc.segs) {
			n = min(n, rc.segs[i+1].Off-off)
		}
		if n <= 0 { // a malformed segment list (the decoder checks the order)
			return errCorrupt
		}
		c, err := rc.segCipher(i)
		if err != nil {
			return err
		}
		c.XORAt(dst[:n], src[:n], off)
		dst, src, off = dst[n:], src[n:], off+n
	}
	return nil
}

func (rc *recCrypt) segCipher(i int) (DataCipher, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.cs[i] == nil {
		c, err := rc.enc.Cipher(rc.key, dataID(rc.segs[i].ID))
		if err != nil {
			return nil, err
		}
		rc.cs[i] = c
	}
	return rc.cs[i], nil
}

// encWriter encrypts what it writes to w, src bytes being at offset off of
// the data: it never modifies the caller's buffer (which the pipelined copy
// hashes concurrently).
type encWriter struct {
	w   io.Writer
	c   DataCipher
	off int64
	bp  *[]byte
}

func newEncWriter(w io.Writer, c DataCipher, off int64) *encWriter {
	return &encWriter{w: w, c: c, off: off}
}

func (e *encWriter) Write(p []byte) (int, error) {
	if e.bp == nil {
		e.bp = copyBufs.Get().(*[]byte)
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), len(*e.bp))
		b := (*e.bp)[:n]
		e.c.XORAt(b, p[:n], e.off)
		m, err := e.w.Write(b)
		e.off += int64(m)
		written += m
		if err == nil && m < n {
			err = io.ErrShortWrite
		}
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// release returns the writer's buffer.
func (e *encWriter) release() {
	if e.bp != nil {
		copyBufs.Put(e.bp)
		e.bp = nil
	}
}

// PutBucketEncryption sets a bucket's default server-side encryption (the
// algorithm applied to writes that name none); "" removes it. Only AES256
// is implemented (KMS and SM4 are NotImplemented).
func (s *Store) PutBucketEncryption(ctx context.Context, name, algo string) error {
	const op = "PutBucketEncryption"
	if err := s.checkSSEAvailable(op, algo); err != nil {
		return err
	}
	return s.updateBucket(ctx, op, name, func(b *oss.Bucket) error {
		b.ServerSideEncryp = algo
		return nil
	})
}

// appendClean remembers, per appendable blob, the committed length after
// an encrypted append this process committed with no failed append since:
// only then may the next append continue the last segment's keystream (see
// AppendObject).
type appendClean struct {
	mu sync.Mutex
	m  map[uint64]int64
}

func (a *appendClean) get(id uint64) (int64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, ok := a.m[id]
	return n, ok
}

func (a *appendClean) set(id uint64, size int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil || len(a.m) >= 1<<16 { // bounded: forgetting only costs a new segment
		a.m = make(map[uint64]int64)
	}
	a.m[id] = size
}

func (a *appendClean) forget(id uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, id)
}
