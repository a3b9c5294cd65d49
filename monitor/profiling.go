package monitor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/grafana/pyroscope-go"
)

// ProfilingConfig configures continuous profiling. Profiling is off when
// ServerAddress is empty.
type ProfilingConfig struct {
	// ServerAddress is the Pyroscope server, e.g. "http://127.0.0.1:4040".
	ServerAddress string
	// AppName names the application in Pyroscope; "ossflow" when empty.
	AppName string
	// Tags are static labels attached to every profile.
	Tags map[string]string
	// UploadRate is how often profiles are sent; Pyroscope's default
	// (15s) when zero.
	UploadRate time.Duration
}

// StopFunc stops profiling and flushes what was collected. It is safe to
// call more than once.
type StopFunc func() error

// StartProfiling starts continuous profiling to cfg.ServerAddress and
// returns the function that stops it. It also stops when ctx is done. With
// an empty ServerAddress it does nothing and returns a no-op StopFunc. An
// address that is not an absolute http(s) URL is an error.
func StartProfiling(ctx context.Context, cfg ProfilingConfig) (StopFunc, error) {
	if cfg.ServerAddress == "" {
		return func() error { return nil }, nil
	}
	u, err := url.Parse(cfg.ServerAddress)
	if err != nil {
		return nil, fmt.Errorf("monitor: pyroscope address %q: %w", cfg.ServerAddress, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("monitor: pyroscope address %q: %w", cfg.ServerAddress, errNotHTTPURL)
	}
	if cfg.AppName == "" {
		cfg.AppName = "ossflow"
	}
	p, err := pyroscope.Start(pyroscope.Config{
		ApplicationName: cfg.AppName,
		Tags:            cfg.Tags,
		ServerAddress:   cfg.ServerAddress,
		UploadRate:      cfg.UploadRate,
	})
	if err != nil {
		return nil, fmt.Errorf("monitor: start pyroscope: %w", err)
	}
	var once sync.Once
	var stopErr error
	done := make(chan struct{})
	stop := func() error {
		once.Do(func() {
			close(done)
			if err := p.Stop(); err != nil {
				stopErr = fmt.Errorf("monitor: stop pyroscope: %w", err)
			}
		})
		return stopErr
	}
	go func() {
		select {
		case <-ctx.Done():
			_ = stop()
		case <-done:
		}
	}()
	return stop, nil
}

var errNotHTTPURL = errors.New("not an absolute http or https URL")
