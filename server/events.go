package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/broker"
)

// NATSDir is the directory, inside the data directory, of the embedded NATS
// server's JetStream store.
const NATSDir = "nats"

// DefaultOutboxLimit bounds the engine's event outbox: past it, writes fail
// with 503 SlowDown rather than commit without their event (see DESIGN.md).
const DefaultOutboxLimit = 1_000_000

// EventsConfig configures the event plane: the NATS JetStream server (an
// embedded one by default) and the relay that publishes every committed
// write.
type EventsConfig struct {
	// Disabled turns the event plane off: writes still record their events
	// in the outbox (up to OutboxLimit), nothing publishes them.
	Disabled bool
	// NATSURLs selects external NATS servers instead of the embedded one.
	NATSURLs []string
	// Credentials for external servers: a .creds file, user and password,
	// or a token; TLS from PEM files.
	NATSCredentialsFile, NATSUser, NATSPassword, NATSToken string
	NATSRootCA, NATSCert, NATSKey                          string
	// Replicas of the events stream (1 embedded; 3 on a cluster).
	Replicas int
	// NATSPort is where the embedded server listens for other processes
	// (workers): 0 picks a free loopback port, -1 none.
	NATSPort int
	// CloudEvents adds CloudEvents 1.0 binary-mode headers to every event.
	CloudEvents bool
	// OutboxLimit bounds the outbox; default DefaultOutboxLimit.
	OutboxLimit int
	// Linger is how long the relay lets events gather into one batch
	// while writers are busy (broker.Config.BatchLinger): 0 is the
	// broker's default, negative publishes every batch at once.
	Linger time.Duration
}

// DefaultEventLinger is the relay's default linger (EventsConfig.Linger).
const DefaultEventLinger = broker.DefaultBatchLinger

func (c EventsConfig) outboxLimit() int {
	if c.OutboxLimit <= 0 {
		return DefaultOutboxLimit
	}
	return c.OutboxLimit
}

// startEvents starts the broker and its relay, registers its metrics and
// mounts the events tail endpoint.
func (s *Server) startEvents(ctx context.Context) error {
	ec := s.cfg.Events
	if ec.Disabled {
		return nil
	}
	b, err := broker.Start(ctx, broker.Config{
		DataDir:         filepath.Join(s.cfg.DataDir, NATSDir),
		Port:            ec.NATSPort,
		URLs:            ec.NATSURLs,
		CredentialsFile: ec.NATSCredentialsFile,
		User:            ec.NATSUser,
		Password:        ec.NATSPassword,
		Token:           ec.NATSToken,
		RootCAFile:      ec.NATSRootCA,
		CertFile:        ec.NATSCert,
		KeyFile:         ec.NATSKey,
		Replicas:        ec.Replicas,
		CloudEvents:     ec.CloudEvents,
		Outbox:          s.store,
		OutboxStats:     s.outboxStats,
		OutboxLimit:     ec.outboxLimit(),
		BatchLinger:     ec.Linger,
		Logger:          s.log.With("subsystem", "broker"),
	})
	if err != nil {
		return fmt.Errorf("server: event plane: %w", err)
	}
	if err := b.Register(s.metrics.Registry()); err != nil {
		_ = b.Close()
		return fmt.Errorf("server: event plane metrics: %w", err)
	}
	s.events = b
	s.root.mount("/-/events/", &eventsHandler{
		broker:   b,
		verifier: &auth.Verifier{Creds: s.dir, Now: s.cfg.Now, Region: s.cfg.Region},
		root:     s.rootOnly,
	})
	s.log.Info("event plane ready", "nats", b.ClientURL(), "stream", b.Stream(), "subjects", b.SubjectPrefix()+".>")
	return nil
}

func (s *Server) outboxStats() broker.OutboxStats {
	st := s.store.OutboxStats()
	return broker.OutboxStats{Depth: st.Depth, OldestTime: st.OldestTime, LastSeq: st.LastSeq}
}

// Events returns the event plane, or nil when it is disabled or the server
// has not started.
func (s *Server) Events() *broker.Broker { return s.events }

// rootOnly authorizes management endpoints: the root account (or an STS
// session it issued) only.
func (s *Server) rootOnly(ctx context.Context, res auth.Result) error {
	if res.Anonymous {
		return errForbidden
	}
	p, err := s.dir.Authenticate(ctx, res.AccessKeyID, res.SecurityToken, s.cfg.Now())
	if err != nil {
		return err
	}
	if !p.IsRoot {
		return errForbidden
	}
	return nil
}

// errForbidden refuses a management request of an identity other than
// root.
var errForbidden = errors.New("only the root account may do this")

// eventsHandler serves GET /-/events/tail: the events stream as JSON lines,
// one event per line, flushed as they arrive.
//
// Query: bucket, prefix, suffix, event (repeatable, e.g. ObjectCreated:*),
// since (a stream sequence, 0 to replay every retained event, an RFC 3339
// time, or absent for new events only).
type eventsHandler struct {
	broker   *broker.Broker
	verifier *auth.Verifier
	root     func(context.Context, auth.Result) error
}

func (h *eventsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/-/events/tail" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Management endpoints sign as bucket "-" with the rest of the path as
	// the key (as the admin API), so the signature covers the path.
	res, err := h.verifier.Verify(r.Context(), r, "-", strings.TrimPrefix(r.URL.Path, "/-/"))
	if err == nil {
		err = h.root(r.Context(), res)
	}
	if err != nil {
		http.Error(w, "access denied: "+err.Error(), http.StatusForbidden)
		return
	}
	opts, err := tailOptions(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	opts.Stream, opts.SubjectPrefix = h.broker.Stream(), h.broker.SubjectPrefix()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	// The stream ends when the client goes away (or the server shuts down).
	_ = broker.TailJSON(r.Context(), h.broker.JetStream(), opts, flushWriter{w})
}

// flushWriter flushes after every write, so each event line leaves at once.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

// maxTailFilters bounds the event patterns of one tail.
const maxTailFilters = 32

// tailOptions parses the tail query.
func tailOptions(q map[string][]string) (broker.TailOptions, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	opts := broker.TailOptions{Bucket: get("bucket"), Prefix: get("prefix"), Suffix: get("suffix"), Events: q["event"]}
	if len(opts.Events) > maxTailFilters {
		return opts, fmt.Errorf("at most %d event patterns", maxTailFilters)
	}
	for _, e := range opts.Events {
		if e == "" || len(e) > 128 || strings.ContainsAny(e, " \t\r\n") {
			return opts, fmt.Errorf("bad event pattern %q", e)
		}
	}
	switch since := get("since"); {
	case since == "":
		opts.NewOnly = true
	case since == "0":
		// every retained event first
	default:
		if n, err := strconv.ParseUint(since, 10, 64); err == nil {
			opts.StartSeq = n
			break
		}
		t, err := time.Parse(time.RFC3339Nano, since)
		if err != nil {
			return opts, fmt.Errorf("since: want a stream sequence, 0 or an RFC 3339 time, got %q", since)
		}
		opts.StartTime = t
	}
	return opts, nil
}
