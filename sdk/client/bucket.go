package client

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// BucketOptions are the optional settings of CreateBucket.
type BucketOptions struct {
	ACL          string // x-oss-acl
	StorageClass string
}

type createBucketConfiguration struct {
	XMLName      xml.Name `xml:"CreateBucketConfiguration"`
	StorageClass string   `xml:"StorageClass,omitempty"`
}

// CreateBucket creates bucket.
func (c *Client) CreateBucket(ctx context.Context, bucket string, opts *BucketOptions) error {
	rq := &request{method: http.MethodPut, bucket: bucket, header: http.Header{}}
	if opts != nil {
		if opts.ACL != "" {
			rq.header.Set("x-oss-acl", opts.ACL)
		}
		if opts.StorageClass != "" {
			doc, err := xml.Marshal(createBucketConfiguration{StorageClass: opts.StorageClass})
			if err != nil {
				return fmt.Errorf("client: CreateBucket: %w", err)
			}
			rq.body, rq.size = xmlBody(doc)
			rq.header.Set("Content-Type", "application/xml")
		}
	}
	_, err := c.doDiscard(ctx, rq)
	return err
}

// DeleteBucket deletes an empty bucket.
func (c *Client) DeleteBucket(ctx context.Context, bucket string) error {
	_, err := c.doDiscard(ctx, &request{method: http.MethodDelete, bucket: bucket})
	return err
}

type listBucketsResult struct {
	IsTruncated bool   `xml:"IsTruncated"`
	NextMarker  string `xml:"NextMarker"`
	Buckets     []struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		Location     string `xml:"Location"`
		Region       string `xml:"Region"`
		StorageClass string `xml:"StorageClass"`
	} `xml:"Buckets>Bucket"`
}

// ListBuckets returns every bucket of the account, following pages.
func (c *Client) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	var out []BucketInfo
	marker := ""
	for {
		q := url.Values{"max-keys": {strconv.Itoa(1000)}}
		if marker != "" {
			q.Set("marker", marker)
		}
		var res listBucketsResult
		if err := c.getXML(ctx, &request{method: http.MethodGet, query: q}, &res); err != nil {
			return nil, err
		}
		for _, b := range res.Buckets {
			out = append(out, BucketInfo{
				Name:         b.Name,
				CreationDate: parseISOTime(b.CreationDate),
				Location:     b.Location,
				Region:       b.Region,
				StorageClass: b.StorageClass,
			})
		}
		if !res.IsTruncated || res.NextMarker == "" || res.NextMarker == marker {
			return out, nil
		}
		marker = res.NextMarker
	}
}

// maxXMLResponse bounds the size of an XML answer.
const maxXMLResponse = 32 << 20

// getXML sends rq and decodes the XML answer into v.
func (c *Client) getXML(ctx context.Context, rq *request, v any) error {
	resp, err := c.do(ctx, rq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := xml.NewDecoder(io.LimitReader(resp.Body, maxXMLResponse)).Decode(v); err != nil {
		return fmt.Errorf("client: %s %s: decode answer: %w", rq.method, describe(rq.bucket, rq.key), err)
	}
	return nil
}
