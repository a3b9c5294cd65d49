package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv2creds "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

func sseOSSClient(ts *servertest.Instance) *ossv2.Client {
	cfg := ossv2.LoadDefaultConfig().
		WithCredentialsProvider(ossv2creds.NewStaticCredentialsProvider(ts.AccessKeyID, ts.AccessKeySecret)).
		WithRegion("cn-hangzhou").
		WithEndpoint(ts.Endpoint).
		WithUsePathStyle(true).
		WithSignatureVersion(ossv2.SignatureVersionV4).
		WithRetryMaxAttempts(1)
	return ossv2.NewClient(cfg)
}

func sseS3Client(ts *servertest.Instance) *s3.Client {
	cfg := aws.Config{Region: "cn-hangzhou", Credentials: awscreds.NewStaticCredentialsProvider(ts.AccessKeyID, ts.AccessKeySecret, "")}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(ts.Endpoint)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

// sseData is random data with a marker that must never reach the disk.
func sseData(t *testing.T, n int, marker string) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := 0; marker != "" && i+len(marker) <= n; i += 4096 {
		copy(b[i:], marker)
	}
	return b
}

// filesContaining lists the files under dir that contain marker.
func filesContaining(t *testing.T, dir, marker string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(marker)) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func ossGetAll(t *testing.T, c *ossv2.Client, bucket, key, rng string) ([]byte, *ossv2.GetObjectResult) {
	t.Helper()
	req := &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr(key)}
	if rng != "" {
		req.Range, req.RangeBehavior = ossv2.Ptr(rng), ossv2.Ptr("standard")
	}
	out, err := c.GetObject(context.Background(), req)
	if err != nil {
		t.Fatalf("get %s/%s %s: %v", bucket, key, rng, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, out
}

// ossGetVerified downloads with the SDK's CRC-64 check of the whole body
// against x-oss-hash-crc64ecma.
func ossGetVerified(t *testing.T, c *ossv2.Client, bucket, key string) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "download")
	if _, err := c.GetObjectToFile(context.Background(), &ossv2.GetObjectRequest{Bucket: ossv2.Ptr(bucket), Key: ossv2.Ptr(key)}, p); err != nil {
		t.Fatalf("download %s/%s: %v", bucket, key, err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServerSideEncryptionEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ts := servertest.Start(t, servertest.WithDataDir(dir))
	// The first start generated the master key file.
	fi, err := os.Stat(filepath.Join(dir, server.SSEMasterKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("master key file: %v %v", fi, err)
	}
	c := sseOSSClient(ts)
	for _, b := range []string{"sse-explicit", "sse-default"} {
		if _, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(b)}); err != nil {
			t.Fatal(err)
		}
	}

	// Per object: PUT with x-oss-server-side-encryption (the SDK checks the
	// returned CRC-64 against what it sent: the plaintext's).
	const marker = "SSE-E2E-MARKER-5b1f0c9e2d7a4431"
	big := sseData(t, 700<<10, marker)
	small := sseData(t, 3000, marker)
	for key, data := range map[string][]byte{"big": big, "small": small} {
		put, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("sse-explicit"), Key: ossv2.Ptr(key), Body: bytes.NewReader(data), ServerSideEncryption: ossv2.Ptr("AES256")})
		if err != nil {
			t.Fatal(err)
		}
		if put.Headers.Get("X-Oss-Server-Side-Encryption") != "AES256" {
			t.Fatalf("put %s: SSE header %q", key, put.Headers.Get("X-Oss-Server-Side-Encryption"))
		}
		if got := ossGetVerified(t, c, "sse-explicit", key); !bytes.Equal(got, data) {
			t.Fatalf("%s: downloaded data differs", key)
		}
		got, out := ossGetAll(t, c, "sse-explicit", key, "")
		if !bytes.Equal(got, data) || ossv2.ToString(out.ServerSideEncryption) != "AES256" {
			t.Fatalf("%s: get SSE %q", key, ossv2.ToString(out.ServerSideEncryption))
		}
		head, err := c.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: ossv2.Ptr("sse-explicit"), Key: ossv2.Ptr(key)})
		if err != nil || ossv2.ToString(head.ServerSideEncryption) != "AES256" {
			t.Fatalf("%s: head %v", key, err)
		}
	}
	// Ranged reads decrypt at their offset.
	for _, r := range [][2]int{{0, 0}, {17, 4113}, {100000, 600000}, {len(big) - 5, len(big) - 1}} {
		got, out := ossGetAll(t, c, "sse-explicit", "big", "bytes="+itoa(r[0])+"-"+itoa(r[1]))
		if !bytes.Equal(got, big[r[0]:r[1]+1]) || out.StatusCode != 206 {
			t.Fatalf("range %v: %d bytes, status %d", r, len(got), out.StatusCode)
		}
	}
	// The plaintext is nowhere in the store: not in blob files, not in the
	// metadata DB (WAL, tables) where the small object's data lives.
	if found := filesContaining(t, filepath.Join(dir, server.StoreDir), marker); len(found) > 0 {
		t.Fatalf("plaintext at rest in %v", found)
	}

	// Bucket default: PutBucketEncryption, then a plain PUT is encrypted.
	if _, err := c.GetBucketEncryption(ctx, &ossv2.GetBucketEncryptionRequest{Bucket: ossv2.Ptr("sse-default")}); !isOSSCode(err, "NoSuchServerSideEncryptionRule", 404) {
		t.Fatalf("get unset encryption: %v", err)
	}
	if _, err := c.PutBucketEncryption(ctx, &ossv2.PutBucketEncryptionRequest{Bucket: ossv2.Ptr("sse-default"),
		ServerSideEncryptionRule: &ossv2.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &ossv2.ApplyServerSideEncryptionByDefault{SSEAlgorithm: ossv2.Ptr("AES256")}}}); err != nil {
		t.Fatal(err)
	}
	ge, err := c.GetBucketEncryption(ctx, &ossv2.GetBucketEncryptionRequest{Bucket: ossv2.Ptr("sse-default")})
	if err != nil || ossv2.ToString(ge.ServerSideEncryptionRule.ApplyServerSideEncryptionByDefault.SSEAlgorithm) != "AES256" {
		t.Fatalf("get encryption: %v", err)
	}
	info, err := c.GetBucketInfo(ctx, &ossv2.GetBucketInfoRequest{Bucket: ossv2.Ptr("sse-default")})
	if err != nil || ossv2.ToString(info.BucketInfo.SseRule.SSEAlgorithm) != "AES256" {
		t.Fatalf("bucket info: %v", err)
	}
	dput, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("sse-default"), Key: ossv2.Ptr("implicit"), Body: bytes.NewReader(big)})
	if err != nil || dput.Headers.Get("X-Oss-Server-Side-Encryption") != "AES256" {
		t.Fatalf("default put: %v (SSE %q)", err, dput.Headers.Get("X-Oss-Server-Side-Encryption"))
	}
	if got := ossGetVerified(t, c, "sse-default", "implicit"); !bytes.Equal(got, big) {
		t.Fatal("default-encrypted object differs")
	}
	// Multipart under the default.
	up, err := c.InitiateMultipartUpload(ctx, &ossv2.InitiateMultipartUploadRequest{Bucket: ossv2.Ptr("sse-default"), Key: ossv2.Ptr("mp")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []ossv2.UploadPart
	for i, p := range [][]byte{big[:300<<10], big[300<<10:]} {
		pr, err := c.UploadPart(ctx, &ossv2.UploadPartRequest{Bucket: ossv2.Ptr("sse-default"), Key: ossv2.Ptr("mp"), UploadId: up.UploadId, PartNumber: int32(i + 1), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, ossv2.UploadPart{PartNumber: int32(i + 1), ETag: pr.ETag})
	}
	cmp, err := c.CompleteMultipartUpload(ctx, &ossv2.CompleteMultipartUploadRequest{Bucket: ossv2.Ptr("sse-default"), Key: ossv2.Ptr("mp"), UploadId: up.UploadId,
		CompleteMultipartUpload: &ossv2.CompleteMultipartUpload{Parts: parts}})
	if err != nil || cmp.Headers.Get("X-Oss-Server-Side-Encryption") != "AES256" {
		t.Fatalf("complete: %v", err)
	}
	if got, _ := ossGetAll(t, c, "sse-default", "mp", "bytes=299000-310000"); !bytes.Equal(got, big[299000:310001]) {
		t.Fatal("range across encrypted parts differs")
	}
	// Copy: the destination's encryption, not the source's (a copy into a
	// bucket without default is plaintext: of other data than the marked).
	unmarked := sseData(t, 200<<10, "")
	if _, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("sse-default"), Key: ossv2.Ptr("unmarked"), Body: bytes.NewReader(unmarked)}); err != nil {
		t.Fatal(err)
	}
	cp, err := c.CopyObject(ctx, &ossv2.CopyObjectRequest{Bucket: ossv2.Ptr("sse-explicit"), Key: ossv2.Ptr("copy"), SourceBucket: ossv2.Ptr("sse-default"), SourceKey: ossv2.Ptr("unmarked")})
	if err != nil || cp.ServerSideEncryption != nil {
		t.Fatalf("copy to an unencrypted bucket: %v %v", err, cp.ServerSideEncryption)
	}
	cp, err = c.CopyObject(ctx, &ossv2.CopyObjectRequest{Bucket: ossv2.Ptr("sse-explicit"), Key: ossv2.Ptr("copy2"), SourceBucket: ossv2.Ptr("sse-default"), SourceKey: ossv2.Ptr("implicit"), ServerSideEncryption: ossv2.Ptr("AES256")})
	if err != nil || ossv2.ToString(cp.ServerSideEncryption) != "AES256" {
		t.Fatalf("copy with SSE: %v", err)
	}
	if got := ossGetVerified(t, c, "sse-explicit", "copy2"); !bytes.Equal(got, big) {
		t.Fatal("encrypted copy differs")
	}
	// Unsupported algorithms.
	_, err = c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("sse-explicit"), Key: ossv2.Ptr("kms"), Body: bytes.NewReader([]byte("x")), ServerSideEncryption: ossv2.Ptr("KMS")})
	if !isOSSCode(err, "NotImplemented", 501) {
		t.Fatalf("KMS: %v", err)
	}

	// S3 dialect: aws-sdk-go-v2.
	s3c := sseS3Client(ts)
	s3put, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sse-explicit"), Key: aws.String("s3obj"), Body: bytes.NewReader(big), ServerSideEncryption: types.ServerSideEncryptionAes256})
	if err != nil || s3put.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("s3 put: %v (%q)", err, s3put.ServerSideEncryption)
	}
	s3get, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sse-explicit"), Key: aws.String("s3obj")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(s3get.Body)
	s3get.Body.Close()
	if err != nil || !bytes.Equal(got, big) || s3get.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("s3 get: %v (%q)", err, s3get.ServerSideEncryption)
	}
	s3enc, err := s3c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("sse-default")})
	if err != nil || len(s3enc.ServerSideEncryptionConfiguration.Rules) != 1 ||
		s3enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("s3 get bucket encryption: %v", err)
	}
	if found := filesContaining(t, filepath.Join(dir, server.StoreDir), marker); len(found) > 0 {
		t.Fatalf("plaintext at rest in %v", found)
	}

	// Restart on the same data directory: the key file is reused.
	if err := ts.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	ts = servertest.Start(t, servertest.WithDataDir(dir))
	c = sseOSSClient(ts)
	for key, data := range map[string][]byte{"big": big, "small": small, "s3obj": big} {
		if got := ossGetVerified(t, c, "sse-explicit", key); !bytes.Equal(got, data) {
			t.Fatalf("%s after a restart: differs", key)
		}
	}
	if got, _ := ossGetAll(t, c, "sse-default", "mp", "bytes=1-5"); !bytes.Equal(got, big[1:6]) {
		t.Fatal("multipart range after a restart differs")
	}
	// Removing the bucket default.
	if _, err := c.DeleteBucketEncryption(ctx, &ossv2.DeleteBucketEncryptionRequest{Bucket: ossv2.Ptr("sse-default")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucketEncryption(ctx, &ossv2.GetBucketEncryptionRequest{Bucket: ossv2.Ptr("sse-default")}); !isOSSCode(err, "NoSuchServerSideEncryptionRule", 404) {
		t.Fatalf("get removed encryption: %v", err)
	}

	// Another master key: encrypted objects fail with a server error,
	// never garbage; plaintext objects still read.
	if err := ts.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	rand.Read(other)
	ts = servertest.Start(t, servertest.WithDataDir(dir), servertest.WithConfig(func(cfg *server.Config) {
		cfg.SSEMasterKey = base64.StdEncoding.EncodeToString(other)
	}))
	c = sseOSSClient(ts)
	_, err = c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("sse-explicit"), Key: ossv2.Ptr("big")})
	if !isOSSCode(err, "InternalError", 500) {
		t.Fatalf("wrong master key: %v", err)
	}
	if got := ossGetVerified(t, c, "sse-explicit", "copy"); !bytes.Equal(got, unmarked) {
		t.Fatal("plaintext object differs")
	}
}

func TestServerSideEncryptionKeyFile(t *testing.T) {
	ctx := context.Background()
	start := func(dir string, mutate func(*server.Config)) error {
		cfg := server.Config{Addr: "127.0.0.1:0", DataDir: dir, LifecycleInterval: -1}
		cfg.Events.Disabled = true
		if mutate != nil {
			mutate(&cfg)
		}
		srv, err := server.New(ctx, cfg, nil)
		if err == nil {
			srv.Shutdown(ctx)
		}
		return err
	}
	// Bad permissions or size: refuse to start, never overwrite.
	dir := t.TempDir()
	keyFile := filepath.Join(dir, server.SSEMasterKeyFile)
	if err := os.WriteFile(keyFile, make([]byte, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := start(dir, nil); err == nil {
		t.Fatal("started with a world-readable key file")
	}
	if err := os.Chmod(keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := start(dir, nil); err != nil {
		t.Fatalf("a 0600 32-byte key file: %v", err)
	}
	if err := os.WriteFile(keyFile, make([]byte, 31), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := start(dir, nil); err == nil {
		t.Fatal("started with a short key file")
	}
	if b, _ := os.ReadFile(keyFile); len(b) != 31 {
		t.Fatal("the key file was overwritten")
	}
	// An explicit key file must exist; a bad base64 key is refused.
	if err := start(t.TempDir(), func(c *server.Config) { c.SSEMasterKeyFile = filepath.Join(dir, "missing.key") }); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing explicit key file: %v", err)
	}
	if err := start(t.TempDir(), func(c *server.Config) { c.SSEMasterKey = "not base64!" }); err == nil {
		t.Fatal("started with a malformed master key")
	}
}

func isOSSCode(err error, code string, status int) bool {
	var se *ossv2.ServiceError
	return errors.As(err, &se) && se.Code == code && se.StatusCode == status
}

func itoa(n int) string {
	b := []byte{}
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
