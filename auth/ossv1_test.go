package auth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	ossv2cred "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	ossv2signer "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/signer"

	"github.com/ossflow/ossflow/auth"
)

func ptr[T any](v T) *T { return &v }

// The protocol digest's V1 vector (§2.1), from SDKv2's signer_test.
func TestOSSV1HeaderVector(t *testing.T) {
	signTime, _ := http.ParseTime("Wed, 28 Dec 2022 10:27:41 GMT")
	build := func() *http.Request {
		r := mustReq(t, "PUT", "http://examplebucket.oss-cn-hangzhou.aliyuncs.com/nelson", "")
		r.Header.Set("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw==")
		r.Header.Set("Content-Type", "text/html")
		r.Header.Set("x-oss-meta-author", "alice")
		r.Header.Set("x-oss-meta-magic", "abracadabra")
		r.Header.Set("x-oss-date", "Wed, 28 Dec 2022 10:27:41 GMT")
		return r
	}
	const want = "OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M="

	r := build()
	auth.SignOSSV1(r, "ak", "sk", "examplebucket", "nelson", signTime)
	if got := r.Header.Get("Authorization"); got != want {
		t.Fatalf("SignOSSV1 = %q, want %q", got, want)
	}
	res, err := verifierAt(signTime.Add(time.Minute)).Verify(context.Background(), r, "examplebucket", "nelson")
	if err != nil {
		t.Fatal(err)
	}
	if res.AccessKeyID != "ak" || res.Scheme != auth.SchemeOSSV1 || res.Dialect != auth.DialectOSS || res.Presigned || res.Anonymous {
		t.Fatalf("result = %+v", res)
	}

	// The hard-coded vector, without our signer.
	r = build()
	r.Header.Set("Date", "Wed, 28 Dec 2022 10:27:41 GMT")
	r.Header.Set("Authorization", want)
	if _, err := verifierAt(signTime).Verify(context.Background(), r, "examplebucket", "nelson"); err != nil {
		t.Fatal(err)
	}

	// Tampering with any signed element fails.
	for _, h := range []string{"Content-MD5", "Content-Type", "x-oss-meta-author", "Authorization"} {
		r := build()
		r.Header.Set("Date", "Wed, 28 Dec 2022 10:27:41 GMT")
		r.Header.Set("Authorization", want)
		tamperHeader(r, h)
		_, err := verifierAt(signTime).Verify(context.Background(), r, "examplebucket", "nelson")
		e := wantCode(t, err, "SignatureDoesNotMatch")
		if e.AccessKeyID != "ak" || e.StringToSign == "" || e.SignatureProvided == "" {
			t.Fatalf("error fields: %+v", e)
		}
	}
	// A different key name is another resource.
	r = build()
	r.Header.Set("Date", "Wed, 28 Dec 2022 10:27:41 GMT")
	r.Header.Set("Authorization", want)
	_, err = verifierAt(signTime).Verify(context.Background(), r, "examplebucket", "nelson2")
	wantCode(t, err, "SignatureDoesNotMatch")
}

func TestOSSV1StringToSignInError(t *testing.T) {
	signTime, _ := http.ParseTime("Wed, 28 Dec 2022 10:27:41 GMT")
	r := mustReq(t, "PUT", "http://examplebucket.oss-cn-hangzhou.aliyuncs.com/nelson?acl&prefix=x", "")
	r.Header.Set("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw==")
	r.Header.Set("Content-Type", "text/html")
	r.Header.Set("x-oss-meta-author", "alice")
	r.Header.Set("x-oss-meta-magic", "abracadabra")
	r.Header.Set("x-oss-date", "Wed, 28 Dec 2022 10:27:41 GMT")
	r.Header.Set("Date", "Wed, 28 Dec 2022 10:27:41 GMT")
	r.Header.Set("Authorization", "OSS ak:AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	_, err := verifierAt(signTime).Verify(context.Background(), r, "examplebucket", "nelson")
	e := wantCode(t, err, "SignatureDoesNotMatch")
	const sts = "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson?acl"
	if e.StringToSign != sts {
		t.Fatalf("StringToSign = %q, want %q", e.StringToSign, sts)
	}
	d := e.Details(auth.DialectOSS)
	names := ""
	for _, x := range d {
		names += x.Name + ","
	}
	if names != "StringToSign,StringToSignBytes,SignatureProvided,OSSAccessKeyId," {
		t.Fatalf("details = %v", d)
	}
	if d[1].Value[:8] != "50 55 54" {
		t.Fatalf("StringToSignBytes = %q", d[1].Value[:20])
	}
	if e.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d", e.StatusCode)
	}
}

// SDKv2 V1 presign vectors (signer_test TestV1AuthQuery).
func TestOSSV1PresignVector(t *testing.T) {
	exp := time.Unix(1699807420, 0)
	r := mustReq(t, "GET", "http://bucket.oss-cn-hangzhou.aliyuncs.com/key?versionId=versionId", "")
	got := auth.PresignOSSV1(r, "ak", "sk", "bucket", "key", exp)
	const want = "http://bucket.oss-cn-hangzhou.aliyuncs.com/key?Expires=1699807420&OSSAccessKeyId=ak&Signature=dcLTea%2BYh9ApirQ8o8dOPqtvJXQ%3D&versionId=versionId"
	if got != want {
		t.Fatalf("PresignOSSV1 = %q, want %q", got, want)
	}
	res, err := verifierAt(exp.Add(-time.Minute)).Verify(context.Background(), r, "bucket", "key")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Presigned || res.AccessKeyID != "ak" || !res.Expires.Equal(exp) {
		t.Fatalf("result %+v", res)
	}
	// Expired.
	_, err = verifierAt(exp.Add(time.Second)).Verify(context.Background(), r, "bucket", "key")
	e := wantCode(t, err, "AccessDenied")
	if e.Message != "Request has expired." {
		t.Fatalf("message %q", e.Message)
	}

	// With a security token and an escaped key.
	exp = time.Unix(1699808204, 0)
	r = mustReq(t, "GET", "http://bucket.oss-cn-hangzhou.aliyuncs.com/key%2B123?versionId=versionId", "")
	got = auth.PresignOSSV1(r, "ak", "sk", "bucket", "key+123", exp, auth.WithSecurityToken("token"))
	const want2 = "http://bucket.oss-cn-hangzhou.aliyuncs.com/key%2B123?Expires=1699808204&OSSAccessKeyId=ak&Signature=jzKYRrM5y6Br0dRFPaTGOsbrDhY%3D&security-token=token&versionId=versionId"
	if got != want2 {
		t.Fatalf("PresignOSSV1 = %q, want %q", got, want2)
	}
	res, err = verifierAt(exp.Add(-time.Hour)).Verify(context.Background(), r, "bucket", "key+123")
	if err != nil {
		t.Fatal(err)
	}
	if res.SecurityToken != "token" {
		t.Fatalf("token %q", res.SecurityToken)
	}
	// Tampered sub-resource.
	r.URL.RawQuery = r.URL.RawQuery + "X"
	_, err = verifierAt(exp.Add(-time.Hour)).Verify(context.Background(), r, "bucket", "key+123")
	wantCode(t, err, "SignatureDoesNotMatch")
}

func sdkv2Creds(ak, sk, token string) *ossv2cred.Credentials {
	return &ossv2cred.Credentials{AccessKeyID: ak, AccessKeySecret: sk, SecurityToken: token}
}

// Requests signed by the real SDKv2 V1 signer verify.
func TestOSSV1SDKv2Signer(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	cases := []struct {
		name, method, url, bucket, key string
		sub                            []string
		hdr                            map[string]string
		token                          string
	}{
		{"object", "PUT", "http://b.oss-cn-hangzhou.aliyuncs.com/dir/a%20b%2Bc.txt", "b", "dir/a b+c.txt", nil,
			map[string]string{"Content-Type": "text/plain", "x-oss-meta-x": " y ", "x-oss-object-acl": "private"}, ""},
		{"bucket acl", "PUT", "http://b.oss-cn-hangzhou.aliyuncs.com/?acl", "b", "", nil, map[string]string{"x-oss-acl": "public-read"}, ""},
		{"list", "GET", "http://b.oss-cn-hangzhou.aliyuncs.com/?prefix=a%2Fb&max-keys=10&continuation-token=abc&list-type=2", "b", "", nil, nil, ""},
		{"service", "GET", "http://oss-cn-hangzhou.aliyuncs.com/?regions=cn-hangzhou", "", "", []string{"regions"}, nil, ""},
		{"process", "GET", "http://b.oss-cn-hangzhou.aliyuncs.com/img.jpg?x-oss-process=image%2Fresize%2Cw_100", "b", "img.jpg", nil, nil, "tok"},
		{"op subresource", "PUT", "http://b.oss-cn-hangzhou.aliyuncs.com/?publicAccessBlock", "b", "", []string{"publicAccessBlock"}, nil, ""},
		{"multipart", "PUT", "http://b.oss-cn-hangzhou.aliyuncs.com/k?partNumber=1&uploadId=0004B9894A22E5B1888A1E29F823****", "b", "k", nil, nil, ""},
		{"response override", "GET", "http://b.oss-cn-hangzhou.aliyuncs.com/k?response-content-type=text%2Fhtml%3B%20charset%3Dutf-8", "b", "k", nil, nil, ""},
	}
	for _, tc := range cases {
		for _, query := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "/header", true: "/query"}[query], func(t *testing.T) {
				r := mustReq(t, tc.method, tc.url, "")
				for k, v := range tc.hdr {
					r.Header.Set(k, v)
				}
				sc := &ossv2signer.SigningContext{
					Request:         r,
					Credentials:     sdkv2Creds("ak", "sk", tc.token),
					SubResource:     tc.sub,
					AuthMethodQuery: query,
				}
				if tc.bucket != "" {
					sc.Bucket = ptr(tc.bucket)
					sc.Key = ptr(tc.key)
				}
				if query {
					sc.Time = now.Add(10 * time.Minute)
				} else {
					sc.Time = now
				}
				if err := (&ossv2signer.SignerV1{}).Sign(context.Background(), sc); err != nil {
					t.Fatal(err)
				}
				res, err := verifierAt(now).Verify(context.Background(), r, tc.bucket, tc.key)
				if err != nil {
					t.Fatalf("%v\nSDK StringToSign %q", err, sc.StringToSign)
				}
				if res.Presigned != query || res.SecurityToken != tc.token {
					t.Fatalf("result %+v", res)
				}
				// Add a signed sub-resource afterwards: must fail.
				q, _ := url.ParseQuery(r.URL.RawQuery)
				q.Set("acl", "")
				if tc.bucket != "" && !contains(tc.url, "?acl") {
					r.URL.RawQuery = q.Encode()
					_, err = verifierAt(now).Verify(context.Background(), r, tc.bucket, tc.key)
					wantCode(t, err, "SignatureDoesNotMatch")
				}
			})
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
