package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// wantAWSFailure checks an SDK error's code and HTTP status.
func wantAWSFailure(t *testing.T, err error, status int, code string) {
	t.Helper()
	wantAWSCode(t, err, code)
	if resp, ok := errorsAs[*awshttp.ResponseError](err); !ok || resp.HTTPStatusCode() != status {
		t.Fatalf("%s: want HTTP %d, got %v", code, status, err)
	}
}

// TestAWSSDKConditionalWrites: S3 conditional writes with If-Match (and
// If-None-Match: *) on PutObject and CompleteMultipartUpload, through
// aws-sdk-go-v2 against the real store. A write whose precondition fails
// changes nothing and records no event; a failed completion leaves the
// upload to be completed afterwards.
func TestAWSSDKConditionalWrites(t *testing.T) {
	s := newServer(t, true)
	c := awsClient(s, rootSK)
	ctx := t.Context()
	bucket := aws.String("cond-bucket")
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
	must(t, err)

	events := func() int {
		t.Helper()
		evs, err := s.store.OutboxRead(ctx, 0, 1<<20)
		must(t, err)
		return len(evs)
	}
	put := func(key, body string, ifMatch, ifNoneMatch *string) (*s3.PutObjectOutput, error) {
		return c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: strings.NewReader(body), IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
	}
	content := func(key string) string {
		t.Helper()
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(key)})
		must(t, err)
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		must(t, err)
		return string(b)
	}

	t.Run("PutObject", func(t *testing.T) {
		v1, err := put("obj", "one", nil, nil)
		must(t, err)
		v2, err := put("obj", "two", v1.ETag, nil)
		must(t, err)
		if got := content("obj"); got != "two" {
			t.Fatalf("after a matching If-Match: %q", got)
		}
		n := events()
		_, err = put("obj", "stale", v1.ETag, nil)
		wantAWSFailure(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		_, err = put("missing", "x", v2.ETag, nil)
		wantAWSFailure(t, err, http.StatusNotFound, "NoSuchKey")
		_, err = put("missing", "x", aws.String("*"), nil)
		wantAWSFailure(t, err, http.StatusNotFound, "NoSuchKey")
		_, err = put("obj", "both", v2.ETag, aws.String("*"))
		wantAWSFailure(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		if got := content("obj"); got != "two" || events() != n {
			t.Fatalf("failed conditional writes changed the object (%q) or recorded events (%d, was %d)", got, events(), n)
		}
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String("missing")})
		wantAWSCode(t, err, "NotFound")
		v3, err := put("obj", "three", aws.String(strings.Trim(aws.ToString(v2.ETag), `"`)), nil)
		must(t, err)
		_, err = put("obj", "four", aws.String("*"), nil)
		must(t, err)
		_, err = put("obj", "stale", v3.ETag, nil)
		wantAWSFailure(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		if got := content("obj"); got != "four" {
			t.Fatalf("content %q", got)
		}
	})

	t.Run("DeleteMarker", func(t *testing.T) {
		vb := aws.String("cond-versioned")
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: vb})
		must(t, err)
		_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: vb, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		must(t, err)
		v1, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: vb, Key: aws.String("k"), Body: strings.NewReader("v1")})
		must(t, err)
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: vb, Key: aws.String("k")})
		must(t, err)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: vb, Key: aws.String("k"), Body: strings.NewReader("v2"), IfMatch: v1.ETag})
		wantAWSFailure(t, err, http.StatusNotFound, "NoSuchKey")
		lv, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: vb})
		must(t, err)
		if len(lv.Versions) != 1 || len(lv.DeleteMarkers) != 1 {
			t.Fatalf("versions after the failed write: %d versions, %d delete markers", len(lv.Versions), len(lv.DeleteMarkers))
		}
		// If-None-Match: * holds in a versioned bucket too (as on S3): a
		// delete marker is no current object; a version is.
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: vb, Key: aws.String("k"), Body: strings.NewReader("v3"), IfNoneMatch: aws.String("*")})
		must(t, err)
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: vb, Key: aws.String("k"), Body: strings.NewReader("v4"), IfNoneMatch: aws.String("*")})
		wantAWSFailure(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		lv, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: vb})
		must(t, err)
		if len(lv.Versions) != 2 {
			t.Fatalf("%d versions after If-None-Match: * writes, want 2 (v1, v3)", len(lv.Versions))
		}
	})

	t.Run("CompleteMultipartUpload", func(t *testing.T) {
		v1, err := put("mp", "before", nil, nil)
		must(t, err)
		v2, err := put("mp", "current", nil, nil)
		must(t, err)
		complete := func(key string, id *string, part types.CompletedPart, ifMatch *string) error {
			_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String(key), UploadId: id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{part}}, IfMatch: ifMatch})
			return err
		}
		upload := func(key, data string) (*string, types.CompletedPart) {
			t.Helper()
			cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String(key)})
			must(t, err)
			up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String(key), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
				Body: bytes.NewReader([]byte(data))})
			must(t, err)
			return cr.UploadId, types.CompletedPart{PartNumber: aws.Int32(1), ETag: up.ETag}
		}
		id, part := upload("mp", "assembled")
		idMissing, partMissing := upload("mp-missing", "x")
		n := events()
		wantAWSFailure(t, complete("mp", id, part, v1.ETag), http.StatusPreconditionFailed, "PreconditionFailed")
		wantAWSFailure(t, complete("mp-missing", idMissing, partMissing, v2.ETag), http.StatusNotFound, "NoSuchKey")
		if got := content("mp"); got != "current" || events() != n {
			t.Fatalf("failed completions changed the object (%q) or recorded events (%d, want %d)", got, events(), n)
		}
		lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: bucket, Key: aws.String("mp"), UploadId: id})
		must(t, err)
		if len(lp.Parts) != 1 {
			t.Fatalf("upload after the failed completion: %+v", lp.Parts)
		}
		must(t, complete("mp", id, part, v2.ETag))
		if got := content("mp"); got != "assembled" {
			t.Fatalf("completed object %q", got)
		}
		must(t, complete("mp-missing", idMissing, partMissing, nil))
	})
}

// TestOSSPutObjectConditions: the OSS dialect refuses PutObject
// preconditions with NotImplemented, as OSS documents, rather than writing
// unconditionally.
func TestOSSPutObjectConditions(t *testing.T) {
	s := newServer(t, false)
	now := time.Now()
	if resp, body := s.do(t, s.ossV4Request(t, "PUT", "oss-cond", "", "", now)); resp.StatusCode != 200 {
		t.Fatalf("create bucket: %d %s", resp.StatusCode, body)
	}
	put, body := s.do(t, s.ossV4Request(t, "PUT", "oss-cond", "k", "one", now))
	if put.StatusCode != 200 {
		t.Fatalf("put: %d %s", put.StatusCode, body)
	}
	for _, h := range []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		v := put.Header.Get("ETag")
		if strings.HasSuffix(h, "Since") {
			v = now.UTC().Format(http.TimeFormat)
		}
		resp, body := s.do(t, s.ossV4Request(t, "PUT", "oss-cond", "k", "two", now, h, v))
		if e := parseRawError(t, body); resp.StatusCode != http.StatusNotImplemented || e.Code != "NotImplemented" {
			t.Fatalf("PUT with %s: %d %s", h, resp.StatusCode, body)
		}
	}
	if resp, body := s.do(t, s.ossV4Request(t, "GET", "oss-cond", "k", "", now)); string(body) != "one" {
		t.Fatalf("object after refused writes: %d %q", resp.StatusCode, body)
	}
}
