package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// eventTimeLayout is the OSS event time: RFC 3339, milliseconds, UTC.
const eventTimeLayout = "2006-01-02T15:04:05.000Z"

// newEventID returns 16 random bytes in hex.
func newEventID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// eventSpec is what an operation knows about its event.
type eventSpec struct {
	name      oss.EventName
	key       string
	versionID string
	size      int64
	deltaSize int64
	etag      string
	position  *int64
}

// outboxEvent is what an outbox value holds: every variable part of the
// event, from which its record is rendered when it is read.
type outboxEvent struct {
	when                                                time.Time // UTC
	id, name, bucket, key, versionID, origin            string
	region, owner, etag, sourceIP, requestID, principal string
	size, deltaSize                                     int64
	position                                            *int64
}

// objectEvent queues the event of an object mutation in bucket bs.
func (t *txn) objectEvent(bs *bucketState, when time.Time, e eventSpec) {
	t.event(t.s.newEvent(bs, when, t.ri, e), bs)
}

func (s *Store) newEvent(bs *bucketState, when time.Time, ri oss.RequestInfo, e eventSpec) outboxEvent {
	b := bs.info.Load()
	region := b.Region
	if region == "" {
		region = s.region
	}
	return outboxEvent{
		when: when.UTC(), id: newEventID(), name: string(e.name), bucket: b.Name, key: e.key, versionID: e.versionID,
		origin: ri.Origin, region: region, owner: b.Owner.ID, etag: trimQuotes(e.etag), sourceIP: ri.SourceIP,
		requestID: ri.RequestID, principal: ri.PrincipalID, size: e.size, deltaSize: e.deltaSize, position: e.position,
	}
}

// event returns the event with its record, as published.
func (f *outboxEvent) event(seq, bucketSeq uint64) oss.Event {
	var sq [16]byte
	putSequencer(sq[:], bucketSeq)
	return oss.Event{
		ID:        f.id,
		Seq:       seq,
		BucketSeq: bucketSeq,
		Name:      oss.EventName(f.name),
		Bucket:    f.bucket,
		Key:       f.key,
		VersionID: f.versionID,
		Time:      f.when,
		Origin:    f.origin,
		Record: oss.EventRecord{
			EventName:    f.name,
			EventSource:  "acs:oss",
			EventTime:    f.when.Format(eventTimeLayout),
			EventVersion: "1.0",
			EventID:      f.id,
			OSS: oss.EventOSS{
				Bucket: oss.EventBucket{
					ARN:           "acs:oss:" + f.region + ":" + f.owner + ":" + f.bucket,
					Name:          f.bucket,
					OwnerIdentity: f.owner,
				},
				Object: oss.EventObject{
					DeltaSize: f.deltaSize,
					ETag:      f.etag,
					Key:       f.key,
					Size:      f.size,
					VersionID: f.versionID,
					Position:  f.position,
					Sequencer: string(sq[:]),
				},
				OSSSchemaVersion: "1.0",
			},
			Region:            f.region,
			RequestParameters: oss.EventRequestParam{SourceIPAddress: f.sourceIP},
			ResponseElements:  oss.EventResponse{RequestID: f.requestID},
			UserIdentity:      oss.EventUser{PrincipalID: f.principal},
		},
	}
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// Outbox values. Bytes 0-8 are Seq and 8-16 BucketSeq (big endian, set at
// commit), then a format byte and the event time (int64 Unix seconds,
// uint32 nanoseconds), then by format:
//
//   - eventFormatFields (current): the uvarint-length-prefixed strings of
//     outboxEvent (ID, name, bucket, key, version ID, origin, region,
//     owner, ETag, source IP, request ID, principal), then size and delta
//     size (varints) and the append position (a byte 0 or 1, then a
//     varint). The record is rendered when the value is read.
//   - eventFormatPayload (earlier builds): the uvarint-length-prefixed ID,
//     name, bucket, key, version ID, origin and bucket ARN, then the message
//     body {"events":[record]} as rendered at commit.
//   - JSON of the whole oss.Event (earlier still; it starts with '{' where
//     the format byte would be).
//
// See "Why does the outbox store fields, not the rendered message?" in
// DESIGN.md.
const (
	eventFormatPayload = 1
	eventFormatFields  = 2
)

// payloadFields and fieldsStrings are the numbers of length-prefixed
// strings of the two formats.
const (
	payloadFields = 7
	fieldsStrings = 12
)

// appendEventValue appends the outbox value of f, Seq and BucketSeq left
// zero.
func appendEventValue(b []byte, f *outboxEvent) []byte {
	b = append(b, make([]byte, 16)...)
	b = append(b, eventFormatFields)
	b = binary.BigEndian.AppendUint64(b, uint64(f.when.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(f.when.Nanosecond()))
	for _, v := range [fieldsStrings]string{f.id, f.name, f.bucket, f.key, f.versionID, f.origin,
		f.region, f.owner, f.etag, f.sourceIP, f.requestID, f.principal} {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	b = binary.AppendVarint(b, f.size)
	b = binary.AppendVarint(b, f.deltaSize)
	if f.position == nil {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), *f.position)
}

const upperHex = "0123456789ABCDEF"

// putSequencer writes v as 16 upper-case hex digits (fmt's %016X) to dst.
func putSequencer(dst []byte, v uint64) {
	for i := 15; i >= 0; i-- {
		dst[i] = upperHex[v&0xF]
		v >>= 4
	}
}

// cutStrings cuts n uvarint-length-prefixed strings from p; they share
// one allocation.
func cutStrings(p []byte, out []string) (rest []byte, err error) {
	var lo, hi [fieldsStrings]int
	k := 0
	for i := range out {
		l, w := binary.Uvarint(p[k:])
		if w <= 0 || l > uint64(len(p)-k-w) {
			return nil, errCorrupt
		}
		lo[i], hi[i] = k+w, k+w+int(l)
		k = hi[i]
	}
	str := string(p[:k])
	for i := range out {
		out[i] = str[lo[i]:hi[i]]
	}
	return p[k:], nil
}

// decodeEventValue decodes an outbox value. A value of the current form
// comes with its record and payload nil; one of the payload form with
// only the scalar fields and Record.OSS.Bucket.ARN filled and payload its
// stored message body (aliasing v); one of the JSON form fully decoded,
// payload nil.
func decodeEventValue(v []byte) (ev oss.Event, payload []byte, err error) {
	if len(v) < 17 {
		return ev, nil, errCorrupt
	}
	format := v[16]
	if format != eventFormatPayload && format != eventFormatFields {
		ev, err = decodeEventJSON(v)
		return ev, nil, err
	}
	seq, bseq := binary.BigEndian.Uint64(v[0:8]), binary.BigEndian.Uint64(v[8:16])
	p := v[17:]
	if len(p) < 12 {
		return ev, nil, errCorrupt
	}
	when := time.Unix(int64(binary.BigEndian.Uint64(p)), int64(binary.BigEndian.Uint32(p[8:12]))).UTC()
	p = p[12:]
	if format == eventFormatPayload {
		var f [payloadFields]string
		if p, err = cutStrings(p, f[:]); err != nil {
			return ev, nil, err
		}
		ev = oss.Event{ID: f[0], Seq: seq, BucketSeq: bseq, Name: oss.EventName(f[1]), Bucket: f[2], Key: f[3],
			VersionID: f[4], Origin: f[5], Time: when}
		ev.Record.OSS.Bucket.ARN = f[6]
		return ev, p, nil
	}
	var f [fieldsStrings]string
	if p, err = cutStrings(p, f[:]); err != nil {
		return ev, nil, err
	}
	oe := outboxEvent{when: when, id: f[0], name: f[1], bucket: f[2], key: f[3], versionID: f[4], origin: f[5],
		region: f[6], owner: f[7], etag: f[8], sourceIP: f[9], requestID: f[10], principal: f[11]}
	var w int
	if oe.size, w = binary.Varint(p); w <= 0 {
		return ev, nil, errCorrupt
	}
	p = p[w:]
	if oe.deltaSize, w = binary.Varint(p); w <= 0 {
		return ev, nil, errCorrupt
	}
	p = p[w:]
	switch {
	case len(p) == 1 && p[0] == 0:
	case len(p) > 1 && p[0] == 1:
		pos, w := binary.Varint(p[1:])
		if w != len(p)-1 {
			return ev, nil, errCorrupt
		}
		oe.position = &pos
	default:
		return ev, nil, errCorrupt
	}
	return oe.event(seq, bseq), nil, nil
}

// eventTime is the commit time of the event of outbox value v.
func eventTime(v []byte) (time.Time, error) {
	if len(v) >= 29 && (v[16] == eventFormatPayload || v[16] == eventFormatFields) {
		return time.Unix(int64(binary.BigEndian.Uint64(v[17:25])), int64(binary.BigEndian.Uint32(v[25:29]))).UTC(), nil
	}
	ev, err := decodeEventJSON(v)
	return ev.Time, err
}

// decodeEvent decodes an outbox value fully (Record filled).
func decodeEvent(v []byte) (oss.Event, error) {
	ev, payload, err := decodeEventValue(v)
	if err != nil || payload == nil {
		return ev, err
	}
	var env oss.EventEnvelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return ev, err
	}
	if len(env.Events) != 1 {
		return ev, errCorrupt
	}
	ev.Record = env.Events[0]
	return ev, nil
}

// decodeEventJSON decodes a value of the JSON form (earlier versions).
func decodeEventJSON(v []byte) (oss.Event, error) {
	var ev oss.Event
	if len(v) < 16 {
		return ev, errCorrupt
	}
	if err := json.Unmarshal(v[16:], &ev); err != nil {
		return ev, err
	}
	ev.Seq = binary.BigEndian.Uint64(v[0:8])
	ev.BucketSeq = binary.BigEndian.Uint64(v[8:16])
	ev.Record.OSS.Object.Sequencer = fmt.Sprintf("%016X", ev.BucketSeq)
	return ev, nil
}

// OutboxRead returns up to max durable events with Seq > afterSeq, in Seq
// order. Events of commits whose fsync has not completed are not returned,
// so a relay never publishes a mutation that a crash could still undo.
func (s *Store) OutboxRead(ctx context.Context, afterSeq uint64, max int) ([]oss.Event, error) {
	const op = "OutboxRead"
	if err := s.checkOpen(op); err != nil {
		return nil, err
	}
	if max <= 0 {
		max = 100
	}
	from := max64(afterSeq, s.ackedSeq.Load()) + 1
	upto := s.durableSeq.Load()
	if from > upto {
		return nil, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: eventKey(from), UpperBound: eventKey(upto + 1)})
	if err != nil {
		return nil, oss.Wrap(op, err)
	}
	defer it.Close()
	var out []oss.Event
	for it.First(); it.Valid() && len(out) < max; it.Next() {
		ev, err := decodeEvent(it.Value())
		if err != nil {
			return nil, oss.Wrap(op, err)
		}
		out = append(out, ev)
	}
	return out, oss.Wrap(op, it.Error())
}

// OutboxReadRaw calls fn with up to max durable events with Seq > afterSeq,
// in Seq order, as OutboxRead returns them, with RawPayload set to the
// message body {"events":[record]}. The record itself may be left out:
// only the scalar fields and Record.OSS.Bucket.ARN are sure to be set.
// RawPayload is only valid during the call (copy it to keep it); the
// strings may be kept, ev itself not (it is reused for the next event).
// An error from fn stops the read and is returned as is.
func (s *Store) OutboxReadRaw(ctx context.Context, afterSeq uint64, max int, fn func(ev *oss.Event) error) error {
	const op = "OutboxRead"
	if err := s.checkOpen(op); err != nil {
		return err
	}
	if max <= 0 {
		max = 100
	}
	from := max64(afterSeq, s.ackedSeq.Load()) + 1
	upto := s.durableSeq.Load()
	if from > upto {
		return nil
	}
	// One Event and one body buffer for the whole read: fn may keep the
	// strings, not the Event or its RawPayload.
	ev := new(oss.Event)
	var body []byte
	emit := func(v []byte) error {
		e, payload, err := decodeEventValue(v)
		if err != nil {
			return oss.Wrap(op, err)
		}
		if payload == nil {
			body = oss.AppendEventPayload(body[:0], &e.Record)
			payload = body
		}
		*ev = e
		ev.RawPayload = payload
		return fn(ev)
	}
	if vals, ok := s.tail.read(make([][]byte, 0, min(uint64(max), upto-from+1)), from, upto, max); ok {
		for _, v := range vals {
			if err := emit(v); err != nil {
				return err
			}
		}
		return nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: eventKey(from), UpperBound: eventKey(upto + 1)})
	if err != nil {
		return oss.Wrap(op, err)
	}
	defer it.Close()
	n := 0
	for it.First(); it.Valid() && n < max; it.Next() {
		if err := emit(it.Value()); err != nil {
			return err
		}
		n++
	}
	return oss.Wrap(op, it.Error())
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// OutboxAck removes the events with Seq <= uptoSeq (bounded by the last
// durable event).
func (s *Store) OutboxAck(ctx context.Context, uptoSeq uint64) error {
	const op = "OutboxAck"
	if err := s.checkOpen(op); err != nil {
		return err
	}
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	uptoSeq = min(uptoSeq, s.durableSeq.Load())
	acked := s.ackedSeq.Load()
	if uptoSeq <= acked {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	b.DeleteRange(eventKey(acked+1), eventKey(uptoSeq+1), nil)
	b.Set(metaAcked, binary.BigEndian.AppendUint64(nil, uptoSeq), nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return oss.Wrap(op, err)
	}
	s.ackedSeq.Store(uptoSeq)
	return nil
}

// OutboxNotify returns a channel that receives (coalesced) after each
// commit that added events.
func (s *Store) OutboxNotify() <-chan struct{} { return s.notify }

// OutboxStats reports the outbox depth, the time of its oldest event and
// the last durable Seq.
func (s *Store) OutboxStats() OutboxStats {
	if s.closed.Load() {
		return OutboxStats{}
	}
	last := s.durableSeq.Load()
	acked := s.ackedSeq.Load()
	st := OutboxStats{LastSeq: last}
	if last <= acked {
		return st
	}
	st.Depth = last - acked
	if v, ok, err := s.get(eventKey(acked + 1)); err == nil && ok {
		if t, err := eventTime(v); err == nil {
			st.OldestTime = t
		}
	}
	return st
}
