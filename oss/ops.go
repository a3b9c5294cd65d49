package oss

import (
	"io"
	"time"
)

// This file holds the inputs and outputs of the object engine's operations:
// the contract between the protocol layer and the engine.

// PutObjectInput describes a whole-object write (PutObject, PostObject, and
// the destination of CopyObject / CompleteMultipartUpload).
type PutObjectInput struct {
	Bucket          string
	Key             string
	Meta            Metadata
	ACL             ACL          // "" = default
	StorageClass    StorageClass // "" = bucket's
	Tags            []Tag
	ForbidOverwrite bool
	SSE             string
	// IfMatch, when set, makes the write conditional (S3's If-Match): it
	// succeeds only if the key's current version exists and its ETag matches
	// (quotes ignored; "*" matches any ETag). No current object, or a delete
	// marker as the current version, fails with NoSuchKey; another ETag with
	// PreconditionFailed. Checked under the key lock, atomically with the
	// write; a failed write stores nothing and records no event. Honoured by
	// PutObject and by CopyObject for its destination; InitiateMultipartUpload
	// and AppendObject ignore it (see CompleteMultipartInput.IfMatch).
	IfMatch string
	// IfNoneMatch "*" (S3's If-None-Match: *) makes the write fail with
	// PreconditionFailed when the key has a current version that is not a
	// delete marker, whatever the bucket's versioning (ForbidOverwrite is
	// OSS's rule: versioning off only). Other values are InvalidArgument.
	// Checked with IfMatch, under the key lock.
	IfNoneMatch string

	// Size is the body length, or -1 when unknown (chunked). A body that
	// ends before Size bytes fails with IncompleteBody and stores nothing.
	Size int64
	// ContentMD5, when set (16 bytes), is verified: mismatch -> InvalidDigest
	// (BadDigest for the S3 dialect is the protocol layer's choice).
	ContentMD5 []byte
	// Checksums supplied by the client (S3 x-amz-checksum-*), stored and
	// echoed; verification is the protocol layer's.
	Checksums map[string]string

	// EventName overrides the event recorded (e.g. ObjectCreatedPostObject);
	// zero means the operation's own.
	EventName EventName
}

// GetObjectInput selects an object (version) and how to read it.
type GetObjectInput struct {
	Bucket     string
	Key        string
	VersionID  string
	Range      *RangeSpec // nil = whole object
	Conditions Conditions
	// NoFollow returns a symlink itself instead of its target.
	NoFollow bool
}

// GetObjectOutput is an open object. The caller must close Body.
type GetObjectOutput struct {
	Info ObjectInfo
	// Range is the resolved range served, or nil for the whole object.
	Range *Range
	Body  io.ReadCloser
}

// DeleteObjectInput names the object (version) to delete.
type DeleteObjectInput struct {
	Bucket    string
	Key       string
	VersionID string
}

// CopyObjectInput copies Src* to Dest.
type CopyObjectInput struct {
	SrcBucket     string
	SrcKey        string
	SrcVersionID  string
	SrcConditions Conditions
	// Dest carries the destination and, when ReplaceMeta / ReplaceTags are
	// set, the new metadata and tags; otherwise those are the source's.
	Dest        PutObjectInput
	ReplaceMeta bool
	ReplaceTags bool
}

// CopyObjectOutput is the new destination object.
type CopyObjectOutput struct {
	Info         ObjectInfo
	SrcVersionID string
}

// AppendObjectInput appends to an Appendable object. Meta, ACL, storage
// class and tags of Put apply only when the append creates the object.
type AppendObjectInput struct {
	Put      PutObjectInput
	Position int64
}

// PutSymlinkInput creates a symlink object.
type PutSymlinkInput struct {
	Bucket          string
	Key             string
	Target          string
	Meta            Metadata
	ACL             ACL
	StorageClass    StorageClass
	ForbidOverwrite bool
}

// UploadPartInput is one part of a multipart upload.
type UploadPartInput struct {
	Bucket     string
	Key        string
	UploadID   string
	PartNumber int
	Size       int64
	ContentMD5 []byte
	Checksums  map[string]string
}

// UploadPartCopyInput copies a range of an object into a part.
type UploadPartCopyInput struct {
	Part          UploadPartInput
	SrcBucket     string
	SrcKey        string
	SrcVersionID  string
	SrcConditions Conditions
	SrcRange      *RangeSpec // x-oss-copy-source-range; nil = whole
}

// CompleteMultipartInput finishes an upload. Exactly one of Parts and
// CompleteAll is given.
type CompleteMultipartInput struct {
	Bucket          string
	Key             string
	UploadID        string
	Parts           []CompletePart
	CompleteAll     bool
	ForbidOverwrite bool
	// IfMatch makes the completion conditional as PutObjectInput.IfMatch
	// does. A completion that fails it leaves the upload and its parts in
	// place, so it can be retried.
	IfMatch string
	// IfNoneMatch is PutObjectInput.IfNoneMatch for the completion.
	IfNoneMatch string
}

// ListPartsInput pages through an upload's parts.
type ListPartsInput struct {
	Bucket           string
	Key              string
	UploadID         string
	PartNumberMarker int
	MaxParts         int
}

// ListPartsOutput is one page of parts.
type ListPartsOutput struct {
	Upload               MultipartUpload
	StorageClass         StorageClass
	Parts                []Part
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
}

// ListUploadsInput pages through a bucket's in-progress uploads.
type ListUploadsInput struct {
	Bucket         string
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// ListUploadsOutput is one page of uploads.
type ListUploadsOutput struct {
	Uploads            []MultipartUpload
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// ListObjectsInput pages through the current objects of a bucket in key
// order. Marker is exclusive (V1 marker, V2 start-after or the decoded
// continuation token).
type ListObjectsInput struct {
	Bucket    string
	Prefix    string
	Delimiter string
	Marker    string
	MaxKeys   int
}

// ListObjectsOutput is one page. NextMarker is the last key or common
// prefix returned when IsTruncated.
type ListObjectsOutput struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	NextMarker     string
}

// ListVersionsInput pages through all versions and delete markers.
type ListVersionsInput struct {
	Bucket          string
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int
}

// ListVersionsOutput lists versions newest first within a key; delete
// markers have DeleteMarker set.
type ListVersionsOutput struct {
	Versions            []ObjectInfo
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// ListBucketsInput pages through buckets.
type ListBucketsInput struct {
	Prefix  string
	Marker  string
	MaxKeys int
}

// ListBucketsOutput is one page of buckets.
type ListBucketsOutput struct {
	Buckets     []Bucket
	IsTruncated bool
	NextMarker  string
}

// BucketStat is GetBucketStat's answer.
type BucketStat struct {
	Storage              int64
	ObjectCount          int64
	MultipartUploadCount int64
	LastModified         time.Time
}
