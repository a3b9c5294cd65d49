package access

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// PostObject limits, as OSS.
const (
	MaxPostFieldNameBytes  = 8 << 10
	MaxPostFieldValueBytes = 2 << 20
	MaxPostConditions      = 1000
	// PostV4MaxSkew is how far in the future x-oss-date may lie.
	PostV4MaxSkew = 15 * time.Minute
	// PostV4MaxAge is how long after x-oss-date a V4 form stays usable.
	PostV4MaxAge = 7 * 24 * time.Hour

	postV4Algorithm = "OSS4-HMAC-SHA256"
	postV4Terminal  = "aliyun_v4_request"
	postV4DateFmt   = "20060102T150405Z"
)

// Messages of PostObject failures.
const (
	MsgFieldItemTooLong = "Your POST request fields preceding the upload file was too large."
	MsgEntityTooLarge   = "Your proposed upload exceeds the maximum allowed size."
	MsgEntityTooSmall   = "Your proposed upload is smaller than the minimum allowed size."
)

// PostAuthenticator is what VerifyPostPolicy needs from the identity
// store; *Directory implements it.
type PostAuthenticator interface {
	SecretFor(ctx context.Context, accessKeyID string) (string, error)
	Authenticate(ctx context.Context, accessKeyID, securityToken string, now time.Time) (Principal, error)
}

// PostCondition is one parsed condition of a PostObject policy.
type PostCondition struct {
	// Op is "eq", "starts-with", "in", "not-in" or "content-length-range".
	Op string
	// Field is the lowercased form field name ("bucket" for the bucket).
	Field    string
	Value    string   // eq, starts-with
	Values   []string // in, not-in
	Min, Max int64    // content-length-range
	text     string
}

// PostAuth is the outcome of VerifyPostPolicy.
type PostAuth struct {
	// Anonymous is true for a form with no OSSAccessKeyId, policy and
	// signature: only a public-read-write bucket accepts it (evaluate
	// oss:PutObject with Request.Anonymous).
	Anonymous bool
	// SignatureVersion is 1 or 4 (0 when anonymous).
	SignatureVersion int
	AccessKeyID      string
	// Principal is the signer (evaluate oss:PutObject for it).
	Principal  Principal
	Expiration time.Time
	// Region is the region of a V4 credential scope.
	Region     string
	Conditions []PostCondition

	hasRange bool
	min, max int64
}

// CheckSize applies the policy's content-length-range to the file size n
// (for callers that learn the size only while streaming the file):
// EntityTooSmall / EntityTooLarge, as OSS answers.
func (a *PostAuth) CheckSize(n int64) error {
	if a == nil || !a.hasRange {
		return nil
	}
	if n < a.min {
		return newError(CodeEntityTooSmall, http.StatusBadRequest, MsgEntityTooSmall, nil)
	}
	if n > a.max {
		return newError(CodeEntityTooLarge, http.StatusBadRequest, MsgEntityTooLarge, nil)
	}
	return nil
}

// VerifyPostPolicy authenticates a PostObject form and checks its policy.
// fields maps form field names (any case; lowercased here) to values,
// without the file; bucket is the bucket posted to; fileSize is the size of
// the file, or -1 when not yet known (then call PostAuth.CheckSize later).
//
// Rules, as OSS documents them:
//   - every field name is at most 8 KB and every value at most 2 MB
//     (FieldItemTooLong); "key" is required (InvalidArgument);
//   - OSSAccessKeyId, policy and Signature come all together or not at all
//     (InvalidArgument); none means an anonymous upload. A V4 form carries
//     x-oss-signature-version (OSS4-HMAC-SHA256), x-oss-credential,
//     x-oss-date, x-oss-signature and policy instead, all required;
//   - V1: Signature = base64(HMAC-SHA1(secret, policy)); V4: x-oss-signature
//     = hex(HMAC-SHA256(V4 signing key of the credential's date and region,
//     policy)); compared in constant time (SignatureDoesNotMatch); an unknown
//     key is InvalidAccessKeyId; an STS key needs x-oss-security-token;
//   - V4: x-oss-date must be the credential's day, at most PostV4MaxSkew in
//     the future (RequestTimeTooSkewed) and at most PostV4MaxAge old
//     (AccessDenied), and the policy must hold conditions on
//     x-oss-signature-version, x-oss-credential and x-oss-date (and
//     x-oss-security-token for STS keys);
//   - the policy is base64 of UTF-8 JSON with "expiration" (ISO 8601) and
//     "conditions"; a malformed one is InvalidPolicyDocument; an expired one
//     AccessDenied "Invalid according to Policy: Policy expired.";
//   - each condition ({"field": "v"} ≡ ["eq", "$field", "v"], starts-with,
//     in, not-in, content-length-range, {"bucket": "b"}) must hold, checked
//     against the form values before ${filename} expansion; a failure is
//     AccessDenied "Invalid according to Policy: Policy Condition failed: <c>"
//     and a size outside content-length-range EntityTooSmall/EntityTooLarge.
//     "\$" in the policy JSON stands for a literal '$'.
//
// Unlike S3, OSS does not require every form field to be named by a
// condition: fields no condition mentions are accepted (OSS's PostObject
// documentation only says extra fields are checked against the conditions
// that name them).
func VerifyPostPolicy(ctx context.Context, creds PostAuthenticator, fields map[string]string, bucket string, fileSize int64, now time.Time) (*PostAuth, error) {
	f := make(map[string]string, len(fields))
	for k, v := range fields {
		if len(k) > MaxPostFieldNameBytes || len(v) > MaxPostFieldValueBytes {
			name := k
			if len(name) > 128 {
				name = name[:128]
			}
			e := newError(CodeFieldItemTooLong, http.StatusBadRequest, MsgFieldItemTooLong, nil)
			e.ArgumentName = name
			return nil, e
		}
		lk := strings.ToLower(k)
		if _, dup := f[lk]; dup {
			return nil, invalidArgument("The form field "+lk+" is given more than once.", lk, "")
		}
		f[lk] = v
	}
	delete(f, "file")
	if f["key"] == "" {
		return nil, invalidArgument("The key form field is required.", "key", "")
	}
	has := func(k string) bool { return f[k] != "" }
	v4 := has("x-oss-signature-version") || has("x-oss-credential") || has("x-oss-date") || has("x-oss-signature")
	switch {
	case v4:
		if f["x-oss-signature-version"] != postV4Algorithm {
			return nil, invalidArgument("x-oss-signature-version must be "+postV4Algorithm+".", "x-oss-signature-version", f["x-oss-signature-version"])
		}
		for _, k := range []string{"policy", "x-oss-credential", "x-oss-date", "x-oss-signature"} {
			if !has(k) {
				return nil, invalidArgument("A V4 signed form needs policy, x-oss-signature-version, x-oss-credential, x-oss-date and x-oss-signature.", k, "")
			}
		}
	case has("ossaccesskeyid") || has("policy") || has("signature"):
		for _, k := range []string{"ossaccesskeyid", "policy", "signature"} {
			if !has(k) {
				return nil, invalidArgument("OSSAccessKeyId, policy and Signature must be given together.", k, "")
			}
		}
	default:
		return &PostAuth{Anonymous: true}, nil
	}

	a := &PostAuth{SignatureVersion: 1}
	policyB64 := f["policy"]
	var provided, expected string
	if v4 {
		a.SignatureVersion = 4
		ak, date, region, product, err := parsePostCredential(f["x-oss-credential"])
		if err != nil {
			return nil, err
		}
		t, err := time.Parse(postV4DateFmt, f["x-oss-date"])
		if err != nil {
			return nil, invalidArgument("x-oss-date must be in the form 20060102T150405Z.", "x-oss-date", f["x-oss-date"])
		}
		if t.Format("20060102") != date {
			return nil, invalidArgument("x-oss-date is not on the day of the credential scope.", "x-oss-date", f["x-oss-date"])
		}
		if t.Sub(now) > PostV4MaxSkew {
			return nil, newError(CodeRequestTimeTooSkewed, http.StatusForbidden, "The difference between the request time and the current time is too large.", nil)
		}
		if now.Sub(t) > PostV4MaxAge {
			return nil, accessDenied("Invalid according to Policy: x-oss-date is more than 7 days old.")
		}
		if f["ossaccesskeyid"] != "" && f["ossaccesskeyid"] != ak {
			return nil, invalidArgument("OSSAccessKeyId does not match x-oss-credential.", "OSSAccessKeyId", f["ossaccesskeyid"])
		}
		secret, err := postSecret(ctx, creds, ak)
		if err != nil {
			return nil, err
		}
		a.AccessKeyID, a.Region = ak, region
		provided = strings.ToLower(f["x-oss-signature"])
		expected = hex.EncodeToString(hmacSHA256(v4SigningKey(secret, date, region, product), policyB64))
	} else {
		a.AccessKeyID = f["ossaccesskeyid"]
		secret, err := postSecret(ctx, creds, a.AccessKeyID)
		if err != nil {
			return nil, err
		}
		provided = f["signature"]
		expected = SignPostPolicyV1(secret, policyB64)
	}
	if !hmac.Equal([]byte(provided), []byte(expected)) {
		e := newError(CodeSignatureDoesNotMatch, http.StatusForbidden, MsgSignatureMismatch, nil)
		return nil, e
	}
	p, err := creds.Authenticate(ctx, a.AccessKeyID, f["x-oss-security-token"], now)
	if err != nil {
		return nil, err
	}
	a.Principal = p

	doc, err := base64.StdEncoding.DecodeString(policyB64)
	if err != nil {
		return nil, invalidPolicy("Invalid Policy: the policy is not valid base64.", err)
	}
	exp, conds, err := parsePostPolicy(doc)
	if err != nil {
		return nil, err
	}
	a.Expiration, a.Conditions = exp, conds
	if !now.Before(exp) {
		return nil, accessDenied(MsgPolicyExpired)
	}
	if v4 {
		need := []string{"x-oss-signature-version", "x-oss-credential", "x-oss-date"}
		if strings.HasPrefix(a.AccessKeyID, stsPrefix) {
			need = append(need, "x-oss-security-token")
		}
		for _, n := range need {
			if !mentions(conds, n) {
				return nil, invalidPolicy("Invalid Policy: a V4 policy must contain a condition on "+n+".", nil)
			}
		}
	}
	for i := range conds {
		c := &conds[i]
		if c.Op == "content-length-range" {
			if !a.hasRange || c.Min > a.min {
				a.min = c.Min
			}
			if !a.hasRange || c.Max < a.max {
				a.max = c.Max
			}
			a.hasRange = true
			continue
		}
		v := f[c.Field]
		if c.Field == "bucket" {
			v = bucket
		}
		if !c.holds(v) {
			return nil, accessDenied(MsgPolicyConditionFail + c.text)
		}
	}
	if fileSize >= 0 {
		if err := a.CheckSize(fileSize); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func mentions(conds []PostCondition, field string) bool {
	for _, c := range conds {
		if c.Field == field {
			return true
		}
	}
	return false
}

func (c *PostCondition) holds(v string) bool {
	switch c.Op {
	case "eq":
		return v == c.Value
	case "starts-with":
		return strings.HasPrefix(v, c.Value)
	case "in", "not-in":
		in := false
		for _, x := range c.Values {
			if v == x {
				in = true
				break
			}
		}
		return in == (c.Op == "in")
	}
	return false
}

func postSecret(ctx context.Context, creds PostAuthenticator, ak string) (string, error) {
	secret, err := creds.SecretFor(ctx, ak)
	if err == nil {
		return secret, nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		return "", err
	}
	if errors.Is(err, auth.ErrUnknownAccessKey) {
		return "", newError(CodeInvalidAccessKeyID, http.StatusForbidden, MsgUnknownAccessKey, err)
	}
	return "", err
}

// parsePostCredential splits "<ak>/<yyyymmdd>/<region>/<product>/aliyun_v4_request".
func parsePostCredential(s string) (ak, date, region, product string, err error) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 || parts[0] == "" || len(parts[1]) != 8 || parts[2] == "" || parts[4] != postV4Terminal ||
		(parts[3] != "oss" && parts[3] != "oss-cloudbox") {
		return "", "", "", "", invalidArgument("x-oss-credential must be <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.", "x-oss-credential", s)
	}
	if _, e := time.Parse("20060102", parts[1]); e != nil {
		return "", "", "", "", invalidArgument("x-oss-credential has an invalid date.", "x-oss-credential", s)
	}
	return parts[0], parts[1], parts[2], parts[3], nil
}

// v4SigningKey is OSS V4's key derivation (auth does not export it):
// HMAC chain over "aliyun_v4"+secret, date, region, product,
// "aliyun_v4_request".
func v4SigningKey(secret, date, region, product string) []byte {
	k := hmacSHA256([]byte("aliyun_v4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, product)
	return hmacSHA256(k, postV4Terminal)
}

// unescapeDollar rewrites the policy's "\$" escapes (which are not JSON) to
// '$', leaving every other escape intact.
func unescapeDollar(doc []byte) []byte {
	if !bytes.Contains(doc, []byte(`\$`)) {
		return doc
	}
	out := make([]byte, 0, len(doc))
	inString := false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(doc):
			if doc[i+1] == '$' {
				out = append(out, '$')
			} else {
				out = append(out, c, doc[i+1])
			}
			i++
			continue
		}
		out = append(out, c)
	}
	return out
}

func postPolicyError(msg string, cause error) *Error {
	return invalidPolicy("Invalid Policy: "+msg, cause)
}

// parsePostPolicy decodes a PostObject policy document.
func parsePostPolicy(doc []byte) (time.Time, []PostCondition, error) {
	doc = unescapeDollar(doc)
	members, err := decodeObject(doc)
	if err != nil {
		return time.Time{}, nil, postPolicyError("Invalid JSON.", err)
	}
	var expRaw, condRaw json.RawMessage
	for _, m := range members {
		switch m.key {
		case "expiration":
			expRaw = m.val
		case "conditions":
			condRaw = m.val
		default:
			return time.Time{}, nil, postPolicyError(fmt.Sprintf("Unexpected element %q.", m.key), nil)
		}
	}
	var expStr string
	if expRaw == nil || json.Unmarshal(expRaw, &expStr) != nil {
		return time.Time{}, nil, postPolicyError("expiration is required and must be an ISO 8601 string.", nil)
	}
	exp, err := time.Parse(time.RFC3339Nano, expStr)
	if err != nil {
		return time.Time{}, nil, postPolicyError("expiration must be an ISO 8601 GMT time such as 2014-12-01T12:00:00.000Z.", err)
	}
	var items []json.RawMessage
	if condRaw == nil || firstByte(condRaw) != '[' || json.Unmarshal(condRaw, &items) != nil {
		return time.Time{}, nil, postPolicyError("conditions is required and must be a list.", nil)
	}
	if len(items) > MaxPostConditions {
		return time.Time{}, nil, postPolicyError(fmt.Sprintf("more than %d conditions.", MaxPostConditions), nil)
	}
	conds := make([]PostCondition, 0, len(items))
	for _, it := range items {
		c, err := parsePostCondition(it)
		if err != nil {
			return time.Time{}, nil, err
		}
		conds = append(conds, c)
	}
	return exp, conds, nil
}

// scalarString decodes a JSON string or number as text.
func scalarString(raw json.RawMessage) (string, bool) {
	switch firstByte(raw) {
	case '"':
		var s string
		return s, json.Unmarshal(raw, &s) == nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", false
		}
		return n.String(), true
	}
	return "", false
}

func parsePostCondition(raw json.RawMessage) (PostCondition, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return PostCondition{}, postPolicyError("Invalid JSON.", err)
	}
	c := PostCondition{text: compact.String()}
	switch firstByte(raw) {
	case '{':
		members, err := decodeObject(raw)
		if err != nil || len(members) != 1 {
			return c, postPolicyError("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.", err)
		}
		v, ok := scalarString(members[0].val)
		if !ok {
			return c, postPolicyError("Invalid Simple-Condition: the value must be a string.", nil)
		}
		c.Op, c.Field, c.Value = "eq", strings.ToLower(strings.TrimPrefix(members[0].key, "$")), v
		return c, nil
	case '[':
	default:
		return c, postPolicyError("Invalid Condition: a condition must be a map or a list.", nil)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) != 3 {
		return c, postPolicyError("Invalid Condition: a condition list must have three elements: "+c.text, err)
	}
	var op string
	if err := json.Unmarshal(parts[0], &op); err != nil {
		return c, postPolicyError("Invalid Condition: the operator must be a string: "+c.text, err)
	}
	c.Op = strings.ToLower(op)
	if c.Op == "content-length-range" {
		los, ok1 := scalarString(parts[1])
		his, ok2 := scalarString(parts[2])
		lo, err1 := strconv.ParseInt(los, 10, 64)
		hi, err2 := strconv.ParseInt(his, 10, 64)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || lo < 0 || hi < lo {
			return c, postPolicyError("Invalid Condition: content-length-range needs two integers 0 <= min <= max: "+c.text, nil)
		}
		c.Field, c.Min, c.Max = "content-length", lo, hi
		return c, nil
	}
	var field string
	if err := json.Unmarshal(parts[1], &field); err != nil || !strings.HasPrefix(field, "$") || len(field) < 2 {
		return c, postPolicyError("Invalid Condition: the field must be a string starting with $: "+c.text, err)
	}
	c.Field = strings.ToLower(field[1:])
	switch c.Op {
	case "eq", "starts-with":
		v, ok := scalarString(parts[2])
		if !ok {
			return c, postPolicyError("Invalid Condition: the value must be a string: "+c.text, nil)
		}
		c.Value = v
	case "in", "not-in":
		var list []json.RawMessage
		if firstByte(parts[2]) != '[' || json.Unmarshal(parts[2], &list) != nil {
			return c, postPolicyError("Invalid Condition: "+c.Op+" needs a list of values: "+c.text, nil)
		}
		for _, it := range list {
			v, ok := scalarString(it)
			if !ok {
				return c, postPolicyError("Invalid Condition: "+c.Op+" values must be strings: "+c.text, nil)
			}
			c.Values = append(c.Values, v)
		}
	default:
		return c, postPolicyError("Invalid Condition: unknown operator "+strconv.Quote(op)+".", nil)
	}
	return c, nil
}

// PostPolicy is the client side of a PostObject policy: Encode gives the
// policy form field.
type PostPolicy struct {
	Expiration time.Time
	// Conditions are JSON-encodable conditions: map[string]string for
	// {"field": "v"}, or []any such as []any{"starts-with", "$key", "user/"}.
	Conditions []any
}

// Encode returns base64(JSON policy), the value of the policy field.
func (p PostPolicy) Encode() (string, error) {
	conds := p.Conditions
	if conds == nil {
		conds = []any{}
	}
	doc, err := json.Marshal(struct {
		Expiration string `json:"expiration"`
		Conditions []any  `json:"conditions"`
	}{p.Expiration.UTC().Format("2006-01-02T15:04:05.000Z"), conds})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(doc), nil
}

// SignPostPolicyV1 is the V1 Signature field: base64(HMAC-SHA1(secret,
// policy)).
func SignPostPolicyV1(secret, policyB64 string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policyB64))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignPostPolicyV4 is the V4 x-oss-signature field: hex(HMAC-SHA256(signing
// key for t's UTC date and region, policy)), as ali-oss's
// signPostObjectPolicyV4.
func SignPostPolicyV4(secret, region string, t time.Time, policyB64 string) string {
	return hex.EncodeToString(hmacSHA256(v4SigningKey(secret, t.UTC().Format("20060102"), region, "oss"), policyB64))
}

// PostCredentialV4 is the x-oss-credential field for ak, region and t.
func PostCredentialV4(ak, region string, t time.Time) string {
	return ak + "/" + t.UTC().Format("20060102") + "/" + region + "/oss/" + postV4Terminal
}

// PostFormV1 returns the authentication fields of a V1 signed form:
// OSSAccessKeyId, policy, Signature and, for STS credentials,
// x-oss-security-token.
func PostFormV1(ak, secret, securityToken string, p PostPolicy) (map[string]string, error) {
	if securityToken != "" {
		p.Conditions = append(append([]any(nil), p.Conditions...), map[string]string{"x-oss-security-token": securityToken})
	}
	pol, err := p.Encode()
	if err != nil {
		return nil, err
	}
	f := map[string]string{"OSSAccessKeyId": ak, "policy": pol, "Signature": SignPostPolicyV1(secret, pol)}
	if securityToken != "" {
		f["x-oss-security-token"] = securityToken
	}
	return f, nil
}

// PostFormV4 returns the authentication fields of a V4 signed form signed
// at t for region: policy (with the required conditions on the V4 fields
// added), x-oss-signature-version, x-oss-credential, x-oss-date,
// x-oss-signature and, for STS credentials, x-oss-security-token.
func PostFormV4(ak, secret, securityToken, region string, t time.Time, p PostPolicy) (map[string]string, error) {
	f := map[string]string{
		"x-oss-signature-version": postV4Algorithm,
		"x-oss-credential":        PostCredentialV4(ak, region, t),
		"x-oss-date":              t.UTC().Format(postV4DateFmt),
	}
	if securityToken != "" {
		f["x-oss-security-token"] = securityToken
	}
	conds := append([]any(nil), p.Conditions...)
	for _, k := range []string{"x-oss-signature-version", "x-oss-credential", "x-oss-date", "x-oss-security-token"} {
		if v, ok := f[k]; ok {
			conds = append(conds, map[string]string{k: v})
		}
	}
	p.Conditions = conds
	pol, err := p.Encode()
	if err != nil {
		return nil, err
	}
	f["policy"] = pol
	f["x-oss-signature"] = SignPostPolicyV4(secret, region, t, pol)
	return f, nil
}
