package auth

import (
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"
)

// SignOption tunes the client-side signers.
type SignOption func(*signOptions)

type signOptions struct {
	token      string
	additional []string
	product    string
}

func collectOptions(opts []SignOption) signOptions {
	o := signOptions{product: ossProduct}
	for _, fn := range opts {
		if fn != nil {
			fn(&o)
		}
	}
	return o
}

// WithSecurityToken adds an STS security token: the x-oss-security-token
// header for header signing, the security-token (V1) or
// x-oss-security-token (V4) query parameter for presigned URLs.
func WithSecurityToken(token string) SignOption {
	return func(o *signOptions) { o.token = token }
}

// WithAdditionalHeaders makes OSS V4 sign these headers too (those present
// in the request and not signed by default), listing them in
// AdditionalHeaders / x-oss-additional-headers.
func WithAdditionalHeaders(names ...string) SignOption {
	return func(o *signOptions) { o.additional = append(o.additional, names...) }
}

// WithProduct sets the OSS V4 product of the credential scope: "oss" (the
// default) or "oss-cloudbox".
func WithProduct(product string) SignOption {
	return func(o *signOptions) {
		if product != "" {
			o.product = product
		}
	}
}

// ossV4AdditionalHeaders filters and sorts the requested additional
// headers as the SDKs do: lower case, present in the request, not signed by
// default, no duplicates.
func ossV4AdditionalHeaders(r *http.Request, names []string) []string {
	var out []string
	for _, n := range names {
		ln := strings.ToLower(strings.TrimSpace(n))
		if ln == "" || isOSSDefaultSignedHeader(ln) || contains(out, ln) || len(headerValues(r, ln)) == 0 {
			continue
		}
		out = append(out, ln)
	}
	sort.Strings(out)
	return out
}

// SignOSSV1 signs r with OSS signature V1 in the Authorization header, the
// way the official SDKs do: it sets Date to t and, with
// WithSecurityToken, x-oss-security-token. bucket and key (unescaped) name
// the resource; both are empty for service-level requests.
func SignOSSV1(r *http.Request, ak, sk, bucket, key string, t time.Time, opts ...SignOption) {
	o := collectOptions(opts)
	if r.Header == nil {
		r.Header = http.Header{}
	}
	date := t.UTC().Format(http.TimeFormat)
	r.Header.Set("Date", date)
	if o.token != "" {
		r.Header.Set(headerOSSSecurityToken, o.token)
	}
	sts := ossV1StringToSign(r, date, bucket, key, parseQuery(rawQuery(r)))
	r.Header.Set(headerAuthorization, "OSS "+ak+":"+hmacSHA1Base64(sk, sts))
}

// SignOSSV4 signs r with OSS signature V4 (OSS4-HMAC-SHA256) in the
// Authorization header, as SDKv2's SignerV4 does: it sets x-oss-date and
// Date to t, x-oss-content-sha256 to UNSIGNED-PAYLOAD unless already set,
// and x-oss-security-token with WithSecurityToken. region is the credential
// scope's region (for example "cn-hangzhou").
func SignOSSV4(r *http.Request, ak, sk, region, bucket, key string, t time.Time, opts ...SignOption) {
	o := collectOptions(opts)
	if r.Header == nil {
		r.Header = http.Header{}
	}
	t = t.UTC()
	datetime, date := t.Format(iso8601Basic), t.Format(yyyymmdd)
	r.Header.Set(headerOSSDate, datetime)
	r.Header.Set("Date", t.Format(http.TimeFormat))
	if o.token != "" {
		r.Header.Set(headerOSSSecurityToken, o.token)
	}
	if r.Header.Get(headerOSSContentSHA256) == "" {
		r.Header.Set(headerOSSContentSHA256, UnsignedPayload)
	}
	additional := ossV4AdditionalHeaders(r, o.additional)
	cred := ossV4Credential{accessKeyID: ak, date: date, region: region, product: o.product}
	canonical := ossV4CanonicalRequest(r, bucket, key, parseQuery(rawQuery(r)), additional, "")
	sts := ossV4StringToSign(datetime, cred.scope(), canonical)
	sig := hex.EncodeToString(hmacSHA256(ossV4SigningKey(sk, date, region, o.product), sts))

	var b strings.Builder
	b.WriteString(ossV4Algorithm + " Credential=" + ak + "/" + cred.scope())
	if len(additional) > 0 {
		b.WriteString(",AdditionalHeaders=" + strings.Join(additional, ";"))
	}
	b.WriteString(",Signature=" + sig)
	r.Header.Set(headerAuthorization, b.String())
}
