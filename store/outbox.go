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

func decodeEvent(v []byte) (oss.Event, error) {
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
		if ev, err := decodeEvent(v); err == nil {
			st.OldestTime = ev.Time
		}
	}
	return st
}
