package oss

import (
	"time"
)

// ObjectType is OSS's x-oss-object-type.
type ObjectType string

const (
	TypeNormal     ObjectType = "Normal"
	TypeAppendable ObjectType = "Appendable"
	TypeMultipart  ObjectType = "Multipart"
	TypeSymlink    ObjectType = "Symlink"
)

// ACL is a canned access control list. ACLDefault on an object means
// "inherit the bucket's".
type ACL string

const (
	ACLDefault         ACL = "default"
	ACLPrivate         ACL = "private"
	ACLPublicRead      ACL = "public-read"
	ACLPublicReadWrite ACL = "public-read-write"
)

// Valid reports whether a is one of the canned ACLs.
func (a ACL) Valid() bool {
	switch a {
	case ACLDefault, ACLPrivate, ACLPublicRead, ACLPublicReadWrite:
		return true
	}
	return false
}

// StorageClass is stored and echoed; ossflow keeps every class on the same
// media.
type StorageClass string

const (
	StorageStandard        StorageClass = "Standard"
	StorageIA              StorageClass = "IA"
	StorageArchive         StorageClass = "Archive"
	StorageColdArchive     StorageClass = "ColdArchive"
	StorageDeepColdArchive StorageClass = "DeepColdArchive"
)

// Valid reports whether s names a storage class.
func (s StorageClass) Valid() bool {
	switch s {
	case StorageStandard, StorageIA, StorageArchive, StorageColdArchive, StorageDeepColdArchive:
		return true
	}
	return false
}

// VersioningStatus of a bucket. The empty value means never enabled.
type VersioningStatus string

const (
	VersioningOff       VersioningStatus = ""
	VersioningEnabled   VersioningStatus = "Enabled"
	VersioningSuspended VersioningStatus = "Suspended"
)

// NullVersionID is the version id of objects written while versioning is
// off or suspended.
const NullVersionID = "null"

// Owner identifies the account owning a bucket or object.
type Owner struct {
	ID          string
	DisplayName string
}

// Bucket is a bucket's stored configuration.
type Bucket struct {
	Name             string
	CreatedAt        time.Time
	Region           string
	Owner            Owner
	ACL              ACL
	StorageClass     StorageClass
	DataRedundancy   string // LRS | ZRS
	Versioning       VersioningStatus
	ResourceGroupID  string
	ServerSideEncryp string // default SSE algorithm ("" or "AES256"), issue 6
}

// Tag is one object or bucket tag.
type Tag struct {
	Key   string
	Value string
}

// Limits on tags, as OSS.
const (
	MaxTags          = 10
	MaxTagKeyBytes   = 128
	MaxTagValueBytes = 256
)

// Metadata is everything about an object's content that a client sets on
// write and gets back on read.
type Metadata struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// User holds x-oss-meta-* (and x-amz-meta-*) with lowercased names,
	// without the prefix.
	User map[string]string
}

// MaxUserMetaBytes bounds the sum of user metadata names and values.
const MaxUserMetaBytes = 8 << 10

// ObjectInfo describes one object version as stored.
type ObjectInfo struct {
	Bucket       string
	Key          string
	VersionID    string // "" in a bucket that never had versioning; "null" for null versions
	IsLatest     bool
	DeleteMarker bool

	Type         ObjectType
	Size         int64
	ETag         string // quoted upper-hex, e.g. "\"5EB63BBBE01EEED093CB22BB8F5ACDC3\"" or "\"...-3\""
	CRC64        uint64
	LastModified time.Time
	StorageClass StorageClass
	ACL          ACL
	Owner        Owner
	Meta         Metadata
	Tags         []Tag

	SymlinkTarget string // Type == TypeSymlink
	PartsCount    int    // Type == TypeMultipart
	SSE           string // server-side encryption algorithm, "" when none

	// Checksums a client supplied (S3 x-amz-checksum-*), echoed on reads;
	// names lowercased without prefix, e.g. "crc32": "base64".
	Checksums map[string]string
}

// Range is a resolved byte range [Start, Start+Length).
type Range struct {
	Start  int64
	Length int64
}

// Conditions are the If-* preconditions of a read or a copy source.
type Conditions struct {
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// IsZero reports whether no precondition is set.
func (c Conditions) IsZero() bool {
	return c.IfMatch == "" && c.IfNoneMatch == "" && c.IfModifiedSince.IsZero() && c.IfUnmodifiedSince.IsZero()
}

// DeletedObject is the result of deleting one object (version).
type DeletedObject struct {
	Key                   string
	VersionID             string // the version removed, or of the delete marker created
	DeleteMarker          bool   // a delete marker was created or removed
	DeleteMarkerVersionID string
	Err                   error // per-key failure in DeleteObjects
}

// ObjectIdentifier names an object (version) in a batch delete.
type ObjectIdentifier struct {
	Key       string
	VersionID string
}

// MultipartUpload is an in-progress upload.
type MultipartUpload struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
}

// Part is one uploaded part.
type Part struct {
	PartNumber   int
	ETag         string
	Size         int64
	CRC64        uint64
	LastModified time.Time
	Checksums    map[string]string
}

// CompletePart is a part named by the client in CompleteMultipartUpload.
type CompletePart struct {
	PartNumber int
	ETag       string
}

// Multipart limits, as OSS.
const (
	MinPartNumber   = 1
	MaxPartNumber   = 10000
	MinPartSize     = 100 << 10 // every part but the last, checked at complete
	MaxPartSize     = 5 << 30
	MaxObjectSize   = 5 << 30 // single PUT / append
	MaxKeyBytes     = 1023
	MaxDeleteKeys   = 1000
	MaxListKeys     = 1000
	DefaultListKeys = 100
)
