package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// awsClient is an S3 client with the SDK's default checksum behaviour (as
// config.LoadDefaultConfig resolves it: request checksums and response
// checksum validation "when supported"), path-style, without retries. The
// configuration is spelled out rather than loaded so that the environment
// of the test run cannot change it.
func awsClient(s *testServer, secret string) *s3.Client {
	cfg := aws.Config{
		Region:                     region,
		Credentials:                credentials.NewStaticCredentialsProvider(rootAK, secret, ""),
		HTTPClient:                 s.httpClient(),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

func awsCode(err error) string {
	if ae, ok := errorsAs[smithy.APIError](err); ok {
		return ae.ErrorCode()
	}
	return ""
}

func wantAWSCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %s, got success", code)
	}
	if got := awsCode(err); got != code {
		t.Fatalf("expected %s, got %q (%v)", code, got, err)
	}
}

// TestAWSSDK drives the handler with aws-sdk-go-v2 over TLS, where the SDK
// sends aws-chunked bodies with a trailing CRC32 by default.
func TestAWSSDK(t *testing.T) {
	s := newServer(t, true)
	c := awsClient(s, rootSK)
	ctx := t.Context()
	bucket := aws.String("aws-bucket")

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	must(t, err)
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	wantAWSCode(t, err, "BucketAlreadyExists")
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket})
	must(t, err)

	t.Run("Buckets", func(t *testing.T) {
		lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		must(t, err)
		if len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "aws-bucket" {
			t.Fatalf("ListBuckets = %+v", lb.Buckets)
		}
		loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: bucket})
		must(t, err)
		if loc.LocationConstraint != types.BucketLocationConstraint(region) {
			t.Fatalf("location %q", loc.LocationConstraint)
		}
		_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bucket, ACL: types.BucketCannedACLPublicRead})
		must(t, err)
		acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: bucket})
		must(t, err)
		if len(acl.Grants) != 2 || acl.Grants[1].Permission != types.PermissionRead {
			t.Fatalf("acl grants %+v", acl.Grants)
		}
		_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: bucket, ACL: types.BucketCannedACLPrivate})
		must(t, err)
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("metrics")})
		wantAWSCode(t, err, "InvalidBucketName")
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket")})
		wantAWSCode(t, err, "NotFound")
	})

	t.Run("Objects", func(t *testing.T) {
		body := []byte("hello from the aws sdk")
		put, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: bucket, Key: aws.String("dir/hello.txt"), Body: bytes.NewReader(body),
			ContentType: aws.String("text/plain"), Metadata: map[string]string{"Author": "alice"},
			StorageClass: types.StorageClassStandardIa, Tagging: aws.String("k1=v1&k2=v2"),
		})
		must(t, err)
		if aws.ToString(put.ChecksumCRC32) == "" || aws.ToString(put.ETag) == "" {
			t.Fatalf("put output: etag %q crc32 %q", aws.ToString(put.ETag), aws.ToString(put.ChecksumCRC32))
		}
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt")})
		must(t, err)
		data, err := io.ReadAll(get.Body) // the SDK validates the echoed CRC32 while reading
		get.Body.Close()
		must(t, err)
		if !bytes.Equal(data, body) || aws.ToString(get.ChecksumCRC32) != aws.ToString(put.ChecksumCRC32) {
			t.Fatalf("get: %q crc32 %q", data, aws.ToString(get.ChecksumCRC32))
		}
		if get.Metadata["author"] != "alice" || get.StorageClass != types.StorageClassStandardIa ||
			aws.ToInt32(get.TagCount) != 2 || aws.ToString(get.ContentType) != "text/plain" {
			t.Fatalf("get metadata: %+v sc %q tags %d", get.Metadata, get.StorageClass, aws.ToInt32(get.TagCount))
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt")})
		must(t, err)
		if aws.ToInt64(head.ContentLength) != int64(len(body)) || aws.ToString(head.ETag) != aws.ToString(put.ETag) {
			t.Fatalf("head: %d %s", aws.ToInt64(head.ContentLength), aws.ToString(head.ETag))
		}

		rng, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), Range: aws.String("bytes=6-9")})
		must(t, err)
		part, _ := io.ReadAll(rng.Body)
		rng.Body.Close()
		if string(part) != "from" || aws.ToString(rng.ContentRange) != "bytes 6-9/22" {
			t.Fatalf("range: %q %q", part, aws.ToString(rng.ContentRange))
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), Range: aws.String("bytes=100-")})
		wantAWSCode(t, err, "InvalidRange")
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), IfMatch: aws.String(`"0000"`)})
		wantAWSCode(t, err, "PreconditionFailed")
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), IfNoneMatch: put.ETag})
		if resp, ok := errorsAs[*awshttp.ResponseError](err); !ok || resp.HTTPStatusCode() != http.StatusNotModified {
			t.Fatalf("If-None-Match: want 304, got %v", err)
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("missing")})
		wantAWSCode(t, err, "NoSuchKey")
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("missing")})
		wantAWSCode(t, err, "NotFound")
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("no-such-bucket"), Key: aws.String("k")})
		wantAWSCode(t, err, "NoSuchBucket")
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("bad-md5"), Body: bytes.NewReader(body), ContentMD5: aws.String("1B2M2Y8AsgTpgAmY7PhCfg==")})
		wantAWSCode(t, err, "BadDigest")
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), Body: bytes.NewReader(body), IfNoneMatch: aws.String("*")})
		wantAWSCode(t, err, "PreconditionFailed")
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("dir/new.txt"), Body: bytes.NewReader(body), IfNoneMatch: aws.String("*")})
		must(t, err)
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket})
		wantAWSCode(t, err, "BucketNotEmpty")
	})

	t.Run("Listing", func(t *testing.T) {
		for _, k := range []string{"list/a", "list/b", "list/c/d", "list/e"} {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(k), Body: strings.NewReader(k)})
			must(t, err)
		}
		var keys []string
		pages := 0
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String("list/"), MaxKeys: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			must(t, err)
			pages++
			if int(aws.ToInt32(page.KeyCount)) != len(page.Contents) {
				t.Fatalf("KeyCount %d for %d keys", aws.ToInt32(page.KeyCount), len(page.Contents))
			}
			for _, o := range page.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
		}
		if strings.Join(keys, ",") != "list/a,list/b,list/c/d,list/e" || pages != 2 {
			t.Fatalf("V2 listing %v in %d pages", keys, pages)
		}
		v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: bucket, Prefix: aws.String("list/"), Delimiter: aws.String("/")})
		must(t, err)
		if len(v1.Contents) != 3 || len(v1.CommonPrefixes) != 1 || aws.ToString(v1.CommonPrefixes[0].Prefix) != "list/c/" {
			t.Fatalf("V1 listing %+v %+v", v1.Contents, v1.CommonPrefixes)
		}
	})

	t.Run("CopyTaggingDelete", func(t *testing.T) {
		cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("copy.txt"), CopySource: aws.String("aws-bucket/dir/hello.txt")})
		must(t, err)
		if aws.ToString(cp.CopyObjectResult.ETag) == "" {
			t.Fatal("copy result without ETag")
		}
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: bucket, Key: aws.String("copy2.txt"), CopySource: aws.String("aws-bucket/dir/hello.txt"), CopySourceIfMatch: aws.String(`"nope"`)})
		wantAWSCode(t, err, "PreconditionFailed")

		_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: bucket, Key: aws.String("copy.txt"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}})
		must(t, err)
		tg, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: bucket, Key: aws.String("copy.txt")})
		must(t, err)
		if len(tg.TagSet) != 1 || aws.ToString(tg.TagSet[0].Value) != "1" {
			t.Fatalf("tags %+v", tg.TagSet)
		}
		_, err = c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: bucket, Key: aws.String("copy.txt")})
		must(t, err)

		del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: bucket, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("copy.txt")}, {Key: aws.String("list/a")}, {Key: aws.String("never-existed")},
		}}})
		must(t, err)
		if len(del.Deleted) != 3 || len(del.Errors) != 0 {
			t.Fatalf("DeleteObjects: %+v %+v", del.Deleted, del.Errors)
		}
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("list/b")})
		must(t, err)
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("list/b")})
		wantAWSCode(t, err, "NotFound")
	})

	t.Run("ManagerMultipart", func(t *testing.T) {
		data := make([]byte, 12<<20+12345)
		rand.Read(data)
		path := filepath.Join(t.TempDir(), "big.bin")
		must(t, os.WriteFile(path, data, 0o600))
		f, err := os.Open(path)
		must(t, err)
		defer f.Close()
		up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 })
		res, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("big.bin"), Body: f})
		must(t, err)
		if !strings.HasSuffix(aws.ToString(res.ETag), `-3"`) || len(res.CompletedParts) != 3 {
			t.Fatalf("multipart upload: etag %s parts %d", aws.ToString(res.ETag), len(res.CompletedParts))
		}
		dl := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = 5 << 20 })
		buf := manager.NewWriteAtBuffer(nil)
		n, err := dl.Download(ctx, buf, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("big.bin")})
		must(t, err)
		if n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("download: %d bytes, equal %v", n, bytes.Equal(buf.Bytes(), data))
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("big.bin"), ChecksumMode: types.ChecksumModeEnabled})
		must(t, err)
		if aws.ToString(head.ChecksumCRC32) != "" {
			t.Fatal("a multipart object echoed a whole-object checksum")
		}
		lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
		must(t, err)
		if len(lu.Uploads) != 0 {
			t.Fatalf("uploads left: %+v", lu.Uploads)
		}
	})

	t.Run("MultipartLowLevel", func(t *testing.T) {
		key := aws.String("mp.bin")
		cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
		must(t, err)
		part := bytes.Repeat([]byte("p"), 100<<10)
		up1, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: key, UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(part)})
		must(t, err)
		up2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: bucket, Key: key, UploadId: cr.UploadId, PartNumber: aws.Int32(2),
			CopySource: aws.String("aws-bucket/dir/hello.txt"), CopySourceRange: aws.String("bytes=0-4")})
		must(t, err)
		lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: key, UploadId: cr.UploadId})
		must(t, err)
		if len(lp.Parts) != 2 || aws.ToInt64(lp.Parts[1].Size) != 5 {
			t.Fatalf("ListParts %+v", lp.Parts)
		}
		lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: bucket})
		must(t, err)
		if len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(cr.UploadId) {
			t.Fatalf("ListMultipartUploads %+v", lu.Uploads)
		}
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: key, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(1), ETag: up1.ETag}, {PartNumber: aws.Int32(2), ETag: up2.CopyPartResult.ETag},
			}}})
		must(t, err)
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: key})
		must(t, err)
		got, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if len(got) != len(part)+5 || string(got[len(part):]) != "hello" {
			t.Fatalf("completed object: %d bytes", len(got))
		}
		cr2, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: key})
		must(t, err)
		_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: key, UploadId: cr2.UploadId})
		must(t, err)
		_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: key, UploadId: cr2.UploadId})
		wantAWSCode(t, err, "NoSuchUpload")
	})

	t.Run("Presign", func(t *testing.T) {
		pc := s3.NewPresignClient(c)
		preq, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("presigned.txt")}, s3.WithPresignExpires(10*time.Minute))
		must(t, err)
		req, _ := http.NewRequestWithContext(ctx, preq.Method, preq.URL, strings.NewReader("presigned body"))
		for k, v := range preq.SignedHeader {
			req.Header[k] = v
		}
		resp, err := s.httpClient().Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("presigned PUT: %d", resp.StatusCode)
		}
		greq, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("presigned.txt")})
		must(t, err)
		resp, err = s.httpClient().Get(greq.URL)
		must(t, err)
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != "presigned body" {
			t.Fatalf("presigned GET: %d %q", resp.StatusCode, got)
		}
	})

	t.Run("Versioning", func(t *testing.T) {
		vb := aws.String("aws-versioned")
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: vb})
		must(t, err)
		_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: vb, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		must(t, err)
		gv, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: vb})
		must(t, err)
		if gv.Status != types.BucketVersioningStatusEnabled {
			t.Fatalf("versioning status %q", gv.Status)
		}
		p1, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: vb, Key: aws.String("v"), Body: strings.NewReader("one")})
		must(t, err)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: vb, Key: aws.String("v"), Body: strings.NewReader("two")})
		must(t, err)
		d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: vb, Key: aws.String("v")})
		must(t, err)
		if !aws.ToBool(d.DeleteMarker) || aws.ToString(d.VersionId) == "" {
			t.Fatalf("delete marker %v %q", aws.ToBool(d.DeleteMarker), aws.ToString(d.VersionId))
		}
		lv, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: vb})
		must(t, err)
		if len(lv.Versions) != 2 || len(lv.DeleteMarkers) != 1 {
			t.Fatalf("versions %d, markers %d", len(lv.Versions), len(lv.DeleteMarkers))
		}
		old, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: vb, Key: aws.String("v"), VersionId: p1.VersionId})
		must(t, err)
		got, _ := io.ReadAll(old.Body)
		old.Body.Close()
		if string(got) != "one" || aws.ToString(old.VersionId) != aws.ToString(p1.VersionId) {
			t.Fatalf("old version %q %q", got, aws.ToString(old.VersionId))
		}
	})

	t.Run("LifecycleAclOverrides", func(t *testing.T) {
		_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: bucket,
			LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
				ID: aws.String("expire-logs"), Status: types.ExpirationStatusEnabled,
				Filter:     &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
				Expiration: &types.LifecycleExpiration{Days: aws.Int32(7)},
			}}}})
		must(t, err)
		lc, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
		must(t, err)
		if len(lc.Rules) != 1 || aws.ToString(lc.Rules[0].Prefix) != "logs/" || aws.ToInt32(lc.Rules[0].Expiration.Days) != 7 {
			t.Fatalf("lifecycle %+v", lc.Rules)
		}
		_, err = c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: bucket})
		must(t, err)
		_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
		wantAWSCode(t, err, "NoSuchLifecycle")

		_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: bucket, Key: aws.String("dir/hello.txt"), ACL: types.ObjectCannedACLPublicRead})
		must(t, err)
		oacl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: bucket, Key: aws.String("dir/hello.txt")})
		must(t, err)
		if len(oacl.Grants) != 2 || oacl.Grants[1].Grantee.Type != types.TypeGroup {
			t.Fatalf("object acl %+v", oacl.Grants)
		}
		resp, _ := s.do(t, mustRequest(t, "GET", s.URL+"/aws-bucket/dir/hello.txt"))
		if resp.StatusCode != 200 {
			t.Fatalf("anonymous read of a public-read object: %d", resp.StatusCode)
		}
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("dir/hello.txt"),
			ResponseContentType: aws.String("application/x-test"), ResponseContentDisposition: aws.String("attachment; filename=x")})
		must(t, err)
		get.Body.Close()
		if aws.ToString(get.ContentType) != "application/x-test" || aws.ToString(get.ContentDisposition) != "attachment; filename=x" {
			t.Fatalf("overrides %q %q", aws.ToString(get.ContentType), aws.ToString(get.ContentDisposition))
		}
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("aws-empty")})
		must(t, err)
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("aws-empty")})
		must(t, err)
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("aws-empty")})
		wantAWSCode(t, err, "NotFound")
	})

	t.Run("WrongSecret", func(t *testing.T) {
		_, err := awsClient(s, "wrong").ListBuckets(ctx, &s3.ListBucketsInput{})
		wantAWSCode(t, err, "SignatureDoesNotMatch")
		_, err = awsClient(s, "wrong").PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("x"), Body: strings.NewReader("x")})
		wantAWSCode(t, err, "SignatureDoesNotMatch")
	})

	if s.obs.count("PutObject") == 0 || s.obs.count("GetObject") == 0 {
		t.Fatalf("observer saw %v", s.obs.ops)
	}
}

// TestAWSSDKPlainHTTP: without TLS the SDK signs the payload's SHA-256 and
// sends the CRC32 in a header; both are verified.
func TestAWSSDKPlainHTTP(t *testing.T) {
	s := newServer(t, false)
	c := awsClient(s, rootSK)
	ctx := t.Context()
	bucket := aws.String("plain")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	must(t, err)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("k"), Body: strings.NewReader("plain body")})
	must(t, err)
	get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("k")})
	must(t, err)
	got, err := io.ReadAll(get.Body)
	get.Body.Close()
	must(t, err)
	if string(got) != "plain body" || aws.ToString(get.ChecksumCRC32) != aws.ToString(put.ChecksumCRC32) || aws.ToString(put.ChecksumCRC32) == "" {
		t.Fatalf("get %q crc %q/%q", got, aws.ToString(get.ChecksumCRC32), aws.ToString(put.ChecksumCRC32))
	}
	// A checksum the body does not match fails and stores nothing.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("bad"), Body: strings.NewReader("x"), ChecksumCRC32: aws.String("AAAAAA==")})
	wantAWSCode(t, err, "BadDigest")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("bad")})
	wantAWSCode(t, err, "NotFound")
}
