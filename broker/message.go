package broker

import (
	"fmt"
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

// encode builds the message for e: subject, OSS JSON body, headers.
func (c *encoder) encode(e *oss.Event) (*nats.Msg, error) {
	data, err := e.Payload()
	if err != nil {
		return nil, fmt.Errorf("broker: encode event %d (%s): %w", e.Seq, e.ID, err)
	}
	n := 8
	if c.cloudEvents {
		n += 7
	}
	h := make(nats.Header, n)
	key := events.EncodeKeyHeader(e.Key)
	h[events.HeaderMsgID] = []string{e.ID}
	h[events.HeaderEventID] = []string{e.ID}
	h[events.HeaderBucket] = []string{e.Bucket}
	h[events.HeaderKey] = []string{key}
	h[events.HeaderEventName] = []string{string(e.Name)}
	h[events.HeaderSeq] = []string{strconv.FormatUint(e.Seq, 10)}
	h[events.HeaderBucketSeq] = []string{strconv.FormatUint(e.BucketSeq, 10)}
	if e.VersionID != "" {
		h[events.HeaderVersionID] = []string{e.VersionID}
	}
	if c.cloudEvents {
		src := c.ceSource
		if src == "" {
			src = e.Record.OSS.Bucket.ARN
		}
		if src == "" {
			src = "/ossflow/" + e.Bucket
		}
		h[HeaderCESpecVersion] = []string{"1.0"}
		h[HeaderCEID] = []string{e.ID}
		h[HeaderCESource] = []string{src}
		h[HeaderCEType] = []string{"oss:" + string(e.Name)}
		h[HeaderCETime] = []string{e.Time.UTC().Format(time.RFC3339Nano)}
		if e.Key != "" {
			h[HeaderCESubject] = []string{key}
		}
		h[HeaderContentType] = []string{"application/json"}
	}
	return &nats.Msg{
		Subject: events.Subject(c.prefix, e.Bucket, e.Name),
		Header:  h,
		Data:    data,
	}, nil
}
