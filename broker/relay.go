package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

// Outbox is what the relay needs from the engine; *store.Store implements
// it. Events are read in Seq order; OutboxAck removes every entry with
// Seq <= uptoSeq; OutboxNotify receives (coalesced) after each commit that
// added events.
type Outbox interface {
	OutboxRead(ctx context.Context, afterSeq uint64, max int) ([]oss.Event, error)
	OutboxAck(ctx context.Context, uptoSeq uint64) error
	OutboxNotify() <-chan struct{}
}

// RawOutbox is an optional fast path of an [Outbox] (*store.Store has it):
// it calls fn with the events OutboxRead would return, but with the stored
// message body in RawPayload (valid only during fn) instead of a decoded
// Record (only Record.OSS.Bucket.ARN is set; the event itself is valid only
// during fn too); an event with RawPayload nil
// has its Record filled. An error from fn stops the read and is returned.
type RawOutbox interface {
	OutboxReadRaw(ctx context.Context, afterSeq uint64, max int, fn func(e *oss.Event) error) error
}

// OutboxStats is the engine's outbox state, as the composition root
// adapts it from store.OutboxStats for [Config.OutboxStats].
type OutboxStats struct {
	// Depth is the number of entries not yet removed.
	Depth uint64
	// OldestTime is the commit time of the oldest entry (zero if none).
	OldestTime time.Time
	// LastSeq is the Seq of the newest committed event.
	LastSeq uint64
}

// idlePoll re-reads the outbox when no notification came, a safety net
// against a lost notification; notifications drive normal operation.
const idlePoll = time.Second

// ackEvery is how many messages share one PubAck: every ackEvery-th
// message of a fill, and its last, are published with a reply subject;
// the others without one (see "Why is only every 32nd message
// acknowledged?" in DESIGN.md).
const ackEvery = 32

// pending is one acknowledged publish awaiting its PubAck, and the
// unacknowledged messages published before it that its PubAck covers.
type pending struct {
	// seq and id are the acknowledged message's event.
	seq uint64
	id  string
	// count is how many messages the PubAck covers (this one included).
	count int
	// commit is the commit time of the first covered event.
	commit time.Time
	sent   time.Time
	// token identifies the publish's reply (see ackInbox).
	token uint64
	// epoch is the connection's reconnect count when sent.
	epoch uint64
}

// pendingQueue is the FIFO of in-flight publishes.
type pendingQueue struct {
	buf  []pending
	head int
	// msgs is the number of in-flight messages: the sum of the counts.
	msgs int
}

func (q *pendingQueue) len() int         { return len(q.buf) - q.head }
func (q *pendingQueue) front() *pending  { return &q.buf[q.head] }
func (q *pendingQueue) items() []pending { return q.buf[q.head:] }
func (q *pendingQueue) reset()           { clear(q.buf); q.buf, q.head, q.msgs = q.buf[:0], 0, 0 }

func (q *pendingQueue) pop() {
	q.msgs -= q.buf[q.head].count
	q.buf[q.head] = pending{}
	q.head++
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
}

func (q *pendingQueue) push(p pending) {
	if q.head > 0 && len(q.buf) == cap(q.buf) {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	q.buf = append(q.buf, p)
	q.msgs += p.count
}

// batchBuf is what a batch is read into, reused from batch to batch:
// the events, an arena for their message bodies, and one message whose
// header map and header values are refilled for every publish
// (nats.Conn.PublishMsg copies the message out).
type batchBuf struct {
	out     []oss.Event // RawPayload (when set) points into arena
	arena   []byte
	scratch nats.Msg
	vals    []string
}

// relay drains the outbox into the stream in Seq order. One goroutine
// (run) reads and publishes; another (removeLoop) removes acknowledged
// entries from the outbox once they are durable.
type relay struct {
	cfg *Config
	ob  Outbox
	nc  *nats.Conn
	js  jetstream.JetStream
	// acks receives the PubAcks (owned by run).
	acks *ackInbox
	enc  encoder
	m    *metrics
	log  *slog.Logger

	// published is the highest Seq such that it and every lower Seq are
	// in the stream; it only grows. publishedID is its event ID (owned by
	// run).
	published   atomic.Uint64
	publishedID string
	// streamSeq is the stream's last sequence as of the newest PubAck or
	// resync (0 = unknown), to tell stored from duplicate messages among
	// those a PubAck covers (owned by run).
	streamSeq uint64
	// careful publishes one message at a time, unchained, each
	// acknowledged before the next is sent, until a PubAck that is not a
	// duplicate anchors the chain on one of the relay's own messages. It
	// is on after a resync that found the stream's last message foreign or
	// unknown: republished duplicates do not move the stream's last
	// message id, so the first new message after them could not name its
	// predecessor; one at a time, order needs no chain (owned by run).
	careful bool
	// removed is the highest Seq removed from the outbox by this relay.
	removed atomic.Uint64
	// removeMu makes removeLoop's removals and a rewind exclusive: a
	// rewind must not see an entry that is removed before it republishes.
	removeMu sync.Mutex
	// rewoundTo is 1 + the Seq the relay went back to; removeLoop takes it
	// and forgets its marks above that Seq (0: no rewind pending).
	rewoundTo atomic.Uint64
	// lastRewind is the stream Seq the last rewind went back to, so a
	// stream that keeps answering the same tail is not rewound forever
	// (owned by run).
	lastRewind uint64
	// oldest is the commit time (unix ns) of the oldest event known to be
	// committed and not yet in the stream; 0 when none is known.
	oldest atomic.Int64
	// progress wakes removeLoop when published grew.
	progress chan struct{}

	// outage bookkeeping for rate-limited logging (owned by run).
	failing   bool
	failSince time.Time
	failCount int

	stopRun    context.CancelFunc
	stopRemove context.CancelFunc
	runDone    sync.WaitGroup
	removeDone sync.WaitGroup
}

func newRelay(cfg *Config, nc *nats.Conn, ob Outbox, m *metrics) (*relay, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("broker: relay: %w", err)
	}
	// Room for a PubAck per in-flight message, and for late ones of
	// publishes given up on.
	acks, err := newAckInbox(nc, cfg.MaxInFlight+64)
	if err != nil {
		return nil, err
	}
	return &relay{
		cfg:      cfg,
		ob:       ob,
		nc:       nc,
		js:       js,
		acks:     acks,
		enc:      encoder{prefix: cfg.SubjectPrefix, cloudEvents: cfg.CloudEvents, ceSource: cfg.CloudEventsSource},
		m:        m,
		log:      cfg.Logger.With("component", "event-relay"),
		progress: make(chan struct{}, 1),
	}, nil
}

func (r *relay) start() {
	runCtx, stopRun := context.WithCancel(context.Background())
	removeCtx, stopRemove := context.WithCancel(context.Background())
	r.stopRun, r.stopRemove = stopRun, stopRemove
	r.runDone.Add(1)
	go func() { defer r.runDone.Done(); r.run(runCtx) }()
	if r.cfg.OutboxStats != nil && r.cfg.OutboxLimit > 0 {
		r.runDone.Add(1)
		go func() { defer r.runDone.Done(); r.watchFill(runCtx) }()
	}
	r.removeDone.Add(1)
	go func() { defer r.removeDone.Done(); r.removeLoop(removeCtx) }()
}

// stop ends the relay: in-flight publishes are awaited (bounded by the
// publish timeout), then entries past their durability hold are removed
// from the outbox; entries still held stay, and the next start skips them
// (see resync).
func (r *relay) stop() {
	r.stopRun()
	r.runDone.Wait()
	r.stopRemove()
	r.removeDone.Wait()
	r.acks.close()
	r.nc.Close()
}

func (r *relay) signalProgress() {
	select {
	case r.progress <- struct{}{}:
	default:
	}
}

// run is the publishing loop.
func (r *relay) run(ctx context.Context) {
	var (
		q       pendingQueue
		next    uint64 // Seq of the last event handed to the stream
		prevID  string // ID of that event, for the expected-last-msg-id chain
		synced  bool
		more    = true // the outbox may hold events after next
		backlog bool   // the last read filled its batch: catching up
		attempt int
		notify  = r.ob.OutboxNotify()
		// While catching up, the window is refilled once half of it is
		// free, so that reads come in batches; otherwise one batch is in
		// flight at a time (see canFill).
		batch    = min(r.cfg.ReadBatch, r.cfg.MaxInFlight)
		lowWater = max(1, batch/2)
		lastFill time.Time // when the last batch was read
		lastSize int       // how many events it carried
	)
	q.buf = make([]pending, 0, r.cfg.MaxInFlight)
	bb := &batchBuf{
		out:     make([]oss.Event, 0, batch),
		scratch: nats.Msg{Header: make(nats.Header, r.enc.headerCount())},
		vals:    make([]string, 0, r.enc.headerCount()),
	}
	poll := time.NewTicker(idlePoll)
	defer poll.Stop()
	// canFill says whether to read and publish more now. Keeping up with
	// the writers, the next batch waits for the PubAck of the one in
	// flight: events committed meanwhile go out together, so the batch
	// grows with the load and the per-batch costs (a read, wake-ups on
	// both sides, a PubAck) are shared (see "Why one batch in flight?" in
	// DESIGN.md). Catching up, batches are pipelined. While careful, one
	// message at a time.
	canFill := func() bool {
		switch {
		case q.msgs == 0:
			return true
		case r.careful || !backlog:
			return false
		}
		return r.cfg.MaxInFlight-q.msgs >= lowWater
	}

	// fail stops the batch: it waits until every in-flight publish is
	// resolved, keeps the acknowledged prefix, backs off and resyncs.
	fail := func(stage string, err error) {
		r.m.errors.WithLabelValues(stage).Inc()
		r.settle(ctx, q.items())
		q.reset()
		r.noteOldestUnpublished(ctx)
		synced = false
		r.noteFailure(stage, err)
		attempt++
		d := r.cfg.MinBackoff << min(attempt-1, 30)
		if d > r.cfg.MaxBackoff || d <= 0 {
			d = r.cfg.MaxBackoff
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	ackHead := func(ack pubAck) {
		r.acked(q.front(), ack)
		q.pop()
		attempt = 0
	}
	// reply applies a reply to the head of q: a late one (for a publish
	// given up on) is ignored; one past the head means the head's was
	// lost. It reports whether the head was acknowledged, or why it failed.
	reply := func(m *nats.Msg) (bool, error) {
		tok, ack, err := r.acks.decode(m)
		if q.len() == 0 || tok < q.front().token {
			return false, nil
		}
		seq := q.front().seq
		switch {
		case tok > q.front().token:
			return false, fmt.Errorf("publish event %d: %w", seq, errPubAckLost)
		case err != nil:
			return false, fmt.Errorf("publish event %d: %w", seq, err)
		}
		ackHead(ack)
		return true, nil
	}
	// The PubAck deadline of the head of q.
	ackTimer := time.NewTimer(time.Hour)
	defer ackTimer.Stop()
	var timedToken uint64 // the head the timer is set for

	for ctx.Err() == nil {
		if !synced {
			if err := r.resync(ctx); err != nil {
				if ctx.Err() != nil {
					break
				}
				fail(stageResync, err)
				continue
			}
			next, prevID = r.published.Load(), r.publishedID
			synced, more = true, true
		}

		// Fill the in-flight window: read and encode, then publish.
		if more && canFill() {
			want := min(batch, r.cfg.MaxInFlight-q.msgs)
			if r.careful {
				want = 1
			}
			got := 0
			bb.out, bb.arena = bb.out[:0], bb.arena[:0]
			collect := func(e *oss.Event) error {
				got++
				if e.Seq > next {
					o := *e
					if e.RawPayload != nil { // valid only during the read
						start := len(bb.arena)
						bb.arena = append(bb.arena, e.RawPayload...)
						o.RawPayload = bb.arena[start:len(bb.arena):len(bb.arena)]
					}
					bb.out = append(bb.out, o)
				}
				return nil
			}
			if err := readOutbox(ctx, r.ob, next, want, collect); err != nil {
				if ctx.Err() != nil {
					break
				}
				fail(stageRead, fmt.Errorf("outbox read after %d: %w", next, err))
				continue
			}
			more = got == want
			backlog = more
			lastFill, lastSize = time.Now(), len(bb.out)
			perr := r.publish(&q, bb, &next, &prevID)
			clear(bb.out)
			if q.len() > 0 && r.oldest.Load() == 0 {
				r.oldest.Store(q.front().commit.UnixNano())
			}
			if perr != nil {
				fail(stagePublish, perr)
				continue
			}
		}

		// Harvest the PubAcks that arrived, in order. When the head
		// fails, nothing behind it can extend the stored prefix, so there
		// is nothing to settle.
		var ferr error
		progressed := false
	harvest:
		for q.len() > 0 {
			select {
			case m := <-r.acks.ch:
				ok, err := reply(m)
				progressed = progressed || ok
				if ferr = err; err != nil {
					break harvest
				}
			default:
				break harvest
			}
		}
		if progressed {
			r.afterProgress(&q)
		}
		if ferr == nil && q.len() > 0 && time.Since(q.front().sent) >= r.cfg.PublishTimeout {
			ferr = fmt.Errorf("publish event %d: %w", q.front().seq, errPubAckTimeout)
		}
		if ferr != nil {
			q.reset()
			fail(stagePublish, ferr)
			continue
		}
		if more && canFill() {
			continue
		}

		// Wait for a PubAck, a commit, the head's deadline, or the safety
		// poll.
		var timeout <-chan time.Time
		if q.len() > 0 {
			if h := q.front(); h.token != timedToken {
				ackTimer.Reset(time.Until(h.sent.Add(r.cfg.PublishTimeout)))
				timedToken = h.token
			}
			timeout = ackTimer.C
		}
		var notc <-chan struct{}
		if canFill() {
			notc = notify
		}
		select {
		case <-ctx.Done():
		case m := <-r.acks.ch:
			ok, err := reply(m)
			if ok {
				r.afterProgress(&q)
			}
			if err != nil {
				q.reset()
				fail(stagePublish, err)
			}
		case <-timeout:
			timedToken = 0 // checked above, then set for the new head
		case <-notc:
			more = true
			// The committers of one WAL sync each advance the durable Seq
			// after it; letting those already runnable do so first makes
			// the whole group one batch (fewer, larger batches under load;
			// free when nothing else is runnable).
			runtime.Gosched()
			r.linger(ctx, lastFill, lastSize)
		case <-poll.C:
			more = true
			if q.len() > 0 && r.nc.Stats().Reconnects != q.front().epoch {
				// Replies to a replaced connection never come.
				q.reset()
				fail(stagePublish, fmt.Errorf("publish: %w", errPubAckLost))
			}
		}
	}
	// Shutting down: let in-flight publishes resolve so that their
	// acknowledgements count.
	r.settle(context.Background(), q.items())
	r.signalProgress()
}

// readOutbox calls fn with up to max events of ob after Seq after, in
// order, through the RawOutbox fast path when ob has it; an error from fn
// stops the read and is returned.
func readOutbox(ctx context.Context, ob Outbox, after uint64, max int, fn func(*oss.Event) error) error {
	if raw, ok := ob.(RawOutbox); ok {
		return raw.OutboxReadRaw(ctx, after, max, fn)
	}
	evs, err := ob.OutboxRead(ctx, after, max)
	for i := 0; err == nil && i < len(evs); i++ {
		err = fn(&evs[i])
	}
	return err
}

// publish sends the events of bb in order, each message chained to the
// one before (Nats-Expected-Last-Msg-Id). Every ackEvery-th message and
// the last carry a reply subject and go to q; the others are sent without
// one: the chain makes a PubAck for a message prove that every message
// before it is in the stream. It stops at the first error; what was sent
// before it and is not covered by a PubAck in q is found again by the
// resync.
func (r *relay) publish(q *pendingQueue, bb *batchBuf, next *uint64, prevID *string) error {
	out := bb.out
	if len(out) == 0 {
		return nil
	}
	epoch := r.nc.Stats().Reconnects
	first := 0 // index of the first message the next PubAck covers
	for i := range out {
		e := &out[i]
		if r.nc.Status() != nats.CONNECTED {
			return fmt.Errorf("publish event %d: %w", e.Seq, nats.ErrDisconnected)
		}
		chain := *prevID != "" && !r.careful
		msg := &bb.scratch
		bb.vals = r.enc.fill(msg, e, bb.vals)
		if chain {
			bb.vals = setExpectedLastMsgID(msg, bb.vals, *prevID)
		}
		acked := i == len(out)-1 || i-first+1 == ackEvery
		if !acked {
			msg.Reply = ""
			if err := r.nc.PublishMsg(msg); err != nil {
				return fmt.Errorf("publish event %d: %w", e.Seq, err)
			}
		} else {
			token, reply := r.acks.reply()
			msg.Reply = reply
			sent := time.Now()
			if err := r.nc.PublishMsg(msg); err != nil {
				return fmt.Errorf("publish event %d: %w", e.Seq, err)
			}
			q.push(pending{seq: e.Seq, id: e.ID, count: i - first + 1, commit: out[first].Time, sent: sent, token: token, epoch: epoch})
			first = i + 1
		}
		*next, *prevID = e.Seq, e.ID
	}
	return nil
}

// acked records the PubAck of p (the oldest in-flight publish): p's
// message and every message before it are in the stream.
func (r *relay) acked(p *pending, ack pubAck) {
	now := time.Now()
	// Among the covered messages, those the stream stored anew moved its
	// last sequence; the rest were duplicates. A duplicate PubAck means
	// the stream held the message already, and (chain) all before it.
	stored := p.count
	switch {
	case ack.Duplicate:
		stored = 0
	case r.streamSeq > 0 && ack.Sequence > r.streamSeq:
		stored = int(min(ack.Sequence-r.streamSeq, uint64(p.count)))
	}
	if !ack.Duplicate {
		r.streamSeq = ack.Sequence
		r.careful = false
		r.lastRewind = 0
	}
	r.m.published.Add(float64(stored))
	if d := p.count - stored; d > 0 {
		r.m.deduplicated.Add(float64(d))
	}
	r.m.publishDur.Observe(now.Sub(p.sent).Seconds())
	if !p.commit.IsZero() {
		r.m.commitDelay.Observe(now.Sub(p.commit).Seconds())
	}
	r.published.Store(p.seq)
	r.publishedID = p.id
	if r.failing {
		r.failing = false
		r.log.Info("event relay recovered",
			"outage", time.Since(r.failSince).Round(time.Millisecond), "errors", r.failCount, "seq", p.seq)
	}
}

// afterProgress updates the lag gauge and wakes removeLoop.
func (r *relay) afterProgress(q *pendingQueue) {
	if q.len() > 0 {
		r.oldest.Store(q.front().commit.UnixNano())
	} else {
		r.oldest.Store(0)
	}
	r.signalProgress()
}

// settle waits for every publish in q to resolve and records the
// contiguous acknowledged prefix. A PubAck after a failure is not counted:
// the relay resumes at the first failure and the stream drops the repeats.
//
// Waiting is for progress, not for safety: the expected-last-msg-id chain
// keeps a late message from landing out of order. So settle gives up on
// publishes made on a connection that has since been replaced (their
// replies cannot arrive) and, at the latest, after the publish timeout.
func (r *relay) settle(ctx context.Context, q []pending) {
	if len(q) == 0 {
		return
	}
	defer r.signalProgress()
	limit := time.NewTimer(r.cfg.PublishTimeout + time.Second)
	defer limit.Stop()
	check := time.NewTicker(25 * time.Millisecond)
	defer check.Stop()
	for i := 0; i < len(q); {
		select {
		case m := <-r.acks.ch:
			tok, ack, err := r.acks.decode(m)
			switch {
			case tok < q[i].token:
				continue // late: for a publish given up on
			case tok > q[i].token || err != nil:
				return
			}
			r.acked(&q[i], ack)
			i++
		case <-check.C:
			if r.nc.Stats().Reconnects != q[i].epoch {
				return
			}
		case <-limit.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// noteOldestUnpublished sets the lag gauge's reference to the commit time
// of the first event not in the stream, while the relay cannot publish.
func (r *relay) noteOldestUnpublished(ctx context.Context) {
	evs, err := r.ob.OutboxRead(ctx, r.published.Load(), 1)
	if err == nil && len(evs) == 1 && !evs[0].Time.IsZero() {
		r.oldest.Store(evs[0].Time.UnixNano())
	}
}

// noteFailure logs the first failure of an outage as a warning and the
// rest at debug level; the errors metric counts them all.
func (r *relay) noteFailure(stage string, err error) {
	r.failCount++
	if !r.failing {
		r.failing, r.failSince, r.failCount = true, time.Now(), 1
		r.log.Warn("event relay falling behind: publishing paused, writes continue into the outbox",
			"stage", stage, "err", err, "published_seq", r.published.Load())
		return
	}
	r.log.Debug("event relay still failing", "stage", stage, "err", err, "errors", r.failCount)
}

// resync aligns the relay with the stream before (re)starting to
// publish. If the stream's last message is an event still in the outbox
// (same Seq, same ID), every event up to it is already in the stream, so
// publishing resumes after it: a restart after downtime longer than the
// duplicate window therefore republishes nothing the stream holds. It
// also sets the expected-last-msg-id of the next publish.
func (r *relay) resync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	stream, err := r.js.Stream(ctx, r.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		// Unreachable at start, or deleted since: (re)create it.
		if err = ensureStream(ctx, r.js, r.cfg); err == nil {
			stream, err = r.js.Stream(ctx, r.cfg.Stream)
		}
	}
	if err != nil {
		return fmt.Errorf("stream %s info: %w", r.cfg.Stream, err)
	}
	pub := r.published.Load()
	last := stream.CachedInfo().State.LastSeq
	r.streamSeq = last
	defer func() { r.careful = r.publishedID == "" }()
	if last == 0 {
		r.publishedID = ""
		return nil
	}
	raw, err := stream.GetMsg(ctx, last)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		r.publishedID = ""
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s last message %d: %w", r.cfg.Stream, last, err)
	}
	id := raw.Header.Get(events.HeaderMsgID)
	seq, perr := strconv.ParseUint(raw.Header.Get(events.HeaderSeq), 10, 64)
	if perr != nil || id == "" {
		// Not one of ours: publish without a chain expectation.
		r.publishedID = ""
		return nil
	}
	if seq < pub && r.rewind(ctx, seq, id, pub) {
		return nil
	}
	if seq <= pub {
		if seq != pub || id != r.publishedID {
			// The stream lost its tail beyond what the outbox holds (or was
			// purged, or the outbox reset): republish from pub, unchained
			// for the first message.
			r.publishedID = ""
		}
		return nil
	}
	evs, err := r.ob.OutboxRead(ctx, seq-1, 1)
	if err != nil {
		return fmt.Errorf("outbox read at %d: %w", seq, err)
	}
	if len(evs) == 1 && evs[0].Seq == seq && evs[0].ID == id {
		if pub > 0 || seq > 1 {
			r.log.Info("event relay resuming after the stream's last event", "seq", seq, "from", pub)
		}
		base := pub
		if first, err := r.ob.OutboxRead(ctx, pub, 1); err == nil && len(first) == 1 {
			base = max(base, first[0].Seq-1)
		}
		if seq > base {
			r.m.skipped.Add(float64(seq - base))
		}
		r.published.Store(seq)
		r.publishedID = id
		r.signalProgress()
		return nil
	}
	if len(evs) == 1 && evs[0].Seq == seq {
		r.log.Warn("the stream's last event has the Seq of a different outbox event: the outbox was reset; republishing it all (duplicates are dropped only within the duplicate window)",
			"seq", seq, "stream_id", id, "outbox_id", evs[0].ID)
	}
	r.publishedID = ""
	return nil
}

// rewind handles a stream whose last message is event seq (ID id) while
// the relay had seen events up to pub > seq acknowledged: the server lost
// an acknowledged tail (restarted without its unsynced writes). If the
// outbox still holds every event after seq (the durability hold), the
// relay goes back to seq and republishes them, chained after seq, and
// reports true. Otherwise the events are lost for the stream; it logs an
// error and reports false (publishing goes on after pub).
func (r *relay) rewind(ctx context.Context, seq uint64, id string, pub uint64) bool {
	if seq == r.lastRewind {
		return false // the same tail again: do not loop
	}
	r.removeMu.Lock()
	defer r.removeMu.Unlock()
	evs, err := r.ob.OutboxRead(ctx, seq, 1)
	if err != nil || len(evs) != 1 || evs[0].Seq != seq+1 {
		r.log.Error("the stream lost events it had acknowledged, and the outbox no longer holds them: they are missing from the stream (was DurabilityHold shorter than the servers' sync interval?)",
			"stream_last_seq", seq, "published_seq", pub, "err", err)
		return false
	}
	r.log.Warn("the stream lost events it had acknowledged (a server restart without its unsynced tail); republishing them from the outbox",
		"stream_last_seq", seq, "published_seq", pub, "events", pub-seq)
	r.m.rewound.Add(float64(pub - seq))
	r.lastRewind = seq
	r.published.Store(seq)
	r.publishedID = id
	r.rewoundTo.Store(seq + 1)
	r.signalProgress()
	return true
}

// linger waits, after a commit notification, until BatchLinger has passed
// since the last batch was read, if that batch carried more than one event:
// under load the next batch then takes what several WAL syncs committed
// (see "Why linger under load?" in DESIGN.md). At low load a batch is one
// event and nothing waits.
func (r *relay) linger(ctx context.Context, lastFill time.Time, lastSize int) {
	if r.cfg.BatchLinger <= 0 || lastSize < 2 {
		return
	}
	d := time.Until(lastFill.Add(r.cfg.BatchLinger))
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
