package client

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// PutObject writes size bytes of r to bucket/key in one request (size -1
// streams a body of unknown length). The CRC-64 of the bytes sent is checked
// against the server's.
func (c *Client) PutObject(ctx context.Context, bucket, key string, r io.Reader, size int64, opts *PutOptions) (ObjectInfo, error) {
	if r == nil {
		r, size = http.NoBody, 0
	}
	cr := &crcReader{r: r}
	resp, err := c.do(ctx, &request{method: http.MethodPut, bucket: bucket, key: key, header: opts.header(), body: cr, size: size})
	if err != nil {
		return ObjectInfo{}, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	info := objectInfoFromHeader(bucket, key, resp.Header, cr.n)
	info.Size = cr.n
	if err := checkCRC("client: PutObject", info, cr.crc); err != nil {
		return info, err
	}
	return info, nil
}

// Range selects bytes [Start, End] of an object, End inclusive; End < 0
// means to the end of the object.
type Range struct {
	Start, End int64
}

func (r Range) header() string {
	if r.End < 0 {
		return fmt.Sprintf("bytes=%d-", r.Start)
	}
	return fmt.Sprintf("bytes=%d-%d", r.Start, r.End)
}

// GetOptions select what GetObject and HeadObject read.
type GetOptions struct {
	VersionID   string
	Range       *Range
	IfMatch     string
	IfNoneMatch string
	// IfModifiedSince / IfUnmodifiedSince are sent when non-zero.
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

func (o *GetOptions) apply(rq *request) {
	rq.header = http.Header{}
	if o == nil {
		return
	}
	if o.VersionID != "" {
		rq.query = url.Values{"versionId": {o.VersionID}}
	}
	if o.Range != nil {
		rq.header.Set("Range", o.Range.header())
		rq.header.Set("x-oss-range-behavior", "standard")
	}
	if o.IfMatch != "" {
		rq.header.Set("If-Match", o.IfMatch)
	}
	if o.IfNoneMatch != "" {
		rq.header.Set("If-None-Match", o.IfNoneMatch)
	}
	if !o.IfModifiedSince.IsZero() {
		rq.header.Set("If-Modified-Since", o.IfModifiedSince.UTC().Format(http.TimeFormat))
	}
	if !o.IfUnmodifiedSince.IsZero() {
		rq.header.Set("If-Unmodified-Since", o.IfUnmodifiedSince.UTC().Format(http.TimeFormat))
	}
}

// GetObject opens bucket/key for reading. The caller must close the
// returned body. A whole-object read is checked against the server's
// CRC-64: the final Read reports a mismatch (wrapping ErrChecksumMismatch)
// instead of io.EOF.
func (c *Client) GetObject(ctx context.Context, bucket, key string, opts *GetOptions) (io.ReadCloser, ObjectInfo, error) {
	rq := &request{method: http.MethodGet, bucket: bucket, key: key}
	opts.apply(rq)
	resp, err := c.do(ctx, rq)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	info := objectInfoFromHeader(bucket, key, resp.Header, resp.ContentLength)
	if resp.StatusCode == http.StatusOK && resp.ContentLength >= 0 {
		return &verifyingBody{rc: resp.Body, info: info}, info, nil
	}
	return resp.Body, info, nil
}

// HeadObject returns the metadata of bucket/key.
func (c *Client) HeadObject(ctx context.Context, bucket, key string, opts *GetOptions) (ObjectInfo, error) {
	rq := &request{method: http.MethodHead, bucket: bucket, key: key}
	opts.apply(rq)
	resp, err := c.do(ctx, rq)
	if err != nil {
		return ObjectInfo{}, err
	}
	resp.Body.Close()
	info := objectInfoFromHeader(bucket, key, resp.Header, resp.ContentLength)
	if info.Size < 0 {
		if n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil {
			info.Size = n
		}
	}
	return info, nil
}

// DeleteObject deletes bucket/key. Deleting a missing key succeeds.
func (c *Client) DeleteObject(ctx context.Context, bucket, key string) error {
	_, err := c.doDiscard(ctx, &request{method: http.MethodDelete, bucket: bucket, key: key})
	return err
}

type deleteXML struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key string `xml:"Key"`
	} `xml:"Object"`
}

type deleteResult struct {
	EncodingType string `xml:"EncodingType"`
	Deleted      []struct {
		Key string `xml:"Key"`
	} `xml:"Deleted"`
}

// DeleteObjects deletes keys from bucket, in batches of 1000, and returns
// the keys the server reports deleted.
func (c *Client) DeleteObjects(ctx context.Context, bucket string, keys []string) ([]string, error) {
	var deleted []string
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		batch := keys[:n]
		keys = keys[n:]
		var doc deleteXML
		for _, k := range batch {
			doc.Objects = append(doc.Objects, struct {
				Key string `xml:"Key"`
			}{k})
		}
		body, err := xml.Marshal(doc)
		if err != nil {
			return deleted, fmt.Errorf("client: DeleteObjects: %w", err)
		}
		sum := md5.Sum(body)
		rq := &request{
			method: http.MethodPost,
			bucket: bucket,
			query:  url.Values{"delete": {""}, "encoding-type": {"url"}},
			header: http.Header{"Content-Md5": {base64.StdEncoding.EncodeToString(sum[:])}, "Content-Type": {"application/xml"}},
		}
		rq.body, rq.size = xmlBody(body)
		var res deleteResult
		if err := c.getXML(ctx, rq, &res); err != nil {
			return deleted, err
		}
		for _, d := range res.Deleted {
			deleted = append(deleted, decodeName(res.EncodingType, d.Key))
		}
	}
	return deleted, nil
}

// CopyOptions control CopyObject. With Replace set the destination gets
// Put's metadata instead of the source's.
type CopyOptions struct {
	Put          PutOptions
	Replace      bool
	SrcVersionID string
}

type copyResult struct {
	ETag         string `xml:"ETag"`
	LastModified string `xml:"LastModified"`
}

// CopyObject copies srcBucket/srcKey to dstBucket/dstKey on the server.
func (c *Client) CopyObject(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts *CopyOptions) (ObjectInfo, error) {
	var put *PutOptions
	src := "/" + srcBucket + "/" + escapeKey(srcKey)
	if opts != nil {
		put = &opts.Put
		if opts.SrcVersionID != "" {
			src += "?versionId=" + url.QueryEscape(opts.SrcVersionID)
		}
	}
	h := put.header()
	h.Set("x-oss-copy-source", src)
	if opts != nil && opts.Replace {
		h.Set("x-oss-metadata-directive", "REPLACE")
	}
	rq := &request{method: http.MethodPut, bucket: dstBucket, key: dstKey, header: h}
	resp, err := c.do(ctx, rq)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer resp.Body.Close()
	var res copyResult
	if err := xml.NewDecoder(io.LimitReader(resp.Body, maxXMLResponse)).Decode(&res); err != nil {
		return ObjectInfo{}, fmt.Errorf("client: CopyObject %s: decode answer: %w", describe(dstBucket, dstKey), err)
	}
	info := objectInfoFromHeader(dstBucket, dstKey, resp.Header, -1)
	info.ETag = res.ETag
	info.LastModified = parseISOTime(res.LastModified)
	return info, nil
}

// decodeName undoes encoding-type=url.
func decodeName(encoding, s string) string {
	if !strings.EqualFold(encoding, "url") {
		return s
	}
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}
