package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

func sha256b64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestResolveAddress(t *testing.T) {
	domains := []string{"oss-cn-hangzhou.aliyuncs.com", "localhost"}
	tests := []struct {
		host, path string
		want       address
	}{
		{"127.0.0.1:9000", "/", address{}},
		{"127.0.0.1:9000", "/bkt", address{bucket: "bkt"}},
		{"127.0.0.1:9000", "/bkt/", address{bucket: "bkt"}},
		{"127.0.0.1:9000", "/bkt/a/b/", address{bucket: "bkt", key: "a/b/"}},
		{"127.0.0.1:9000", "/bkt/a//b", address{bucket: "bkt", key: "a//b"}},
		{"[::1]:9000", "/bkt/k", address{bucket: "bkt", key: "k"}},
		{"oss-cn-hangzhou.aliyuncs.com", "/bkt/k", address{bucket: "bkt", key: "k"}},
		{"bkt.oss-cn-hangzhou.aliyuncs.com", "/k/x", address{bucket: "bkt", key: "k/x", virtual: true}},
		{"BKT.OSS-CN-HANGZHOU.ALIYUNCS.COM:443", "/k", address{bucket: "bkt", key: "k", virtual: true}},
		{"bkt.oss-cn-hangzhou.aliyuncs.com.", "/", address{bucket: "bkt", virtual: true}},
		{"bkt.localhost:8080", "/dir/", address{bucket: "bkt", key: "dir/", virtual: true}},
		{"a.b.localhost", "/bkt/k", address{bucket: "bkt", key: "k"}},
		{"xlocalhost", "/bkt/k", address{bucket: "bkt", key: "k"}},
		{"other.example.com", "/bkt/k", address{bucket: "bkt", key: "k"}},
		{"", "bkt/k", address{bucket: "bkt", key: "k"}},
	}
	for _, tt := range tests {
		if got := resolveAddress(domains, tt.host, tt.path); got != tt.want {
			t.Errorf("resolve(%q, %q) = %+v, want %+v", tt.host, tt.path, got, tt.want)
		}
	}
}

func FuzzAddressing(f *testing.F) {
	domains := []string{"oss-cn-hangzhou.aliyuncs.com", "localhost"}
	for _, s := range [][2]string{{"bkt.localhost:80", "/a/b"}, {"127.0.0.1", "/b/k/"}, {"[::1]:1", "//"}, {"x.y.localhost", "/"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, host, path string) {
		a := resolveAddress(domains, host, path)
		if a.virtual {
			if a.bucket == "" || strings.Contains(a.bucket, ".") {
				t.Fatalf("virtual bucket %q", a.bucket)
			}
			if a.key != strings.TrimPrefix(path, "/") {
				t.Fatalf("virtual key %q from path %q", a.key, path)
			}
			return
		}
		if strings.Contains(a.bucket, "/") {
			t.Fatalf("bucket %q contains '/'", a.bucket)
		}
		if a.key != "" && "/"+a.bucket+"/"+a.key != "/"+strings.TrimPrefix(path, "/") {
			t.Fatalf("path style %q -> %+v", path, a)
		}
		_ = a.validate(opGetObject)
	})
}

func TestRoute(t *testing.T) {
	tests := []struct {
		method, bucket, key, query string
		hdr                        []string
		want                       string
	}{
		{"GET", "", "", "", nil, "ListBuckets"},
		{"PUT", "", "", "", nil, "Service"},
		{"PUT", "b", "", "", nil, "PutBucket"},
		{"DELETE", "b", "", "", nil, "DeleteBucket"},
		{"HEAD", "b", "", "", nil, "HeadBucket"},
		{"GET", "b", "", "bucketInfo", nil, "GetBucketInfo"},
		{"GET", "b", "", "location", nil, "GetBucketLocation"},
		{"GET", "b", "", "stat", nil, "GetBucketStat"},
		{"PUT", "b", "", "acl", nil, "PutBucketAcl"},
		{"GET", "b", "", "acl", nil, "GetBucketAcl"},
		{"PUT", "b", "", "versioning", nil, "PutBucketVersioning"},
		{"GET", "b", "", "versioning", nil, "GetBucketVersioning"},
		{"GET", "b", "", "", nil, "ListObjects"},
		{"GET", "b", "", "list-type=2&prefix=a", nil, "ListObjectsV2"},
		{"GET", "b", "", "versions", nil, "ListObjectVersions"},
		{"GET", "b", "", "uploads", nil, "ListMultipartUploads"},
		{"PUT", "b", "", "lifecycle", nil, "PutBucketLifecycle"},
		{"GET", "b", "", "lifecycle", nil, "GetBucketLifecycle"},
		{"DELETE", "b", "", "lifecycle", nil, "DeleteBucketLifecycle"},
		{"POST", "b", "", "delete", nil, "DeleteMultipleObjects"},
		{"POST", "b", "", "", nil, "PostObject"},
		{"PUT", "b", "", "cors", nil, "PutBucketCors"},
		{"GET", "b", "", "policy", nil, "GetBucketPolicy"},
		{"PUT", "b", "k", "", nil, "PutObject"},
		{"PUT", "b", "k", "", []string{"X-Oss-Copy-Source", "/b/x"}, "CopyObject"},
		{"PUT", "b", "k", "", []string{"X-Amz-Copy-Source", "b/x"}, "CopyObject"},
		{"GET", "b", "k", "", nil, "GetObject"},
		{"GET", "b", "k", "versionId=1&response-content-type=x", nil, "GetObject"},
		{"HEAD", "b", "k", "", nil, "HeadObject"},
		{"HEAD", "b", "k", "objectMeta", nil, "GetObjectMeta"},
		{"GET", "b", "k", "partNumber=2", nil, "GetObjectPart"},
		{"HEAD", "b", "k", "partNumber=1", nil, "HeadObjectPart"},
		{"DELETE", "b", "k", "", nil, "DeleteObject"},
		{"POST", "b", "k", "append&position=0", nil, "AppendObject"},
		{"PUT", "b", "k", "symlink", nil, "PutSymlink"},
		{"GET", "b", "k", "symlink", nil, "GetSymlink"},
		{"PUT", "b", "k", "tagging", nil, "PutObjectTagging"},
		{"GET", "b", "k", "tagging", nil, "GetObjectTagging"},
		{"DELETE", "b", "k", "tagging", nil, "DeleteObjectTagging"},
		{"PUT", "b", "k", "acl", nil, "PutObjectAcl"},
		{"GET", "b", "k", "acl", nil, "GetObjectAcl"},
		{"POST", "b", "k", "uploads", nil, "InitiateMultipartUpload"},
		{"PUT", "b", "k", "partNumber=1&uploadId=u", nil, "UploadPart"},
		{"PUT", "b", "k", "partNumber=1&uploadId=u", []string{"X-Oss-Copy-Source", "/b/x"}, "UploadPartCopy"},
		{"POST", "b", "k", "uploadId=u", nil, "CompleteMultipartUpload"},
		{"DELETE", "b", "k", "uploadId=u", nil, "AbortMultipartUpload"},
		{"GET", "b", "k", "uploadId=u", nil, "ListParts"},
		{"GET", "b", "k", "x-oss-process=image/resize,w_10", nil, "GetObject"},
		{"POST", "b", "k", "restore", nil, "RestoreObject"},
		{"POST", "b", "k", "", nil, "PostObject"},
		{"OPTIONS", "b", "k", "", nil, "OptionObject"},
		{"PATCH", "b", "k", "", nil, "Unknown"},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		hdr := http.Header{}
		for i := 0; i+1 < len(tt.hdr); i += 2 {
			hdr.Set(tt.hdr[i], tt.hdr[i+1])
		}
		if got := route(tt.method, address{bucket: tt.bucket, key: tt.key}, q, hdr); got.name != tt.want {
			t.Errorf("%s /%s/%s?%s = %s, want %s", tt.method, tt.bucket, tt.key, tt.query, got.name, tt.want)
		}
	}
	if op := route("PATCH", address{bucket: "b", key: "k"}, nil, http.Header{}); op.fail != oss.MethodNotAllowed {
		t.Errorf("PATCH fail = %v", op.fail)
	}
	if op := route("GET", address{bucket: "b"}, url.Values{"website": nil}, http.Header{}); op.fail != oss.NotImplemented {
		t.Errorf("website fail = %v", op.fail)
	}
}

func TestHeaderMapping(t *testing.T) {
	hd := http.Header{}
	hd.Set("X-Oss-Meta-Author", "alice")
	hd.Set("X-Amz-Meta-Team", "blue")
	hd.Set("Content-Encoding", "aws-chunked,gzip")
	m, err := parseMetadata(hd, "PutObject")
	if err != nil || m.User["author"] != "alice" || m.User["team"] != "blue" || m.ContentEncoding != "gzip" {
		t.Fatalf("metadata %+v %v", m, err)
	}
	for _, tt := range []struct {
		in   string
		want oss.StorageClass
		s3   string
	}{
		{"Standard", oss.StorageStandard, "STANDARD"},
		{"STANDARD_IA", oss.StorageIA, "STANDARD_IA"},
		{"ia", oss.StorageIA, "STANDARD_IA"},
		{"GLACIER", oss.StorageArchive, "GLACIER"},
		{"ColdArchive", oss.StorageColdArchive, "DEEP_ARCHIVE"},
		{"DEEP_ARCHIVE", oss.StorageColdArchive, "DEEP_ARCHIVE"},
		{"DeepColdArchive", oss.StorageDeepColdArchive, "DEEP_ARCHIVE"},
	} {
		got, ok := storageClassFromWire(tt.in)
		if !ok || got != tt.want || s3StorageClass(got) != tt.s3 {
			t.Errorf("storage class %q -> %q %v (s3 %q)", tt.in, got, ok, s3StorageClass(got))
		}
	}
	if _, ok := storageClassFromWire("ONEZONE"); ok {
		t.Error("unknown storage class accepted")
	}
	hd = http.Header{}
	hd.Set("X-Amz-Acl", "public-read")
	if acl, err := parseObjectACL(hd, "PutObject"); err != nil || acl != oss.ACLPublicRead {
		t.Errorf("x-amz-acl -> %q %v", acl, err)
	}
	hd.Set("X-Oss-Acl", "default")
	if _, err := parseBucketACL(hd, "PutBucket"); err == nil {
		t.Error("bucket ACL default accepted")
	}
	hd = http.Header{}
	hd.Set("X-Amz-Tagging", "k1=v1&k%202=v%262")
	tags, err := parseTaggingHeader(hd, "PutObject")
	if err != nil || len(tags) != 2 || tags[1] != (oss.Tag{Key: "k 2", Value: "v&2"}) {
		t.Errorf("tags %v %v", tags, err)
	}
	c := copySourceConditions(http.Header{"X-Amz-Copy-Source-If-Match": {`"E"`}, "X-Oss-Copy-Source-If-Modified-Since": {"Mon, 06 May 2024 07:08:09 GMT"}})
	if c.IfMatch != `"E"` || !c.IfModifiedSince.Equal(testNow) {
		t.Errorf("copy conditions %+v", c)
	}
	rc := &reqCtx{s3: true, hdr: http.Header{}}
	out := http.Header{}
	rc.objectHeaders(out, oss.ObjectInfo{Type: oss.TypeAppendable, Size: 7, VersionID: "v1", SSE: "KMS", StorageClass: oss.StorageArchive, Meta: oss.Metadata{User: map[string]string{"a": "b"}}}, true)
	for k, v := range map[string]string{"X-Amz-Version-Id": "v1", "X-Amz-Server-Side-Encryption": "aws:kms", "X-Amz-Storage-Class": "GLACIER", "X-Amz-Meta-A": "b", "X-Oss-Next-Append-Position": "7", "Content-Type": "application/octet-stream"} {
		if out.Get(k) != v {
			t.Errorf("S3 header %s = %q, want %q", k, out.Get(k), v)
		}
	}
}

func TestParseCopySource(t *testing.T) {
	tests := []struct {
		in   string
		want copySource
		ok   bool
	}{
		{"/bkt/a/b.txt", copySource{"bkt", "a/b.txt", ""}, true},
		{"bkt/a%20b%3F.txt?versionId=v1", copySource{"bkt", "a b?.txt", "v1"}, true},
		{"/bkt/%E4%B8%AD", copySource{"bkt", "中", ""}, true},
		{"/bkt", copySource{}, false},
		{"/bkt/", copySource{}, false},
		{"/Bad/k", copySource{}, false},
		{"/bkt/%zz", copySource{}, false},
	}
	for _, tt := range tests {
		got, err := parseCopySource("CopyObject", tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseCopySource(%q) = %+v, %v", tt.in, got, err)
		}
	}
}
