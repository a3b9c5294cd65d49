package server

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/functions"
	"github.com/ossflow/ossflow/runtime"
)

// WazeroCacheDir is the directory, inside the data directory, of the
// functions' compilation cache.
const WazeroCacheDir = "wazero-cache"

// FunctionsConfig configures the functions platform.
type FunctionsConfig struct {
	// Disabled turns the platform off (no /-/functions/ API).
	Disabled bool
	// NoWorker keeps the server from running functions on events itself:
	// remote workers ("ossflow worker") do. Deploys, HTTP invocations and
	// the management API still work.
	NoWorker bool
}

// functionsPlatform is the type of Server.functions.
type functionsPlatform = functions.Platform

// startFunctions starts the functions platform (after the event plane,
// whose connection it shares) and mounts its API under /-/functions/. A
// platform that cannot start is logged, not fatal: the object store
// still serves.
func (s *Server) startFunctions(ctx context.Context) {
	if err := s.startFunctionsErr(ctx); err != nil {
		s.log.Error("functions platform not started", "err", err)
	}
}

func (s *Server) startFunctionsErr(ctx context.Context) error {
	fc := s.cfg.Functions
	if fc.Disabled {
		return nil
	}
	verifier := &auth.Verifier{Creds: s.dir, Now: s.cfg.Now, Region: s.cfg.Region}
	cfg := functions.Config{
		CacheDir: filepath.Join(s.cfg.DataDir, WazeroCacheDir),
		Registry: functions.StoreRegistry(s.store),
		Objects: func(name string) runtime.Objects {
			return &functions.StoreObjects{Store: s.store, Origin: functions.Origin(name)}
		},
		Worker: !fc.NoWorker,
		// Management endpoints sign as bucket "-" with the rest of the
		// path as the key.
		Authorize: func(r *http.Request) error {
			res, err := verifier.Verify(r.Context(), r, "-", strings.TrimPrefix(r.URL.Path, "/-/"))
			if err != nil {
				return err
			}
			return s.rootOnly(r.Context(), res)
		},
		Registerer: s.metrics.Registry(),
		Log:        s.log.With("subsystem", "functions"),
	}
	if s.events != nil {
		cfg.Conn, cfg.Stream, cfg.SubjectPrefix = s.events.Conn(), s.events.Stream(), s.events.SubjectPrefix()
	}
	p, err := functions.Start(ctx, cfg)
	if err != nil {
		return fmt.Errorf("server: functions: %w", err)
	}
	s.functions = p
	s.root.mount(functions.APIPrefix, p.Handler())
	s.log.Info("functions ready", "worker", !fc.NoWorker, "events", s.events != nil)
	return nil
}

// stopFunctions stops dispatching and closes the functions (before the
// event plane closes).
func (s *Server) stopFunctions(ctx context.Context) {
	if s.functions != nil {
		_ = s.functions.Close(ctx)
	}
}

// Functions returns the functions platform, or nil when it is disabled or
// the server has not started.
func (s *Server) Functions() *functions.Platform { return s.functions }
