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

// encode builds the message for e: subject, OSS JSON body, headers. The
// body is e.RawPayload when set, else rendered from e.Record.
func (c *encoder) encode(e *oss.Event) *nats.Msg {
	var data []byte
	if e.RawPayload != nil { // rendered at commit; copied: the publish keeps it
		data = append(make([]byte, 0, len(e.RawPayload)), e.RawPayload...)
	} else {
		data = appendPayload(make([]byte, 0, 512), &e.Record)
	}
	// One backing array for every header value: one allocation, not 15.
	n := 9 // 8 headers + the relay's expected-last-msg-id
	if c.cloudEvents {
		n += 7
	}
	vals := make([]string, 0, n)
	h := make(nats.Header, n)
	set := func(k, v string) {
		vals = append(vals, v)
		h[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	key := events.EncodeKeyHeader(e.Key)
	set(events.HeaderMsgID, e.ID)
	set(events.HeaderEventID, e.ID)
	set(events.HeaderBucket, e.Bucket)
	set(events.HeaderKey, key)
	set(events.HeaderEventName, string(e.Name))
	set(events.HeaderSeq, strconv.FormatUint(e.Seq, 10))
	set(events.HeaderBucketSeq, strconv.FormatUint(e.BucketSeq, 10))
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
	return &nats.Msg{
		Subject: events.Subject(c.prefix, e.Bucket, e.Name),
		Header:  h,
		Data:    data,
	}
}
