package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/sdk/events"
)

// TailOptions selects the events [Tail] delivers.
type TailOptions struct {
	// Stream and SubjectPrefix default to the broker's defaults.
	Stream        string
	SubjectPrefix string
	// Bucket selects one bucket; "" selects all.
	Bucket string
	// Prefix and Suffix filter object keys (applied by the tail, from the
	// key header).
	Prefix, Suffix string
	// Events are event name patterns such as "ObjectCreated:*" or
	// "oss:ObjectRemoved:DeleteObject"; none selects all.
	Events []string
	// Where to start. With none of them set, every retained event is
	// replayed first, then new ones follow. StartSeq starts at that stream
	// sequence (see events.Event.StreamSeq); StartTime at the first event
	// stored at or after it; NewOnly skips every event stored before the
	// tail starts.
	StartSeq  uint64
	StartTime time.Time
	NewOnly   bool
}

// Tail follows the events stream with an ordered, ephemeral consumer and
// calls emit for each selected event, in stream (= commit) order, until
// ctx is done (it then returns nil) or emit fails (it returns that error).
// The consumer leaves no state on the server.
func Tail(ctx context.Context, js jetstream.JetStream, opts TailOptions, emit func(events.Event) error) error {
	if opts.Stream == "" {
		opts.Stream = events.DefaultStream
	}
	if opts.SubjectPrefix == "" {
		opts.SubjectPrefix = events.DefaultSubjectPrefix
	}
	filters, err := events.FilterSubjects(opts.SubjectPrefix, opts.Bucket, opts.Events...)
	if err != nil {
		return err
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: filters, DeliverPolicy: jetstream.DeliverAllPolicy}
	switch {
	case opts.StartSeq > 0:
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, opts.StartSeq
	case !opts.StartTime.IsZero():
		t := opts.StartTime
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	case opts.NewOnly:
		occ.DeliverPolicy = jetstream.DeliverNewPolicy
	}
	cons, err := js.OrderedConsumer(ctx, opts.Stream, occ)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("broker: tail %s: %w", opts.Stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("broker: tail %s: %w", opts.Stream, err)
	}
	defer it.Stop()
	keys := events.KeyFilter{Prefix: opts.Prefix, Suffix: opts.Suffix}
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			// The ordered consumer recreates itself after gaps and
			// server restarts; anything else ends the tail.
			return fmt.Errorf("broker: tail %s: %w", opts.Stream, err)
		}
		ev, err := events.DecodeMsg(m)
		if err != nil {
			return fmt.Errorf("broker: tail %s: %w", opts.Stream, err)
		}
		if !keys.Match(ev.Key) {
			continue
		}
		if err := emit(ev); err != nil {
			return err
		}
	}
}

// TailJSON runs [Tail] writing one event per line to w: the message body
// as published, the OSS notification JSON {"events":[record]}. Each line
// is written with one Write and, if w has a Flush method (bufio.Writer,
// http.ResponseWriter), flushed at once.
func TailJSON(ctx context.Context, js jetstream.JetStream, opts TailOptions, w io.Writer) error {
	var line []byte
	return Tail(ctx, js, opts, func(ev events.Event) error {
		line = append(append(line[:0], ev.Data...), '\n')
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("broker: tail: write: %w", err)
		}
		switch f := w.(type) {
		case interface{ Flush() error }:
			if err := f.Flush(); err != nil {
				return fmt.Errorf("broker: tail: flush: %w", err)
			}
		case interface{ Flush() }:
			f.Flush()
		}
		return nil
	})
}
