package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/tetratelabs/wazero/api"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/runtime/abi"
)

// abortError is what a Put reads when the guest aborts its write (or the
// invocation ends with the write still open).
type abortError struct{}

func (abortError) Error() string { return "write aborted by the function" }

// readHandle is an object open for reading.
type readHandle struct {
	rc   io.ReadCloser
	info oss.ObjectInfo
}

func (h *readHandle) close() { _ = h.rc.Close() }

// writeHandle is an object being written: the guest's writes go through
// a pipe into the embedder's Put, which runs in its own goroutine.
type writeHandle struct {
	pw      *io.PipeWriter
	cancel  context.CancelFunc
	stop    func() bool // stops the deadline hook
	done    chan struct{}
	size    int64 // declared, or -1
	written int64
	info    oss.ObjectInfo
	err     error
}

func (h *writeHandle) close() {
	h.stop()
	h.pw.CloseWithError(abortError{})
	h.cancel()
}

func (in *instance) objects(call string) (Objects, bool) {
	if !in.inv.running || in.inv.env.Objects == nil {
		in.inv.fail(abi.Unavailable, "%s: objects are not available to this invocation", call)
		return nil, false
	}
	return in.inv.env.Objects, true
}

// grantedObjects checks that the function may act on bucket/key (verb
// "read" or "write") and that objects are available to the invocation. It
// returns the capability, or nil and the code to return to the guest.
func (in *instance) grantedObjects(call, verb, bucket, key string) (Objects, int32) {
	can := in.fn.grants.canRead
	if verb == "write" {
		can = in.fn.grants.canWrite
	}
	if !can(bucket, key) {
		return nil, in.deny(call, verb, bucket, key)
	}
	objs, ok := in.objects(call)
	if !ok {
		return nil, int32(abi.Unavailable)
	}
	return objs, 0
}

// hostErr reports a capability's error to the guest. Store errors show
// their protocol code and client message; an unclassified error is logged
// for the operator and shown as an internal error, so host internals do
// not leak into tenants' functions.
func (in *instance) hostErr(call string, err error) int32 {
	inv := &in.inv
	var de *deniedError
	var oe *oss.Error
	switch {
	case errors.As(err, &de):
		return inv.fail(abi.Denied, "%s: %s", call, de.msg)
	case inv.ctx != nil && inv.ctx.Err() != nil:
		return inv.fail(abi.Timeout, "%s: %v", call, inv.ctx.Err())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return inv.fail(abi.Timeout, "%s: %v", call, err)
	case errors.As(err, &oe):
		code := abi.IO
		switch oe.Code {
		case oss.NoSuchKey, oss.NoSuchBucket, oss.NoSuchVersion, oss.SymlinkTargetNotExist:
			code = abi.NotFound
		case oss.AccessDenied:
			code = abi.Denied
		case oss.InvalidArgument, oss.InvalidBucketName, oss.InvalidObjectName, oss.MissingArgument,
			oss.InvalidRequest, oss.BadRequest, oss.IncompleteBody, oss.InvalidTargetType:
			code = abi.Invalid
		case oss.EntityTooLarge:
			code = abi.TooLarge
		case oss.InternalError:
			in.fn.rt.log("error", fmt.Sprintf("function %s: %s: %v", in.fn.name, call, err))
			return inv.fail(abi.Internal, "%s: InternalError: %s", call, oe.Code.DefaultMessage())
		}
		return inv.fail(code, "%s: %s: %s", call, oe.Code.Name(), oe.Msg())
	}
	in.fn.rt.log("error", fmt.Sprintf("function %s: %s: %v", in.fn.name, call, err))
	return inv.fail(abi.IO, "%s: the host failed (details are in the server log)", call)
}

func (in *instance) bucketKey(mem api.Memory, s []uint64) (bucket, key string, ok bool) {
	if bucket, ok = in.str(mem, u32(s[0]), min(u32(s[1]), 256)); !ok {
		return
	}
	key, ok = in.str(mem, u32(s[2]), min(u32(s[3]), 4<<10))
	return
}

func (in *instance) deny(call, verb, bucket, key string) int32 {
	return in.inv.fail(abi.Denied, "%s: %s", call, deniedObject(in.fn.name, verb, bucket, key))
}

// object_open_read(bucket_ptr, bucket_len, key_ptr, key_len) -> handle
func hcObjOpenRead(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallObjOpenRead
	bucket, key, ok := in.bucketKey(mem, s)
	if !ok {
		return int32(abi.Invalid)
	}
	objs, code := in.grantedObjects(call, "read", bucket, key)
	if objs == nil {
		return code
	}
	rc, info, err := objs.Get(in.hostCtx(), bucket, key)
	if err != nil {
		return in.hostErr(call, err)
	}
	return in.addHandle(&readHandle{rc: rc, info: info})
}

// object_info(h, buf_ptr, buf_len) -> full length of the ObjectInfo JSON
func hcObjInfo(in *instance, mem api.Memory, s []uint64) int32 {
	h, ok := handleOf[*readHandle](in, abi.CallObjInfo, api.DecodeI32(s[0]))
	if !ok {
		return int32(in.inv.errCode)
	}
	return in.putJSON(mem, abi.CallObjInfo, wireInfo(h.info), u32(s[1]), u32(s[2]))
}

// object_read(h, buf_ptr, buf_len) -> bytes read; 0 at the end
func hcObjRead(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallObjRead
	h, ok := handleOf[*readHandle](in, call, api.DecodeI32(s[0]))
	if !ok {
		return int32(in.inv.errCode)
	}
	buf, ok := in.view(mem, u32(s[1]), u32(s[2]))
	if !ok {
		return int32(abi.Invalid)
	}
	if err := in.inv.ctx.Err(); err != nil {
		return in.hostErr(call, err)
	}
	if len(buf) == 0 {
		return 0
	}
	// The reader fills guest memory directly: no copy through the host.
	for range 100 {
		n, err := h.rc.Read(buf)
		if n > 0 {
			return int32(n)
		}
		if err == io.EOF {
			return 0
		}
		if err != nil {
			return in.hostErr(call, err)
		}
	}
	return in.inv.fail(abi.IO, "%s: the object's reader returned no data 100 times in a row", call)
}

// object_close(h) -> 0
func hcObjClose(in *instance, _ api.Memory, s []uint64) int32 {
	id := api.DecodeI32(s[0])
	h, ok := handleOf[hostHandle](in, abi.CallObjClose, id)
	if !ok {
		return int32(in.inv.errCode)
	}
	switch h.(type) {
	case *readHandle, *writeHandle:
	default:
		return in.inv.fail(abi.BadHandle, "%s: handle %d is not an object handle", abi.CallObjClose, id)
	}
	h.close()
	in.dropHandle(id)
	return 0
}

// object_open_write(bucket_ptr, bucket_len, key_ptr, key_len, opts_ptr, opts_len, size i64) -> handle
func hcObjOpenWrite(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallObjOpenWrite
	bucket, key, ok := in.bucketKey(mem, s)
	if !ok {
		return int32(abi.Invalid)
	}
	optsJSON, ok := in.view(mem, u32(s[4]), min(u32(s[5]), 64<<10))
	if !ok {
		return int32(abi.Invalid)
	}
	size := int64(s[6])
	var opts abi.PutOptions
	if len(optsJSON) > 0 {
		if err := json.Unmarshal(optsJSON, &opts); err != nil {
			return in.inv.fail(abi.Invalid, "%s: options: %v", call, err)
		}
	}
	switch {
	case size < -1:
		return in.inv.fail(abi.Invalid, "%s: size %d: give the size, or -1 when unknown", call, size)
	case size > oss.MaxObjectSize:
		return in.inv.fail(abi.TooLarge, "%s: size %d exceeds the maximum object size %d", call, size, int64(oss.MaxObjectSize))
	}
	objs, code := in.grantedObjects(call, "write", bucket, key)
	if objs == nil {
		return code
	}
	ctx, cancel := context.WithCancel(in.hostCtx())
	pr, pw := io.Pipe()
	h := &writeHandle{pw: pw, cancel: cancel, done: make(chan struct{}), size: size}
	// The invocation's deadline unblocks a write the store stopped reading.
	h.stop = context.AfterFunc(in.inv.ctx, func() { pw.CloseWithError(in.inv.ctx.Err()) })
	meta := metaFromWire(opts)
	rt := in.fn.rt
	name := in.fn.name
	go func() {
		defer close(h.done)
		defer func() {
			if r := recover(); r != nil {
				rt.log("error", fmt.Sprintf("function %s: Objects.Put panicked: %v", name, r))
				h.err = oss.E("PutObject", oss.InternalError, "")
			}
			// Unblock the guest if Put returned without reading everything.
			pr.CloseWithError(errors.New("the store stopped reading the object"))
		}()
		h.info, h.err = objs.Put(ctx, bucket, key, pr, size, meta)
	}()
	return in.addHandle(h)
}

// object_write(h, ptr, len) -> len
func hcObjWrite(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallObjWrite
	h, ok := handleOf[*writeHandle](in, call, api.DecodeI32(s[0]))
	if !ok {
		return int32(in.inv.errCode)
	}
	b, ok := in.view(mem, u32(s[1]), u32(s[2]))
	if !ok {
		return int32(abi.Invalid)
	}
	if h.size >= 0 && h.written+int64(len(b)) > h.size {
		return in.inv.fail(abi.TooLarge, "%s: writing past the declared size of %d bytes", call, h.size)
	}
	// io.Pipe hands b to the reader and returns only once it has been
	// copied, so the store never holds a reference to guest memory.
	n, err := h.pw.Write(b)
	h.written += int64(n)
	if err != nil {
		// The pipe closes only when Put returned (done follows at once) or
		// the deadline passed.
		select {
		case <-h.done:
			if h.err != nil {
				return in.hostErr(call, h.err)
			}
		case <-in.inv.ctx.Done():
		}
		return in.hostErr(call, err)
	}
	return int32(n)
}

// object_commit(h, buf_ptr, buf_len) -> full length of the ObjectInfo JSON
func hcObjCommit(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallObjCommit
	id := api.DecodeI32(s[0])
	h, ok := handleOf[*writeHandle](in, call, id)
	if !ok {
		return int32(in.inv.errCode)
	}
	in.dropHandle(id)
	h.pw.Close()
	select {
	case <-h.done:
	case <-in.inv.ctx.Done():
		h.close()
		return in.hostErr(call, in.inv.ctx.Err())
	}
	h.stop()
	h.cancel()
	if h.err != nil {
		return in.hostErr(call, h.err)
	}
	return in.putJSON(mem, call, wireInfo(h.info), u32(s[1]), u32(s[2]))
}

// object_abort(h) -> 0
func hcObjAbort(in *instance, _ api.Memory, s []uint64) int32 {
	id := api.DecodeI32(s[0])
	h, ok := handleOf[*writeHandle](in, abi.CallObjAbort, id)
	if !ok {
		return int32(in.inv.errCode)
	}
	h.close()
	in.dropHandle(id)
	return 0
}

// object_head(bucket_ptr, bucket_len, key_ptr, key_len, buf_ptr, buf_len) -> full JSON length
func hcObjHead(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallObjHead
	bucket, key, ok := in.bucketKey(mem, s)
	if !ok {
		return int32(abi.Invalid)
	}
	objs, code := in.grantedObjects(call, "read", bucket, key)
	if objs == nil {
		return code
	}
	info, err := objs.Head(in.hostCtx(), bucket, key)
	if err != nil {
		return in.hostErr(call, err)
	}
	return in.putJSON(mem, call, wireInfo(info), u32(s[4]), u32(s[5]))
}

// object_list(req_ptr, req_len, buf_ptr, buf_len) -> full length of the ListResult JSON
func hcObjList(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallObjList
	reqJSON, ok := in.view(mem, u32(s[0]), min(u32(s[1]), 64<<10))
	if !ok {
		return int32(abi.Invalid)
	}
	var req abi.ListRequest
	if err := json.Unmarshal(reqJSON, &req); err != nil {
		return in.inv.fail(abi.Invalid, "%s: request: %v", call, err)
	}
	if !in.fn.grants.canList(req.Bucket, req.Prefix) {
		return in.inv.fail(abi.Denied, "%s: access denied: function %s may not list %s/%s", call, in.fn.name, req.Bucket, req.Prefix)
	}
	objs, ok := in.objects(call)
	if !ok {
		return int32(abi.Unavailable)
	}
	if req.MaxKeys <= 0 || req.MaxKeys > oss.MaxListKeys {
		req.MaxKeys = oss.DefaultListKeys
	}
	out, err := objs.List(in.hostCtx(), oss.ListObjectsInput{
		Bucket: req.Bucket, Prefix: req.Prefix, Delimiter: req.Delimiter, Marker: req.Marker, MaxKeys: req.MaxKeys,
	})
	if err != nil {
		return in.hostErr(call, err)
	}
	res := abi.ListResult{
		Objects:        make([]abi.ObjectInfo, 0, len(out.Objects)),
		CommonPrefixes: out.CommonPrefixes,
		IsTruncated:    out.IsTruncated,
		NextMarker:     out.NextMarker,
	}
	for _, o := range out.Objects {
		res.Objects = append(res.Objects, wireInfo(o))
	}
	return in.putJSON(mem, call, res, u32(s[2]), u32(s[3]))
}

// object_delete(bucket_ptr, bucket_len, key_ptr, key_len) -> 0
func hcObjDelete(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallObjDelete
	bucket, key, ok := in.bucketKey(mem, s)
	if !ok {
		return int32(abi.Invalid)
	}
	objs, code := in.grantedObjects(call, "write", bucket, key)
	if objs == nil {
		return code
	}
	if err := objs.Delete(in.hostCtx(), bucket, key); err != nil {
		return in.hostErr(call, err)
	}
	return 0
}

// image_process(req_ptr, req_len, buf_ptr, buf_len) -> full length of the ObjectInfo JSON
func hcImageProcess(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallImageProcess
	reqJSON, ok := in.view(mem, u32(s[0]), min(u32(s[1]), 64<<10))
	if !ok {
		return int32(abi.Invalid)
	}
	var req abi.ImageRequest
	if err := json.Unmarshal(reqJSON, &req); err != nil {
		return in.inv.fail(abi.Invalid, "%s: request: %v", call, err)
	}
	if req.SrcBucket == "" || req.SrcKey == "" || req.DstBucket == "" || req.DstKey == "" || req.Process == "" {
		return in.inv.fail(abi.Invalid, "%s: srcBucket, srcKey, process, dstBucket and dstKey are all required", call)
	}
	if !in.fn.grants.canRead(req.SrcBucket, req.SrcKey) {
		return in.deny(call, "read", req.SrcBucket, req.SrcKey)
	}
	if !in.fn.grants.canWrite(req.DstBucket, req.DstKey) {
		return in.deny(call, "write", req.DstBucket, req.DstKey)
	}
	if !in.inv.running || in.inv.env.Images == nil {
		return in.inv.fail(abi.Unavailable, "%s: image processing is not available to this invocation", call)
	}
	info, err := in.inv.env.Images.Process(in.hostCtx(), req.SrcBucket, req.SrcKey, req.Process, req.DstBucket, req.DstKey)
	if err != nil {
		return in.hostErr(call, err)
	}
	return in.putJSON(mem, call, wireInfo(info), u32(s[2]), u32(s[3]))
}

func (in *instance) putJSON(mem api.Memory, call string, v any, ptr, n uint32) int32 {
	b, err := json.Marshal(v)
	if err != nil {
		return in.inv.fail(abi.Internal, "%s: encode result: %v", call, err)
	}
	return in.putResult(mem, b, ptr, n)
}

func wireInfo(o oss.ObjectInfo) abi.ObjectInfo {
	return abi.ObjectInfo{
		Bucket:             o.Bucket,
		Key:                o.Key,
		VersionID:          o.VersionID,
		Size:               o.Size,
		ETag:               o.ETag,
		CRC64:              o.CRC64,
		LastModified:       o.LastModified,
		Type:               string(o.Type),
		StorageClass:       string(o.StorageClass),
		ContentType:        o.Meta.ContentType,
		ContentEncoding:    o.Meta.ContentEncoding,
		ContentDisposition: o.Meta.ContentDisposition,
		ContentLanguage:    o.Meta.ContentLanguage,
		CacheControl:       o.Meta.CacheControl,
		UserMeta:           o.Meta.User,
	}
}

func metaFromWire(o abi.PutOptions) oss.Metadata {
	return oss.Metadata{
		ContentType:        o.ContentType,
		ContentEncoding:    o.ContentEncoding,
		ContentDisposition: o.ContentDisposition,
		ContentLanguage:    o.ContentLanguage,
		CacheControl:       o.CacheControl,
		User:               o.UserMeta,
	}
}
