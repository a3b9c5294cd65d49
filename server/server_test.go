package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

func newClient(t *testing.T, ts *servertest.Instance) *client.Client {
	t.Helper()
	c, err := client.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func scrape(t *testing.T, endpoint string) string {
	t.Helper()
	resp, err := http.Get(endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMetricsCountRequests(t *testing.T) {
	ts := servertest.Start(t)
	c := newClient(t, ts)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "metered", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		body := strings.Repeat("x", 100)
		if _, err := c.PutObject(ctx, "metered", fmt.Sprintf("k%d", i), strings.NewReader(body), int64(len(body)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.HeadObject(ctx, "metered", "missing", nil); !client.IsCode(err, "NoSuchKey") {
		t.Fatalf("HeadObject(missing) = %v", err)
	}
	text := scrape(t, ts.Endpoint)
	for _, want := range []string{
		`ossflow_requests_total{operation="PutBucket",status="200"} 1`,
		`ossflow_requests_total{operation="PutObject",status="200"} 3`,
		`ossflow_requests_total{operation="HeadObject",status="404"} 1`,
		`ossflow_received_bytes_total{operation="PutObject"} 300`,
		`ossflow_request_duration_seconds_count{operation="PutObject"} 3`,
		`ossflow_requests_in_flight 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestMetricsBucketNameReserved(t *testing.T) {
	ts := servertest.Start(t)
	err := newClient(t, ts).CreateBucket(context.Background(), "metrics", nil)
	if !client.IsCode(err, "InvalidBucketName") {
		t.Fatalf("CreateBucket(metrics) = %v, want InvalidBucketName", err)
	}
}

func TestMetricsPathOnVirtualHostReachesAPI(t *testing.T) {
	ts := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Domains = []string{"oss.test"} }))
	req, err := http.NewRequest(http.MethodGet, ts.Endpoint+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "somebucket.oss.test"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "ossflow_requests_total") {
		t.Fatalf("virtual-hosted GET /metrics served Prometheus text (status %d)", resp.StatusCode)
	}
	if resp.Header.Get("x-oss-request-id") == "" {
		t.Fatal("virtual-hosted GET /metrics did not reach the API handler")
	}
}

func TestBadCredentialsForbidden(t *testing.T) {
	ts := servertest.Start(t)
	tests := []struct {
		name, ak, sk, code string
	}{
		{"wrong secret", ts.AccessKeyID, ts.AccessKeySecret + "x", "SignatureDoesNotMatch"},
		{"unknown key", "LTAIunknownunknownunkn", ts.AccessKeySecret, "InvalidAccessKeyId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := client.New(ts.Endpoint, tt.ak, tt.sk)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ListBuckets(context.Background())
			var ce *client.Error
			if !errors.As(err, &ce) || ce.StatusCode != http.StatusForbidden || ce.Code != tt.code {
				t.Fatalf("ListBuckets = %v, want 403 %s", err, tt.code)
			}
		})
	}
	// And anonymous access to the account is refused too.
	resp, err := http.Get(ts.Endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous ListBuckets: %s, want 403", resp.Status)
	}
}

func TestCredentialsGeneratedOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	open := func() (*server.Server, server.Credentials, bool) {
		t.Helper()
		s, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: dir, LifecycleInterval: -1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, gen := s.GeneratedCredentials()
		return s, c, gen
	}
	s1, c1, gen1 := open()
	if !gen1 {
		t.Fatal("first start did not generate credentials")
	}
	if !strings.HasPrefix(c1.AccessKeyID, "LTAI") || len(c1.AccessKeyID) != 24 || len(c1.AccessKeySecret) != 30 {
		t.Fatalf("generated credentials have the wrong shape: %q / %d-char secret", c1.AccessKeyID, len(c1.AccessKeySecret))
	}
	fi, err := os.Stat(filepath.Join(dir, server.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("credentials file mode %v, want 0600", perm)
	}
	if err := s1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s2, c2, gen2 := open()
	defer s2.Shutdown(ctx)
	if gen2 {
		t.Fatal("second start generated credentials again")
	}
	if c2.AccessKeyID != c1.AccessKeyID || c2.AccessKeySecret != c1.AccessKeySecret {
		t.Fatal("second start uses different credentials")
	}
	got, err := server.ReadCredentialsFile(dir)
	if err != nil || got.AccessKeyID != c1.AccessKeyID {
		t.Fatalf("ReadCredentialsFile = %v, %v", got, err)
	}
}

func TestGeneratedCredentialsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		c, err := server.GenerateCredentials(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.AccessKeyID] || seen[c.AccessKeySecret] {
			t.Fatal("generated a repeated key")
		}
		seen[c.AccessKeyID], seen[c.AccessKeySecret] = true, true
		for _, r := range c.AccessKeyID + c.AccessKeySecret {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				t.Fatalf("non-alphanumeric %q in %v", r, c)
			}
		}
	}
}

func TestConfiguredCredentials(t *testing.T) {
	ts := servertest.Start(t, servertest.WithCredentials("LTAIconfiguredkey000000", "configured-secret-123"))
	if ts.AccessKeyID != "LTAIconfiguredkey000000" {
		t.Fatalf("server uses %q", ts.AccessKeyID)
	}
	if _, err := os.Stat(filepath.Join(ts.DataDir, server.CredentialsFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("configured credentials were written to disk (stat err %v)", err)
	}
	if _, gen := ts.Server.GeneratedCredentials(); gen {
		t.Fatal("configured credentials reported as generated")
	}
	if _, err := newClient(t, ts).ListBuckets(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCredentialLookup(t *testing.T) {
	c := server.Credentials{AccessKeyID: "AK", AccessKeySecret: "SECRET"}
	tests := []struct {
		ak      string
		want    string
		unknown bool
	}{
		{"AK", "SECRET", false},
		{"ak", "", true},
		{"", "", true},
		{"OTHER", "", true},
	}
	for _, tt := range tests {
		got, err := c.SecretFor(context.Background(), tt.ak)
		if got != tt.want || errors.Is(err, auth.ErrUnknownAccessKey) != tt.unknown {
			t.Errorf("SecretFor(%q) = %q, %v", tt.ak, got, err)
		}
	}
	if strings.Contains(c.String(), "SECRET") || strings.Contains(fmt.Sprintf("%v", c), "SECRET") {
		t.Error("Credentials print their secret")
	}
}

func TestConfigValidation(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  server.Config
	}{
		{"no data dir", server.Config{}},
		{"key without secret", server.Config{DataDir: dir, AccessKeyID: "AK"}},
		{"secret without key", server.Config{DataDir: dir, AccessKeySecret: "secret-secret"}},
		{"short secret", server.Config{DataDir: dir, AccessKeyID: "AK", AccessKeySecret: "short"}},
		{"colon in key", server.Config{DataDir: dir, AccessKeyID: "A:K", AccessKeySecret: "secret-secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := server.New(context.Background(), tt.cfg, nil)
			if err == nil {
				s.Shutdown(context.Background())
				t.Fatal("New succeeded")
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	ts := servertest.Start(t)
	if err := ts.Server.Start(context.Background()); err == nil {
		t.Fatal("second Start succeeded")
	}
	// The address is taken.
	s, err := server.New(context.Background(), server.Config{Addr: ts.Addr, DataDir: t.TempDir(), LifecycleInterval: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Fatal("Start on a busy address succeeded")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown after failed Start: %v", err)
	}
}

func TestBadPyroscopeURLFailsStart(t *testing.T) {
	s, err := server.New(context.Background(), server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PyroscopeURL: "not a url", LifecycleInterval: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	if err := s.Start(context.Background()); err == nil {
		t.Fatal("Start with a bad pyroscope URL succeeded")
	}
}

// slowBody hands out its chunks one by one: the first at once, each
// further chunk after a receive on next.
type slowBody struct {
	chunks  [][]byte
	started chan struct{} // closed on the first Read
	next    chan struct{}
	first   bool
	wait    bool // the current chunk is used up; wait before the next
}

func (b *slowBody) Read(p []byte) (int, error) {
	if !b.first {
		b.first = true
		close(b.started)
	}
	if len(b.chunks) == 0 {
		return 0, io.EOF
	}
	if b.wait {
		<-b.next
		b.wait = false
	}
	n := copy(p, b.chunks[0])
	b.chunks[0] = b.chunks[0][n:]
	if len(b.chunks[0]) == 0 {
		b.chunks = b.chunks[1:]
		b.wait = true
	}
	return n, nil
}

func TestGracefulShutdownFinishesInflightUpload(t *testing.T) {
	ts := servertest.Start(t)
	c := newClient(t, ts)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "slow", nil); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 10_000)
	body := &slowBody{chunks: [][]byte{data[:1000], data[1000:50_000], data[50_000:]}, started: make(chan struct{}), next: make(chan struct{})}
	putErr := make(chan error, 1)
	go func() {
		_, err := c.PutObject(ctx, "slow", "k", body, int64(len(data)), nil)
		putErr <- err
	}()
	<-body.started
	servertest.CheckFor(t, 10*time.Second, func() error {
		if n := ts.Server.InFlight(); n != 1 {
			return fmt.Errorf("%d requests in flight", n)
		}
		return nil
	})

	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- ts.Server.Shutdown(ctx) }()
	// New connections are refused once shutdown has begun.
	servertest.CheckFor(t, 10*time.Second, func() error {
		resp, err := http.Get(ts.Endpoint + "/metrics")
		if err == nil {
			resp.Body.Close()
			return errors.New("server still accepts connections")
		}
		return nil
	})
	select {
	case err := <-shutdownErr:
		t.Fatalf("Shutdown returned (%v) while an upload was in flight", err)
	default:
	}
	body.next <- struct{}{}
	body.next <- struct{}{}
	if err := <-putErr; err != nil {
		t.Fatalf("in-flight upload failed: %v", err)
	}
	if err := <-shutdownErr; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	// The upload is durable: a new server on the same data sees it.
	ts2 := servertest.Start(t, servertest.WithDataDir(ts.DataDir))
	rc, info, err := newClient(t, ts2).GetObject(ctx, "slow", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) || info.Size != int64(len(data)) {
		t.Fatalf("after restart: %d bytes, err %v", len(got), err)
	}
}

func TestShutdownTimeoutCutsOffStuckRequests(t *testing.T) {
	ts := servertest.Start(t)
	c := newClient(t, ts)
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "stuck", nil); err != nil {
		t.Fatal(err)
	}
	body := &slowBody{chunks: [][]byte{[]byte("a"), []byte("b")}, started: make(chan struct{}), next: make(chan struct{})}
	putErr := make(chan error, 1)
	go func() {
		_, err := c.PutObject(ctx, "stuck", "k", body, 2, nil)
		putErr <- err
	}()
	<-body.started
	servertest.CheckFor(t, 10*time.Second, func() error {
		if ts.Server.InFlight() != 1 {
			return errors.New("request not in flight yet")
		}
		return nil
	})
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := ts.Server.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if n := ts.Server.InFlight(); n != 0 {
		t.Fatalf("%d requests still in flight after Shutdown returned", n)
	}
	close(body.next) // let the client notice the closed connection
	if err := <-putErr; err == nil {
		t.Fatal("stuck upload succeeded")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LifecycleInterval: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	servertest.CheckFor(t, 10*time.Second, func() error {
		if s.Addr() == "" {
			return errors.New("not listening")
		}
		return nil
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
