package access

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// Independent re-implementations of the two signatures, written from the
// OSS documentation and ali-oss's signUtils.getSignatureV4, not from the
// package's helpers.
func refSignV1(secret, policy string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policy))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func refHMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func refSignV4(secret, date, region, stringToSign string) string {
	signingDate := refHMAC([]byte("aliyun_v4"+secret), date)
	signingRegion := refHMAC(signingDate, region)
	signingOss := refHMAC(signingRegion, "oss")
	signingKey := refHMAC(signingOss, "aliyun_v4_request")
	return hex.EncodeToString(refHMAC(signingKey, stringToSign))
}

// The V4 key derivation reproduces the spec's verified request vector
// (section 2.3), which pins the derivation PostObject V4 shares with it.
func TestV4KeyDerivationVector(t *testing.T) {
	canonical := "PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n" +
		"content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
	sum := sha256.Sum256([]byte(canonical))
	sts := "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\n" + hex.EncodeToString(sum[:])
	const want = "e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
	if got := hex.EncodeToString(hmacSHA256(v4SigningKey("sk", "20231216", "cn-hangzhou", "oss"), sts)); got != want {
		t.Fatalf("package derivation = %s, want %s", got, want)
	}
	if got := refSignV4("sk", "20231216", "cn-hangzhou", sts); got != want {
		t.Fatalf("reference derivation = %s, want %s", got, want)
	}
	pol := "eyJleHBpcmF0aW9uIjoiMjAxNC0xMi0wMVQxMjowMDowMC4wMDBaIiwiY29uZGl0aW9ucyI6W119"
	tm := time.Date(2023, 12, 16, 16, 20, 57, 0, time.UTC)
	if SignPostPolicyV4("sk", "cn-hangzhou", tm, pol) != refSignV4("sk", "20231216", "cn-hangzhou", pol) {
		t.Error("SignPostPolicyV4 disagrees with the ali-oss algorithm")
	}
	if SignPostPolicyV1("sk", pol) != refSignV1("sk", pol) {
		t.Error("SignPostPolicyV1 disagrees")
	}
}

type postEnv struct {
	d      *Directory
	root   AccessKey
	sts    Credentials
	now    time.Time
	bucket string
}

func newPostEnv(t *testing.T) *postEnv {
	t.Helper()
	ctx := context.Background()
	d, _, clk := newDir(t)
	k, err := d.CreateKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.IssueToken(ctx, k.AccessKeyID, nil, time.Hour, "browser")
	if err != nil {
		t.Fatal(err)
	}
	return &postEnv{d: d, root: k, sts: c, now: clk.Now(), bucket: "photos"}
}

func encPolicy(doc string) string { return base64.StdEncoding.EncodeToString([]byte(doc)) }

func (e *postEnv) v1(doc string, extra map[string]string) map[string]string {
	pol := encPolicy(doc)
	f := map[string]string{"key": "user/a.jpg", "OSSAccessKeyId": e.root.AccessKeyID, "policy": pol, "Signature": refSignV1(e.root.Secret, pol)}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

func TestVerifyPostPolicyV1(t *testing.T) {
	e := newPostEnv(t)
	ctx := context.Background()
	exp := e.now.Add(time.Hour).Format("2006-01-02T15:04:05.000Z")
	policy := func(conds string) string { return `{"expiration":"` + exp + `","conditions":[` + conds + `]}` }
	type tc struct {
		name   string
		fields map[string]string
		size   int64
		code   string
		msg    string
	}
	cases := []tc{
		{"no conditions", e.v1(policy(``), nil), 10, "", ""},
		{"bucket map", e.v1(policy(`{"bucket":"photos"}`), nil), 10, "", ""},
		{"bucket eq", e.v1(policy(`["eq","$bucket","photos"]`), nil), 10, "", ""},
		{"bucket wrong", e.v1(policy(`{"bucket":"other"}`), nil), 10, CodeAccessDenied, `Policy Condition failed: {"bucket":"other"}`},
		{"key starts-with", e.v1(policy(`["starts-with","$key","user/"]`), nil), 10, "", ""},
		{"key starts-with fail", e.v1(policy(`["starts-with","$key","admin/"]`), nil), 10, CodeAccessDenied, `["starts-with","$key","admin/"]`},
		{"starts-with empty", e.v1(policy(`["starts-with","$x-oss-meta-a",""]`), nil), 10, "", ""},
		{"eq field", e.v1(policy(`["eq","$success_action_status","201"]`), map[string]string{"success_action_status": "201"}), 10, "", ""},
		{"eq field missing", e.v1(policy(`["eq","$success_action_status","201"]`), nil), 10, CodeAccessDenied, "Policy Condition failed"},
		{"simple eq case-insensitive name", e.v1(policy(`{"Content-Type":"image/png"}`), map[string]string{"content-type": "image/png"}), 10, "", ""},
		{"field name case-insensitive", e.v1(policy(`["eq","$Content-Type","image/png"]`), map[string]string{"CONTENT-TYPE": "image/png"}), 10, "", ""},
		{"value case-sensitive", e.v1(policy(`["eq","$content-type","image/png"]`), map[string]string{"Content-Type": "Image/PNG"}), 10, CodeAccessDenied, ""},
		{"in", e.v1(policy(`["in","$content-type",["image/jpg","image/png"]]`), map[string]string{"Content-Type": "image/png"}), 10, "", ""},
		{"in fail", e.v1(policy(`["in","$content-type",["image/jpg","image/png"]]`), map[string]string{"Content-Type": "text/html"}), 10, CodeAccessDenied, ""},
		{"not-in", e.v1(policy(`["not-in","$cache-control",["no-cache"]]`), map[string]string{"Cache-Control": "max-age=1"}), 10, "", ""},
		{"not-in fail", e.v1(policy(`["not-in","$cache-control",["no-cache"]]`), map[string]string{"Cache-Control": "no-cache"}), 10, CodeAccessDenied, ""},
		{"dollar escape", e.v1(policy(`["eq","$x-oss-meta-price","\$5"]`), map[string]string{"x-oss-meta-price": "$5"}), 10, "", ""},
		{"escaped backslash kept", e.v1(policy(`["eq","$x-oss-meta-p","a\\b"]`), map[string]string{"x-oss-meta-p": `a\b`}), 10, "", ""},
		{"number value", e.v1(policy(`["eq","$success_action_status",201]`), map[string]string{"success_action_status": "201"}), 10, "", ""},
		{"length in range", e.v1(policy(`["content-length-range",1,10]`), nil), 10, "", ""},
		{"length too large", e.v1(policy(`["content-length-range",1,10]`), nil), 11, CodeEntityTooLarge, MsgEntityTooLarge},
		{"length too small", e.v1(policy(`["content-length-range",1,10]`), nil), 0, CodeEntityTooSmall, MsgEntityTooSmall},
		{"length unknown", e.v1(policy(`["content-length-range",1,10]`), nil), -1, "", ""},
		{"uncovered fields accepted", e.v1(policy(`["starts-with","$key","user/"]`), map[string]string{"x-oss-meta-free": "x", "success_action_redirect": "http://x"}), 10, "", ""},
		{"key required", func() map[string]string { f := e.v1(policy(``), nil); delete(f, "key"); return f }(), 10, CodeInvalidArgument, "key"},
		{"wrong signature", e.v1(policy(``), map[string]string{"Signature": refSignV1("wrong", encPolicy(policy(``)))}), 10, CodeSignatureDoesNotMatch, ""},
		{"signature of other policy", e.v1(policy(``), map[string]string{"policy": encPolicy(policy(`{"a":"b"}`))}), 10, CodeSignatureDoesNotMatch, ""},
		{"unknown key", e.v1(policy(``), map[string]string{"OSSAccessKeyId": "LTAInobody"}), 10, CodeInvalidAccessKeyID, MsgUnknownAccessKey},
		{"no signature", func() map[string]string { f := e.v1(policy(``), nil); delete(f, "Signature"); return f }(), 10, CodeInvalidArgument, "together"},
		{"no policy", func() map[string]string { f := e.v1(policy(``), nil); delete(f, "policy"); return f }(), 10, CodeInvalidArgument, "together"},
		{"no access key", func() map[string]string { f := e.v1(policy(``), nil); delete(f, "OSSAccessKeyId"); return f }(), 10, CodeInvalidArgument, "together"},
		{"policy only", map[string]string{"key": "k", "policy": encPolicy(policy(``))}, 10, CodeInvalidArgument, "together"},
		{"expired", e.v1(`{"expiration":"`+e.now.Add(-time.Second).Format(time.RFC3339)+`","conditions":[]}`, nil), 10, CodeAccessDenied, MsgPolicyExpired},
		{"expiration without millis", e.v1(`{"expiration":"`+e.now.Add(time.Minute).Format(time.RFC3339)+`","conditions":[]}`, nil), 10, "", ""},
		{"field name too long", e.v1(policy(``), map[string]string{strings.Repeat("n", MaxPostFieldNameBytes+1): "v"}), 10, CodeFieldItemTooLong, MsgFieldItemTooLong},
		{"field value too long", e.v1(policy(``), map[string]string{"x-oss-meta-big": strings.Repeat("v", MaxPostFieldValueBytes+1)}), 10, CodeFieldItemTooLong, ""},
		{"duplicate field after folding", e.v1(policy(``), map[string]string{"KEY": "x"}), 10, CodeInvalidArgument, "more than once"},
		// Malformed policies (OSS's EC 0006-00000222 / -224 examples and more).
		{"not base64", e.v1(policy(``), map[string]string{"policy": "%%%", "Signature": refSignV1(e.root.Secret, "%%%")}), 10, CodeInvalidPolicyDocument, "base64"},
		{"not json", e.v1(`nope`, nil), 10, CodeInvalidPolicyDocument, "Invalid JSON"},
		{"no expiration", e.v1(`{"conditions":[]}`, nil), 10, CodeInvalidPolicyDocument, "expiration"},
		{"bad expiration", e.v1(`{"expiration":"tomorrow","conditions":[]}`, nil), 10, CodeInvalidPolicyDocument, "expiration"},
		{"no conditions", e.v1(`{"expiration":"`+exp+`"}`, nil), 10, CodeInvalidPolicyDocument, "conditions"},
		{"unknown member", e.v1(`{"expiration":"`+exp+`","conditions":[],"x":1}`, nil), 10, CodeInvalidPolicyDocument, "Unexpected"},
		{"condition not map or list", e.v1(policy(`123`), nil), 10, CodeInvalidPolicyDocument, "map or a list"},
		{"simple condition two props", e.v1(policy(`{"a":"b","c":"d"}`), nil), 10, CodeInvalidPolicyDocument, "Simple-Conditions must have exactly one property specified."},
		{"not-in with string", e.v1(policy(`["not-in","$cache-control","no-cache"]`), nil), 10, CodeInvalidPolicyDocument, "needs a list"},
		{"field without dollar", e.v1(policy(`["eq","key","a"]`), nil), 10, CodeInvalidPolicyDocument, "starting with $"},
		{"unknown op", e.v1(policy(`["matches","$key","a"]`), nil), 10, CodeInvalidPolicyDocument, "unknown operator"},
		{"two element list", e.v1(policy(`["eq","$key"]`), nil), 10, CodeInvalidPolicyDocument, "three elements"},
		{"bad range", e.v1(policy(`["content-length-range",10,1]`), nil), 10, CodeInvalidPolicyDocument, "content-length-range"},
		{"range strings", e.v1(policy(`["content-length-range","1","10"]`), nil), 5, "", ""},
	}
	for _, c := range cases {
		a, err := VerifyPostPolicy(ctx, e.d, c.fields, e.bucket, c.size, e.now)
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if a.Anonymous || a.SignatureVersion != 1 || !a.Principal.IsRoot || a.AccessKeyID != e.root.AccessKeyID {
				t.Errorf("%s: result %+v", c.name, a)
			}
			continue
		}
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != c.code || !strings.Contains(ae.Message, c.msg) {
			t.Errorf("%s: err = %v, want %s %q", c.name, err, c.code, c.msg)
		}
	}
}

func TestVerifyPostPolicyAnonymousAndSize(t *testing.T) {
	e := newPostEnv(t)
	ctx := context.Background()
	a, err := VerifyPostPolicy(ctx, e.d, map[string]string{"key": "k", "x-oss-meta-a": "b", "file": "ignored"}, e.bucket, 5, e.now)
	if err != nil || !a.Anonymous {
		t.Fatalf("anonymous: %+v %v", a, err)
	}
	// content-length-range checked later, while streaming.
	pol := `{"expiration":"` + e.now.Add(time.Hour).Format(time.RFC3339) + `","conditions":[["content-length-range",5,100],["content-length-range",0,50]]}`
	a, err = VerifyPostPolicy(ctx, e.d, e.v1(pol, nil), e.bucket, -1, e.now)
	if err != nil {
		t.Fatal(err)
	}
	for n, code := range map[int64]string{4: CodeEntityTooSmall, 5: "", 50: "", 51: CodeEntityTooLarge} {
		if got := codeOf(a.CheckSize(n)); got != code {
			t.Errorf("CheckSize(%d) = %q, want %q", n, got, code)
		}
	}
	if (*PostAuth)(nil).CheckSize(1) != nil {
		t.Error("nil CheckSize")
	}
}

func TestVerifyPostPolicySTS(t *testing.T) {
	e := newPostEnv(t)
	ctx := context.Background()
	p := PostPolicy{Expiration: e.now.Add(time.Hour), Conditions: []any{[]any{"starts-with", "$key", "user/"}}}
	f, err := PostFormV1(e.sts.AccessKeyID, e.sts.AccessKeySecret, e.sts.SecurityToken, p)
	if err != nil {
		t.Fatal(err)
	}
	f["key"] = "user/x"
	a, err := VerifyPostPolicy(ctx, e.d, f, e.bucket, 1, e.now)
	if err != nil || !a.Principal.STS {
		t.Fatalf("STS V1: %+v %v", a, err)
	}
	// Without the token field OSS answers InvalidAccessKeyId.
	delete(f, "x-oss-security-token")
	if _, err := VerifyPostPolicy(ctx, e.d, f, e.bucket, 1, e.now); codeOf(err) != CodeInvalidAccessKeyID {
		t.Errorf("STS without token: %v", err)
	}
	// An expired token.
	f, _ = PostFormV1(e.sts.AccessKeyID, e.sts.AccessKeySecret, e.sts.SecurityToken, PostPolicy{Expiration: e.now.Add(3 * time.Hour)})
	f["key"] = "k"
	if _, err := VerifyPostPolicy(ctx, e.d, f, e.bucket, 1, e.now.Add(2*time.Hour)); codeOf(err) != CodeSecurityTokenExpired {
		t.Errorf("expired token: %v", err)
	}
}

func TestVerifyPostPolicyV4(t *testing.T) {
	e := newPostEnv(t)
	ctx := context.Background()
	signedAt := e.now.Add(-time.Minute)
	base := PostPolicy{Expiration: e.now.Add(time.Hour), Conditions: []any{map[string]string{"bucket": "photos"}, []any{"content-length-range", 1, 1 << 20}}}
	form := func(ak, secret, token string, at time.Time, p PostPolicy) map[string]string {
		f, err := PostFormV4(ak, secret, token, "cn-hangzhou", at, p)
		if err != nil {
			t.Fatal(err)
		}
		f["key"] = "user/v4.bin"
		return f
	}
	ok := form(e.root.AccessKeyID, e.root.Secret, "", signedAt, base)
	// The signature is the ali-oss algorithm, recomputed independently.
	if want := refSignV4(e.root.Secret, signedAt.UTC().Format("20060102"), "cn-hangzhou", ok["policy"]); ok["x-oss-signature"] != want {
		t.Fatalf("PostFormV4 signature %s, reference %s", ok["x-oss-signature"], want)
	}
	a, err := VerifyPostPolicy(ctx, e.d, ok, e.bucket, 100, e.now)
	if err != nil {
		t.Fatal(err)
	}
	if a.SignatureVersion != 4 || a.Region != "cn-hangzhou" || !a.Principal.IsRoot {
		t.Errorf("result %+v", a)
	}
	upper := copyFields(ok)
	upper["x-oss-signature"] = strings.ToUpper(upper["x-oss-signature"])
	if _, err := VerifyPostPolicy(ctx, e.d, upper, e.bucket, 100, e.now); err != nil {
		t.Errorf("upper-case hex: %v", err)
	}

	with := func(f map[string]string, k, v string) map[string]string {
		g := copyFields(f)
		if v == "" {
			delete(g, k)
		} else {
			g[k] = v
		}
		return g
	}
	// A policy without the V4 conditions, signed correctly.
	bare := func() map[string]string {
		pol, _ := base.Encode()
		return map[string]string{
			"key": "k", "policy": pol, "x-oss-signature-version": "OSS4-HMAC-SHA256",
			"x-oss-credential": PostCredentialV4(e.root.AccessKeyID, "cn-hangzhou", signedAt),
			"x-oss-date":       signedAt.UTC().Format("20060102T150405Z"),
			"x-oss-signature":  refSignV4(e.root.Secret, signedAt.UTC().Format("20060102"), "cn-hangzhou", pol),
		}
	}()
	stsForm := form(e.sts.AccessKeyID, e.sts.AccessKeySecret, e.sts.SecurityToken, signedAt, base)
	cases := []struct {
		name   string
		fields map[string]string
		code   string
	}{
		{"wrong signature", with(ok, "x-oss-signature", strings.Repeat("0", 64)), CodeSignatureDoesNotMatch},
		{"other region", with(ok, "x-oss-credential", PostCredentialV4(e.root.AccessKeyID, "cn-beijing", signedAt)), CodeSignatureDoesNotMatch},
		{"bad version", with(ok, "x-oss-signature-version", "OSS2"), CodeInvalidArgument},
		{"missing credential", with(ok, "x-oss-credential", ""), CodeInvalidArgument},
		{"missing date", with(ok, "x-oss-date", ""), CodeInvalidArgument},
		{"missing signature", with(ok, "x-oss-signature", ""), CodeInvalidArgument},
		{"missing policy", with(ok, "policy", ""), CodeInvalidArgument},
		{"bad credential", with(ok, "x-oss-credential", "ak/2023/cn/oss/aliyun_v4_request"), CodeInvalidArgument},
		{"bad product", with(ok, "x-oss-credential", e.root.AccessKeyID+"/20250301/cn-hangzhou/s3/aliyun_v4_request"), CodeInvalidArgument},
		{"bad date", with(ok, "x-oss-date", "2025-03-01"), CodeInvalidArgument},
		{"date not credential day", with(ok, "x-oss-date", signedAt.Add(48*time.Hour).UTC().Format("20060102T150405Z")), CodeInvalidArgument},
		{"credential ak mismatch with OSSAccessKeyId", with(ok, "OSSAccessKeyId", "LTAIother"), CodeInvalidArgument},
		{"unknown key", form("LTAInobody", "x", "", signedAt, base), CodeInvalidAccessKeyID},
		{"policy lacks V4 conditions", bare, CodeInvalidPolicyDocument},
		{"too far in the future", form(e.root.AccessKeyID, e.root.Secret, "", e.now.Add(20*time.Minute), base), CodeRequestTimeTooSkewed},
		{"older than 7 days", form(e.root.AccessKeyID, e.root.Secret, "", e.now.Add(-8*24*time.Hour), PostPolicy{Expiration: e.now.Add(time.Hour)}), CodeAccessDenied},
		{"x-oss-date differs from the policy's", with(ok, "x-oss-date", signedAt.Add(-time.Second).UTC().Format("20060102T150405Z")), CodeAccessDenied},
		{"date removed", with(form(e.root.AccessKeyID, e.root.Secret, "", signedAt, base), "x-oss-date", ""), CodeInvalidArgument},
		{"too large", ok, CodeEntityTooLarge},
		{"sts token missing", with(stsForm, "x-oss-security-token", ""), CodeInvalidAccessKeyID},
		{"sts token swapped", with(stsForm, "x-oss-security-token", "v1.x.y"), CodeInvalidSecurityToken},
	}
	for _, c := range cases {
		size := int64(100)
		if c.name == "too large" {
			size = 2 << 20
		}
		_, err := VerifyPostPolicy(ctx, e.d, c.fields, e.bucket, size, e.now)
		if codeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if a, err := VerifyPostPolicy(ctx, e.d, stsForm, e.bucket, 100, e.now); err != nil || !a.Principal.STS {
		t.Errorf("STS V4: %v", err)
	}
}

func copyFields(f map[string]string) map[string]string {
	g := make(map[string]string, len(f))
	for k, v := range f {
		g[k] = v
	}
	return g
}

// The PostObject documentation's sample policy parses (expiration without
// milliseconds, a free-form {"A": "a"} condition).
func TestParseDocSamplePolicy(t *testing.T) {
	doc, err := base64.StdEncoding.DecodeString("eyJleHBpcmF0aW9uIjoiMjAxMy0xMi0wMVQxMjowMDowMFoiLCJjb25kaXRpb25zIjpbWyJjb250ZW50LWxlbmd0aC1yYW5nZSIsIDAsIDEwNDg1NzYwXSx7ImJ1Y2tldCI6ImFoYWhhIn0sIHsiQSI6ICJhIn0seyJrZXkiOiAiQUJDIn1dfQ==")
	if err != nil {
		t.Fatal(err)
	}
	exp, conds, err := parsePostPolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(time.Date(2013, 12, 1, 12, 0, 0, 0, time.UTC)) || len(conds) != 4 {
		t.Fatalf("%v %+v", exp, conds)
	}
	if conds[0].Op != "content-length-range" || conds[0].Max != 10485760 || conds[1].Field != "bucket" || conds[2].Field != "a" || conds[3].Value != "ABC" {
		t.Errorf("conditions %+v", conds)
	}
}

func TestUnescapeDollar(t *testing.T) {
	cases := map[string]string{
		`{"a":"\$x"}`:   `{"a":"$x"}`,
		`{"a":"\\$x"}`:  `{"a":"\\$x"}`,
		`{"a":"x\"\$"}`: `{"a":"x\"$"}`,
		`{"a":"plain"}`: `{"a":"plain"}`,
	}
	for in, want := range cases {
		if got := string(unescapeDollar([]byte(in))); got != want {
			t.Errorf("unescapeDollar(%s) = %s, want %s", in, got, want)
		}
	}
}
