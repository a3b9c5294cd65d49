package auth

import (
	"context"
	"encoding/hex"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ossV4Credential is a parsed "<AK>/<yyyymmdd>/<region>/<product>/aliyun_v4_request".
type ossV4Credential struct {
	accessKeyID, date, region, product string
}

func (c ossV4Credential) scope() string {
	return c.date + "/" + c.region + "/" + c.product + "/" + ossV4Terminator
}

// parseV4Credential splits a V4 credential (OSS or AWS flavour): the last
// four '/'-separated fields are the scope, everything before is the key id.
func parseV4Credential(s, terminator string) (ossV4Credential, bool) {
	parts := strings.Split(s, "/")
	if len(parts) < 5 {
		return ossV4Credential{}, false
	}
	n := len(parts)
	c := ossV4Credential{
		accessKeyID: strings.Join(parts[:n-4], "/"),
		date:        parts[n-4],
		region:      parts[n-3],
		product:     parts[n-2],
	}
	if parts[n-1] != terminator || c.accessKeyID == "" || len(c.date) != 8 || c.region == "" || c.product == "" {
		return ossV4Credential{}, false
	}
	if _, err := time.Parse(yyyymmdd, c.date); err != nil {
		return ossV4Credential{}, false
	}
	return c, true
}

// parseAuthParams parses "k1=v1,k2=v2, k3=v3" (the part of a V4
// Authorization header after the algorithm) into a map. Duplicate or empty
// keys make it fail.
func parseAuthParams(s string) (map[string]string, bool) {
	out := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, false
		}
		if _, dup := out[k]; dup {
			return nil, false
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, true
}

// splitHeaderList splits "a;b;c" into lower-case names.
func splitHeaderList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, h := range strings.Split(s, ";") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// isOSSDefaultSignedHeader reports whether OSS V4 signs header lk (lower
// case) without it being listed in AdditionalHeaders.
func isOSSDefaultSignedHeader(lk string) bool {
	return strings.HasPrefix(lk, "x-oss-") || lk == "content-type" || lk == "content-md5"
}

// ossV4CanonicalRequest builds the OSS V4 canonical request. additional is
// the AdditionalHeaders list exactly as signed; skip names the query
// parameter to leave out (x-oss-signature for presigned URLs).
func ossV4CanonicalRequest(r *http.Request, bucket, key string, query []queryPair, additional []string, skip string) string {
	uri := "/"
	if bucket != "" {
		uri += bucket + "/" + key
	}

	addSet := map[string]bool{}
	for _, h := range additional {
		addSet[h] = true
	}
	values := map[string][]string{}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if isOSSDefaultSignedHeader(lk) || addSet[lk] {
			values[lk] = append(values[lk], vs...)
		}
	}
	for h := range addSet { // headers kept outside r.Header (host)
		if _, ok := values[h]; !ok {
			if vs := headerValues(r, h); vs != nil {
				values[h] = vs
			}
		}
	}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)

	payload := r.Header.Get(headerOSSContentSHA256)
	if payload == "" {
		payload = UnsignedPayload
	}

	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uriEncode(uri, true))
	b.WriteByte('\n')
	b.WriteString(canonicalQueryV4(query, true, false, skip))
	b.WriteByte('\n')
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte(':')
		for i, v := range values[k] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.TrimSpace(v))
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(additional, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

// ossV4StringToSign builds "OSS4-HMAC-SHA256\n<datetime>\n<scope>\nhex(sha256(canonical))".
func ossV4StringToSign(datetime, scope, canonical string) string {
	return ossV4Algorithm + "\n" + datetime + "\n" + scope + "\n" + sha256Hex(canonical)
}

// ossV4SigningKey derives the OSS V4 signing key.
func ossV4SigningKey(sk, date, region, product string) []byte {
	k := hmacSHA256([]byte(ossV4KeyPrefix+sk), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, product)
	return hmacSHA256(k, ossV4Terminator)
}

func validOSSProduct(p string) bool { return p == ossProduct || p == ossCloudBoxProduct }

func (v *Verifier) verifyOSSV4Header(ctx context.Context, r *http.Request, bucket, key, rest string, query []queryPair, now time.Time) (Result, error) {
	res := Result{Scheme: SchemeOSSV4, Dialect: DialectOSS}
	params, ok := parseAuthParams(rest)
	if !ok {
		return res, errAccessDenied(invalidOSSAuthorizationHeaderMessage)
	}
	cred, ok := parseV4Credential(params["Credential"], ossV4Terminator)
	if !ok || !validOSSProduct(cred.product) {
		return res, errAccessDenied(malformedOSSCredentialMessage)
	}
	sig := strings.ToLower(params["Signature"])
	if sig == "" {
		return res, errAccessDenied(invalidOSSAuthorizationHeaderMessage)
	}
	additional := splitHeaderList(params["AdditionalHeaders"])
	res.AccessKeyID = cred.accessKeyID
	res.Region = cred.region
	res.SecurityToken = r.Header.Get(headerOSSSecurityToken)
	res.PayloadHash = r.Header.Get(headerOSSContentSHA256)
	if res.PayloadHash == "" {
		res.PayloadHash = UnsignedPayload
	}

	// x-oss-date (ISO 8601 basic) is the signing time; SDKv1 falls back to
	// the Date header, whose text then goes into the StringToSign.
	signDate := r.Header.Get(headerOSSDate)
	var reqTime time.Time
	if signDate != "" {
		t, err := time.Parse(iso8601Basic, signDate)
		if err != nil {
			if t, ok = parseHTTPDate(signDate); !ok {
				return res, errMissingDate(DialectOSS)
			}
		}
		reqTime = t
	} else {
		signDate = r.Header.Get("Date")
		if reqTime, ok = parseHTTPDate(signDate); !ok {
			return res, errMissingDate(DialectOSS)
		}
	}
	res.SigningTime = reqTime
	if reqTime.UTC().Format(yyyymmdd) != cred.date {
		return res, errAccessDenied(invalidOSSCredentialDateMessage)
	}
	sk, err := v.secret(ctx, DialectOSS, cred.accessKeyID)
	if err != nil {
		return res, err
	}
	if err := v.checkSkew(reqTime, now); err != nil {
		return res, err
	}
	canonical := ossV4CanonicalRequest(r, bucket, key, query, additional, "")
	sts := ossV4StringToSign(signDate, cred.scope(), canonical)
	want := hex.EncodeToString(hmacSHA256(ossV4SigningKey(sk, cred.date, cred.region, cred.product), sts))
	if !constEq(want, sig) {
		return res, errSignatureMismatch(cred.accessKeyID, sig, sts, canonical)
	}
	return res, nil
}

func (v *Verifier) verifyOSSV4Query(ctx context.Context, r *http.Request, bucket, key string, query []queryPair, now time.Time) (Result, error) {
	res := Result{Scheme: SchemeOSSV4, Dialect: DialectOSS, Presigned: true, PayloadHash: UnsignedPayload}
	version, _ := firstValue(query, queryOSSSignatureVersion)
	credStr, _ := firstValue(query, queryOSSCredential)
	date, _ := firstValue(query, queryOSSDate)
	expStr, _ := firstValue(query, queryOSSExpires)
	sig, _ := firstValue(query, queryOSSSignature)
	addStr, _ := firstValue(query, queryOSSAdditionalHeaders)
	res.SecurityToken, _ = firstValue(query, queryOSSSecurityTokenV4)
	if h := r.Header.Get(headerOSSContentSHA256); h != "" {
		res.PayloadHash = h
	}
	if version == "" || credStr == "" || date == "" || expStr == "" || sig == "" {
		return res, errAccessDenied(presignedOSSV4MissingParameterMessage)
	}
	if version != ossV4Algorithm {
		return res, errInvalidArgument("Unsupported x-oss-signature-version.", queryOSSSignatureVersion, version)
	}
	cred, ok := parseV4Credential(credStr, ossV4Terminator)
	if !ok || !validOSSProduct(cred.product) {
		return res, errInvalidArgument(malformedOSSCredentialMessage, queryOSSCredential, credStr)
	}
	res.AccessKeyID = cred.accessKeyID
	res.Region = cred.region
	signTime, err := time.Parse(iso8601Basic, date)
	if err != nil {
		return res, errInvalidArgument("x-oss-date must be in ISO 8601 basic format (yyyymmddTHHMMSSZ).", queryOSSDate, date)
	}
	res.SigningTime = signTime
	if signTime.Format(yyyymmdd) != cred.date {
		return res, errInvalidArgument(invalidOSSCredentialDateMessage, queryOSSCredential, credStr)
	}
	exp, err := strconv.ParseInt(expStr, 10, 64)
	if err != nil || exp <= 0 || exp > maxPresignExpiry {
		return res, errInvalidArgument("x-oss-expires must be a number of seconds between 1 and 604800.", queryOSSExpires, expStr)
	}
	res.Expires = signTime.Add(time.Duration(exp) * time.Second)
	if now.After(res.Expires) {
		return res, errExpired(DialectOSS, res.Expires, now)
	}
	if signTime.After(now.Add(v.maxSkew())) {
		return res, errNotYetValid()
	}
	sk, err := v.secret(ctx, DialectOSS, cred.accessKeyID)
	if err != nil {
		return res, err
	}
	canonical := ossV4CanonicalRequest(r, bucket, key, query, splitHeaderList(addStr), queryOSSSignature)
	sts := ossV4StringToSign(date, cred.scope(), canonical)
	want := hex.EncodeToString(hmacSHA256(ossV4SigningKey(sk, cred.date, cred.region, cred.product), sts))
	if !constEq(want, strings.ToLower(sig)) {
		return res, errSignatureMismatch(cred.accessKeyID, sig, sts, canonical)
	}
	return res, nil
}
