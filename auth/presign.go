package auth

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// encodeQuery renders pairs like url.Values.Encode (sorted by key, stable
// for duplicates) but with spaces as %20, as the OSS SDKs do.
func encodeQuery(pairs []queryPair) string {
	v := url.Values{}
	for _, p := range pairs {
		v.Add(p.key, p.value)
	}
	return strings.ReplaceAll(v.Encode(), "+", "%20")
}

// PresignOSSV1 turns r into an OSS V1 presigned URL valid until expires
// and returns it. It rewrites r.URL.RawQuery, adding OSSAccessKeyId,
// Expires, Signature and, with WithSecurityToken, security-token. Headers
// of r that V1 signs (Content-Type, Content-MD5, x-oss-*) must be sent
// with the URL unchanged.
func PresignOSSV1(r *http.Request, ak, sk, bucket, key string, expires time.Time, opts ...SignOption) string {
	o := collectOptions(opts)
	if r.Header == nil {
		r.Header = http.Header{}
	}
	pairs := parseQuery(rawQuery(r))
	if o.token != "" {
		pairs = append(pairs, queryPair{key: queryOSSSecurityTokenV1, value: o.token})
	}
	exp := strconv.FormatInt(expires.Unix(), 10)
	sts := ossV1StringToSign(r, exp, bucket, key, pairs)
	pairs = append(pairs,
		queryPair{key: queryExpires, value: exp},
		queryPair{key: queryOSSAccessKeyID, value: ak},
		queryPair{key: querySignature, value: hmacSHA1Base64(sk, sts)},
	)
	r.URL.RawQuery = encodeQuery(pairs)
	return r.URL.String()
}

// PresignOSSV4 turns r into an OSS V4 presigned URL signed at t and valid
// for expires (at most 7 days; longer durations are clamped), and returns
// it. It rewrites r.URL.RawQuery, adding x-oss-signature-version,
// x-oss-date, x-oss-expires, x-oss-credential, x-oss-signature and, when
// set, x-oss-security-token and x-oss-additional-headers.
func PresignOSSV4(r *http.Request, ak, sk, region, bucket, key string, t time.Time, expires time.Duration, opts ...SignOption) string {
	o := collectOptions(opts)
	if r.Header == nil {
		r.Header = http.Header{}
	}
	t = t.UTC()
	datetime, date := t.Format(iso8601Basic), t.Format(yyyymmdd)
	secs := int64(expires / time.Second)
	if secs < 1 {
		secs = 1
	}
	if secs > maxPresignExpiry {
		secs = maxPresignExpiry
	}
	cred := ossV4Credential{accessKeyID: ak, date: date, region: region, product: o.product}
	additional := ossV4AdditionalHeaders(r, o.additional)

	pairs := parseQuery(rawQuery(r))
	if o.token != "" {
		pairs = append(pairs, queryPair{key: queryOSSSecurityTokenV4, value: o.token})
	}
	pairs = append(pairs,
		queryPair{key: queryOSSSignatureVersion, value: ossV4Algorithm},
		queryPair{key: queryOSSDate, value: datetime},
		queryPair{key: queryOSSExpires, value: strconv.FormatInt(secs, 10)},
		queryPair{key: queryOSSCredential, value: ak + "/" + cred.scope()},
	)
	if len(additional) > 0 {
		pairs = append(pairs, queryPair{key: queryOSSAdditionalHeaders, value: strings.Join(additional, ";")})
	}
	canonical := ossV4CanonicalRequest(r, bucket, key, pairs, additional, queryOSSSignature)
	sts := ossV4StringToSign(datetime, cred.scope(), canonical)
	sig := hex.EncodeToString(hmacSHA256(ossV4SigningKey(sk, date, region, o.product), sts))
	pairs = append(pairs, queryPair{key: queryOSSSignature, value: sig})
	r.URL.RawQuery = encodeQuery(pairs)
	return r.URL.String()
}
