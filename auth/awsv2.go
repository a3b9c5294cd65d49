package auth

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// isS3V2SubResource reports whether query parameter k belongs to the SigV2
// CanonicalizedResource (botocore's QSAOfInterest plus S3's documented
// sub-resources).
func isS3V2SubResource(k string) bool {
	switch k {
	case "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete",
		"encryption", "intelligent-tiering", "inventory", "legal-hold",
		"lifecycle", "location", "logging", "metrics", "notification",
		"object-lock", "ownershipControls", "partNumber", "policy",
		"policyStatus", "publicAccessBlock", "replication", "requestPayment",
		"restore", "retention", "select", "select-type", "storageClass",
		"tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
		"versions", "website",
		"response-cache-control", "response-content-disposition",
		"response-content-encoding", "response-content-language",
		"response-content-type", "response-expires":
		return true
	}
	return false
}

// awsV2Resource builds the SigV2 CanonicalizedResource from the encoded
// path (bucket included) and the sub-resources, sorted by name, with
// decoded values. An empty value renders as a bare "k", or as "k=" when
// keepEq is set and the client sent the '=' (botocore signs what it sent;
// other clients always sign the bare name).
func awsV2Resource(path string, query []queryPair, keepEq bool) string {
	var subs []queryPair
	for _, p := range query {
		if isS3V2SubResource(p.key) {
			subs = append(subs, p)
		}
	}
	if len(subs) == 0 {
		return path
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].key < subs[j].key })
	var b strings.Builder
	b.WriteString(path)
	for i, p := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		if p.value != "" || (keepEq && p.hasEq) {
			b.WriteByte('=')
			b.WriteString(p.value)
		}
	}
	return b.String()
}

// awsV2Paths returns the resource path candidates: the path as sent (with
// the bucket prefixed for virtual-hosted requests) and its canonical
// re-encoding when different.
func awsV2Paths(r *http.Request, bucket, key string) []string {
	p := rawPath(r)
	if bucket != "" && !isPathStyle(r, bucket, key) {
		p = "/" + bucket + p
	}
	out := []string{p}
	if dec, err := url.PathUnescape(p); err == nil {
		out = addCandidate(out, uriEncode(dec, true))
	}
	return out
}

// awsV2StringToSign builds the SigV2 StringToSign.
func awsV2StringToSign(method, md5, ctype, date, amzHeaders, resource string) string {
	return method + "\n" + md5 + "\n" + ctype + "\n" + date + "\n" + amzHeaders + resource
}

func (v *Verifier) verifyAWSV2Header(ctx context.Context, r *http.Request, bucket, key, cred string, query []queryPair, now time.Time) (Result, error) {
	res := Result{Scheme: SchemeAWSV2, Dialect: DialectS3, Region: v.Region}
	ak, sig, ok := splitAKSig(cred)
	if !ok {
		return res, errMalformed(DialectS3, false, "The authorization header is malformed; expecting \"AWS AccessKeyId:Signature\".")
	}
	res.AccessKeyID = ak
	res.SecurityToken = r.Header.Get(headerAmzSecurityToken)

	dateHdr := r.Header.Get("Date")
	amzDate := r.Header.Get(headerAmzDate)
	var reqTime time.Time
	if t, ok := parseHTTPDate(amzDate); ok {
		reqTime = t
	} else if t, ok := parseHTTPDate(dateHdr); ok {
		reqTime = t
	} else {
		return res, errMissingDate(DialectS3)
	}
	res.SigningTime = reqTime
	sk, err := v.secret(ctx, DialectS3, ak)
	if err != nil {
		return res, err
	}
	if err := v.checkSkew(reqTime, now); err != nil {
		return res, err
	}
	// The Date slot: the Date header. With x-amz-date the S3 docs say the
	// slot is empty (x-amz-date being among the amz headers), while their
	// worked example puts the x-amz-date value there instead, and botocore
	// keeps the Date header. Accept all three.
	type slot struct{ date, amz string }
	allAmz := prefixedHeaders(r.Header, "x-amz-", nil)
	var slots []slot
	if amzDate != "" {
		h := r.Header.Clone()
		h.Del(headerAmzDate)
		slots = append(slots, slot{"", allAmz}, slot{amzDate, prefixedHeaders(h, "x-amz-", nil)})
	}
	if dateHdr != "" || amzDate == "" {
		slots = append(slots, slot{dateHdr, allAmz})
	}
	md5, ctype := r.Header.Get("Content-MD5"), r.Header.Get("Content-Type")
	first := ""
	var resources []string
	for _, p := range awsV2Paths(r, bucket, key) {
		resources = addCandidate(resources, awsV2Resource(p, query, false))
		resources = addCandidate(resources, awsV2Resource(p, query, true))
	}
	for _, resource := range resources {
		for _, s := range slots {
			sts := awsV2StringToSign(r.Method, md5, ctype, s.date, s.amz, resource)
			if first == "" {
				first = sts
			}
			if constEq(hmacSHA1Base64(sk, sts), sig) {
				return res, nil
			}
		}
	}
	return res, errSignatureMismatch(ak, sig, first, "")
}

func (v *Verifier) verifyAWSV2Query(ctx context.Context, r *http.Request, bucket, key string, query []queryPair, now time.Time) (Result, error) {
	res := Result{Scheme: SchemeAWSV2, Dialect: DialectS3, Presigned: true, Region: v.Region}
	ak, _ := firstValue(query, queryAWSAccessKeyID)
	expires, hasExp := firstValue(query, queryExpires)
	sig, _ := firstValue(query, querySignature)
	res.AccessKeyID = ak
	res.SecurityToken = r.Header.Get(headerAmzSecurityToken)
	if tok, ok := firstValue(query, "x-amz-security-token"); ok {
		res.SecurityToken = tok
	}
	if ak == "" || !hasExp || sig == "" {
		return res, errAccessDenied("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || exp < 0 {
		return res, errAccessDenied("Invalid date (should be seconds since epoch): " + expires)
	}
	res.Expires = time.Unix(exp, 0).UTC()
	if now.After(res.Expires) {
		return res, errExpired(DialectS3, res.Expires, now)
	}
	sk, err := v.secret(ctx, DialectS3, ak)
	if err != nil {
		return res, err
	}
	// botocore moves x-amz-*, Content-MD5 and Content-Type into the query
	// of a presigned URL; they were signed as headers.
	extra := map[string][]string{}
	md5, ctype := r.Header.Get("Content-MD5"), r.Header.Get("Content-Type")
	for _, p := range query {
		lk := strings.ToLower(p.key)
		switch {
		case strings.HasPrefix(lk, "x-amz-"):
			extra[lk] = append(extra[lk], p.value)
		case lk == "content-md5" && md5 == "":
			md5 = p.value
		case lk == "content-type" && ctype == "":
			ctype = p.value
		}
	}
	amz := prefixedHeaders(r.Header, "x-amz-", extra)
	first := ""
	var resources []string
	for _, p := range awsV2Paths(r, bucket, key) {
		resources = addCandidate(resources, awsV2Resource(p, query, false))
		resources = addCandidate(resources, awsV2Resource(p, query, true))
	}
	for _, resource := range resources {
		sts := awsV2StringToSign(r.Method, md5, ctype, expires, amz, resource)
		if first == "" {
			first = sts
		}
		if constEq(hmacSHA1Base64(sk, sts), sig) {
			return res, nil
		}
	}
	return res, errSignatureMismatch(ak, sig, first, "")
}
