package functions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/runtime"
	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/store"
)

// Origin is the origin (oss.RequestInfo.Origin, and the events'
// Ossflow-Origin header) of the writes function name makes.
func Origin(name string) string { return "function:" + name }

// StoreObjects adapts the engine to runtime.Objects for in-process
// invocations. Every call carries oss.RequestInfo{Origin, PrincipalID}
// set to Origin, so the writes' events carry it (the loop guard).
type StoreObjects struct {
	Store  *store.Store
	Origin string
}

var _ runtime.Objects = (*StoreObjects)(nil)

func (s *StoreObjects) ctx(ctx context.Context) context.Context {
	ri := oss.RequestInfoFrom(ctx)
	ri.Origin, ri.PrincipalID = s.Origin, s.Origin
	return oss.WithRequestInfo(ctx, ri)
}

// Get implements runtime.Objects.
func (s *StoreObjects) Get(ctx context.Context, bucket, key string) (io.ReadCloser, oss.ObjectInfo, error) {
	out, err := s.Store.GetObject(s.ctx(ctx), oss.GetObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		return nil, oss.ObjectInfo{}, err
	}
	return out.Body, out.Info, nil
}

// Put implements runtime.Objects.
func (s *StoreObjects) Put(ctx context.Context, bucket, key string, r io.Reader, size int64, meta oss.Metadata) (oss.ObjectInfo, error) {
	return s.Store.PutObject(s.ctx(ctx), oss.PutObjectInput{Bucket: bucket, Key: key, Meta: meta, Size: size}, r)
}

// Head implements runtime.Objects.
func (s *StoreObjects) Head(ctx context.Context, bucket, key string) (oss.ObjectInfo, error) {
	return s.Store.HeadObject(s.ctx(ctx), oss.GetObjectInput{Bucket: bucket, Key: key})
}

// List implements runtime.Objects.
func (s *StoreObjects) List(ctx context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error) {
	return s.Store.ListObjects(s.ctx(ctx), in)
}

// Delete implements runtime.Objects.
func (s *StoreObjects) Delete(ctx context.Context, bucket, key string) error {
	_, err := s.Store.DeleteObject(s.ctx(ctx), oss.DeleteObjectInput{Bucket: bucket, Key: key})
	return err
}

// ClientObjects adapts the Go client to runtime.Objects, for workers that
// reach the store over the HTTP API. Make the client with
// client.WithOrigin so the writes carry the function's origin.
type ClientObjects struct {
	Client *client.Client
}

var _ runtime.Objects = (*ClientObjects)(nil)

// ossError turns a client error into the *oss.Error the runtime reports
// to guests (NoSuchKey becomes the NotFound code, and so on).
func ossError(op string, err error) error {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return err
	}
	code, ok := oss.CodeByName(ce.Code)
	if !ok {
		switch ce.StatusCode {
		case http.StatusNotFound:
			code = oss.NoSuchKey
		case http.StatusForbidden:
			code = oss.AccessDenied
		default:
			return err
		}
	}
	e := oss.E(op, code, "%s", ce.Message)
	e.Bucket, e.Key = ce.Bucket, ce.Key
	return e
}

func fromClientInfo(i client.ObjectInfo) oss.ObjectInfo {
	return oss.ObjectInfo{
		Bucket: i.Bucket, Key: i.Key, VersionID: i.VersionID, Size: i.Size, ETag: i.ETag, CRC64: i.CRC64,
		LastModified: i.LastModified, Type: oss.ObjectType(i.Type), StorageClass: oss.StorageClass(i.StorageClass),
		Meta:     oss.Metadata{ContentType: i.ContentType, User: i.Metadata},
		IsLatest: true,
	}
}

// Get implements runtime.Objects.
func (c *ClientObjects) Get(ctx context.Context, bucket, key string) (io.ReadCloser, oss.ObjectInfo, error) {
	rc, info, err := c.Client.GetObject(ctx, bucket, key, nil)
	if err != nil {
		return nil, oss.ObjectInfo{}, ossError("GetObject", err)
	}
	return rc, fromClientInfo(info), nil
}

// Put implements runtime.Objects.
func (c *ClientObjects) Put(ctx context.Context, bucket, key string, r io.Reader, size int64, meta oss.Metadata) (oss.ObjectInfo, error) {
	opts := &client.PutOptions{
		ContentType: meta.ContentType, ContentEncoding: meta.ContentEncoding, ContentDisposition: meta.ContentDisposition,
		CacheControl: meta.CacheControl, Expires: meta.Expires, Metadata: meta.User,
	}
	info, err := c.Client.PutObject(ctx, bucket, key, r, size, opts)
	if err != nil {
		return oss.ObjectInfo{}, ossError("PutObject", err)
	}
	oi := fromClientInfo(info)
	oi.Meta = meta
	return oi, nil
}

// Head implements runtime.Objects.
func (c *ClientObjects) Head(ctx context.Context, bucket, key string) (oss.ObjectInfo, error) {
	info, err := c.Client.HeadObject(ctx, bucket, key, nil)
	if err != nil {
		return oss.ObjectInfo{}, ossError("HeadObject", err)
	}
	return fromClientInfo(info), nil
}

// List implements runtime.Objects (a V2 listing; Marker is the
// start-after key).
func (c *ClientObjects) List(ctx context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error) {
	res, err := c.Client.ListObjects(ctx, in.Bucket, &client.ListOptions{Prefix: in.Prefix, Delimiter: in.Delimiter, StartAfter: in.Marker, MaxKeys: in.MaxKeys})
	if err != nil {
		return oss.ListObjectsOutput{}, ossError("ListObjects", err)
	}
	var out oss.ListObjectsOutput
	for _, o := range res.Objects {
		out.Objects = append(out.Objects, oss.ObjectInfo{
			Bucket: in.Bucket, Key: o.Key, Size: o.Size, ETag: o.ETag, LastModified: o.LastModified,
			StorageClass: oss.StorageClass(o.StorageClass), Type: oss.ObjectType(o.Type), IsLatest: true,
		})
	}
	out.CommonPrefixes = res.CommonPrefixes
	out.IsTruncated = res.IsTruncated
	if out.IsTruncated {
		// The next page starts after the last key or prefix returned.
		last := ""
		if n := len(out.Objects); n > 0 {
			last = out.Objects[n-1].Key
		}
		if n := len(out.CommonPrefixes); n > 0 && out.CommonPrefixes[n-1] > last {
			last = out.CommonPrefixes[n-1]
		}
		out.NextMarker = last
	}
	return out, nil
}

// Delete implements runtime.Objects.
func (c *ClientObjects) Delete(ctx context.Context, bucket, key string) error {
	if err := c.Client.DeleteObject(ctx, bucket, key); err != nil {
		return ossError("DeleteObject", err)
	}
	return nil
}

// Images adapts an imgproc.Processor to runtime.Images: it reads the
// source and writes the result through Objects (so the result's write
// carries the function's origin, and a remote worker processes images
// locally while storing them over the API).
type Images struct {
	Proc    *imgproc.Processor
	Objects runtime.Objects
}

var _ runtime.Images = (*Images)(nil)

// Process implements runtime.Images.
func (im *Images) Process(ctx context.Context, srcBucket, srcKey, process, dstBucket, dstKey string) (oss.ObjectInfo, error) {
	const op = "ProcessImage"
	pl, err := imgproc.Parse(process)
	if err != nil {
		return oss.ObjectInfo{}, imageError(op, err)
	}
	if pl.Style != "" {
		return oss.ObjectInfo{}, oss.E(op, oss.InvalidArgument, "styles are not available to functions: give the process itself")
	}
	if pl.SaveAs != nil {
		return oss.ObjectInfo{}, oss.E(op, oss.InvalidArgument, "sys/saveas is not available to functions: name the destination in the request")
	}
	body, info, err := im.Objects.Get(ctx, srcBucket, srcKey)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	defer body.Close()
	res, err := im.Proc.Process(ctx, body, info.Size, pl, watermarks{im.Objects, srcBucket})
	if err != nil {
		return oss.ObjectInfo{}, imageError(op, err)
	}
	out, err := im.Objects.Put(ctx, dstBucket, dstKey, bytes.NewReader(res.Body), int64(len(res.Body)), oss.Metadata{ContentType: res.ContentType})
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	if out.Size == 0 {
		out.Size = int64(len(res.Body))
	}
	return out, nil
}

// imageError turns an imgproc error (whose Code is an OSS code name) into
// an *oss.Error.
func imageError(op string, err error) error {
	var ie *imgproc.Error
	if errors.As(err, &ie) {
		if code, ok := oss.CodeByName(string(ie.Code)); ok {
			return oss.E(op, code, "%s", ie.Message)
		}
		return oss.E(op, oss.InvalidArgument, "%s", ie.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("image process: %w", err)
}

// watermarks fetches watermark images from the source's bucket.
type watermarks struct {
	objs   runtime.Objects
	bucket string
}

func (w watermarks) Fetch(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	rc, info, err := w.objs.Get(ctx, w.bucket, key)
	if err != nil {
		return nil, 0, err
	}
	return rc, info.Size, nil
}
