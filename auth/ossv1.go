package auth

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// isOSSV1SubResource reports whether query parameter k is part of the V1
// canonicalized resource: every x-oss-* parameter plus the sub-resources
// below. The list is the union of the protocol digest's list, the SDKv1
// signKeyList and the SDKv2 base list plus every operation-specific
// sub-resource SDKv2 declares, so whatever an SDK signed the server signs
// too.
func isOSSV1SubResource(k string) bool {
	if strings.HasPrefix(k, "x-oss-") {
		return true
	}
	switch k {
	case "acl", "uploads", "location", "cors", "logging", "website", "referer",
		"lifecycle", "delete", "append", "tagging", "objectMeta", "uploadId",
		"partNumber", "security-token", "position", "img", "style", "styleName",
		"replication", "replicationProgress", "replicationLocation", "cname",
		"bucketInfo", "comp", "qos", "live", "status", "vod", "startTime",
		"endTime", "symlink", "response-content-type",
		"response-content-language", "response-expires",
		"response-cache-control", "response-content-disposition",
		"response-content-encoding", "udf", "udfName", "udfImage", "udfId",
		"udfImageDesc", "udfApplication", "udfApplicationLog", "restore",
		"callback", "callback-var", "qosInfo", "policy", "stat", "encryption",
		"versions", "versioning", "versionId", "requestPayment", "sequential",
		"inventory", "inventoryId", "continuation-token", "asyncFetch", "worm",
		"wormId", "wormExtend", "withHashContext", "transferAcceleration",
		"regionList", "cloudboxes", "metaQuery", "resourceGroup", "rtc",
		"responseHeader",
		// SDKv2 operation-specific sub-resources
		"accessPoint", "accessPointConfigForObjectProcess",
		"accessPointForObjectProcess", "accessPointPolicy",
		"accessPointPolicyForObjectProcess", "bucketArchiveDirectRead",
		"cleanRestoredObject", "httpsConfig", "legalHold",
		"metadataConfiguration", "metadataInventoryTable",
		"metadataJournalTable", "objectWorm", "overwriteConfig", "policyStatus",
		"publicAccessBlock", "quota", "redundancyTransition", "regions",
		"retention", "seal", "userDefinedLogFieldsConfig":
		return true
	}
	return false
}

// ossV1Resource builds the V1 CanonicalizedResource: "/bucket/key" (raw,
// unescaped key; "/" without a bucket) plus the signable sub-resources,
// sorted, "k=v" with the decoded value or bare "k". For duplicated
// parameters the first value counts.
func ossV1Resource(bucket, key string, query []queryPair) string {
	var b strings.Builder
	b.WriteByte('/')
	if bucket != "" {
		b.WriteString(bucket)
		b.WriteByte('/')
		b.WriteString(key)
	}
	seen := map[string]string{}
	var names []string
	for _, p := range query {
		if !isOSSV1SubResource(p.key) {
			continue
		}
		if _, dup := seen[p.key]; dup {
			continue
		}
		seen[p.key] = p.value
		names = append(names, p.key)
	}
	sort.Strings(names)
	for i, k := range names {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		if v := seen[k]; v != "" {
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// ossV1StringToSign builds the V1 StringToSign.
func ossV1StringToSign(r *http.Request, date, bucket, key string, query []queryPair) string {
	return r.Method + "\n" +
		r.Header.Get("Content-MD5") + "\n" +
		r.Header.Get("Content-Type") + "\n" +
		date + "\n" +
		prefixedHeaders(r.Header, "x-oss-", nil) +
		ossV1Resource(bucket, key, query)
}

// splitAKSig splits "ak:signature" at the last colon.
func splitAKSig(s string) (ak, sig string, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	ak, sig = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	return ak, sig, ak != "" && sig != ""
}

// parseHTTPDate parses an HTTP date (RFC 1123 with GMT or a numeric zone,
// RFC 850, ANSI C) or an ISO 8601 basic timestamp.
func parseHTTPDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := http.ParseTime(s); err == nil {
		return t, true
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, iso8601Basic} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (v *Verifier) verifyOSSV1Header(ctx context.Context, r *http.Request, bucket, key, cred string, query []queryPair, now time.Time) (Result, error) {
	res := Result{Scheme: SchemeOSSV1, Dialect: DialectOSS, Region: v.Region}
	ak, sig, ok := splitAKSig(cred)
	if !ok {
		return res, errAccessDenied(invalidOSSAuthorizationHeaderMessage)
	}
	res.AccessKeyID = ak
	res.SecurityToken = r.Header.Get(headerOSSSecurityToken)

	dateHdr := r.Header.Get("Date")
	ossDate := r.Header.Get(headerOSSDate)
	var reqTime time.Time
	if t, ok := parseHTTPDate(ossDate); ok {
		reqTime = t
	} else if t, ok := parseHTTPDate(dateHdr); ok {
		reqTime = t
	} else {
		return res, errMissingDate(DialectOSS)
	}
	res.SigningTime = reqTime

	sk, err := v.secret(ctx, DialectOSS, ak)
	if err != nil {
		return res, err
	}
	if err := v.checkSkew(reqTime, now); err != nil {
		return res, err
	}
	// The Date slot holds the Date header; clients that cannot set Date
	// (browsers) put the time in x-oss-date and sign that instead.
	var dates []string
	if dateHdr != "" {
		dates = append(dates, dateHdr)
	}
	if ossDate != "" {
		dates = addCandidate(dates, ossDate)
	}
	first := ""
	for _, d := range dates {
		sts := ossV1StringToSign(r, d, bucket, key, query)
		if first == "" {
			first = sts
		}
		if constEq(hmacSHA1Base64(sk, sts), sig) {
			return res, nil
		}
	}
	return res, errSignatureMismatch(ak, sig, first, "")
}

func (v *Verifier) verifyOSSV1Query(ctx context.Context, r *http.Request, bucket, key string, query []queryPair, now time.Time) (Result, error) {
	res := Result{Scheme: SchemeOSSV1, Dialect: DialectOSS, Presigned: true, Region: v.Region}
	ak, _ := firstValue(query, queryOSSAccessKeyID)
	expires, hasExp := firstValue(query, queryExpires)
	sig, hasSig := firstValue(query, querySignature)
	res.AccessKeyID = ak
	res.SecurityToken, _ = firstValue(query, queryOSSSecurityTokenV1)
	if ak == "" || !hasExp || !hasSig || sig == "" {
		return res, errAccessDenied("Presigned URLs need the OSSAccessKeyId, Expires and Signature parameters.")
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || exp < 0 {
		return res, errInvalidArgument("Expires is not a valid unix time.", queryExpires, expires)
	}
	res.Expires = time.Unix(exp, 0).UTC()
	if now.After(res.Expires) {
		return res, errExpired(DialectOSS, res.Expires, now)
	}
	sk, err := v.secret(ctx, DialectOSS, ak)
	if err != nil {
		return res, err
	}
	sts := ossV1StringToSign(r, expires, bucket, key, query)
	if !constEq(hmacSHA1Base64(sk, sts), sig) {
		return res, errSignatureMismatch(ak, sig, sts, "")
	}
	return res, nil
}
