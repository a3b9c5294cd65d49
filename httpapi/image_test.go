package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
)

func TestImageRoute(t *testing.T) {
	tests := []struct {
		method, bucket, key, query string
		want                       *operation
		name                       string
	}{
		{"GET", "b", "k", "x-oss-process=image/resize,w_10", opGetImage, "GetObject"},
		{"GET", "b", "k", "x-oss-process=style/thumb&versionId=v1", opGetImage, "GetObject"},
		{"HEAD", "b", "k", "x-oss-process=image/info", opHeadImage, "HeadObject"},
		{"POST", "b", "k", "x-oss-process", opProcessObject, "ProcessObject"},
		{"GET", "b", "k", "", opGetObject, "GetObject"},
		{"HEAD", "b", "k", "", opHeadObject, "HeadObject"},
		{"GET", "b", "k", "tagging&x-oss-process=image/info", opGetObjectTagging, "GetObjectTagging"},
		{"PUT", "b", "", "style&styleName=thumb", opPutStyle, "PutStyle"},
		{"PUT", "b", "", "style&styleName=thumb&category=image", opPutStyle, "PutStyle"},
		{"GET", "b", "", "style&styleName=thumb", opGetStyle, "GetStyle"},
		{"GET", "b", "", "style", opListStyle, "ListStyle"},
		{"DELETE", "b", "", "style&styleName=thumb", opDeleteStyle, "DeleteStyle"},
		{"DELETE", "b", "", "style=b&styleName=thumb", opDeleteStyle, "DeleteStyle"}, // SDKv1 sends style=<bucket>
		{"POST", "b", "k", "x-oss-async-process", opAsyncProcessObject, "AsyncProcessObject"},
		// Still not implemented.
		{"GET", "b", "k", "x-oss-async-process", nil, "AsyncProcessObject"},
		{"PUT", "b", "k", "x-oss-process", nil, "PutProcessObject"},
		{"POST", "b", "", "style", nil, "PostBucketStyle"},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got := route(tt.method, address{bucket: tt.bucket, key: tt.key}, q, http.Header{})
		if got.name != tt.name || (tt.want != nil && got != tt.want) || (tt.want == nil && got.fail != oss.NotImplemented) {
			t.Errorf("%s /%s/%s?%s = %s (%p), want %s (%p)", tt.method, tt.bucket, tt.key, tt.query, got.name, got, tt.name, tt.want)
		}
	}
	if opGetImage.access != AccessRead || opProcessObject.access != AccessWrite || opPutStyle.access != AccessAdmin || opListStyle.access != AccessAdmin {
		t.Error("image operations' access")
	}
}

func TestImageErrorMapping(t *testing.T) {
	rc := &reqCtx{addr: address{bucket: "b", key: "k"}}
	tests := []struct {
		code   string
		status int
		ec     string
	}{
		{imgproc.CodeInvalidArgument, 400, oss.InvalidArgument.EC()},
		{imgproc.CodeBadRequest, 400, oss.BadRequest.EC()},
		{imgproc.CodeMissingArgument, 400, oss.MissingArgument.EC()},
		{imgproc.CodeNotImplemented, 400, oss.NotImplemented.EC()},
		{imgproc.CodeImageTooLarge, 400, ""},
		{imgproc.CodeWatermarkError, 400, ""},
	}
	for _, tt := range tests {
		err := imageError("GetObject", &imgproc.Error{Code: tt.code, Message: "msg of " + tt.code})
		er := toErrResponse(fmt.Errorf("wrapped: %w", err), rc)
		if er.status != tt.status || er.code != tt.code || er.ec != tt.ec || er.message != "msg of "+tt.code || er.bucket != "" || er.key != "" {
			t.Errorf("%s -> %+v", tt.code, er)
		}
	}
	// A code imgproc might add later is still a 400 InvalidArgument.
	if er := toErrResponse(imageError("GetObject", &imgproc.Error{Code: "Whatever", Message: "m"}), rc); er.status != 400 || er.code != "InvalidArgument" {
		t.Errorf("unknown code -> %+v", er)
	}
	// Anything else is internal and shows no cause.
	if er := toErrResponse(imageError("GetObject", errors.New("secret /path")), rc); er.status != 500 || er.code != "InternalError" || strings.Contains(er.message, "secret") {
		t.Errorf("internal -> %+v", er)
	}
	if er := toErrResponse(oss.E("GetObject", oss.NoSuchStyle, ""), rc); er.status != 404 || er.code != "NoSuchStyle" {
		t.Errorf("NoSuchStyle -> %+v", er)
	}
	// The HEAD form carries the same code in x-oss-err.
	h := New(Config{}, newFakeEngine(), fakeAuth{}, nil)
	w := &respWriter{w: newRecorder()}
	r, _ := http.NewRequest("HEAD", "http://x/b/k", nil)
	h.writeError(w, r, &reqCtx{head: true, reqID: "1"}, imageError("HeadObject", &imgproc.Error{Code: imgproc.CodeImageTooLarge, Message: "big"}))
	xmlErr, _ := base64.StdEncoding.DecodeString(w.Header().Get(hdrOSSErr))
	if w.status != 400 || !strings.Contains(string(xmlErr), "<Code>ImageTooLarge</Code>") || w.Header().Get(hdrOSSEC) != "" {
		t.Errorf("HEAD error %d %v %s", w.status, w.Header(), xmlErr)
	}
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	hd   http.Header
	body bytes.Buffer
	code int
}

func newRecorder() *recorder                    { return &recorder{hd: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.hd }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }

func TestProcessForm(t *testing.T) {
	tests := []struct {
		body, want string
		ok         bool
	}{
		{"x-oss-process=image/resize,w_100|sys/saveas,o_ZGVzdC5qcGc=", "image/resize,w_100|sys/saveas,o_ZGVzdC5qcGc=", true},
		{"x-oss-process=image/resize,w_100|sys/saveas,o_ZGVzdC5qcGc=,b_ZGVzdC1idWNrZXQ=\r\n", "image/resize,w_100|sys/saveas,o_ZGVzdC5qcGc=,b_ZGVzdC1idWNrZXQ=", true},
		{"a=1&x-oss-process=style/thumb%7Csys%2Fsaveas%2Co_YQ&b=2", "style/thumb|sys/saveas,o_YQ", true},
		{"x%2Doss%2Dprocess=image/info", "image/info", true},
		{"x-oss-process=a+b", "a+b", true},
		{"x-oss-process=", "", true},
		{"x-oss-process", "", true},
		{"x-oss-process=%zz", "", false},
		{"x-oss-async-process=image/info", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := processForm([]byte(tt.body), "x-oss-process")
		if got != tt.want || ok != tt.ok {
			t.Errorf("processForm(%q) = %q, %v; want %q, %v", tt.body, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzProcessForm(f *testing.F) {
	for _, s := range []string{"x-oss-process=image/resize,w_100|sys/saveas,o_ZGVzdC5qcGc=", "a=b&x-oss-process=%7C", "x-oss-process=%", "&&=&x-oss-process"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, ok := processForm(body, "x-oss-process")
		if !ok {
			if v != "" {
				t.Fatalf("not ok with value %q", v)
			}
			return
		}
		if v != strings.TrimSpace(v) {
			t.Fatalf("untrimmed %q", v)
		}
		// A value without '&' or '%' survives the SDKs' encoding.
		if !strings.ContainsAny(v, "&%") {
			if got, ok := processForm([]byte("x-oss-process="+v), "x-oss-process"); !ok || got != v {
				t.Fatalf("round trip %q -> %q %v", v, got, ok)
			}
		}
		// Whatever parses goes through imgproc without panicking, and a
		// saveas target, when there is one, is a usable name or an error.
		pl, err := imgproc.Parse(v)
		if err == nil && pl.SaveAs != nil && pl.SaveAs.Object == "" {
			t.Fatalf("saveas without object from %q", v)
		}
	})
}

func TestImageCacheLRU(t *testing.T) {
	res := func(n int) *imageResult { return &imageResult{body: make([]byte, n), contentType: "image/jpeg"} }
	c := newImageCache(10_000)
	c.add("a", res(1000))
	c.add("b", res(1000))
	c.add("c", res(1000))
	if _, ok := c.get("a"); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	for i := range 10 {
		c.add(fmt.Sprint("x", i), res(1000))
	}
	n, used := c.stats()
	if used > 10_000 || n == 0 {
		t.Fatalf("over the bound: %d entries, %d bytes", n, used)
	}
	if _, ok := c.get("b"); ok {
		t.Error("b should be evicted")
	}
	c.add("huge", res(3000)) // more than a quarter of the bound: not kept
	if _, ok := c.get("huge"); ok {
		t.Error("an entry over a quarter of the bound was kept")
	}
	c.add("x9", res(10)) // replace: accounting follows
	n2, used2 := c.stats()
	if n2 != n || used2 >= used {
		t.Errorf("replace: %d/%d -> %d/%d", n, used, n2, used2)
	}
	c.remove("x9")
	if _, ok := c.get("x9"); ok {
		t.Error("removed entry found")
	}
	off := newImageCache(-1)
	off.add("a", res(1))
	if _, ok := off.get("a"); ok {
		t.Error("disabled cache kept an entry")
	}
}

func TestFlightGroup(t *testing.T) {
	var g flightGroup
	var calls atomic.Int32
	release := make(chan struct{})
	want := &imageResult{body: []byte("x")}
	var wg sync.WaitGroup
	results := make([]*imageResult, 8)
	shared := make([]bool, 8)
	for i := range 8 {
		wg.Go(func() {
			results[i], shared[i], _ = g.do(context.Background(), "k", func() (*imageResult, error) {
				calls.Add(1)
				<-release
				return want, nil
			})
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	nShared := 0
	for i := range 8 {
		if results[i] != want {
			t.Fatalf("result %d", i)
		}
		if shared[i] {
			nShared++
		}
	}
	if int(calls.Load())+nShared != 8 || calls.Load() < 1 {
		t.Fatalf("calls %d shared %d", calls.Load(), nShared)
	}

	// A leader whose own request ends does not fail its followers: one of
	// them runs fn again.
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, _, err := g.do(ctx, "k2", func() (*imageResult, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		done <- err
	}()
	<-started
	followerDone := make(chan *imageResult, 1)
	go func() {
		r, _, err := g.do(context.Background(), "k2", func() (*imageResult, error) { return want, nil })
		if err != nil {
			t.Error(err)
		}
		followerDone <- r
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader %v", err)
	}
	if r := <-followerDone; r != want {
		t.Fatal("follower did not retry")
	}

	// A panicking fn fails its waiters instead of leaving them hanging.
	func() {
		defer func() { _ = recover() }()
		g.do(context.Background(), "k3", func() (*imageResult, error) { panic("boom") })
	}()
	if _, _, err := g.do(context.Background(), "k3", func() (*imageResult, error) { return want, nil }); err != nil {
		t.Fatalf("after panic: %v", err)
	}
}

func TestStyleNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"thumb": true, "a": true, "A_b-c.d9": true, strings.Repeat("x", 63): true,
		"": false, strings.Repeat("x", 64): false, "Images!tyle": false, "a/b": false, "a b": false, "中": false,
	} {
		if validStyleName(name) != ok {
			t.Errorf("validStyleName(%q) != %v", name, ok)
		}
	}
	var d styleDoc
	for _, n := range []string{"m", "a", "z"} {
		i, ok := d.index(n)
		if ok {
			t.Fatal(n)
		}
		d.Styles = append(d.Styles, storedStyle{})
		copy(d.Styles[i+1:], d.Styles[i:])
		d.Styles[i] = storedStyle{Name: n}
	}
	if d.Styles[0].Name != "a" || d.Styles[1].Name != "m" || d.Styles[2].Name != "z" {
		t.Fatalf("order %+v", d.Styles)
	}
	if _, ok := d.get("m"); !ok {
		t.Fatal("get m")
	}
}
