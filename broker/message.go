package broker

import (
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

// CloudEvents 1.0 binary-mode headers (NATS protocol binding).
const (
	HeaderCESpecVersion = "ce-specversion"
	HeaderCEID          = "ce-id"
	HeaderCESource      = "ce-source"
	HeaderCEType        = "ce-type"
	HeaderCETime        = "ce-time"
	HeaderCESubject     = "ce-subject"
	// HeaderContentType carries the CloudEvents datacontenttype.
	HeaderContentType = "content-type"
)

// headerExpectedLastMsgID makes JetStream reject a message unless the
// stream's last stored message has this id: it chains the relay's
// publishes so the stream can never hold them out of order or with a gap.
const headerExpectedLastMsgID = "Nats-Expected-Last-Msg-Id"

// encoder turns outbox events into messages.
type encoder struct {
	prefix      string
	cloudEvents bool
	ceSource    string
}

// headerCount is how many header values a message may carry: 7 headers
// plus the relay's expected-last-msg-id, and 7 more with CloudEvents.
func (c *encoder) headerCount() int {
	if c.cloudEvents {
		return 15
	}
	return 8
}

// fill sets m's subject, headers and body for e, reusing m.Header (it is
// cleared) and vals, the backing array of the header values, which it
// returns (grown if it had to). The body is e.RawPayload itself when set,
// else rendered from e.Record. A message filled this way is for a publish
// that copies it before the next fill (nats.Conn.PublishMsg).
func (c *encoder) fill(m *nats.Msg, e *oss.Event, vals []string) []string {
	if e.RawPayload != nil {
		m.Data = e.RawPayload
	} else {
		m.Data = appendPayload(make([]byte, 0, 512), &e.Record)
	}
	clear(m.Header)
	vals = vals[:0]
	h := m.Header
	// One backing array for every header value: no allocation per value.
	set := func(k, v string) {
		vals = append(vals, v)
		h[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	key := events.EncodeKeyHeader(e.Key)
	// The ID is Nats-Msg-Id alone, and the per-bucket sequence only in
	// the body (the record's sequencer): every header byte is scanned
	// several times per message by the server (see "Why so few headers?"
	// in DESIGN.md).
	set(events.HeaderMsgID, e.ID)
	set(events.HeaderBucket, e.Bucket)
	set(events.HeaderKey, key)
	set(events.HeaderEventName, string(e.Name))
	set(events.HeaderSeq, strconv.FormatUint(e.Seq, 10))
	if e.Origin != "" {
		set(events.HeaderOrigin, e.Origin)
	}
	if e.VersionID != "" {
		set(events.HeaderVersionID, e.VersionID)
	}
	if c.cloudEvents {
		src := c.ceSource
		if src == "" {
			src = e.Record.OSS.Bucket.ARN
		}
		if src == "" {
			src = "/ossflow/" + e.Bucket
		}
		set(HeaderCESpecVersion, "1.0")
		set(HeaderCEID, e.ID)
		set(HeaderCESource, src)
		set(HeaderCEType, "oss:"+string(e.Name))
		set(HeaderCETime, e.Time.UTC().Format(time.RFC3339Nano))
		if e.Key != "" {
			set(HeaderCESubject, key)
		}
		set(HeaderContentType, "application/json")
	}
	m.Subject = events.Subject(c.prefix, e.Bucket, e.Name)
	return vals
}

// setExpectedLastMsgID chains m to the event with ID prev, using the
// spare capacity of vals (the array fill returned) when there is some.
func setExpectedLastMsgID(m *nats.Msg, vals []string, prev string) []string {
	vals = append(vals, prev)
	m.Header[headerExpectedLastMsgID] = vals[len(vals)-1 : len(vals) : len(vals)]
	return vals
}
