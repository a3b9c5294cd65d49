package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
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

	envNATS         = "OSSFLOW_NATS"
	envNATSCreds    = "OSSFLOW_NATS_CREDS"
	envNATSUser     = "OSSFLOW_NATS_USER"
	envNATSPassword = "OSSFLOW_NATS_PASSWORD" // environment only: flags are visible to other users
	envNATSToken    = "OSSFLOW_NATS_TOKEN"    // environment only
	envNATSCA       = "OSSFLOW_NATS_TLS_CA"
	envNATSCert     = "OSSFLOW_NATS_TLS_CERT"
	envNATSKey      = "OSSFLOW_NATS_TLS_KEY"
	envNATSPort     = "OSSFLOW_NATS_PORT"
	envReplicas     = "OSSFLOW_STREAM_REPLICAS"
	envCloudEvents  = "OSSFLOW_CLOUDEVENTS"
	envOutboxLimit  = "OSSFLOW_OUTBOX_LIMIT"
	envGCPercent    = "OSSFLOW_GC_PERCENT"
	envEventLinger  = "OSSFLOW_EVENT_LINGER"
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

// The master key of server-side encryption at rest: base64 in
// OSSFLOW_SSE_MASTER_KEY, or a key file.
const (
	envSSEKey     = "OSSFLOW_SSE_MASTER_KEY"
	envSSEKeyFile = "OSSFLOW_SSE_MASTER_KEY_FILE"
)

// serverFlags are the flags of "ossflow server".
type serverFlags struct {
	addr, data, region, pyroscope, logLevel string
	domains                                 listFlag
	shutdownTimeout, lifecycleInterval      time.Duration
	blockPublicAccess                       bool
	sseKeyFile                              string

	nats                            listFlag
	natsCreds, natsUser             string
	natsCA, natsCert, natsKey       string
	natsPort, replicas, outboxLimit int
	cloudEvents, noEvents           bool
	eventLinger                     time.Duration
	envErr                          error // a malformed integer environment variable
	noWorker                        bool
	cpuProfile                      string
	gcPercent                       int
	images                          *imageFlags
}

// envInt is the integer in environment variable name, or def.
func envInt(e *env, name string, def int) (int, error) {
	v := e.getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, usagef("%s: %v", name, err)
	}
	return n, nil
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
	fs.StringVar(&sf.sseKeyFile, "sse-master-key-file", envOr(e, envSSEKeyFile, ""), "server-side encryption master key file (32 raw bytes, mode 0600; must exist); default: "+envSSEKey+" (base64), else <data>/"+server.SSEMasterKeyFile+", generated on the first start (env "+envSSEKeyFile+")")
	fs.BoolVar(&sf.blockPublicAccess, "block-public-access", e.getenv(envBlockPublicAccess) == "true", "ignore public ACLs and public bucket policies on every bucket (env "+envBlockPublicAccess+"=true)")

	sf.nats = listFlag{values: splitList(e.getenv(envNATS))}
	fs.Var(&sf.nats, "nats", "external NATS server URLs (nats://host:4222,...) instead of the embedded server (env "+envNATS+")")
	fs.StringVar(&sf.natsCreds, "nats-creds", envOr(e, envNATSCreds, ""), "NATS .creds file (env "+envNATSCreds+"); a password or token comes from "+envNATSPassword+" / "+envNATSToken)
	fs.StringVar(&sf.natsUser, "nats-user", envOr(e, envNATSUser, ""), "NATS user name (env "+envNATSUser+")")
	fs.StringVar(&sf.natsCA, "nats-tls-ca", envOr(e, envNATSCA, ""), "PEM CA bundle for NATS TLS (env "+envNATSCA+")")
	fs.StringVar(&sf.natsCert, "nats-tls-cert", envOr(e, envNATSCert, ""), "PEM client certificate for NATS TLS (env "+envNATSCert+")")
	fs.StringVar(&sf.natsKey, "nats-tls-key", envOr(e, envNATSKey, ""), "PEM client key for NATS TLS (env "+envNATSKey+")")
	intDefault := func(name string, def int) int {
		n, err := envInt(e, name, def)
		if err != nil && sf.envErr == nil {
			sf.envErr = err
		}
		return n
	}
	durationDefault := func(name string, def time.Duration) time.Duration {
		v := e.getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil && sf.envErr == nil {
			sf.envErr = usagef("%s: %v", name, err)
		}
		return d
	}
	fs.IntVar(&sf.natsPort, "nats-port", intDefault(envNATSPort, 0), "loopback port of the embedded NATS server for workers; 0 = random, -1 = none (env "+envNATSPort+")")
	fs.IntVar(&sf.replicas, "stream-replicas", intDefault(envReplicas, 0), "replicas of the events stream: 1 embedded (default), 3 on a cluster (env "+envReplicas+")")
	fs.IntVar(&sf.outboxLimit, "outbox-limit", intDefault(envOutboxLimit, server.DefaultOutboxLimit), "events the outbox may hold while NATS is away; past it writes fail with 503 SlowDown (env "+envOutboxLimit+")")
	fs.BoolVar(&sf.cloudEvents, "cloudevents", e.getenv(envCloudEvents) == "true", "add CloudEvents 1.0 headers to every event (env "+envCloudEvents+"=true)")
	fs.DurationVar(&sf.eventLinger, "event-linger", durationDefault(envEventLinger, server.DefaultEventLinger), "under load, how long events gather into one batch before they are published (lone events never wait); negative: no wait (env "+envEventLinger+")")
	fs.BoolVar(&sf.noEvents, "no-events", false, "run without the event plane (events accumulate in the outbox)")
	fs.IntVar(&sf.gcPercent, "gc-percent", intDefault(envGCPercent, 0), "garbage collector target, as GOGC: the heap grows by this % of the live heap between collections; 0 = "+strconv.Itoa(defaultGCPercent)+", or GOGC's value when that is set (env "+envGCPercent+")")
	fs.StringVar(&sf.cpuProfile, "cpu-profile", "", "write a CPU profile (go tool pprof) to this file until the server stops; for development")
	fs.BoolVar(&sf.noWorker, "no-worker", false, "do not run functions on events in this process (remote \"ossflow worker\"s do)")
	sf.images = addImageFlags(fs, e)
	return sf
}

// config builds the server configuration; credentials come from the
// environment only (never from flags, which other users can see).
func (sf *serverFlags) config(e *env) (server.Config, slog.Level, error) {
	if sf.envErr != nil {
		return server.Config{}, 0, sf.envErr
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(sf.logLevel)); err != nil {
		return server.Config{}, 0, usagef("--log-level: %v", err)
	}
	images, err := sf.images.config()
	if err != nil {
		return server.Config{}, 0, err
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
		SSEMasterKey:      e.getenv(envSSEKey),
		SSEMasterKeyFile:  sf.sseKeyFile,
		Events: server.EventsConfig{
			Disabled:            sf.noEvents,
			NATSURLs:            sf.nats.values,
			NATSCredentialsFile: sf.natsCreds,
			NATSUser:            sf.natsUser,
			NATSPassword:        e.getenv(envNATSPassword),
			NATSToken:           e.getenv(envNATSToken),
			NATSRootCA:          sf.natsCA,
			NATSCert:            sf.natsCert,
			NATSKey:             sf.natsKey,
			NATSPort:            sf.natsPort,
			Replicas:            sf.replicas,
			CloudEvents:         sf.cloudEvents,
			OutboxLimit:         sf.outboxLimit,
			Linger:              sf.eventLinger,
		},
		Functions: server.FunctionsConfig{NoWorker: sf.noWorker},
		Images:    images,
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
				if pct, ok, err := sf.gcTarget(e); err != nil {
					return err
				} else if ok {
					defer debug.SetGCPercent(debug.SetGCPercent(pct))
				}
				if sf.cpuProfile != "" {
					stopProfile, err := startCPUProfile(sf.cpuProfile)
					if err != nil {
						return err
					}
					defer stopProfile()
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

// defaultGCPercent is the server's garbage collector target unless GOGC
// or --gc-percent says otherwise (see "Why GOGC 200 for the server?" in
// DESIGN.md).
const defaultGCPercent = 200

// gcTarget returns the GC percent the server sets, if it sets one: the
// flag's (or its environment variable's) when given, else
// defaultGCPercent unless GOGC is set.
func (sf *serverFlags) gcTarget(e *env) (int, bool, error) {
	switch {
	case sf.gcPercent < 0 || (sf.gcPercent > 0 && sf.gcPercent < 10):
		return 0, false, usagef("--gc-percent %d: want 10 or more (0 for the default)", sf.gcPercent)
	case sf.gcPercent > 0:
		return sf.gcPercent, true, nil
	case e.getenv("GOGC") != "":
		return 0, false, nil
	}
	return defaultGCPercent, true, nil
}

// startCPUProfile profiles the process's CPU into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
