package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/functions/functest"
	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

// guestFile builds a test guest (once per test binary run) and writes it
// where the CLI can read it.
func guestFile(t *testing.T, name string) string {
	t.Helper()
	mods, err := functest.Build(name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".wasm")
	if err := os.WriteFile(path, mods[name], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func testJPEG(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFunctionsThumbnail is the README's flow through the CLI: deploy the
// thumbnail example, upload an image, get its 256 px thumbnail.
func TestFunctionsThumbnail(t *testing.T) {
	wasm := guestFile(t, "thumbnail")
	ts := servertest.Start(t)
	c := &cli{t: t, env: map[string]string{envEndpoint: ts.Endpoint, envAccessKey: ts.AccessKeyID, envSecret: ts.AccessKeySecret}}
	c.ok("mb", "oss://photos")
	out := c.ok("fn", "deploy", "thumbnail", "--wasm", wasm, "--trigger", "ObjectCreated:*", "--bucket", "photos", "--prefix", "images/", "--memory", "128MiB", "--timeout", "20s")
	if !strings.Contains(out, "deployed thumbnail v1") {
		t.Fatalf("deploy said %q", out)
	}
	c.ok("cp", testJPEG(t, 800, 600), "oss://photos/images/cat.jpg")
	var thumb []byte
	servertest.CheckFor(t, 30*time.Second, func() error {
		r := c.run("", "cat", "oss://photos/thumbs/images/cat.jpg")
		if r.code != 0 {
			return fmt.Errorf("cat: %s", r.stderr)
		}
		thumb = []byte(r.stdout)
		return nil
	})
	cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || format != "jpeg" || cfg.Width != 256 || cfg.Height != 192 {
		t.Fatalf("thumbnail: %v %s %dx%d", err, format, cfg.Width, cfg.Height)
	}
	if _, err := jpeg.Decode(bytes.NewReader(thumb)); err != nil {
		t.Fatalf("thumbnail does not decode: %v", err)
	}

	if out := c.ok("fn", "list"); !strings.Contains(out, "thumbnail") || !strings.Contains(out, "photos:images/*") {
		t.Fatalf("fn list: %q", out)
	}
	var fi fnapi.FunctionInfo
	if err := json.Unmarshal([]byte(c.ok("fn", "get", "thumbnail", "--json")), &fi); err != nil || fi.Version != 1 || fi.Grants.Write[0] != "photos" {
		t.Fatalf("fn get: %v %+v", err, fi)
	}
	// Logs: the guest's line and the invocation record; then the trail
	// of the upload's event.
	var inv fnapi.Record
	servertest.CheckFor(t, 10*time.Second, func() error {
		for _, line := range strings.Split(strings.TrimSpace(c.ok("fn", "logs", "thumbnail", "--json")), "\n") {
			var r fnapi.Record
			if json.Unmarshal([]byte(line), &r) == nil && r.Type == fnapi.RecordInvocation && r.Key == "images/cat.jpg" {
				inv = r
				return nil
			}
		}
		return fmt.Errorf("no invocation record yet")
	})
	if inv.Result != "ok" || inv.EventID == "" {
		t.Fatalf("invocation %+v", inv)
	}
	if out := c.ok("fn", "logs", "thumbnail"); !strings.Contains(out, "wrote photos/thumbs/images/cat.jpg") {
		t.Fatalf("fn logs: %q", out)
	}
	if out := c.ok("fn", "trail", inv.EventID); !strings.Contains(out, "event:photos ObjectCreated:* images/*") || !strings.Contains(out, " ok ") {
		t.Fatalf("fn trail: %q", out)
	}
	c.ok("fn", "delete", "thumbnail")
	if r := c.run("", "fn", "get", "thumbnail"); r.code != exitError || !strings.Contains(r.stderr, "NoSuchFunction") {
		t.Fatalf("fn get after delete: %d %q", r.code, r.stderr)
	}
}

// TestFunctionsCommands covers the management subcommands: manifest
// deploy, overlap refusal, invoke, versions, rollback, dead letters.
func TestFunctionsCommands(t *testing.T) {
	wasm := guestFile(t, "fnguest")
	ts := servertest.Start(t)
	c := &cli{t: t, env: map[string]string{envEndpoint: ts.Endpoint, envAccessKey: ts.AccessKeyID, envSecret: ts.AccessKeySecret}}
	c.ok("mb", "oss://work")
	manifest := filepath.Join(t.TempDir(), "m.json")
	doc := `{"name":"worker1","triggers":{"events":[{"events":["oss:ObjectCreated:*"],"bucket":"work","filter":{"key":{"prefix":"fail/"}}}],"http":{}},
		"retry":{"maxDeliver":2,"backoff":"20ms"}}`
	if err := os.WriteFile(manifest, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("fn", "deploy", "worker1", "--wasm", wasm, "--manifest", manifest)
	r := c.run("", "fn", "deploy", "worker2", "--wasm", wasm, "--trigger", "ObjectCreated:PutObject", "--bucket", "work", "--prefix", "fail/x", "--json")
	if r.code != exitError || !strings.Contains(r.stderr, "Cannot specify overlapping prefix and suffix with same event type.") {
		t.Fatalf("overlapping deploy: %d %q", r.code, r.stderr)
	}
	if out := c.run("hi", "fn", "invoke", "worker1", "--data", "-"); out.code != 0 || out.stdout != "hello hi" {
		t.Fatalf("fn invoke: %+v", out)
	}
	// A failing event lands in the DLQ; a fixed version replays it.
	c.ok("cp", "-", "oss://work/fail/1")
	var letters []fnapi.DLQEntry
	servertest.CheckFor(t, 20*time.Second, func() error {
		letters = nil
		for _, line := range strings.Split(strings.TrimSpace(c.ok("fn", "dlq", "list", "worker1", "--json")), "\n") {
			var d fnapi.DLQEntry
			if json.Unmarshal([]byte(line), &d) == nil {
				letters = append(letters, d)
			}
		}
		if len(letters) != 1 {
			return fmt.Errorf("dead letters: %+v", letters)
		}
		return nil
	})
	if letters[0].Delivered != 2 || letters[0].Key != "fail/1" {
		t.Fatalf("dead letter %+v", letters[0])
	}
	c.ok("fn", "deploy", "worker1", "--wasm", wasm, "--manifest", manifest, "--config", "fixed=1")
	if out := c.ok("fn", "dlq", "replay", "worker1", "--id", letters[0].EventID); !strings.Contains(out, "1 replayed, 0 failed") {
		t.Fatalf("replay: %q", out)
	}
	c.ok("cat", "oss://work/out/fail/1")
	if out := c.ok("fn", "versions", "worker1"); !strings.Contains(out, "v1") || !strings.Contains(out, "v2") || !strings.Contains(out, "(current)") {
		t.Fatalf("versions: %q", out)
	}
	if out := c.ok("fn", "rollback", "worker1"); !strings.Contains(out, "v1 is current (was v2)") {
		t.Fatalf("rollback: %q", out)
	}
	if r := c.run("", "fn", "frobnicate"); r.code != exitUsage {
		t.Fatalf("unknown subcommand: exit %d", r.code)
	}
	if r := c.run("", "fn", "deploy", "x", "--wasm", wasm, "--bucket", "work"); r.code != exitUsage {
		t.Fatalf("--bucket without --trigger: exit %d", r.code)
	}
}

// TestFunctionsRemoteWorker runs the dispatch in "ossflow worker", which
// talks to the server only through its NATS URL and HTTP endpoint; the
// server runs no worker of its own.
func TestFunctionsRemoteWorker(t *testing.T) {
	wasm := guestFile(t, "fnguest")
	ts := servertest.Start(t, servertest.WithConfig(func(cfg *server.Config) { cfg.Functions.NoWorker = true }))
	env := map[string]string{envEndpoint: ts.Endpoint, envAccessKey: ts.AccessKeyID, envSecret: ts.AccessKeySecret}
	c := &cli{t: t, env: env}
	c.ok("mb", "oss://remote")
	c.ok("fn", "deploy", "copier", "--wasm", wasm, "--trigger", "ObjectCreated:*", "--bucket", "remote", "--prefix", "copy/")
	c.ok("fn", "deploy", "looper", "--wasm", wasm, "--trigger", "ObjectCreated:*", "--bucket", "remote", "--prefix", "loop/")
	// Events before the worker starts wait for it in the durable consumer.
	c.ok("cp", "-", "oss://remote/copy/early")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	werr := &syncBuffer{}
	go func() {
		done <- doMain(ctx, []string{"worker", "--nats", ts.Server.Events().ClientURL(), "--endpoint", ts.Endpoint,
			"--cache-dir", t.TempDir(), "--log-level", "debug"}, envFunc(env), strings.NewReader(""), io.Discard, werr)
	}()
	read := func(key string) error {
		r := c.run("", "cat", "oss://remote/"+key)
		if r.code != 0 {
			return fmt.Errorf("%s: %s", key, r.stderr)
		}
		return nil
	}
	servertest.CheckFor(t, 60*time.Second, func() error { return read("out/copy/early") })
	c.ok("cp", "-", "oss://remote/copy/late")
	servertest.CheckFor(t, 20*time.Second, func() error { return read("out/copy/late") })

	// The worker's writes carry the function's origin (X-Ossflow-Origin),
	// so the loop guard holds across the HTTP API too.
	c.ok("cp", "-", "oss://remote/loop/a")
	servertest.CheckFor(t, 20*time.Second, func() error {
		out := c.ok("fn", "logs", "looper", "--json")
		if !strings.Contains(out, `"type":"skipped"`) || !strings.Contains(out, `"key":"loop/a.again"`) {
			return fmt.Errorf("no loop-guard record yet: %s", out)
		}
		return nil
	})
	// A new version reaches the worker at once.
	c.ok("fn", "deploy", "copier", "--wasm", wasm, "--trigger", "ObjectCreated:*", "--bucket", "remote", "--prefix", "copy/", "--config", "v=2")
	// (within the propagation delay: well under the 30 s resync).
	n := 0
	servertest.CheckFor(t, 20*time.Second, func() error {
		n++
		c.ok("cp", "-", fmt.Sprintf("oss://remote/copy/v2-%d", n))
		if !strings.Contains(c.ok("fn", "logs", "copier"), "copier v2") {
			return fmt.Errorf("no record of v2 yet")
		}
		return nil
	})
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("worker exited %d: %s", code, werr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not stop")
	}
}
