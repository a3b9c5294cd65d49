package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/oss"
)

// An authenticated request's X-Ossflow-Origin becomes the origin of its
// write's event (a remote function worker's loop guard); an anonymous
// one's is ignored.
func TestOriginHeaderReachesEvent(t *testing.T) {
	s := newServer(t, false)
	ctx := t.Context()
	put := func(path, origin string, sign bool) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.URL+path, strings.NewReader("x"))
		must(t, err)
		if origin != "" {
			req.Header.Set("X-Ossflow-Origin", origin)
		}
		if sign {
			bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
			auth.SignOSSV4(req, rootAK, rootSK, region, bucket, key, time.Now())
		}
		resp, err := s.Client().Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT %s: %s", path, resp.Status)
		}
	}
	_, err := s.store.CreateBucket(ctx, oss.Bucket{Name: "origins"})
	must(t, err)
	must(t, s.store.PutBucketACL(ctx, "origins", "public-read-write"))
	put("/origins/by-function", "function:thumb", true)
	put("/origins/by-client", "", true)
	put("/origins/anonymous", "function:thumb", false)
	evs, err := s.store.OutboxRead(ctx, 0, 100)
	must(t, err)
	got := map[string]string{}
	for _, e := range evs {
		if e.Key != "" {
			got[e.Key] = e.Origin
		}
	}
	want := map[string]string{"by-function": "function:thumb", "by-client": "", "anonymous": ""}
	for k, v := range want {
		if o, ok := got[k]; !ok || o != v {
			t.Errorf("event of %s: origin %q (present %v), want %q", k, o, ok, v)
		}
	}
}
