package httpapi

import (
	"context"
	"crypto/md5"
	"io"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// fakeUpload is an upload of the fake engine.
type fakeUpload struct {
	up    oss.MultipartUpload
	parts map[int]oss.Part
	data  map[int][]byte
}

type multipartFake struct {
	*fakeEngine
	uploads  map[string]*fakeUpload
	versions []oss.ObjectInfo
}

func newMultipartFake() *multipartFake {
	return &multipartFake{fakeEngine: newFakeEngine(), uploads: map[string]*fakeUpload{}}
}

func (f *multipartFake) InitiateMultipartUpload(ctx context.Context, in oss.PutObjectInput) (oss.MultipartUpload, error) {
	id := "upload-" + strconv.Itoa(len(f.uploads)+1)
	up := oss.MultipartUpload{Bucket: in.Bucket, Key: in.Key, UploadID: id, Initiated: f.now}
	f.uploads[id] = &fakeUpload{up: up, parts: map[int]oss.Part{}, data: map[int][]byte{}}
	return up, nil
}

func (f *multipartFake) UploadPart(ctx context.Context, in oss.UploadPartInput, body io.Reader) (oss.Part, error) {
	u, ok := f.uploads[in.UploadID]
	if !ok {
		return oss.Part{}, oss.E("", oss.NoSuchUpload, "")
	}
	data := make([]byte, in.Size)
	if _, err := io.ReadFull(body, data); err != nil {
		return oss.Part{}, oss.Wrap("UploadPart", err)
	}
	sum := md5.Sum(data)
	sums := map[string]string{}
	for k, v := range in.Checksums {
		sums[k] = v
	}
	p := oss.Part{PartNumber: in.PartNumber, ETag: checksum.ETag(sum[:]), Size: in.Size, CRC64: checksum.CRC64(data), LastModified: f.now, Checksums: sums}
	u.parts[in.PartNumber], u.data[in.PartNumber] = p, data
	return p, nil
}

func (f *multipartFake) CompleteMultipartUpload(ctx context.Context, in oss.CompleteMultipartInput) (oss.ObjectInfo, error) {
	u, ok := f.uploads[in.UploadID]
	if !ok {
		return oss.ObjectInfo{}, oss.E("", oss.NoSuchUpload, "")
	}
	var all []byte
	var md5s [][]byte
	var crc uint64
	for _, cp := range in.Parts {
		p, ok := u.parts[cp.PartNumber]
		if !ok || !oss.ETagMatches(cp.ETag, p.ETag) {
			return oss.ObjectInfo{}, oss.E("", oss.InvalidPart, "")
		}
		m, _ := checksum.ParseETagMD5(p.ETag)
		md5s = append(md5s, m)
		crc = checksum.CombineCRC64(crc, p.CRC64, p.Size)
		all = append(all, u.data[cp.PartNumber]...)
	}
	info := oss.ObjectInfo{Bucket: in.Bucket, Key: in.Key, Type: oss.TypeMultipart, Size: int64(len(all)), ETag: checksum.MultipartETag(md5s), CRC64: crc, LastModified: f.now, PartsCount: len(md5s)}
	f.objects[in.Bucket][in.Key] = &fakeObject{info: info, data: all}
	delete(f.uploads, in.UploadID)
	return info, nil
}

func (f *multipartFake) ListParts(ctx context.Context, in oss.ListPartsInput) (oss.ListPartsOutput, error) {
	u, ok := f.uploads[in.UploadID]
	if !ok {
		return oss.ListPartsOutput{}, oss.E("", oss.NoSuchUpload, "")
	}
	out := oss.ListPartsOutput{Upload: u.up, StorageClass: oss.StorageStandard, MaxParts: in.MaxParts}
	for _, p := range u.parts {
		out.Parts = append(out.Parts, p)
	}
	sort.Slice(out.Parts, func(i, j int) bool { return out.Parts[i].PartNumber < out.Parts[j].PartNumber })
	return out, nil
}

func (f *multipartFake) ListMultipartUploads(ctx context.Context, in oss.ListUploadsInput) (oss.ListUploadsOutput, error) {
	var out oss.ListUploadsOutput
	for _, u := range f.uploads {
		out.Uploads = append(out.Uploads, u.up)
	}
	return out, nil
}

func (f *multipartFake) ListObjectVersions(ctx context.Context, in oss.ListVersionsInput) (oss.ListVersionsOutput, error) {
	return oss.ListVersionsOutput{Versions: f.versions, IsTruncated: true, NextKeyMarker: "b c", NextVersionIDMarker: "v9"}, nil
}

func newMultipartEnv(t *testing.T) (*testEnv, *multipartFake) {
	e := newTestEnv(t)
	mf := newMultipartFake()
	mf.CreateBucket(t.Context(), oss.Bucket{Name: "bkt"})
	e.h.eng = mf
	return e, mf
}

func TestMultipartXML(t *testing.T) {
	e, _ := newMultipartEnv(t)
	w := e.do("POST", "/bkt/a%20b?uploads&encoding-type=url", "", "Authorization", "oss")
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "<Key>a+b</Key>") || !strings.Contains(body, "<UploadId>upload-1</UploadId>") || !strings.Contains(body, "<EncodingType>url</EncodingType>") {
		t.Fatalf("initiate: %d %s", w.Code, body)
	}
	part1 := strings.Repeat("x", 1000)
	w = e.do("PUT", "/bkt/a%20b?partNumber=1&uploadId=upload-1", part1, "Authorization", "oss")
	if w.Code != 200 || w.Header().Get("ETag") == "" || w.Header().Get(hdrOSSCRC64) != checksum.FormatCRC64(checksum.CRC64([]byte(part1))) {
		t.Fatalf("upload part: %d %v %s", w.Code, w.Header(), w.Body)
	}
	etag1 := w.Header().Get("ETag")
	w = e.do("PUT", "/bkt/a%20b?partNumber=2&uploadId=upload-1", "tail", "Authorization", "oss")
	etag2 := w.Header().Get("ETag")

	w = e.do("GET", "/bkt/a%20b?uploadId=upload-1", "", "Authorization", "oss")
	if !strings.Contains(w.Body.String(), "<Part><PartNumber>1</PartNumber><LastModified>2024-05-06T07:08:09.000Z</LastModified><ETag>") ||
		!strings.Contains(w.Body.String(), "<HashCrc64ecma>") || !strings.Contains(w.Body.String(), "<StorageClass>Standard</StorageClass>") {
		t.Fatalf("list parts: %s", w.Body)
	}
	w = e.do("GET", "/bkt?uploads", "", "Authorization", "s3")
	if !strings.Contains(w.Body.String(), `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`) ||
		!strings.Contains(w.Body.String(), "<Upload><Key>a b</Key><UploadId>upload-1</UploadId><Initiated>") {
		t.Fatalf("list uploads: %s", w.Body)
	}

	complete := "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etag1 + "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>" + etag2 + "</ETag></Part></CompleteMultipartUpload>"
	w = e.do("POST", "/bkt/a%20b?uploadId=upload-1&encoding-type=url", complete, "Authorization", "oss")
	want := checksum.CombineCRC64(checksum.CRC64([]byte(part1)), checksum.CRC64([]byte("tail")), 4)
	if w.Code != 200 || w.Header().Get(hdrOSSCRC64) != checksum.FormatCRC64(want) ||
		!strings.Contains(w.Body.String(), "<Location>http://example.com/bkt/a%20b</Location><Bucket>bkt</Bucket><Key>a+b</Key><ETag>&#34;") {
		t.Fatalf("complete: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w = e.do("GET", "/bkt/a%20b", "", "Authorization", "oss")
	if w.Body.String() != part1+"tail" || w.Header().Get(hdrOSSObjectType) != "Multipart" {
		t.Fatalf("get completed: %q %v", w.Body, w.Header())
	}
	w = e.do("POST", "/bkt/k?uploadId=nope", complete, "Authorization", "oss")
	if w.Code != 404 || errCode(t, w) != "NoSuchUpload" {
		t.Fatalf("complete unknown upload: %d %s", w.Code, w.Body)
	}
}

func TestVersionsXML(t *testing.T) {
	e, mf := newMultipartEnv(t)
	mf.versions = []oss.ObjectInfo{
		{Key: "a", VersionID: "v3", IsLatest: true, DeleteMarker: true, LastModified: testNow},
		{Key: "a", VersionID: "v2", ETag: `"E2"`, Size: 0, LastModified: testNow, Type: oss.TypeNormal, StorageClass: oss.StorageIA},
		{Key: "b c", VersionID: "", IsLatest: true, ETag: `"E1"`, Size: 5, LastModified: testNow},
	}
	w := e.do("GET", "/bkt?versions&encoding-type=url", "", "Authorization", "oss")
	body := w.Body.String()
	order := []string{"<DeleteMarker><Key>a</Key><VersionId>v3</VersionId><IsLatest>true</IsLatest>", "<Version><Key>a</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest>",
		"<Size>0</Size><StorageClass>IA</StorageClass>", "<Version><Key>b+c</Key><VersionId>null</VersionId>", "<NextKeyMarker>b+c</NextKeyMarker><NextVersionIdMarker>v9</NextVersionIdMarker>"}
	last := -1
	for _, s := range order[:4] {
		i := strings.Index(body, s)
		if i <= last {
			t.Fatalf("versions listing lacks or misorders %q: %s", s, body)
		}
		last = i
	}
	if !strings.Contains(body, order[4]) {
		t.Fatalf("markers: %s", body)
	}
	w = e.do("GET", "/bkt?versions", "", "Authorization", "s3")
	if !strings.Contains(w.Body.String(), "<StorageClass>STANDARD_IA</StorageClass>") || strings.Contains(w.Body.String(), "<Type>") {
		t.Fatalf("S3 versions: %s", w.Body)
	}
}
