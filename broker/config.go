package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ossflow/ossflow/sdk/events"
)

// DefaultBatchLinger is the default of Config.BatchLinger (see "Why linger
// under load?" in DESIGN.md).
const DefaultBatchLinger = 5 * time.Millisecond

// Config configures [Start]. The zero value plus DataDir runs an embedded
// server on a random loopback port with the default stream and no relay.
type Config struct {
	// DataDir holds the embedded server's JetStream file store. Required
	// unless URLs is set.
	DataDir string
	// Host and Port are where the embedded server listens for other
	// processes (functions, the events tail CLI). Host defaults to
	// "127.0.0.1"; Port 0 picks a random free port; Port -1 disables the
	// listener (in-process clients only).
	Host string
	Port int
	// ServerName names the embedded server; default "ossflow".
	ServerName string
	// SyncInterval is how often the embedded server fsyncs its file store
	// (default 1s). With URLs set it must describe the external servers'
	// sync_interval (nats-server's default is 2m) when Replicas is 1: it
	// sizes the durability hold (see DurabilityHold).
	SyncInterval time.Duration
	// MaxStore bounds the embedded server's JetStream storage in bytes;
	// 0 lets the server choose (a share of the free disk).
	MaxStore int64

	// URLs, when set, selects external NATS servers ("nats://h1:4222",
	// ...) instead of the embedded one.
	URLs []string
	// CredentialsFile is a NATS .creds file (JWT + NKey seed).
	CredentialsFile string
	// User and Password authenticate with a user name.
	User, Password string
	// Token authenticates with a token.
	Token string
	// ReconnectWait is the pause between reconnection attempts to external
	// servers; default 1s (the embedded server is retried every 100ms).
	ReconnectWait time.Duration
	// TLS, when set, secures the connection with this configuration.
	TLS *tls.Config
	// RootCAFile, CertFile and KeyFile configure TLS from PEM files.
	RootCAFile, CertFile, KeyFile string

	// Stream names the events stream; default events.DefaultStream.
	Stream string
	// SubjectPrefix is the first tokens of every subject; default
	// events.DefaultSubjectPrefix. The stream captures SubjectPrefix.>.
	SubjectPrefix string
	// Replicas of the stream: default 1; use 3 on a cluster.
	Replicas int
	// MaxAge bounds how long events are retained; default 7 days. Events
	// older than that are gone for a new consumer or a replaying tail.
	MaxAge time.Duration
	// MaxBytes bounds the stream's size (oldest events dropped first);
	// 0 means no bound.
	MaxBytes int64
	// DuplicateWindow is the stream's de-duplication window; default 15s,
	// or DurabilityHold plus the retry horizon if longer. It must exceed
	// the relay's retry horizon (PublishTimeout plus MaxBackoff) and
	// DurabilityHold; [Start] checks this.
	DuplicateWindow time.Duration

	// Outbox, when set, starts the relay that drains it into the stream.
	Outbox Outbox
	// OutboxStats, when set, feeds the outbox depth and age metrics, the
	// relay lag in events, and the fill warning.
	OutboxStats func() OutboxStats
	// OutboxLimit is the engine's outbox bound (its OutboxLimit option),
	// used for the fill warning and the limit metric; 0 = unbounded.
	OutboxLimit int
	// MaxInFlight bounds unacknowledged asynchronous publishes; default 256.
	MaxInFlight int
	// ReadBatch bounds events read from the outbox at once; default 256.
	ReadBatch int
	// BatchLinger is how long after the start of one batch the relay waits
	// before reading the next when the last batch carried more than one
	// event (the writers are busy), so that batches grow and their fixed
	// costs are shared; a lone event is never delayed. Default
	// DefaultBatchLinger; negative disables.
	BatchLinger time.Duration
	// PublishTimeout fails a publish whose PubAck has not arrived; default
	// 5s.
	PublishTimeout time.Duration
	// MinBackoff and MaxBackoff bound the exponential back-off after a
	// publish error; defaults 50ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// DurabilityHold is how long an outbox entry is kept after its PubAck
	// before the relay removes it, so that an event JetStream has
	// acknowledged but not yet fsynced survives a power loss (the relay
	// republishes it after the restart; duplicates are dropped). Default:
	// 2 x SyncInterval with Replicas 1, none with Replicas >= 3 (a quorum of
	// servers holds the event). A negative value means none. Held entries
	// count against the engine's OutboxLimit: size that well above the
	// peak event rate times the hold (e.g. 20k events/s x 2 s = 40k).
	DurabilityHold time.Duration

	// CloudEvents adds CloudEvents 1.0 binary-mode headers (ce-id,
	// ce-source, ce-type, ...) to every message.
	CloudEvents bool
	// CloudEventsSource overrides ce-source; default is the bucket's ARN
	// from the event record.
	CloudEventsSource string

	// Logger receives the broker's and the embedded server's logs; default
	// discards them.
	Logger *slog.Logger
	// WarnInterval is how often the outbox fill is checked and, when
	// above half of OutboxLimit, warned about; default 10s.
	WarnInterval time.Duration
}

// defaultDuplicateWindow is the least default duplicate window: the
// embedded setup's need (a 2 s hold plus a 10 s retry horizon) and 3 s;
// see "Why a 15-second duplicate window" in DESIGN.md.
const defaultDuplicateWindow = 15 * time.Second

func (c *Config) setDefaults() error {
	if len(c.URLs) == 0 && c.DataDir == "" {
		return errors.New("broker: Config.DataDir is required for the embedded server")
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.ServerName == "" {
		c.ServerName = "ossflow"
	}
	if c.SyncInterval <= 0 {
		c.SyncInterval = time.Second
		if len(c.URLs) > 0 {
			c.SyncInterval = 2 * time.Minute
		}
	}
	if c.ReconnectWait <= 0 {
		c.ReconnectWait = time.Second
		if len(c.URLs) == 0 {
			c.ReconnectWait = 100 * time.Millisecond
		}
	}
	if c.Stream == "" {
		c.Stream = events.DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = events.DefaultSubjectPrefix
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 7 * 24 * time.Hour
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 256
	}
	switch {
	case c.BatchLinger == 0:
		c.BatchLinger = DefaultBatchLinger
	case c.BatchLinger < 0:
		c.BatchLinger = 0
	}
	if c.ReadBatch <= 0 {
		c.ReadBatch = 256
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = 5 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 50 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	switch {
	case c.DurabilityHold < 0:
		c.DurabilityHold = 0
	case c.DurabilityHold == 0 && c.Replicas < 3:
		c.DurabilityHold = 2 * c.SyncInterval
	}
	if c.DuplicateWindow <= 0 {
		c.DuplicateWindow = max(defaultDuplicateWindow, c.DurabilityHold+c.PublishTimeout+c.MaxBackoff)
	}
	if min := c.PublishTimeout + c.MaxBackoff; c.DuplicateWindow < min {
		return fmt.Errorf("broker: DuplicateWindow %v is shorter than the relay's retry horizon %v (PublishTimeout + MaxBackoff)", c.DuplicateWindow, min)
	}
	if c.DuplicateWindow < c.DurabilityHold {
		return fmt.Errorf("broker: DuplicateWindow %v is shorter than DurabilityHold %v", c.DuplicateWindow, c.DurabilityHold)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.WarnInterval <= 0 {
		c.WarnInterval = 10 * time.Second
	}
	return nil
}
