package abi

import "time"

// ObjectInfo is the JSON document describing an object, returned by
// object_info, object_head, object_commit, image_process and inside
// ListResult.
type ObjectInfo struct {
	Bucket             string            `json:"bucket"`
	Key                string            `json:"key"`
	VersionID          string            `json:"versionId,omitempty"`
	Size               int64             `json:"size"`
	ETag               string            `json:"etag,omitempty"`
	CRC64              uint64            `json:"crc64,omitempty,string"`
	LastModified       time.Time         `json:"lastModified"`
	Type               string            `json:"type,omitempty"`
	StorageClass       string            `json:"storageClass,omitempty"`
	ContentType        string            `json:"contentType,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	UserMeta           map[string]string `json:"userMeta,omitempty"`
}

// PutOptions is the optional JSON document of object_open_write.
type PutOptions struct {
	ContentType        string            `json:"contentType,omitempty"`
	ContentEncoding    string            `json:"contentEncoding,omitempty"`
	ContentDisposition string            `json:"contentDisposition,omitempty"`
	ContentLanguage    string            `json:"contentLanguage,omitempty"`
	CacheControl       string            `json:"cacheControl,omitempty"`
	UserMeta           map[string]string `json:"userMeta,omitempty"`
}

// ListRequest is the JSON argument of object_list.
type ListRequest struct {
	Bucket    string `json:"bucket"`
	Prefix    string `json:"prefix,omitempty"`
	Delimiter string `json:"delimiter,omitempty"`
	Marker    string `json:"marker,omitempty"`
	MaxKeys   int    `json:"maxKeys,omitempty"`
}

// ListResult is the JSON result of object_list.
type ListResult struct {
	Objects        []ObjectInfo `json:"objects"`
	CommonPrefixes []string     `json:"commonPrefixes,omitempty"`
	IsTruncated    bool         `json:"isTruncated"`
	NextMarker     string       `json:"nextMarker,omitempty"`
}

// ImageRequest is the JSON argument of image_process: read SrcBucket/SrcKey,
// apply Process (an OSS "image/..." process string), write
// DstBucket/DstKey. No pixel data crosses guest memory.
type ImageRequest struct {
	SrcBucket string `json:"srcBucket"`
	SrcKey    string `json:"srcKey"`
	Process   string `json:"process"`
	DstBucket string `json:"dstBucket"`
	DstKey    string `json:"dstKey"`
}

// HTTPRequest is the JSON argument of http_open (Body must be empty: the
// body is streamed with http_write) and the invocation input of an HTTP
// invocation (Body carries the request body, base64 in JSON).
type HTTPRequest struct {
	Method string              `json:"method"`
	URL    string              `json:"url"`
	Header map[string][]string `json:"header,omitempty"`
	Body   []byte              `json:"body,omitempty"`
}

// HTTPResponse is the JSON result of http_send (Body empty: the body is
// streamed with http_read) and the invocation output of an HTTP
// invocation (Body carries the response body).
type HTTPResponse struct {
	Status int                 `json:"status"`
	Header map[string][]string `json:"header,omitempty"`
	Body   []byte              `json:"body,omitempty"`
}
