package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ossflow/ossflow/server"
)

// Environment variables of "ossflow server".
const (
	envAddr      = "OSSFLOW_ADDR"
	envDomains   = "OSSFLOW_DOMAINS"
	envPyroscope = "OSSFLOW_PYROSCOPE_URL"
	envLogLevel  = "OSSFLOW_LOG_LEVEL"
)

// listFlag is a repeatable flag whose values may also be comma lists. Its
// initial values (from the environment) are replaced by the first Set.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }

func (l *listFlag) Set(s string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, splitList(s)...)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// serverFlags are the flags of "ossflow server".
type serverFlags struct {
	addr, data, region, pyroscope, logLevel string
	domains                                 listFlag
	shutdownTimeout, lifecycleInterval      time.Duration
	blockPublicAccess                       bool
}

func addServerFlags(fs *flag.FlagSet, e *env) *serverFlags {
	sf := &serverFlags{domains: listFlag{values: splitList(e.getenv(envDomains))}}
	fs.StringVar(&sf.addr, "addr", envOr(e, envAddr, server.DefaultAddr), "listen address (env "+envAddr+")")
	fs.StringVar(&sf.data, "data", envOr(e, envData, defaultData), "data directory (env "+envData+")")
	fs.StringVar(&sf.region, "region", envOr(e, envRegion, server.DefaultRegion), "region ossflow runs as (env "+envRegion+")")
	fs.Var(&sf.domains, "domain", "base domain for virtual-hosted addressing; repeatable or comma list (env "+envDomains+")")
	fs.StringVar(&sf.pyroscope, "pyroscope-url", envOr(e, envPyroscope, ""), "Pyroscope server for continuous profiling; off when empty (env "+envPyroscope+")")
	fs.StringVar(&sf.logLevel, "log-level", envOr(e, envLogLevel, "info"), "debug, info, warn or error (env "+envLogLevel+")")
	fs.DurationVar(&sf.shutdownTimeout, "shutdown-timeout", server.DefaultShutdownTimeout, "how long to wait for in-flight requests on shutdown")
	fs.DurationVar(&sf.lifecycleInterval, "lifecycle-interval", server.DefaultLifecycleInterval, "how often lifecycle rules run; negative disables")
	fs.BoolVar(&sf.blockPublicAccess, "block-public-access", e.getenv(envBlockPublicAccess) == "true", "ignore public ACLs and public bucket policies on every bucket (env "+envBlockPublicAccess+"=true)")
	return sf
}

// config builds the server configuration; credentials come from the
// environment only (never from flags, which other users can see).
func (sf *serverFlags) config(e *env) (server.Config, slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(sf.logLevel)); err != nil {
		return server.Config{}, 0, usagef("--log-level: %v", err)
	}
	cfg := server.Config{
		Addr:              sf.addr,
		DataDir:           sf.data,
		Region:            sf.region,
		Domains:           sf.domains.values,
		AccessKeyID:       e.getenv(envAccessKey),
		AccessKeySecret:   e.getenv(envSecret),
		PyroscopeURL:      sf.pyroscope,
		ShutdownTimeout:   sf.shutdownTimeout,
		LifecycleInterval: sf.lifecycleInterval,
		BlockPublicAccess: sf.blockPublicAccess,
	}
	return cfg, level, nil
}

func serverCommand() *command {
	return &command{
		name:     "server",
		synopsis: "server [--addr host:port] [--data dir] [--region id] [--domain d]... [--pyroscope-url url]",
		summary:  "run the ossflow server (stops gracefully on SIGINT/SIGTERM)",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			sf := addServerFlags(fs, e)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				cfg, level, err := sf.config(e)
				if err != nil {
					return err
				}
				return runServer(ctx, e, cfg, level)
			}
		},
	}
}

func runServer(ctx context.Context, e *env, cfg server.Config, level slog.Level) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	if creds, ok := srv.GeneratedCredentials(); ok {
		fmt.Fprintf(e.stdout, "Generated root credentials, stored in %s (shown only this once):\n\n  export %s=%s\n  export %s=%s\n\n",
			filepath.Join(cfg.DataDir, server.CredentialsFile), envAccessKey, creds.AccessKeyID, envSecret, creds.AccessKeySecret)
	}
	return srv.Run(ctx)
}
