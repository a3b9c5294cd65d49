package e2e

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossflow/ossflow/oss"
)

// Object operations of ossv2Engine.

// hideLength hides a body's length (and seekability) from the SDK and
// net/http, so that it is sent with chunked transfer encoding.
type hideLength struct{ io.Reader }

// expectContinue asks the server to accept a large body before it is
// sent (as SDKs do for large uploads): a request the server refuses from
// its headers alone (EntityTooLarge) gets its answer rather than an
// aborted upload.
func expectContinue(hd map[string]string, size int64) map[string]string {
	if size < 1<<20 {
		return hd
	}
	if hd == nil {
		hd = map[string]string{}
	}
	hd["Expect"] = "100-continue"
	return hd
}

func forbid(b bool) *string {
	if !b {
		return nil
	}
	return ossv2.Ptr("true")
}

func (e *ossv2Engine) PutObject(ctx context.Context, in oss.PutObjectInput, body io.Reader) (oss.ObjectInfo, error) {
	req := &ossv2.PutObjectRequest{
		Bucket: &in.Bucket, Key: &in.Key, Body: body,
		ContentMD5:         b64MD5(in.ContentMD5),
		ContentType:        ptr(in.Meta.ContentType),
		ContentEncoding:    ptr(in.Meta.ContentEncoding),
		ContentDisposition: ptr(in.Meta.ContentDisposition),
		CacheControl:       ptr(in.Meta.CacheControl),
		Expires:            ptr(in.Meta.Expires),
		Metadata:           in.Meta.User,
		Tagging:            taggingHeader(in.Tags),
		Acl:                ossv2.ObjectACLType(in.ACL),
		StorageClass:       ossv2.StorageClassType(in.StorageClass),
		ForbidOverwrite:    forbid(in.ForbidOverwrite),
		RequestCommon:      ossv2.RequestCommon{Headers: expectContinue(metaHeaders(in.Meta), in.Size)},
	}
	if in.Size >= 0 {
		req.ContentLength = &in.Size
	} else if body != nil {
		req.Body = hideLength{body}
	}
	res, err := e.c.PutObject(ctx, req)
	if err != nil {
		return oss.ObjectInfo{}, ossError("PutObject", err)
	}
	return e.stat(ctx, "PutObject", in.Bucket, in.Key, ossv2.ToString(res.VersionId))
}

// getConditions are the If-* headers of a read (or a copy's source).
func getConditions(c oss.Conditions) (ifMatch, ifNoneMatch, ifModified, ifUnmodified *string) {
	return ptr(c.IfMatch), ptr(c.IfNoneMatch), httpDate(c.IfModifiedSince), httpDate(c.IfUnmodifiedSince)
}

func (e *ossv2Engine) GetObject(ctx context.Context, in oss.GetObjectInput) (*oss.GetObjectOutput, error) {
	if in.NoFollow {
		info, err := e.HeadObject(ctx, in)
		return &oss.GetObjectOutput{Info: info}, err
	}
	req := &ossv2.GetObjectRequest{Bucket: &in.Bucket, Key: &in.Key, VersionId: ptr(in.VersionID)}
	req.IfMatch, req.IfNoneMatch, req.IfModifiedSince, req.IfUnmodifiedSince = getConditions(in.Conditions)
	req.Range, req.RangeBehavior = rangeHeader(in.Range)
	res, err := e.c.GetObject(ctx, req)
	if err != nil {
		// A 304 and a delete marker's 404 describe the object.
		if info, ok := e.readFailure(ctx, in, err); ok {
			return &oss.GetObjectOutput{Info: info}, ossError("GetObject", err)
		}
		return nil, ossError("GetObject", err)
	}
	info := infoFromHeaders(in.Bucket, in.Key, res.Headers)
	info.LastModified = sec(info.LastModified)
	out := &oss.GetObjectOutput{Info: info, Body: res.Body}
	if res.StatusCode == 206 {
		var start, end, total int64
		if _, err := fmt.Sscanf(ossv2.ToString(res.ContentRange), "bytes %d-%d/%d", &start, &end, &total); err == nil {
			out.Range = &oss.Range{Start: start, Length: end - start + 1}
		}
	}
	if err := e.complete(ctx, &out.Info, res.Headers, in.VersionID); err != nil {
		res.Body.Close()
		return nil, err
	}
	return out, nil
}

func (e *ossv2Engine) HeadObject(ctx context.Context, in oss.GetObjectInput) (oss.ObjectInfo, error) {
	if in.NoFollow {
		return e.GetSymlink(ctx, in.Bucket, in.Key, in.VersionID)
	}
	req := &ossv2.HeadObjectRequest{Bucket: &in.Bucket, Key: &in.Key, VersionId: ptr(in.VersionID)}
	// HEAD checks a range as GET does; the SDK's request type has no field
	// for it.
	if rng, behavior := rangeHeader(in.Range); rng != nil {
		req.Headers = map[string]string{"Range": *rng}
		if behavior != nil {
			req.Headers["x-oss-range-behavior"] = *behavior
		}
	}
	req.IfMatch, req.IfNoneMatch, req.IfModifiedSince, req.IfUnmodifiedSince = getConditions(in.Conditions)
	res, err := e.c.HeadObject(ctx, req)
	if err != nil {
		info, _ := e.readFailure(ctx, in, err)
		return info, ossError("HeadObject", err)
	}
	info := infoFromHeaders(in.Bucket, in.Key, res.Headers)
	if err := e.complete(ctx, &info, res.Headers, in.VersionID); err != nil {
		return info, err
	}
	info.LastModified = sec(info.LastModified)
	return info, nil
}

func (e *ossv2Engine) DeleteObject(ctx context.Context, in oss.DeleteObjectInput) (oss.DeletedObject, error) {
	res, err := e.c.DeleteObject(ctx, &ossv2.DeleteObjectRequest{Bucket: &in.Bucket, Key: &in.Key, VersionId: ptr(in.VersionID)})
	if err != nil {
		return oss.DeletedObject{}, ossError("DeleteObject", err)
	}
	d := oss.DeletedObject{Key: in.Key, VersionID: ossv2.ToString(res.VersionId), DeleteMarker: res.DeleteMarker}
	if d.DeleteMarker {
		d.DeleteMarkerVersionID = d.VersionID
	}
	return d, nil
}

// The DeleteMultipleObjects body and answer.
type xmlDeleteRequest struct {
	XMLName xml.Name          `xml:"Delete"`
	Quiet   bool              `xml:"Quiet"`
	Objects []xmlDeleteObject `xml:"Object"`
}

type xmlDeleteObject struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
}

type xmlDeleteResult struct {
	Deleted []struct {
		Key                   string `xml:"Key"`
		VersionID             string `xml:"VersionId"`
		DeleteMarker          bool   `xml:"DeleteMarker"`
		DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId"`
	} `xml:"Deleted"`
	Errors []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
		Code      string `xml:"Code"`
		Message   string `xml:"Message"`
	} `xml:"Error"`
}

// DeleteObjects goes through InvokeOperation: the SDK's
// DeleteMultipleObjects drops the per-key <Error> entries. The answer is
// matched back to the request's entries by key (and version id when one
// was given), in order.
func (e *ossv2Engine) DeleteObjects(ctx context.Context, bucket string, objs []oss.ObjectIdentifier) ([]oss.DeletedObject, error) {
	req := xmlDeleteRequest{}
	for _, o := range objs {
		req.Objects = append(req.Objects, xmlDeleteObject{Key: o.Key, VersionID: o.VersionID})
	}
	body, md5, err := xmlBody(req)
	if err != nil {
		return nil, err
	}
	var res xmlDeleteResult
	err = e.invoke(ctx, &ossv2.OperationInput{
		OpName: "DeleteMultipleObjects", Method: "POST", Bucket: &bucket,
		Headers:    map[string]string{"Content-Type": "application/xml", "Content-MD5": md5},
		Parameters: map[string]string{"delete": ""},
		Body:       body,
	}, &res)
	if err != nil {
		return nil, err
	}
	out := make([]oss.DeletedObject, len(objs))
	usedD, usedE := make([]bool, len(res.Deleted)), make([]bool, len(res.Errors))
	for i, o := range objs {
		out[i] = oss.DeletedObject{Key: o.Key, VersionID: o.VersionID,
			Err: oss.E("DeleteObjects", oss.InternalError, "no answer for %q", o.Key)}
		matched := false
		for j, er := range res.Errors {
			if !usedE[j] && er.Key == o.Key && er.VersionID == o.VersionID {
				usedE[j], matched = true, true
				code, _ := oss.CodeByName(er.Code)
				out[i].Err = oss.E("DeleteObjects", code, "%s", er.Message)
				break
			}
		}
		for j, d := range res.Deleted {
			if matched {
				break
			}
			if !usedD[j] && d.Key == o.Key && (o.VersionID == "" || o.VersionID == d.VersionID) {
				usedD[j], matched = true, true
				out[i] = oss.DeletedObject{Key: d.Key, VersionID: d.VersionID, DeleteMarker: d.DeleteMarker, DeleteMarkerVersionID: d.DeleteMarkerVersionID}
			}
		}
	}
	return out, nil
}

func (e *ossv2Engine) CopyObject(ctx context.Context, in oss.CopyObjectInput) (oss.CopyObjectOutput, error) {
	d := in.Dest
	req := &ossv2.CopyObjectRequest{
		Bucket: &d.Bucket, Key: &d.Key,
		SourceBucket: &in.SrcBucket, SourceKey: &in.SrcKey, SourceVersionId: ptr(in.SrcVersionID),
		ForbidOverwrite:    forbid(d.ForbidOverwrite),
		ContentType:        ptr(d.Meta.ContentType),
		ContentEncoding:    ptr(d.Meta.ContentEncoding),
		ContentDisposition: ptr(d.Meta.ContentDisposition),
		CacheControl:       ptr(d.Meta.CacheControl),
		Expires:            ptr(d.Meta.Expires),
		Metadata:           d.Meta.User,
		Tagging:            taggingHeader(d.Tags),
		Acl:                ossv2.ObjectACLType(d.ACL),
		StorageClass:       ossv2.StorageClassType(d.StorageClass),
		RequestCommon:      ossv2.RequestCommon{Headers: metaHeaders(d.Meta)},
	}
	req.IfMatch, req.IfNoneMatch, req.IfModifiedSince, req.IfUnmodifiedSince = getConditions(in.SrcConditions)
	if in.ReplaceMeta {
		req.MetadataDirective = ossv2.Ptr("REPLACE")
	}
	if in.ReplaceTags {
		req.TaggingDirective = ossv2.Ptr("Replace")
	}
	if in.SrcKey == "" { // the SDK refuses an empty source key
		return oss.CopyObjectOutput{}, oss.E("CopyObject", oss.InvalidObjectName, "refused by the SDK before sending: empty source key")
	}
	res, err := e.c.CopyObject(ctx, req)
	if err != nil {
		return oss.CopyObjectOutput{}, ossError("CopyObject", err)
	}
	// A HEAD follows a symlink: a copy of one is reported as GetSymlink
	// describes it.
	vid := ossv2.ToString(res.VersionId)
	info, err := e.GetSymlink(ctx, d.Bucket, d.Key, vid)
	if oss.IsCode(err, oss.InvalidArgument) { // not a symlink
		info, err = e.stat(ctx, "CopyObject", d.Bucket, d.Key, vid)
	}
	return oss.CopyObjectOutput{Info: info, SrcVersionID: ossv2.ToString(res.SourceVersionId)}, err
}

func (e *ossv2Engine) AppendObject(ctx context.Context, in oss.AppendObjectInput, body io.Reader) (oss.ObjectInfo, error) {
	p := in.Put
	req := &ossv2.AppendObjectRequest{
		Bucket: &p.Bucket, Key: &p.Key, Position: &in.Position, Body: body,
		ContentMD5:         b64MD5(p.ContentMD5),
		ContentType:        ptr(p.Meta.ContentType),
		ContentEncoding:    ptr(p.Meta.ContentEncoding),
		ContentDisposition: ptr(p.Meta.ContentDisposition),
		CacheControl:       ptr(p.Meta.CacheControl),
		Expires:            ptr(p.Meta.Expires),
		Metadata:           p.Meta.User,
		Tagging:            taggingHeader(p.Tags),
		Acl:                ossv2.ObjectACLType(p.ACL),
		StorageClass:       ossv2.StorageClassType(p.StorageClass),
		ForbidOverwrite:    forbid(p.ForbidOverwrite),
		RequestCommon:      ossv2.RequestCommon{Headers: expectContinue(metaHeaders(p.Meta), p.Size)},
	}
	if p.Size >= 0 {
		req.ContentLength = &p.Size
	} else if body != nil {
		req.Body = hideLength{body}
	}
	res, err := e.c.AppendObject(ctx, req)
	if err != nil {
		return oss.ObjectInfo{}, ossError("AppendObject", err)
	}
	return e.stat(ctx, "AppendObject", p.Bucket, p.Key, ossv2.ToString(res.VersionId))
}

func (e *ossv2Engine) PutSymlink(ctx context.Context, in oss.PutSymlinkInput) (oss.ObjectInfo, error) {
	hd := metaHeaders(in.Meta)
	if in.Meta.ContentType != "" {
		if hd == nil {
			hd = map[string]string{}
		}
		hd["Content-Type"] = in.Meta.ContentType
	}
	res, err := e.c.PutSymlink(ctx, &ossv2.PutSymlinkRequest{
		Bucket: &in.Bucket, Key: &in.Key, Target: &in.Target,
		ForbidOverwrite: forbid(in.ForbidOverwrite),
		Acl:             ossv2.ObjectACLType(in.ACL),
		StorageClass:    ossv2.StorageClassType(in.StorageClass),
		Metadata:        in.Meta.User,
		RequestCommon:   ossv2.RequestCommon{Headers: hd},
	})
	if err != nil {
		return oss.ObjectInfo{}, ossError("PutSymlink", err)
	}
	return e.GetSymlink(ctx, in.Bucket, in.Key, ossv2.ToString(res.VersionId))
}

// GetSymlink reports a symlink as GetSymlink's answer describes it (its
// target, ETag, Last-Modified and user metadata), completed as a read.
func (e *ossv2Engine) GetSymlink(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error) {
	res, err := e.c.GetSymlink(ctx, &ossv2.GetSymlinkRequest{Bucket: &bucket, Key: &key, VersionId: ptr(versionID)})
	if err != nil {
		return oss.ObjectInfo{}, ossError("GetSymlink", err)
	}
	info := infoFromHeaders(bucket, key, res.Headers)
	info.Type = oss.TypeSymlink
	info.SymlinkTarget = ossv2.ToString(res.Target)
	if err := e.complete(ctx, &info, res.Headers, versionID); err != nil {
		return info, err
	}
	info.LastModified = sec(info.LastModified)
	return info, nil
}

func sdkTags(tags []oss.Tag) *ossv2.Tagging {
	ts := &ossv2.TagSet{}
	for _, t := range tags {
		ts.Tags = append(ts.Tags, ossv2.Tag{Key: ossv2.Ptr(t.Key), Value: ossv2.Ptr(t.Value)})
	}
	return &ossv2.Tagging{TagSet: ts}
}

func (e *ossv2Engine) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags []oss.Tag) (oss.ObjectInfo, error) {
	res, err := e.c.PutObjectTagging(ctx, &ossv2.PutObjectTaggingRequest{Bucket: &bucket, Key: &key, VersionId: ptr(versionID), Tagging: sdkTags(tags)})
	if err != nil {
		return oss.ObjectInfo{}, ossError("PutObjectTagging", err)
	}
	return e.stat(ctx, "PutObjectTagging", bucket, key, ossv2.ToString(res.VersionId))
}

// GetObjectTagging reports the tags GetObjectTagging answers, on the
// version's HEAD.
func (e *ossv2Engine) GetObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error) {
	tags, err := e.tags(ctx, bucket, key, versionID)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	info, err := e.stat(ctx, "GetObjectTagging", bucket, key, versionID)
	info.Tags = tags
	return info, err
}

func (e *ossv2Engine) DeleteObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error) {
	res, err := e.c.DeleteObjectTagging(ctx, &ossv2.DeleteObjectTaggingRequest{Bucket: &bucket, Key: &key, VersionId: ptr(versionID)})
	if err != nil {
		return oss.ObjectInfo{}, ossError("DeleteObjectTagging", err)
	}
	return e.stat(ctx, "DeleteObjectTagging", bucket, key, ossv2.ToString(res.VersionId))
}

func (e *ossv2Engine) PutObjectACL(ctx context.Context, bucket, key, versionID string, acl oss.ACL) (oss.ObjectInfo, error) {
	res, err := e.c.PutObjectAcl(ctx, &ossv2.PutObjectAclRequest{Bucket: &bucket, Key: &key, VersionId: ptr(versionID), Acl: ossv2.ObjectACLType(acl)})
	if err != nil {
		return oss.ObjectInfo{}, ossError("PutObjectAcl", err)
	}
	return e.stat(ctx, "PutObjectAcl", bucket, key, ossv2.ToString(res.VersionId))
}
