package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
)

// Asynchronous processing: POST /key?x-oss-async-process with the body
// "x-oss-async-process=<image/…|style/…>|sys/saveas,o_<b64url>[,b_<b64url>][/notify,topic_<b64url>]".
// The request is parsed, validated and authorized at once (as
// ProcessObject: read the source, write the destination, read every
// watermark image), then handed to Config.AsyncProcessor, which queues
// it; the answer is {"EventId","RequestId","TaskId"}. The job runs later
// through Handler.RunAsyncJob. httpapi knows nothing of the queue.

// AsyncProcessor queues asynchronous image processing jobs. An error
// that is an *oss.Error is answered as it is (ServiceUnavailable when the
// queue cannot be reached, SlowDown when it is full); any other error
// is an InternalError.
type AsyncProcessor interface {
	Submit(ctx context.Context, job AsyncJob) (taskID string, err error)
}

// AsyncJob is a validated and authorized x-oss-async-process request.
type AsyncJob struct {
	// Bucket, Key and VersionID name the source ("" VersionID: the
	// current version when the job runs).
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
	// Process is the normalized image pipeline (a style resolved to its
	// content), without sys/saveas and notify.
	Process string `json:"process"`
	// DestBucket and DestKey are the sys/saveas target.
	DestBucket string `json:"destBucket"`
	DestKey    string `json:"destKey"`
	// Topic is the notify topic, decoded ("" when the request named none).
	Topic string `json:"topic,omitempty"`
	// EventID identifies the job's completion notification (answered as
	// EventId).
	EventID string `json:"eventId"`
	// RequestID, Principal (the access key id, "" for anonymous) and
	// Origin (X-Ossflow-Origin) are the submitting request's.
	RequestID   string    `json:"requestId"`
	Principal   string    `json:"principal,omitempty"`
	Origin      string    `json:"origin,omitempty"`
	SubmittedAt time.Time `json:"submittedAt"`
}

// AsyncOrigin is the origin (oss.RequestInfo.Origin, and the event's
// Ossflow-Origin) of the objects asynchronous jobs write, unless the
// submitting request carried one (a function's), which is kept so that
// the functions' loop guard still sees it.
const AsyncOrigin = "image-async"

// AsyncResult is the object a job wrote.
type AsyncResult struct {
	Bucket      string
	Key         string
	Size        int64
	ContentType string
	ETag        string
	VersionID   string
}

// AsyncJobError is why a job failed, as a client would see it: an OSS or
// image processing Code and its Message. Temporary tells failures that a
// later attempt may cure (internal errors, SlowDown, ServiceUnavailable,
// timeouts) from those it cannot (no such key, not an image, ...).
type AsyncJobError struct {
	Code      string
	Message   string
	Temporary bool
	Err       error
}

func (e *AsyncJobError) Error() string { return e.Code + ": " + e.Message }
func (e *AsyncJobError) Unwrap() error { return e.Err }

// asyncJobError classifies err.
func asyncJobError(err error) *AsyncJobError {
	var je *AsyncJobError
	if errors.As(err, &je) {
		return je
	}
	out := &AsyncJobError{Err: err}
	var re responseError
	switch {
	case isContextErr(err):
		out.Code, out.Message, out.Temporary = "RequestTimeout", "The job did not finish in time.", true
	case errors.As(err, &re):
		er := re.errResponse()
		out.Code, out.Message = er.code, er.message
	default:
		code := oss.CodeOf(err)
		out.Code, out.Message = code.Name(), code.DefaultMessage()
		var oe *oss.Error
		if code != oss.InternalError && errors.As(err, &oe) {
			out.Message = oe.Msg()
		}
		switch code {
		case oss.InternalError, oss.ServiceUnavailable, oss.SlowDown, oss.RequestTimeout:
			out.Temporary = true
		}
	}
	return out
}

// maxNotifyTopic bounds a notify topic's length.
const maxNotifyTopic = 128

var opAsyncProcessObject = op("AsyncProcessObject", AccessWrite, asyncProcessObject)

// asyncProcessResult is the JSON answer of AsyncProcessObject.
type asyncProcessResult struct {
	EventID   string `json:"EventId"`
	RequestID string `json:"RequestId"`
	TaskID    string `json:"TaskId"`
}

// asyncProcessObject is POST /key?x-oss-async-process.
func asyncProcessObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	op := rc.op.name
	ap := h.cfg.AsyncProcessor
	if ap == nil {
		return oss.E(op, oss.NotImplemented, "Asynchronous processing is not enabled on this server.")
	}
	data, err := readSmallBody(rc, r, maxProcessBody, oss.EntityTooLarge)
	if err != nil {
		return err
	}
	v, ok := processForm(data, "x-oss-async-process")
	if !ok {
		return oss.E(op, oss.MissingArgument, "The request body must be x-oss-async-process=<process>|sys/saveas,o_<object>[,b_<bucket>][/notify,topic_<topic>].")
	}
	v, topic, err := splitNotify(op, v)
	if err != nil {
		return err
	}
	pl, err := parseProcess(op, v)
	if err != nil {
		return err
	}
	if pl.SaveAs == nil {
		return oss.E(op, oss.InvalidArgument, "AsyncProcessObject needs sys/saveas,o_<object>: the result is saved, never returned.")
	}
	versionID := rc.query.Get("versionId")
	destBucket, destKey, err := h.saveAsTarget(rc, pl, versionID)
	if err != nil {
		return err
	}
	if pl, err = h.resolveStyle(rc, rc.bucket(), pl); err != nil {
		return err
	}
	// The job runs without the requester: check now what processing
	// would check as it goes (watermark images, the source).
	for _, k := range watermarkKeys(pl) {
		if err := h.authorizeVersion(rc, opReadSource, rc.bucket(), k, ""); err != nil {
			return imageError(op, &imgproc.Error{Code: imgproc.CodeWatermarkError,
				Message: "watermark: cannot read image " + strconv.Quote(k) + ": " + publicMessage(err)})
		}
	}
	if _, err := h.eng.HeadObject(rc.ctx, oss.GetObjectInput{Bucket: rc.bucket(), Key: rc.key(), VersionID: versionID}); err != nil {
		return err
	}
	if _, err := h.eng.GetBucket(rc.ctx, destBucket); err != nil {
		if oe, ok := errors.AsType[*oss.Error](err); ok && oe.Code == oss.NoSuchBucket && oe.Bucket == "" {
			oe.Bucket = destBucket
		}
		return err
	}
	ops := *pl
	ops.SaveAs = nil
	ri := oss.RequestInfoFrom(rc.ctx)
	job := AsyncJob{
		Bucket: rc.bucket(), Key: rc.key(), VersionID: versionID,
		Process:    ops.String(),
		DestBucket: destBucket, DestKey: destKey,
		Topic:       topic,
		EventID:     newEventID(),
		RequestID:   rc.reqID,
		Principal:   ri.PrincipalID,
		Origin:      ri.Origin,
		SubmittedAt: h.now().UTC(),
	}
	taskID, err := ap.Submit(rc.ctx, job)
	if err != nil {
		return oss.Wrap(op, err)
	}
	out, err := json.Marshal(asyncProcessResult{EventID: job.EventID, RequestID: rc.reqID, TaskID: taskID})
	if err != nil {
		return oss.Wrap(op, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

// splitNotify takes the notify part out of an x-oss-async-process value:
// "…|sys/saveas,…/notify,topic_<b64url>" (as OSS documents it) or a
// "|notify,topic_<b64url>" segment. topic is "" when there is none.
func splitNotify(op, v string) (rest, topic string, err error) {
	head, tail, ok := strings.Cut(v, "|")
	if !ok {
		return v, "", nil
	}
	var segs []string
	var notify string
	for seg := range strings.SplitSeq(tail, "|") {
		if n, ok := strings.CutPrefix(seg, "notify,"); ok {
			seg, notify = "", "notify,"+n
		} else if i := strings.Index(seg, "/notify,"); i >= 0 {
			seg, notify = seg[:i], seg[i+1:]
		}
		if seg != "" {
			segs = append(segs, seg)
		}
		if notify != "" {
			if topic != "" {
				return "", "", invalidArgument(op, "notify is given more than once.", "notify", truncateArg(notify))
			}
			if topic, err = parseNotify(op, notify); err != nil {
				return "", "", err
			}
			notify = ""
		}
	}
	rest = head
	if len(segs) > 0 {
		rest += "|" + strings.Join(segs, "|")
	}
	return rest, topic, nil
}

// parseNotify parses "notify,topic_<b64url>". A topic is 1 to 128
// letters, digits, '-' and '_' (it becomes a NATS subject token).
func parseNotify(op, s string) (string, error) {
	var topic string
	for tok := range strings.SplitSeq(strings.TrimPrefix(s, "notify"), ",") {
		if tok == "" {
			continue
		}
		k, val, _ := strings.Cut(tok, "_")
		if k != "topic" {
			return "", invalidArgument(op, "notify: unknown parameter "+strconv.Quote(k)+" (allowed: topic).", "notify", truncateArg(s))
		}
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(val, "="))
		if err != nil {
			return "", invalidArgument(op, "notify: the topic must be URL-safe base64.", "topic", truncateArg(val))
		}
		topic = string(b)
	}
	if !validNotifyTopic(topic) {
		return "", invalidArgument(op, "notify: the topic must be 1 to 128 letters, digits, '-' and '_'.", "topic", truncateArg(topic))
	}
	return topic, nil
}

func validNotifyTopic(t string) bool {
	if t == "" || len(t) > maxNotifyTopic {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func truncateArg(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// watermarkKeys lists the objects pl's image watermarks read (their
// canonical image_ parameter, without any ?x-oss-process suffix).
func watermarkKeys(pl *imgproc.Pipeline) []string {
	var keys []string
	for _, a := range pl.Actions {
		if a.Name != "watermark" {
			continue
		}
		for _, p := range a.Params {
			if p.Key != "image" {
				continue
			}
			b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p.Value, "="))
			if err != nil {
				continue // Parse accepted it: cannot happen
			}
			k, _, _ := strings.Cut(string(b), "?")
			keys = append(keys, k)
		}
	}
	return keys
}

// newEventID is a random 32-hex-digit id.
func newEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RunAsyncJob runs a queued job: it reads the source (job.VersionID, or
// the current version), runs job.Process with the Handler's Processor
// (sharing its admission gate and decode slots with synchronous requests;
// the result does not go through the derived-image cache), reads
// watermark images from the source bucket (their reads were authorized
// at submission), and writes the result as job.DestBucket/job.DestKey
// with the engine's PutObject, whose event carries the job's request id,
// principal and origin (AsyncOrigin unless the job had one). A failure is
// an *AsyncJobError.
func (h *Handler) RunAsyncJob(ctx context.Context, job AsyncJob) (AsyncResult, error) {
	const op = "AsyncProcessObject"
	fail := func(err error) (AsyncResult, error) { return AsyncResult{}, asyncJobError(err) }
	pl, err := parseProcess(op, job.Process)
	if err != nil {
		return fail(err)
	}
	if pl.Style != "" || pl.SaveAs != nil {
		return fail(oss.E(op, oss.InvalidArgument, "A queued job's process must be image actions only."))
	}
	if !oss.ValidBucketName(job.DestBucket) || !oss.ValidObjectKey(job.DestKey) {
		return fail(oss.E(op, oss.InvalidArgument, "The saveas target is invalid."))
	}
	origin := job.Origin
	if origin == "" {
		origin = AsyncOrigin
	}
	ctx = oss.WithRequestInfo(ctx, oss.RequestInfo{RequestID: job.RequestID, PrincipalID: job.Principal, Origin: origin})

	is := h.img
	select {
	case is.admit <- struct{}{}:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	get := oss.GetObjectInput{Bucket: job.Bucket, Key: job.Key, VersionID: job.VersionID}
	res, _, err := is.run(ctx, h.eng, op, get, pl, jobWatermarks{eng: h.eng, bucket: job.Bucket})
	<-is.admit
	if err != nil {
		return fail(err)
	}
	info, err := saveResult(ctx, h.eng, job.DestBucket, job.DestKey, res.Body, res.ContentType)
	if err != nil {
		return fail(err)
	}
	return AsyncResult{Bucket: job.DestBucket, Key: job.DestKey, Size: int64(len(res.Body)), ContentType: res.ContentType,
		ETag: info.ETag, VersionID: info.VersionID}, nil
}

// jobWatermarks reads a queued job's watermark images from its source
// bucket.
type jobWatermarks struct {
	eng    Engine
	bucket string
}

func (f jobWatermarks) Fetch(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if !oss.ValidObjectKey(key) {
		return nil, 0, errors.New("invalid object name")
	}
	out, err := f.eng.GetObject(ctx, oss.GetObjectInput{Bucket: f.bucket, Key: key})
	if err != nil {
		return nil, 0, errors.New(publicMessage(err))
	}
	return out.Body, out.Info.Size, nil
}
