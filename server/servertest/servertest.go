package servertest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ossflow/ossflow/server"
)

// Instance is a running test server.
type Instance struct {
	Server          *server.Server
	Endpoint        string // "http://127.0.0.1:PORT"
	Addr            string // "127.0.0.1:PORT"
	AccessKeyID     string
	AccessKeySecret string
	DataDir         string
}

type options struct {
	cfg    server.Config
	log    *slog.Logger
	mutate []func(*server.Config)
}

// Option configures Start.
type Option func(*options)

// WithDataDir uses dir (kept after the test) instead of a fresh t.TempDir.
func WithDataDir(dir string) Option { return func(o *options) { o.cfg.DataDir = dir } }

// WithCredentials makes the server accept only this key pair instead of
// generated credentials.
func WithCredentials(accessKeyID, secret string) Option {
	return func(o *options) { o.cfg.AccessKeyID, o.cfg.AccessKeySecret = accessKeyID, secret }
}

// WithConfig lets the test adjust the server configuration.
func WithConfig(f func(*server.Config)) Option {
	return func(o *options) { o.mutate = append(o.mutate, f) }
}

// WithLogger sends the server's logs to log (default: discarded).
func WithLogger(log *slog.Logger) Option { return func(o *options) { o.log = log } }

// Start runs a server on 127.0.0.1 with a random port and returns once it
// accepts connections. It is shut down when the test ends.
func Start(t testing.TB, opts ...Option) *Instance {
	t.Helper()
	o := options{
		cfg: server.Config{Addr: "127.0.0.1:0", LifecycleInterval: -1, ShutdownTimeout: 10 * time.Second},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.cfg.DataDir == "" {
		o.cfg.DataDir = t.TempDir()
	}
	for _, f := range o.mutate {
		f(&o.cfg)
	}
	ctx := context.Background()
	srv, err := server.New(ctx, o.cfg, o.log)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	if err := srv.Start(ctx); err != nil {
		_ = srv.Shutdown(ctx)
		t.Fatalf("servertest: %v", err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("servertest: shutdown: %v", err)
		}
	})
	creds := srv.Credentials()
	return &Instance{
		Server:          srv,
		Endpoint:        srv.Endpoint(),
		Addr:            srv.Addr(),
		AccessKeyID:     creds.AccessKeyID,
		AccessKeySecret: creds.AccessKeySecret,
		DataDir:         o.cfg.DataDir,
	}
}

// CheckFor calls cond every few milliseconds until it returns nil, and
// fails the test with cond's last error if that does not happen within
// timeout.
func CheckFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %v", timeout, err)
		}
		time.Sleep(wait)
		wait = min(2*wait, 100*time.Millisecond)
	}
}
