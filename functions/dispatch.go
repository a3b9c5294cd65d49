package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/broker"
	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/runtime"
	"github.com/ossflow/ossflow/sdk/events"
)

// ConsumerName is the durable consumer of trigger i (0-based) of
// function name on the events stream: "fn-<name>-T<i>" (function names are
// lower case, so "-T" cannot occur inside one).
func ConsumerName(name string, i int) string { return "fn-" + name + "-T" + strconv.Itoa(i) }

func consumerPrefix(name string) string { return "fn-" + name + "-T" }

// consumerConfig is the durable pull consumer of one event trigger. New
// consumers start with the events published after their creation.
func consumerConfig(prefix string, m *fnapi.Manifest, i int) (jetstream.ConsumerConfig, error) {
	t := m.Triggers.Events[i]
	filters, err := events.FilterSubjects(prefix, t.Bucket, t.Events...)
	if err != nil {
		return jetstream.ConsumerConfig{}, err
	}
	r := m.Retry.WithDefaults()
	cc := jetstream.ConsumerConfig{
		Durable:       ConsumerName(m.Name, i),
		Description:   "ossflow function " + m.Name + ": " + t.String(),
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       time.Duration(r.AckWait),
		// The dispatcher counts deliveries itself and moves the event to
		// the dead-letter stream after the last one.
		MaxDeliver:    -1,
		MaxAckPending: 1000,
	}
	if len(filters) == 1 {
		cc.FilterSubject = filters[0]
	} else {
		cc.FilterSubjects = filters
	}
	return cc, nil
}

// EnsureConsumers creates or updates the durable consumers of m's event
// triggers on the events stream and deletes those of triggers m no longer
// has. The deploy calls it before it answers, so the events that follow
// a deploy are kept for the function even before a worker picks it up.
func EnsureConsumers(ctx context.Context, js jetstream.JetStream, stream, prefix string, m *fnapi.Manifest) error {
	for i := range m.Triggers.Events {
		cc, err := consumerConfig(prefix, m, i)
		if err != nil {
			return err
		}
		if _, err := js.CreateOrUpdateConsumer(ctx, stream, cc); err != nil {
			return fmt.Errorf("functions: consumer %s: %w", cc.Durable, err)
		}
	}
	return deleteConsumers(ctx, js, stream, m.Name, len(m.Triggers.Events))
}

// DeleteConsumers deletes every consumer of function name.
func DeleteConsumers(ctx context.Context, js jetstream.JetStream, stream, name string) error {
	return deleteConsumers(ctx, js, stream, name, 0)
}

// deleteConsumers deletes name's consumers of trigger index keep and up.
func deleteConsumers(ctx context.Context, js jetstream.JetStream, stream, name string, keep int) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return err
	}
	lister := s.ConsumerNames(ctx)
	var stale []string
	for c := range lister.Name() {
		rest, ok := strings.CutPrefix(c, consumerPrefix(name))
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(rest); err == nil && i >= keep {
			stale = append(stale, c)
		}
	}
	if err := lister.Err(); err != nil {
		return err
	}
	for _, c := range stale {
		if err := js.DeleteConsumer(ctx, stream, c); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return err
		}
	}
	return nil
}

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	Host *Host
	// JetStream and Conn reach NATS (the broker's, or a worker's own).
	JetStream jetstream.JetStream
	Conn      *nats.Conn
	// Stream and SubjectPrefix are the events stream's (defaults: the
	// broker's defaults).
	Stream, SubjectPrefix string
	// Resync is how often every function is checked against the registry,
	// besides the change notifications (default 30s).
	Resync  time.Duration
	Metrics *Metrics
	Log     *slog.Logger
}

// Dispatcher runs functions on events: a durable pull consumer per event
// trigger (shared by every worker that runs the function), and a queue
// subscription per subject trigger. It follows the registry: a deploy,
// rollback or delete takes effect at once (it watches the registry
// bucket's own events), and every Resync anyway.
type Dispatcher struct {
	cfg DispatcherConfig
	log *slog.Logger

	mu      sync.Mutex
	ctx     context.Context
	runners map[string]*runner
	syncMu  sync.Mutex
	wg      sync.WaitGroup
}

// runner is what dispatches one function: its trigger loops.
type runner struct {
	key    string
	cancel context.CancelFunc
	done   sync.WaitGroup
	subs   []*nats.Subscription
}

// NewDispatcher returns a Dispatcher; Run starts it.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	if cfg.Stream == "" {
		cfg.Stream = events.DefaultStream
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = events.DefaultSubjectPrefix
	}
	if cfg.Resync <= 0 {
		cfg.Resync = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, log: cfg.Log, runners: map[string]*runner{}}
}

// Run dispatches until ctx ends, then stops every trigger loop (running
// invocations finish; the Host's Close ends them).
func (d *Dispatcher) Run(ctx context.Context) error {
	d.mu.Lock()
	d.ctx = ctx
	d.mu.Unlock()
	d.SyncAll(ctx)
	d.wg.Go(func() { d.watch(ctx) })
	t := time.NewTicker(d.cfg.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			d.stopAll()
			d.wg.Wait()
			return nil
		case <-t.C:
			d.SyncAll(ctx)
		}
	}
}

// watch follows the registry bucket's events: each change of a
// "<name>/current" pointer syncs that function.
func (d *Dispatcher) watch(ctx context.Context) {
	for ctx.Err() == nil {
		err := broker.Tail(ctx, d.cfg.JetStream, broker.TailOptions{
			Stream: d.cfg.Stream, SubjectPrefix: d.cfg.SubjectPrefix,
			Bucket: Bucket, Suffix: "/current", NewOnly: true,
		}, func(ev events.Event) error {
			name := strings.TrimSuffix(ev.Key, "/current")
			if fnapi.ValidName(name) {
				if err := d.Sync(ctx, name); err != nil {
					d.log.Warn("function sync failed", "function", name, "err", err)
				}
			}
			return nil
		})
		if err != nil && ctx.Err() == nil {
			d.log.Warn("registry watch failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// SyncAll syncs every function of the registry and unloads those it no
// longer has.
func (d *Dispatcher) SyncAll(ctx context.Context) {
	names, err := d.cfg.Host.Registry().Names(ctx)
	if err != nil {
		d.log.Warn("listing functions failed", "err", err)
		return
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
		if err := d.Sync(ctx, n); err != nil {
			d.log.Warn("function sync failed", "function", n, "err", err)
		}
	}
	d.mu.Lock()
	var gone []string
	for n := range d.runners {
		if !seen[n] {
			gone = append(gone, n)
		}
	}
	d.mu.Unlock()
	for _, n := range gone {
		_ = d.Sync(ctx, n)
	}
}

// Sync makes the dispatcher run the registry's current version of name:
// it loads it, (re)starts its trigger loops when the triggers changed,
// or stops them when the function is gone.
func (d *Dispatcher) Sync(ctx context.Context, name string) error {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	l, err := d.cfg.Host.Sync(ctx, name)
	if err != nil {
		return err
	}
	d.mu.Lock()
	old := d.runners[name]
	runCtx := d.ctx
	d.mu.Unlock()
	if l == nil {
		if old != nil {
			d.stop(name, old)
		}
		return nil
	}
	key := runnerKey(&l.Manifest)
	if old != nil && old.key == key {
		return nil
	}
	if old != nil {
		d.stop(name, old)
	}
	if runCtx == nil || runCtx.Err() != nil {
		return nil
	}
	if err := EnsureConsumers(ctx, d.cfg.JetStream, d.cfg.Stream, d.cfg.SubjectPrefix, &l.Manifest); err != nil {
		return err
	}
	d.start(runCtx, l, key)
	return nil
}

// runnerKey identifies what the trigger loops depend on.
func runnerKey(m *fnapi.Manifest) string {
	b, _ := json.Marshal(struct {
		T fnapi.Triggers
		R fnapi.Retry
		C int
	}{m.Triggers, m.Retry, m.Limits.Concurrency})
	return string(b)
}

func (d *Dispatcher) start(ctx context.Context, l *Loaded, key string) {
	rctx, cancel := context.WithCancel(ctx)
	r := &runner{key: key, cancel: cancel}
	conc := l.Function.Limits().MaxConcurrency
	for i, t := range l.Manifest.Triggers.Events {
		r.done.Go(func() { d.consume(rctx, l.Name, i, t, conc) })
	}
	for _, subj := range l.Manifest.Triggers.Subjects {
		sub, err := d.subscribe(l.Name, subj, conc)
		if err != nil {
			d.log.Warn("subject trigger failed", "function", l.Name, "subject", subj, "err", err)
			continue
		}
		r.subs = append(r.subs, sub)
	}
	d.mu.Lock()
	d.runners[l.Name] = r
	d.mu.Unlock()
	d.log.Info("function dispatching", "function", l.Name, "version", l.Version, "triggers", len(l.Manifest.Triggers.Events), "subjects", len(l.Manifest.Triggers.Subjects))
}

func (d *Dispatcher) stop(name string, r *runner) {
	r.cancel()
	for _, s := range r.subs {
		_ = s.Drain()
	}
	r.done.Wait()
	d.mu.Lock()
	if d.runners[name] == r {
		delete(d.runners, name)
	}
	d.mu.Unlock()
}

func (d *Dispatcher) stopAll() {
	d.mu.Lock()
	rs := d.runners
	d.mu.Unlock()
	for n, r := range rs {
		d.stop(n, r)
	}
}

// Running lists the functions the dispatcher runs.
func (d *Dispatcher) Running() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, 0, len(d.runners))
	for n := range d.runners {
		out = append(out, n)
	}
	return out
}

// consume runs trigger i of function name: it pulls events from the
// trigger's durable consumer and runs up to conc invocations at once.
func (d *Dispatcher) consume(ctx context.Context, name string, i int, t fnapi.EventTrigger, conc int) {
	conc = max(conc, 1)
	var it jetstream.MessagesContext
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		cons, err := d.cfg.JetStream.Consumer(ctx, d.cfg.Stream, ConsumerName(name, i))
		if err == nil {
			it, err = cons.Messages(jetstream.PullMaxMessages(conc))
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("function consumer unavailable; retrying", "function", name, "trigger", i, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
	// On cancel, stop pulling but hand out what is already buffered, so
	// nothing waits for AckWait to be redelivered.
	stopped := context.AfterFunc(ctx, it.Drain)
	defer stopped()
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	defer wg.Wait()
	filter := events.KeyFilter{Prefix: t.Prefix, Suffix: t.Suffix}
	trigger := "event:" + t.String()
	for {
		sem <- struct{}{}
		m, err := it.Next()
		if err != nil {
			<-sem
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				if ctx.Err() == nil {
					d.log.Warn("function consumer deleted", "function", name, "trigger", i)
				}
				it.Stop()
				return
			}
			if ctx.Err() != nil {
				return
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			d.handle(name, filter, trigger, m)
		})
	}
}

// handle runs one event: key filter, loop guard, invocation with
// in-progress acknowledgements, then ack, delayed redelivery or dead
// letter.
func (d *Dispatcher) handle(name string, filter events.KeyFilter, trigger string, m jetstream.Msg) {
	ev, err := events.DecodeMsg(m)
	if err != nil {
		d.log.Warn("undecodable event terminated", "function", name, "err", err)
		_ = m.Term()
		return
	}
	if !filter.Match(ev.Key) {
		_ = m.Ack()
		return
	}
	host := d.cfg.Host
	l := host.Loaded(name)
	if l == nil {
		// Deleted (or not loaded yet): let a worker that has it take it.
		_ = m.NakWithDelay(time.Second)
		return
	}
	inv := &Invocation{EventID: ev.ID, EventName: string(ev.Name), Bucket: ev.Bucket, Key: ev.Key, Trigger: trigger}
	if ev.Origin == Origin(name) && !l.Manifest.AllowSelfTrigger {
		if d.cfg.Metrics != nil {
			d.cfg.Metrics.skip(name)
		}
		host.record(&fnapi.Record{Type: fnapi.RecordSkipped, Time: time.Now().UTC(), Function: name, Version: l.Version,
			EventID: ev.ID, Trigger: trigger, EventName: inv.EventName, Bucket: ev.Bucket, Key: ev.Key,
			Result: "loop guard: the event was written by this function (allowSelfTrigger is off)"})
		_ = m.Ack()
		return
	}
	md, err := m.Metadata()
	if err == nil {
		inv.Delivery = int(md.NumDelivered)
		if d.cfg.Metrics != nil {
			d.cfg.Metrics.eventWait(name, time.Since(md.Timestamp))
		}
	}
	inv.Delivery = max(inv.Delivery, 1)

	// Runs longer than half the AckWait tell JetStream they are alive.
	half := time.Duration(l.retry.AckWait) / 2
	var (
		tmu  sync.Mutex
		done bool
		tm   *time.Timer
	)
	tm = time.AfterFunc(half, func() {
		tmu.Lock()
		defer tmu.Unlock()
		if !done {
			_ = m.InProgress()
			tm.Reset(half)
		}
	})
	_, err = host.Invoke(context.Background(), l, ev.Data, inv)
	tmu.Lock()
	done = true
	tm.Stop()
	tmu.Unlock()
	if err == nil {
		_ = m.Ack()
		return
	}
	if runtime.KindOf(err) == runtime.Closed {
		// The version was replaced under this invocation: run it again
		// on the new one, without counting a failure against it.
		_ = m.NakWithDelay(50 * time.Millisecond)
		return
	}
	if inv.Delivery >= l.retry.MaxDeliver {
		if derr := d.deadLetter(m, ev, l, err, inv.Delivery); derr != nil {
			d.log.Error("dead letter failed; redelivering", "function", name, "event", ev.ID, "err", derr)
			_ = m.NakWithDelay(l.retry.Delay(inv.Delivery))
			return
		}
		_ = m.TermWithReason("ossflow: moved to " + DLQStream)
		return
	}
	if d.cfg.Metrics != nil {
		d.cfg.Metrics.retry(name)
	}
	_ = m.NakWithDelay(l.retry.Delay(inv.Delivery))
}

// deadLetter publishes the event to the dead-letter stream, with the
// failure, the version and the delivery count in headers.
func (d *Dispatcher) deadLetter(m jetstream.Msg, ev events.Event, l *Loaded, cause error, delivered int) error {
	h := nats.Header{}
	for k, v := range m.Headers() {
		if strings.HasPrefix(k, "Nats-") {
			continue // de-duplication and expectations belong to the events stream
		}
		h[k] = v
	}
	msg := cause.Error()
	if len(msg) > maxHeaderErrorLen {
		msg = msg[:maxHeaderErrorLen]
	}
	msg = strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)
	h.Set(HeaderError, msg)
	h.Set(HeaderErrorKind, KindName(runtime.KindOf(cause)))
	h.Set(HeaderVersion, strconv.Itoa(l.Version))
	h.Set(HeaderDelivered, strconv.Itoa(delivered))
	h.Set(HeaderSubject, m.Subject())
	h.Set(HeaderFunction, l.Name)
	h.Set(events.HeaderEventID, ev.ID)
	h.Set(HeaderFailedAt, time.Now().UTC().Format(time.RFC3339Nano))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.cfg.JetStream.PublishMsg(ctx, &nats.Msg{Subject: DLQSubjectPrefix + "." + l.Name, Header: h, Data: m.Data()}); err != nil {
		return err
	}
	if d.cfg.Metrics != nil {
		d.cfg.Metrics.deadLetter(l.Name)
	}
	d.cfg.Host.record(&fnapi.Record{Type: fnapi.RecordDeadLetter, Time: time.Now().UTC(), Function: l.Name, Version: l.Version,
		EventID: ev.ID, EventName: string(ev.Name), Bucket: ev.Bucket, Key: ev.Key, Delivery: delivered,
		Result: "moved to " + DLQStream, ErrorKind: KindName(runtime.KindOf(cause)), Error: msg})
	return nil
}

// subscribe runs function name on the messages of a NATS subject (queue
// group "fn-<name>", so each message runs once across workers). A request
// (a message with a reply subject) gets the output as its answer.
func (d *Dispatcher) subscribe(name, subject string, conc int) (*nats.Subscription, error) {
	if d.cfg.Conn == nil {
		return nil, errors.New("no NATS connection")
	}
	sem := make(chan struct{}, max(conc, 1))
	return d.cfg.Conn.QueueSubscribe(subject, "fn-"+name, func(msg *nats.Msg) {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			l, err := d.cfg.Host.Get(context.Background(), name)
			if err != nil {
				return
			}
			out, err := d.cfg.Host.Invoke(context.Background(), l, msg.Data, &Invocation{Trigger: "subject:" + msg.Subject})
			if msg.Reply != "" {
				if err != nil {
					out = []byte("error: " + err.Error())
				}
				_ = msg.Respond(out)
			}
		}()
	})
}

// DeadLetters lists the dead letters of function name (all functions
// when name is ""), oldest first.
func DeadLetters(ctx context.Context, js jetstream.JetStream, name string) ([]fnapi.DLQEntry, error) {
	filter := DLQSubjectPrefix + ".>"
	if name != "" {
		filter = DLQSubjectPrefix + "." + name
	}
	var out []fnapi.DLQEntry
	err := ReadStream(ctx, js, DLQStream, filter, time.Time{}, false, func(m jetstream.Msg) error {
		e := dlqEntry(m.Headers())
		if md, err := m.Metadata(); err == nil {
			e.Seq = md.Sequence.Stream
			if e.Time.IsZero() {
				e.Time = md.Timestamp
			}
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func dlqEntry(h nats.Header) fnapi.DLQEntry {
	e := fnapi.DLQEntry{
		Function: h.Get(HeaderFunction), EventID: h.Get(events.HeaderEventID), EventName: h.Get(events.HeaderEventName),
		Bucket: h.Get(events.HeaderBucket), ErrorKind: h.Get(HeaderErrorKind), Error: h.Get(HeaderError),
	}
	e.Key, _ = events.DecodeKeyHeader(h.Get(events.HeaderKey))
	e.Version, _ = strconv.Atoi(h.Get(HeaderVersion))
	e.Delivered, _ = strconv.Atoi(h.Get(HeaderDelivered))
	e.Time, _ = time.Parse(time.RFC3339Nano, h.Get(HeaderFailedAt))
	return e
}

// Replay runs the current version of function name again on its dead
// letters (those of event id, or all when id is ""). Each one that now
// succeeds is removed from the dead-letter stream; the others stay.
func Replay(ctx context.Context, js jetstream.JetStream, host *Host, name, id string) (fnapi.ReplayResult, error) {
	var res fnapi.ReplayResult
	l, err := host.Get(ctx, name)
	if err != nil {
		return res, err
	}
	stream, err := js.Stream(ctx, DLQStream)
	if err != nil {
		return res, err
	}
	type letter struct {
		seq  uint64
		ev   events.Event
		data []byte
	}
	var letters []letter
	err = ReadStream(ctx, js, DLQStream, DLQSubjectPrefix+"."+name, time.Time{}, false, func(m jetstream.Msg) error {
		if id != "" && m.Headers().Get(events.HeaderEventID) != id {
			return nil
		}
		md, err := m.Metadata()
		if err != nil {
			return err
		}
		ev, err := events.Decode(m.Headers(), m.Data())
		if err != nil {
			return err
		}
		letters = append(letters, letter{md.Sequence.Stream, ev, m.Data()})
		return nil
	})
	if err != nil {
		return res, err
	}
	if id != "" && len(letters) == 0 {
		return res, fmt.Errorf("no dead letter of %s for event %s: %w", name, id, ErrNotFound)
	}
	for _, lt := range letters {
		inv := &Invocation{EventID: lt.ev.ID, EventName: string(lt.ev.Name), Bucket: lt.ev.Bucket, Key: lt.ev.Key, Trigger: "replay", Delivery: 1}
		_, err := host.Invoke(ctx, l, lt.data, inv)
		o := fnapi.ReplayOutcome{EventID: lt.ev.ID, Seq: lt.seq, OK: err == nil}
		if err != nil {
			o.ErrorKind, o.Error = KindName(runtime.KindOf(err)), err.Error()
			res.Failed++
		} else {
			res.Replayed++
			if derr := stream.DeleteMsg(ctx, lt.seq); derr != nil {
				o.Error = "replayed, but not removed from the dead-letter stream: " + derr.Error()
			}
		}
		res.Results = append(res.Results, o)
	}
	return res, nil
}

const (
	defaultStream = events.DefaultStream
	defaultPrefix = events.DefaultSubjectPrefix
)
