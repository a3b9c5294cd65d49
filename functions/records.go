package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/functions/fnapi"
)

// Streams of the platform.
const (
	// LogStream holds every function's log lines and invocation records
	// (fnapi.Record JSON) on LogSubjectPrefix.<function>.<event id> (or
	// "-" for invocations without an event). A message holds one record,
	// or several as JSON lines (records of one subject published together).
	LogStream        = "OSSFLOW_FN_LOGS"
	LogSubjectPrefix = "ossflow.fnlogs"
	// DLQStream holds the events that exhausted their deliveries, on
	// DLQSubjectPrefix.<function>: the original body and headers plus the
	// Header* headers below.
	DLQStream        = "OSSFLOW_DLQ"
	DLQSubjectPrefix = "ossflow.dlq"
)

// Headers a dead letter carries besides the event's own.
const (
	HeaderError       = "Ossflow-Fn-Error"
	HeaderErrorKind   = "Ossflow-Fn-Error-Kind"
	HeaderVersion     = "Ossflow-Fn-Version"
	HeaderDelivered   = "Ossflow-Fn-Delivered"
	HeaderSubject     = "Ossflow-Fn-Subject"
	HeaderFailedAt    = "Ossflow-Fn-Failed-At"
	HeaderFunction    = "Ossflow-Fn-Function"
	maxHeaderErrorLen = 2048
)

// StreamsConfig bounds the platform's streams.
type StreamsConfig struct {
	// LogMaxAge and LogMaxBytes bound the log stream (default 24h, 256 MiB).
	LogMaxAge   time.Duration
	LogMaxBytes int64
	// DLQMaxAge and DLQMaxBytes bound the dead-letter stream (default 14
	// days, 1 GiB).
	DLQMaxAge   time.Duration
	DLQMaxBytes int64
	// Replicas of both streams (default 1).
	Replicas int
}

// EnsureStreams creates (or updates) the log and dead-letter streams.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfg StreamsConfig) error {
	if cfg.LogMaxAge <= 0 {
		cfg.LogMaxAge = 24 * time.Hour
	}
	if cfg.LogMaxBytes <= 0 {
		cfg.LogMaxBytes = 256 << 20
	}
	if cfg.DLQMaxAge <= 0 {
		cfg.DLQMaxAge = 14 * 24 * time.Hour
	}
	if cfg.DLQMaxBytes <= 0 {
		cfg.DLQMaxBytes = 1 << 30
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	for _, sc := range []jetstream.StreamConfig{
		{Name: LogStream, Subjects: []string{LogSubjectPrefix + ".>"}, MaxAge: cfg.LogMaxAge, MaxBytes: cfg.LogMaxBytes,
			Storage: jetstream.FileStorage, Discard: jetstream.DiscardOld, Replicas: cfg.Replicas,
			Description: "ossflow function logs and invocation records"},
		{Name: DLQStream, Subjects: []string{DLQSubjectPrefix + ".>"}, MaxAge: cfg.DLQMaxAge, MaxBytes: cfg.DLQMaxBytes,
			Storage: jetstream.FileStorage, Discard: jetstream.DiscardOld, Replicas: cfg.Replicas,
			Description: "ossflow function dead letters", AllowDirect: true},
	} {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("functions: stream %s: %w", sc.Name, err)
		}
	}
	return nil
}

// RecordSink receives log lines and invocation records.
type RecordSink interface {
	Record(r *fnapi.Record)
}

// Publisher publishes records on the log stream from a background
// goroutine, so an invocation never waits for it: a record that finds the
// queue full is dropped (and counted).
type Publisher struct {
	nc      *nats.Conn
	ch      chan *fnapi.Record
	dropped func()
	done    chan struct{}
	once    sync.Once
}

// NewPublisher starts a publisher on nc (core NATS publishes into the
// stream's subjects: no acknowledgement is awaited). dropped, if set, is
// called for each dropped record.
func NewPublisher(nc *nats.Conn, dropped func()) *Publisher {
	p := &Publisher{nc: nc, ch: make(chan *fnapi.Record, 8192), dropped: dropped, done: make(chan struct{})}
	go p.run()
	return p
}

// Record implements RecordSink.
func (p *Publisher) Record(r *fnapi.Record) {
	select {
	case p.ch <- r:
	default:
		if p.dropped != nil {
			p.dropped()
		}
	}
}

func (p *Publisher) run() {
	defer close(p.done)
	buf := make([]byte, 0, 4096)
	var next *fnapi.Record // taken from the queue, not yet encoded
	for {
		r := next
		next = nil
		if r == nil {
			var ok bool
			if r, ok = <-p.ch; !ok {
				break
			}
		}
		subj := RecordSubject(r)
		buf, _ = appendRecord(buf[:0], r)
		// While records are queued (the publisher is behind), those of the
		// same subject (one invocation's lines and record; a function's
		// HTTP invocations) share one message, as JSON lines.
	coalesce:
		for len(buf) < maxBatch {
			select {
			case r2, ok := <-p.ch:
				if !ok {
					break coalesce
				}
				if RecordSubject(r2) != subj {
					next = r2
					break coalesce
				}
				buf = append(buf, '\n')
				buf, _ = appendRecord(buf, r2)
			default:
				break coalesce
			}
		}
		_ = p.nc.Publish(subj, buf)
	}
	_ = p.nc.Flush()
}

// maxBatch bounds a message of coalesced records.
const maxBatch = 32 << 10

// Close publishes what is queued and stops.
func (p *Publisher) Close() {
	p.once.Do(func() { close(p.ch) })
	<-p.done
}

// appendRecord encodes r as JSON, as json.Marshal would (a test checks
// that they agree), without reflection: it runs once per invocation.
func appendRecord(buf []byte, r *fnapi.Record) ([]byte, error) {
	buf = append(buf, `{"type":`...)
	buf = appendJSONString(buf, r.Type)
	buf = append(buf, `,"time":"`...)
	buf = r.Time.AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","function":`...)
	buf = appendJSONString(buf, r.Function)
	str := func(name, v string) {
		if v != "" {
			buf = append(buf, `,"`...)
			buf = append(buf, name...)
			buf = append(buf, `":`...)
			buf = appendJSONString(buf, v)
		}
	}
	num := func(name string, v int) {
		if v != 0 {
			buf = append(buf, `,"`...)
			buf = append(buf, name...)
			buf = append(buf, `":`...)
			buf = strconv.AppendInt(buf, int64(v), 10)
		}
	}
	num("version", r.Version)
	str("eventId", r.EventID)
	str("invocationId", r.InvocationID)
	str("trigger", r.Trigger)
	str("eventName", r.EventName)
	str("bucket", r.Bucket)
	str("key", r.Key)
	num("delivery", r.Delivery)
	str("level", r.Level)
	str("message", r.Message)
	if r.DurationMillis != 0 {
		buf = append(buf, `,"durationMillis":`...)
		buf = strconv.AppendFloat(buf, r.DurationMillis, 'f', -1, 64)
	}
	if r.Cold {
		buf = append(buf, `,"cold":true`...)
	}
	str("result", r.Result)
	str("errorKind", r.ErrorKind)
	str("error", r.Error)
	return append(buf, '}'), nil
}

// appendJSONString appends s as a JSON string (HTML characters escaped,
// as encoding/json does; invalid UTF-8 replaced).
func appendJSONString(buf []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			simple = false
			break
		}
	}
	if simple {
		buf = append(buf, '"')
		buf = append(buf, s...)
		return append(buf, '"')
	}
	b, _ := json.Marshal(s)
	return append(buf, b...)
}

// RecordSubject is the subject a record is published on.
func RecordSubject(r *fnapi.Record) string {
	id := r.EventID
	if id == "" {
		id = "-"
	}
	return LogSubjectPrefix + "." + r.Function + "." + subjectToken(id)
}

// subjectToken makes s safe as one subject token.
func subjectToken(s string) string {
	if !strings.ContainsAny(s, ".*> \t\r\n") {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '.', '*', '>', ' ', '\t', '\r', '\n':
			b.WriteByte('_')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// ReadStream delivers the messages of stream matching filter, in order,
// with an ordered consumer: every retained one (or those from since on,
// when since is not zero), then, with follow, new ones until ctx ends.
// Without follow it returns once it has caught up.
func ReadStream(ctx context.Context, js jetstream.JetStream, stream, filter string, since time.Time, follow bool, emit func(jetstream.Msg) error) error {
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if !since.IsZero() {
		occ.DeliverPolicy, occ.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := js.OrderedConsumer(ctx, stream, occ)
	if err != nil {
		return err
	}
	info := cons.CachedInfo()
	if !follow && (info == nil || info.NumPending == 0) {
		return nil
	}
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return nil
			}
			return err
		}
		if err := emit(m); err != nil {
			return err
		}
		if !follow {
			if md, err := m.Metadata(); err == nil && md.NumPending == 0 {
				return nil
			}
		}
	}
}

// Trail returns the records of one event (or invocation) id, across
// functions, in the order they were published.
func Trail(ctx context.Context, js jetstream.JetStream, id string) ([]fnapi.Record, error) {
	var out []fnapi.Record
	err := ReadStream(ctx, js, LogStream, LogSubjectPrefix+".*."+subjectToken(id), time.Time{}, false, func(m jetstream.Msg) error {
		for _, line := range bytes.Split(m.Data(), []byte("\n")) {
			var r fnapi.Record
			if json.Unmarshal(line, &r) == nil {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}
