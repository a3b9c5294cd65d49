package httpapi

import (
	"net"
	"strings"

	"github.com/ossflow/ossflow/oss"
)

// address is what a request addresses: a bucket (empty for service-level
// requests such as ListBuckets) and a key (empty for bucket-level requests).
type address struct {
	bucket  string
	key     string
	virtual bool // the bucket came from the Host header
}

// resolve finds the bucket and key of a request from its Host header and
// its unescaped URL path. A Host "<bucket>.<domain>" for one of the
// configured domains is virtual-hosted and the whole path (without its
// leading '/') is the key; anything else is path style, "/<bucket>/<key>".
// A trailing '/' of the key is kept.
func (h *Handler) resolve(host, path string) address {
	return resolveAddress(h.domains, host, path)
}

func resolveAddress(domains []string, host, path string) address {
	path = strings.TrimPrefix(path, "/")
	if b := virtualBucket(domains, host); b != "" {
		return address{bucket: b, key: path, virtual: true}
	}
	bucket, key, _ := strings.Cut(path, "/")
	return address{bucket: bucket, key: key}
}

// virtualBucket returns the bucket label of a virtual-hosted Host, or "".
func virtualBucket(domains []string, host string) string {
	host = strings.TrimSuffix(strings.ToLower(hostOnly(host)), ".")
	for _, d := range domains {
		if len(host) <= len(d)+1 || !strings.HasSuffix(host, d) || host[len(host)-len(d)-1] != '.' {
			continue
		}
		label := host[:len(host)-len(d)-1]
		if !strings.Contains(label, ".") {
			return label
		}
	}
	return ""
}

// hostOnly strips the port of a Host header value.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// validate checks the bucket name and key syntax.
func (a address) validate(op *operation) error {
	if a.bucket != "" && !oss.ValidBucketName(a.bucket) {
		return oss.CheckBucketName(op.name, a.bucket)
	}
	if a.key != "" {
		return oss.CheckObjectKey(op.name, a.key)
	}
	return nil
}
