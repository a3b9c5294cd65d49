package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ossflow/ossflow/httpapi"
	"github.com/ossflow/ossflow/monitor"
	"github.com/ossflow/ossflow/oss"
)

// Asynchronous image processing (POST /key?x-oss-async-process): the
// HTTP layer validates and authorizes the request and calls Submit,
// which queues the job on TasksStream; a durable pull consumer in every
// server (ImagesConfig.AsyncWorkers) runs the jobs with
// httpapi.Handler.RunAsyncJob and publishes an ImageNotification on
// NotifySubject(topic, bucket) in NotifyStream.
const (
	// TasksStream is the work queue of asynchronous jobs: a message is
	// removed once a worker acknowledges (or terminates) it.
	TasksStream = "OSSFLOW_TASKS"
	// ImageTaskSubject carries image jobs (JSON: {"taskId","job"}).
	ImageTaskSubject = "ossflow.tasks.image"
	// ImageWorkerConsumer is the durable consumer the servers share.
	ImageWorkerConsumer = "image-worker"
	// NotifyStream keeps completion notifications (limits retention,
	// ImagesConfig.NotifyMaxAge).
	NotifyStream = "OSSFLOW_NOTIFY"
	// NotifySubjectPrefix is the first tokens of notification subjects.
	NotifySubjectPrefix = "ossflow.notify"
	// DefaultNotifyTopic is the topic of jobs that named none.
	DefaultNotifyTopic = "image"
)

// Bounds of the queue and of one job.
const (
	tasksMaxMsgs        = 100_000
	tasksMaxBytes       = 256 << 20
	tasksMaxAge         = 7 * 24 * time.Hour
	notifyMaxBytes      = 256 << 20
	streamDupWindow     = 2 * time.Minute
	asyncMaxDeliver     = 5
	asyncJobTimeout     = 2 * time.Minute
	asyncAckWait        = asyncJobTimeout + 30*time.Second
	asyncPublishTimeout = 5 * time.Second
)

// NotifySubject is the subject of the notifications of jobs that named
// topic ("" for DefaultNotifyTopic) and save into bucket:
// ossflow.notify.<topic>.<bucket>.
func NotifySubject(topic, bucket string) string {
	if topic == "" {
		topic = DefaultNotifyTopic
	}
	return NotifySubjectPrefix + "." + topic + "." + bucket
}

// Notification statuses.
const (
	NotifySuccess = "Success"
	NotifyFailed  = "Failed"
)

// ImageNotification is the completion message of an asynchronous job.
type ImageNotification struct {
	TaskID    string `json:"TaskId"`
	EventID   string `json:"EventId"`
	RequestID string `json:"RequestId"`
	// Bucket and Object are the sys/saveas target, FileSize the bytes
	// written there (0 when Failed).
	Bucket   string `json:"Bucket"`
	Object   string `json:"Object"`
	FileSize int64  `json:"FileSize"`
	// Status is Success or Failed; Code and Message say why it failed.
	Status  string `json:"Status"`
	Code    string `json:"Code,omitempty"`
	Message string `json:"Message"`
	// The job: its source, normalized process and attempts.
	SourceBucket string    `json:"SourceBucket"`
	SourceObject string    `json:"SourceObject"`
	VersionID    string    `json:"VersionId,omitempty"`
	Process      string    `json:"Process"`
	Topic        string    `json:"Topic"`
	Attempts     int       `json:"Attempts"`
	SubmittedAt  time.Time `json:"SubmittedAt"`
	FinishedAt   time.Time `json:"FinishedAt"`
}

// imageTask is the body of a message on ImageTaskSubject.
type imageTask struct {
	TaskID string           `json:"taskId"`
	Job    httpapi.AsyncJob `json:"job"`
}

// asyncImages is the server's httpapi.AsyncProcessor and image worker.
type asyncImages struct {
	s   *Server
	api *httpapi.Handler // set once New has built it

	mu    sync.Mutex
	ready bool // the streams exist
	// rebind tells this process's worker that the task stream was created
	// again (it was deleted): its consumer went with it, so it must
	// create the consumer again rather than wait for missed heartbeats.
	rebind chan struct{}

	// hook, when set (tests), is called before each job runs; run, when
	// set (tests), runs jobs instead of the Handler.
	hook atomic.Pointer[func(httpapi.AsyncJob)]
	run  atomic.Pointer[func(context.Context, httpapi.AsyncJob) (httpapi.AsyncResult, error)]

	submitted prometheus.Counter
	jobs      *prometheus.CounterVec
}

func newAsyncImages(s *Server) *asyncImages {
	return &asyncImages{
		s:      s,
		rebind: make(chan struct{}, 1),
		submitted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: monitor.Namespace, Subsystem: "image_async", Name: "submitted_total",
			Help: "Asynchronous image jobs queued.",
		}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: monitor.Namespace, Subsystem: "image_async", Name: "jobs_total",
			Help: "Asynchronous image job attempts by result: success, failed (notified) or retried.",
		}, []string{"result"}),
	}
}

// jetStream is the event plane's JetStream, nil when it is off or the
// server has not started (s.events is set before the server serves).
func (a *asyncImages) jetStream() jetstream.JetStream {
	if a.s.events == nil {
		return nil
	}
	return a.s.events.JetStream()
}

// startImages registers the metrics, creates the streams and starts the
// worker (under ctx and s.bg, so that shutdown stops it before the event
// plane closes). Without the event plane it does nothing: Submit then
// answers ServiceUnavailable.
func (s *Server) startImages(ctx context.Context) {
	a := s.images
	for _, c := range []prometheus.Collector{a.submitted, a.jobs} {
		if err := s.metrics.Registry().Register(c); err != nil {
			s.log.Warn("image metrics not registered", "err", err)
		}
	}
	if s.events == nil {
		return
	}
	js := s.events.JetStream()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := a.ensureStreams(sctx, js)
	cancel()
	if err != nil {
		s.log.Warn("image task streams not ready; retrying", "err", err)
	}
	n := s.cfg.Images.asyncWorkers()
	if n < 0 {
		s.log.Info("asynchronous image jobs are queued, not run here", "stream", TasksStream)
		return
	}
	s.bg.Go(func() { a.consume(ctx, js, n) })
}

// ensureStreams creates (or updates) the task and notification streams
// once.
func (a *asyncImages) ensureStreams(ctx context.Context, js jetstream.JetStream) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ready {
		return nil
	}
	replicas := max(a.s.cfg.Events.Replicas, 1)
	for _, sc := range []jetstream.StreamConfig{
		{Name: TasksStream, Description: "ossflow queued tasks (asynchronous image processing), removed once done",
			Subjects: []string{"ossflow.tasks.>"}, Retention: jetstream.WorkQueuePolicy, Discard: jetstream.DiscardNew,
			MaxMsgs: tasksMaxMsgs, MaxBytes: tasksMaxBytes, MaxAge: tasksMaxAge,
			Storage: jetstream.FileStorage, Replicas: replicas, Duplicates: streamDupWindow},
		{Name: NotifyStream, Description: "ossflow completion notifications of asynchronous tasks",
			Subjects: []string{NotifySubjectPrefix + ".>"}, Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld,
			MaxMsgs: -1, MaxBytes: notifyMaxBytes, MaxAge: a.s.cfg.Images.notifyMaxAge(),
			Storage: jetstream.FileStorage, Replicas: replicas, Duplicates: streamDupWindow, AllowDirect: true},
	} {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("stream %s: %w", sc.Name, err)
		}
	}
	a.ready = true
	return nil
}

func (a *asyncImages) notReady() {
	a.mu.Lock()
	a.ready = false
	a.mu.Unlock()
}

// Submit queues job on ImageTaskSubject and returns its task id.
func (a *asyncImages) Submit(ctx context.Context, job httpapi.AsyncJob) (string, error) {
	const op = "AsyncProcessObject"
	js := a.jetStream()
	if js == nil {
		return "", oss.E(op, oss.ServiceUnavailable, "Asynchronous processing needs the event plane, which is off on this server (ossflow server --no-events).")
	}
	unavailable := func(err error) error {
		a.s.log.Warn("asynchronous image job not queued", "request_id", job.RequestID, "err", err)
		e := oss.E(op, oss.ServiceUnavailable, "The task queue is unavailable; try again later.")
		e.Err = err
		return e
	}
	if err := a.ensureStreams(ctx, js); err != nil {
		return "", unavailable(err)
	}
	taskID := newTaskID()
	data, err := json.Marshal(imageTask{TaskID: taskID, Job: job})
	if err != nil {
		return "", oss.Wrap(op, err)
	}
	msg := nats.NewMsg(ImageTaskSubject)
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, taskID)
	pctx, cancel := context.WithTimeout(ctx, asyncPublishTimeout)
	defer cancel()
	_, err = js.PublishMsg(pctx, msg)
	if noStream(err) {
		// The stream is gone (deleted by hand?): create it again, once.
		a.notReady()
		if err = a.ensureStreams(pctx, js); err == nil {
			select {
			case a.rebind <- struct{}{}:
			default:
			}
			_, err = js.PublishMsg(pctx, msg)
		}
	}
	if err != nil {
		if queueFull(err) {
			e := oss.E(op, oss.SlowDown, "The task queue is full; try again later.")
			e.Err = err
			return "", e
		}
		return "", unavailable(err)
	}
	a.submitted.Inc()
	return taskID, nil
}

// noStream tells a publish that no stream took.
func noStream(err error) bool {
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}

// queueFull tells the refusal of a full DiscardNew stream.
func queueFull(err error) bool {
	var ae *jetstream.APIError
	return errors.As(err, &ae) && strings.Contains(ae.Description, "exceeded")
}

// newTaskID is "ImageProcess-" and a random UUID.
func newTaskID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "ImageProcess-" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// consume runs up to n jobs at once from the durable consumer until ctx
// ends; a consumer that goes away is created again.
func (a *asyncImages) consume(ctx context.Context, js jetstream.JetStream, n int) {
	n = max(n, 1)
	log := a.s.log.With("subsystem", "image-async")
	for backoff := 100 * time.Millisecond; ctx.Err() == nil; backoff = min(2*backoff, 5*time.Second) {
		err := a.ensureStreams(ctx, js)
		var cons jetstream.Consumer
		if err == nil {
			cons, err = js.CreateOrUpdateConsumer(ctx, TasksStream, jetstream.ConsumerConfig{
				Durable:       ImageWorkerConsumer,
				Description:   "ossflow image workers",
				FilterSubject: ImageTaskSubject,
				AckPolicy:     jetstream.AckExplicitPolicy,
				AckWait:       asyncAckWait,
				MaxDeliver:    asyncMaxDeliver,
				MaxAckPending: 1024,
			})
		}
		var it jetstream.MessagesContext
		if err == nil {
			it, err = cons.Messages(jetstream.PullMaxMessages(n))
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				a.notReady()
			}
			log.Warn("image worker consumer unavailable; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 100 * time.Millisecond
		a.pull(ctx, it, n, log)
	}
}

// pull hands the iterator's messages to at most n handlers at once. On
// cancel it stops pulling and hands out what is buffered (each is
// returned to the queue at once).
func (a *asyncImages) pull(ctx context.Context, it jetstream.MessagesContext, n int, log *slog.Logger) {
	stopped := context.AfterFunc(ctx, it.Drain)
	defer stopped()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-a.rebind: // the stream was recreated: rebind the consumer
			log.Info("image task stream recreated; creating the worker consumer again")
			it.Stop()
		case <-done:
		}
	}()
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		sem <- struct{}{}
		m, err := it.Next()
		if err != nil {
			<-sem
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				return
			}
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
				errors.Is(err, jetstream.ErrNoHeartbeat) {
				log.Warn("image worker consumer deleted or silent; creating it again", "err", err)
				it.Stop()
				return
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			a.handle(ctx, m)
		})
	}
}

// retryUnit is the first retry delay (tests shorten it).
var retryUnit = time.Second

// retryDelay is the pause before attempt+1 of a job that failed
// temporarily: 1s, 5s, 25s, 2m.
func retryDelay(attempt int) time.Duration {
	d := retryUnit
	for range attempt - 1 {
		d *= 5
	}
	return min(d, 120*retryUnit)
}

// handle runs one job: ack on success, retry (with back-off) a temporary
// failure up to asyncMaxDeliver attempts, terminate a permanent one or
// the last attempt, and notify either way once the job is over.
func (a *asyncImages) handle(ctx context.Context, m jetstream.Msg) {
	log := a.s.log.With("subsystem", "image-async")
	if ctx.Err() != nil {
		_ = m.Nak() // shutting down: another worker, or the next start, runs it
		return
	}
	var t imageTask
	if err := json.Unmarshal(m.Data(), &t); err != nil || t.TaskID == "" {
		log.Warn("malformed image task dropped", "err", err, "size", len(m.Data()))
		_ = m.TermWithReason("ossflow: malformed image task")
		return
	}
	if h := a.hook.Load(); h != nil {
		(*h)(t.Job)
	}
	attempt := 1
	if md, err := m.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	jctx, cancel := context.WithTimeout(ctx, asyncJobTimeout)
	run := a.api.RunAsyncJob
	if f := a.run.Load(); f != nil {
		run = *f
	}
	res, err := run(jctx, t.Job)
	cancel()
	if ctx.Err() != nil {
		_ = m.Nak()
		return
	}
	job := t.Job
	n := ImageNotification{
		TaskID: t.TaskID, EventID: job.EventID, RequestID: job.RequestID,
		Bucket: job.DestBucket, Object: job.DestKey,
		SourceBucket: job.Bucket, SourceObject: job.Key, VersionID: job.VersionID, Process: job.Process,
		Topic: job.Topic, Attempts: attempt, SubmittedAt: job.SubmittedAt, FinishedAt: a.s.cfg.Now().UTC(),
	}
	if n.Topic == "" {
		n.Topic = DefaultNotifyTopic
	}
	var je *httpapi.AsyncJobError
	if err == nil {
		n.Status, n.FileSize = NotifySuccess, res.Size
	} else {
		if !errors.As(err, &je) {
			je = &httpapi.AsyncJobError{Code: "InternalError", Message: "We encountered an internal error. Please try again.", Temporary: true, Err: err}
		}
		if je.Temporary && attempt < asyncMaxDeliver {
			a.jobs.WithLabelValues("retried").Inc()
			log.Info("asynchronous image job failed; retrying", "task", t.TaskID, "attempt", attempt, "err", err)
			_ = m.NakWithDelay(retryDelay(attempt))
			return
		}
		n.Status, n.Code, n.Message = NotifyFailed, je.Code, je.Message
	}
	if perr := a.notify(ctx, n); perr != nil {
		if attempt < asyncMaxDeliver && ctx.Err() == nil {
			a.jobs.WithLabelValues("retried").Inc()
			log.Warn("asynchronous image job notification not published; retrying the job", "task", t.TaskID, "err", perr)
			_ = m.NakWithDelay(retryDelay(attempt))
			return
		}
		log.Error("asynchronous image job notification lost", "task", t.TaskID, "status", n.Status, "err", perr)
	}
	if err == nil {
		a.jobs.WithLabelValues("success").Inc()
		_ = m.Ack()
		return
	}
	a.jobs.WithLabelValues("failed").Inc()
	log.Info("asynchronous image job failed", "task", t.TaskID, "attempts", attempt, "code", je.Code, "err", err)
	_ = m.TermWithReason("ossflow: " + je.Code)
}

// notify publishes n on NotifySubject (de-duplicated by task id, should
// a job run again after its notification went out).
func (a *asyncImages) notify(ctx context.Context, n ImageNotification) error {
	js := a.jetStream()
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	msg := nats.NewMsg(NotifySubject(n.Topic, n.Bucket))
	msg.Data = data
	msg.Header.Set(jetstream.MsgIDHeader, "notify-"+n.TaskID)
	msg.Header.Set("Ossflow-Task-Id", n.TaskID)
	msg.Header.Set("Ossflow-Status", n.Status)
	pctx, cancel := context.WithTimeout(ctx, asyncPublishTimeout)
	defer cancel()
	if err := a.ensureStreams(pctx, js); err != nil {
		return err
	}
	_, err = js.PublishMsg(pctx, msg)
	if noStream(err) {
		a.notReady() // the stream is gone: create it again next time
	}
	return err
}
