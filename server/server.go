package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/broker"
	"github.com/ossflow/ossflow/httpapi"
	"github.com/ossflow/ossflow/monitor"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
	"github.com/prometheus/client_golang/prometheus"
)

// StoreDir is the directory, inside the data directory, of the object store.
const StoreDir = "store"

// Server is a running (or ready to run) ossflow.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     *store.Store
	metrics   *monitor.Metrics
	creds     Credentials
	generated bool
	dir       *access.Directory
	events    *broker.Broker // nil when disabled or not started
	functions *functionsPlatform
	images    *asyncImages
	handler   http.Handler
	root      *rootHandler
	httpSrv   *http.Server
	lifecycle lifecycler

	mu           sync.Mutex
	started      bool
	ln           net.Listener
	baseCancel   context.CancelFunc
	serveErr     chan error
	bgCancel     context.CancelFunc
	bg           sync.WaitGroup
	stopProfiler monitor.StopFunc

	shutdownOnce sync.Once
	shutdownErr  error
}

// New opens the store under cfg.DataDir, resolves the root credentials and
// builds the HTTP handler. It does not listen yet: see Start and Run. On
// error nothing stays open.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	s := &Server{cfg: cfg, log: log}

	if cfg.AccessKeyID != "" {
		s.creds = Credentials{AccessKeyID: cfg.AccessKeyID, AccessKeySecret: cfg.AccessKeySecret}
	} else {
		s.creds, s.generated, err = loadOrCreateCredentials(cfg.DataDir, cfg.Now())
		if err != nil {
			return nil, fmt.Errorf("server: credentials: %w", err)
		}
		s.checkCredentialsMode()
	}

	s.dir, err = openDirectory(ctx, cfg.DataDir, s.creds.Owner().ID, s.creds, access.WithClock(cfg.Now))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}

	s.metrics, err = monitor.NewMetrics()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	encryption, err := openEncryption(cfg, log)
	if err != nil {
		return nil, err
	}
	s.store, err = store.Open(ctx, filepath.Join(cfg.DataDir, StoreDir), store.Options{
		Region: cfg.Region,
		Owner:  oss.Owner{ID: s.dir.AccountUID(), DisplayName: s.dir.AccountUID()},
		Now:    cfg.Now,
		// Past the bound writes fail (503) rather than lose their event.
		OutboxLimit: cfg.Events.outboxLimit(),
		Encryption:  encryption,
	})
	if err != nil {
		return nil, fmt.Errorf("server: open store: %w", err)
	}
	s.lifecycle = s.store
	verifier := &auth.Verifier{Creds: s.dir, Now: cfg.Now, Region: cfg.Region}
	s.images = newAsyncImages(s)
	api := httpapi.New(httpapi.Config{
		Region:  cfg.Region,
		Domains: cfg.Domains,
		Now:     cfg.Now,
		Authorizer: httpapi.NewPolicyAuthorizer(httpapi.PolicyConfig{
			Directory: s.dir, Engine: s.store, BlockPublicAccess: cfg.BlockPublicAccess, Region: cfg.Region, Now: cfg.Now,
		}),
		Directory: s.dir,

		StyleDelimiters:  cfg.Images.StyleDelimiters,
		ImageConcurrency: cfg.Images.Concurrency,
		ImageCacheBytes:  cfg.Images.CacheBytes,
		ImageLimits:      cfg.Images.Limits,
		AsyncProcessor:   s.images,
	}, s.store, verifier, observers{s.metrics, requestLogger{log}})
	s.images.api = api
	inFlight := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: monitor.Namespace,
		Name:      "requests_in_flight",
		Help:      "API requests being served.",
	})
	if err := s.metrics.Registry().Register(inFlight); err != nil {
		_ = s.store.Close()
		return nil, fmt.Errorf("server: register metrics: %w", err)
	}
	s.root = newRootHandler(api, s.metrics.Handler(), cfg.Domains, inFlight)
	s.handler = s.root
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// checkCredentialsMode warns when the credentials file is readable by
// others.
func (s *Server) checkCredentialsMode() {
	fi, err := os.Stat(filepath.Join(s.cfg.DataDir, CredentialsFile))
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		s.log.Warn("credentials file is accessible by other users; chmod 600 it",
			"path", filepath.Join(s.cfg.DataDir, CredentialsFile), "mode", fi.Mode().Perm().String())
	}
}

// Credentials returns the root credentials the server accepts.
func (s *Server) Credentials() Credentials { return s.creds }

// GeneratedCredentials returns the root credentials and true when New
// generated them (the first start on this data directory), so that the
// caller can show them once.
func (s *Server) GeneratedCredentials() (Credentials, bool) { return s.creds, s.generated }

// Metrics returns the server's metrics, for subsystems that register their
// own collectors.
func (s *Server) Metrics() *monitor.Metrics { return s.metrics }

// InFlight returns the number of API requests being served.
func (s *Server) InFlight() int64 { return s.root.inFlight.Load() }

// Handler returns the root HTTP handler (API and /metrics).
func (s *Server) Handler() http.Handler { return s.handler }

// Start listens on Config.Addr and serves in the background; it also starts
// the lifecycle loop and profiling. ctx bounds only the background loops:
// requests are ended by Shutdown.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("server: already started")
	}
	stop, err := monitor.StartProfiling(ctx, monitor.ProfilingConfig{
		ServerAddress: s.cfg.PyroscopeURL,
		AppName:       "ossflow",
		Tags:          map[string]string{"region": s.cfg.Region},
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := s.startEvents(ctx); err != nil {
		_ = stop()
		return err
	}
	s.startFunctions(ctx)
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		_ = stop()
		if s.events != nil {
			_ = s.events.Close()
			s.events = nil
		}
		return fmt.Errorf("server: listen: %w", err)
	}
	s.started = true
	s.ln = ln
	s.stopProfiler = stop

	// Requests get a context that survives ctx (so that graceful shutdown
	// lets them finish) and is cancelled only when shutdown gives up.
	base, baseCancel := context.WithCancel(context.WithoutCancel(ctx))
	s.baseCancel = baseCancel
	s.httpSrv.BaseContext = func(net.Listener) context.Context { return base }

	s.serveErr = make(chan error, 1)
	go func() {
		err := s.httpSrv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()

	bgCtx, bgCancel := context.WithCancel(ctx)
	s.bgCancel = bgCancel
	if s.cfg.LifecycleInterval > 0 {
		s.bg.Go(func() { s.lifecycleLoop(bgCtx, s.cfg.LifecycleInterval) })
	}
	s.startImages(bgCtx)
	s.log.Info("ossflow listening", "addr", ln.Addr().String(), "data", s.cfg.DataDir, "region", s.cfg.Region)
	return nil
}

// Addr returns the bound listen address ("127.0.0.1:41234"), or "" before
// Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Endpoint returns the base URL of the running server
// ("http://127.0.0.1:41234"), or "" before Start.
func (s *Server) Endpoint() string {
	if a := s.Addr(); a != "" {
		return "http://" + a
	}
	return ""
}

// Run starts the server and serves until ctx is done (or serving fails),
// then shuts down gracefully within Config.ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		_ = s.Shutdown(context.Background())
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	case serveErr = <-s.serveErr:
		s.serveErr <- serveErr // for Shutdown
		s.log.Error("serving failed", "err", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(serveErr, s.Shutdown(sctx))
}

// Shutdown stops accepting connections, waits for in-flight requests until
// ctx is done (then cuts them off), stops the background loops and closes
// the store. It may be called on a server that was never started (it then
// only closes the store). Later calls wait for the first and return nil.
func (s *Server) Shutdown(ctx context.Context) error {
	first := false
	s.shutdownOnce.Do(func() {
		first = true
		s.shutdownErr = s.shutdown(ctx)
	})
	if !first {
		return nil
	}
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	var errs []error
	if started {
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			s.log.Warn("graceful shutdown incomplete; closing remaining connections", "err", err)
			s.baseCancel()
			if cerr := s.httpSrv.Close(); cerr != nil {
				errs = append(errs, fmt.Errorf("server: close: %w", cerr))
			}
			errs = append(errs, fmt.Errorf("server: shutdown: %w", err))
			// Close does not wait for handlers; give the cancelled ones a
			// moment to leave the store before it closes.
			if !s.waitIdle(forcedDrainTimeout) {
				s.log.Warn("requests still running after shutdown timeout", "in_flight", s.InFlight())
			}
		}
		s.baseCancel()
		s.bgCancel()
		s.bg.Wait()
		if err := <-s.serveErr; err != nil {
			errs = append(errs, fmt.Errorf("server: serve: %w", err))
		}
		if err := s.stopProfiler(); err != nil {
			errs = append(errs, err)
		}
	}
	s.stopFunctions(ctx) // before the event plane it consumes
	if s.events != nil { // before the store: the relay reads its outbox
		if err := s.events.Close(); err != nil {
			errs = append(errs, fmt.Errorf("server: close event plane: %w", err))
		}
	}
	if err := s.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("server: close store: %w", err))
	}
	if len(errs) == 0 {
		s.log.Info("ossflow stopped")
	}
	return errors.Join(errs...)
}

// forcedDrainTimeout bounds the wait for cancelled handlers after a forced
// close.
const forcedDrainTimeout = 5 * time.Second

// waitIdle waits until no API request is being served, or d passes.
func (s *Server) waitIdle(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for s.InFlight() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
