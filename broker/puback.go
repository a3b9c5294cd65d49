package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// pubAck is what the relay needs of a JetStream PubAck.
type pubAck struct {
	// Sequence is the stream sequence of the message (of the earlier copy
	// for a duplicate).
	Sequence uint64
	// Duplicate reports that the stream already held the message.
	Duplicate bool
}

var (
	// errPubAckMalformed is a reply that is neither a PubAck nor an error.
	errPubAckMalformed = errors.New("malformed PubAck")
	// errPubAckTimeout is a PubAck that did not come within PublishTimeout.
	errPubAckTimeout = errors.New("no PubAck within the publish timeout")
	// errPubAckLost is a PubAck that cannot come: a later one came first
	// (the client dropped it), or the connection was replaced.
	errPubAckLost = errors.New("PubAck lost")
)

// parsePubAck decodes a reply to a publish: a PubAck, or the stream's
// error (a *jetstream.APIError), or, for a status message without a body,
// jetstream.ErrNoStreamResponse (no stream listens on the subject).
//
// The server writes a PubAck from a fixed template,
// {"stream":S[,"domain":D],"seq":N[,"duplicate": true]}, which is read
// here without reflection (encoding/json took ~6 µs per PubAck, most of
// the relay's cost of one); anything else goes through encoding/json.
func parsePubAck(data []byte) (pubAck, error) {
	if ack, ok := parsePubAckTemplate(data); ok {
		return ack, nil
	}
	var resp struct {
		Error     *jetstream.APIError `json:"error"`
		Stream    string              `json:"stream"`
		Sequence  uint64              `json:"seq"`
		Duplicate bool                `json:"duplicate"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return pubAck{}, fmt.Errorf("%w: %w", errPubAckMalformed, err)
	}
	if resp.Error != nil {
		return pubAck{}, resp.Error
	}
	if resp.Stream == "" {
		return pubAck{}, errPubAckMalformed
	}
	return pubAck{Sequence: resp.Sequence, Duplicate: resp.Duplicate}, nil
}

// parsePubAckTemplate reads a PubAck in the exact form the server writes;
// ok is false for anything else.
func parsePubAckTemplate(b []byte) (ack pubAck, ok bool) {
	b, ok = bytes.CutPrefix(b, []byte(`{"stream":`))
	if !ok {
		return ack, false
	}
	name, b, ok := cutJSONString(b)
	if !ok || name == 0 {
		return ack, false
	}
	if rest, found := bytes.CutPrefix(b, []byte(`,"domain":`)); found {
		if _, b, ok = cutJSONString(rest); !ok {
			return ack, false
		}
	}
	if b, ok = bytes.CutPrefix(b, []byte(`,"seq":`)); !ok {
		return ack, false
	}
	n := 0
	for n < len(b) && n < 20 && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	if n == 0 || (n > 1 && b[0] == '0') {
		return ack, false
	}
	seq, err := strconv.ParseUint(string(b[:n]), 10, 64)
	if err != nil {
		return ack, false
	}
	switch string(b[n:]) {
	case `}`:
		return pubAck{Sequence: seq}, true
	case `,"duplicate": true}`, `,"duplicate":true}`:
		return pubAck{Sequence: seq, Duplicate: true}, true
	}
	return ack, false
}

// cutJSONString cuts a JSON string from the start of b; n is the length
// of its quoted content. Strings with escapes or control characters are
// refused (ok false): stream names and domains have none.
func cutJSONString(b []byte) (n int, rest []byte, ok bool) {
	if len(b) == 0 || b[0] != '"' {
		return 0, nil, false
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i - 1, b[i+1:], true
		case c == '\\' || c < 0x20:
			return 0, nil, false
		}
	}
	return 0, nil, false
}

// ackInbox receives the PubAcks of the relay's acknowledged publishes:
// one subscription on a wildcard inbox, whose messages the connection's
// reader hands straight to a channel (no goroutine and no per-publish
// bookkeeping in the client, unlike jetstream's PublishMsgAsync). Each
// acknowledged publish gets a reply subject ending in its token; replies
// arrive in publish order on one connection. A reply that finds the
// channel full is dropped by the client, and the publish it answers then
// times out: the relay resyncs, so nothing is lost.
type ackInbox struct {
	prefix string
	ch     chan *nats.Msg
	sub    *nats.Subscription
	next   uint64
}

func newAckInbox(nc *nats.Conn, size int) (*ackInbox, error) {
	prefix := nc.NewInbox() + "."
	ch := make(chan *nats.Msg, size)
	sub, err := nc.ChanSubscribe(prefix+"*", ch)
	if err != nil {
		return nil, fmt.Errorf("broker: relay: PubAck inbox: %w", err)
	}
	return &ackInbox{prefix: prefix, ch: ch, sub: sub}, nil
}

// reply returns a new token and the reply subject that carries it.
func (a *ackInbox) reply() (uint64, string) {
	a.next++
	return a.next, a.prefix + strconv.FormatUint(a.next, 10)
}

// decode returns the token of a reply and what it says.
func (a *ackInbox) decode(m *nats.Msg) (token uint64, ack pubAck, err error) {
	t, ok := strings.CutPrefix(m.Subject, a.prefix)
	if !ok {
		return 0, ack, errPubAckMalformed
	}
	if token, err = strconv.ParseUint(t, 10, 64); err != nil {
		return 0, ack, errPubAckMalformed
	}
	if len(m.Data) == 0 && m.Header.Get("Status") != "" {
		// "503 No Responders": nothing listens on the subject.
		return token, ack, jetstream.ErrNoStreamResponse
	}
	ack, err = parsePubAck(m.Data)
	return token, ack, err
}

func (a *ackInbox) close() { a.sub.Unsubscribe() }
