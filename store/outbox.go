package store

import (
	"bytes"
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

// objectEvent queues the event of an object mutation in bucket bs.
func (t *txn) objectEvent(bs *bucketState, when time.Time, e eventSpec) {
	t.event(t.s.buildEvent(bs, when, t.ri, e), bs)
}

func (s *Store) buildEvent(bs *bucketState, when time.Time, ri oss.RequestInfo, e eventSpec) oss.Event {
	b := bs.info.Load()
	region := b.Region
	if region == "" {
		region = s.region
	}
	id := newEventID()
	when = when.UTC()
	return oss.Event{
		ID:        id,
		Name:      e.name,
		Bucket:    b.Name,
		Key:       e.key,
		VersionID: e.versionID,
		Time:      when,
		Origin:    ri.Origin,
		Record: oss.EventRecord{
			EventName:    string(e.name),
			EventSource:  "acs:oss",
			EventTime:    when.Format(eventTimeLayout),
			EventVersion: "1.0",
			EventID:      id,
			OSS: oss.EventOSS{
				Bucket: oss.EventBucket{
					ARN:           "acs:oss:" + region + ":" + b.Owner.ID + ":" + b.Name,
					Name:          b.Name,
					OwnerIdentity: b.Owner.ID,
				},
				Object: oss.EventObject{
					DeltaSize: e.deltaSize,
					ETag:      trimQuotes(e.etag),
					Key:       e.key,
					Size:      e.size,
					VersionID: e.versionID,
					Position:  e.position,
				},
				OSSSchemaVersion: "1.0",
			},
			Region:            region,
			RequestParameters: oss.EventRequestParam{SourceIPAddress: ri.SourceIP},
			ResponseElements:  oss.EventResponse{RequestID: ri.RequestID},
			UserIdentity:      oss.EventUser{PrincipalID: ri.PrincipalID},
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
// commit). The rest is one of:
//
//   - eventFormatPayload (current): the format byte; the event time (int64
//     Unix seconds, uint32 nanoseconds); the uvarint-length-prefixed ID,
//     Name, Bucket, Key, VersionID, Origin and bucket ARN; then the message
//     body {"events":[record]} exactly as it is published, rendered once at
//     commit (its sequencer is patched in with BucketSeq). The relay reads
//     the scalars and publishes the body without decoding it.
//   - JSON of the whole oss.Event (written by earlier versions; it starts
//     with '{'), still read after an upgrade.
const eventFormatPayload = 1

// eventFields is the number of length-prefixed strings of the header.
const eventFields = 7

// seqPlaceholder stands for the sequencer until commit assigns BucketSeq.
const seqPlaceholder = "0000000000000000"

var sequencerMember = []byte(`,"sequencer":"`)

// appendEventValue appends the outbox value of ev (Seq and BucketSeq left
// zero) and returns the offset of the sequencer's 16 hex digits in it.
func appendEventValue(b []byte, ev *oss.Event) ([]byte, int) {
	ev.Record.OSS.Object.Sequencer = seqPlaceholder
	b = append(b, make([]byte, 16)...)
	b = append(b, eventFormatPayload)
	b = binary.BigEndian.AppendUint64(b, uint64(ev.Time.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(ev.Time.Nanosecond()))
	for _, f := range [eventFields]string{ev.ID, string(ev.Name), ev.Bucket, ev.Key, ev.VersionID, ev.Origin, ev.Record.OSS.Bucket.ARN} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	start := len(b)
	b = oss.AppendEventPayload(b, &ev.Record)
	// Inside JSON strings every '"' is escaped, so the member's bytes occur
	// once, in the structure.
	i := bytes.Index(b[start:], sequencerMember)
	if i < 0 { // cannot happen: AppendEventPayload always writes it
		panic("store: event payload without sequencer")
	}
	return b, start + i + len(sequencerMember)
}

const upperHex = "0123456789ABCDEF"

// putSequencer writes v as 16 upper-case hex digits (fmt's %016X) to dst.
func putSequencer(dst []byte, v uint64) {
	for i := 15; i >= 0; i-- {
		dst[i] = upperHex[v&0xF]
		v >>= 4
	}
}

// decodeEventHeader decodes an outbox value without its record: the
// scalar fields and Record.OSS.Bucket.ARN, and the stored message body
// (aliasing v; nil for a value of the JSON form, whose record it decodes
// fully instead).
func decodeEventHeader(v []byte) (ev oss.Event, payload []byte, err error) {
	if len(v) < 17 {
		return ev, nil, errCorrupt
	}
	if v[16] != eventFormatPayload {
		ev, err = decodeEventJSON(v)
		return ev, nil, err
	}
	ev.Seq = binary.BigEndian.Uint64(v[0:8])
	ev.BucketSeq = binary.BigEndian.Uint64(v[8:16])
	p := v[17:]
	if len(p) < 12 {
		return ev, nil, errCorrupt
	}
	sec, nsec := int64(binary.BigEndian.Uint64(p)), binary.BigEndian.Uint32(p[8:12])
	p = p[12:]
	// One string for all the fields (length bytes included): one allocation.
	var lo, hi [eventFields]int
	n := 0
	for i := range lo {
		l, k := binary.Uvarint(p[n:])
		if k <= 0 || l > uint64(len(p)-n-k) {
			return ev, nil, errCorrupt
		}
		lo[i], hi[i] = n+k, n+k+int(l)
		n = hi[i]
	}
	str := string(p[:n])
	ev.ID = str[lo[0]:hi[0]]
	ev.Name = oss.EventName(str[lo[1]:hi[1]])
	ev.Bucket = str[lo[2]:hi[2]]
	ev.Key = str[lo[3]:hi[3]]
	ev.VersionID = str[lo[4]:hi[4]]
	ev.Origin = str[lo[5]:hi[5]]
	ev.Record.OSS.Bucket.ARN = str[lo[6]:hi[6]]
	ev.Time = time.Unix(sec, int64(nsec)).UTC()
	return ev, p[n:], nil
}

// decodeEvent decodes an outbox value fully (Record filled).
func decodeEvent(v []byte) (oss.Event, error) {
	ev, payload, err := decodeEventHeader(v)
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
// in Seq order, as OutboxRead returns them but without decoding their
// records: it fills the scalar fields, Record.OSS.Bucket.ARN and
// RawPayload, the message body stored at commit. RawPayload is only valid
// during the call (copy it to keep it); the strings may be kept, ev itself
// not (it is reused for the next event). Events written by earlier
// versions come fully decoded, RawPayload nil. An error from fn stops the
// read and is returned as is.
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
	// One Event for the whole read: fn may keep its strings, not the Event.
	ev := new(oss.Event)
	emit := func(v []byte) error {
		e, payload, err := decodeEventHeader(v)
		if err != nil {
			return oss.Wrap(op, err)
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
		if ev, _, err := decodeEventHeader(v); err == nil {
			st.OldestTime = ev.Time
		}
	}
	return st
}
