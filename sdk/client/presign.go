package client

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// MaxPresignExpiry is the longest validity of a presigned URL.
const MaxPresignExpiry = 7 * 24 * time.Hour

// Presign returns a URL, signed with OSS V4, that lets anyone perform method
// (GET, PUT, HEAD or DELETE) on bucket/key for expires (at most 7 days)
// without credentials. A PUT through the URL must send no Content-Type or
// Content-MD5 header (none was signed).
func (c *Client) Presign(method, bucket, key string, expires time.Duration) (string, error) {
	switch method {
	case http.MethodGet, http.MethodPut, http.MethodHead, http.MethodDelete:
	default:
		return "", fmt.Errorf("client: Presign: unsupported method %q", method)
	}
	if c.ak == "" {
		return "", errors.New("client: Presign: no credentials")
	}
	if expires <= 0 || expires > MaxPresignExpiry {
		return "", fmt.Errorf("client: Presign: expiry %v not in (0, %v]", expires, MaxPresignExpiry)
	}
	if bucket == "" || key == "" {
		return "", errors.New("client: Presign: bucket and key are required")
	}
	req, err := http.NewRequest(method, c.url(bucket, key, nil).String(), nil)
	if err != nil {
		return "", fmt.Errorf("client: Presign: %w", err)
	}
	req.URL = c.url(bucket, key, nil)
	return auth.PresignOSSV4(req, c.ak, c.sk, c.region, bucket, key, c.now(), expires, c.signOpts()...), nil
}
