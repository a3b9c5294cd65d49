package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// TestReadErrorHeaders: a 304 keeps ETag and Last-Modified; a 404 caused by
// a delete marker says so, for GET and HEAD.
func TestReadErrorHeaders(t *testing.T) {
	s := newServer(t, false)
	now := time.Now()
	must := func(r *http.Request, want int) *http.Response {
		t.Helper()
		resp, body := s.do(t, r)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", r.Method, r.URL, resp.StatusCode, body, want)
		}
		return resp
	}
	must(s.ossV4Request(t, "PUT", "readerrs", "", "", now), 200)
	put := must(s.ossV4Request(t, "PUT", "readerrs", "k", "hello", now), 200)
	etag := put.Header.Get("ETag")

	for _, method := range []string{"GET", "HEAD"} {
		nm := must(s.ossV4Request(t, method, "readerrs", "k", "", now, "If-None-Match", etag), http.StatusNotModified)
		if nm.Header.Get("ETag") != etag || nm.Header.Get("Last-Modified") == "" {
			t.Fatalf("%s 304 headers: ETag %q Last-Modified %q, want %q and a date", method, nm.Header.Get("ETag"), nm.Header.Get("Last-Modified"), etag)
		}
		pf := must(s.ossV4Request(t, method, "readerrs", "k", "", now, "If-Match", `"0000"`), http.StatusPreconditionFailed)
		if pf.Header.Get("ETag") != "" {
			t.Fatalf("%s 412 must not carry the success headers: %v", method, pf.Header)
		}
	}

	// Versioned bucket: deleting the key leaves a delete marker.
	vb, err := http.NewRequest("PUT", s.URL+"/readerrs/?versioning", strings.NewReader(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`))
	if err != nil {
		t.Fatal(err)
	}
	auth.SignOSSV4(vb, rootAK, rootSK, region, "readerrs", "", now)
	must(vb, 200)
	must(s.ossV4Request(t, "PUT", "readerrs", "v", "data", now), 200)
	del := must(s.ossV4Request(t, "DELETE", "readerrs", "v", "", now), http.StatusNoContent)
	markerID := del.Header.Get("X-Oss-Version-Id")
	if del.Header.Get("X-Oss-Delete-Marker") != "true" || markerID == "" {
		t.Fatalf("delete: %v", del.Header)
	}
	for _, method := range []string{"GET", "HEAD"} {
		nf := must(s.ossV4Request(t, method, "readerrs", "v", "", now), http.StatusNotFound)
		if nf.Header.Get("X-Oss-Delete-Marker") != "true" || nf.Header.Get("X-Oss-Version-Id") != markerID {
			t.Fatalf("%s of a deleted key: delete-marker %q version %q, want true and %q",
				method, nf.Header.Get("X-Oss-Delete-Marker"), nf.Header.Get("X-Oss-Version-Id"), markerID)
		}
	}
	// A key that never existed is a plain 404.
	nf := must(s.ossV4Request(t, "HEAD", "readerrs", "never", "", now), http.StatusNotFound)
	if nf.Header.Get("X-Oss-Delete-Marker") != "" {
		t.Fatalf("missing key reported as a delete marker: %v", nf.Header)
	}
}
