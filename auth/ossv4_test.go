package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	ossv2signer "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/signer"

	"github.com/ossflow/ossflow/auth"
)

// v4VectorRequest is the request of the digest's §2.3 vector (SDKv2
// signer_test TestV4AuthHeader).
func v4VectorRequest(t *testing.T) *http.Request {
	r := mustReq(t, "PUT", "http://bucket.oss-cn-hangzhou.aliyuncs.com", "")
	r.Header = http.Header{}
	r.Header.Add("x-oss-head1", "value")
	r.Header.Add("abc", "value")
	r.Header.Add("ZAbc", "value")
	r.Header.Add("XYZ", "value")
	r.Header.Add("content-type", "text/plain")
	r.Header.Add("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
	v := url.Values{}
	v.Add("param1", "value1")
	v.Add("+param1", "value3")
	v.Add("|param1", "value4")
	v.Add("+param2", "")
	v.Add("|param2", "")
	v.Add("param2", "")
	r.URL.RawQuery = v.Encode()
	return r
}

func TestOSSV4HeaderVectors(t *testing.T) {
	cases := []struct {
		name       string
		unix       int64
		additional []string
		want       string
	}{
		{"spec 2.3", 1702743657, nil,
			"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"},
		{"additional headers", 1702747512, []string{"ZAbc", "abc"},
			"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"},
		{"additional incl. default and absent", 1702747512, []string{"x-oss-no-exist", "ZAbc", "x-oss-head1", "abc"},
			"OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			signTime := time.Unix(tc.unix, 0).UTC()
			r := v4VectorRequest(t)
			auth.SignOSSV4(r, "ak", "sk", "cn-hangzhou", "bucket", "1234+-/123/1.txt", signTime, auth.WithAdditionalHeaders(tc.additional...))
			if got := r.Header.Get("Authorization"); got != tc.want {
				t.Fatalf("SignOSSV4 = %q\nwant        %q", got, tc.want)
			}
			// Verify the hard-coded header on a fresh request.
			r = v4VectorRequest(t)
			r.Header.Set("x-oss-date", signTime.Format("20060102T150405Z"))
			r.Header.Set("Authorization", tc.want)
			res, err := verifierAt(signTime.Add(5*time.Minute)).Verify(context.Background(), r, "bucket", "1234+-/123/1.txt")
			if err != nil {
				t.Fatal(err)
			}
			if res.Scheme != auth.SchemeOSSV4 || res.Region != "cn-hangzhou" || res.PayloadHash != "UNSIGNED-PAYLOAD" || !res.SigningTime.Equal(signTime) {
				t.Fatalf("result %+v", res)
			}
			// Unsigned headers may change, signed ones may not.
			r.Header.Set("XYZ", "changed")
			if _, err := verifierAt(signTime).Verify(context.Background(), r, "bucket", "1234+-/123/1.txt"); err != nil {
				t.Fatalf("unsigned header change: %v", err)
			}
			for _, h := range []string{"x-oss-head1", "content-type", "Authorization"} {
				r := v4VectorRequest(t)
				r.Header.Set("x-oss-date", signTime.Format("20060102T150405Z"))
				r.Header.Set("Authorization", tc.want)
				tamperHeader(r, h)
				_, err := verifierAt(signTime).Verify(context.Background(), r, "bucket", "1234+-/123/1.txt")
				e := wantCode(t, err, "SignatureDoesNotMatch")
				if h != "Authorization" && e.CanonicalRequest == "" {
					t.Fatal("no canonical request in error")
				}
			}
			// A tampered query parameter.
			r = v4VectorRequest(t)
			r.Header.Set("x-oss-date", signTime.Format("20060102T150405Z"))
			r.Header.Set("Authorization", tc.want)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "value1", "value2", 1)
			_, err = verifierAt(signTime).Verify(context.Background(), r, "bucket", "1234+-/123/1.txt")
			wantCode(t, err, "SignatureDoesNotMatch")
		})
	}
}

func TestOSSV4CanonicalRequestInError(t *testing.T) {
	signTime := time.Unix(1702743657, 0).UTC()
	r := v4VectorRequest(t)
	r.Header.Set("x-oss-date", "20231216T162057Z")
	r.Header.Set("Authorization", "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=0000000000000000000000000000000000000000000000000000000000000000")
	_, err := verifierAt(signTime).Verify(context.Background(), r, "bucket", "1234+-/123/1.txt")
	e := wantCode(t, err, "SignatureDoesNotMatch")
	const cr = "PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\ncontent-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
	if e.CanonicalRequest != cr {
		t.Fatalf("canonical request\n%q\nwant\n%q", e.CanonicalRequest, cr)
	}
	if !strings.HasPrefix(e.StringToSign, "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\n") {
		t.Fatalf("sts %q", e.StringToSign)
	}
}

// SDKv2 TestV4AuthQuery vector: signed at 1702781677, valid 599 s.
func TestOSSV4PresignVector(t *testing.T) {
	build := func() *http.Request {
		r := mustReq(t, "PUT", "http://bucket.oss-cn-hangzhou.aliyuncs.com", "")
		r.Header = http.Header{}
		r.Header.Add("x-oss-head1", "value")
		r.Header.Add("abc", "value")
		r.Header.Add("ZAbc", "value")
		r.Header.Add("XYZ", "value")
		r.Header.Add("content-type", "application/octet-stream")
		v := url.Values{}
		v.Add("param1", "value1")
		v.Add("+param1", "value3")
		v.Add("|param1", "value4")
		v.Add("+param2", "")
		v.Add("|param2", "")
		v.Add("param2", "")
		r.URL.RawQuery = v.Encode()
		return r
	}
	signTime := time.Unix(1702781677, 0)
	r := build()
	auth.PresignOSSV4(r, "ak", "sk", "cn-hangzhou", "bucket", "1234+-/123/1.txt", signTime, 599*time.Second)
	q := r.URL.Query()
	if got := q.Get("x-oss-signature"); got != "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe" {
		t.Fatalf("signature %q (query %s)", got, r.URL.RawQuery)
	}
	if q.Get("x-oss-credential") != "ak/20231217/cn-hangzhou/oss/aliyun_v4_request" || q.Get("x-oss-expires") != "599" {
		t.Fatalf("query %s", r.URL.RawQuery)
	}
	v := verifierAt(signTime.Add(time.Minute))
	res, err := v.Verify(context.Background(), r, "bucket", "1234+-/123/1.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Presigned || !res.Expires.Equal(signTime.Add(599*time.Second)) {
		t.Fatalf("result %+v", res)
	}
	_, err = verifierAt(signTime.Add(600*time.Second)).Verify(context.Background(), r, "bucket", "1234+-/123/1.txt")
	if e := wantCode(t, err, "AccessDenied"); e.Message != "Request has expired." {
		t.Fatal(e.Message)
	}
	// Signed in the future beyond the skew.
	_, err = verifierAt(signTime.Add(-time.Hour)).Verify(context.Background(), r, "bucket", "1234+-/123/1.txt")
	wantCode(t, err, "AccessDenied")
	// Changing a signed header breaks it.
	r.Header.Set("x-oss-head1", "other")
	_, err = v.Verify(context.Background(), r, "bucket", "1234+-/123/1.txt")
	wantCode(t, err, "SignatureDoesNotMatch")
}

func TestOSSV4PresignBadExpires(t *testing.T) {
	signTime := time.Unix(1702781677, 0)
	for _, exp := range []string{"604801", "-1", "0", "abc", "99999999999999999999"} {
		r := mustReq(t, "GET", "http://bucket.oss-cn-hangzhou.aliyuncs.com/k", "")
		auth.PresignOSSV4(r, "ak", "sk", "cn-hangzhou", "bucket", "k", signTime, time.Hour)
		q := r.URL.Query()
		q.Set("x-oss-expires", exp)
		r.URL.RawQuery = q.Encode()
		_, err := verifierAt(signTime).Verify(context.Background(), r, "bucket", "k")
		e := wantCode(t, err, "InvalidArgument")
		if e.ArgumentName != "x-oss-expires" || e.ArgumentValue != exp {
			t.Fatalf("%+v", e)
		}
	}
}

// Requests signed by the real SDKv2 V4 signer verify, header and query.
func TestOSSV4SDKv2Signer(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	cases := []struct {
		name, method, url, bucket, key, product, region string
		hdr                                             map[string]string
		additional                                      []string
		token                                           string
	}{
		{"object", "PUT", "http://b.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%2Bc%E4%B8%AD.txt", "b", "dir/a b+c中.txt", "oss", "cn-hangzhou",
			map[string]string{"Content-Type": "text/plain", "x-oss-meta-x": "y", "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}, nil, ""},
		{"list", "GET", "http://b.oss-cn-hangzhou.aliyuncs.com/?prefix=a%20b&list-type=2&max-keys=10", "b", "", "oss", "cn-hangzhou", nil, nil, "sts-token"},
		{"service", "GET", "http://oss-cn-hangzhou.aliyuncs.com/", "", "", "oss", "cn-hangzhou", nil, nil, ""},
		{"additional", "GET", "http://b.oss-cn-hangzhou.aliyuncs.com/k", "b", "k", "oss", "cn-hangzhou",
			map[string]string{"Range": "bytes=0-9", "If-Match": "\"abc\""}, []string{"range", "If-Match", "x-oss-meta-absent"}, ""},
		{"cloudbox", "GET", "http://b.cb-123.cn-hangzhou.oss-cloudbox.aliyuncs.com/k", "b", "k", "oss-cloudbox", "cb-123", nil, nil, ""},
		{"custom region", "DELETE", "http://b.localhost:9000/k", "b", "k", "oss", "ossflow-local", nil, nil, ""},
	}
	for _, tc := range cases {
		for _, query := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "/header", true: "/query"}[query], func(t *testing.T) {
				r := mustReq(t, tc.method, tc.url, "")
				for k, v := range tc.hdr {
					r.Header.Set(k, v)
				}
				sc := &ossv2signer.SigningContext{
					Request:           r,
					Credentials:       sdkv2Creds("ak", "sk", tc.token),
					Product:           ptr(tc.product),
					Region:            ptr(tc.region),
					AdditionalHeaders: tc.additional,
					AuthMethodQuery:   query,
				}
				if tc.bucket != "" {
					sc.Bucket = ptr(tc.bucket)
					sc.Key = ptr(tc.key)
				}
				if query {
					sc.Time = time.Now().Add(time.Hour)
				}
				if err := (&ossv2signer.SignerV4{}).Sign(context.Background(), sc); err != nil {
					t.Fatal(err)
				}
				res, err := verifierAt(now).Verify(context.Background(), r, tc.bucket, tc.key)
				if err != nil {
					t.Fatalf("%v\nSDK StringToSign %q", err, sc.StringToSign)
				}
				if res.Presigned != query || res.SecurityToken != tc.token || res.Region != tc.region || res.AccessKeyID != "ak" {
					t.Fatalf("result %+v", res)
				}
				// Another key does not verify.
				_, err = verifierAt(now).Verify(context.Background(), r, tc.bucket+"x", tc.key)
				wantCode(t, err, "SignatureDoesNotMatch")
				if len(tc.additional) > 0 {
					r.Header.Set("Range", "bytes=0-10")
					_, err = verifierAt(now).Verify(context.Background(), r, tc.bucket, tc.key)
					wantCode(t, err, "SignatureDoesNotMatch")
				}
			})
		}
	}
}

func TestOSSV4HeaderErrors(t *testing.T) {
	signTime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	sign := func() *http.Request {
		r := mustReq(t, "GET", "http://b.oss-cn-hangzhou.aliyuncs.com/k", "")
		auth.SignOSSV4(r, "ak", "sk", "cn-hangzhou", "b", "k", signTime)
		return r
	}
	ctx := context.Background()

	// Clock skew.
	_, err := verifierAt(signTime.Add(16*time.Minute)).Verify(ctx, sign(), "b", "k")
	e := wantCode(t, err, "RequestTimeTooSkewed")
	if !e.RequestTime.Equal(signTime) {
		t.Fatal(e.RequestTime)
	}
	_, err = verifierAt(signTime.Add(-16*time.Minute)).Verify(ctx, sign(), "b", "k")
	wantCode(t, err, "RequestTimeTooSkewed")
	if _, err := verifierAt(signTime.Add(14*time.Minute)).Verify(ctx, sign(), "b", "k"); err != nil {
		t.Fatal(err)
	}

	// Scope date differs from x-oss-date.
	r := sign()
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "20240501", "20240502", 1))
	_, err = verifierAt(signTime).Verify(ctx, r, "b", "k")
	wantCode(t, err, "AccessDenied")

	// Missing x-oss-date and Date.
	r = sign()
	r.Header.Del("x-oss-date")
	r.Header.Del("Date")
	_, err = verifierAt(signTime).Verify(ctx, r, "b", "k")
	wantCode(t, err, "AccessDenied")

	// Malformed credential / header.
	for _, a := range []string{
		"OSS4-HMAC-SHA256 Credential=ak/20240501/cn-hangzhou/oss,Signature=ab",
		"OSS4-HMAC-SHA256 Credential=ak/20240501/cn-hangzhou/s3/aliyun_v4_request,Signature=ab",
		"OSS4-HMAC-SHA256 Credential=ak/2024050/cn-hangzhou/oss/aliyun_v4_request,Signature=ab",
		"OSS4-HMAC-SHA256 Credential=ak/20240501/cn-hangzhou/oss/aliyun_v4_request",
		"OSS4-HMAC-SHA256 garbage",
		"OSS4-HMAC-SHA256 Credential=a,Credential=b,Signature=c",
	} {
		r := sign()
		r.Header.Set("Authorization", a)
		_, err = verifierAt(signTime).Verify(ctx, r, "b", "k")
		wantCode(t, err, "AccessDenied")
	}

	// Unknown key.
	r = mustReq(t, "GET", "http://b.oss-cn-hangzhou.aliyuncs.com/k", "")
	auth.SignOSSV4(r, "nobody", "sk", "cn-hangzhou", "b", "k", signTime)
	_, err = verifierAt(signTime).Verify(ctx, r, "b", "k")
	e = wantCode(t, err, "InvalidAccessKeyId")
	if e.AccessKeyID != "nobody" || e.Details(auth.DialectOSS)[0] != (auth.Detail{Name: "OSSAccessKeyId", Value: "nobody"}) {
		t.Fatalf("%+v", e)
	}

	// Wrong secret.
	r = mustReq(t, "GET", "http://b.oss-cn-hangzhou.aliyuncs.com/k", "")
	auth.SignOSSV4(r, "ak", "not-sk", "cn-hangzhou", "b", "k", signTime)
	_, err = verifierAt(signTime).Verify(ctx, r, "b", "k")
	wantCode(t, err, "SignatureDoesNotMatch")

	// Header and query auth together.
	r = sign()
	r.URL.RawQuery = "x-oss-signature-version=OSS4-HMAC-SHA256"
	_, err = verifierAt(signTime).Verify(ctx, r, "b", "k")
	wantCode(t, err, "AccessDenied")
}

func TestOSSV4SignedPayload(t *testing.T) {
	signTime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	body := "hello, world"
	const sum = "09ca7e4eaa6e8ae9c7d261167129184883644d07dfba7cbfbc4c8a2e08360d5b"
	r := mustReq(t, "PUT", "http://b.oss-cn-hangzhou.aliyuncs.com/k", body)
	r.Header.Set("x-oss-content-sha256", sum)
	auth.SignOSSV4(r, "ak", "sk", "cn-hangzhou", "b", "k", signTime, auth.WithSecurityToken("tok"))
	res, err := verifierAt(signTime).Verify(context.Background(), r, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if res.PayloadHash != sum || res.SecurityToken != "tok" {
		t.Fatalf("%+v", res)
	}
	rd, err := res.Body(strings.NewReader(body), r.Header)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := readAll(rd); err != nil || string(b) != body {
		t.Fatalf("%q %v", b, err)
	}
	rd, _ = res.Body(strings.NewReader(body+"!"), r.Header)
	_, err = readAll(rd)
	wantCode(t, err, "InvalidDigest")
}
