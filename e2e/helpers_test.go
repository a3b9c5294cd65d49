package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv2creds "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

const region = "cn-hangzhou"

// clock is the server's clock: real time plus an offset tests move.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time      { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) set(d time.Duration) { c.offset.Store(int64(d)) }
func (c *clock) reset()              { c.offset.Store(0) }

// env is a running server with a root client.
type env struct {
	ts    *servertest.Instance
	clock *clock
	root  *client.Client
}

func start(t *testing.T, opts ...servertest.Option) *env {
	t.Helper()
	clk := &clock{}
	opts = append([]servertest.Option{servertest.WithConfig(func(c *server.Config) { c.Now = clk.Now })}, opts...)
	ts := servertest.Start(t, opts...)
	root, err := client.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	return &env{ts: ts, clock: clk, root: root}
}

func (e *env) client(t *testing.T, ak, sk string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(e.ts.Endpoint, ak, sk, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bucket creates a bucket with acl as root.
func (e *env) bucket(t *testing.T, name, acl string) {
	t.Helper()
	if err := e.root.CreateBucket(t.Context(), name, &client.BucketOptions{ACL: acl}); err != nil {
		t.Fatal(err)
	}
}

// put stores an object as root.
func (e *env) put(t *testing.T, bucket, key, data string) {
	t.Helper()
	c := e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, "")
	_, err := c.PutObject(t.Context(), &ossv2.PutObjectRequest{Bucket: &bucket, Key: &key, Body: strings.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
}

// user creates a sub-user with the policy doc attached and a key.
func (e *env) user(t *testing.T, name, policy string) client.AdminKey {
	t.Helper()
	ctx := t.Context()
	must(t, firstErr(e.root.AddUser(ctx, name)))
	if policy != "" {
		must(t, e.root.PutPolicy(ctx, name+"-policy", []byte(policy)))
		must(t, e.root.AttachPolicy(ctx, name, name+"-policy"))
	}
	k, err := e.root.CreateKey(ctx, name)
	must(t, err)
	return k
}

func firstErr[T any](_ T, err error) error { return err }

// v2 is an alibabacloud-oss-go-sdk-v2 client (V4 signatures, path style).
func (e *env) v2(ak, sk, token string) *ossv2.Client {
	var creds ossv2creds.CredentialsProvider = ossv2creds.NewStaticCredentialsProvider(ak, sk, token)
	if ak == "" {
		creds = ossv2creds.NewAnonymousCredentialsProvider()
	}
	cfg := ossv2.LoadDefaultConfig().
		WithCredentialsProvider(creds).
		WithRegion(region).
		WithEndpoint(e.ts.Endpoint).
		WithUsePathStyle(true).
		WithSignatureVersion(ossv2.SignatureVersionV4).
		WithRetryMaxAttempts(1)
	return ossv2.NewClient(cfg)
}

// v1 is an aliyun-oss-go-sdk client (V1 signatures).
func (e *env) v1(t *testing.T, ak, sk, token string) *ossv1.Client {
	t.Helper()
	opts := []ossv1.ClientOption{}
	if token != "" {
		opts = append(opts, ossv1.SecurityToken(token))
	}
	c, err := ossv1.New(e.ts.Endpoint, ak, sk, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// s3c is an aws-sdk-go-v2 S3 client.
func (e *env) s3c(ak, sk, token string) *s3.Client {
	cfg := aws.Config{
		Region:      region,
		Credentials: awscreds.NewStaticCredentialsProvider(ak, sk, token),
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(e.ts.Endpoint)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func errorsAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}

// code returns the service error code of an error of any of the SDKs.
func code(err error) string {
	if err == nil {
		return ""
	}
	if se, ok := errorsAs[*ossv2.ServiceError](err); ok {
		return se.Code
	}
	if se, ok := errorsAs[ossv1.ServiceError](err); ok {
		return se.Code
	}
	if ce, ok := errorsAs[*client.Error](err); ok {
		return ce.Code
	}
	if ae, ok := errorsAs[smithy.APIError](err); ok {
		return ae.ErrorCode()
	}
	return "error: " + err.Error()
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("got %q (%v), want %s", got, err, want)
	}
}

func wantOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// raw sends a plain (anonymous) HTTP request.
func raw(t *testing.T, method, url string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	must(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// wantStatus checks a raw response's status and, when code is set, the
// error code in its body.
func wantStatus(t *testing.T, resp *http.Response, body string, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || (code != "" && !strings.Contains(body, "<Code>"+code+"</Code>")) {
		t.Fatalf("%s %s: got %d %s, want %d %s", resp.Request.Method, resp.Request.URL, resp.StatusCode, body, status, code)
	}
}

// formField is one field of a multipart form, in order.
type formField struct{ name, value string }

// multipartForm builds a PostObject body: fields in order, then the file
// (unless fileFirst puts it before the fields).
func multipartForm(t *testing.T, fields []formField, filename string, file []byte, fileFirst bool) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	writeFile := func() {
		w, err := mw.CreateFormFile("file", filename)
		must(t, err)
		_, _ = w.Write(file)
	}
	if fileFirst {
		writeFile()
	}
	for _, f := range fields {
		must(t, mw.WriteField(f.name, f.value))
	}
	if !fileFirst {
		writeFile()
	}
	must(t, mw.Close())
	return mw.FormDataContentType(), buf.Bytes()
}

var _ = context.Background

// multipartFormTrailing builds a form whose file is followed by another
// field (which PostObject refuses).
func multipartFormTrailing(t *testing.T, fields []formField, file []byte, after formField) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		must(t, mw.WriteField(f.name, f.value))
	}
	w, err := mw.CreateFormFile("file", "f")
	must(t, err)
	_, _ = w.Write(file)
	must(t, mw.WriteField(after.name, after.value))
	must(t, mw.Close())
	return mw.FormDataContentType(), buf.Bytes()
}

// multipartFormNoFile builds a form without a file.
func multipartFormNoFile(t *testing.T, fields []formField) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		must(t, mw.WriteField(f.name, f.value))
	}
	must(t, mw.Close())
	return mw.FormDataContentType(), buf.Bytes()
}
