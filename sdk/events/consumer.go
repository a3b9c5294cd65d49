package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Handler processes one event. Returning nil acknowledges it; returning an
// error asks for redelivery after a delay.
type Handler func(ctx context.Context, ev Event) error

// ConsumerConfig configures [Consume]. Only Durable is required.
type ConsumerConfig struct {
	// Stream is the events stream; default [DefaultStream].
	Stream string
	// SubjectPrefix is the broker's subject prefix; default
	// [DefaultSubjectPrefix].
	SubjectPrefix string
	// Durable names the durable consumer: its position survives restarts
	// of both the consumer and the server. Consumers sharing a name share
	// the work (each event goes to one of them).
	Durable string
	// Bucket selects one bucket; "" selects all.
	Bucket string
	// Events are event name patterns (see [FilterSubjects]), e.g.
	// "ObjectCreated:*"; none selects every event.
	Events []string
	// Keys filters by object key. Events whose key does not match are
	// acknowledged without calling the handler.
	Keys KeyFilter
	// DeliverNew makes a newly created durable start with events published
	// after its creation instead of every retained event.
	DeliverNew bool
	// AckWait is how long the server waits for an acknowledgement before
	// redelivering; default 30s. A handler that runs longer must finish
	// within it or expect a redelivery. Events already pulled by a
	// consumer that stops are redelivered (to the next consumer of the
	// same Durable) after AckWait.
	AckWait time.Duration
	// MaxAckPending bounds unacknowledged events; default 256. Set it to 1
	// to keep per-key order even across handler failures (a failed event is
	// redelivered before any later one is delivered).
	MaxAckPending int
	// MaxDeliver bounds deliveries of one event; 0 means no bound.
	MaxDeliver int
	// NakDelay is the redelivery delay after the first failure, doubled on
	// each further failure up to MaxNakDelay; defaults 1s and 1m.
	NakDelay    time.Duration
	MaxNakDelay time.Duration
	// OnError, if set, is told of handler failures, undecodable messages
	// (which are terminated, not redelivered) and transient fetch errors.
	OnError func(err error)
}

func (c *ConsumerConfig) defaults() error {
	if c.Durable == "" {
		return errors.New("events: ConsumerConfig.Durable is required")
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = DefaultSubjectPrefix
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxAckPending <= 0 {
		c.MaxAckPending = 256
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = -1
	}
	if c.NakDelay <= 0 {
		c.NakDelay = time.Second
	}
	if c.MaxNakDelay <= 0 {
		c.MaxNakDelay = time.Minute
	}
	if c.OnError == nil {
		c.OnError = func(error) {}
	}
	return nil
}

// Consume creates (or updates) the durable pull consumer cfg describes and
// calls h for each event, one at a time, in stream order, until ctx is
// done (then it returns nil) or the consumer is deleted. An event is
// acknowledged after h returns nil and negatively acknowledged with a
// growing delay when h fails, so it is redelivered: delivery is
// at-least-once, and a handler that must act once keys on [Event.ID].
func Consume(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig, h Handler) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	filters, err := FilterSubjects(cfg.SubjectPrefix, cfg.Bucket, cfg.Events...)
	if err != nil {
		return err
	}
	cc := jetstream.ConsumerConfig{
		Durable:        cfg.Durable,
		FilterSubjects: filters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		MaxAckPending:  cfg.MaxAckPending,
		MaxDeliver:     cfg.MaxDeliver,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	}
	if cfg.DeliverNew {
		cc.DeliverPolicy = jetstream.DeliverNewPolicy
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, cc)
	if err != nil {
		return fmt.Errorf("events: consumer %q on %s: %w", cfg.Durable, cfg.Stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(min(cfg.MaxAckPending, 512)))
	if err != nil {
		return fmt.Errorf("events: consumer %q: %w", cfg.Durable, err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			switch {
			case ctx.Err() != nil, errors.Is(err, jetstream.ErrMsgIteratorClosed):
				return nil
			case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound):
				return fmt.Errorf("events: consumer %q: %w", cfg.Durable, err)
			}
			cfg.OnError(fmt.Errorf("events: consumer %q: next: %w", cfg.Durable, err))
			continue
		}
		cfg.handle(ctx, m, h)
	}
}

func (c *ConsumerConfig) handle(ctx context.Context, m jetstream.Msg, h Handler) {
	ev, err := DecodeMsg(m)
	if err != nil {
		c.OnError(err)
		_ = m.Term()
		return
	}
	if !c.Keys.Match(ev.Key) {
		_ = m.Ack()
		return
	}
	if err := h(ctx, ev); err != nil {
		c.OnError(fmt.Errorf("events: handler for event %s (%s %s/%s): %w", ev.ID, ev.Name, ev.Bucket, ev.Key, err))
		delay := c.NakDelay
		if md, merr := m.Metadata(); merr == nil {
			for n := md.NumDelivered; n > 1 && delay < c.MaxNakDelay; n-- {
				delay *= 2
			}
		}
		_ = m.NakWithDelay(min(delay, c.MaxNakDelay))
		return
	}
	_ = m.Ack()
}
