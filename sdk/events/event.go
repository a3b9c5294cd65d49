package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/oss"
)

// Event is one delivered ossflow event: the OSS event record plus what the
// message headers carry.
type Event struct {
	// ID is unique per event; a consumer that must be idempotent across
	// redeliveries keys on it.
	ID string
	// Seq is the global outbox position: dense, in commit order.
	Seq uint64
	// BucketSeq is the per-bucket sequence, starting at 1.
	BucketSeq uint64
	// Name is the event name without "oss:", e.g. "ObjectCreated:PutObject".
	Name      oss.EventName
	Bucket    string
	Key       string
	VersionID string
	// Origin is what made the write ("" for clients, "lifecycle",
	// "function:<name>"), from [HeaderOrigin].
	Origin string
	// StreamSeq is the message's JetStream stream sequence (0 when
	// unknown), usable as a resume point for [TailOptions]-style replays.
	StreamSeq uint64
	// Record is the OSS event notification record.
	Record oss.EventRecord
	// Data is the message body as published: {"events":[record]}.
	Data []byte
}

// Decode parses an event message (its headers and its OSS JSON body).
// Headers missing from the message are filled from the record.
func Decode(h nats.Header, data []byte) (Event, error) {
	var env oss.EventEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Event{}, fmt.Errorf("events: decode body: %w", err)
	}
	if len(env.Events) != 1 {
		return Event{}, fmt.Errorf("events: body holds %d events, want 1", len(env.Events))
	}
	rec := env.Events[0]
	ev := Event{
		ID:        h.Get(HeaderMsgID),
		Name:      oss.EventName(h.Get(HeaderEventName)),
		Bucket:    h.Get(HeaderBucket),
		VersionID: h.Get(HeaderVersionID),
		Origin:    h.Get(HeaderOrigin),
		Record:    rec,
		Data:      data,
	}
	var err error
	if v := h.Get(HeaderKey); v != "" {
		if ev.Key, err = DecodeKeyHeader(v); err != nil {
			return Event{}, err
		}
	} else {
		ev.Key = rec.OSS.Object.Key
	}
	if v := h.Get(HeaderSeq); v != "" {
		if ev.Seq, err = strconv.ParseUint(v, 10, 64); err != nil {
			return Event{}, fmt.Errorf("events: header %s: %w", HeaderSeq, err)
		}
	}
	if v := h.Get(HeaderBucketSeq); v != "" {
		if ev.BucketSeq, err = strconv.ParseUint(v, 10, 64); err != nil {
			return Event{}, fmt.Errorf("events: header %s: %w", HeaderBucketSeq, err)
		}
	} else if s := rec.OSS.Object.Sequencer; s != "" {
		if ev.BucketSeq, err = strconv.ParseUint(s, 16, 64); err != nil {
			return Event{}, fmt.Errorf("events: record sequencer %q: %w", s, err)
		}
	}
	if ev.ID == "" {
		ev.ID = h.Get(HeaderEventID)
	}
	if ev.ID == "" {
		ev.ID = rec.EventID
	}
	if ev.Name == "" {
		ev.Name = oss.EventName(rec.EventName)
	}
	if ev.Bucket == "" {
		ev.Bucket = rec.OSS.Bucket.Name
	}
	if ev.VersionID == "" {
		ev.VersionID = rec.OSS.Object.VersionID
	}
	return ev, nil
}

// DecodeMsg decodes a JetStream message with [Decode] and records its
// stream sequence.
func DecodeMsg(m jetstream.Msg) (Event, error) {
	ev, err := Decode(m.Headers(), m.Data())
	if err != nil {
		return ev, err
	}
	if md, err := m.Metadata(); err == nil {
		ev.StreamSeq = md.Sequence.Stream
	}
	return ev, nil
}

// KeyFilter selects object keys by prefix and suffix; the zero value
// selects every key. Keys are not part of the subject (they are not
// subject-safe), so key filters run in the consumer, on [HeaderKey].
type KeyFilter struct {
	Prefix string
	Suffix string
}

// Match reports whether key passes the filter.
func (f KeyFilter) Match(key string) bool {
	return strings.HasPrefix(key, f.Prefix) && strings.HasSuffix(key, f.Suffix)
}
