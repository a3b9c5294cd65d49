package client

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ObjectInfo describes an object as the server reported it.
type ObjectInfo struct {
	Bucket       string
	Key          string
	Size         int64 // the whole object's size, also for a ranged read
	ETag         string
	CRC64        uint64 // x-oss-hash-crc64ecma; HasCRC64 tells whether it was sent
	HasCRC64     bool
	LastModified time.Time
	ContentType  string
	VersionID    string
	Type         string // Normal, Appendable, Multipart or Symlink
	StorageClass string
	// Metadata holds the x-oss-meta-* headers, names lowercased without the
	// prefix.
	Metadata map[string]string
}

// BucketInfo is one bucket of ListBuckets.
type BucketInfo struct {
	Name         string
	CreationDate time.Time
	Location     string
	Region       string
	StorageClass string
}

// ObjectEntry is one item of a listing: an object, or (IsPrefix) a common
// prefix when the listing has a delimiter.
type ObjectEntry struct {
	Key          string
	IsPrefix     bool
	Size         int64
	ETag         string
	LastModified time.Time
	StorageClass string
	Type         string
}

// PutOptions are the optional headers of a write.
type PutOptions struct {
	ContentType        string
	CacheControl       string
	ContentDisposition string
	ContentEncoding    string
	Expires            string
	ACL                string // private, public-read, public-read-write, default
	StorageClass       string
	Metadata           map[string]string // sent as x-oss-meta-<name>
	Tags               map[string]string // sent as x-oss-tagging
	ForbidOverwrite    bool
	// ContentMD5 is the base64 MD5 of the body, verified by the server.
	ContentMD5 string
}

func (o *PutOptions) header() http.Header {
	h := http.Header{}
	if o == nil {
		return h
	}
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set("Content-Type", o.ContentType)
	set("Cache-Control", o.CacheControl)
	set("Content-Disposition", o.ContentDisposition)
	set("Content-Encoding", o.ContentEncoding)
	set("Expires", o.Expires)
	set("x-oss-object-acl", o.ACL)
	set("x-oss-storage-class", o.StorageClass)
	set("Content-MD5", o.ContentMD5)
	for k, v := range o.Metadata {
		h.Set("x-oss-meta-"+strings.ToLower(k), v)
	}
	if len(o.Tags) > 0 {
		h.Set("x-oss-tagging", encodeQuery(toValues(o.Tags)))
	}
	if o.ForbidOverwrite {
		h.Set("x-oss-forbid-overwrite", "true")
	}
	return h
}

func toValues(m map[string]string) map[string][]string {
	v := make(map[string][]string, len(m))
	for k, s := range m {
		v[k] = []string{s}
	}
	return v
}

// objectInfoFromHeader reads the metadata headers of a Put/Get/Head answer.
func objectInfoFromHeader(bucket, key string, h http.Header, contentLength int64) ObjectInfo {
	info := ObjectInfo{
		Bucket:       bucket,
		Key:          key,
		Size:         contentLength,
		ETag:         h.Get("ETag"),
		ContentType:  h.Get("Content-Type"),
		VersionID:    h.Get("x-oss-version-id"),
		Type:         h.Get("x-oss-object-type"),
		StorageClass: h.Get("x-oss-storage-class"),
	}
	if s := h.Get("x-oss-hash-crc64ecma"); s != "" {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			info.CRC64, info.HasCRC64 = v, true
		}
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		info.LastModified = t
	}
	if cr := h.Get("Content-Range"); cr != "" {
		// bytes a-b/total
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				info.Size = n
			}
		}
	}
	for k, vs := range h {
		lk := strings.ToLower(k)
		if name, ok := strings.CutPrefix(lk, "x-oss-meta-"); ok && len(vs) > 0 {
			if info.Metadata == nil {
				info.Metadata = map[string]string{}
			}
			info.Metadata[name] = vs[0]
		}
	}
	return info
}

// parseISOTime parses the timestamps of XML bodies.
func parseISOTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.000Z", time.RFC3339Nano, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
