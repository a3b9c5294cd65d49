package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	sha256 "github.com/minio/sha256-simd"
)

// Time layouts used by the V4 schemes.
const (
	iso8601Basic = "20060102T150405Z"
	yyyymmdd     = "20060102"
)

// emptySHA256 is hex(SHA-256("")).
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

func hmacSHA1Base64(key, data string) string {
	h := hmac.New(sha1.New, []byte(key))
	h.Write([]byte(data))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// constEq compares two signatures in constant time.
func constEq(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// isHexSHA256 reports whether s is 64 hex digits.
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// uriEncode percent-encodes s the way the V4 schemes require: every byte
// except A-Z a-z 0-9 - . _ ~ (and '/' when keepSlash) becomes %XX with
// upper-case hex.
func uriEncode(s string, keepSlash bool) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keepSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&0x0f])
	}
	return b.String()
}

// queryPair is one key=value item of a query string, decoded.
type queryPair struct {
	key, value string
	rawKey     string // as sent, still percent-encoded
	rawValue   string
	hasEq      bool // the item had an '='
}

// parseQuery splits a raw query into its pairs, in order, keeping
// duplicates. '+' decodes to a space. Undecodable items keep their raw text.
func parseQuery(raw string) []queryPair {
	var out []queryPair
	for raw != "" {
		var item string
		item, raw, _ = strings.Cut(raw, "&")
		if item == "" {
			continue
		}
		k, v, eq := strings.Cut(item, "=")
		p := queryPair{rawKey: k, rawValue: v, hasEq: eq}
		var err error
		if p.key, err = url.QueryUnescape(k); err != nil {
			p.key = k
		}
		if p.value, err = url.QueryUnescape(v); err != nil {
			p.value = v
		}
		out = append(out, p)
	}
	return out
}

// firstValue returns the value of the first pair named key.
func firstValue(pairs []queryPair, key string) (string, bool) {
	for _, p := range pairs {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// hasKey reports whether any pair is named key.
func hasKey(pairs []queryPair, key string) bool {
	_, ok := firstValue(pairs, key)
	return ok
}

// canonicalQueryV4 renders pairs as a V4 canonical query: keys and values
// URI-encoded, sorted by key then value, "k=v" joined by '&'. With
// bareEmpty an empty value renders as just "k" (OSS V4); otherwise as "k="
// (AWS SigV4). Pairs named skip are left out.
func canonicalQueryV4(pairs []queryPair, bareEmpty, raw bool, skip string) string {
	type kv struct{ k, v string }
	items := make([]kv, 0, len(pairs))
	for _, p := range pairs {
		if skip != "" && p.key == skip {
			continue
		}
		if raw {
			items = append(items, kv{p.rawKey, p.rawValue})
		} else {
			items = append(items, kv{uriEncode(p.key, false), uriEncode(p.value, false)})
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].k != items[j].k {
			return items[i].k < items[j].k
		}
		return items[i].v < items[j].v
	})
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(it.k)
		if it.v != "" || !bareEmpty {
			b.WriteByte('=')
			b.WriteString(it.v)
		}
	}
	return b.String()
}

// requestHost is the Host the client addressed: r.Host on the server side,
// r.URL.Host for a client request that has not been sent yet.
func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// rawPath returns the request path exactly as the client sent it (still
// percent-encoded), falling back to the URL's escaped path.
func rawPath(r *http.Request) string {
	if uri := r.RequestURI; uri != "" && uri != "*" {
		if i := strings.IndexAny(uri, "?#"); i >= 0 {
			uri = uri[:i]
		}
		if strings.HasPrefix(uri, "/") {
			return uri
		}
		// absolute-form: scheme://authority/path
		if i := strings.Index(uri, "://"); i >= 0 {
			rest := uri[i+3:]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				return rest[j:]
			}
			return "/"
		}
	}
	if r.URL == nil {
		return "/"
	}
	if r.URL.Opaque != "" {
		op := r.URL.Opaque
		op = strings.TrimPrefix(op, "//")
		if j := strings.IndexByte(op, '/'); j >= 0 && strings.HasPrefix(r.URL.Opaque, "//") {
			return op[j:]
		}
		return r.URL.Opaque
	}
	p := r.URL.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

// rawQuery returns the query string as sent.
func rawQuery(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.RawQuery
}

// headerValues returns the values of header name (lower case) the way the
// client saw them. Host, Content-Length and Transfer-Encoding are not in
// r.Header on the server side and are rebuilt.
func headerValues(r *http.Request, name string) []string {
	if vs := r.Header.Values(name); len(vs) > 0 {
		return vs
	}
	switch name {
	case "host":
		if h := requestHost(r); h != "" {
			return []string{h}
		}
	case "content-length":
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}
		}
	}
	return nil
}

// trimAll trims s and collapses runs of spaces into one, as SigV4 requires.
func trimAll(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if prevSpace {
				continue
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// prefixedHeaders collects the headers whose lower-case name starts with
// prefix, as sorted "name:v1,v2\n" lines (values trimmed).
func prefixedHeaders(h http.Header, prefix string, extra map[string][]string) string {
	m := map[string][]string{}
	for k, vs := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, prefix) {
			m[lk] = append(m[lk], vs...)
		}
	}
	for k, vs := range extra {
		if _, ok := m[k]; !ok {
			m[k] = vs
		}
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte(':')
		for i, v := range m[k] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.TrimSpace(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// isPathStyle reports whether the request path names the bucket itself
// (path-style addressing) rather than starting with the key
// (virtual-hosted). The caller already resolved bucket and key; the path
// tells which form the client used.
func isPathStyle(r *http.Request, bucket, key string) bool {
	if bucket == "" {
		return false
	}
	p := rawPath(r)
	dec, err := url.PathUnescape(p)
	if err != nil {
		dec = p
	}
	if dec == "/"+key {
		return false
	}
	return dec == "/"+bucket || strings.HasPrefix(dec, "/"+bucket+"/")
}

// addCandidate appends s to list unless already present.
func addCandidate(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
