package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

func v2Get(c *ossv2.Client, t *testing.T, bucket, key string) (string, error) {
	res, err := c.GetObject(t.Context(), &ossv2.GetObjectRequest{Bucket: &bucket, Key: &key})
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

func v2Put(c *ossv2.Client, t *testing.T, bucket, key, data string) error {
	_, err := c.PutObject(t.Context(), &ossv2.PutObjectRequest{Bucket: &bucket, Key: &key, Body: strings.NewReader(data)})
	return err
}

func v1Get(c *ossv1.Client, t *testing.T, bucket, key string) (string, error) {
	b, err := c.Bucket(bucket)
	must(t, err)
	r, err := b.GetObject(key)
	if err != nil {
		return "", err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	return string(data), err
}

func v1Put(c *ossv1.Client, t *testing.T, bucket, key, data string) error {
	b, err := c.Bucket(bucket)
	must(t, err)
	return b.PutObject(key, strings.NewReader(data))
}

func s3Get(c *s3.Client, t *testing.T, bucket, key string) (string, error) {
	res, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

func s3Put(c *s3.Client, t *testing.T, bucket, key, data string) error {
	_, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(data)})
	return err
}

const readOnlyPolicy = `{"Version":"1","Statement":[{"Effect":"Allow",
 "Action":["oss:GetObject","oss:ListObjects"],
 "Resource":["acs:oss:*:*:ro-bkt","acs:oss:*:*:ro-bkt/*"]}]}`

// TestSubUserReadOnly: a sub-user with a read-only policy reads and lists
// but cannot write or delete, with each SDK.
func TestSubUserReadOnly(t *testing.T) {
	e := start(t)
	e.bucket(t, "ro-bkt", "private")
	e.put(t, "ro-bkt", "doc.txt", "hello")
	k := e.user(t, "reader", readOnlyPolicy)

	t.Run("ossv2", func(t *testing.T) {
		c := e.v2(k.AccessKeyID, k.AccessKeySecret, "")
		got, err := v2Get(c, t, "ro-bkt", "doc.txt")
		if err != nil || got != "hello" {
			t.Fatalf("get: %q %v", got, err)
		}
		_, err = c.ListObjectsV2(t.Context(), &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("ro-bkt")})
		wantOK(t, err)
		wantCode(t, v2Put(c, t, "ro-bkt", "new.txt", "x"), "AccessDenied")
		_, err = c.DeleteObject(t.Context(), &ossv2.DeleteObjectRequest{Bucket: ossv2.Ptr("ro-bkt"), Key: ossv2.Ptr("doc.txt")})
		wantCode(t, err, "AccessDenied")
		_, err = c.PutBucketAcl(t.Context(), &ossv2.PutBucketAclRequest{Bucket: ossv2.Ptr("ro-bkt"), Acl: ossv2.BucketACLPublicRead})
		wantCode(t, err, "AccessDenied")
		// Another bucket: nothing.
		e.bucket(t, "other-bkt", "private")
		_, err = v2Get(c, t, "other-bkt", "doc.txt")
		wantCode(t, err, "AccessDenied")
		_, err = c.ListBuckets(t.Context(), &ossv2.ListBucketsRequest{})
		wantCode(t, err, "AccessDenied")
	})
	t.Run("ossv1", func(t *testing.T) {
		c := e.v1(t, k.AccessKeyID, k.AccessKeySecret, "")
		got, err := v1Get(c, t, "ro-bkt", "doc.txt")
		if err != nil || got != "hello" {
			t.Fatalf("get: %q %v", got, err)
		}
		wantCode(t, v1Put(c, t, "ro-bkt", "new.txt", "x"), "AccessDenied")
	})
	t.Run("aws", func(t *testing.T) {
		c := e.s3c(k.AccessKeyID, k.AccessKeySecret, "")
		got, err := s3Get(c, t, "ro-bkt", "doc.txt")
		if err != nil || got != "hello" {
			t.Fatalf("get: %q %v", got, err)
		}
		wantCode(t, s3Put(c, t, "ro-bkt", "new.txt", "x"), "AccessDenied")
		// DeleteObjects: refused per key.
		out, err := c.DeleteObjects(t.Context(), &s3.DeleteObjectsInput{Bucket: aws.String("ro-bkt"),
			Delete: &s3types.Delete{Objects: []s3types.ObjectIdentifier{{Key: aws.String("doc.txt")}}}})
		if err != nil || len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" || len(out.Deleted) != 0 {
			t.Fatalf("delete objects: %+v %v", out, err)
		}
	})
	if got, err := v2Get(e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, ""), t, "ro-bkt", "doc.txt"); err != nil || got != "hello" {
		t.Fatalf("object changed: %q %v", got, err)
	}
}

// TestDenyOverridesAllow: an explicit Deny beats an Allow, and a denied
// caller cannot tell a missing object from an existing one.
func TestDenyOverridesAllow(t *testing.T) {
	e := start(t)
	e.bucket(t, "deny-bkt", "private")
	e.put(t, "deny-bkt", "public/a", "A")
	e.put(t, "deny-bkt", "secret/b", "B")
	k := e.user(t, "dana", `{"Version":"1","Statement":[
	 {"Effect":"Allow","Action":["oss:*"],"Resource":["acs:oss:*:*:deny-bkt","acs:oss:*:*:deny-bkt/*"]},
	 {"Effect":"Deny","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:deny-bkt/secret/*"]}]}`)
	c := e.v2(k.AccessKeyID, k.AccessKeySecret, "")
	if got, err := v2Get(c, t, "deny-bkt", "public/a"); err != nil || got != "A" {
		t.Fatalf("allowed get: %q %v", got, err)
	}
	_, err := v2Get(c, t, "deny-bkt", "secret/b")
	wantCode(t, err, "AccessDenied")
	_, err = v2Get(c, t, "deny-bkt", "secret/missing")
	wantCode(t, err, "AccessDenied")
	_, err = v2Get(c, t, "deny-bkt", "public/missing")
	wantCode(t, err, "NoSuchKey")
	wantOK(t, v2Put(c, t, "deny-bkt", "secret/c", "C")) // writing is not denied
	// The root account is not affected by its users' policies.
	if got, err := v2Get(e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, ""), t, "deny-bkt", "secret/b"); err != nil || got != "B" {
		t.Fatalf("root get: %q %v", got, err)
	}
	// Detaching the policy takes effect at once.
	must(t, e.root.DetachPolicy(t.Context(), "dana", "dana-policy"))
	_, err = v2Get(c, t, "deny-bkt", "public/a")
	wantCode(t, err, "AccessDenied")
}

// TestBucketPolicyIP: a bucket policy grants anonymous reads from an IP
// range: allowed from 127.0.0.1, denied with a range that excludes it.
func TestBucketPolicyIP(t *testing.T) {
	e := start(t)
	e.bucket(t, "pol-bkt", "private")
	e.put(t, "pol-bkt", "k", "v")
	c := e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, "")
	ctx := t.Context()
	url := e.ts.Endpoint + "/pol-bkt/k"

	resp, body := raw(t, "GET", url, nil, nil)
	wantStatus(t, resp, body, 403, "AccessDenied")
	_, err := c.GetBucketPolicy(ctx, &ossv2.GetBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt")})
	wantCode(t, err, "NoSuchBucketPolicy")

	policy := func(cidr string) string {
		return `{"Version":"1","Statement":[{"Effect":"Allow","Principal":["*"],"Action":["oss:GetObject"],
		 "Resource":["acs:oss:*:*:pol-bkt/*"],"Condition":{"IpAddress":{"acs:SourceIp":["` + cidr + `"]}}}]}`
	}
	_, err = c.PutBucketPolicy(ctx, &ossv2.PutBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt"), Body: strings.NewReader(policy("127.0.0.0/8"))})
	must(t, err)
	resp, body = raw(t, "GET", url, nil, nil)
	wantStatus(t, resp, body, 200, "")
	if body != "v" {
		t.Fatalf("body %q", body)
	}
	// Only reads: an anonymous write is still refused.
	resp, body = raw(t, "PUT", e.ts.Endpoint+"/pol-bkt/w", strings.NewReader("x"), nil)
	wantStatus(t, resp, body, 403, "AccessDenied")

	got, err := c.GetBucketPolicy(ctx, &ossv2.GetBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt")})
	must(t, err)
	if got.Body != policy("127.0.0.0/8") {
		t.Fatalf("policy %q", got.Body)
	}
	st, err := c.GetBucketPolicyStatus(ctx, &ossv2.GetBucketPolicyStatusRequest{Bucket: ossv2.Ptr("pol-bkt")})
	must(t, err)
	if st.PolicyStatus == nil || ossv2.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("IP-restricted policy reported public: %+v", st.PolicyStatus)
	}

	_, err = c.PutBucketPolicy(ctx, &ossv2.PutBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt"), Body: strings.NewReader(policy("10.0.0.0/8"))})
	must(t, err)
	resp, body = raw(t, "GET", url, nil, nil)
	wantStatus(t, resp, body, 403, "AccessDenied")

	_, err = c.PutBucketPolicy(ctx, &ossv2.PutBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt"), Body: strings.NewReader(policy("0.0.0.0/0"))})
	must(t, err)
	st, err = c.GetBucketPolicyStatus(ctx, &ossv2.GetBucketPolicyStatusRequest{Bucket: ossv2.Ptr("pol-bkt")})
	must(t, err)
	if !ossv2.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatal("0.0.0.0/0 policy not reported public")
	}
	// Block public access: the public statement no longer applies.
	_, err = c.PutBucketPublicAccessBlock(ctx, &ossv2.PutBucketPublicAccessBlockRequest{Bucket: ossv2.Ptr("pol-bkt"),
		PublicAccessBlockConfiguration: &ossv2.PublicAccessBlockConfiguration{BlockPublicAccess: ossv2.Ptr(true)}})
	must(t, err)
	resp, body = raw(t, "GET", url, nil, nil)
	wantStatus(t, resp, body, 403, "AccessDenied")
	_, err = c.DeleteBucketPublicAccessBlock(ctx, &ossv2.DeleteBucketPublicAccessBlockRequest{Bucket: ossv2.Ptr("pol-bkt")})
	must(t, err)
	resp, body = raw(t, "GET", url, nil, nil)
	wantStatus(t, resp, body, 200, "")

	// A sub-user named in the bucket policy gets access through it.
	k := e.user(t, "bp-user", "")
	uc := e.v2(k.AccessKeyID, k.AccessKeySecret, "")
	u, err := e.root.GetUser(ctx, "bp-user")
	must(t, err)
	_, err = v2Get(uc, t, "pol-bkt", "k") // via the public statement
	wantOK(t, err)
	wantCode(t, v2Put(uc, t, "pol-bkt", "u", "x"), "AccessDenied")
	_, err = c.PutBucketPolicy(ctx, &ossv2.PutBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt"), Body: strings.NewReader(
		`{"Version":"1","Statement":[{"Effect":"Allow","Principal":["` + u.UID + `"],"Action":["oss:PutObject"],"Resource":["acs:oss:*:*:pol-bkt/*"]}]}`)})
	must(t, err)
	wantOK(t, v2Put(uc, t, "pol-bkt", "u", "x"))

	// Invalid documents are refused.
	_, err = c.PutBucketPolicy(ctx, &ossv2.PutBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt"), Body: strings.NewReader(`{"Version":"1","Statement":[{"Effect":"Maybe"}]}`)})
	wantCode(t, err, "InvalidPolicyDocument")
	_, err = c.PutBucketPolicy(ctx, &ossv2.PutBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt"), Body: bytes.NewReader(bytes.Repeat([]byte(" "), 17<<10))})
	if err == nil {
		t.Fatal("17 KB policy accepted")
	}
	_, err = c.DeleteBucketPolicy(ctx, &ossv2.DeleteBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt")})
	must(t, err)
	_, err = c.GetBucketPolicy(ctx, &ossv2.GetBucketPolicyRequest{Bucket: ossv2.Ptr("pol-bkt")})
	wantCode(t, err, "NoSuchBucketPolicy")
	resp, body = raw(t, "GET", url, nil, nil)
	wantStatus(t, resp, body, 403, "AccessDenied")
}

// TestACLsAnonymous: canned ACLs for anonymous raw HTTP, object ACLs over
// bucket ACLs, and the per-bucket public access block overriding them.
func TestACLsAnonymous(t *testing.T) {
	e := start(t)
	for _, acl := range []string{"private", "public-read", "public-read-write"} {
		e.bucket(t, "acl-"+acl, acl)
		e.put(t, "acl-"+acl, "obj", "data")
	}
	ep := e.ts.Endpoint
	get := func(b, k string) (*http.Response, string) { return raw(t, "GET", ep+"/"+b+"/"+k, nil, nil) }
	put := func(b, k string) (*http.Response, string) {
		return raw(t, "PUT", ep+"/"+b+"/"+k, strings.NewReader("anon"), nil)
	}

	r, b := get("acl-private", "obj")
	wantStatus(t, r, b, 403, "AccessDenied")
	r, b = get("acl-private", "missing") // no existence leak
	wantStatus(t, r, b, 403, "AccessDenied")
	r, b = put("acl-private", "new")
	wantStatus(t, r, b, 403, "AccessDenied")
	r, b = raw(t, "GET", ep+"/acl-private/", nil, nil)
	wantStatus(t, r, b, 403, "AccessDenied")

	r, b = get("acl-public-read", "obj")
	wantStatus(t, r, b, 200, "")
	r, b = get("acl-public-read", "missing")
	wantStatus(t, r, b, 404, "NoSuchKey")
	r, b = put("acl-public-read", "new")
	wantStatus(t, r, b, 403, "AccessDenied")
	r, b = raw(t, "GET", ep+"/acl-public-read/", nil, nil) // listing
	wantStatus(t, r, b, 200, "")
	r, b = raw(t, "GET", ep+"/acl-public-read/?acl", nil, nil) // configuration: never public
	wantStatus(t, r, b, 403, "AccessDenied")

	r, b = put("acl-public-read-write", "new")
	wantStatus(t, r, b, 200, "")
	r, b = get("acl-public-read-write", "new")
	wantStatus(t, r, b, 200, "")
	if b != "anon" {
		t.Fatalf("body %q", b)
	}

	// Object ACLs beat the bucket's.
	c := e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, "")
	ctx := t.Context()
	_, err := c.PutObjectAcl(ctx, &ossv2.PutObjectAclRequest{Bucket: ossv2.Ptr("acl-public-read"), Key: ossv2.Ptr("obj"), Acl: ossv2.ObjectACLPrivate})
	must(t, err)
	r, b = get("acl-public-read", "obj")
	wantStatus(t, r, b, 403, "AccessDenied")
	_, err = c.PutObjectAcl(ctx, &ossv2.PutObjectAclRequest{Bucket: ossv2.Ptr("acl-private"), Key: ossv2.Ptr("obj"), Acl: ossv2.ObjectACLPublicRead})
	must(t, err)
	r, b = get("acl-private", "obj")
	wantStatus(t, r, b, 200, "")

	// The bucket's public access block overrides public ACLs.
	for _, bk := range []string{"acl-public-read-write", "acl-private"} {
		_, err = c.PutBucketPublicAccessBlock(ctx, &ossv2.PutBucketPublicAccessBlockRequest{Bucket: ossv2.Ptr(bk),
			PublicAccessBlockConfiguration: &ossv2.PublicAccessBlockConfiguration{BlockPublicAccess: ossv2.Ptr(true)}})
		must(t, err)
	}
	res, err := c.GetBucketPublicAccessBlock(ctx, &ossv2.GetBucketPublicAccessBlockRequest{Bucket: ossv2.Ptr("acl-private")})
	must(t, err)
	if !ossv2.ToBool(res.PublicAccessBlockConfiguration.BlockPublicAccess) {
		t.Fatalf("public access block %+v", res.PublicAccessBlockConfiguration)
	}
	r, b = get("acl-private", "obj")
	wantStatus(t, r, b, 403, "AccessDenied")
	r, b = put("acl-public-read-write", "new2")
	wantStatus(t, r, b, 403, "AccessDenied")
	r, b = get("acl-public-read-write", "new")
	wantStatus(t, r, b, 403, "AccessDenied")
	_, err = c.DeleteBucketPublicAccessBlock(ctx, &ossv2.DeleteBucketPublicAccessBlockRequest{Bucket: ossv2.Ptr("acl-public-read-write")})
	must(t, err)
	r, b = get("acl-public-read-write", "new")
	wantStatus(t, r, b, 200, "")
}

// TestBlockPublicAccessServerWide: the server flag blocks every public ACL.
func TestBlockPublicAccessServerWide(t *testing.T) {
	e := start(t, servertest.WithConfig(func(c *server.Config) { c.BlockPublicAccess = true }))
	e.bucket(t, "blocked", "public-read-write")
	e.put(t, "blocked", "obj", "data")
	r, b := raw(t, "GET", e.ts.Endpoint+"/blocked/obj", nil, nil)
	wantStatus(t, r, b, 403, "AccessDenied")
	r, b = raw(t, "PUT", e.ts.Endpoint+"/blocked/x", strings.NewReader("x"), nil)
	wantStatus(t, r, b, 403, "AccessDenied")
	// The owner is not affected.
	if got, err := v2Get(e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, ""), t, "blocked", "obj"); err != nil || got != "data" {
		t.Fatalf("owner get: %q %v", got, err)
	}
}

const homePolicy = `{"Version":"1","Statement":[
 {"Effect":"Allow","Action":["oss:GetObject","oss:PutObject"],"Resource":["acs:oss:*:*:sts-bkt/home/*"]},
 {"Effect":"Allow","Action":["oss:ListObjects"],"Resource":["acs:oss:*:*:sts-bkt"],"Condition":{"StringLike":{"oss:Prefix":["home/*"]}}}]}`

// TestSTS: a session scoped to a prefix works inside it and nowhere else,
// with each SDK; expired, revoked and tampered tokens are refused.
func TestSTS(t *testing.T) {
	e := start(t)
	e.bucket(t, "sts-bkt", "private")
	e.put(t, "sts-bkt", "other/x", "x")
	ctx := t.Context()
	tok, err := e.root.IssueToken(ctx, client.STSOptions{Duration: time.Hour, Policy: []byte(homePolicy), SessionName: "alice-web"})
	must(t, err)
	if !strings.HasPrefix(tok.AccessKeyID, "STS.") || tok.SecurityToken == "" || time.Until(tok.Expiration) < 50*time.Minute {
		t.Fatalf("token %+v", tok)
	}

	t.Run("ossv2", func(t *testing.T) {
		c := e.v2(tok.AccessKeyID, tok.AccessKeySecret, tok.SecurityToken)
		wantOK(t, v2Put(c, t, "sts-bkt", "home/v2", "inside"))
		if got, err := v2Get(c, t, "sts-bkt", "home/v2"); err != nil || got != "inside" {
			t.Fatalf("get: %q %v", got, err)
		}
		wantCode(t, v2Put(c, t, "sts-bkt", "other/v2", "outside"), "AccessDenied")
		_, err := v2Get(c, t, "sts-bkt", "other/x")
		wantCode(t, err, "AccessDenied")
		_, err = c.ListObjectsV2(ctx, &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("sts-bkt"), Prefix: ossv2.Ptr("home/")})
		wantOK(t, err)
		_, err = c.ListObjectsV2(ctx, &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("sts-bkt"), Prefix: ossv2.Ptr("other/")})
		wantCode(t, err, "AccessDenied")
		// Presigned V4 URL carrying the token.
		pr, err := c.Presign(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("sts-bkt"), Key: ossv2.Ptr("home/v2")}, ossv2.PresignExpires(10*time.Minute))
		must(t, err)
		if !strings.Contains(pr.URL, "x-oss-security-token=") {
			t.Fatalf("presigned URL without token: %s", pr.URL)
		}
		r, b := raw(t, "GET", pr.URL, nil, nil)
		wantStatus(t, r, b, 200, "")
	})
	t.Run("ossv1", func(t *testing.T) {
		c := e.v1(t, tok.AccessKeyID, tok.AccessKeySecret, tok.SecurityToken)
		wantOK(t, v1Put(c, t, "sts-bkt", "home/v1", "inside"))
		if got, err := v1Get(c, t, "sts-bkt", "home/v1"); err != nil || got != "inside" {
			t.Fatalf("get: %q %v", got, err)
		}
		wantCode(t, v1Put(c, t, "sts-bkt", "other/v1", "outside"), "AccessDenied")
		// Presigned V1 URL with security-token.
		b, err := c.Bucket("sts-bkt")
		must(t, err)
		u, err := b.SignURL("home/v1", ossv1.HTTPGet, 600)
		must(t, err)
		if !strings.Contains(u, "security-token=") {
			t.Fatalf("presigned URL without token: %s", u)
		}
		r, body := raw(t, "GET", u, nil, nil)
		wantStatus(t, r, body, 200, "")
		u, err = b.SignURL("other/x", ossv1.HTTPGet, 600)
		must(t, err)
		r, body = raw(t, "GET", u, nil, nil)
		wantStatus(t, r, body, 403, "AccessDenied")
	})
	t.Run("aws", func(t *testing.T) {
		c := e.s3c(tok.AccessKeyID, tok.AccessKeySecret, tok.SecurityToken)
		wantOK(t, s3Put(c, t, "sts-bkt", "home/s3", "inside"))
		if got, err := s3Get(c, t, "sts-bkt", "home/s3"); err != nil || got != "inside" {
			t.Fatalf("get: %q %v", got, err)
		}
		wantCode(t, s3Put(c, t, "sts-bkt", "other/s3", "outside"), "AccessDenied")
	})
	t.Run("sdk/client", func(t *testing.T) {
		c := e.client(t, tok.AccessKeyID, tok.AccessKeySecret, client.WithSecurityToken(tok.SecurityToken))
		_, err := c.PutObject(ctx, "sts-bkt", "home/c", strings.NewReader("c"), 1, nil)
		wantOK(t, err)
		_, err = c.PutObject(ctx, "sts-bkt", "other/c", strings.NewReader("c"), 1, nil)
		wantCode(t, err, "AccessDenied")
		// Sessions cannot manage identities nor issue further tokens.
		_, err = c.IssueToken(ctx, client.STSOptions{})
		wantCode(t, err, "AccessDenied")
	})
	t.Run("tampered", func(t *testing.T) {
		bad := tok.SecurityToken[:len(tok.SecurityToken)-2] + "xx"
		if bad == tok.SecurityToken {
			bad = tok.SecurityToken[:len(tok.SecurityToken)-2] + "yy"
		}
		_, err := v2Get(e.v2(tok.AccessKeyID, tok.AccessKeySecret, bad), t, "sts-bkt", "home/v2")
		wantCode(t, err, "InvalidSecurityToken")
		// Without the token: the STS id alone is unknown.
		_, err = v2Get(e.v2(tok.AccessKeyID, tok.AccessKeySecret, ""), t, "sts-bkt", "home/v2")
		wantCode(t, err, "InvalidAccessKeyId")
		// The token of another session.
		other, err := e.root.IssueToken(ctx, client.STSOptions{Duration: time.Hour})
		must(t, err)
		_, err = v2Get(e.v2(tok.AccessKeyID, tok.AccessKeySecret, other.SecurityToken), t, "sts-bkt", "home/v2")
		wantCode(t, err, "InvalidSecurityToken")
	})
	t.Run("expired", func(t *testing.T) {
		e.clock.set(-time.Hour) // issued an hour ago, for 15 minutes
		past := e.client(t, e.ts.AccessKeyID, e.ts.AccessKeySecret, client.WithClock(e.clock.Now))
		old, err := past.IssueToken(ctx, client.STSOptions{Duration: 15 * time.Minute})
		e.clock.reset()
		must(t, err)
		_, err = v2Get(e.v2(old.AccessKeyID, old.AccessKeySecret, old.SecurityToken), t, "sts-bkt", "home/v2")
		wantCode(t, err, "SecurityTokenExpired")
		_, err = v1Get(e.v1(t, old.AccessKeyID, old.AccessKeySecret, old.SecurityToken), t, "sts-bkt", "home/v2")
		wantCode(t, err, "SecurityTokenExpired")
		_, err = s3Get(e.s3c(old.AccessKeyID, old.AccessKeySecret, old.SecurityToken), t, "sts-bkt", "home/v2")
		wantCode(t, err, "SecurityTokenExpired")
	})
	t.Run("revoked", func(t *testing.T) {
		must(t, e.root.RevokeToken(ctx, tok.SecurityToken))
		_, err := v2Get(e.v2(tok.AccessKeyID, tok.AccessKeySecret, tok.SecurityToken), t, "sts-bkt", "home/v2")
		wantCode(t, err, "InvalidSecurityToken")
	})
	t.Run("sub-user session", func(t *testing.T) {
		k := e.user(t, "sts-user", homePolicy)
		uc := e.client(t, k.AccessKeyID, k.AccessKeySecret)
		ut, err := uc.IssueToken(ctx, client.STSOptions{Duration: time.Hour})
		must(t, err)
		c := e.v2(ut.AccessKeyID, ut.AccessKeySecret, ut.SecurityToken)
		wantOK(t, v2Put(c, t, "sts-bkt", "home/u", "u"))
		wantCode(t, v2Put(c, t, "sts-bkt", "other/u", "u"), "AccessDenied") // never more than its issuer
		// Deleting the issuer's key revokes the session.
		must(t, e.root.DeleteKey(ctx, k.AccessKeyID))
		wantCode(t, v2Put(c, t, "sts-bkt", "home/u", "u"), "InvalidSecurityToken")
	})
}

// TestAdminAPI: only the root may manage identities; the directory is
// persisted with mode 0600 and survives a restart.
func TestAdminAPI(t *testing.T) {
	dir := t.TempDir()
	e := start(t, servertest.WithDataDir(dir))
	ctx := t.Context()
	k := e.user(t, "bob", readOnlyPolicy)
	users, err := e.root.ListUsers(ctx)
	must(t, err)
	if len(users) != 1 || users[0].Name != "bob" || len(users[0].Keys) != 1 || users[0].Policies[0] != "bob-policy" {
		t.Fatalf("users %+v", users)
	}
	pols, err := e.root.ListPolicies(ctx)
	must(t, err)
	if len(pols) != 1 || pols[0] != "bob-policy" {
		t.Fatalf("policies %v", pols)
	}
	doc, err := e.root.GetPolicy(ctx, "bob-policy")
	must(t, err)
	if string(doc) != readOnlyPolicy {
		t.Fatalf("policy %s", doc)
	}
	bob := e.client(t, k.AccessKeyID, k.AccessKeySecret)
	_, err = bob.AddUser(ctx, "mallory")
	wantCode(t, err, "AccessDenied")
	_, err = bob.CreateKey(ctx, "bob")
	wantCode(t, err, "AccessDenied")
	anon := e.client(t, "", "")
	_, err = anon.ListUsers(ctx)
	wantCode(t, err, "AccessDenied")
	_, err = e.root.AddUser(ctx, "bob")
	wantCode(t, err, "EntityAlreadyExists")
	err = e.root.DeleteUser(ctx, "bob")
	wantCode(t, err, "DeleteConflict.User.AccessKey")
	err = e.root.DeletePolicy(ctx, "bob-policy")
	wantCode(t, err, "DeleteConflict.Policy.User")
	_, err = e.root.GetUser(ctx, "nobody")
	wantCode(t, err, "EntityNotExist")
	err = e.root.PutPolicy(ctx, "broken", []byte(`{"Version":"1","Statement":[{"Effect":"Allow"}]}`))
	wantCode(t, err, "InvalidPolicyDocument")
	err = e.root.PutPolicy(ctx, "huge", bytes.Repeat([]byte("x"), 70<<10))
	wantCode(t, err, "EntityTooLarge")
	// Deactivated keys authenticate nothing.
	must(t, e.root.SetKeyStatus(ctx, k.AccessKeyID, "Inactive"))
	_, err = bob.IssueToken(ctx, client.STSOptions{})
	wantCode(t, err, "InvalidAccessKeyId")
	must(t, e.root.SetKeyStatus(ctx, k.AccessKeyID, "Active"))
	keys, err := e.root.ListRootKeys(ctx)
	must(t, err)
	if len(keys) != 1 || keys[0].AccessKeyID != e.ts.AccessKeyID {
		t.Fatalf("root keys %+v", keys)
	}

	fi, err := os.Stat(filepath.Join(dir, server.IAMFile))
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s mode %v", server.IAMFile, fi.Mode().Perm())
	}
	b, err := os.ReadFile(filepath.Join(dir, server.IAMFile))
	must(t, err)
	if !bytes.Contains(b, []byte(k.AccessKeyID)) {
		t.Fatal("iam.json does not hold the new key")
	}

	// Restart on the same data directory: users, keys and the root key
	// (from credentials.json) still work.
	must(t, e.ts.Server.Shutdown(ctx))
	e2 := start(t, servertest.WithDataDir(dir))
	if e2.ts.AccessKeyID != e.ts.AccessKeyID {
		t.Fatalf("root key changed: %s", e2.ts.AccessKeyID)
	}
	u, err := e2.root.GetUser(ctx, "bob")
	must(t, err)
	if len(u.Keys) != 1 || u.Keys[0].AccessKeyID != k.AccessKeyID {
		t.Fatalf("after restart %+v", u)
	}
	bob2 := e2.client(t, k.AccessKeyID, k.AccessKeySecret)
	_, err = bob2.IssueToken(ctx, client.STSOptions{})
	wantOK(t, err)
}
