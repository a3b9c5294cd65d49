package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ossflow/ossflow/functions"
	"github.com/ossflow/ossflow/runtime"
	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/sdk/events"
)

// Environment variables of "ossflow worker" (besides the client ones and
// OSSFLOW_NATS*, shared with the server).
const (
	envWorkerCache   = "OSSFLOW_WORKER_CACHE"
	envWorkerMetrics = "OSSFLOW_WORKER_METRICS_ADDR"
)

func workerCommand() *command {
	return &command{
		name:     "worker",
		synopsis: "worker --nats nats://host:4222 --endpoint http://host:9000 [--cache-dir d] [--metrics-addr host:port]",
		summary:  "run functions on events on this machine: the registry and objects over the HTTP API, events from NATS directly",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			var natsURL, natsCreds, natsUser, cacheDir, stream, prefix, metricsAddr, logLevel string
			var resync time.Duration
			fs.StringVar(&natsURL, "nats", envOr(e, envNATS, ""), "NATS server URL(s), comma-separated (env "+envNATS+"); the server logs its embedded server's URL")
			fs.StringVar(&natsCreds, "nats-creds", envOr(e, envNATSCreds, ""), "NATS .creds file (env "+envNATSCreds+"); a password or token comes from "+envNATSPassword+" / "+envNATSToken)
			fs.StringVar(&natsUser, "nats-user", envOr(e, envNATSUser, ""), "NATS user name (env "+envNATSUser+")")
			fs.StringVar(&stream, "stream", events.DefaultStream, "the events stream")
			fs.StringVar(&prefix, "subject-prefix", events.DefaultSubjectPrefix, "the events' subject prefix")
			fs.StringVar(&cacheDir, "cache-dir", envOr(e, envWorkerCache, filepath.Join(os.TempDir(), "ossflow-worker-wazero-cache")), "compilation cache (env "+envWorkerCache+")")
			fs.StringVar(&metricsAddr, "metrics-addr", envOr(e, envWorkerMetrics, ""), "serve Prometheus metrics on this address (env "+envWorkerMetrics+")")
			fs.DurationVar(&resync, "resync", 30*time.Second, "how often every function is checked against the registry (changes also arrive at once)")
			fs.StringVar(&logLevel, "log-level", envOr(e, envLogLevel, "info"), "debug, info, warn or error (env "+envLogLevel+")")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				if natsURL == "" {
					return usagef("--nats is required (the server's NATS URL)")
				}
				var level slog.Level
				if err := level.UnmarshalText([]byte(logLevel)); err != nil {
					return usagef("--log-level: %v", err)
				}
				ak, sk, err := cf.credentials()
				if err != nil {
					return err
				}
				newClient := func(opts ...client.Option) (*client.Client, error) {
					return client.New(cf.endpoint, ak, sk, append([]client.Option{client.WithRegion(cf.region), client.WithUserAgent("ossflow-worker")}, opts...)...)
				}
				c, err := newClient()
				if err != nil {
					return err
				}
				opts := []nats.Option{nats.Name("ossflow-worker"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second)}
				if natsCreds != "" {
					opts = append(opts, nats.UserCredentials(natsCreds))
				}
				if natsUser != "" {
					opts = append(opts, nats.UserInfo(natsUser, e.getenv(envNATSPassword)))
				}
				if tok := e.getenv(envNATSToken); tok != "" {
					opts = append(opts, nats.Token(tok))
				}
				nc, err := nats.Connect(natsURL, opts...)
				if err != nil {
					return fmt.Errorf("worker: NATS %s: %w", natsURL, err)
				}
				defer nc.Close()
				ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
				defer stop()
				log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
				reg := prometheus.NewRegistry()
				p, err := functions.Start(ctx, functions.Config{
					CacheDir: cacheDir,
					Registry: functions.NewRegistry(&functions.ClientObjects{Client: c}, nil),
					Objects: func(name string) runtime.Objects {
						fc, err := newClient(client.WithOrigin(functions.Origin(name)))
						if err != nil {
							panic(err) // the same options made c
						}
						return &functions.ClientObjects{Client: fc}
					},
					Conn: nc, Stream: stream, SubjectPrefix: prefix,
					Worker: true, Resync: resync, Registerer: reg, Log: log,
				})
				if err != nil {
					return err
				}
				defer func() {
					sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					_ = p.Close(sctx)
				}()
				if metricsAddr != "" {
					ln, err := net.Listen("tcp", metricsAddr)
					if err != nil {
						return fmt.Errorf("worker: metrics: %w", err)
					}
					srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 10 * time.Second}
					go func() {
						if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
							log.Warn("metrics server failed", "err", err)
						}
					}()
					defer srv.Close()
				}
				log.Info("worker running", "nats", nc.ConnectedUrlRedacted(), "endpoint", cf.endpoint, "stream", stream)
				<-ctx.Done()
				log.Info("worker stopping")
				return nil
			}
		},
	}
}
