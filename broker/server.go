package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// serverReadyTimeout bounds the embedded server's start, JetStream
// recovery included.
const serverReadyTimeout = 30 * time.Second

// embedded runs the in-process nats-server. It is also the
// nats.InProcessConnProvider of the broker's connection: it hands out
// connections to whichever server instance is current, so the client
// reconnects in-process after the server restarts.
type embedded struct {
	log  *slog.Logger
	mu   sync.Mutex
	opts *server.Options
	srv  *server.Server
}

func newEmbedded(cfg *Config) *embedded {
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName:        cfg.ServerName,
		Host:              cfg.Host,
		Port:              port,
		DontListen:        cfg.Port < 0,
		JetStream:         true,
		StoreDir:          cfg.DataDir,
		SyncInterval:      cfg.SyncInterval,
		JetStreamMaxStore: cfg.MaxStore,
		NoSigs:            true,
		// Monitoring, clustering and leaf nodes stay off: the embedded
		// server is a private event log.
		HTTPPort: 0,
	}
	return &embedded{log: cfg.Logger.With("component", "nats-server"), opts: opts}
}

// start starts a server instance with e's options; after the first start
// a random port is pinned so that restarts keep the client URL.
func (e *embedded) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv != nil {
		return errors.New("broker: embedded server already running")
	}
	srv, err := server.NewServer(e.opts.Clone())
	if err != nil {
		return fmt.Errorf("broker: embedded server: %w", err)
	}
	if e.log.Enabled(context.Background(), slog.LevelError) {
		srv.SetLoggerV2(slogAdapter{e.log}, e.log.Enabled(context.Background(), slog.LevelDebug), false, false)
	}
	go srv.Start()
	if !srv.ReadyForConnections(serverReadyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("broker: embedded server not ready after %v", serverReadyTimeout)
	}
	if !e.opts.DontListen {
		if a, ok := srv.Addr().(*net.TCPAddr); ok {
			e.opts.Port = a.Port
		}
	}
	e.srv = srv
	return nil
}

// shutdown stops the current server instance, if any, and waits for it.
func (e *embedded) shutdown() {
	e.mu.Lock()
	srv := e.srv
	e.srv = nil
	e.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// InProcessConn implements nats.InProcessConnProvider.
func (e *embedded) InProcessConn() (net.Conn, error) {
	e.mu.Lock()
	srv := e.srv
	e.mu.Unlock()
	if srv == nil {
		return nil, errors.New("broker: embedded server is down")
	}
	return srv.InProcessConn()
}

// clientURL is the URL other processes connect to ("" without listener).
func (e *embedded) clientURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv == nil || e.opts.DontListen {
		return ""
	}
	return e.srv.ClientURL()
}

// slogAdapter routes nats-server logs to slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Noticef(format string, v ...any) { a.l.Info(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.l.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Fatalf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Errorf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Debugf(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Tracef(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }
