package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv2creds "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/httpapi"
	"github.com/ossflow/ossflow/sdk/events"
	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

func v2Client(ts *servertest.Instance, ak, sk string) *ossv2.Client {
	var creds ossv2creds.CredentialsProvider = ossv2creds.NewStaticCredentialsProvider(ak, sk)
	if ak == "" {
		creds = ossv2creds.NewAnonymousCredentialsProvider()
	}
	return ossv2.NewClient(ossv2.LoadDefaultConfig().
		WithCredentialsProvider(creds).
		WithRegion("cn-hangzhou").
		WithEndpoint(ts.Endpoint).
		WithUsePathStyle(true).
		WithSignatureVersion(ossv2.SignatureVersionV4).
		WithRetryMaxAttempts(1))
}

func b64(s string) string { return base64.URLEncoding.EncodeToString([]byte(s)) }

func jpegOf(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func putObject(t *testing.T, c *ossv2.Client, bucket, key string, data []byte) {
	t.Helper()
	if _, err := c.PutObject(t.Context(), &ossv2.PutObjectRequest{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
}

func getObject(c *ossv2.Client, ctx context.Context, bucket, key string) ([]byte, error) {
	res, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	return io.ReadAll(res.Body)
}

func wantServiceError(t *testing.T, err error, code string, status int) *ossv2.ServiceError {
	t.Helper()
	var se *ossv2.ServiceError
	if !errors.As(err, &se) || se.Code != code || se.StatusCode != status {
		t.Fatalf("want %d %s, got %v", status, code, err)
	}
	return se
}

type notification struct {
	subject string
	n       server.ImageNotification
}

// notifications follows the notifications stream from its start.
func notifications(t *testing.T, ts *servertest.Instance, filter string) <-chan notification {
	t.Helper()
	js := ts.Server.Events().JetStream()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cons, err := js.OrderedConsumer(ctx, server.NotifyStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan notification, 64)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var n server.ImageNotification
		if err := json.Unmarshal(m.Data(), &n); err != nil {
			t.Errorf("notification %q: %v", m.Data(), err)
			return
		}
		ch <- notification{subject: m.Subject(), n: n}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return ch
}

func waitNotification(t *testing.T, ch <-chan notification, taskID string) notification {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case got := <-ch:
			if got.n.TaskID == taskID {
				return got
			}
		case <-timeout:
			t.Fatalf("no notification for task %s", taskID)
		}
	}
}

func TestAsyncImageThroughServer(t *testing.T) {
	ts := servertest.Start(t)
	c := v2Client(ts, ts.AccessKeyID, ts.AccessKeySecret)
	ctx := t.Context()
	for _, b := range []string{"photos", "thumbs"} {
		if _, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(b)}); err != nil {
			t.Fatal(err)
		}
	}
	putObject(t, c, "photos", "cat.jpg", jpegOf(t, 400, 200))
	notes := notifications(t, ts, server.NotifySubjectPrefix+".>")

	// SDK v2: resize, save into another bucket, notify topic "thumbs".
	res, err := c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_100|sys/saveas,o_" + b64("small/cat.jpg") + ",b_" + b64("thumbs") + "/notify,topic_" + b64("thumbs"))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.TaskId, "ImageProcess-") || res.EventId == "" || res.RequestId == "" {
		t.Fatalf("answer %+v", res)
	}
	var body []byte
	servertest.CheckFor(t, 30*time.Second, func() error {
		body, err = getObject(c, ctx, "thumbs", "small/cat.jpg")
		return err
	})
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || format != "jpeg" || cfg.Width != 100 || cfg.Height != 50 {
		t.Fatalf("result %s %dx%d %v", format, cfg.Width, cfg.Height, err)
	}
	got := waitNotification(t, notes, res.TaskId)
	want := server.ImageNotification{TaskID: res.TaskId, EventID: res.EventId, RequestID: res.RequestId, Bucket: "thumbs", Object: "small/cat.jpg",
		FileSize: int64(len(body)), Status: "Success", SourceBucket: "photos", SourceObject: "cat.jpg", Process: "image/resize,w_100",
		Topic: "thumbs", Attempts: 1}
	n := got.n
	n.SubmittedAt, n.FinishedAt = time.Time{}, time.Time{}
	if got.subject != "ossflow.notify.thumbs.thumbs" || n != want {
		t.Fatalf("notification on %s:\n got %+v\nwant %+v", got.subject, n, want)
	}
	if got.n.SubmittedAt.IsZero() || got.n.FinishedAt.Before(got.n.SubmittedAt) {
		t.Fatalf("times %v %v", got.n.SubmittedAt, got.n.FinishedAt)
	}

	// The write has its own event, marked as the asynchronous worker's.
	js := ts.Server.Events().JetStream()
	servertest.CheckFor(t, 10*time.Second, func() error {
		st, err := js.Stream(ctx, events.DefaultStream)
		if err != nil {
			return err
		}
		m, err := st.GetLastMsgForSubject(ctx, events.DefaultSubjectPrefix+".thumbs.ObjectCreated.>")
		if err != nil {
			return err
		}
		if o := m.Header.Get(events.HeaderOrigin); o != httpapi.AsyncOrigin {
			return fmt.Errorf("event origin %q", o)
		}
		return nil
	})

	// Raw HTTP (signed), no b_ (the source bucket), no notify (topic image).
	form := "x-oss-async-process=image/resize,h_20/format,png|sys/saveas,o_" + b64("cat-20.png")
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.Endpoint+"/photos/cat.jpg?x-oss-async-process", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	auth.SignOSSV4(r, ts.AccessKeyID, ts.AccessKeySecret, "cn-hangzhou", "photos", "cat.jpg", time.Now())
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ans struct{ EventId, RequestId, TaskId string }
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &ans) != nil || ans.TaskId == "" {
		t.Fatalf("raw: %d %s", resp.StatusCode, raw)
	}
	got = waitNotification(t, notes, ans.TaskId)
	if got.subject != "ossflow.notify.image.photos" || got.n.Status != "Success" || got.n.Bucket != "photos" || got.n.Object != "cat-20.png" {
		t.Fatalf("raw notification on %s: %+v", got.subject, got.n)
	}
	body, err = getObject(c, ctx, "photos", "cat-20.png")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(body)); err != nil || format != "png" || cfg.Width != 40 || cfg.Height != 20 {
		t.Fatalf("raw result %s %dx%d %v", format, cfg.Width, cfg.Height, err)
	}

	// A corrupt image fails when the job runs: Failed, nothing written.
	putObject(t, c, "photos", "broken.jpg", []byte("this is not a JPEG"))
	res, err = c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("broken.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64("broken-small.jpg"))})
	if err != nil {
		t.Fatal(err)
	}
	got = waitNotification(t, notes, res.TaskId)
	if got.n.Status != "Failed" || got.n.Code == "" || got.n.Message == "" || got.n.FileSize != 0 || got.n.Attempts != 1 {
		t.Fatalf("corrupt source: %+v", got.n)
	}
	if ok, _ := c.IsObjectExist(ctx, "photos", "broken-small.jpg"); ok {
		t.Fatal("a failed job wrote its destination")
	}

	// The source is deleted between submission and run.
	putObject(t, c, "photos", "gone.jpg", jpegOf(t, 64, 64))
	release := make(chan struct{})
	server.SetImageJobHook(ts.Server, func(job httpapi.AsyncJob) {
		if job.Key == "gone.jpg" {
			<-release
		}
	})
	res, err = c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("gone.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64("gone-small.jpg") + "/notify,topic_" + b64("cleanup"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(ctx, &ossv2.DeleteObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("gone.jpg")}); err != nil {
		t.Fatal(err)
	}
	close(release)
	got = waitNotification(t, notes, res.TaskId)
	if got.subject != "ossflow.notify.cleanup.photos" || got.n.Status != "Failed" || got.n.Code != "NoSuchKey" {
		t.Fatalf("deleted source: on %s %+v", got.subject, got.n)
	}
	if ok, _ := c.IsObjectExist(ctx, "photos", "gone-small.jpg"); ok {
		t.Fatal("a failed job wrote its destination")
	}
	server.SetImageJobHook(ts.Server, nil)

	// Refused at submission: a bad pipeline, a user who may read the
	// source but not write the destination, anonymous.
	_, err = c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_0|sys/saveas,o_" + b64("x.jpg"))})
	wantServiceError(t, err, "InvalidArgument", 400)
	dir := ts.Server.Directory()
	if _, err := dir.AddUser(ctx, "reader"); err != nil {
		t.Fatal(err)
	}
	if err := dir.PutNamedPolicy(ctx, "reader-policy", []byte(`{"Version":"1","Statement":[{"Effect":"Allow",
		"Action":["oss:GetObject","oss:PutObject"],"Resource":["acs:oss:*:*:photos/*"]}]}`)); err != nil {
		t.Fatal(err)
	}
	if err := dir.AttachPolicy(ctx, "reader", "reader-policy"); err != nil {
		t.Fatal(err)
	}
	key, err := dir.CreateKey(ctx, "reader")
	if err != nil {
		t.Fatal(err)
	}
	uc := v2Client(ts, key.AccessKeyID, key.Secret)
	_, err = uc.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64("stolen.jpg") + ",b_" + b64("thumbs"))})
	wantServiceError(t, err, "AccessDenied", 403)
	_, err = v2Client(ts, "", "").AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64("anon.jpg"))})
	wantServiceError(t, err, "AccessDenied", 403)
	// The same user may process within photos.
	res, err = uc.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64("mine.jpg"))})
	if err != nil {
		t.Fatal(err)
	}
	if got = waitNotification(t, notes, res.TaskId); got.n.Status != "Success" {
		t.Fatalf("user's job: %+v", got.n)
	}
	if ok, _ := c.IsObjectExist(ctx, "thumbs", "stolen.jpg"); ok {
		t.Fatal("a refused job ran")
	}

	// A job is counted once its notification is out, so the last count may
	// trail the notification the test just received: poll.
	servertest.CheckFor(t, 10*time.Second, func() error {
		metrics := scrape(t, ts.Endpoint)
		for _, m := range []string{`ossflow_image_async_jobs_total{result="success"} 3`, `ossflow_image_async_jobs_total{result="failed"} 2`, "ossflow_image_async_submitted_total 5"} {
			if !strings.Contains(metrics, m) {
				return fmt.Errorf("metrics lack %s", m)
			}
		}
		return nil
	})
}

func TestAsyncImageWithoutEventPlane(t *testing.T) {
	ts := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Events.Disabled = true }))
	c := v2Client(ts, ts.AccessKeyID, ts.AccessKeySecret)
	ctx := t.Context()
	if _, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("photos")}); err != nil {
		t.Fatal(err)
	}
	putObject(t, c, "photos", "cat.jpg", jpegOf(t, 40, 20))
	_, err := c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64("t.jpg"))})
	se := wantServiceError(t, err, "ServiceUnavailable", 503)
	if !strings.Contains(se.Message, "event plane") {
		t.Fatalf("message %q does not say why", se.Message)
	}
	// Synchronous processing still works.
	if _, err := c.ProcessObject(ctx, &ossv2.ProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		Process: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64("t.jpg"))}); err != nil {
		t.Fatal(err)
	}
}

// TestAsyncImageQueueSurvivesRestart: a server that runs no worker
// queues the job; the next server on the same data directory runs it.
func TestAsyncImageQueueSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ts := servertest.Start(t, servertest.WithDataDir(dir), servertest.WithConfig(func(c *server.Config) { c.Images.AsyncWorkers = -1 }))
	c := v2Client(ts, ts.AccessKeyID, ts.AccessKeySecret)
	ctx := t.Context()
	if _, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("photos")}); err != nil {
		t.Fatal(err)
	}
	putObject(t, c, "photos", "cat.jpg", jpegOf(t, 80, 40))
	res, err := c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_8|sys/saveas,o_" + b64("later.jpg"))})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ts.Server.Events().JetStream().Stream(ctx, server.TasksStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := st.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Fatalf("queued tasks: %+v %v", info, err)
	}
	if err := ts.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	ts = servertest.Start(t, servertest.WithDataDir(dir))
	notes := notifications(t, ts, server.NotifySubject("", "photos"))
	if got := waitNotification(t, notes, res.TaskId); got.n.Status != "Success" {
		t.Fatalf("after restart: %+v", got.n)
	}
	c = v2Client(ts, ts.AccessKeyID, ts.AccessKeySecret)
	body, err := getObject(c, ctx, "photos", "later.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(body)); err != nil || cfg.Width != 8 {
		t.Fatalf("result %dx%d %v", cfg.Width, cfg.Height, err)
	}
	servertest.CheckFor(t, 10*time.Second, func() error {
		st, err := ts.Server.Events().JetStream().Stream(ctx, server.TasksStream)
		if err != nil {
			return err
		}
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs != 0 {
			return fmt.Errorf("%d tasks left in the queue", info.State.Msgs)
		}
		return nil
	})
}

// TestAsyncImageRetries: a temporary failure is retried with back-off; a
// job that keeps failing is notified Failed after the last attempt and
// leaves the queue.
func TestAsyncImageRetries(t *testing.T) {
	defer server.SetImageRetryUnit(10 * time.Millisecond)()
	ts := servertest.Start(t)
	c := v2Client(ts, ts.AccessKeyID, ts.AccessKeySecret)
	ctx := t.Context()
	if _, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("photos")}); err != nil {
		t.Fatal(err)
	}
	putObject(t, c, "photos", "cat.jpg", jpegOf(t, 40, 20))
	var mu sync.Mutex
	calls := map[string]int{}
	server.SetImageJobRunner(ts.Server, func(ctx context.Context, job httpapi.AsyncJob) (httpapi.AsyncResult, error) {
		mu.Lock()
		calls[job.DestKey]++
		n := calls[job.DestKey]
		mu.Unlock()
		switch {
		case job.DestKey == "flaky.jpg" && n >= 3:
			return httpapi.AsyncResult{Bucket: job.DestBucket, Key: job.DestKey, Size: 42}, nil
		case job.DestKey == "flaky.jpg":
			return httpapi.AsyncResult{}, &httpapi.AsyncJobError{Code: "InternalError", Message: "try again", Temporary: true}
		}
		return httpapi.AsyncResult{}, &httpapi.AsyncJobError{Code: "SlowDown", Message: "still busy", Temporary: true}
	})
	notes := notifications(t, ts, server.NotifySubjectPrefix+".>")
	submit := func(dest string) string {
		t.Helper()
		res, err := c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
			AsyncProcess: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64(dest))})
		if err != nil {
			t.Fatal(err)
		}
		return res.TaskId
	}
	flaky, doomed := submit("flaky.jpg"), submit("doomed.jpg")
	if got := waitNotification(t, notes, flaky); got.n.Status != "Success" || got.n.Attempts != 3 || got.n.FileSize != 42 {
		t.Fatalf("flaky: %+v", got.n)
	}
	got := waitNotification(t, notes, doomed)
	if got.n.Status != "Failed" || got.n.Code != "SlowDown" || got.n.Message != "still busy" || got.n.Attempts != 5 {
		t.Fatalf("doomed: %+v", got.n)
	}
	servertest.CheckFor(t, 10*time.Second, func() error {
		st, err := ts.Server.Events().JetStream().Stream(ctx, server.TasksStream)
		if err != nil {
			return err
		}
		info, err := st.Info(ctx)
		if err != nil {
			return err
		}
		if info.State.Msgs != 0 {
			return fmt.Errorf("%d tasks left in the queue", info.State.Msgs)
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	if calls["flaky.jpg"] != 3 || calls["doomed.jpg"] != 5 {
		t.Fatalf("attempts %v", calls)
	}
	if m := scrape(t, ts.Endpoint); !strings.Contains(m, `ossflow_image_async_jobs_total{result="retried"} 6`) {
		t.Errorf("metrics: retried count missing")
	}
}

// TestAsyncImageStreamsRecreated: streams deleted by hand come back, and
// the worker's consumer with them.
func TestAsyncImageStreamsRecreated(t *testing.T) {
	ts := servertest.Start(t)
	c := v2Client(ts, ts.AccessKeyID, ts.AccessKeySecret)
	ctx := t.Context()
	if _, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("photos")}); err != nil {
		t.Fatal(err)
	}
	putObject(t, c, "photos", "cat.jpg", jpegOf(t, 40, 20))
	js := ts.Server.Events().JetStream()
	for _, s := range []string{server.TasksStream, server.NotifyStream} {
		if err := js.DeleteStream(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.AsyncProcessObject(ctx, &ossv2.AsyncProcessObjectRequest{Bucket: ossv2.Ptr("photos"), Key: ossv2.Ptr("cat.jpg"),
		AsyncProcess: ossv2.Ptr("image/resize,w_10|sys/saveas,o_" + b64("again.jpg"))})
	if err != nil {
		t.Fatal(err)
	}
	notes := notifications(t, ts, server.NotifySubject("", "photos"))
	if got := waitNotification(t, notes, res.TaskId); got.n.Status != "Success" {
		t.Fatalf("%+v", got.n)
	}
}
