package functions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/runtime"
	"github.com/ossflow/ossflow/store"
)

// Config configures a Platform: the server's (store in-process, API
// mounted) or a remote worker's (store over HTTP, no API).
type Config struct {
	// CacheDir is the compilation cache (<data>/wazero-cache).
	CacheDir string
	// Registry is where functions are kept; Objects gives each function
	// its object capability (whose writes carry Origin(name)).
	Registry *Registry
	Objects  func(name string) runtime.Objects
	// ImageDecodes bounds concurrent image decodes (default GOMAXPROCS;
	// negative: no image capability).
	ImageDecodes int
	// Conn reaches NATS (nil: no event plane: no event triggers, logs or
	// dead letters). Stream and SubjectPrefix are the events stream's.
	Conn                  *nats.Conn
	Stream, SubjectPrefix string
	Streams               StreamsConfig
	// Worker runs the dispatcher (event and subject triggers) here.
	Worker bool
	// Resync is the dispatcher's periodic full sync (default 30s).
	Resync time.Duration
	// Authorize, when set, enables the management API (Handler).
	Authorize func(r *http.Request) error
	// Registerer receives the ossflow_fn_* metrics (nil: none).
	Registerer prometheus.Registerer
	Log        *slog.Logger
}

// Platform is a running functions platform: runtime, host, dispatcher
// and management API.
type Platform struct {
	Host       *Host
	Dispatcher *Dispatcher // nil without a worker
	Metrics    *Metrics
	api        *API
	rt         *runtime.Runtime
	pub        *Publisher
	js         jetstream.JetStream
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closeOnce  sync.Once
}

// Start starts a platform. ctx bounds the start; the dispatcher runs until
// Close.
func Start(ctx context.Context, cfg Config) (*Platform, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil || cfg.Objects == nil {
		return nil, errors.New("functions: Config.Registry and Config.Objects are required")
	}
	p := &Platform{Metrics: NewMetrics()}
	if cfg.Registerer != nil {
		if err := p.Metrics.Register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("functions: metrics: %w", err)
		}
	}
	log := cfg.Log
	rt, err := runtime.New(ctx, runtime.Config{
		CacheDir: cfg.CacheDir,
		Observer: p.Metrics,
		Log: func(level, msg string) {
			log.Log(context.Background(), slogLevel(level), msg, "subsystem", "runtime")
		},
	})
	if err != nil {
		return nil, fmt.Errorf("functions: runtime: %w", err)
	}
	p.rt = rt
	hc := HostConfig{Runtime: rt, Registry: cfg.Registry, Objects: cfg.Objects, Metrics: p.Metrics, Log: log}
	if cfg.ImageDecodes >= 0 {
		n := cfg.ImageDecodes
		if n == 0 {
			n = goruntime.GOMAXPROCS(0)
		}
		proc := imgproc.NewProcessor(imgproc.DefaultLimits(), n)
		hc.Images = func(objs runtime.Objects) runtime.Images { return &Images{Proc: proc, Objects: objs} }
	}
	if cfg.Conn != nil {
		if p.js, err = jetstream.New(cfg.Conn); err != nil {
			_ = rt.Close(ctx)
			return nil, err
		}
		if err := EnsureStreams(ctx, p.js, cfg.Streams); err != nil {
			_ = rt.Close(ctx)
			return nil, err
		}
		p.pub = NewPublisher(cfg.Conn, p.Metrics.dropped.Inc)
		hc.Records = p.pub
	}
	p.Host = NewHost(hc)
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	if cfg.Worker && p.js != nil {
		p.Dispatcher = NewDispatcher(DispatcherConfig{
			Host: p.Host, JetStream: p.js, Conn: cfg.Conn, Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix,
			Resync: cfg.Resync, Metrics: p.Metrics, Log: log,
		})
		p.wg.Go(func() { _ = p.Dispatcher.Run(bg) })
	}
	// Idle instances give their memory back after a while.
	p.wg.Go(func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-t.C:
				rt.TrimIdle(5 * time.Minute)
			}
		}
	})
	if cfg.Authorize != nil {
		p.api = NewAPI(APIConfig{Host: p.Host, Dispatcher: p.Dispatcher, JetStream: p.js,
			Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, Authorize: cfg.Authorize})
		if p.api.cfg.Stream == "" {
			p.api.cfg.Stream = defaultStream
		}
		if p.api.cfg.SubjectPrefix == "" {
			p.api.cfg.SubjectPrefix = defaultPrefix
		}
	}
	return p, nil
}

// Handler is the management API (nil when Config.Authorize was not set).
func (p *Platform) Handler() http.Handler {
	if p.api == nil {
		return nil
	}
	return p.api
}

// JetStream is the platform's JetStream context (nil without NATS).
func (p *Platform) JetStream() jetstream.JetStream { return p.js }

// Close stops dispatching, waits (as ctx allows) for running invocations,
// closes every function and flushes the records.
func (p *Platform) Close(ctx context.Context) error {
	p.closeOnce.Do(func() {
		p.cancel()
		p.wg.Wait()
		p.Host.Close(ctx)
		if p.pub != nil {
			p.pub.Close()
		}
		_ = p.rt.Close(ctx)
	})
	return nil
}

func slogLevel(level string) slog.Level {
	switch level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// StoreRegistry is the registry over the engine: Bucket is created on the
// first deploy.
func StoreRegistry(st *store.Store) *Registry {
	objs := &StoreObjects{Store: st, Origin: "functions"}
	return NewRegistry(objs, func(ctx context.Context) error {
		_, err := st.CreateBucket(ctx, oss.Bucket{Name: Bucket, ACL: oss.ACLPrivate})
		if err != nil && !oss.IsCode(err, oss.BucketAlreadyExists) {
			return err
		}
		return nil
	})
}
