//go:build browser

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossflow/ossflow/access"
)

// chromiumPath finds a Chromium binary.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("OSSFLOW_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium found: install it (apt-get install chromium) or set OSSFLOW_CHROMIUM")
	return ""
}

// The page uploads with fetch + FormData to ossflow, another origin, with
// a signed POST policy, then with a forged one, then reads the object back
// through a presigned URL; it writes what it saw into #results as JSON.
const browserPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>ossflow upload</title></head>
<body><pre id="results">pending</pre>
<script>
const cfg = JSON.parse('%s');
async function upload(fields, name, text, bucket) {
  const fd = new FormData();
  for (const [k, v] of fields) fd.append(k, v);
  fd.append('file', new Blob([text], {type: 'text/plain'}), name); // the file goes last
  try {
    const r = await fetch(cfg.endpoint + '/' + (bucket || cfg.bucket), {method: 'POST', body: fd});
    return {status: r.status, etag: r.headers.get('ETag'), body: await r.text()};
  } catch (e) {
    return {error: String(e)};
  }
}
(async () => {
  const out = {};
  out.good = await upload(cfg.good, 'hello.txt', 'uploaded from a browser');
  out.forged = await upload(cfg.forged, 'evil.txt', 'forged');
  out.nocors = await upload([['key', 'anon.txt']], 'anon.txt', 'anonymous', 'browser-nocors');
  try {
    const r = await fetch(cfg.presigned, {headers: {'x-probe': '1'}});
    out.get = {status: r.status, body: await r.text()};
  } catch (e) {
    out.get = {error: String(e)};
  }
  document.getElementById('results').textContent = 'RESULTS' + JSON.stringify(out) + 'END';
})();
</script></body></html>`

func TestBrowserPostObject(t *testing.T) {
	chromium := chromiumPath(t)
	e := start(t)
	ctx := t.Context()
	e.bucket(t, "browser-bkt", "private")
	e.bucket(t, "browser-nocors", "public-read-write") // no CORS configuration
	ak, sk := e.ts.AccessKeyID, e.ts.AccessKeySecret

	var page []byte
	pageSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	defer pageSrv.Close()
	origin := pageSrv.URL // http://127.0.0.1:<another port>
	if origin == e.ts.Endpoint {
		t.Fatal("same origin")
	}

	c := e.v2(ak, sk, "")
	_, err := c.PutBucketCors(ctx, &ossv2.PutBucketCorsRequest{Bucket: ossv2.Ptr("browser-bkt"), CORSConfiguration: &ossv2.CORSConfiguration{
		CORSRules: []ossv2.CORSRule{{AllowedOrigins: []string{origin}, AllowedMethods: []string{"POST", "GET"},
			AllowedHeaders: []string{"x-probe"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: ossv2.Ptr(int64(60))}},
	}})
	must(t, err)

	policy := access.PostPolicy{Expiration: time.Now().Add(time.Hour), Conditions: []any{
		map[string]string{"bucket": "browser-bkt"},
		[]any{"starts-with", "$key", "web/"},
		[]any{"content-length-range", 1, 1 << 20},
	}}
	good, err := access.PostFormV4(ak, sk, "", region, time.Now(), policy)
	must(t, err)
	forged, err := access.PostFormV4(ak, "not-the-secret", "", region, time.Now(), policy)
	must(t, err)
	pairs := func(auth map[string]string, key string) [][2]string {
		out := [][2]string{{"key", key}, {"success_action_status", "201"}}
		for k, v := range auth {
			out = append(out, [2]string{k, v})
		}
		return out
	}
	e.put(t, "browser-bkt", "web/existing.txt", "read back")
	pre, err := c.Presign(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("browser-bkt"), Key: ossv2.Ptr("web/existing.txt")}, ossv2.PresignExpires(10*time.Minute))
	must(t, err)
	cfg, err := json.Marshal(map[string]any{
		"endpoint":  e.ts.Endpoint,
		"bucket":    "browser-bkt",
		"good":      pairs(good, "web/${filename}"),
		"forged":    pairs(forged, "web/forged.txt"),
		"presigned": pre.URL,
	})
	must(t, err)
	js := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "</", `<\/`).Replace(string(cfg))
	page = []byte(fmt.Sprintf(browserPage, js))

	dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(dctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=15000", "--dump-dom", origin+"/")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`RESULTS(.*?)END`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("no results in the DOM:\n%s\nstderr:\n%s", dom, stderr.String())
	}
	var res struct {
		Good, Forged, Get, NoCORS struct {
			Status int
			Etag   string
			Body   string
			Error  string
		}
	}
	must(t, json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &res))
	t.Logf("browser saw: %+v", res)

	if res.Good.Status != 201 || !strings.Contains(res.Good.Body, "<Key>web/hello.txt</Key>") || res.Good.Etag == "" {
		t.Fatalf("signed upload from the browser: %+v", res.Good)
	}
	if got, err := v2Get(c, t, "browser-bkt", "web/hello.txt"); err != nil || got != "uploaded from a browser" {
		t.Fatalf("object did not land: %q %v", got, err)
	}
	if res.Forged.Status != 403 || !strings.Contains(res.Forged.Body, "SignatureDoesNotMatch") {
		t.Fatalf("forged upload from the browser: %+v", res.Forged)
	}
	wantCode(t, firstErr(e.head(t, "browser-bkt", "web/forged.txt")), "NoSuchKey")
	// A bucket without CORS: the browser does not let the page read the
	// answer (the simple POST itself still reaches the server).
	if res.NoCORS.Error == "" || res.NoCORS.Status != 0 {
		t.Fatalf("response of a bucket without CORS readable: %+v", res.NoCORS)
	}
	// A GET with a custom header: preflight, then the actual request.
	if res.Get.Status != 200 || res.Get.Body != "read back" {
		t.Fatalf("presigned cross-origin GET: %+v", res.Get)
	}
}
