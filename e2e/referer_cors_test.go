package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestReferer: hotlink protection applies to anonymous and presigned
// requests (white list, black list, empty referer), never to requests
// signed in the Authorization header.
func TestReferer(t *testing.T) {
	e := start(t)
	e.bucket(t, "ref-bkt", "public-read")
	e.put(t, "ref-bkt", "img.png", "png")
	c := e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, "")
	ctx := t.Context()

	got, err := c.GetBucketReferer(ctx, &ossv2.GetBucketRefererRequest{Bucket: ossv2.Ptr("ref-bkt")})
	must(t, err)
	if !ossv2.ToBool(got.RefererConfiguration.AllowEmptyReferer) {
		t.Fatalf("default referer config %+v", got.RefererConfiguration)
	}
	url := e.ts.Endpoint + "/ref-bkt/img.png"
	r, b := raw(t, "GET", url, nil, map[string]string{"Referer": "http://anything.example/"})
	wantStatus(t, r, b, 200, "")

	_, err = c.PutBucketReferer(ctx, &ossv2.PutBucketRefererRequest{Bucket: ossv2.Ptr("ref-bkt"), RefererConfiguration: &ossv2.RefererConfiguration{
		AllowEmptyReferer: ossv2.Ptr(false),
		RefererList:       &ossv2.RefererList{Referers: []string{"http://*.good.example/*", "https://good.example/*"}},
		RefererBlacklist:  &ossv2.RefererBlacklist{Referers: []string{"http://bad.good.example/*"}},
	}})
	must(t, err)
	got, err = c.GetBucketReferer(ctx, &ossv2.GetBucketRefererRequest{Bucket: ossv2.Ptr("ref-bkt")})
	must(t, err)
	if ossv2.ToBool(got.RefererConfiguration.AllowEmptyReferer) || len(got.RefererConfiguration.RefererList.Referers) != 2 ||
		got.RefererConfiguration.RefererBlacklist == nil || len(got.RefererConfiguration.RefererBlacklist.Referers) != 1 {
		t.Fatalf("referer config %+v", got.RefererConfiguration)
	}

	for _, tc := range []struct {
		referer string
		status  int
	}{
		{"http://www.good.example/page.html", 200},
		{"https://good.example/a", 200},
		{"http://bad.good.example/page", 403}, // black list
		{"http://evil.example/", 403},         // not in the white list
		{"", 403},                             // empty referer not allowed
	} {
		hdr := map[string]string{}
		if tc.referer != "" {
			hdr["Referer"] = tc.referer
		}
		r, b := raw(t, "GET", url, nil, hdr)
		if r.StatusCode != tc.status {
			t.Fatalf("referer %q: %d %s", tc.referer, r.StatusCode, b)
		}
		if tc.status == 403 && !strings.Contains(b, "You are denied by bucket referer policy.") {
			t.Fatalf("referer %q: %s", tc.referer, b)
		}
	}
	// Header-signed requests are not subject to the referer policy.
	_, err = v2Get(c, t, "ref-bkt", "img.png")
	wantOK(t, err)
	// Presigned URLs are.
	pr, err := c.Presign(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("ref-bkt"), Key: ossv2.Ptr("img.png")}, ossv2.PresignExpires(time.Minute))
	must(t, err)
	r, b = raw(t, "GET", pr.URL, nil, map[string]string{"Referer": "http://evil.example/"})
	wantStatus(t, r, b, 403, "AccessDenied")
	r, b = raw(t, "GET", pr.URL, nil, map[string]string{"Referer": "https://good.example/x"})
	wantStatus(t, r, b, 200, "")

	// Allowing empty referers.
	_, err = c.PutBucketReferer(ctx, &ossv2.PutBucketRefererRequest{Bucket: ossv2.Ptr("ref-bkt"), RefererConfiguration: &ossv2.RefererConfiguration{
		AllowEmptyReferer: ossv2.Ptr(true),
		RefererList:       &ossv2.RefererList{Referers: []string{"https://good.example/*"}},
	}})
	must(t, err)
	r, b = raw(t, "GET", url, nil, nil)
	wantStatus(t, r, b, 200, "")
	r, b = raw(t, "GET", url, nil, map[string]string{"Referer": "http://evil.example/"})
	wantStatus(t, r, b, 403, "AccessDenied")
}

// TestCORS: preflights (no authentication) answered from the first
// matching rule or refused with AccessForbidden; actual requests with an
// Origin get the Access-Control-* headers, errors included.
func TestCORS(t *testing.T) {
	e := start(t)
	e.bucket(t, "cors-bkt", "private")
	e.put(t, "cors-bkt", "k", "v")
	c := e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, "")
	ctx := t.Context()
	url := e.ts.Endpoint + "/cors-bkt/k"
	pre := func(origin, method, headers string) (*http.Response, string) {
		h := map[string]string{"Origin": origin, "Access-Control-Request-Method": method}
		if headers != "" {
			h["Access-Control-Request-Headers"] = headers
		}
		return raw(t, "OPTIONS", url, nil, h)
	}
	r, b := pre("http://app.example", "GET", "")
	wantStatus(t, r, b, 403, "AccessForbidden")

	_, err := c.PutBucketCors(ctx, &ossv2.PutBucketCorsRequest{Bucket: ossv2.Ptr("cors-bkt"), CORSConfiguration: &ossv2.CORSConfiguration{
		CORSRules: []ossv2.CORSRule{
			{AllowedOrigins: []string{"http://app.example"}, AllowedMethods: []string{"GET", "PUT", "POST"},
				AllowedHeaders: []string{"x-oss-*", "content-type"}, ExposeHeaders: []string{"ETag", "x-oss-request-id"}, MaxAgeSeconds: ossv2.Ptr(int64(600))},
			{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"HEAD"}},
		},
		ResponseVary: ossv2.Ptr(true),
	}})
	must(t, err)
	got, err := c.GetBucketCors(ctx, &ossv2.GetBucketCorsRequest{Bucket: ossv2.Ptr("cors-bkt")})
	must(t, err)
	if len(got.CORSConfiguration.CORSRules) != 2 || !ossv2.ToBool(got.CORSConfiguration.ResponseVary) {
		t.Fatalf("cors config %+v", got.CORSConfiguration)
	}

	r, b = pre("http://app.example", "PUT", "x-oss-meta-a, Content-Type")
	wantStatus(t, r, b, 200, "")
	if r.Header.Get("Access-Control-Allow-Origin") != "http://app.example" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "PUT") ||
		!strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "x-oss-meta-a") ||
		r.Header.Get("Access-Control-Max-Age") != "600" ||
		!strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Fatalf("preflight headers %v", r.Header)
	}
	r, b = pre("http://evil.example", "GET", "")
	wantStatus(t, r, b, 403, "AccessForbidden")
	r, b = pre("http://app.example", "DELETE", "")
	wantStatus(t, r, b, 403, "AccessForbidden")
	r, b = pre("http://app.example", "GET", "x-custom")
	wantStatus(t, r, b, 403, "AccessForbidden")
	r, b = pre("http://other.example", "HEAD", "") // second rule
	wantStatus(t, r, b, 200, "")
	// OPTIONS / (bucket level) too, and through the SDK.
	r, b = raw(t, "OPTIONS", e.ts.Endpoint+"/cors-bkt/", nil, map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "POST"})
	wantStatus(t, r, b, 200, "")
	_, err = c.OptionObject(ctx, &ossv2.OptionObjectRequest{Bucket: ossv2.Ptr("cors-bkt"), Key: ossv2.Ptr("k"),
		Origin: ossv2.Ptr("http://app.example"), AccessControlRequestMethod: ossv2.Ptr("GET")})
	wantOK(t, err)
	_, err = c.OptionObject(ctx, &ossv2.OptionObjectRequest{Bucket: ossv2.Ptr("cors-bkt"), Key: ossv2.Ptr("k"),
		Origin: ossv2.Ptr("http://evil.example"), AccessControlRequestMethod: ossv2.Ptr("GET")})
	wantCode(t, err, "AccessForbidden")

	// Actual requests: a signed GET with Origin.
	res, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("cors-bkt"), Key: ossv2.Ptr("k"),
		RequestCommon: ossv2.RequestCommon{Headers: map[string]string{"Origin": "http://app.example"}}})
	must(t, err)
	res.Body.Close()
	if res.Headers.Get("Access-Control-Allow-Origin") != "http://app.example" || res.Headers.Get("Vary") != "Origin" {
		t.Fatalf("actual headers %v", res.Headers)
	}
	// Errors carry them too (an anonymous GET of a private object).
	r, b = raw(t, "GET", url, nil, map[string]string{"Origin": "http://app.example"})
	wantStatus(t, r, b, 403, "AccessDenied")
	if r.Header.Get("Access-Control-Allow-Origin") != "http://app.example" {
		t.Fatalf("error response without CORS headers: %v", r.Header)
	}
	// A method no rule allows for that origin: no Allow-Origin (the
	// browser blocks the response), the request itself proceeds.
	r, b = raw(t, "DELETE", url, nil, map[string]string{"Origin": "http://app.example"})
	wantStatus(t, r, b, 403, "AccessDenied")
	if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Vary") != "Origin" {
		t.Fatalf("unmatched actual request headers: %v", r.Header)
	}

	_, err = c.DeleteBucketCors(ctx, &ossv2.DeleteBucketCorsRequest{Bucket: ossv2.Ptr("cors-bkt")})
	must(t, err)
	_, err = c.GetBucketCors(ctx, &ossv2.GetBucketCorsRequest{Bucket: ossv2.Ptr("cors-bkt")})
	wantCode(t, err, "NoSuchCORSConfiguration")
	r, b = pre("http://app.example", "GET", "")
	wantStatus(t, r, b, 403, "AccessForbidden")
	if !strings.Contains(b, "CORS is not enabled") {
		t.Fatalf("body %s", b)
	}
	// Preflights of a missing bucket.
	r, b = raw(t, "OPTIONS", e.ts.Endpoint+"/no-such-bkt/k", nil, map[string]string{"Origin": "http://app.example", "Access-Control-Request-Method": "GET"})
	wantStatus(t, r, b, 404, "NoSuchBucket")
}

// TestPresign: presigned URLs (OSS V1, OSS V4, S3 V4) work until they
// expire, only for their own key, and not when tampered with.
func TestPresign(t *testing.T) {
	e := start(t)
	e.bucket(t, "pre-bkt", "private")
	e.put(t, "pre-bkt", "a", "A")
	e.put(t, "pre-bkt", "b", "B")
	ctx := t.Context()
	ak, sk := e.ts.AccessKeyID, e.ts.AccessKeySecret

	v2, err := e.v2(ak, sk, "").Presign(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("pre-bkt"), Key: ossv2.Ptr("a")}, ossv2.PresignExpires(10*time.Minute))
	must(t, err)
	bk, err := e.v1(t, ak, sk, "").Bucket("pre-bkt")
	must(t, err)
	v1, err := bk.SignURL("a", ossv1.HTTPGet, 600)
	must(t, err)
	ps := s3.NewPresignClient(e.s3c(ak, sk, ""))
	s3req, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("pre-bkt"), Key: aws.String("a")}, s3.WithPresignExpires(10*time.Minute))
	must(t, err)
	cl, err := e.root.Presign("GET", "pre-bkt", "a", 10*time.Minute)
	must(t, err)

	for name, u := range map[string]string{"ossv2": v2.URL, "ossv1": v1, "aws": s3req.URL, "sdk/client": cl} {
		t.Run(name, func(t *testing.T) {
			r, b := raw(t, "GET", u, nil, nil)
			wantStatus(t, r, b, 200, "")
			if b != "A" {
				t.Fatalf("body %q", b)
			}
			// Another key with the same signature.
			other := strings.Replace(u, "/pre-bkt/a?", "/pre-bkt/b?", 1)
			r, b = raw(t, "GET", other, nil, nil)
			wantStatus(t, r, b, 403, "SignatureDoesNotMatch")
			// A tampered signature.
			r, b = raw(t, "GET", tamper(t, u), nil, nil)
			wantStatus(t, r, b, 403, "SignatureDoesNotMatch")
			// Another method.
			r, b = raw(t, "DELETE", u, nil, nil)
			if r.StatusCode != 403 {
				t.Fatalf("DELETE through a GET URL: %d %s", r.StatusCode, b)
			}
			// Expired: the server's clock moves past the expiry.
			e.clock.set(2 * time.Hour)
			defer e.clock.reset()
			r, b = raw(t, "GET", u, nil, nil)
			wantStatus(t, r, b, 403, "AccessDenied")
			if !strings.Contains(b, "xpired") {
				t.Fatalf("expired URL: %s", b)
			}
		})
	}
}

// tamper changes one character of the signature of a presigned URL.
func tamper(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	must(t, err)
	q := u.Query()
	for _, name := range []string{"Signature", "x-oss-signature", "X-Amz-Signature"} {
		if s := q.Get(name); s != "" {
			c := byte('0')
			if s[0] == '0' {
				c = '1'
			}
			q.Set(name, string(c)+s[1:])
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	t.Fatalf("no signature in %s", raw)
	return ""
}
