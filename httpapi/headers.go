package httpapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// Header names (canonical form).
const (
	hdrOSSRequestID          = "X-Oss-Request-Id"
	hdrOSSEC                 = "X-Oss-Ec"
	hdrOSSErr                = "X-Oss-Err"
	hdrOSSCRC64              = "X-Oss-Hash-Crc64ecma"
	hdrOSSNextAppendPosition = "X-Oss-Next-Append-Position"
	hdrOSSObjectType         = "X-Oss-Object-Type"
	hdrOSSSymlinkTarget      = "X-Oss-Symlink-Target"
	hdrOSSCompleteAll        = "X-Oss-Complete-All"
	hdrOSSForbidOverwrite    = "X-Oss-Forbid-Overwrite"
	hdrOSSRangeBehavior      = "X-Oss-Range-Behavior"
)

// Prefixes of user metadata headers.
const (
	ossMetaPrefix = "x-oss-meta-"
	amzMetaPrefix = "x-amz-meta-"
)

// pick returns the first non-empty value among the given header names (an
// x-oss-* name and its x-amz-* twin).
func pick(hd http.Header, names ...string) string {
	for _, n := range names {
		if v := hd.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// dialectHeader is the x-oss-<name> or x-amz-<name> header for the dialect.
func (rc *reqCtx) dialectHeader(name string) string {
	if rc.s3 {
		return "X-Amz-" + name
	}
	return "X-Oss-" + name
}

// invalidArgument builds an InvalidArgument naming the offending argument.
func invalidArgument(op, msg, name, value string) error {
	e := oss.E(op, oss.InvalidArgument, "%s", msg)
	e.ArgumentName, e.ArgumentValue = name, value
	return e
}

// parseMetadata reads the standard content headers and the user metadata
// (x-oss-meta-* and x-amz-meta-*, names lowercased, at most 8 KB in all).
func parseMetadata(hd http.Header, op string) (oss.Metadata, error) {
	m := oss.Metadata{
		ContentType:        hd.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(hd.Get("Content-Encoding")),
		ContentDisposition: hd.Get("Content-Disposition"),
		ContentLanguage:    hd.Get("Content-Language"),
		CacheControl:       hd.Get("Cache-Control"),
		Expires:            hd.Get("Expires"),
	}
	total := 0
	for k, v := range hd {
		lk := strings.ToLower(k)
		var name string
		switch {
		case strings.HasPrefix(lk, ossMetaPrefix):
			name = lk[len(ossMetaPrefix):]
		case strings.HasPrefix(lk, amzMetaPrefix):
			name = lk[len(amzMetaPrefix):]
		default:
			continue
		}
		if name == "" {
			continue
		}
		if m.User == nil {
			m.User = map[string]string{}
		}
		val := strings.Join(v, ",")
		m.User[name] = val
		total += len(name) + len(val)
	}
	if total > oss.MaxUserMetaBytes {
		return m, oss.E(op, oss.InvalidArgument, "Your metadata headers exceed the maximum allowed metadata size.")
	}
	return m, nil
}

// stripAWSChunked drops the aws-chunked transfer coding from a
// Content-Encoding value: it describes the request, not the object.
func stripAWSChunked(v string) string {
	if v == "" || !strings.Contains(strings.ToLower(v), "aws-chunked") {
		return v
	}
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
			out = append(out, e)
		}
	}
	return strings.Join(out, ",")
}

// parseACL reads a canned ACL from the first non-empty of names. S3's
// canned ACLs beyond OSS's three are rejected.
func parseACL(hd http.Header, op string, names ...string) (oss.ACL, error) {
	v := pick(hd, names...)
	if v == "" {
		return "", nil
	}
	acl := oss.ACL(strings.ToLower(v))
	if !acl.Valid() {
		return "", invalidArgument(op, "no such bucket access control exists", strings.ToLower(names[0]), v)
	}
	return acl, nil
}

func parseObjectACL(hd http.Header, op string) (oss.ACL, error) {
	return parseACL(hd, op, "X-Oss-Object-Acl", "X-Amz-Acl")
}

func parseBucketACL(hd http.Header, op string) (oss.ACL, error) {
	acl, err := parseACL(hd, op, "X-Oss-Acl", "X-Amz-Acl")
	if acl == oss.ACLDefault {
		return "", invalidArgument(op, "no such bucket access control exists", "x-oss-acl", string(acl))
	}
	return acl, err
}

// parseStorageClass reads x-oss-storage-class or x-amz-storage-class, in
// OSS or S3 spelling.
func parseStorageClass(hd http.Header, op string) (oss.StorageClass, error) {
	v := pick(hd, "X-Oss-Storage-Class", "X-Amz-Storage-Class")
	if v == "" {
		return "", nil
	}
	sc, ok := storageClassFromWire(v)
	if !ok {
		return "", invalidArgument(op, "The storage class you specified is not valid.", "x-oss-storage-class", v)
	}
	return sc, nil
}

// parseTaggingHeader reads x-oss-tagging / x-amz-tagging, "k=v&k2=v2"
// (URL-encoded), in order.
func parseTaggingHeader(hd http.Header, op string) ([]oss.Tag, error) {
	v := pick(hd, "X-Oss-Tagging", "X-Amz-Tagging")
	if v == "" {
		return nil, nil
	}
	var tags []oss.Tag
	for _, kv := range strings.Split(v, "&") {
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		var err1, err2 error
		k, err1 = url.QueryUnescape(k)
		val, err2 = url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return nil, invalidArgument(op, "The tagging header is invalid.", "x-oss-tagging", v)
		}
		tags = append(tags, oss.Tag{Key: k, Value: val})
	}
	if err := validateTags(tags, op); err != nil {
		return nil, err
	}
	return tags, nil
}

// validateTags applies OSS's limits: at most 10 tags, unique keys of 1 to
// 128 bytes, values of at most 256 bytes.
func validateTags(tags []oss.Tag, op string) error {
	if len(tags) > oss.MaxTags {
		return oss.E(op, oss.InvalidArgument, "Object tags cannot be greater than %d.", oss.MaxTags)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		switch {
		case t.Key == "" || len(t.Key) > oss.MaxTagKeyBytes:
			return invalidArgument(op, "The tag key is invalid.", "TagKey", t.Key)
		case len(t.Value) > oss.MaxTagValueBytes:
			return invalidArgument(op, "The tag value is invalid.", "TagValue", t.Value)
		case seen[t.Key]:
			return invalidArgument(op, "Cannot provide multiple tags with the same key.", "TagKey", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// parseContentMD5 decodes Content-MD5; a value that is not the base64 of
// 16 bytes is InvalidDigest.
func parseContentMD5(hd http.Header, rc *reqCtx) ([]byte, error) {
	v := hd.Get("Content-Md5")
	if v == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != 16 {
		return nil, oss.E(rc.op.name, oss.InvalidDigest, "The Content-MD5 you specified was invalid.")
	}
	rc.md5Given = true
	return b, nil
}

// parseSSE reads the server-side encryption request headers.
func parseSSE(hd http.Header, op string) (string, error) {
	v := pick(hd, "X-Oss-Server-Side-Encryption", "X-Amz-Server-Side-Encryption")
	switch strings.ToUpper(v) {
	case "":
		return "", nil
	case "AES256":
		return "AES256", nil
	case "KMS", "AWS:KMS":
		return "KMS", nil
	case "SM4":
		return "SM4", nil
	}
	e := oss.E(op, oss.InvalidEncryptionAlgorithm, "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4.")
	e.ArgumentName, e.ArgumentValue = "x-oss-server-side-encryption", v
	return "", e
}

// parseBool reads a boolean header ("true", case-insensitive).
func parseBool(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// parseConditions reads If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since under prefix ("" for a read, the copy-source prefixes
// for a copy). Unparsable dates are ignored, as HTTP allows.
func parseConditions(hd http.Header, prefixes ...string) oss.Conditions {
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	get := func(name string) string {
		for _, p := range prefixes {
			if v := hd.Get(p + name); v != "" {
				return v
			}
		}
		return ""
	}
	date := func(name string) time.Time {
		t, err := http.ParseTime(get(name))
		if err != nil {
			return time.Time{}
		}
		return t
	}
	return oss.Conditions{
		IfMatch:           get("If-Match"),
		IfNoneMatch:       get("If-None-Match"),
		IfModifiedSince:   date("If-Modified-Since"),
		IfUnmodifiedSince: date("If-Unmodified-Since"),
	}
}

// copySourceConditions reads x-oss-copy-source-if-* / x-amz-copy-source-if-*.
func copySourceConditions(hd http.Header) oss.Conditions {
	return parseConditions(hd, "X-Oss-Copy-Source-", "X-Amz-Copy-Source-")
}

// parsePutInput reads everything a whole-object write takes from headers.
func parsePutInput(rc *reqCtx, r *http.Request) (oss.PutObjectInput, error) {
	op := rc.op.name
	in := oss.PutObjectInput{Bucket: rc.bucket(), Key: rc.key(), Size: -1}
	var err error
	if in.Meta, err = parseMetadata(r.Header, op); err != nil {
		return in, err
	}
	if in.ACL, err = parseObjectACL(r.Header, op); err != nil {
		return in, err
	}
	if in.StorageClass, err = parseStorageClass(r.Header, op); err != nil {
		return in, err
	}
	if in.Tags, err = parseTaggingHeader(r.Header, op); err != nil {
		return in, err
	}
	if in.SSE, err = parseSSE(r.Header, op); err != nil {
		return in, err
	}
	if in.ContentMD5, err = parseContentMD5(r.Header, rc); err != nil {
		return in, err
	}
	in.ForbidOverwrite = parseBool(r.Header.Get(hdrOSSForbidOverwrite))
	if r.Header.Get("X-Oss-Callback") != "" {
		return in, oss.E(op, oss.NotImplemented, "Upload callbacks are not implemented.")
	}
	return in, nil
}

// httpTime formats t as an HTTP date.
func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// isoTime formats t as OSS and S3 do in XML.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// objectHeaders sets the headers describing an object on a read (or a
// write) response. whole tells that the response carries the whole
// object (not a range): only then are Content-MD5 and, for S3 with
// x-amz-checksum-mode ENABLED, the stored checksums of a non-multipart
// object echoed.
func (rc *reqCtx) objectHeaders(hd http.Header, info oss.ObjectInfo, whole bool) {
	if info.ETag != "" {
		hd.Set("ETag", info.ETag)
	}
	if !info.LastModified.IsZero() {
		hd.Set("Last-Modified", httpTime(info.LastModified))
	}
	ct := info.Meta.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	hd.Set("Content-Type", ct)
	setIf(hd, "Content-Encoding", info.Meta.ContentEncoding)
	setIf(hd, "Content-Disposition", info.Meta.ContentDisposition)
	setIf(hd, "Content-Language", info.Meta.ContentLanguage)
	setIf(hd, "Cache-Control", info.Meta.CacheControl)
	setIf(hd, "Expires", info.Meta.Expires)
	prefix := "X-Oss-Meta-"
	if rc.s3 {
		prefix = "X-Amz-Meta-"
	}
	names := make([]string, 0, len(info.Meta.User))
	for k := range info.Meta.User {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		hd.Set(prefix+k, info.Meta.User[k])
	}
	if info.Type != "" {
		hd.Set(hdrOSSObjectType, string(info.Type))
	}
	if info.Type == oss.TypeAppendable {
		hd.Set(hdrOSSNextAppendPosition, strconv.FormatInt(info.Size, 10))
	}
	if whole && info.Type == oss.TypeNormal && info.ETag != "" {
		if md, ok := checksum.ParseETagMD5(info.ETag); ok {
			hd.Set("Content-Md5", checksum.Base64MD5(md))
		}
	}
	if info.StorageClass != "" {
		hd.Set(rc.dialectHeader("Storage-Class"), rc.storageClass(info.StorageClass))
	}
	rc.versionHeader(hd, info.VersionID)
	if len(info.Tags) > 0 {
		hd.Set(rc.dialectHeader("Tagging-Count"), strconv.Itoa(len(info.Tags)))
	}
	if info.SSE != "" {
		hd.Set(rc.dialectHeader("Server-Side-Encryption"), rc.sseName(info.SSE))
	}
	hd.Set(hdrOSSCRC64, checksum.FormatCRC64(info.CRC64))
	if info.Type == oss.TypeMultipart && info.PartsCount > 0 && rc.s3 {
		hd.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(info.PartsCount))
	}
	if whole && rc.s3 && info.Type != oss.TypeMultipart && strings.EqualFold(rc.hdr.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		rc.checksumHeaders(hd, info.Checksums)
	}
}

// writeHeaders sets what a write returns: ETag, CRC-64, version id and,
// for S3, the checksums the client sent.
func (rc *reqCtx) writeHeaders(hd http.Header, etag string, crc uint64, versionID string, checksums map[string]string) {
	if etag != "" {
		hd.Set("ETag", etag)
		if md, ok := checksum.ParseETagMD5(etag); ok {
			hd.Set("Content-Md5", checksum.Base64MD5(md))
		}
	}
	hd.Set(hdrOSSCRC64, checksum.FormatCRC64(crc))
	rc.versionHeader(hd, versionID)
	rc.checksumHeaders(hd, checksums)
}

func (rc *reqCtx) versionHeader(hd http.Header, versionID string) {
	if versionID != "" {
		hd.Set(rc.dialectHeader("Version-Id"), versionID)
	}
}

func setIf(hd http.Header, name, value string) {
	if value != "" {
		hd.Set(name, value)
	}
}

// responseOverrides applies the response-* query parameters of a signed
// GetObject.
var responseOverrides = []struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func (rc *reqCtx) applyResponseOverrides(hd http.Header) {
	if rc.auth.Anonymous {
		return
	}
	for _, o := range responseOverrides {
		if v := rc.query.Get(o.param); v != "" {
			hd.Set(o.header, v)
		}
	}
}
