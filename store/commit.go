package store

import (
	"context"
	"encoding/binary"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// txn collects one atomic mutation: the records, data and blob reference
// keys in a pebble batch, the events for the outbox, the counter deltas of
// the buckets touched, the blob files to unlink once the commit is durable
// and the freshly written blob files that are in flight until then.
type txn struct {
	s       *Store
	ri      oss.RequestInfo
	b       *pebble.Batch
	rd      pebble.Reader // reads see the batch's own writes when it is indexed
	events  []pendingEvent
	deltas  []counterDelta
	drop    []uint64 // blob files whose refs this batch deletes
	fresh   []uint64 // blob files written for this txn (in flight)
	done    bool
	applied bool // the batch reached pebble: it may be durable even if commit failed
}

type pendingEvent struct {
	bs  *bucketState
	seq uint64 // assigned at commit
	val []byte // the outbox value (see appendEventValue)
}

type counterDelta struct {
	bs                                  *bucketState
	objects, versions, storage, uploads int64
	mtime                               int64
}

func (s *Store) newTxn(ctx context.Context) *txn {
	return &txn{s: s, ri: oss.RequestInfoFrom(ctx), b: s.db.NewBatch(), rd: s.db}
}

// newIndexedTxn returns a txn whose reads (t.rd) see its own writes, for
// mutations of several records of one key in one commit.
func (s *Store) newIndexedTxn(ctx context.Context) *txn {
	b := s.db.NewIndexedBatch()
	return &txn{s: s, ri: oss.RequestInfoFrom(ctx), b: b, rd: b}
}

// abort discards an uncommitted txn: its batch and its fresh blob files.
func (t *txn) abort() {
	if t.done {
		return
	}
	t.done = true
	t.b.Close()
	for _, id := range t.fresh {
		t.s.blobs.remove(id)
		t.s.blobs.release(id)
	}
}

// setRecord writes r at k.
func (t *txn) setRecord(k []byte, r *record) { t.b.Set(k, encodeRecord(r), nil) }

// addInline stores inline data under a new id and returns its extent.
func (t *txn) addInline(data []byte) extent { return t.addInlineID(t.s.clock.next(), data) }

// addInlineID stores inline data under id (fresh from the id clock).
func (t *txn) addInlineID(id uint64, data []byte) extent {
	t.b.Set(dataKey(id), data, nil)
	return extent{Kind: extInline, ID: id, Size: int64(len(data))}
}

// addBlob records a freshly written blob file: its ref key joins the batch
// and the file stays in flight until the commit ends.
func (t *txn) addBlob(id uint64) {
	t.b.Set(refKey(id), nil, nil)
	t.fresh = append(t.fresh, id)
}

// dropExtents removes the data of extents: inline data keys in the batch,
// blob refs in the batch and the files after the commit.
func (t *txn) dropExtents(es []extent) {
	for _, e := range es {
		switch e.Kind {
		case extInline:
			t.b.Delete(dataKey(e.ID), nil)
		case extFile:
			t.b.Delete(refKey(e.ID), nil)
			t.drop = append(t.drop, e.ID)
		}
	}
}

// dropExtentsExcept drops the extents of old that keep does not reference.
func (t *txn) dropExtentsExcept(old, keep []extent) {
	var gone []extent
	for _, e := range old {
		found := false
		for _, k := range keep {
			if k.Kind == e.Kind && k.ID == e.ID {
				found = true
				break
			}
		}
		if !found {
			gone = append(gone, e)
		}
	}
	t.dropExtents(gone)
}

func (t *txn) delta(d counterDelta) { t.deltas = append(t.deltas, d) }

// event queues the outbox event of this mutation; Seq and BucketSeq are
// assigned at commit.
func (t *txn) event(ev outboxEvent, bs *bucketState) {
	val := appendEventValue(make([]byte, 0, 256), &ev)
	t.events = append(t.events, pendingEvent{bs: bs, val: val})
}

// commit applies the txn atomically and durably. Under commitMu it assigns
// the outbox sequence numbers, writes the counters, and hands the batch to
// pebble (so WAL order equals Seq order); it then waits for the WAL fsync
// outside the mutex, sharing it with concurrent committers (group commit).
// After the fsync, blob files the txn dropped are unlinked.
func (t *txn) commit(op string) error {
	s := t.s
	defer t.abort()
	if err := s.checkOpen(op); err != nil {
		return err
	}
	type upd struct {
		bs *bucketState
		c  bucketCounters
	}
	var ups []upd
	counters := func(bs *bucketState) *bucketCounters {
		for i := range ups {
			if ups[i].bs == bs {
				return &ups[i].c
			}
		}
		ups = append(ups, upd{bs: bs, c: bs.c})
		return &ups[len(ups)-1].c
	}

	s.commitMu.Lock()
	if lim := s.opts.OutboxLimit; lim > 0 && len(t.events) > 0 &&
		s.lastSeq.Load()-s.ackedSeq.Load()+uint64(len(t.events)) > uint64(lim) {
		s.commitMu.Unlock()
		return oss.E(op, oss.SlowDown, "The event outbox is full; please reduce your request rate.")
	}
	seq := s.lastSeq.Load()
	for i := range t.events {
		pe := &t.events[i]
		seq++
		c := counters(pe.bs)
		c.Seq++
		pe.seq = seq
		binary.BigEndian.PutUint64(pe.val[0:8], seq)
		binary.BigEndian.PutUint64(pe.val[8:16], c.Seq)
		t.b.Set(eventKey(seq), pe.val, nil)
	}
	for _, d := range t.deltas {
		c := counters(d.bs)
		c.Objects += d.objects
		c.Versions += d.versions
		c.Storage += d.storage
		c.Uploads += d.uploads
		c.LastModified = max(c.LastModified, d.mtime)
	}
	for _, u := range ups {
		t.b.Set(statKey(u.bs.name), u.c.encode(), nil)
	}
	if len(t.events) > 0 {
		t.b.Set(metaSeq, binary.BigEndian.AppendUint64(nil, seq), nil)
	}
	t.b.Set(metaClock, binary.BigEndian.AppendUint64(nil, s.clock.last.Load()), nil)
	err := s.db.ApplyNoSyncWait(t.b, pebble.Sync)
	if err == nil {
		for i := range t.events {
			s.tail.add(t.events[i].seq, t.events[i].val)
		}
		s.lastSeq.Store(seq)
		for _, u := range ups {
			u.bs.c = u.c
		}
	}
	s.commitMu.Unlock()
	if err != nil {
		return oss.Wrap(op, err)
	}
	// From here the batch is committed: never discard its blob files.
	t.done, t.applied = true, true
	err = t.b.SyncWait()
	for _, id := range t.fresh {
		s.blobs.release(id)
	}
	if err != nil {
		return oss.Wrap(op, err)
	}
	t.b.Close()
	if len(t.events) > 0 {
		for {
			old := s.durableSeq.Load()
			if seq <= old || s.durableSeq.CompareAndSwap(old, seq) {
				break
			}
		}
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	for _, id := range t.drop {
		s.blobs.remove(id)
	}
	return nil
}
