package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// ossV1Client is an aliyun-oss-go-sdk client with its defaults: V1
// signatures, CRC-64 checks on; the loopback IP endpoint makes it path style.
func ossV1Client(t *testing.T, s *testServer, secret string) *ossv1.Client {
	t.Helper()
	c, err := ossv1.New(s.URL, rootAK, secret, ossv1.HTTPClient(s.httpClient()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantOSSV1Code(t *testing.T, err error, code string, status int) ossv1.ServiceError {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %s, got success", code)
	}
	se, ok := errorsAs[ossv1.ServiceError](err)
	if !ok || se.Code != code || se.StatusCode != status {
		t.Fatalf("expected %d %s, got %v", status, code, err)
	}
	return se
}

func TestOSSSDKV1(t *testing.T) {
	s := newServer(t, false)
	c := ossV1Client(t, s, rootSK)
	must(t, c.CreateBucket("oss-v1-bucket"))
	b, err := c.Bucket("oss-v1-bucket")
	must(t, err)

	t.Run("Objects", func(t *testing.T) {
		must(t, b.PutObject("a/b.txt", strings.NewReader("0123456789"), ossv1.Meta("Color", "red"), ossv1.ContentType("text/plain")))
		r, err := b.GetObject("a/b.txt")
		must(t, err)
		got, err := io.ReadAll(r) // the SDK checks the CRC-64 at EOF
		r.Close()
		must(t, err)
		if string(got) != "0123456789" {
			t.Fatalf("get %q", got)
		}
		r, err = b.GetObject("a/b.txt", ossv1.Range(2, 5))
		must(t, err)
		got, _ = io.ReadAll(r)
		r.Close()
		if string(got) != "2345" {
			t.Fatalf("range %q", got)
		}
		meta, err := b.GetObjectDetailedMeta("a/b.txt")
		must(t, err)
		if meta.Get("X-Oss-Meta-Color") != "red" || meta.Get("Content-Length") != "10" || meta.Get("X-Oss-Hash-Crc64ecma") == "" {
			t.Fatalf("detailed meta %v", meta)
		}
		m2, err := b.GetObjectMeta("a/b.txt")
		must(t, err)
		if m2.Get("Content-Length") != "10" {
			t.Fatalf("object meta %v", m2)
		}
		ok, err := b.IsObjectExist("a/b.txt")
		must(t, err)
		missing, err := b.IsObjectExist("a/none")
		must(t, err)
		if !ok || missing {
			t.Fatalf("IsObjectExist %v %v", ok, missing)
		}
		_, err = b.GetObject("a/none")
		wantOSSV1Code(t, err, "NoSuchKey", 404)
		_, err = b.GetObjectDetailedMeta("a/none")
		wantOSSV1Code(t, err, "NoSuchKey", 404)
		err = b.PutObject("bad", strings.NewReader("x"), ossv1.ContentMD5("1B2M2Y8AsgTpgAmY7PhCfg=="))
		wantOSSV1Code(t, err, "InvalidDigest", 400)
		err = c.DeleteBucket("oss-v1-bucket")
		wantOSSV1Code(t, err, "BucketNotEmpty", 409)
		_, err = c.GetBucketInfo("no-such-bucket")
		wantOSSV1Code(t, err, "NoSuchBucket", 404)
	})

	t.Run("Listing", func(t *testing.T) {
		for _, k := range []string{"ls/1", "ls/2", "ls/3", "ls/d/4"} {
			must(t, b.PutObject(k, strings.NewReader(k)))
		}
		var keys []string
		marker := ""
		for {
			res, err := b.ListObjects(ossv1.Prefix("ls/"), ossv1.Marker(marker), ossv1.MaxKeys(2))
			must(t, err)
			for _, o := range res.Objects {
				keys = append(keys, o.Key)
			}
			if !res.IsTruncated {
				break
			}
			marker = res.NextMarker
		}
		if strings.Join(keys, ",") != "ls/1,ls/2,ls/3,ls/d/4" {
			t.Fatalf("V1 listing %v", keys)
		}
		v2, err := b.ListObjectsV2(ossv1.Prefix("ls/"), ossv1.Delimiter("/"))
		must(t, err)
		if len(v2.Objects) != 3 || len(v2.CommonPrefixes) != 1 || v2.CommonPrefixes[0] != "ls/d/" {
			t.Fatalf("V2 listing %+v", v2)
		}
		lb, err := c.ListBuckets()
		must(t, err)
		if len(lb.Buckets) != 1 {
			t.Fatalf("buckets %+v", lb.Buckets)
		}
		del, err := b.DeleteObjects([]string{"ls/1", "ls/2"})
		must(t, err)
		if len(del.DeletedObjects) != 2 {
			t.Fatalf("deleted %v", del.DeletedObjects)
		}
		_, err = b.DeleteObjects([]string{"ls/3"}, ossv1.DeleteObjectsQuiet(true))
		must(t, err)
		must(t, b.DeleteObject("ls/d/4"))
	})

	t.Run("CopyAppendSymlink", func(t *testing.T) {
		_, err := b.CopyObject("a/b.txt", "a/copy.txt")
		must(t, err)
		next, err := b.AppendObject("app", strings.NewReader("abc"), 0)
		must(t, err)
		next, err = b.AppendObject("app", strings.NewReader("def"), next)
		must(t, err)
		if next != 6 {
			t.Fatalf("next position %d", next)
		}
		must(t, b.PutSymlink("a/link", "a/copy.txt"))
		hd, err := b.GetSymlink("a/link")
		must(t, err)
		if hd.Get("X-Oss-Symlink-Target") != "a/copy.txt" {
			t.Fatalf("symlink target %q", hd.Get("X-Oss-Symlink-Target"))
		}
		must(t, b.PutSymlink("a/link2", "a/with space+plus%.txt"))
		hd, err = b.GetSymlink("a/link2")
		must(t, err)
		if hd.Get("X-Oss-Symlink-Target") != "a/with space+plus%.txt" {
			t.Fatalf("symlink target %q", hd.Get("X-Oss-Symlink-Target"))
		}
	})

	t.Run("Multipart", func(t *testing.T) {
		data := make([]byte, 1<<20+99)
		rand.Read(data)
		path := filepath.Join(t.TempDir(), "f.bin")
		must(t, os.WriteFile(path, data, 0o600))
		must(t, b.UploadFile("mp/f.bin", path, 256<<10, ossv1.Routines(3)))
		dst := filepath.Join(t.TempDir(), "g.bin")
		must(t, b.DownloadFile("mp/f.bin", dst, 300<<10, ossv1.Routines(2)))
		back, _ := os.ReadFile(dst)
		if !bytes.Equal(back, data) {
			t.Fatal("downloaded data differs")
		}
		imur, err := b.InitiateMultipartUpload("mp/manual")
		must(t, err)
		p1, err := b.UploadPart(imur, bytes.NewReader(data[:100<<10]), 100<<10, 1)
		must(t, err)
		p2, err := b.UploadPart(imur, bytes.NewReader(data[:10]), 10, 2)
		must(t, err)
		lp, err := b.ListUploadedParts(imur)
		must(t, err)
		if len(lp.UploadedParts) != 2 {
			t.Fatalf("parts %+v", lp.UploadedParts)
		}
		_, err = b.CompleteMultipartUpload(imur, []ossv1.UploadPart{p1, p2})
		must(t, err)
		imur2, err := b.InitiateMultipartUpload("mp/aborted")
		must(t, err)
		must(t, b.AbortMultipartUpload(imur2))
	})

	t.Run("PresignAndVirtualHosted", func(t *testing.T) {
		u, err := b.SignURL("a/b.txt", ossv1.HTTPGet, 60)
		must(t, err)
		resp, body := s.do(t, mustRequest(t, "GET", u))
		if resp.StatusCode != 200 || string(body) != "0123456789" {
			t.Fatalf("presigned V1 GET: %d %q", resp.StatusCode, body)
		}
		port := s.URL[strings.LastIndex(s.URL, ":")+1:]
		vc, err := ossv1.New("http://"+domain+":"+port, rootAK, rootSK, ossv1.HTTPClient(s.httpClient()))
		must(t, err)
		vb, err := vc.Bucket("oss-v1-bucket")
		must(t, err)
		must(t, vb.PutObject("vh/x y.txt", strings.NewReader("virtual v1")))
		r, err := vb.GetObject("vh/x y.txt")
		must(t, err)
		got, _ := io.ReadAll(r)
		r.Close()
		if string(got) != "virtual v1" {
			t.Fatalf("virtual-hosted V1 get %q", got)
		}
	})

	t.Run("WrongSecret", func(t *testing.T) {
		bad, err := ossV1Client(t, s, "nope").Bucket("oss-v1-bucket")
		must(t, err)
		_, err = bad.GetObject("a/b.txt")
		se := wantOSSV1Code(t, err, "SignatureDoesNotMatch", 403)
		if se.Ec != "0002-00000040" {
			t.Fatalf("EC %q", se.Ec)
		}
	})
}
