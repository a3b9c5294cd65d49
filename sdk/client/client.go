package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// DefaultRegion is the region requests are signed for unless [WithRegion]
// says otherwise.
const DefaultRegion = "cn-hangzhou"

// Client talks to one ossflow (or OSS) endpoint with one credential. It is
// safe for concurrent use.
type Client struct {
	endpoint *url.URL
	ak, sk   string
	region   string
	hc       *http.Client
	now      func() time.Time
	ua       string
	token    string
}

// Option configures a Client.
type Option func(*Client)

// WithRegion sets the region requests are signed for.
func WithRegion(region string) Option { return func(c *Client) { c.region = region } }

// WithHTTPClient replaces the HTTP client (default: a client with no overall
// timeout, so that long transfers are bounded by their context only).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithClock sets the time source used for signatures (tests).
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.ua = ua } }

// WithSecurityToken sends an STS security token with every request.
func WithSecurityToken(token string) Option { return func(c *Client) { c.token = token } }

func (c *Client) signOpts() []auth.SignOption {
	if c.token == "" {
		return nil
	}
	return []auth.SignOption{auth.WithSecurityToken(c.token)}
}

// New returns a client for endpoint, an absolute http or https URL such as
// "http://127.0.0.1:9000". An empty accessKeyID makes anonymous requests.
func New(endpoint, accessKeyID, secret string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: endpoint %q: %w", endpoint, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: endpoint %q: want http(s)://host[:port]", endpoint)
	}
	if u.Path != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("client: endpoint %q: must not have a path or query", endpoint)
	}
	if (accessKeyID == "") != (secret == "") {
		return nil, errors.New("client: access key id and secret must both be set or both be empty")
	}
	c := &Client{
		endpoint: u,
		ak:       accessKeyID,
		sk:       secret,
		region:   DefaultRegion,
		hc:       &http.Client{},
		now:      time.Now,
		ua:       "ossflow-go-client",
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Endpoint returns the endpoint the client talks to.
func (c *Client) Endpoint() string { return c.endpoint.String() }

// request describes one API call.
type request struct {
	method string
	bucket string
	key    string
	query  url.Values
	header http.Header
	body   io.Reader
	size   int64 // body length; -1 unknown (chunked)
}

// escapeKey percent-encodes a key for a URL path, keeping '/'.
func escapeKey(s string) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' ||
			ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[ch>>4])
		b.WriteByte(hexUpper[ch&0x0f])
	}
	return b.String()
}

// encodeQuery renders q sorted by key, with a bare "k" for empty values
// (the sub-resource form OSS clients send, e.g. "?uploads").
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			if v != "" {
				b.WriteByte('=')
				b.WriteString(strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
			}
		}
	}
	return b.String()
}

// url builds the path-style URL of bucket/key with query q.
func (c *Client) url(bucket, key string, q url.Values) *url.URL {
	u := *c.endpoint
	u.Path, u.RawPath = "/", ""
	if bucket != "" {
		u.Path = "/" + bucket + "/" + key
		u.RawPath = "/" + bucket + "/" + escapeKey(key)
	}
	u.RawQuery = encodeQuery(q)
	return &u
}

// newRequest builds and signs the HTTP request of rq.
func (c *Client) newRequest(ctx context.Context, rq *request) (*http.Request, error) {
	u := c.url(rq.bucket, rq.key, rq.query)
	body := rq.body
	if rq.size == 0 || body == nil {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", rq.method, u.Redacted(), err)
	}
	// url.String re-derives the path from RawPath; keep ours exactly.
	req.URL = u
	if body != http.NoBody {
		req.ContentLength = rq.size
	} else {
		req.ContentLength = 0
	}
	for k, vs := range rq.header {
		req.Header[k] = vs
	}
	// Never let the transport gunzip object bytes behind our back.
	req.Header.Set("Accept-Encoding", "identity")
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	if c.ak != "" {
		auth.SignOSSV4(req, c.ak, c.sk, c.region, rq.bucket, rq.key, c.now(), c.signOpts()...)
	}
	return req, nil
}

// do sends rq and returns the response of a 2xx answer; any other status
// becomes an *Error (the body is consumed and closed).
func (c *Client) do(ctx context.Context, rq *request) (*http.Response, error) {
	req, err := c.newRequest(ctx, rq)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", rq.method, describe(rq.bucket, rq.key), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := parseError(resp)
		if e.Bucket == "" {
			e.Bucket = rq.bucket
		}
		if e.Key == "" {
			e.Key = rq.key
		}
		return nil, e
	}
	return resp, nil
}

// doDiscard sends rq and drains and closes the response body.
func (c *Client) doDiscard(ctx context.Context, rq *request) (http.Header, error) {
	resp, err := c.do(ctx, rq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Header, nil
}

// xmlBody returns a request body and its length for an XML document.
func xmlBody(doc []byte) (io.Reader, int64) {
	return bytes.NewReader(doc), int64(len(doc))
}

func describe(bucket, key string) string {
	switch {
	case bucket == "":
		return "/"
	case key == "":
		return "oss://" + bucket
	}
	return "oss://" + bucket + "/" + key
}
