package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// ListOptions select the objects of a listing.
type ListOptions struct {
	Prefix     string
	Delimiter  string // "/" lists one directory level, with sub-directories as prefixes
	StartAfter string
	MaxKeys    int // per page; server default when 0
	// ContinuationToken resumes a listing (ListObjects only).
	ContinuationToken string
}

// ListResult is one page of ListObjects.
type ListResult struct {
	Objects               []ObjectEntry // objects only
	CommonPrefixes        []string
	IsTruncated           bool
	NextContinuationToken string
}

type listV2Result struct {
	EncodingType          string `xml:"EncodingType"`
	IsTruncated           bool   `xml:"IsTruncated"`
	NextContinuationToken string `xml:"NextContinuationToken"`
	Contents              []struct {
		Key          string `xml:"Key"`
		LastModified string `xml:"LastModified"`
		ETag         string `xml:"ETag"`
		Type         string `xml:"Type"`
		Size         int64  `xml:"Size"`
		StorageClass string `xml:"StorageClass"`
	} `xml:"Contents"`
	CommonPrefixes []struct {
		Prefix string `xml:"Prefix"`
	} `xml:"CommonPrefixes"`
}

// ListObjects returns one page of a ListObjectsV2 listing of bucket.
func (c *Client) ListObjects(ctx context.Context, bucket string, opts *ListOptions) (*ListResult, error) {
	q := url.Values{"list-type": {"2"}, "encoding-type": {"url"}}
	if opts != nil {
		if opts.Prefix != "" {
			q.Set("prefix", opts.Prefix)
		}
		if opts.Delimiter != "" {
			q.Set("delimiter", opts.Delimiter)
		}
		if opts.StartAfter != "" {
			q.Set("start-after", opts.StartAfter)
		}
		if opts.MaxKeys > 0 {
			q.Set("max-keys", strconv.Itoa(opts.MaxKeys))
		}
		if opts.ContinuationToken != "" {
			q.Set("continuation-token", opts.ContinuationToken)
		}
	}
	var res listV2Result
	if err := c.getXML(ctx, &request{method: http.MethodGet, bucket: bucket, query: q}, &res); err != nil {
		return nil, err
	}
	out := &ListResult{IsTruncated: res.IsTruncated, NextContinuationToken: res.NextContinuationToken}
	for _, o := range res.Contents {
		out.Objects = append(out.Objects, ObjectEntry{
			Key:          decodeName(res.EncodingType, o.Key),
			Size:         o.Size,
			ETag:         o.ETag,
			LastModified: parseISOTime(o.LastModified),
			StorageClass: o.StorageClass,
			Type:         o.Type,
		})
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, decodeName(res.EncodingType, p.Prefix))
	}
	return out, nil
}

// Objects iterates over every page of a listing of bucket: objects and,
// with a delimiter, common prefixes (IsPrefix set) in key order. The
// iteration stops after the first error, which it yields.
func (c *Client) Objects(ctx context.Context, bucket string, opts *ListOptions) iter.Seq2[ObjectEntry, error] {
	return func(yield func(ObjectEntry, error) bool) {
		var o ListOptions
		if opts != nil {
			o = *opts
		}
		for {
			page, err := c.ListObjects(ctx, bucket, &o)
			if err != nil {
				yield(ObjectEntry{}, err)
				return
			}
			for _, e := range mergeEntries(page) {
				if !yield(e, nil) {
					return
				}
			}
			if !page.IsTruncated || page.NextContinuationToken == "" || page.NextContinuationToken == o.ContinuationToken {
				return
			}
			o.ContinuationToken = page.NextContinuationToken
		}
	}
}

// mergeEntries merges a page's objects and prefixes in key order.
func mergeEntries(p *ListResult) []ObjectEntry {
	out := make([]ObjectEntry, 0, len(p.Objects)+len(p.CommonPrefixes))
	i, j := 0, 0
	for i < len(p.Objects) || j < len(p.CommonPrefixes) {
		if j >= len(p.CommonPrefixes) || (i < len(p.Objects) && p.Objects[i].Key < p.CommonPrefixes[j]) {
			out = append(out, p.Objects[i])
			i++
			continue
		}
		out = append(out, ObjectEntry{Key: p.CommonPrefixes[j], IsPrefix: true})
		j++
	}
	return out
}
