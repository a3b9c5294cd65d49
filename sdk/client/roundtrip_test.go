package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server/servertest"
)

func newTestClient(t *testing.T) (*client.Client, *servertest.Instance) {
	t.Helper()
	ts := servertest.Start(t)
	c, err := client.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	return c, ts
}

func mustPut(t *testing.T, c *client.Client, bucket, key, body string) client.ObjectInfo {
	t.Helper()
	info, err := c.PutObject(context.Background(), bucket, key, strings.NewReader(body), int64(len(body)), nil)
	if err != nil {
		t.Fatalf("PutObject(%q): %v", key, err)
	}
	return info
}

func readAll(t *testing.T, c *client.Client, bucket, key string, opts *client.GetOptions) (string, client.ObjectInfo) {
	t.Helper()
	rc, info, err := c.GetObject(context.Background(), bucket, key, opts)
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return string(b), info
}

func TestBucketsRoundTrip(t *testing.T) {
	c, _ := newTestClient(t)
	ctx := context.Background()
	for _, b := range []string{"bkt-b", "bkt-a"} {
		if err := c.CreateBucket(ctx, b, &client.BucketOptions{ACL: "private"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.CreateBucket(ctx, "bkt-a", nil); !client.IsCode(err, "BucketAlreadyExists") {
		t.Fatalf("duplicate CreateBucket = %v", err)
	}
	if err := c.CreateBucket(ctx, "Bad_Name", nil); !client.IsCode(err, "InvalidBucketName") {
		t.Fatalf("CreateBucket(Bad_Name) = %v", err)
	}
	list, err := c.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range list {
		names = append(names, b.Name)
		if b.CreationDate.IsZero() {
			t.Errorf("bucket %s has no creation date", b.Name)
		}
	}
	if !slices.Equal(names, []string{"bkt-a", "bkt-b"}) {
		t.Fatalf("ListBuckets = %v", names)
	}
	mustPut(t, c, "bkt-a", "x", "x")
	if err := c.DeleteBucket(ctx, "bkt-a"); !client.IsCode(err, "BucketNotEmpty") {
		t.Fatalf("DeleteBucket(non-empty) = %v", err)
	}
	if err := c.DeleteObject(ctx, "bkt-a", "x"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBucket(ctx, "bkt-a"); err != nil {
		t.Fatal(err)
	}
	var ce *client.Error
	err = c.DeleteBucket(ctx, "bkt-a")
	if !errors.As(err, &ce) || ce.StatusCode != 404 || ce.Code != "NoSuchBucket" || ce.RequestID == "" || ce.EC == "" {
		t.Fatalf("DeleteBucket(missing) = %#v", err)
	}
}

func TestObjectsRoundTrip(t *testing.T) {
	c, _ := newTestClient(t)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "objs", nil); err != nil {
		t.Fatal(err)
	}
	put, err := c.PutObject(ctx, "objs", "greeting.txt", strings.NewReader("hello, ossflow"), 14, &client.PutOptions{
		ContentType: "text/plain",
		Metadata:    map[string]string{"Author": "alice"},
		Tags:        map[string]string{"team": "storage"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if put.ETag == "" || !put.HasCRC64 {
		t.Fatalf("PutObject info %+v lacks ETag or CRC", put)
	}

	tests := []struct {
		name string
		opts *client.GetOptions
		want string
	}{
		{"whole", nil, "hello, ossflow"},
		{"range", &client.GetOptions{Range: &client.Range{Start: 7, End: 13}}, "ossflow"},
		{"open range", &client.GetOptions{Range: &client.Range{Start: 7, End: -1}}, "ossflow"},
		{"if-match", &client.GetOptions{IfMatch: put.ETag}, "hello, ossflow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, info := readAll(t, c, "objs", "greeting.txt", tt.opts)
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if info.Size != 14 || info.ETag != put.ETag {
				t.Fatalf("info %+v", info)
			}
		})
	}
	if _, _, err := c.GetObject(ctx, "objs", "greeting.txt", &client.GetOptions{IfNoneMatch: put.ETag}); !client.IsCode(err, "NotModified") {
		t.Fatalf("If-None-Match = %v, want NotModified", err)
	}
	if _, _, err := c.GetObject(ctx, "objs", "greeting.txt", &client.GetOptions{IfMatch: `"0000"`}); !client.IsCode(err, "PreconditionFailed") {
		t.Fatalf("If-Match mismatch = %v, want PreconditionFailed", err)
	}

	head, err := c.HeadObject(ctx, "objs", "greeting.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if head.Size != 14 || head.ContentType != "text/plain" || head.Metadata["author"] != "alice" || head.CRC64 != put.CRC64 || head.Type != "Normal" {
		t.Fatalf("HeadObject = %+v", head)
	}
	if _, err := c.HeadObject(ctx, "objs", "missing", nil); !client.IsCode(err, "NoSuchKey") {
		t.Fatalf("HeadObject(missing) = %v, want NoSuchKey from x-oss-err", err)
	}

	cp, err := c.CopyObject(ctx, "objs", "greeting.txt", "objs", "copy.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.ETag != put.ETag {
		t.Fatalf("copy ETag %s, want %s", cp.ETag, put.ETag)
	}
	if got, info := readAll(t, c, "objs", "copy.txt", nil); got != "hello, ossflow" || info.Metadata["author"] != "alice" {
		t.Fatalf("copy = %q %+v", got, info)
	}
	if _, err := c.CopyObject(ctx, "objs", "greeting.txt", "objs", "replaced.txt", &client.CopyOptions{Replace: true, Put: client.PutOptions{ContentType: "text/x-new"}}); err != nil {
		t.Fatal(err)
	}
	if info, err := c.HeadObject(ctx, "objs", "replaced.txt", nil); err != nil || info.ContentType != "text/x-new" || info.Metadata["author"] != "" {
		t.Fatalf("replaced copy: %+v %v", info, err)
	}

	if _, err := c.PutObject(ctx, "objs", "greeting.txt", strings.NewReader("x"), 1, &client.PutOptions{ForbidOverwrite: true}); !client.IsCode(err, "FileAlreadyExists") {
		t.Fatalf("forbid-overwrite = %v", err)
	}

	// Unknown length (chunked) upload.
	if _, err := c.PutObject(ctx, "objs", "chunked", io.MultiReader(strings.NewReader("abc"), strings.NewReader("def")), -1, nil); err != nil {
		t.Fatalf("chunked PutObject: %v", err)
	}
	if got, _ := readAll(t, c, "objs", "chunked", nil); got != "abcdef" {
		t.Fatalf("chunked = %q", got)
	}

	deleted, err := c.DeleteObjects(ctx, "objs", []string{"copy.txt", "replaced.txt", "never-existed"})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(deleted)
	if !slices.Equal(deleted, []string{"copy.txt", "never-existed", "replaced.txt"}) {
		t.Fatalf("DeleteObjects = %v", deleted)
	}
	if _, err := c.HeadObject(ctx, "objs", "copy.txt", nil); !client.IsCode(err, "NoSuchKey") {
		t.Fatalf("copy.txt after DeleteObjects: %v", err)
	}
}

func TestAwkwardKeys(t *testing.T) {
	c, _ := newTestClient(t)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "keys", nil); err != nil {
		t.Fatal(err)
	}
	keys := []string{"a b", "plus+sign", "pct%20literal", "unicode/日本語", "q?mark#hash", "semi;colon=eq&amp", "tilde~_-.", "trailing/", "dots/../x", "a//b"}
	for _, k := range keys {
		mustPut(t, c, "keys", k, "v:"+k)
	}
	for _, k := range keys {
		if got, _ := readAll(t, c, "keys", k, nil); got != "v:"+k {
			t.Errorf("key %q read back %q", k, got)
		}
	}
	var listed []string
	for e, err := range c.Objects(ctx, "keys", nil) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, e.Key)
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Fatalf("listed %q\nwant   %q", listed, want)
	}
	if _, err := c.DeleteObjects(ctx, "keys", keys); err != nil {
		t.Fatal(err)
	}
}

func TestListingPages(t *testing.T) {
	c, _ := newTestClient(t)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "pages", nil); err != nil {
		t.Fatal(err)
	}
	all := []string{"a/1", "a/2", "a/b/3", "b/1", "c", "d", "e"}
	for _, k := range all {
		mustPut(t, c, "pages", k, k)
	}
	tests := []struct {
		name string
		opts client.ListOptions
		want []string // prefixes end in "/"
	}{
		{"everything, 2 per page", client.ListOptions{MaxKeys: 2}, all},
		{"one level", client.ListOptions{Delimiter: "/", MaxKeys: 2}, []string{"a/", "b/", "c", "d", "e"}},
		{"prefix one level", client.ListOptions{Prefix: "a/", Delimiter: "/"}, []string{"a/1", "a/2", "a/b/"}},
		{"start after", client.ListOptions{StartAfter: "c", MaxKeys: 1}, []string{"d", "e"}},
		{"no match", client.ListOptions{Prefix: "zzz"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for e, err := range c.Objects(ctx, "pages", &tt.opts) {
				if err != nil {
					t.Fatal(err)
				}
				if e.IsPrefix != strings.HasSuffix(e.Key, "/") {
					t.Fatalf("entry %+v: IsPrefix wrong", e)
				}
				if !e.IsPrefix && (e.Size != int64(len(e.Key)) || e.ETag == "" || e.LastModified.IsZero()) {
					t.Fatalf("entry %+v lacks metadata", e)
				}
				got = append(got, e.Key)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Breaking out of the iteration stops it.
	n := 0
	for _, err := range c.Objects(ctx, "pages", &client.ListOptions{MaxKeys: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	// Errors are yielded.
	for _, err := range c.Objects(ctx, "no-such-bucket", nil) {
		if !client.IsCode(err, "NoSuchBucket") {
			t.Fatalf("listing a missing bucket yielded %v", err)
		}
	}
}

func TestPresignRoundTrip(t *testing.T) {
	c, _ := newTestClient(t)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "signed", nil); err != nil {
		t.Fatal(err)
	}
	mustPut(t, c, "signed", "dir/file name.txt", "secret content")
	get, err := c.Presign(http.MethodGet, "signed", "dir/file name.txt", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(get)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "secret content" {
		t.Fatalf("presigned GET: %s %q", resp.Status, b)
	}
	// Anonymous without the signature is refused.
	resp, err = http.Get(strings.Split(get, "?")[0])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned GET: %s", resp.Status)
	}
	put, err := c.Presign(http.MethodPut, "signed", "uploaded", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, put, strings.NewReader("via URL"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("presigned PUT: %s", resp.Status)
	}
	if got, _ := readAll(t, c, "signed", "uploaded", nil); got != "via URL" {
		t.Fatalf("presigned PUT stored %q", got)
	}
	for _, bad := range []struct {
		method string
		d      time.Duration
	}{{"POST", time.Minute}, {"GET", 0}, {"GET", 8 * 24 * time.Hour}} {
		if _, err := c.Presign(bad.method, "signed", "k", bad.d); err == nil {
			t.Errorf("Presign(%s, %v) succeeded", bad.method, bad.d)
		}
	}
}

func TestMultipartUploadRoundTrip(t *testing.T) {
	c, _ := newTestClient(t)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "multi", nil); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 5*client.MinPartSize+12345)
	for i := range data {
		data[i] = byte(i * 31 / 7)
	}
	var calls, last int64
	info, err := c.Upload(ctx, "multi", "big.bin", bytes.NewReader(data), int64(len(data)), &client.UploadOptions{
		PartSize: client.MinPartSize, Concurrency: 3,
		Progress: func(done, total int64) { calls++; last = done },
	})
	if client.IsCode(err, "NotImplemented") {
		t.Skipf("engine has no multipart yet: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || !strings.HasSuffix(info.ETag, `-6"`) {
		t.Fatalf("Upload info %+v", info)
	}
	if calls == 0 || last != int64(len(data)) {
		t.Fatalf("progress: %d calls, last %d", calls, last)
	}
	got, head := readAll(t, c, "multi", "big.bin", nil)
	if got != string(data) || head.Type != "Multipart" || head.CRC64 != info.CRC64 {
		t.Fatalf("read back %d bytes (equal %v), info %+v", len(got), got == string(data), head)
	}
	// A stream of unknown length too.
	if _, err := c.Upload(ctx, "multi", "stream.bin", io.MultiReader(bytes.NewReader(data)), -1, &client.UploadOptions{PartSize: client.MinPartSize}); err != nil {
		t.Fatal(err)
	}
	if got, _ := readAll(t, c, "multi", "stream.bin", nil); got != string(data) {
		t.Fatal("stream upload differs")
	}
	// Explicit parts, completed out of order; abort of another upload.
	id, err := c.InitiateMultipartUpload(ctx, "multi", "manual", nil)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.UploadPart(ctx, "multi", "manual", id, 2, strings.NewReader("tail"), 4)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := c.UploadPart(ctx, "multi", "manual", id, 1, bytes.NewReader(data[:client.MinPartSize]), client.MinPartSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, "multi", "manual", id, []client.Part{p2, p1}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := readAll(t, c, "multi", "manual", nil); got != string(data[:client.MinPartSize])+"tail" {
		t.Fatal("manual multipart differs")
	}
	id2, err := c.InitiateMultipartUpload(ctx, "multi", "aborted", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AbortMultipartUpload(ctx, "multi", "aborted", id2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UploadPart(ctx, "multi", "aborted", id2, 1, strings.NewReader("x"), 1); !client.IsCode(err, "NoSuchUpload") {
		t.Fatalf("UploadPart after abort = %v", err)
	}
}

func TestWrongSecret(t *testing.T) {
	_, ts := newTestClient(t)
	c, err := client.New(ts.Endpoint, ts.AccessKeyID, "not-the-secret")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListBuckets(context.Background())
	var ce *client.Error
	if !errors.As(err, &ce) || ce.StatusCode != 403 || ce.Code != "SignatureDoesNotMatch" {
		t.Fatalf("ListBuckets with a wrong secret = %v", err)
	}
	if !strings.Contains(err.Error(), "SignatureDoesNotMatch") || !strings.Contains(err.Error(), fmt.Sprint(403)) {
		t.Fatalf("error text %q", err)
	}
}
