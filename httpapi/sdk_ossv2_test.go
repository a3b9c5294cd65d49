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

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// ossV2Client is an alibabacloud-oss-go-sdk-v2 client: V4 signatures, CRC-64
// checks on (the defaults), path style unless virtual is set (then
// "<bucket>.oss.test", dialled to the test listener).
func ossV2Client(s *testServer, secret string, virtual bool) *ossv2.Client {
	endpoint := s.URL
	if virtual {
		endpoint = "http://" + domain + ":" + s.URL[strings.LastIndex(s.URL, ":")+1:]
	}
	var creds credentials.CredentialsProvider = credentials.NewStaticCredentialsProvider(rootAK, secret)
	if secret == "" {
		creds = credentials.NewAnonymousCredentialsProvider()
	}
	cfg := ossv2.LoadDefaultConfig().
		WithCredentialsProvider(creds).
		WithRegion(region).
		WithEndpoint(endpoint).
		WithUsePathStyle(!virtual).
		WithSignatureVersion(ossv2.SignatureVersionV4).
		WithHttpClient(s.httpClient()).
		WithRetryMaxAttempts(1)
	return ossv2.NewClient(cfg)
}

func ossV2Code(err error) (string, int) {
	if se, ok := errorsAs[*ossv2.ServiceError](err); ok {
		return se.Code, se.StatusCode
	}
	return "", 0
}

func wantOSSV2Code(t *testing.T, err error, code string, status int) *ossv2.ServiceError {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %s, got success", code)
	}
	se, ok := errorsAs[*ossv2.ServiceError](err)
	if !ok || se.Code != code || se.StatusCode != status {
		t.Fatalf("expected %d %s, got %v", status, code, err)
	}
	if se.EC == "" && status != http.StatusNotModified {
		t.Fatalf("%s without EC", code)
	}
	return se
}

func TestOSSSDKV2(t *testing.T) {
	s := newServer(t, false)
	c := ossV2Client(s, rootSK, false)
	ctx := t.Context()
	bucket := ossv2.Ptr("oss-v2-bucket")

	_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: bucket, Acl: ossv2.BucketACLPrivate,
		CreateBucketConfiguration: &ossv2.CreateBucketConfiguration{StorageClass: ossv2.StorageClassStandard}})
	must(t, err)

	t.Run("Bucket", func(t *testing.T) {
		info, err := c.GetBucketInfo(ctx, &ossv2.GetBucketInfoRequest{Bucket: bucket})
		must(t, err)
		if ossv2.ToString(info.BucketInfo.Name) != "oss-v2-bucket" || ossv2.ToString(info.BucketInfo.Location) != "oss-"+region ||
			ossv2.ToString(info.BucketInfo.ACL) != "private" || info.BucketInfo.CreationDate == nil {
			t.Fatalf("bucket info %+v", info.BucketInfo)
		}
		loc, err := c.GetBucketLocation(ctx, &ossv2.GetBucketLocationRequest{Bucket: bucket})
		must(t, err)
		if ossv2.ToString(loc.LocationConstraint) != "oss-"+region {
			t.Fatalf("location %q", ossv2.ToString(loc.LocationConstraint))
		}
		_, err = c.PutBucketAcl(ctx, &ossv2.PutBucketAclRequest{Bucket: bucket, Acl: ossv2.BucketACLPublicRead})
		must(t, err)
		acl, err := c.GetBucketAcl(ctx, &ossv2.GetBucketAclRequest{Bucket: bucket})
		must(t, err)
		if ossv2.ToString(acl.ACL) != "public-read" {
			t.Fatalf("acl %q", ossv2.ToString(acl.ACL))
		}
		_, err = c.PutBucketAcl(ctx, &ossv2.PutBucketAclRequest{Bucket: bucket, Acl: ossv2.BucketACLPrivate})
		must(t, err)
		ok, err := c.IsBucketExist(ctx, "oss-v2-bucket")
		must(t, err)
		ok2, err := c.IsBucketExist(ctx, "no-such-bucket")
		must(t, err)
		if !ok || ok2 {
			t.Fatalf("IsBucketExist %v %v", ok, ok2)
		}
		var names []string
		p := c.NewListBucketsPaginator(&ossv2.ListBucketsRequest{})
		for p.HasNext() {
			page, err := p.NextPage(ctx)
			must(t, err)
			for _, b := range page.Buckets {
				names = append(names, ossv2.ToString(b.Name))
			}
		}
		if len(names) != 1 || names[0] != "oss-v2-bucket" {
			t.Fatalf("buckets %v", names)
		}
		_, err = c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: bucket})
		wantOSSV2Code(t, err, "BucketAlreadyExists", 409)
		_, err = c.GetBucketInfo(ctx, &ossv2.GetBucketInfoRequest{Bucket: ossv2.Ptr("no-such-bucket")})
		wantOSSV2Code(t, err, "NoSuchBucket", 404)
	})

	t.Run("Objects", func(t *testing.T) {
		body := []byte("hi oss")
		put, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"), Body: bytes.NewReader(body),
			Metadata: map[string]string{"Owner": "bob"}, Tagging: ossv2.Ptr("t1=a&t2=b"), ContentType: ossv2.Ptr("text/plain")})
		must(t, err)
		if ossv2.ToString(put.HashCRC64) != "8707180448768400016" {
			t.Fatalf("put crc64 %q", ossv2.ToString(put.HashCRC64))
		}
		get, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt")})
		must(t, err)
		got, err := io.ReadAll(get.Body) // the SDK checks the CRC-64 at EOF
		get.Body.Close()
		must(t, err)
		if string(got) != "hi oss" || get.Metadata["owner"] != "bob" || get.TaggingCount != 2 || ossv2.ToString(get.ObjectType) != "Normal" {
			t.Fatalf("get %q meta %v tags %d type %q", got, get.Metadata, get.TaggingCount, ossv2.ToString(get.ObjectType))
		}
		head, err := c.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt")})
		must(t, err)
		if head.ContentLength != 6 || ossv2.ToString(head.ETag) != ossv2.ToString(put.ETag) || ossv2.ToString(head.ContentType) != "text/plain" {
			t.Fatalf("head %+v", head)
		}
		meta, err := c.GetObjectMeta(ctx, &ossv2.GetObjectMetaRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt")})
		must(t, err)
		if meta.ContentLength != 6 || ossv2.ToString(meta.HashCRC64) != "8707180448768400016" {
			t.Fatalf("object meta %+v", meta)
		}
		exists, err := c.IsObjectExist(ctx, "oss-v2-bucket", "dir/hi.txt")
		must(t, err)
		missing, err := c.IsObjectExist(ctx, "oss-v2-bucket", "nope")
		must(t, err)
		if !exists || missing {
			t.Fatalf("IsObjectExist %v %v", exists, missing)
		}

		rng, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"), Range: ossv2.Ptr("bytes=3-")})
		must(t, err)
		part, _ := io.ReadAll(rng.Body)
		rng.Body.Close()
		if string(part) != "oss" || ossv2.ToString(rng.ContentRange) != "bytes 3-5/6" {
			t.Fatalf("range %q %q", part, ossv2.ToString(rng.ContentRange))
		}
		whole, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"), Range: ossv2.Ptr("bytes=10-20")})
		must(t, err)
		part, _ = io.ReadAll(whole.Body)
		whole.Body.Close()
		if string(part) != "hi oss" || whole.StatusCode != 200 {
			t.Fatalf("unsatisfiable range without standard behaviour: %d %q", whole.StatusCode, part)
		}
		_, err = c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"), Range: ossv2.Ptr("bytes=10-20"), RangeBehavior: ossv2.Ptr("standard")})
		wantOSSV2Code(t, err, "InvalidRange", 416)
		_, err = c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"), IfNoneMatch: put.ETag})
		if _, status := ossV2Code(err); status != http.StatusNotModified {
			t.Fatalf("If-None-Match: want 304, got %v", err)
		}
		_, err = c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"), IfMatch: ossv2.Ptr(`"0"`)})
		wantOSSV2Code(t, err, "PreconditionFailed", 412)
		_, err = c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/missing")})
		wantOSSV2Code(t, err, "NoSuchKey", 404)
		se := wantOSSV2Code(t, nil2(c.HeadObject(ctx, &ossv2.HeadObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/missing")})), "NoSuchKey", 404)
		if se.EC != "0026-00000001" {
			t.Fatalf("HEAD error EC %q (from x-oss-err)", se.EC)
		}
		_, err = c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("bad-md5"), Body: bytes.NewReader(body), ContentMD5: ossv2.Ptr("1B2M2Y8AsgTpgAmY7PhCfg==")})
		wantOSSV2Code(t, err, "InvalidDigest", 400)
		_, err = c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"), Body: bytes.NewReader(body), ForbidOverwrite: ossv2.Ptr("true")})
		wantOSSV2Code(t, err, "FileAlreadyExists", 409)
		_, err = c.DeleteBucket(ctx, &ossv2.DeleteBucketRequest{Bucket: bucket})
		wantOSSV2Code(t, err, "BucketNotEmpty", 409)
	})

	t.Run("Listing", func(t *testing.T) {
		keys := []string{"l/a b.txt", "l/c+d.txt", "l/sub/e.txt", "l/中文.txt"}
		for _, k := range keys {
			_, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr(k), Body: strings.NewReader(k)})
			must(t, err)
		}
		var got []string
		p := c.NewListObjectsV2Paginator(&ossv2.ListObjectsV2Request{Bucket: bucket, Prefix: ossv2.Ptr("l/"), MaxKeys: 2})
		for p.HasNext() {
			page, err := p.NextPage(ctx)
			must(t, err)
			for _, o := range page.Contents {
				got = append(got, ossv2.ToString(o.Key))
			}
		}
		if strings.Join(got, "|") != strings.Join(keys, "|") {
			t.Fatalf("V2 listing %q", got)
		}
		got = nil
		var prefixes []string
		p1 := c.NewListObjectsPaginator(&ossv2.ListObjectsRequest{Bucket: bucket, Prefix: ossv2.Ptr("l/"), Delimiter: ossv2.Ptr("/"), MaxKeys: 1})
		for p1.HasNext() {
			page, err := p1.NextPage(ctx)
			must(t, err)
			for _, o := range page.Contents {
				got = append(got, ossv2.ToString(o.Key))
			}
			for _, cp := range page.CommonPrefixes {
				prefixes = append(prefixes, ossv2.ToString(cp.Prefix))
			}
		}
		if len(got) != 3 || len(prefixes) != 1 || prefixes[0] != "l/sub/" {
			t.Fatalf("V1 listing %q %q", got, prefixes)
		}
		del, err := c.DeleteMultipleObjects(ctx, &ossv2.DeleteMultipleObjectsRequest{Bucket: bucket, Objects: []ossv2.DeleteObject{
			{Key: ossv2.Ptr("l/a b.txt")}, {Key: ossv2.Ptr("l/c+d.txt")},
		}})
		must(t, err)
		if len(del.DeletedObjects) != 2 || ossv2.ToString(del.DeletedObjects[0].Key) != "l/a b.txt" {
			t.Fatalf("deleted %+v", del.DeletedObjects)
		}
		_, err = c.DeleteObject(ctx, &ossv2.DeleteObjectRequest{Bucket: bucket, Key: ossv2.Ptr("l/sub/e.txt")})
		must(t, err)
	})

	t.Run("Append", func(t *testing.T) {
		key := ossv2.Ptr("append.log")
		r1, err := c.AppendObject(ctx, &ossv2.AppendObjectRequest{Bucket: bucket, Key: key, Position: ossv2.Ptr(int64(0)), Body: strings.NewReader("hello "), InitHashCRC64: ossv2.Ptr("0")})
		must(t, err)
		if r1.NextPosition != 6 {
			t.Fatalf("next position %d", r1.NextPosition)
		}
		_, err = c.AppendObject(ctx, &ossv2.AppendObjectRequest{Bucket: bucket, Key: key, Position: ossv2.Ptr(int64(6)), Body: strings.NewReader("world"), InitHashCRC64: r1.HashCRC64})
		must(t, err)
		_, err = c.AppendObject(ctx, &ossv2.AppendObjectRequest{Bucket: bucket, Key: key, Position: ossv2.Ptr(int64(3)), Body: strings.NewReader("x")})
		se := wantOSSV2Code(t, err, "PositionNotEqualToLength", 409)
		if se.Headers.Get("X-Oss-Next-Append-Position") != "11" {
			t.Fatalf("next position on conflict %q", se.Headers.Get("X-Oss-Next-Append-Position"))
		}
		f, err := c.AppendFile(ctx, "oss-v2-bucket", "append.log")
		must(t, err)
		_, err = f.Write([]byte("!"))
		must(t, err)
		must(t, f.Close())
		get, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: key})
		must(t, err)
		got, err := io.ReadAll(get.Body)
		get.Body.Close()
		must(t, err)
		if string(got) != "hello world!" || ossv2.ToString(get.ObjectType) != "Appendable" {
			t.Fatalf("appended object %q type %q", got, ossv2.ToString(get.ObjectType))
		}
		_, err = c.AppendObject(ctx, &ossv2.AppendObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"), Position: ossv2.Ptr(int64(6)), Body: strings.NewReader("x")})
		wantOSSV2Code(t, err, "ObjectNotAppendable", 409)
	})

	t.Run("CopySymlinkTagging", func(t *testing.T) {
		cp, err := c.CopyObject(ctx, &ossv2.CopyObjectRequest{Bucket: bucket, Key: ossv2.Ptr("copy.txt"), SourceBucket: bucket, SourceKey: ossv2.Ptr("dir/hi.txt")})
		must(t, err)
		if ossv2.ToString(cp.ETag) == "" {
			t.Fatal("copy without ETag")
		}
		_, err = c.PutSymlink(ctx, &ossv2.PutSymlinkRequest{Bucket: bucket, Key: ossv2.Ptr("link"), Target: ossv2.Ptr("copy.txt")})
		must(t, err)
		sl, err := c.GetSymlink(ctx, &ossv2.GetSymlinkRequest{Bucket: bucket, Key: ossv2.Ptr("link")})
		must(t, err)
		if ossv2.ToString(sl.Target) != "copy.txt" {
			t.Fatalf("symlink target %q", ossv2.ToString(sl.Target))
		}
		get, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("link")})
		must(t, err)
		got, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if string(got) != "hi oss" {
			t.Fatalf("through symlink %q", got)
		}
		_, err = c.PutObjectTagging(ctx, &ossv2.PutObjectTaggingRequest{Bucket: bucket, Key: ossv2.Ptr("copy.txt"),
			Tagging: &ossv2.Tagging{TagSet: &ossv2.TagSet{Tags: []ossv2.Tag{{Key: ossv2.Ptr("x"), Value: ossv2.Ptr("y")}}}}})
		must(t, err)
		tg, err := c.GetObjectTagging(ctx, &ossv2.GetObjectTaggingRequest{Bucket: bucket, Key: ossv2.Ptr("copy.txt")})
		must(t, err)
		if len(tg.Tags) != 1 || ossv2.ToString(tg.Tags[0].Value) != "y" {
			t.Fatalf("tags %+v", tg.Tags)
		}
		_, err = c.DeleteObjectTagging(ctx, &ossv2.DeleteObjectTaggingRequest{Bucket: bucket, Key: ossv2.Ptr("copy.txt")})
		must(t, err)
		_, err = c.PutObjectAcl(ctx, &ossv2.PutObjectAclRequest{Bucket: bucket, Key: ossv2.Ptr("copy.txt"), Acl: ossv2.ObjectACLPublicRead})
		must(t, err)
		oacl, err := c.GetObjectAcl(ctx, &ossv2.GetObjectAclRequest{Bucket: bucket, Key: ossv2.Ptr("copy.txt")})
		must(t, err)
		if ossv2.ToString(oacl.ACL) != "public-read" {
			t.Fatalf("object acl %q", ossv2.ToString(oacl.ACL))
		}
	})

	t.Run("Multipart", func(t *testing.T) {
		data := make([]byte, 2<<20+777)
		rand.Read(data)
		path := filepath.Join(t.TempDir(), "up.bin")
		must(t, os.WriteFile(path, data, 0o600))
		up := c.NewUploader(func(o *ossv2.UploaderOptions) { o.PartSize = 512 << 10; o.ParallelNum = 3 })
		res, err := up.UploadFile(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("mp/up.bin")}, path)
		must(t, err) // the uploader checks the combined CRC-64 against the completion's
		if !strings.HasSuffix(ossv2.ToString(res.ETag), `-5"`) {
			t.Fatalf("multipart etag %s", ossv2.ToString(res.ETag))
		}
		dst := filepath.Join(t.TempDir(), "down.bin")
		_, err = c.NewDownloader(func(o *ossv2.DownloaderOptions) { o.PartSize = 300 << 10 }).DownloadFile(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("mp/up.bin")}, dst)
		must(t, err)
		back, _ := os.ReadFile(dst)
		if !bytes.Equal(back, data) {
			t.Fatal("downloaded data differs")
		}

		init, err := c.InitiateMultipartUpload(ctx, &ossv2.InitiateMultipartUploadRequest{Bucket: bucket, Key: ossv2.Ptr("mp/manual bin")})
		must(t, err)
		p1, err := c.UploadPart(ctx, &ossv2.UploadPartRequest{Bucket: bucket, Key: ossv2.Ptr("mp/manual bin"), UploadId: init.UploadId, PartNumber: 1, Body: bytes.NewReader(data[:100<<10])})
		must(t, err)
		p2, err := c.UploadPartCopy(ctx, &ossv2.UploadPartCopyRequest{Bucket: bucket, Key: ossv2.Ptr("mp/manual bin"), UploadId: init.UploadId, PartNumber: 2,
			SourceBucket: bucket, SourceKey: ossv2.Ptr("dir/hi.txt"), Range: ossv2.Ptr("bytes=0-1")})
		must(t, err)
		lp, err := c.ListParts(ctx, &ossv2.ListPartsRequest{Bucket: bucket, Key: ossv2.Ptr("mp/manual bin"), UploadId: init.UploadId})
		must(t, err)
		if len(lp.Parts) != 2 || ossv2.ToString(lp.Key) != "mp/manual bin" {
			t.Fatalf("parts %+v key %q", lp.Parts, ossv2.ToString(lp.Key))
		}
		lu, err := c.ListMultipartUploads(ctx, &ossv2.ListMultipartUploadsRequest{Bucket: bucket})
		must(t, err)
		if len(lu.Uploads) != 1 || ossv2.ToString(lu.Uploads[0].Key) != "mp/manual bin" {
			t.Fatalf("uploads %+v", lu.Uploads)
		}
		_, err = c.CompleteMultipartUpload(ctx, &ossv2.CompleteMultipartUploadRequest{Bucket: bucket, Key: ossv2.Ptr("mp/manual bin"), UploadId: init.UploadId,
			CompleteMultipartUpload: &ossv2.CompleteMultipartUpload{Parts: []ossv2.UploadPart{
				{PartNumber: 1, ETag: p1.ETag}, {PartNumber: 2, ETag: p2.ETag},
			}}})
		must(t, err)
		init2, err := c.InitiateMultipartUpload(ctx, &ossv2.InitiateMultipartUploadRequest{Bucket: bucket, Key: ossv2.Ptr("mp/all")})
		must(t, err)
		_, err = c.UploadPart(ctx, &ossv2.UploadPartRequest{Bucket: bucket, Key: ossv2.Ptr("mp/all"), UploadId: init2.UploadId, PartNumber: 1, Body: strings.NewReader("only part")})
		must(t, err)
		_, err = c.CompleteMultipartUpload(ctx, &ossv2.CompleteMultipartUploadRequest{Bucket: bucket, Key: ossv2.Ptr("mp/all"), UploadId: init2.UploadId, CompleteAll: ossv2.Ptr("yes")})
		must(t, err)
		init3, err := c.InitiateMultipartUpload(ctx, &ossv2.InitiateMultipartUploadRequest{Bucket: bucket, Key: ossv2.Ptr("mp/abort")})
		must(t, err)
		_, err = c.AbortMultipartUpload(ctx, &ossv2.AbortMultipartUploadRequest{Bucket: bucket, Key: ossv2.Ptr("mp/abort"), UploadId: init3.UploadId})
		must(t, err)
		_, err = c.ListParts(ctx, &ossv2.ListPartsRequest{Bucket: bucket, Key: ossv2.Ptr("mp/abort"), UploadId: init3.UploadId})
		wantOSSV2Code(t, err, "NoSuchUpload", 404)
	})

	t.Run("Versioning", func(t *testing.T) {
		vb := ossv2.Ptr("oss-v2-versioned")
		_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: vb})
		must(t, err)
		_, err = c.PutBucketVersioning(ctx, &ossv2.PutBucketVersioningRequest{Bucket: vb, VersioningConfiguration: &ossv2.VersioningConfiguration{Status: ossv2.VersionEnabled}})
		must(t, err)
		gv, err := c.GetBucketVersioning(ctx, &ossv2.GetBucketVersioningRequest{Bucket: vb})
		must(t, err)
		if ossv2.ToString(gv.VersionStatus) != "Enabled" {
			t.Fatalf("versioning %q", ossv2.ToString(gv.VersionStatus))
		}
		for _, v := range []string{"1", "2"} {
			_, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: vb, Key: ossv2.Ptr("k"), Body: strings.NewReader(v)})
			must(t, err)
		}
		d, err := c.DeleteObject(ctx, &ossv2.DeleteObjectRequest{Bucket: vb, Key: ossv2.Ptr("k")})
		must(t, err)
		if !d.DeleteMarker {
			t.Fatal("no delete marker")
		}
		var versions, markers int
		p := c.NewListObjectVersionsPaginator(&ossv2.ListObjectVersionsRequest{Bucket: vb})
		for p.HasNext() {
			page, err := p.NextPage(ctx)
			must(t, err)
			versions += len(page.ObjectVersions)
			markers += len(page.ObjectDeleteMarkers)
		}
		if versions != 2 || markers != 1 {
			t.Fatalf("versions %d markers %d", versions, markers)
		}
	})

	t.Run("Lifecycle", func(t *testing.T) {
		_, err := c.PutBucketLifecycle(ctx, &ossv2.PutBucketLifecycleRequest{Bucket: bucket, LifecycleConfiguration: &ossv2.LifecycleConfiguration{Rules: []ossv2.LifecycleRule{{
			ID: ossv2.Ptr("r1"), Prefix: ossv2.Ptr("logs/"), Status: ossv2.Ptr("Enabled"), Expiration: &ossv2.LifecycleRuleExpiration{Days: ossv2.Ptr(int32(7))},
		}}}})
		must(t, err)
		lc, err := c.GetBucketLifecycle(ctx, &ossv2.GetBucketLifecycleRequest{Bucket: bucket})
		must(t, err)
		if len(lc.LifecycleConfiguration.Rules) != 1 || ossv2.ToString(lc.LifecycleConfiguration.Rules[0].Prefix) != "logs/" {
			t.Fatalf("lifecycle %+v", lc.LifecycleConfiguration)
		}
		_, err = c.DeleteBucketLifecycle(ctx, &ossv2.DeleteBucketLifecycleRequest{Bucket: bucket})
		must(t, err)
		_, err = c.GetBucketLifecycle(ctx, &ossv2.GetBucketLifecycleRequest{Bucket: bucket})
		wantOSSV2Code(t, err, "NoSuchLifecycle", 404)
	})

	t.Run("OverridesAndDeleteBucket", func(t *testing.T) {
		get, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt"),
			ResponseContentType: ossv2.Ptr("application/x-test"), ResponseCacheControl: ossv2.Ptr("no-store")})
		must(t, err)
		get.Body.Close()
		if ossv2.ToString(get.ContentType) != "application/x-test" || get.Headers.Get("Cache-Control") != "no-store" {
			t.Fatalf("overrides %q %q", ossv2.ToString(get.ContentType), get.Headers.Get("Cache-Control"))
		}
		_, err = c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("oss-v2-empty")})
		must(t, err)
		_, err = c.DeleteBucket(ctx, &ossv2.DeleteBucketRequest{Bucket: ossv2.Ptr("oss-v2-empty")})
		must(t, err)
		_, err = c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("metrics")})
		wantOSSV2Code(t, err, "InvalidBucketName", 400)
	})

	t.Run("Stat", func(t *testing.T) {
		st, err := c.GetBucketStat(ctx, &ossv2.GetBucketStatRequest{Bucket: bucket})
		must(t, err)
		if st.ObjectCount == 0 || st.Storage == 0 {
			t.Fatalf("stat %+v", st)
		}
	})

	t.Run("Presign", func(t *testing.T) {
		pr, err := c.Presign(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt")}, ossv2.PresignExpires(10*time.Minute))
		must(t, err)
		resp, err := s.httpClient().Get(pr.URL)
		must(t, err)
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != "hi oss" {
			t.Fatalf("presigned GET %d %q", resp.StatusCode, got)
		}
		pp, err := c.Presign(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("presigned-put")})
		must(t, err)
		req, _ := http.NewRequestWithContext(ctx, pp.Method, pp.URL, strings.NewReader("put via url"))
		for k, v := range pp.SignedHeaders {
			req.Header.Set(k, v)
		}
		resp, err = s.httpClient().Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("presigned PUT %d", resp.StatusCode)
		}
	})

	t.Run("VirtualHosted", func(t *testing.T) {
		vc := ossV2Client(s, rootSK, true)
		_, err := vc.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("vh/obj"), Body: strings.NewReader("virtual")})
		must(t, err)
		get, err := vc.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("vh/obj")})
		must(t, err)
		got, _ := io.ReadAll(get.Body)
		get.Body.Close()
		if string(got) != "virtual" {
			t.Fatalf("virtual-hosted get %q", got)
		}
		res, err := vc.ListObjectsV2(ctx, &ossv2.ListObjectsV2Request{Bucket: bucket, Prefix: ossv2.Ptr("vh/")})
		must(t, err)
		if len(res.Contents) != 1 {
			t.Fatalf("virtual-hosted listing %+v", res.Contents)
		}
	})

	t.Run("AuthErrors", func(t *testing.T) {
		_, err := ossV2Client(s, "wrong-secret", false).GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt")})
		se := wantOSSV2Code(t, err, "SignatureDoesNotMatch", 403)
		if se.EC != "0002-00000040" {
			t.Fatalf("EC %q", se.EC)
		}
		anon := ossV2Client(s, "", false)
		_, err = anon.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt")})
		wantOSSV2Code(t, err, "AccessDenied", 403)
		_, err = anon.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("anon"), Body: strings.NewReader("x")})
		wantOSSV2Code(t, err, "AccessDenied", 403)
		_, err = c.PutBucketAcl(ctx, &ossv2.PutBucketAclRequest{Bucket: bucket, Acl: ossv2.BucketACLPublicRead})
		must(t, err)
		get, err := anon.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: bucket, Key: ossv2.Ptr("dir/hi.txt")})
		must(t, err)
		get.Body.Close()
		_, err = anon.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("anon"), Body: strings.NewReader("x")})
		wantOSSV2Code(t, err, "AccessDenied", 403)
		_, err = c.PutBucketAcl(ctx, &ossv2.PutBucketAclRequest{Bucket: bucket, Acl: ossv2.BucketACLPublicReadWrite})
		must(t, err)
		_, err = anon.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: bucket, Key: ossv2.Ptr("anon"), Body: strings.NewReader("x")})
		must(t, err)
		_, err = c.PutBucketAcl(ctx, &ossv2.PutBucketAclRequest{Bucket: bucket, Acl: ossv2.BucketACLPrivate})
		must(t, err)
	})
}

// nil2 keeps the error of a two-value call.
func nil2[T any](_ T, err error) error { return err }
