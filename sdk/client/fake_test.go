package client

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/checksum"
)

// fakeOSS is a minimal in-memory OSS for testing the client's own logic
// (signing, multipart orchestration, error parsing) in isolation; the real
// server is exercised by the round-trip tests.
type fakeOSS struct {
	t        testing.TB
	verifier *auth.Verifier

	mu        sync.Mutex
	objects   map[string][]byte
	uploads   map[string]map[int][]byte
	nextID    int
	aborted   []string
	inflight  int
	maxFlight int
	// failPart makes UploadPart of that part number fail (with 500) that
	// many times.
	failPart  map[int]int
	badCRC    bool // report a wrong CRC on PutObject
	lastQuery string
}

type fakeCreds struct{ ak, sk string }

func (c fakeCreds) SecretFor(_ context.Context, ak string) (string, error) {
	if ak != c.ak {
		return "", fmt.Errorf("%q: %w", ak, auth.ErrUnknownAccessKey)
	}
	return c.sk, nil
}

func newFake(t testing.TB) (*fakeOSS, *Client) {
	f := &fakeOSS{
		t:        t,
		verifier: &auth.Verifier{Creds: fakeCreds{"AKID", "SECRET-SECRET"}},
		objects:  map[string][]byte{},
		uploads:  map[string]map[int][]byte{},
		failPart: map[int]int{},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "AKID", "SECRET-SECRET")
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("x-oss-request-id", "REQ1")
	w.Header().Set("x-oss-ec", "0000-00000000")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<Error><Code>%s</Code><Message>%s</Message><RequestId>REQ1</RequestId><EC>0000-00000000</EC></Error>", code, msg)
}

func (f *fakeOSS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if _, err := f.verifier.Verify(r.Context(), r, bucket, key); err != nil {
		writeErr(w, http.StatusForbidden, "SignatureDoesNotMatch", err.Error())
		return
	}
	q := r.URL.Query()
	f.mu.Lock()
	f.lastQuery = r.URL.RawQuery
	f.mu.Unlock()
	name := bucket + "/" + key
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		f.mu.Lock()
		f.nextID++
		id := strconv.Itoa(f.nextID)
		f.uploads[id] = map[int][]byte{}
		f.mu.Unlock()
		fmt.Fprintf(w, "<InitiateMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>", bucket, key, id)
	case r.Method == http.MethodPut && q.Has("uploadId"):
		f.mu.Lock()
		f.inflight++
		f.maxFlight = max(f.maxFlight, f.inflight)
		n, _ := strconv.Atoi(q.Get("partNumber"))
		fail := f.failPart[n] > 0
		if fail {
			f.failPart[n]--
		}
		f.mu.Unlock()
		defer func() { f.mu.Lock(); f.inflight--; f.mu.Unlock() }()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if fail {
			writeErr(w, http.StatusInternalServerError, "InternalError", "injected")
			return
		}
		f.mu.Lock()
		parts, ok := f.uploads[q.Get("uploadId")]
		if ok {
			parts[n] = body
		}
		f.mu.Unlock()
		if !ok {
			writeErr(w, 404, "NoSuchUpload", "no upload")
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"P%d"`, n))
		w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(checksum.CRC64(body), 10))
	case r.Method == http.MethodPost && q.Has("uploadId"):
		var doc completeXML
		if err := xml.NewDecoder(r.Body).Decode(&doc); err != nil {
			writeErr(w, 400, "MalformedXML", err.Error())
			return
		}
		f.mu.Lock()
		parts := f.uploads[q.Get("uploadId")]
		delete(f.uploads, q.Get("uploadId"))
		var all []byte
		prev := 0
		for _, p := range doc.Parts {
			if p.PartNumber <= prev || p.ETag != fmt.Sprintf(`"P%d"`, p.PartNumber) {
				f.mu.Unlock()
				writeErr(w, 400, "InvalidPart", "bad part")
				return
			}
			prev = p.PartNumber
			all = append(all, parts[p.PartNumber]...)
		}
		f.objects[name] = all
		f.mu.Unlock()
		w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(checksum.CRC64(all), 10))
		fmt.Fprintf(w, `<CompleteMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><ETag>"M-%d"</ETag></CompleteMultipartUploadResult>`, bucket, key, len(doc.Parts))
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		f.mu.Lock()
		f.aborted = append(f.aborted, q.Get("uploadId"))
		delete(f.uploads, q.Get("uploadId"))
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPut:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.objects[name] = body
		bad := f.badCRC
		f.mu.Unlock()
		crc := checksum.CRC64(body)
		if bad {
			crc++
		}
		w.Header().Set("ETag", `"E"`)
		w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc, 10))
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		f.mu.Lock()
		body, ok := f.objects[name]
		bad := f.badCRC
		f.mu.Unlock()
		if !ok {
			if r.Method == http.MethodHead {
				w.Header().Set("x-oss-err", "PEVycm9yPjxDb2RlPk5vU3VjaEtleTwvQ29kZT48TWVzc2FnZT5UaGUgc3BlY2lmaWVkIGtleSBkb2VzIG5vdCBleGlzdC48L01lc3NhZ2U+PFJlcXVlc3RJZD5IRUFEMTwvUmVxdWVzdElkPjxFQz4wMDI2LTAwMDAwMDAxPC9FQz48L0Vycm9yPg==")
				w.WriteHeader(404)
				return
			}
			writeErr(w, 404, "NoSuchKey", "The specified key does not exist.")
			return
		}
		crc := checksum.CRC64(body)
		if bad {
			crc++
		}
		w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc, 10))
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	default:
		writeErr(w, 405, "MethodNotAllowed", r.Method)
	}
}

func (f *fakeOSS) object(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[name]
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// onlyReader hides io.ReaderAt so Upload takes the buffered path.
type onlyReader struct{ io.Reader }

func TestUploadPaths(t *testing.T) {
	const part = MinPartSize
	tests := []struct {
		name      string
		size      int
		sized     bool // pass the size
		readerAt  bool
		wantParts int // 0 = single PutObject
	}{
		{"small sized", 1000, true, true, 0},
		{"exactly one part sized", part, true, true, 0},
		{"empty stream", 0, false, false, 0},
		{"small stream", 5000, false, false, 0},
		{"stream of exactly one part", part, false, false, 1},
		{"readerAt many parts", 5*part + 17, true, true, 6},
		{"stream many parts", 5*part + 17, false, false, 6},
		{"sized plain reader", 3 * part, true, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t)
			data := pattern(tt.size)
			var r io.Reader = bytes.NewReader(data)
			if !tt.readerAt {
				r = onlyReader{r}
			}
			size := int64(-1)
			if tt.sized {
				size = int64(tt.size)
			}
			var mu sync.Mutex
			var last int64
			info, err := c.Upload(context.Background(), "b", "k", r, size, &UploadOptions{
				PartSize: part, Concurrency: 3,
				Progress: func(done, total int64) { mu.Lock(); last = done; mu.Unlock() },
			})
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			if got := f.object("b/k"); !bytes.Equal(got, data) {
				t.Fatalf("stored %d bytes, want %d (equal=%v)", len(got), len(data), bytes.Equal(got, data))
			}
			if info.Size != int64(tt.size) {
				t.Errorf("info.Size = %d, want %d", info.Size, tt.size)
			}
			wantETag := `"E"`
			if tt.wantParts > 0 {
				wantETag = fmt.Sprintf(`"M-%d"`, tt.wantParts)
			}
			if info.ETag != wantETag {
				t.Errorf("ETag = %s, want %s", info.ETag, wantETag)
			}
			if tt.size > 0 && last != int64(tt.size) {
				t.Errorf("progress ended at %d, want %d", last, tt.size)
			}
		})
	}
}

func TestUploadConcurrencyBounded(t *testing.T) {
	f, c := newFake(t)
	data := pattern(12 * MinPartSize)
	if _, err := c.Upload(context.Background(), "b", "k", bytes.NewReader(data), int64(len(data)), &UploadOptions{PartSize: MinPartSize, Concurrency: 4}); err != nil {
		t.Fatal(err)
	}
	if f.maxFlight > 4 {
		t.Fatalf("max parts in flight %d > 4", f.maxFlight)
	}
}

func TestUploadRetriesTransientPartFailure(t *testing.T) {
	f, c := newFake(t)
	f.failPart[2] = 2 // fails twice, third attempt succeeds
	data := pattern(3 * MinPartSize)
	var last int64
	if _, err := c.Upload(context.Background(), "b", "k", onlyReader{bytes.NewReader(data)}, -1, &UploadOptions{
		PartSize: MinPartSize, Progress: func(done, _ int64) { last = done },
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.object("b/k"), data) {
		t.Fatal("content mismatch")
	}
	if last != int64(len(data)) {
		t.Fatalf("progress %d after retries, want %d", last, len(data))
	}
}

func TestUploadAbortsOnPersistentFailure(t *testing.T) {
	f, c := newFake(t)
	f.failPart[3] = 100
	data := pattern(4 * MinPartSize)
	_, err := c.Upload(context.Background(), "b", "k", bytes.NewReader(data), int64(len(data)), &UploadOptions{PartSize: MinPartSize})
	if !IsCode(err, "InternalError") {
		t.Fatalf("err = %v, want InternalError", err)
	}
	if len(f.aborted) != 1 {
		t.Fatalf("aborted uploads = %v, want one", f.aborted)
	}
	if f.object("b/k") != nil {
		t.Fatal("object exists after failed upload")
	}
}

func TestChecksumMismatchDetected(t *testing.T) {
	f, c := newFake(t)
	ctx := context.Background()
	f.badCRC = true
	if _, err := c.PutObject(ctx, "b", "k", strings.NewReader("hello"), 5, nil); !isChecksumErr(err) {
		t.Fatalf("PutObject with bad server crc: err = %v", err)
	}
	body, _, err := c.GetObject(ctx, "b", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(body)
	body.Close()
	if !isChecksumErr(err) {
		t.Fatalf("GetObject with bad server crc: read err = %v", err)
	}
}

func isChecksumErr(err error) bool { return errors.Is(err, ErrChecksumMismatch) }

func TestErrorParsing(t *testing.T) {
	_, c := newFake(t)
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want Error
	}{
		{"GET body", func() error { _, _, err := c.GetObject(ctx, "b", "missing", nil); return err },
			Error{StatusCode: 404, Code: "NoSuchKey", Message: "The specified key does not exist.", RequestID: "REQ1", EC: "0000-00000000", Bucket: "b", Key: "missing"}},
		{"HEAD x-oss-err", func() error { _, err := c.HeadObject(ctx, "b", "missing", nil); return err },
			Error{StatusCode: 404, Code: "NoSuchKey", Message: "The specified key does not exist.", RequestID: "HEAD1", EC: "0026-00000001", Bucket: "b", Key: "missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var e *Error
			if !asError(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if *e != tt.want {
				t.Fatalf("got %+v\nwant %+v", *e, tt.want)
			}
		})
	}
}

func TestBadCredentialsRejectedByVerifier(t *testing.T) {
	f, _ := newFake(t)
	_ = f
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := New(srv.URL, "AKID", "wrong-secret")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PutObject(context.Background(), "b", "k", strings.NewReader("x"), 1, nil)
	if !IsCode(err, "SignatureDoesNotMatch") {
		t.Fatalf("err = %v", err)
	}
}

func TestEncodeQuery(t *testing.T) {
	tests := []struct {
		in   map[string][]string
		want string
	}{
		{map[string][]string{"uploads": {""}}, "uploads"},
		{map[string][]string{"uploadId": {"a b"}, "partNumber": {"1"}}, "partNumber=1&uploadId=a%20b"},
		{map[string][]string{"prefix": {"a/b+c"}}, "prefix=a%2Fb%2Bc"},
	}
	for _, tt := range tests {
		if got := encodeQuery(tt.in); got != tt.want {
			t.Errorf("encodeQuery(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEscapeKeyRoundTripsThroughFake(t *testing.T) {
	f, c := newFake(t)
	keys := []string{"a b/c+d", "unicode/日本語.txt", "pct%2F/x?y#z", "semi;colon=eq&amp"}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := c.PutObject(context.Background(), "b", k, strings.NewReader(k), int64(len(k)), nil); err != nil {
			t.Fatalf("PutObject(%q): %v", k, err)
		}
		if got := string(f.object("b/" + k)); got != k {
			t.Errorf("key %q stored as something else (%q)", k, got)
		}
	}
}

func TestNewValidatesEndpoint(t *testing.T) {
	for _, ep := range []string{"", "127.0.0.1:9000", "ftp://x", "http://h/path", "http://h?x=1"} {
		if _, err := New(ep, "a", "b"); err == nil {
			t.Errorf("New(%q) succeeded", ep)
		}
	}
	if _, err := New("http://h:1/", "a", ""); err == nil {
		t.Error("New with ak but no secret succeeded")
	}
	if _, err := New("http://h:1/", "", ""); err != nil {
		t.Errorf("anonymous client: %v", err)
	}
}
