package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Broker is ossflow's event plane: a NATS connection (to the embedded
// server or to external ones), the events stream, and, when configured,
// the relay that drains the engine's outbox into the stream. It is safe
// for concurrent use.
type Broker struct {
	cfg   Config
	log   *slog.Logger
	emb   *embedded // nil with external servers
	nc    *nats.Conn
	js    jetstream.JetStream
	relay *relay // nil without an outbox
	m     *metrics

	closeOnce sync.Once
}

// Start starts the embedded server (or connects to cfg.URLs), creates or
// updates the events stream and, if cfg.Outbox is set, starts the relay.
// With external servers, a server that cannot be reached at start is not
// an error: the relay retries (writes keep succeeding into the outbox)
// and creates the stream once it can. ctx bounds the start only.
func Start(ctx context.Context, cfg Config) (*Broker, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	b := &Broker{cfg: cfg, log: cfg.Logger.With("component", "broker"), m: newMetrics()}
	if len(cfg.URLs) == 0 {
		b.emb = newEmbedded(&b.cfg)
		if err := b.emb.start(); err != nil {
			return nil, err
		}
	}
	nc, err := b.dial("ossflow")
	if err != nil {
		b.shutdownServer()
		return nil, err
	}
	b.nc = nc
	js, err := jetstream.New(b.nc)
	if err != nil {
		b.nc.Close()
		b.shutdownServer()
		return nil, fmt.Errorf("broker: jetstream: %w", err)
	}
	b.js = js
	sctx, cancel := context.WithTimeout(ctx, b.cfg.PublishTimeout)
	err = ensureStream(sctx, js, &b.cfg)
	cancel()
	if err != nil {
		if b.emb != nil || !isUnreachable(err) {
			b.nc.Close()
			b.shutdownServer()
			return nil, err
		}
		b.log.Warn("NATS unreachable at start; events queue in the outbox until it is", "urls", cfg.URLs, "err", err)
	}
	if cfg.Outbox != nil {
		// The relay has a connection of its own that never buffers while
		// reconnecting: a publish fails at once instead of sitting in a
		// buffer that could flush it, unchained, after a long outage.
		rnc, err := b.dial("ossflow-relay", nats.ReconnectBufSize(-1))
		if err == nil {
			b.relay, err = newRelay(&b.cfg, rnc, cfg.Outbox, b.m)
			if err != nil {
				rnc.Close()
			}
		}
		if err != nil {
			b.nc.Close()
			b.shutdownServer()
			return nil, err
		}
	}
	b.m.addOutboxFuncs(&b.cfg, b.relay)
	if b.relay != nil {
		b.relay.start()
	}
	return b, nil
}

// dial connects to the embedded server in-process or to the configured
// URLs; the connection reconnects forever.
func (b *Broker) dial(name string, extra ...nats.Option) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				b.log.Warn("NATS disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			b.log.Warn("NATS asynchronous error", "subject", subj, "err", err)
		}),
	}
	url := nats.DefaultURL
	if b.emb != nil {
		opts = append(opts, nats.InProcessServer(b.emb), nats.ReconnectWait(b.cfg.ReconnectWait))
	} else {
		url = strings.Join(b.cfg.URLs, ",")
		opts = append(opts, nats.ReconnectWait(b.cfg.ReconnectWait), nats.RetryOnFailedConnect(true))
		if b.cfg.CredentialsFile != "" {
			opts = append(opts, nats.UserCredentials(b.cfg.CredentialsFile))
		}
		if b.cfg.User != "" {
			opts = append(opts, nats.UserInfo(b.cfg.User, b.cfg.Password))
		}
		if b.cfg.Token != "" {
			opts = append(opts, nats.Token(b.cfg.Token))
		}
		if b.cfg.TLS != nil {
			opts = append(opts, nats.Secure(b.cfg.TLS))
		}
		if b.cfg.RootCAFile != "" {
			opts = append(opts, nats.RootCAs(b.cfg.RootCAFile))
		}
		if b.cfg.CertFile != "" || b.cfg.KeyFile != "" {
			opts = append(opts, nats.ClientCert(b.cfg.CertFile, b.cfg.KeyFile))
		}
	}
	nc, err := nats.Connect(url, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("broker: connect: %w", err)
	}
	return nc, nil
}

// ensureStream creates the events stream or updates it to cfg.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg *Config) error {
	_, err := js.CreateOrUpdateStream(ctx, streamConfig(cfg))
	if err != nil {
		return fmt.Errorf("broker: stream %s: %w", cfg.Stream, err)
	}
	return nil
}

func streamConfig(cfg *Config) jetstream.StreamConfig {
	maxBytes := cfg.MaxBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	persist := jetstream.DefaultPersistMode
	if len(cfg.URLs) == 0 && cfg.DurabilityHold > 0 {
		// The embedded server dies with the process: what it PubAcked but
		// had not written yet is still in the outbox (held), so it need
		// not write each message before its PubAck. See DESIGN.md.
		persist = jetstream.AsyncPersistMode
	}
	return jetstream.StreamConfig{
		PersistMode: persist,
		Name:        cfg.Stream,
		Description: "ossflow object events, one message per committed write, in commit order",
		Subjects:    []string{cfg.SubjectPrefix + ".>"},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    maxBytes,
		MaxMsgs:     -1,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		AllowDirect: true,
	}
}

// isUnreachable tells errors meaning "no server answered" from
// configuration errors.
func isUnreachable(err error) bool {
	return errors.Is(err, nats.ErrNoServers) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}

// Conn is the broker's NATS connection, shared with other subsystems.
// Do not close it: [Broker.Close] does.
func (b *Broker) Conn() *nats.Conn { return b.nc }

// JetStream is a JetStream context on [Broker.Conn], for building
// consumers of the events stream.
func (b *Broker) JetStream() jetstream.JetStream { return b.js }

// Stream is the events stream's name.
func (b *Broker) Stream() string { return b.cfg.Stream }

// SubjectPrefix is the prefix of every event subject.
func (b *Broker) SubjectPrefix() string { return b.cfg.SubjectPrefix }

// ClientURL is where other processes reach the NATS server: the embedded
// server's listener ("" if it does not listen) or the configured URLs.
func (b *Broker) ClientURL() string {
	if b.emb != nil {
		return b.emb.clientURL()
	}
	return strings.Join(b.cfg.URLs, ",")
}

// RelayStatus is the relay's position in the outbox.
type RelayStatus struct {
	// Running is false without an outbox.
	Running bool
	// Published is the highest outbox Seq such that it and every event
	// before it are in the stream (as far as this process knows).
	Published uint64
	// Removed is the highest Seq this relay removed from the outbox;
	// entries above it and at or below Published are held for durability.
	Removed uint64
	// LagSeconds is the age of the oldest committed event not yet
	// acknowledged by the stream (0 when caught up).
	LagSeconds float64
}

// RelayStatus reports the relay's position, for health checks.
func (b *Broker) RelayStatus() RelayStatus {
	if b.relay == nil {
		return RelayStatus{}
	}
	return RelayStatus{
		Running:    true,
		Published:  b.relay.published.Load(),
		Removed:    b.relay.removed.Load(),
		LagSeconds: b.relay.lagSeconds(time.Now()),
	}
}

// Collectors are the broker's Prometheus collectors (ossflow_events_*),
// to register on the process's registry.
func (b *Broker) Collectors() []prometheus.Collector { return b.m.collectors() }

// Register registers [Broker.Collectors] on reg.
func (b *Broker) Register(reg prometheus.Registerer) error { return b.m.register(reg) }

// Close stops the relay (in-flight publishes are awaited up to the
// publish timeout; entries within their durability hold stay in the
// outbox), closes the connection and shuts the embedded server down.
// Close the broker before the engine whose outbox it drains.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		if b.relay != nil {
			b.relay.stop()
		}
		if b.nc != nil {
			b.nc.Close()
		}
		b.shutdownServer()
	})
	return nil
}

func (b *Broker) shutdownServer() {
	if b.emb != nil {
		b.emb.shutdown()
	}
}
