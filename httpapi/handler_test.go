package httpapi

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
)

type testEnv struct {
	t   *testing.T
	h   *Handler
	eng *fakeEngine
	obs *fakeObserver
}

var testNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	eng := newFakeEngine()
	if _, err := eng.CreateBucket(t.Context(), oss.Bucket{Name: "bkt"}); err != nil {
		t.Fatal(err)
	}
	obs := &fakeObserver{}
	h := New(Config{Region: "cn-hangzhou", Domains: []string{"oss.example.com"}, Now: func() time.Time { return testNow }}, eng, fakeAuth{}, obs)
	return &testEnv{t: t, h: h, eng: eng, obs: obs}
}

// do serves one request; hdr is name, value pairs. A body of "" is sent
// with Content-Length: 0 for PUT and POST.
func (e *testEnv) do(method, target, body string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if method == http.MethodPut || method == http.MethodPost || body != "" {
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
		if hdr[i] == "Content-Length" {
			r.ContentLength, _ = strconv.ParseInt(hdr[i+1], 10, 64)
		}
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// errCode extracts <Code> of an error body (or of x-oss-err for HEAD).
func errCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	body := w.Body.Bytes()
	if len(body) == 0 {
		if v := w.Header().Get(hdrOSSErr); v != "" {
			var err error
			if body, err = base64.StdEncoding.DecodeString(v); err != nil {
				t.Fatalf("x-oss-err: %v", err)
			}
		}
	}
	var doc struct {
		Code string `xml:"Code"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return ""
	}
	return doc.Code
}

func md5b64(s string) string {
	sum := md5.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestRequestIDsAndCommonHeaders(t *testing.T) {
	e := newTestEnv(t)
	re := regexp.MustCompile(`^[0-9A-F]{24}$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		w := e.do("GET", "/", "", "Authorization", "oss")
		id := w.Header().Get(hdrOSSRequestID)
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("request id %q not 24 upper-hex or repeated", id)
		}
		seen[id] = true
		if w.Header().Get("Server") != "AliyunOSS" || w.Header().Get("Date") != "Mon, 06 May 2024 07:08:09 GMT" {
			t.Fatalf("common headers: %v", w.Header())
		}
		if w.Header().Get("X-Amz-Request-Id") != "" {
			t.Fatal("OSS dialect answered with x-amz-request-id")
		}
	}
	w := e.do("GET", "/", "", "Authorization", "s3")
	if w.Header().Get("X-Amz-Request-Id") != w.Header().Get(hdrOSSRequestID) || w.Header().Get("X-Amz-Id-2") == "" {
		t.Fatalf("S3 headers: %v", w.Header())
	}
}

func TestPutGetHeadRoundTrip(t *testing.T) {
	e := newTestEnv(t)
	w := e.do("PUT", "/bkt/dir/a.txt", "hello world", "Authorization", "oss",
		"Content-Type", "text/plain", "X-Oss-Meta-Author", "alice", "X-Oss-Tagging", "a=1&b=x%20y",
		"X-Oss-Storage-Class", "IA", "Content-MD5", md5b64("hello world"))
	if w.Code != 200 {
		t.Fatalf("put: %d %s", w.Code, w.Body)
	}
	if got := w.Header().Get(hdrOSSCRC64); got != "5981764153023615706" {
		t.Fatalf("put crc64 = %q", got)
	}
	if w.Header().Get("ETag") != `"5EB63BBBE01EEED093CB22BB8F5ACDC3"` {
		t.Fatalf("etag %q", w.Header().Get("ETag"))
	}
	if tags := e.eng.lastPut.Tags; len(tags) != 2 || tags[1] != (oss.Tag{Key: "b", Value: "x y"}) {
		t.Fatalf("tags = %v", tags)
	}

	w = e.do("GET", "/bkt/dir/a.txt", "", "Authorization", "oss")
	if w.Code != 200 || w.Body.String() != "hello world" {
		t.Fatalf("get: %d %q", w.Code, w.Body)
	}
	want := map[string]string{
		"Content-Type":         "text/plain",
		"Content-Length":       "11",
		"X-Oss-Meta-Author":    "alice",
		"X-Oss-Storage-Class":  "IA",
		"X-Oss-Object-Type":    "Normal",
		"X-Oss-Tagging-Count":  "2",
		"X-Oss-Hash-Crc64ecma": "5981764153023615706",
		"Last-Modified":        "Mon, 06 May 2024 07:08:09 GMT",
		"Accept-Ranges":        "bytes",
		"Content-Md5":          md5b64("hello world"),
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("GET %s = %q, want %q", k, got, v)
		}
	}
	if got := e.obs.last(); got.op != "GetObject" || got.status != 200 || got.bOut != 11 {
		t.Errorf("observation = %+v", got)
	}

	w = e.do("HEAD", "/bkt/dir/a.txt", "", "Authorization", "s3")
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("head: %d", w.Code)
	}
	for k, v := range map[string]string{"X-Amz-Meta-Author": "alice", "X-Amz-Storage-Class": "STANDARD_IA", "X-Amz-Tagging-Count": "2", "Content-Length": "11"} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("HEAD s3 %s = %q, want %q", k, got, v)
		}
	}
	if w.Header().Get("X-Oss-Meta-Author") != "" {
		t.Error("S3 dialect answered x-oss-meta-*")
	}

	// Virtual-hosted addressing reaches the same object; Host may carry a port.
	r := httptest.NewRequest("GET", "http://bkt.oss.example.com:8080/dir/a.txt", nil)
	r.Header.Set("Authorization", "oss")
	rw := httptest.NewRecorder()
	e.h.ServeHTTP(rw, r)
	if rw.Code != 200 || rw.Body.String() != "hello world" {
		t.Fatalf("virtual-hosted get: %d %s", rw.Code, rw.Body)
	}
}

func TestResponseOverrides(t *testing.T) {
	e := newTestEnv(t)
	e.do("PUT", "/bkt/k", "x", "Authorization", "oss")
	e.eng.PutBucketACL(t.Context(), "bkt", oss.ACLPublicRead)
	q := "?response-content-type=image/png&response-content-disposition=attachment&response-cache-control=no-cache"
	w := e.do("GET", "/bkt/k"+q, "", "Authorization", "oss")
	if w.Header().Get("Content-Type") != "image/png" || w.Header().Get("Content-Disposition") != "attachment" || w.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("overrides not applied: %v", w.Header())
	}
	w = e.do("GET", "/bkt/k"+q, "")
	if w.Code != 200 || w.Header().Get("Content-Type") == "image/png" {
		t.Fatalf("anonymous overrides applied: %d %v", w.Code, w.Header())
	}
}

func TestRangeAndConditions(t *testing.T) {
	e := newTestEnv(t)
	e.do("PUT", "/bkt/r", "0123456789", "Authorization", "oss")
	etag := `"781E5E245D69B566979B86E28D23F2C7"`
	lm := "Mon, 06 May 2024 07:08:09 GMT"
	tests := []struct {
		name   string
		auth   string
		hdr    []string
		status int
		body   string
		crange string
		code   string
	}{
		{"oss range", "oss", []string{"Range", "bytes=2-4"}, 206, "234", "bytes 2-4/10", ""},
		{"oss suffix", "oss", []string{"Range", "bytes=-3"}, 206, "789", "bytes 7-9/10", ""},
		{"oss open", "oss", []string{"Range", "bytes=8-"}, 206, "89", "bytes 8-9/10", ""},
		{"oss out of range is whole", "oss", []string{"Range", "bytes=20-30"}, 200, "0123456789", "", ""},
		{"oss end past eof is whole", "oss", []string{"Range", "bytes=5-30"}, 200, "0123456789", "", ""},
		{"oss standard clamps", "oss", []string{"Range", "bytes=5-30", hdrOSSRangeBehavior, "standard"}, 206, "56789", "bytes 5-9/10", ""},
		{"oss standard 416", "oss", []string{"Range", "bytes=20-30", hdrOSSRangeBehavior, "standard"}, 416, "", "", "InvalidRange"},
		{"s3 always standard", "s3", []string{"Range", "bytes=20-"}, 416, "", "", "InvalidRange"},
		{"malformed range ignored", "oss", []string{"Range", "bytes=x-y"}, 200, "0123456789", "", ""},
		{"if-match ok", "oss", []string{"If-Match", etag}, 200, "0123456789", "", ""},
		{"if-match lower case", "oss", []string{"If-Match", strings.ToLower(etag)}, 200, "0123456789", "", ""},
		{"if-match fails", "oss", []string{"If-Match", `"nope"`}, 412, "", "", "PreconditionFailed"},
		{"if-none-match 304", "oss", []string{"If-None-Match", etag}, 304, "", "", ""},
		{"if-modified-since 304", "oss", []string{"If-Modified-Since", lm}, 304, "", "", ""},
		{"if-modified-since earlier", "oss", []string{"If-Modified-Since", "Sun, 05 May 2024 07:08:09 GMT"}, 200, "0123456789", "", ""},
		{"if-unmodified-since earlier", "oss", []string{"If-Unmodified-Since", "Sun, 05 May 2024 07:08:09 GMT"}, 412, "", "", "PreconditionFailed"},
		{"bad date ignored", "oss", []string{"If-Unmodified-Since", "yesterday"}, 200, "0123456789", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do("GET", "/bkt/r", "", append([]string{"Authorization", tt.auth}, tt.hdr...)...)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if tt.code != "" {
				if got := errCode(t, w); got != tt.code {
					t.Fatalf("code %q, want %q", got, tt.code)
				}
				return
			}
			if w.Body.String() != tt.body {
				t.Fatalf("body %q, want %q", w.Body, tt.body)
			}
			if got := w.Header().Get("Content-Range"); got != tt.crange {
				t.Fatalf("Content-Range %q, want %q", got, tt.crange)
			}
			if tt.status == 206 && w.Header().Get("Content-Md5") != "" {
				t.Fatal("Content-MD5 on a range")
			}
		})
	}
	// HEAD with a range answers the range's headers; a 304 has no body.
	w := e.do("HEAD", "/bkt/r", "", "Authorization", "s3", "Range", "bytes=0-1")
	if w.Code != 206 || w.Header().Get("Content-Length") != "2" || w.Header().Get("Content-Range") != "bytes 0-1/10" {
		t.Fatalf("HEAD range: %d %v", w.Code, w.Header())
	}
	w = e.do("HEAD", "/bkt/r", "", "Authorization", "oss", "If-None-Match", etag)
	if w.Code != 304 || w.Header().Get(hdrOSSErr) != "" || w.Body.Len() != 0 {
		t.Fatalf("HEAD 304: %d %v", w.Code, w.Header())
	}
}

func TestErrorWriting(t *testing.T) {
	e := newTestEnv(t)
	w := e.do("GET", "/bkt/missing", "", "Authorization", "oss")
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/xml" || w.Header().Get(hdrOSSEC) != "0026-00000001" {
		t.Fatalf("NoSuchKey: %d %v", w.Code, w.Header())
	}
	var doc struct {
		XMLName      xml.Name `xml:"Error"`
		Code         string
		Message      string
		RequestID    string `xml:"RequestId"`
		HostID       string `xml:"HostId"`
		Key          string
		BucketName   string
		EC           string
		RecommendDoc string
		Resource     string
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Code != "NoSuchKey" || doc.Key != "missing" || doc.RequestID != w.Header().Get(hdrOSSRequestID) ||
		doc.HostID != "example.com" || doc.EC != "0026-00000001" || doc.RecommendDoc != "https://api.aliyun.com/troubleshoot?q=0026-00000001" {
		t.Fatalf("error body: %+v", doc)
	}
	// Element order of the OSS error body.
	order := regexp.MustCompile(`<Error><Code>.*</Code><Message>.*</Message><RequestId>.*</RequestId><HostId>.*</HostId><Key>missing</Key><EC>.*</EC><RecommendDoc>.*</RecommendDoc></Error>`)
	if !order.MatchString(w.Body.String()) {
		t.Fatalf("element order: %s", w.Body)
	}

	// HEAD: no body; the XML travels base64 in x-oss-err.
	w = e.do("HEAD", "/nobucket/k", "", "Authorization", "oss")
	if w.Code != 404 || w.Body.Len() != 0 || errCode(t, w) != "NoSuchBucket" || w.Header().Get(hdrOSSEC) != "0015-00000101" {
		t.Fatalf("HEAD error: %d %v", w.Code, w.Header())
	}
	raw, _ := base64.StdEncoding.DecodeString(w.Header().Get(hdrOSSErr))
	if !strings.Contains(string(raw), "<BucketName>nobucket</BucketName>") {
		t.Fatalf("x-oss-err: %s", raw)
	}

	// S3 error body.
	w = e.do("GET", "/bkt/missing", "", "Authorization", "s3")
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`<Error><Code>NoSuchKey</Code><Message>.*</Message><Key>missing</Key><Resource>/bkt/missing</Resource><RequestId>[0-9A-F]{24}</RequestId><HostId>.+</HostId></Error>`).MatchString(w.Body.String()) {
		t.Fatalf("S3 error: %s", w.Body)
	}

	// Auth errors keep their code and details.
	w = e.do("PUT", "/bkt/k", "x", "Authorization", "bad")
	if w.Code != 403 || errCode(t, w) != "SignatureDoesNotMatch" || w.Header().Get(hdrOSSEC) != "0002-00000040" {
		t.Fatalf("auth error: %d %s", w.Code, w.Body)
	}
	for _, s := range []string{"<StringToSign>PUT&#xA;&#xA;</StringToSign>", "<SignatureProvided>abc</SignatureProvided>", "<OSSAccessKeyId>ak</OSSAccessKeyId>", "<StringToSignBytes>50 55 54 0A 0A</StringToSignBytes>"} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("auth error body lacks %q: %s", s, w.Body)
		}
	}
	if got := e.obs.last(); got.op != "PutObject" || got.status != 403 {
		t.Errorf("observation = %+v", got)
	}
	w = e.do("GET", "/bkt/k", "", "Authorization", "bad-s3")
	if !strings.Contains(w.Body.String(), "<AWSAccessKeyId>ak</AWSAccessKeyId>") || w.Header().Get("X-Amz-Request-Id") == "" {
		t.Fatalf("S3 auth error: %s", w.Body)
	}
}

func TestInternalErrorDoesNotLeak(t *testing.T) {
	rc := &reqCtx{addr: address{bucket: "b", key: "k"}}
	er := toErrResponse(oss.Wrap("PutObject", io.ErrClosedPipe), rc)
	if er.status != 500 || er.code != "InternalError" || strings.Contains(er.message, "closed pipe") {
		t.Fatalf("internal error: %+v", er)
	}
	er = toErrResponse(io.ErrClosedPipe, rc)
	if er.status != 500 || strings.Contains(er.message, "closed pipe") {
		t.Fatalf("plain error: %+v", er)
	}
}

func TestRequestValidation(t *testing.T) {
	e := newTestEnv(t)
	long := strings.Repeat("k", 1024)
	tests := []struct {
		name   string
		method string
		target string
		body   string
		hdr    []string
		status int
		code   string
	}{
		{"reserved bucket", "PUT", "/metrics", "", nil, 400, "InvalidBucketName"},
		{"bad bucket name", "PUT", "/Bad_Name", "", nil, 400, "InvalidBucketName"},
		{"key too long", "PUT", "/bkt/" + long, "x", nil, 400, "InvalidObjectName"},
		{"malformed md5", "PUT", "/bkt/k", "x", []string{"Content-MD5", "nope"}, 400, "InvalidDigest"},
		{"md5 mismatch oss", "PUT", "/bkt/k", "x", []string{"Content-MD5", md5b64("y")}, 400, "InvalidDigest"},
		{"too large", "PUT", "/bkt/k", "x", []string{"Content-Length", "5368709121"}, 400, "EntityTooLarge"},
		{"bad acl", "PUT", "/bkt/k", "x", []string{"X-Oss-Object-Acl", "bogus"}, 400, "InvalidArgument"},
		{"bad storage class", "PUT", "/bkt/k", "x", []string{"X-Oss-Storage-Class", "Cold"}, 400, "InvalidArgument"},
		{"too many tags", "PUT", "/bkt/k", "x", []string{"X-Oss-Tagging", "a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1"}, 400, "InvalidArgument"},
		{"meta too large", "PUT", "/bkt/k", "x", []string{"X-Oss-Meta-Big", strings.Repeat("v", 8200)}, 400, "InvalidArgument"},
		{"not implemented", "GET", "/bkt?website", "", nil, 501, "NotImplemented"},
		{"not implemented object", "POST", "/bkt/k?restore", "", nil, 501, "NotImplemented"},
		{"method not allowed", "PATCH", "/bkt/k", "", nil, 405, "MethodNotAllowed"},
		{"no such bucket", "GET", "/nobucket?list-type=2", "", nil, 404, "NoSuchBucket"},
		{"bucket not empty", "DELETE", "/bkt", "", nil, 409, "BucketNotEmpty"},
		{"bad max-keys", "GET", "/bkt?max-keys=5000", "", nil, 400, "InvalidArgument"},
		{"bad token", "GET", "/bkt?list-type=2&continuation-token=!!!", "", nil, 400, "InvalidArgument"},
		{"bad part number", "PUT", "/bkt/k?partNumber=0&uploadId=u", "x", nil, 400, "InvalidArgument"},
		{"bad position", "POST", "/bkt/k?append&position=-1", "x", nil, 400, "InvalidArgument"},
		{"delete without md5", "POST", "/bkt?delete", "<Delete><Object><Key>a</Key></Object></Delete>", nil, 400, "InvalidDigest"},
		{"complete both", "POST", "/bkt/k?uploadId=u", "<CompleteMultipartUpload/>", []string{hdrOSSCompleteAll, "yes"}, 400, "InvalidArgument"},
		{"complete neither", "POST", "/bkt/k?uploadId=u", "", nil, 400, "MalformedXML"},
		{"versioning bad xml", "PUT", "/bkt?versioning", "<VersioningConfiguration><Status>On</Status></VersioningConfiguration>", nil, 400, "MalformedXML"},
		{"tagging bad xml", "PUT", "/bkt/k?tagging", "<Tagging>", nil, 400, "MalformedXML"},
		{"callback", "PUT", "/bkt/k", "x", []string{"X-Oss-Callback", "e30="}, 501, "NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do("PUT", "/bkt/keep", "x", "Authorization", "oss")
			w := e.do(tt.method, tt.target, tt.body, append([]string{"Authorization", "oss"}, tt.hdr...)...)
			if w.Code != tt.status || errCode(t, w) != tt.code {
				t.Fatalf("got %d %q, want %d %q: %s", w.Code, errCode(t, w), tt.status, tt.code, w.Body)
			}
		})
	}
}

func TestMissingContentLength(t *testing.T) {
	e := newTestEnv(t)
	r := httptest.NewRequest("PUT", "/bkt/k", nil)
	r.Header.Set("Authorization", "oss")
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != 411 || errCode(t, w) != "MissingContentLength" {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	// HTTP chunked bodies are accepted.
	r = httptest.NewRequest("PUT", "/bkt/k", strings.NewReader("abc"))
	r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
	r.Header.Set("Authorization", "oss")
	w = httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("chunked put: %d %s", w.Code, w.Body)
	}
}

func TestS3BadDigest(t *testing.T) {
	e := newTestEnv(t)
	w := e.do("PUT", "/bkt/k", "x", "Authorization", "s3", "Content-MD5", md5b64("y"))
	if w.Code != 400 || errCode(t, w) != "BadDigest" {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
}

func TestS3Checksums(t *testing.T) {
	e := newTestEnv(t)
	// CRC32 of "hello" is 0x3610a686.
	const crc = "NhCmhg=="
	w := e.do("PUT", "/bkt/c", "hello", "Authorization", "s3", "X-Amz-Checksum-Crc32", crc)
	if w.Code != 200 || w.Header().Get("X-Amz-Checksum-Crc32") != crc {
		t.Fatalf("put: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if e.eng.lastPut.Checksums["crc32"] != crc {
		t.Fatalf("stored checksums %v", e.eng.lastPut.Checksums)
	}
	w = e.do("GET", "/bkt/c", "", "Authorization", "s3", "X-Amz-Checksum-Mode", "ENABLED")
	if w.Header().Get("X-Amz-Checksum-Crc32") != crc {
		t.Fatalf("get did not echo: %v", w.Header())
	}
	w = e.do("GET", "/bkt/c", "", "Authorization", "s3", "X-Amz-Checksum-Mode", "ENABLED", "Range", "bytes=0-1")
	if w.Header().Get("X-Amz-Checksum-Crc32") != "" {
		t.Fatal("checksum echoed on a range")
	}
	w = e.do("PUT", "/bkt/c2", "hello", "Authorization", "s3", "X-Amz-Checksum-Crc32", "AAAAAA==")
	if w.Code != 400 || errCode(t, w) != "BadDigest" {
		t.Fatalf("bad checksum: %d %s", w.Code, w.Body)
	}
	if _, err := e.eng.lookup("bkt", "c2"); err == nil {
		t.Fatal("object stored despite a bad checksum")
	}
	// A trailer-announced checksum is computed and stored.
	w = e.do("PUT", "/bkt/c3", "hello", "Authorization", "s3", "X-Amz-Trailer", "x-amz-checksum-crc32")
	if w.Code != 200 || e.eng.lastPut.Checksums["crc32"] != crc {
		t.Fatalf("trailer checksum: %d %v", w.Code, e.eng.lastPut.Checksums)
	}
}

func TestCRC64NVME(t *testing.T) {
	h := checksumAlgorithms["crc64nvme"]()
	h.Write([]byte("123456789"))
	if got := h.Sum(nil); got[0] != 0xAE || got[7] != 0x88 {
		t.Fatalf("CRC-64/NVME check = %x, want ae8b14860a799888", got)
	}
}

func TestListingXML(t *testing.T) {
	e := newTestEnv(t)
	for _, k := range []string{"a b", "c+d", "e/f"} {
		e.do("PUT", "/bkt/"+strings.ReplaceAll(k, " ", "%20"), "x", "Authorization", "oss")
	}
	w := e.do("GET", "/bkt?list-type=2&max-keys=2&encoding-type=url&fetch-owner=true", "", "Authorization", "oss")
	var res struct {
		KeyCount              int
		IsTruncated           bool
		NextContinuationToken string
		EncodingType          string
		Contents              []struct {
			Key   string
			Owner *struct{ ID string }
			Type  string
		}
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err, w.Body)
	}
	if res.KeyCount != 2 || !res.IsTruncated || res.EncodingType != "url" || res.Contents[0].Key != "a+b" || res.Contents[1].Key != "c%2Bd" ||
		res.Contents[0].Owner == nil || res.Contents[0].Type != "Normal" {
		t.Fatalf("page 1: %s", w.Body)
	}
	w = e.do("GET", "/bkt?list-type=2&continuation-token="+res.NextContinuationToken, "", "Authorization", "oss")
	res.Contents = nil
	if err := xml.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Contents) != 1 || res.Contents[0].Key != "e/f" || res.Contents[0].Owner != nil || res.IsTruncated {
		t.Fatalf("page 2: %s", w.Body)
	}
	w = e.do("GET", "/bkt?list-type=2", "", "Authorization", "s3")
	if !strings.Contains(w.Body.String(), `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`) ||
		!strings.Contains(w.Body.String(), "<StorageClass>STANDARD</StorageClass>") || strings.Contains(w.Body.String(), "<Type>") {
		t.Fatalf("S3 listing: %s", w.Body)
	}
	w = e.do("GET", "/bkt?marker=a", "", "Authorization", "oss")
	if !strings.Contains(w.Body.String(), "<Marker>a</Marker>") || !strings.Contains(w.Body.String(), "<MaxKeys>100</MaxKeys>") {
		t.Fatalf("V1 listing: %s", w.Body)
	}
	w = e.do("GET", "/", "", "Authorization", "oss")
	if !strings.Contains(w.Body.String(), "<Name>bkt</Name>") || !strings.Contains(w.Body.String(), "<Location>oss-cn-hangzhou</Location>") {
		t.Fatalf("ListBuckets: %s", w.Body)
	}
}

func TestDeleteMultiple(t *testing.T) {
	e := newTestEnv(t)
	e.do("PUT", "/bkt/a", "x", "Authorization", "oss")
	body := "<Delete><Quiet>false</Quiet><Object><Key>a</Key></Object><Object><Key>b c</Key></Object></Delete>"
	w := e.do("POST", "/bkt?delete&encoding-type=url", body, "Authorization", "oss", "Content-MD5", md5b64(body))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<Deleted><Key>a</Key></Deleted><Deleted><Key>b+c</Key></Deleted>") {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	quiet := strings.Replace(body, "false", "true", 1)
	w = e.do("POST", "/bkt?delete", quiet, "Authorization", "oss", "Content-MD5", md5b64(quiet))
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("quiet delete: %d %s", w.Code, w.Body)
	}
	w = e.do("POST", "/bkt?delete", body, "Authorization", "oss", "Content-MD5", md5b64("other"))
	if w.Code != 400 || errCode(t, w) != "InvalidDigest" {
		t.Fatalf("digest mismatch: %d %s", w.Code, w.Body)
	}
	// S3 accepts an x-amz-checksum-* header instead of Content-MD5.
	w = e.do("POST", "/bkt?delete", body, "Authorization", "s3", "X-Amz-Checksum-Sha256", sha256b64(body))
	if w.Code != 200 {
		t.Fatalf("s3 delete: %d %s", w.Code, w.Body)
	}
	w = e.do("POST", "/bkt?delete", body, "Authorization", "s3")
	if w.Code != 400 || errCode(t, w) != "InvalidRequest" {
		t.Fatalf("s3 delete without checksum: %d %s", w.Code, w.Body)
	}
}

func TestTaggingXML(t *testing.T) {
	e := newTestEnv(t)
	e.do("PUT", "/bkt/t", "x", "Authorization", "oss")
	w := e.do("PUT", "/bkt/t?tagging", "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>", "Authorization", "oss")
	if w.Code != 200 {
		t.Fatalf("put tagging: %d %s", w.Code, w.Body)
	}
	w = e.do("GET", "/bkt/t?tagging", "", "Authorization", "oss")
	if !strings.Contains(w.Body.String(), "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>") {
		t.Fatalf("get tagging: %s", w.Body)
	}
	w = e.do("PUT", "/bkt/t?tagging", "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k</Key><Value>w</Value></Tag></TagSet></Tagging>", "Authorization", "oss")
	if w.Code != 400 || errCode(t, w) != "InvalidArgument" {
		t.Fatalf("duplicate tag: %d %s", w.Code, w.Body)
	}
}

func TestAnonymousAccess(t *testing.T) {
	e := newTestEnv(t)
	e.do("PUT", "/bkt/k", "data", "Authorization", "oss")
	steps := []struct {
		acl    oss.ACL
		method string
		target string
		status int
	}{
		{oss.ACLPrivate, "GET", "/bkt/k", 403},
		{oss.ACLPrivate, "GET", "/bkt", 403},
		{oss.ACLPublicRead, "GET", "/bkt/k", 200},
		{oss.ACLPublicRead, "GET", "/bkt?list-type=2", 200},
		{oss.ACLPublicRead, "PUT", "/bkt/k2", 403},
		{oss.ACLPublicRead, "GET", "/bkt?acl", 403},
		{oss.ACLPublicReadWrite, "PUT", "/bkt/k2", 200},
		{oss.ACLPublicReadWrite, "DELETE", "/bkt", 403},
		{oss.ACLPublicReadWrite, "GET", "/", 403},
	}
	for _, s := range steps {
		e.eng.PutBucketACL(t.Context(), "bkt", s.acl)
		w := e.do(s.method, s.target, "")
		if w.Code != s.status {
			t.Errorf("%s %s %s: %d, want %d (%s)", s.acl, s.method, s.target, w.Code, s.status, w.Body)
		}
		if s.status == 403 && errCode(t, w) != "AccessDenied" {
			t.Errorf("%s %s: code %q", s.method, s.target, errCode(t, w))
		}
	}
	// An object ACL overrides the bucket's.
	e.eng.PutBucketACL(t.Context(), "bkt", oss.ACLPrivate)
	o, _ := e.eng.lookup("bkt", "k")
	o.info.ACL = oss.ACLPublicRead
	if w := e.do("GET", "/bkt/k", ""); w.Code != 200 {
		t.Fatalf("object public-read: %d", w.Code)
	}
	// Anonymous requests to a missing bucket learn that it is missing.
	if w := e.do("GET", "/nobucket/k", ""); w.Code != 404 {
		t.Fatalf("missing bucket: %d", w.Code)
	}
}

func TestObserverBytes(t *testing.T) {
	e := newTestEnv(t)
	e.do("PUT", "/bkt/k", "12345", "Authorization", "oss")
	if got := e.obs.last(); got.op != "PutObject" || got.bytesIn != 5 || got.status != 200 {
		t.Fatalf("observation %+v", got)
	}
	e.do("GET", "/bkt?website", "", "Authorization", "oss")
	if got := e.obs.last(); got.op != "GetBucketWebsite" || got.status != 501 {
		t.Fatalf("observation %+v", got)
	}
	if n := len(e.obs.obs); n != 2 {
		t.Fatalf("%d observations for 2 requests", n)
	}
}

// panicEngine panics in ListBuckets.
type panicEngine struct{ *fakeEngine }

func (panicEngine) ListBuckets(context.Context, oss.ListBucketsInput) (oss.ListBucketsOutput, error) {
	panic("boom")
}

func TestPanicIsInternalError(t *testing.T) {
	obs := &fakeObserver{}
	h := New(Config{}, panicEngine{newFakeEngine()}, fakeAuth{}, obs)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "oss")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 500 || errCode(t, w) != "InternalError" || strings.Contains(w.Body.String(), "boom") {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if got := obs.last(); got.op != "ListBuckets" || got.status != 500 {
		t.Fatalf("observation %+v", got)
	}
}

func TestXMLBodyLimits(t *testing.T) {
	e := newTestEnv(t)
	e.h.maxXML = 64
	big := "<Tagging><TagSet>" + strings.Repeat(" ", 100) + "</TagSet></Tagging>"
	e.do("PUT", "/bkt/k", "x", "Authorization", "oss")
	if w := e.do("PUT", "/bkt/k?tagging", big, "Authorization", "oss"); w.Code != 400 || errCode(t, w) != "EntityTooLarge" {
		t.Fatalf("tagging over MaxXMLBody: %d %s", w.Code, w.Body)
	}
	// DeleteMultipleObjects is bounded by OSS's 2 MB, not by MaxXMLBody.
	del := "<Delete><Object><Key>k</Key></Object>" + strings.Repeat(" ", 100) + "</Delete>"
	if w := e.do("POST", "/bkt?delete", del, "Authorization", "oss", "Content-MD5", md5b64(del)); w.Code != 200 {
		t.Fatalf("small delete: %d %s", w.Code, w.Body)
	}
	huge := "<Delete><Object><Key>k</Key></Object>" + strings.Repeat(" ", DefaultMaxXMLBody) + "</Delete>"
	if w := e.do("POST", "/bkt?delete", huge, "Authorization", "oss", "Content-MD5", md5b64(huge)); w.Code != 400 || errCode(t, w) != "MalformedXML" {
		t.Fatalf("delete over 2 MB: %d %s", w.Code, w.Body)
	}
	keys := strings.Repeat("<Object><Key>k</Key></Object>", 1001)
	tooMany := "<Delete>" + keys + "</Delete>"
	if w := e.do("POST", "/bkt?delete", tooMany, "Authorization", "oss", "Content-MD5", md5b64(tooMany)); w.Code != 400 || errCode(t, w) != "MalformedXML" {
		t.Fatalf("1001 keys: %d %s", w.Code, w.Body)
	}
}

func TestRequestInfoInContext(t *testing.T) {
	e := newTestEnv(t)
	w := e.do("PUT", "/bkt/k", "x", "Authorization", "oss")
	ri := e.eng.lastInfo
	if ri.RequestID != w.Header().Get(hdrOSSRequestID) || ri.PrincipalID != "ak" || ri.SourceIP != "192.0.2.1" {
		t.Fatalf("request info %+v", ri)
	}
}
