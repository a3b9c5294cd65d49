package e2e

import (
	"context"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossflow/ossflow/oss"
)

// Bucket, listing, multipart and lifecycle operations of ossv2Engine.

func (e *ossv2Engine) CreateBucket(ctx context.Context, b oss.Bucket) (oss.Bucket, error) {
	req := &ossv2.PutBucketRequest{Bucket: &b.Name, Acl: ossv2.BucketACLType(b.ACL)}
	if b.StorageClass != "" || b.DataRedundancy != "" {
		req.CreateBucketConfiguration = &ossv2.CreateBucketConfiguration{
			StorageClass: ossv2.StorageClassType(b.StorageClass), DataRedundancyType: ossv2.DataRedundancyType(b.DataRedundancy)}
	}
	if _, err := e.c.PutBucket(ctx, req); err != nil {
		return oss.Bucket{}, ossError("PutBucket", err)
	}
	return e.GetBucket(ctx, b.Name)
}

func (e *ossv2Engine) DeleteBucket(ctx context.Context, name string) error {
	_, err := e.c.DeleteBucket(ctx, &ossv2.DeleteBucketRequest{Bucket: &name})
	return ossError("DeleteBucket", err)
}

func (e *ossv2Engine) GetBucket(ctx context.Context, name string) (oss.Bucket, error) {
	res, err := e.c.GetBucketInfo(ctx, &ossv2.GetBucketInfoRequest{Bucket: &name})
	if err != nil {
		return oss.Bucket{}, ossError("GetBucketInfo", err)
	}
	bi := res.BucketInfo
	b := oss.Bucket{
		Name:           ossv2.ToString(bi.Name),
		CreatedAt:      ptrTime(bi.CreationDate),
		Region:         strings.TrimPrefix(ossv2.ToString(bi.Location), "oss-"),
		ACL:            oss.ACL(ossv2.ToString(bi.ACL)),
		StorageClass:   oss.StorageClass(ossv2.ToString(bi.StorageClass)),
		DataRedundancy: ossv2.ToString(bi.DataRedundancyType),
		Versioning:     oss.VersioningStatus(ossv2.ToString(bi.Versioning)),
	}
	if bi.Owner != nil {
		b.Owner = oss.Owner{ID: ossv2.ToString(bi.Owner.ID), DisplayName: ossv2.ToString(bi.Owner.DisplayName)}
	}
	return b, nil
}

func (e *ossv2Engine) ListBuckets(ctx context.Context, in oss.ListBucketsInput) (oss.ListBucketsOutput, error) {
	res, err := e.c.ListBuckets(ctx, &ossv2.ListBucketsRequest{Prefix: ptr(in.Prefix), Marker: ptr(in.Marker), MaxKeys: int32(in.MaxKeys)})
	if err != nil {
		return oss.ListBucketsOutput{}, ossError("ListBuckets", err)
	}
	out := oss.ListBucketsOutput{IsTruncated: res.IsTruncated, NextMarker: ossv2.ToString(res.NextMarker)}
	for _, b := range res.Buckets {
		out.Buckets = append(out.Buckets, oss.Bucket{Name: ossv2.ToString(b.Name), CreatedAt: ptrTime(b.CreationDate),
			Region: ossv2.ToString(b.Region), StorageClass: oss.StorageClass(ossv2.ToString(b.StorageClass))})
	}
	return out, nil
}

func (e *ossv2Engine) PutBucketACL(ctx context.Context, name string, acl oss.ACL) error {
	_, err := e.c.PutBucketAcl(ctx, &ossv2.PutBucketAclRequest{Bucket: &name, Acl: ossv2.BucketACLType(acl)})
	return ossError("PutBucketAcl", err)
}

func (e *ossv2Engine) PutBucketVersioning(ctx context.Context, name string, status oss.VersioningStatus) error {
	_, err := e.c.PutBucketVersioning(ctx, &ossv2.PutBucketVersioningRequest{Bucket: &name,
		VersioningConfiguration: &ossv2.VersioningConfiguration{Status: ossv2.VersioningStatusType(status)}})
	return ossError("PutBucketVersioning", err)
}

func (e *ossv2Engine) BucketStat(ctx context.Context, name string) (oss.BucketStat, error) {
	res, err := e.c.GetBucketStat(ctx, &ossv2.GetBucketStatRequest{Bucket: &name})
	if err != nil {
		return oss.BucketStat{}, ossError("GetBucketStat", err)
	}
	st := oss.BucketStat{Storage: res.Storage, ObjectCount: res.ObjectCount, MultipartUploadCount: res.MultipartUploadCount}
	if res.LastModifiedTime > 0 {
		st.LastModified = time.Unix(res.LastModifiedTime, 0)
	}
	return st, nil
}

// --- listing ---

func (e *ossv2Engine) ListObjects(ctx context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error) {
	res, err := e.c.ListObjects(ctx, &ossv2.ListObjectsRequest{Bucket: &in.Bucket, Prefix: ptr(in.Prefix), Delimiter: ptr(in.Delimiter),
		Marker: ptr(in.Marker), MaxKeys: int32(in.MaxKeys)})
	if err != nil {
		return oss.ListObjectsOutput{}, ossError("ListObjects", err)
	}
	out := oss.ListObjectsOutput{IsTruncated: res.IsTruncated, NextMarker: ossv2.ToString(res.NextMarker)}
	for _, o := range res.Contents {
		info := oss.ObjectInfo{Bucket: in.Bucket, Key: ossv2.ToString(o.Key), Size: o.Size, ETag: ossv2.ToString(o.ETag),
			Type: oss.ObjectType(ossv2.ToString(o.Type)), StorageClass: oss.StorageClass(ossv2.ToString(o.StorageClass)),
			LastModified: ptrTime(o.LastModified), IsLatest: true}
		if o.Owner != nil {
			info.Owner = oss.Owner{ID: ossv2.ToString(o.Owner.ID), DisplayName: ossv2.ToString(o.Owner.DisplayName)}
		}
		out.Objects = append(out.Objects, info)
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, ossv2.ToString(p.Prefix))
	}
	return out, nil
}

// ListObjectVersions uses the SDK's IsMix answer, which keeps versions and
// delete markers in the server's order.
func (e *ossv2Engine) ListObjectVersions(ctx context.Context, in oss.ListVersionsInput) (oss.ListVersionsOutput, error) {
	res, err := e.c.ListObjectVersions(ctx, &ossv2.ListObjectVersionsRequest{Bucket: &in.Bucket, Prefix: ptr(in.Prefix), Delimiter: ptr(in.Delimiter),
		KeyMarker: ptr(in.KeyMarker), VersionIdMarker: ptr(in.VersionIDMarker), MaxKeys: int32(in.MaxKeys), IsMix: true})
	if err != nil {
		return oss.ListVersionsOutput{}, ossError("ListObjectVersions", err)
	}
	out := oss.ListVersionsOutput{IsTruncated: res.IsTruncated, NextKeyMarker: ossv2.ToString(res.NextKeyMarker),
		NextVersionIDMarker: ossv2.ToString(res.NextVersionIdMarker)}
	for _, v := range res.ObjectVersionsDeleteMarkers {
		info := oss.ObjectInfo{Bucket: in.Bucket, Key: ossv2.ToString(v.Key), VersionID: ossv2.ToString(v.VersionId), IsLatest: v.IsLatest,
			DeleteMarker: v.IsDeleteMarker(), Size: v.Size, ETag: ossv2.ToString(v.ETag), Type: oss.ObjectType(ossv2.ToString(v.Type)),
			StorageClass: oss.StorageClass(ossv2.ToString(v.StorageClass)), LastModified: ptrTime(v.LastModified)}
		out.Versions = append(out.Versions, info)
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, ossv2.ToString(p.Prefix))
	}
	return out, nil
}

// --- multipart ---

func (e *ossv2Engine) InitiateMultipartUpload(ctx context.Context, in oss.PutObjectInput) (oss.MultipartUpload, error) {
	hd := metaHeaders(in.Meta)
	if in.ACL != "" {
		if hd == nil {
			hd = map[string]string{}
		}
		hd["x-oss-object-acl"] = string(in.ACL)
	}
	res, err := e.c.InitiateMultipartUpload(ctx, &ossv2.InitiateMultipartUploadRequest{
		Bucket: &in.Bucket, Key: &in.Key, DisableAutoDetectMimeType: true,
		ContentType:        ptr(in.Meta.ContentType),
		ContentEncoding:    ptr(in.Meta.ContentEncoding),
		ContentDisposition: ptr(in.Meta.ContentDisposition),
		CacheControl:       ptr(in.Meta.CacheControl),
		Expires:            ptr(in.Meta.Expires),
		Metadata:           in.Meta.User,
		Tagging:            taggingHeader(in.Tags),
		StorageClass:       ossv2.StorageClassType(in.StorageClass),
		ForbidOverwrite:    forbid(in.ForbidOverwrite),
		RequestCommon:      ossv2.RequestCommon{Headers: hd},
	})
	if err != nil {
		return oss.MultipartUpload{}, ossError("InitiateMultipartUpload", err)
	}
	u := oss.MultipartUpload{Bucket: in.Bucket, Key: ossv2.ToString(res.Key), UploadID: ossv2.ToString(res.UploadId)}
	// The answer has no time: find the upload in the listing.
	lu, err := e.ListMultipartUploads(ctx, oss.ListUploadsInput{Bucket: in.Bucket, Prefix: in.Key, MaxUploads: 1000})
	if err != nil {
		return u, err
	}
	for _, x := range lu.Uploads {
		if x.UploadID == u.UploadID {
			u.Initiated = x.Initiated
		}
	}
	return u, nil
}

func (e *ossv2Engine) UploadPart(ctx context.Context, in oss.UploadPartInput, body io.Reader) (oss.Part, error) {
	req := &ossv2.UploadPartRequest{Bucket: &in.Bucket, Key: &in.Key, UploadId: &in.UploadID, PartNumber: int32(in.PartNumber),
		Body: body, ContentMD5: b64MD5(in.ContentMD5), RequestCommon: ossv2.RequestCommon{Headers: expectContinue(nil, in.Size)}}
	if in.Size >= 0 {
		req.ContentLength = &in.Size
	} else if body != nil {
		req.Body = hideLength{body}
	}
	res, err := e.c.UploadPart(ctx, req)
	if err != nil {
		return oss.Part{}, ossError("UploadPart", err)
	}
	p := oss.Part{PartNumber: in.PartNumber, ETag: ossv2.ToString(res.ETag), Size: in.Size}
	p.CRC64, _ = strconv.ParseUint(ossv2.ToString(res.HashCRC64), 10, 64)
	return p, nil
}

// UploadPartCopy reports the part as ListParts lists it (the answer has
// no size).
func (e *ossv2Engine) UploadPartCopy(ctx context.Context, in oss.UploadPartCopyInput) (oss.Part, error) {
	p := in.Part
	req := &ossv2.UploadPartCopyRequest{Bucket: &p.Bucket, Key: &p.Key, UploadId: &p.UploadID, PartNumber: int32(p.PartNumber),
		SourceBucket: &in.SrcBucket, SourceKey: &in.SrcKey, SourceVersionId: ptr(in.SrcVersionID)}
	req.IfMatch, req.IfNoneMatch, req.IfModifiedSince, req.IfUnmodifiedSince = getConditions(in.SrcConditions)
	req.Range, _ = rangeHeader(in.SrcRange)
	if _, err := e.c.UploadPartCopy(ctx, req); err != nil {
		return oss.Part{}, ossError("UploadPartCopy", err)
	}
	lp, err := e.ListParts(ctx, oss.ListPartsInput{Bucket: p.Bucket, Key: p.Key, UploadID: p.UploadID, PartNumberMarker: p.PartNumber - 1, MaxParts: 1})
	if err != nil {
		return oss.Part{}, err
	}
	if len(lp.Parts) != 1 || lp.Parts[0].PartNumber != p.PartNumber {
		return oss.Part{}, oss.E("UploadPartCopy", oss.InternalError, "part %d not listed after the copy", p.PartNumber)
	}
	return lp.Parts[0], nil
}

type xmlCompleteRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

// CompleteMultipartUpload goes through InvokeOperation: the SDK's method
// sorts the parts, and the suite checks the server's answer to a list out
// of order. CompleteAll sends x-oss-complete-all (and no body unless parts
// are given too).
func (e *ossv2Engine) CompleteMultipartUpload(ctx context.Context, in oss.CompleteMultipartInput) (oss.ObjectInfo, error) {
	op := &ossv2.OperationInput{OpName: "CompleteMultipartUpload", Method: "POST", Bucket: &in.Bucket, Key: &in.Key,
		Headers: map[string]string{}, Parameters: map[string]string{"uploadId": in.UploadID}}
	if in.ForbidOverwrite {
		op.Headers["x-oss-forbid-overwrite"] = "true"
	}
	if in.CompleteAll {
		op.Headers["x-oss-complete-all"] = "yes"
	}
	if !in.CompleteAll || len(in.Parts) > 0 {
		var req xmlCompleteRequest
		for _, p := range in.Parts {
			req.Parts = append(req.Parts, struct {
				PartNumber int    `xml:"PartNumber"`
				ETag       string `xml:"ETag"`
			}{p.PartNumber, p.ETag})
		}
		body, md5, err := xmlBody(req)
		if err != nil {
			return oss.ObjectInfo{}, err
		}
		op.Body, op.Headers["Content-MD5"], op.Headers["Content-Type"] = body, md5, "application/xml"
	}
	res, err := e.c.InvokeOperation(ctx, op)
	if err != nil {
		return oss.ObjectInfo{}, ossError("CompleteMultipartUpload", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return e.stat(ctx, "CompleteMultipartUpload", in.Bucket, in.Key, res.Headers.Get("X-Oss-Version-Id"))
}

func (e *ossv2Engine) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	_, err := e.c.AbortMultipartUpload(ctx, &ossv2.AbortMultipartUploadRequest{Bucket: &bucket, Key: &key, UploadId: &uploadID})
	return ossError("AbortMultipartUpload", err)
}

func (e *ossv2Engine) ListParts(ctx context.Context, in oss.ListPartsInput) (oss.ListPartsOutput, error) {
	res, err := e.c.ListParts(ctx, &ossv2.ListPartsRequest{Bucket: &in.Bucket, Key: &in.Key, UploadId: &in.UploadID,
		PartNumberMarker: int32(in.PartNumberMarker), MaxParts: int32(in.MaxParts)})
	if err != nil {
		return oss.ListPartsOutput{}, ossError("ListParts", err)
	}
	out := oss.ListPartsOutput{
		Upload:           oss.MultipartUpload{Bucket: in.Bucket, Key: ossv2.ToString(res.Key), UploadID: ossv2.ToString(res.UploadId)},
		StorageClass:     oss.StorageClass(ossv2.ToString(res.StorageClass)),
		PartNumberMarker: int(res.PartNumberMarker), NextPartNumberMarker: int(res.NextPartNumberMarker),
		MaxParts: int(res.MaxParts), IsTruncated: res.IsTruncated,
	}
	for _, p := range res.Parts {
		part := oss.Part{PartNumber: int(p.PartNumber), ETag: ossv2.ToString(p.ETag), Size: p.Size, LastModified: ptrTime(p.LastModified)}
		part.CRC64, _ = strconv.ParseUint(ossv2.ToString(p.HashCRC64), 10, 64)
		out.Parts = append(out.Parts, part)
	}
	return out, nil
}

type xmlListUploads struct {
	IsTruncated        bool   `xml:"IsTruncated"`
	NextKeyMarker      string `xml:"NextKeyMarker"`
	NextUploadIDMarker string `xml:"NextUploadIdMarker"`
	Uploads            []struct {
		Key       string    `xml:"Key"`
		UploadID  string    `xml:"UploadId"`
		Initiated time.Time `xml:"Initiated"`
	} `xml:"Upload"`
	CommonPrefixes []string `xml:"CommonPrefixes>Prefix"`
}

// ListMultipartUploads goes through InvokeOperation: the SDK's result type
// has no CommonPrefixes.
func (e *ossv2Engine) ListMultipartUploads(ctx context.Context, in oss.ListUploadsInput) (oss.ListUploadsOutput, error) {
	params := map[string]string{"uploads": ""}
	for k, v := range map[string]string{"prefix": in.Prefix, "delimiter": in.Delimiter, "key-marker": in.KeyMarker, "upload-id-marker": in.UploadIDMarker} {
		if v != "" {
			params[k] = v
		}
	}
	if in.MaxUploads > 0 {
		params["max-uploads"] = strconv.Itoa(in.MaxUploads)
	}
	var res xmlListUploads
	if err := e.invoke(ctx, &ossv2.OperationInput{OpName: "ListMultipartUploads", Method: "GET", Bucket: &in.Bucket, Parameters: params}, &res); err != nil {
		return oss.ListUploadsOutput{}, err
	}
	out := oss.ListUploadsOutput{IsTruncated: res.IsTruncated, NextKeyMarker: res.NextKeyMarker, NextUploadIDMarker: res.NextUploadIDMarker,
		CommonPrefixes: res.CommonPrefixes}
	for _, u := range res.Uploads {
		out.Uploads = append(out.Uploads, oss.MultipartUpload{Bucket: in.Bucket, Key: u.Key, UploadID: u.UploadID, Initiated: sec(u.Initiated)})
	}
	return out, nil
}
