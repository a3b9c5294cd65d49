package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/server/servertest"
)

// syncBuffer collects a concurrently running command's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runningServer is "ossflow server" running in a goroutine.
type runningServer struct {
	endpoint string
	stdout   *syncBuffer
	stderr   *syncBuffer
	stop     func() int // cancels and returns the exit status
}

var listenRE = regexp.MustCompile(`msg="ossflow listening" addr=(\S+)`)

func startServerCmd(t *testing.T, dataDir string, extraEnv map[string]string) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningServer{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	done := make(chan int, 1)
	env := map[string]string{}
	for k, v := range extraEnv {
		env[k] = v
	}
	go func() {
		done <- doMain(ctx, []string{"server", "--addr", "127.0.0.1:0", "--data", dataDir, "--lifecycle-interval", "-1s"},
			envFunc(env), strings.NewReader(""), rs.stdout, rs.stderr)
	}()
	servertest.CheckFor(t, 20*time.Second, func() error {
		select {
		case code := <-done:
			done <- code
			return nil // exited: reported below
		default:
		}
		m := listenRE.FindStringSubmatch(rs.stderr.String())
		if m == nil {
			return fmt.Errorf("server not listening yet; stderr:\n%s", rs.stderr.String())
		}
		rs.endpoint = "http://" + m[1]
		return nil
	})
	if rs.endpoint == "" {
		t.Fatalf("server exited early: %d\n%s", <-done, rs.stderr.String())
	}
	stopped := false
	code := 0
	rs.stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			code = <-done
		}
		return code
	}
	t.Cleanup(func() { rs.stop() })
	return rs
}

// cli runs one client command against a server.
type cli struct {
	t   *testing.T
	env map[string]string
}

type result struct {
	code           int
	stdout, stderr string
}

func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	var out, errOut bytes.Buffer
	code := doMain(context.Background(), args, envFunc(c.env), strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run("", args...)
	if r.code != 0 {
		c.t.Fatalf("ossflow %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func TestEndToEnd(t *testing.T) {
	dataDir := t.TempDir()
	rs := startServerCmd(t, dataDir, nil)
	if !strings.Contains(rs.stdout.String(), "OSSFLOW_ACCESS_KEY_SECRET=") {
		t.Fatalf("first start did not print the generated credentials:\n%s", rs.stdout.String())
	}
	// Credentials come from the data directory's file.
	c := &cli{t: t, env: map[string]string{envEndpoint: rs.endpoint, envData: dataDir}}
	work := t.TempDir()

	if out := c.ok("mb", "oss://e2e"); !strings.Contains(out, "created oss://e2e") {
		t.Fatalf("mb: %q", out)
	}
	if out := c.ok("ls"); !strings.Contains(out, "oss://e2e") {
		t.Fatalf("ls buckets: %q", out)
	}

	// Upload and download a file, and a stream.
	data := bytes.Repeat([]byte("ossflow end to end\n"), 20_000) // ~380 KB
	src := filepath.Join(work, "data.txt")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	c.ok("cp", src, "oss://e2e/dir/data.txt")
	c.ok("cp", src, "oss://e2e/other/") // key from the file name
	dst := filepath.Join(work, "back.txt")
	c.ok("cp", "oss://e2e/dir/data.txt", dst)
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs (err %v, %d bytes)", err, len(got))
	}
	if r := c.run("from stdin", "cp", "-", "oss://e2e/stdin.txt"); r.code != 0 {
		t.Fatalf("cp - : %+v", r)
	}
	if out := c.ok("cp", "oss://e2e/stdin.txt", "-"); out != "from stdin" {
		t.Fatalf("cp to stdout = %q", out)
	}
	if out := c.ok("cat", "oss://e2e/stdin.txt"); out != "from stdin" {
		t.Fatalf("cat = %q", out)
	}
	c.ok("cp", "oss://e2e/stdin.txt", "oss://e2e/copy.txt")
	if out := c.ok("cat", "oss://e2e/copy.txt"); out != "from stdin" {
		t.Fatalf("server-side copy = %q", out)
	}

	// Listings.
	out := c.ok("ls", "oss://e2e")
	for _, want := range []string{"DIR  oss://e2e/dir/", "DIR  oss://e2e/other/", "oss://e2e/stdin.txt", "oss://e2e/copy.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls oss://e2e lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "dir/data.txt") {
		t.Errorf("non-recursive ls shows nested keys:\n%s", out)
	}
	out = c.ok("ls", "oss://e2e/dir/", "-r", "--json")
	var keys []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var obj struct {
			Key  string `json:"key"`
			Size int64  `json:"size"`
		}
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("ls --json line %q: %v", sc.Text(), err)
		}
		if obj.Size != int64(len(data)) {
			t.Errorf("%s: size %d, want %d", obj.Key, obj.Size, len(data))
		}
		keys = append(keys, obj.Key)
	}
	if strings.Join(keys, ",") != "dir/data.txt" {
		t.Fatalf("ls --json keys = %v", keys)
	}

	// stat, human and JSON.
	if out := c.ok("stat", "oss://e2e/dir/data.txt"); !strings.Contains(out, fmt.Sprintf("Size:           %d", len(data))) {
		t.Fatalf("stat:\n%s", out)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(c.ok("stat", "--json", "oss://e2e/stdin.txt")), &st); err != nil || st["size"] != float64(10) {
		t.Fatalf("stat --json = %v (%v)", st, err)
	}

	// presign: GET and PUT through plain net/http.
	url := strings.TrimSpace(c.ok("presign", "oss://e2e/stdin.txt", "--expires", "5m"))
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "from stdin" {
		t.Fatalf("GET presigned: %s %q", resp.Status, body)
	}
	putURL := strings.TrimSpace(c.ok("presign", "--method", "PUT", "oss://e2e/presigned.txt"))
	req, _ := http.NewRequest(http.MethodPut, putURL, strings.NewReader("put via url"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT presigned: %s", resp.Status)
	}
	if out := c.ok("cat", "oss://e2e/presigned.txt"); out != "put via url" {
		t.Fatalf("presigned PUT stored %q", out)
	}

	// Errors carry the server's code and message.
	r := c.run("", "ls", "oss://no-such-bucket")
	if r.code != exitError || !strings.Contains(r.stderr, "NoSuchBucket") || !strings.Contains(r.stderr, "The specified bucket does not exist") {
		t.Fatalf("ls missing bucket: %+v", r)
	}
	r = c.run("", "--json", "stat", "oss://e2e/missing")
	if r.code != exitUsage {
		t.Fatalf("flags before the command are not accepted: %+v", r)
	}
	r = c.run("", "stat", "--json", "oss://e2e/missing")
	var je struct {
		Error struct {
			Code   string `json:"code"`
			Status int    `json:"status"`
		} `json:"error"`
	}
	if r.code != exitError || json.Unmarshal([]byte(r.stderr), &je) != nil || je.Error.Code != "NoSuchKey" || je.Error.Status != 404 {
		t.Fatalf("stat --json missing key: %+v", r)
	}
	if r := c.run("", "rb", "oss://e2e"); r.code != exitError || !strings.Contains(r.stderr, "BucketNotEmpty") {
		t.Fatalf("rb of a full bucket: %+v", r)
	}

	// rm one, then the rest recursively, then rb.
	c.ok("rm", "oss://e2e/copy.txt")
	if r := c.run("", "stat", "oss://e2e/copy.txt"); r.code != exitError || !strings.Contains(r.stderr, "NoSuchKey") {
		t.Fatalf("stat after rm: %+v", r)
	}
	out = c.ok("rm", "-r", "oss://e2e")
	if n := strings.Count(out, "deleted "); n != 4 {
		t.Fatalf("rm -r deleted %d objects, want 4:\n%s", n, out)
	}
	c.ok("rb", "oss://e2e")
	if out := c.ok("ls"); strings.Contains(out, "e2e") {
		t.Fatalf("bucket still listed after rb: %q", out)
	}

	if code := rs.stop(); code != 0 {
		t.Fatalf("server exit status %d\n%s", code, rs.stderr.String())
	}
	// A second start reuses the stored credentials and does not print them.
	rs2 := startServerCmd(t, dataDir, nil)
	if strings.Contains(rs2.stdout.String(), "OSSFLOW_ACCESS_KEY") {
		t.Fatalf("second start printed credentials:\n%s", rs2.stdout.String())
	}
	c.env[envEndpoint] = rs2.endpoint
	c.ok("ls")
}

func TestEnvironmentCredentials(t *testing.T) {
	ts := servertest.Start(t, servertest.WithCredentials("LTAIenvcredentials00000", "env-secret-123456"))
	c := &cli{t: t, env: map[string]string{
		envEndpoint: ts.Endpoint, envData: t.TempDir(), // no credentials file there
		envAccessKey: "LTAIenvcredentials00000", envSecret: "env-secret-123456",
	}}
	c.ok("mb", "oss://envcreds")
	c.env[envSecret] = "wrong-secret-123456"
	if r := c.run("", "ls"); r.code != exitError || !strings.Contains(r.stderr, "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret: %+v", r)
	}
	delete(c.env, envAccessKey)
	delete(c.env, envSecret)
	if r := c.run("", "ls"); r.code != exitError || !strings.Contains(r.stderr, "no credentials") {
		t.Fatalf("no credentials: %+v", r)
	}
}

func TestServerFlagPrecedence(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		addr    string
		data    string
		region  string
		domains []string
		pyro    string
	}{
		{"defaults", nil, nil, "127.0.0.1:9000", "./ossflow-data", "cn-hangzhou", nil, ""},
		{"env", map[string]string{envAddr: ":7000", envData: "/env", envRegion: "cn-beijing", envDomains: "a.test, b.test", envPyroscope: "http://p:4040"},
			nil, ":7000", "/env", "cn-beijing", []string{"a.test", "b.test"}, "http://p:4040"},
		{"flags beat env", map[string]string{envAddr: ":7000", envData: "/env", envRegion: "cn-beijing", envDomains: "a.test"},
			[]string{"--addr", ":8000", "--data=/flag", "--region", "us-west-1", "--domain", "c.test", "--domain", "d.test,e.test", "--pyroscope-url", "http://f:1"},
			":8000", "/flag", "us-west-1", []string{"c.test", "d.test", "e.test"}, "http://f:1"},
		{"empty env is unset", map[string]string{envAddr: "", envRegion: ""}, nil, "127.0.0.1:9000", "./ossflow-data", "cn-hangzhou", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf, e := parseServerFlags(t, tt.env, tt.args)
			cfg, _, err := sf.config(e)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Addr != tt.addr || cfg.DataDir != tt.data || cfg.Region != tt.region || cfg.PyroscopeURL != tt.pyro ||
				strings.Join(cfg.Domains, ",") != strings.Join(tt.domains, ",") {
				t.Fatalf("config = addr %q data %q region %q domains %v pyroscope %q", cfg.Addr, cfg.DataDir, cfg.Region, cfg.Domains, cfg.PyroscopeURL)
			}
		})
	}
}

func TestClientFlagPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		endpoint string
		data     string
	}{
		{"defaults", nil, nil, "http://127.0.0.1:9000", "./ossflow-data"},
		{"env", map[string]string{envEndpoint: "http://e:1", envData: "/e"}, nil, "http://e:1", "/e"},
		{"flag beats env", map[string]string{envEndpoint: "http://e:1", envData: "/e"}, []string{"--endpoint", "http://f:2", "--data", "/f"}, "http://f:2", "/f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{getenv: envFunc(tt.env)}
			fs := flag.NewFlagSet("ls", flag.ContinueOnError)
			cf := addClientFlags(fs, e)
			if _, err := parseInterleaved(fs, tt.args); err != nil {
				t.Fatal(err)
			}
			if cf.endpoint != tt.endpoint || cf.data != tt.data {
				t.Fatalf("endpoint %q data %q", cf.endpoint, cf.data)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	c := &cli{t: t, env: map[string]string{envEndpoint: "http://127.0.0.1:1", envAccessKey: "a", envSecret: "secret-secret"}}
	tests := []struct {
		args     []string
		code     int
		inStderr string
		inStdout string
	}{
		{nil, exitUsage, "usage: ossflow", ""},
		{[]string{"help"}, exitOK, "", "commands:"},
		{[]string{"help", "cp"}, exitOK, "", "-part-size"},
		{[]string{"nope"}, exitUsage, `unknown command "nope"`, ""},
		{[]string{"mb"}, exitUsage, "usage: ossflow mb", ""},
		{[]string{"mb", "bucket"}, exitUsage, "not an oss://bucket URL", ""},
		{[]string{"mb", "oss://b/k"}, exitUsage, "names an object", ""},
		{[]string{"cp", "a", "b"}, exitUsage, "must be an oss:// URL", ""},
		{[]string{"cp", "--part-size", "lots", "a", "oss://b/k"}, exitUsage, "invalid size", ""},
		{[]string{"stat", "oss://b"}, exitUsage, "names no object", ""},
		{[]string{"rm", "oss://b"}, exitUsage, "names no object", ""},
		{[]string{"presign", "oss://b/k", "--method", "PATCH"}, exitUsage, "--method", ""},
		{[]string{"presign", "oss://b/k", "--expires", "200h"}, exitUsage, "--expires", ""},
		{[]string{"ls", "--bogus"}, exitUsage, "flag provided but not defined", ""},
		{[]string{"ls", "-h"}, exitOK, "usage: ossflow ls", ""},
		{[]string{"server", "extra"}, exitUsage, "unexpected argument", ""},
		{[]string{"server", "--log-level", "loud"}, exitUsage, "--log-level", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := c.run("", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.inStderr) || !strings.Contains(r.stdout, tt.inStdout) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestConnectionErrorIsReported(t *testing.T) {
	c := &cli{t: t, env: map[string]string{envEndpoint: "http://127.0.0.1:1", envAccessKey: "a", envSecret: "secret-secret"}}
	r := c.run("", "ls")
	if r.code != exitError || !strings.Contains(r.stderr, "ossflow ls:") {
		t.Fatalf("%+v", r)
	}
}

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args []string
		pos  string
		r    bool
	}{
		{[]string{"oss://b", "-r"}, "oss://b", true},
		{[]string{"-r", "oss://b"}, "oss://b", true},
		{[]string{"a", "-", "b"}, "a,-,b", false},
		{[]string{"--", "-r"}, "-r", false},
		{[]string{"a", "--", "-r", "b"}, "a,-r,b", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		r := fs.Bool("r", false, "")
		pos, err := parseInterleaved(fs, tt.args)
		if err != nil || strings.Join(pos, ",") != tt.pos || *r != tt.r {
			t.Errorf("parseInterleaved(%q) = %q, r=%v, %v", tt.args, pos, *r, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"100", 100, false}, {"8MiB", 8 << 20, false}, {"8M", 8 << 20, false}, {"512k", 512 << 10, false},
		{"1G", 1 << 30, false}, {"1GB", 1 << 30, false}, {"", 0, true}, {"x", 0, true}, {"-1", 0, true}, {"1.5M", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestParseOSSURL(t *testing.T) {
	tests := []struct {
		in          string
		bucket, key string
		ok          bool
	}{
		{"oss://b", "b", "", true}, {"oss://b/", "b", "", true}, {"oss://b/a/b.txt", "b", "a/b.txt", true},
		{"oss://", "", "", false}, {"s3://b/k", "", "", false}, {"/tmp/x", "", "", false},
	}
	for _, tt := range tests {
		u, ok := parseOSSURL(tt.in)
		if ok != tt.ok || u.bucket != tt.bucket || u.key != tt.key {
			t.Errorf("parseOSSURL(%q) = %+v, %v", tt.in, u, ok)
		}
	}
}

func TestNoProgressBarWhenPiped(t *testing.T) {
	var buf bytes.Buffer
	e := &env{stderr: &buf}
	if bar := newProgressBar(e, &clientFlags{}, "x"); bar != nil {
		t.Fatal("progress bar on a non-terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if bar := newProgressBar(&env{stderr: f}, &clientFlags{}, "x"); bar != nil {
		t.Fatal("progress bar on a regular file")
	}
	var nilBar *progressBar
	nilBar.update(1, 2) // a nil bar ignores updates
	nilBar.finish()
	if nilBar.callback() != nil {
		t.Fatal("nil bar has a callback")
	}
}

func TestProgressBarDraws(t *testing.T) {
	var buf bytes.Buffer
	bar := &progressBar{w: &buf, label: "upload", start: time.Now().Add(-time.Second)}
	bar.update(50, 100)
	bar.finish()
	if out := buf.String(); !strings.Contains(out, " 50%") || !strings.Contains(out, "upload") {
		t.Fatalf("bar output %q", out)
	}
}

func TestCopyMultipart(t *testing.T) {
	ts := servertest.Start(t)
	c := &cli{t: t, env: map[string]string{envEndpoint: ts.Endpoint, envAccessKey: ts.AccessKeyID, envSecret: ts.AccessKeySecret, envData: t.TempDir()}}
	c.ok("mb", "oss://multi")
	data := make([]byte, 1<<20+333)
	for i := range data {
		data[i] = byte(i % 253)
	}
	src := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := c.ok("cp", "--part-size", "200K", "--concurrency", "3", "--json", src, "oss://multi/big.bin")
	var res struct {
		Size int64  `json:"size"`
		ETag string `json:"etag"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Size != int64(len(data)) || !strings.HasSuffix(res.ETag, `-6"`) {
		t.Fatalf("cp --json = %q (%v)", out, err)
	}
	// A stream of unknown length goes up in parts too.
	r := c.run(string(data), "cp", "--part-size", "200K", "-", "oss://multi/stream.bin")
	if r.code != 0 {
		t.Fatalf("cp - : %+v", r)
	}
	for _, key := range []string{"big.bin", "stream.bin"} {
		dst := filepath.Join(t.TempDir(), key)
		c.ok("cp", "oss://multi/"+key, dst)
		if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s came back different (err %v, %d bytes)", key, err, len(got))
		}
	}
	if out := c.ok("stat", "oss://multi/big.bin"); !strings.Contains(out, "Multipart") {
		t.Fatalf("stat of a multipart upload:\n%s", out)
	}
}

func TestDownloadFailureLeavesNoFile(t *testing.T) {
	ts := servertest.Start(t)
	c := &cli{t: t, env: map[string]string{envEndpoint: ts.Endpoint, envAccessKey: ts.AccessKeyID, envSecret: ts.AccessKeySecret}}
	c.ok("mb", "oss://dlb")
	dir := t.TempDir()
	dst := filepath.Join(dir, "x")
	if r := c.run("", "cp", "oss://dlb/missing", dst); r.code != exitError || !strings.Contains(r.stderr, "NoSuchKey") {
		t.Fatalf("%+v", r)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("failed download left %v", entries)
	}
	// Into a directory: the key's base name is used.
	c.run("payload", "cp", "-", "oss://dlb/a/b.txt")
	c.ok("cp", "oss://dlb/a/b.txt", dir)
	if got, err := os.ReadFile(filepath.Join(dir, "b.txt")); err != nil || string(got) != "payload" {
		t.Fatalf("download into dir: %q %v", got, err)
	}
}

// TestServerGCTarget: the server sets its GC target unless GOGC is set,
// and the flag or its environment variable beat both.
func TestServerGCTarget(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    int
		set     bool
		wantErr bool
	}{
		{name: "default", want: defaultGCPercent, set: true},
		{name: "GOGC is left alone", env: map[string]string{"GOGC": "50"}},
		{name: "env beats GOGC", env: map[string]string{"GOGC": "50", envGCPercent: "300"}, want: 300, set: true},
		{name: "flag beats env", env: map[string]string{envGCPercent: "300"}, args: []string{"--gc-percent", "150"}, want: 150, set: true},
		{name: "zero is the default", args: []string{"--gc-percent", "0"}, want: defaultGCPercent, set: true},
		{name: "too small", args: []string{"--gc-percent", "5"}, wantErr: true},
		{name: "negative", args: []string{"--gc-percent=-1"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf, e := parseServerFlags(t, tt.env, tt.args)
			got, set, err := sf.gcTarget(e)
			if (err != nil) != tt.wantErr || got != tt.want || set != tt.set {
				t.Fatalf("gcTarget = %d %v %v, want %d %v (error %v)", got, set, err, tt.want, tt.set, tt.wantErr)
			}
		})
	}
}

// parseServerFlags parses the server command's flags from args with the
// environment vars.
func parseServerFlags(t *testing.T, vars map[string]string, args []string) (*serverFlags, *env) {
	t.Helper()
	e := &env{getenv: envFunc(vars), stdout: io.Discard, stderr: io.Discard}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	sf := addServerFlags(fs, e)
	if _, err := parseInterleaved(fs, args); err != nil {
		t.Fatal(err)
	}
	return sf, e
}
