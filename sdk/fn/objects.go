package fn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/ossflow/ossflow/runtime/abi"
)

// ObjectInfo describes a stored object.
type ObjectInfo = abi.ObjectInfo

// PutOptions are an object's content headers and user metadata.
type PutOptions = abi.PutOptions

// ListInput selects a page of a bucket's objects.
type ListInput = abi.ListRequest

// ListOutput is a page of objects.
type ListOutput = abi.ListResult

// maxChunk bounds one host read or write (the ABI's lengths are u32; the
// host streams, so a chunk never needs to be large).
const maxChunk = 1 << 30

// copyBufSize is the buffer ObjectWriter.ReadFrom uses: large enough that
// per-call overhead vanishes, small enough for a tight memory cap.
const copyBufSize = 256 << 10

// ObjectReader streams an object from the store. Only the bytes of each
// Read pass through guest memory, so any object size fits in any memory
// limit.
type ObjectReader struct {
	h      int32
	closed bool
	info   *ObjectInfo
}

// OpenObject opens bucket/key for reading. The function needs a Read grant
// covering it.
func OpenObject(ctx context.Context, bucket, key string) (*ObjectReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h := hostObjOpenRead(strPtr(bucket), uint32(len(bucket)), strPtr(key), uint32(len(key)))
	if h < 0 {
		return nil, hostError(h)
	}
	return &ObjectReader{h: h}, nil
}

// Read implements io.Reader.
func (r *ObjectReader) Read(p []byte) (int, error) {
	return readHandle(hostObjRead, r.h, r.closed, "object", p)
}

// Info describes the object being read.
func (r *ObjectReader) Info() (ObjectInfo, error) {
	if r.info != nil {
		return *r.info, nil
	}
	if r.closed {
		return ObjectInfo{}, errors.New("fn: info of a closed object")
	}
	b, err := withResult(func(buf unsafe.Pointer, n uint32) int32 { return hostObjInfo(r.h, buf, n) })
	if err != nil {
		return ObjectInfo{}, err
	}
	var info ObjectInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return ObjectInfo{}, fmt.Errorf("fn: decode object info: %w", err)
	}
	r.info = &info
	return info, nil
}

// Close releases the object.
func (r *ObjectReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if n := hostObjClose(r.h); n < 0 {
		return hostError(n)
	}
	return nil
}

// ObjectWriter streams an object into the store. Nothing is stored until
// Commit succeeds; Abort (or an invocation that ends first) stores nothing.
type ObjectWriter struct {
	h    int32
	done bool
	err  error
}

// CreateObject starts writing bucket/key. size is the exact length, or -1
// when unknown. opts may be nil. The function needs a Write grant.
func CreateObject(ctx context.Context, bucket, key string, size int64, opts *PutOptions) (*ObjectWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var optsJSON []byte
	if opts != nil {
		var err error
		if optsJSON, err = json.Marshal(opts); err != nil {
			return nil, err
		}
	}
	h := hostObjOpenWrite(strPtr(bucket), uint32(len(bucket)), strPtr(key), uint32(len(key)),
		bytesPtr(optsJSON), uint32(len(optsJSON)), size)
	if h < 0 {
		return nil, hostError(h)
	}
	return &ObjectWriter{h: h}, nil
}

// Write implements io.Writer. The first error sticks.
func (w *ObjectWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.done {
		return 0, errors.New("fn: write after commit or abort")
	}
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), maxChunk)]
		n := hostObjWrite(w.h, bytesPtr(chunk), uint32(len(chunk)))
		if n < 0 {
			w.err = hostError(n)
			return written, w.err
		}
		written += int(n)
		p = p[n:]
	}
	return written, nil
}

// ReadFrom implements io.ReaderFrom, so io.Copy streams with a buffer of
// copyBufSize.
func (w *ObjectWriter) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, copyBufSize)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Commit finishes the object and returns what was stored.
func (w *ObjectWriter) Commit() (ObjectInfo, error) {
	if w.done {
		return ObjectInfo{}, errors.New("fn: commit after commit or abort")
	}
	if w.err != nil {
		_ = w.Abort()
		return ObjectInfo{}, w.err
	}
	w.done = true
	b, err := withResult(func(buf unsafe.Pointer, n uint32) int32 { return hostObjCommit(w.h, buf, n) })
	if err != nil {
		return ObjectInfo{}, err
	}
	var info ObjectInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return ObjectInfo{}, fmt.Errorf("fn: decode object info: %w", err)
	}
	return info, nil
}

// Abort discards the object. It is a no-op after Commit.
func (w *ObjectWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if n := hostObjAbort(w.h); n < 0 {
		return hostError(n)
	}
	return nil
}

// PutObject stores r as bucket/key (size is r's length, or -1 if unknown).
func PutObject(ctx context.Context, bucket, key string, r io.Reader, size int64, opts *PutOptions) (ObjectInfo, error) {
	w, err := CreateObject(ctx, bucket, key, size, opts)
	if err != nil {
		return ObjectInfo{}, err
	}
	if _, err := w.ReadFrom(r); err != nil {
		_ = w.Abort()
		return ObjectInfo{}, err
	}
	return w.Commit()
}

// HeadObject describes bucket/key without reading it.
func HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, err
	}
	b, err := withResult(func(buf unsafe.Pointer, n uint32) int32 {
		return hostObjHead(strPtr(bucket), uint32(len(bucket)), strPtr(key), uint32(len(key)), buf, n)
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	var info ObjectInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return ObjectInfo{}, fmt.Errorf("fn: decode object info: %w", err)
	}
	return info, nil
}

// ListObjects returns one page of a bucket's objects in key order.
func ListObjects(ctx context.Context, in ListInput) (ListOutput, error) {
	if err := ctx.Err(); err != nil {
		return ListOutput{}, err
	}
	req, err := json.Marshal(in)
	if err != nil {
		return ListOutput{}, err
	}
	b, err := withResult(func(buf unsafe.Pointer, n uint32) int32 {
		return hostObjList(bytesPtr(req), uint32(len(req)), buf, n)
	})
	if err != nil {
		return ListOutput{}, err
	}
	var out ListOutput
	if err := json.Unmarshal(b, &out); err != nil {
		return ListOutput{}, fmt.Errorf("fn: decode listing: %w", err)
	}
	return out, nil
}

// DeleteObject deletes bucket/key (deleting a missing key succeeds).
func DeleteObject(ctx context.Context, bucket, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n := hostObjDelete(strPtr(bucket), uint32(len(bucket)), strPtr(key), uint32(len(key))); n < 0 {
		return hostError(n)
	}
	return nil
}
