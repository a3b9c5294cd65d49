package runtime

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/runtime/abi"
)

// TestObjectStreaming64MiBUnder16MiBCap copies a 64 MiB object through a
// Go guest whose memory is capped at 16 MiB: the data is streamed through
// handles in chunks, never held whole in guest memory.
func TestObjectStreaming64MiBUnder16MiBCap(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	objs := newMemObjects()
	data := make([]byte, 64<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	objs.put("src", "big.bin", data, "application/octet-stream")
	f := load(t, rt, "copier", "testguest", Limits{MaxMemory: 16 << 20},
		Grants{Read: []string{"src/"}, Write: []string{"dst/copies/"}})

	out, err := invoke(t, f, "copy:src/big.bin dst/copies/big.bin", Env{Objects: objs})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%d %d", len(data), len(data)); out != want {
		t.Fatalf("guest saw %q, want %q", out, want)
	}
	copied, ok := objs.get("dst", "copies/big.bin")
	if !ok || !bytes.Equal(copied, data) {
		t.Fatalf("copy differs from the source (%d bytes stored)", len(copied))
	}
}

func TestObjectOperations(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	objs := newMemObjects()
	objs.put("b", "docs/a.txt", []byte("alpha"), "text/plain")
	objs.put("b", "docs/b.txt", []byte("beta"), "text/plain")
	objs.put("private", "secret.txt", []byte("s3cr3t"), "text/plain")
	f := load(t, rt, "objfn", "testguest", Limits{},
		Grants{Read: []string{"b/docs/"}, Write: []string{"b/out/", "b/docs/b.txt"}})
	env := Env{Objects: objs}

	tests := []struct {
		name, input string
		check       func(t *testing.T, out string)
		kind        Kind
		msg         string
	}{
		{name: "read", input: "tryread:b/docs/a.txt", check: equals("alpha")},
		{name: "head", input: "head:b/docs/a.txt", check: func(t *testing.T, out string) {
			var info abi.ObjectInfo
			if err := json.Unmarshal([]byte(out), &info); err != nil || info.Size != 5 || info.ContentType != "text/plain" || info.Key != "docs/a.txt" {
				t.Fatalf("head: %s (%v)", out, err)
			}
		}},
		{name: "list", input: "list:b/docs/", check: func(t *testing.T, out string) {
			var res abi.ListResult
			if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Objects) != 2 || res.Objects[1].Key != "docs/b.txt" {
				t.Fatalf("list: %s (%v)", out, err)
			}
		}},
		{name: "put", input: "put:b/out/new.txt=fresh", check: func(t *testing.T, out string) {
			if got, _ := objs.get("b", "out/new.txt"); string(got) != "fresh" {
				t.Fatalf("stored %q", got)
			}
		}},
		{name: "delete granted", input: "delete:b/docs/b.txt", check: func(t *testing.T, _ string) {
			if _, ok := objs.get("b", "docs/b.txt"); ok {
				t.Fatal("not deleted")
			}
		}},
		{name: "missing key", input: "tryread:b/docs/none.txt", check: equals("error: object_open_read: NoSuchKey: The specified key does not exist.")},
		{name: "read denied, visible to the guest", input: "tryread:private/secret.txt",
			check: equals("error: object_open_read: access denied: function objfn may not read private/secret.txt")},
		{name: "write denied", input: "delete:b/docs/a.txt", kind: Denied, msg: "access denied: function objfn may not write b/docs/a.txt"},
		{name: "put denied", input: "put:b/elsewhere.txt=x", kind: Denied, msg: "may not write b/elsewhere.txt"},
		{name: "list outside the grant", input: "list:b/", kind: Denied, msg: "may not list b/"},
		{name: "unknown op", input: "nope:", kind: GuestError, msg: `unknown op "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := invoke(t, f, tc.input, env)
			if tc.msg != "" {
				wantKind(t, err, tc.kind, tc.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, out)
		})
	}
}

func equals(want string) func(*testing.T, string) {
	return func(t *testing.T, got string) {
		t.Helper()
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// TestUnfinishedWriteIsAborted: a write the guest leaves open when it
// returns is aborted, so nothing is stored.
func TestUnfinishedWriteIsAborted(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	objs := newMemObjects()
	f := load(t, rt, "leaky", "testguest", Limits{}, Grants{Write: []string{"b"}})
	if _, err := invoke(t, f, "leak:b/half.txt", Env{Objects: objs}); err != nil {
		t.Fatal(err)
	}
	if data, ok := objs.get("b", "half.txt"); ok {
		t.Fatalf("an uncommitted write was stored: %q", data)
	}
}

func TestCapabilityUnavailable(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "nostore", "testguest", Limits{}, Grants{Read: []string{"*"}})
	out, err := invoke(t, f, "tryread:b/k", Env{})
	if err != nil || !strings.Contains(out, "objects are not available to this invocation") {
		t.Fatalf("got %q, %v", out, err)
	}
}

// TestDeniedWAT: the non-Go guest sees the same clear message.
func TestDeniedWAT(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "watfn", "wat/guest", Limits{}, Grants{Write: []string{"public/"}})
	out, err := invoke(t, f, "D", Env{Objects: newMemObjects()})
	if err != nil || out != "object_delete: access denied: function watfn may not write private/secret.txt" {
		t.Fatalf("guest read %q, %v", out, err)
	}
	_, err = invoke(t, f, "d", Env{Objects: newMemObjects()})
	wantKind(t, err, Denied, "access denied: function watfn may not write private/secret.txt")
}

// TestHostPanicIsContained: a panic inside a capability (the embedder's
// code) becomes an error for the guest; the server goes on and the
// instance is replaced.
func TestHostPanicIsContained(t *testing.T) {
	var logs logRecorder
	rt := newTestRuntime(t, Config{Log: logs.log})
	objs := newMemObjects()
	objs.panicOn = "Head"
	f := load(t, rt, "victim", "testguest", Limits{MaxConcurrency: 1}, Grants{Read: []string{"b"}})
	if got, _ := invoke(t, f, "state:", Env{}); got != "1" {
		t.Fatalf("state %q", got)
	}
	_, err := invoke(t, f, "head:b/k", Env{Objects: objs})
	wantKind(t, err, GuestError, "object_head: internal error in the host")
	if !logs.contains("host call object_head panicked: memObjects: Head exploded") {
		t.Fatalf("panic not logged: %q", logs.all())
	}
	if got, err := invoke(t, f, "state:", Env{}); err != nil || got != "1" {
		t.Fatalf("after the panic: %q, %v; want a fresh instance", got, err)
	}
}

// TestImageProcessing runs the thumbnail example on an event: the image
// is resized natively by imgproc in the host.
func TestImageProcessing(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	objs := newMemObjects()
	var buf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	for y := range 768 {
		for x := range 1024 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	objs.put("photos", "images/cat.png", buf.Bytes(), "image/png")
	f := load(t, rt, "thumbnail", "thumbnail", Limits{MaxMemory: 16 << 20},
		Grants{Read: []string{"photos/images/"}, Write: []string{"photos/thumbs/"}})
	env := Env{Objects: objs, Images: newMemImages(objs)}

	event := func(name, key string) string {
		rec := oss.EventRecord{EventName: name, OSS: oss.EventOSS{
			Bucket: oss.EventBucket{Name: "photos"}, Object: oss.EventObject{Key: key},
		}}
		b, err := json.Marshal(oss.EventEnvelope{Events: []oss.EventRecord{rec}})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var logs logRecorder
	env.Log = logs.log
	if _, err := invoke(t, f, event("ObjectCreated:PutObject", "images/cat.png"), env); err != nil {
		t.Fatal(err)
	}
	thumb, ok := objs.get("photos", "thumbs/images/cat.png")
	if !ok {
		t.Fatalf("no thumbnail; logs %q", logs.all())
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || cfg.Width != 256 || cfg.Height != 192 {
		t.Fatalf("thumbnail is %dx%d (%v), want 256x192", cfg.Width, cfg.Height, err)
	}
	if !logs.contains("wrote photos/thumbs/images/cat.png") {
		t.Fatalf("logs %q", logs.all())
	}

	// Events outside images/ and removals are ignored.
	for _, ev := range []string{event("ObjectCreated:PutObject", "thumbs/images/cat.png"), event("ObjectRemoved:DeleteObject", "images/cat.png")} {
		if _, err := invoke(t, f, ev, env); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := objs.get("photos", "thumbs/thumbs/images/cat.png"); ok {
		t.Fatal("a thumbnail of a thumbnail was made")
	}

	// A destination outside the grants is refused with the clear message.
	g := load(t, rt, "thumbnail", "thumbnail", Limits{}, Grants{Read: []string{"photos/images/"}})
	_, err = invoke(t, g, event("ObjectCreated:PutObject", "images/cat.png"), env)
	wantKind(t, err, Denied, "access denied: function thumbnail may not write photos/thumbs/images/cat.png")
}

func TestImageProcessBadProcess(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	objs := newMemObjects()
	objs.put("b", "in.png", []byte("not really a png"), "image/png")
	f := load(t, rt, "img", "testguest", Limits{}, Grants{Read: []string{"b"}, Write: []string{"b"}})
	req := `{"srcBucket":"b","srcKey":"in.png","process":"image/resize,m_zoom,w_1","dstBucket":"b","dstKey":"out.png"}`
	_, err := invoke(t, f, "image:"+req, Env{Objects: objs, Images: newMemImages(objs)})
	wantKind(t, err, GuestError, "image_process: InvalidArgument")
}
