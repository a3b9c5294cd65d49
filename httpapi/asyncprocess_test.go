package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/ossflow/ossflow/httpapi"
	"github.com/ossflow/ossflow/oss"
)

// recordingQueue is an AsyncProcessor that keeps the jobs.
type recordingQueue struct {
	mu   sync.Mutex
	jobs []httpapi.AsyncJob
	err  error
}

func (q *recordingQueue) Submit(ctx context.Context, job httpapi.AsyncJob) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return "", q.err
	}
	q.jobs = append(q.jobs, job)
	return "ImageProcess-test-" + job.EventID[:8], nil
}

func (q *recordingQueue) last(t *testing.T) httpapi.AsyncJob {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) == 0 {
		t.Fatal("no job was submitted")
	}
	return q.jobs[len(q.jobs)-1]
}

func (q *recordingQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs)
}

func asyncProcess(t *testing.T, c *ossv2.Client, bucket, key, process string) (*ossv2.AsyncProcessObjectResult, error) {
	t.Helper()
	return c.AsyncProcessObject(t.Context(), &ossv2.AsyncProcessObjectRequest{Bucket: &bucket, Key: &key, AsyncProcess: &process})
}

func TestAsyncProcessNotConfigured(t *testing.T) {
	s := newImageServer(t, httpapi.Config{})
	c := ossV2Client(s.testServer, rootSK, false)
	_, err := c.PutBucket(t.Context(), &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("async-off")})
	must(t, err)
	v2Put(t, c, "async-off", "photo.jpg", testJPEG(t, 40, 20), "image/jpeg")
	_, err = asyncProcess(t, c, "async-off", "photo.jpg", "image/resize,w_10|sys/saveas,o_"+b64url("t.jpg"))
	wantImageError(t, err, "NotImplemented", 501)
}

func TestAsyncProcessSubmitAndRun(t *testing.T) {
	q := &recordingQueue{}
	s := newImageServer(t, httpapi.Config{AsyncProcessor: q})
	c := ossV2Client(s.testServer, rootSK, false)
	ctx := t.Context()
	for _, b := range []string{"src", "dst"} {
		_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(b)})
		must(t, err)
	}
	v2Put(t, c, "src", "photo.jpg", testJPEG(t, 400, 200), "image/jpeg")
	v2Put(t, c, "src", "logo.png", testPNG(t, 16, 16, color.Black), "image/png")

	// SDK v2, with the notify part as OSS documents it.
	process := "image/resize,w_100/watermark,image_" + b64url("logo.png") + "|sys/saveas,o_" + b64url("thumbs/photo.jpg") + ",b_" + b64url("dst") +
		"/notify,topic_" + b64url("thumbs")
	res, err := asyncProcess(t, c, "src", "photo.jpg", process)
	must(t, err)
	if res.StatusCode != 200 || res.TaskId == "" || res.EventId == "" || res.RequestId == "" || res.RequestId != res.Headers.Get("X-Oss-Request-Id") {
		t.Fatalf("answer %+v", res)
	}
	job := q.last(t)
	want := httpapi.AsyncJob{Bucket: "src", Key: "photo.jpg", Process: "image/resize,w_100/watermark,image_" + strings.TrimRight(b64url("logo.png"), "="),
		DestBucket: "dst", DestKey: "thumbs/photo.jpg", Topic: "thumbs", EventID: res.EventId, RequestID: res.RequestId, Principal: rootAK}
	got := job
	got.SubmittedAt = want.SubmittedAt
	if got != want {
		t.Fatalf("job\n got %+v\nwant %+v", got, want)
	}
	if job.SubmittedAt.IsZero() || !strings.HasPrefix(res.TaskId, "ImageProcess-test-") {
		t.Fatalf("job %+v, answer %+v", job, res)
	}
	// Nothing is written at submission.
	if ok, _ := c.IsObjectExist(ctx, "dst", "thumbs/photo.jpg"); ok {
		t.Fatal("the destination exists before the job ran")
	}

	out, err := s.h.RunAsyncJob(ctx, job)
	must(t, err)
	if out.Bucket != "dst" || out.Key != "thumbs/photo.jpg" || out.ContentType != "image/jpeg" || out.Size == 0 || out.ETag == "" {
		t.Fatalf("result %+v", out)
	}
	body := v2Body(t, c, "dst", "thumbs/photo.jpg")
	wantShape(t, body, "jpeg", 100, 50)
	if int64(len(body)) != out.Size {
		t.Fatalf("size %d, result says %d", len(body), out.Size)
	}

	// A style is resolved at submission; raw HTTP with "|notify," works too;
	// no b_ means the source bucket.
	_, err = c.PutStyle(ctx, &ossv2.PutStyleRequest{Bucket: ossv2.Ptr("src"), StyleName: ossv2.Ptr("small"),
		Style: &ossv2.StyleContent{Content: ossv2.Ptr("image/resize,w_20")}})
	must(t, err)
	_, err = asyncProcess(t, c, "src", "photo.jpg", "style/small|sys/saveas,o_"+b64url("s.jpg")+"|notify,topic_"+b64url("t-1"))
	must(t, err)
	job = q.last(t)
	if job.Process != "image/resize,w_20" || job.DestBucket != "src" || job.DestKey != "s.jpg" || job.Topic != "t-1" {
		t.Fatalf("style job %+v", job)
	}
	if _, err := s.h.RunAsyncJob(ctx, job); err != nil {
		t.Fatal(err)
	}
	body = v2Body(t, c, "src", "s.jpg")
	wantShape(t, body, "jpeg", 20, 10)

	// Failures when the job runs: permanent ones are not Temporary.
	_, err = c.DeleteObject(ctx, &ossv2.DeleteObjectRequest{Bucket: ossv2.Ptr("src"), Key: ossv2.Ptr("photo.jpg")})
	must(t, err)
	_, err = s.h.RunAsyncJob(ctx, job)
	var je *httpapi.AsyncJobError
	if !errors.As(err, &je) || je.Code != "NoSuchKey" || je.Temporary {
		t.Fatalf("deleted source: %v (%+v)", err, je)
	}
	v2Put(t, c, "src", "photo.jpg", []byte("not an image at all"), "image/jpeg")
	_, err = s.h.RunAsyncJob(ctx, job)
	if !errors.As(err, &je) || je.Temporary || je.Code == "" || je.Message == "" {
		t.Fatalf("corrupt source: %v (%+v)", err, je)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.h.RunAsyncJob(cctx, job)
	if !errors.As(err, &je) || !je.Temporary {
		t.Fatalf("cancelled: %v (%+v)", err, je)
	}
}

func TestAsyncProcessSubmitErrors(t *testing.T) {
	q := &recordingQueue{}
	s := newImageServer(t, httpapi.Config{AsyncProcessor: q})
	c := ossV2Client(s.testServer, rootSK, false)
	ctx := t.Context()
	for name, acl := range map[string]ossv2.BucketACLType{"priv": ossv2.BucketACLPrivate, "pub-rw": ossv2.BucketACLPublicReadWrite} {
		_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr(name), Acl: acl})
		must(t, err)
		v2Put(t, c, name, "photo.jpg", testJPEG(t, 40, 20), "image/jpeg")
	}
	_, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("pub-rw"), Key: ossv2.Ptr("secret.png"),
		Body: bytes.NewReader(testPNG(t, 8, 8, color.White)), Acl: ossv2.ObjectACLPrivate})
	must(t, err)
	saveas := "|sys/saveas,o_" + b64url("out.jpg")

	for _, tt := range []struct {
		name, bucket, key, process string
		code                       string
		status                     int
	}{
		{"bad pipeline", "priv", "photo.jpg", "image/resize,w_abc" + saveas, "InvalidArgument", 400},
		{"unknown action", "priv", "photo.jpg", "image/explode,x_1" + saveas, "InvalidArgument", 400},
		{"no saveas", "priv", "photo.jpg", "image/resize,w_10", "InvalidArgument", 400},
		{"bad topic", "priv", "photo.jpg", "image/resize,w_10" + saveas + "/notify,topic_" + b64url("a.b"), "InvalidArgument", 400},
		{"topic not base64", "priv", "photo.jpg", "image/resize,w_10" + saveas + "/notify,topic_***", "InvalidArgument", 400},
		{"unknown notify parameter", "priv", "photo.jpg", "image/resize,w_10" + saveas + "/notify,queue_" + b64url("q"), "InvalidArgument", 400},
		{"two notifies", "priv", "photo.jpg", "image/resize,w_10" + saveas + "/notify,topic_" + b64url("a") + "|notify,topic_" + b64url("b"), "InvalidArgument", 400},
		{"video", "priv", "photo.jpg", "video/convert,f_mp4" + saveas, "NotImplemented", 400},
		{"no such key", "priv", "nothing.jpg", "image/resize,w_10" + saveas, "NoSuchKey", 404},
		{"no such style", "priv", "photo.jpg", "style/none" + saveas, "NoSuchStyle", 404},
		{"no such bucket", "nobucket", "photo.jpg", "image/resize,w_10" + saveas, "NoSuchBucket", 404},
		{"destination bucket missing", "priv", "photo.jpg", "image/resize,w_10" + saveas + ",b_" + b64url("nobucket"), "NoSuchBucket", 404},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := asyncProcess(t, c, tt.bucket, tt.key, tt.process)
			wantImageError(t, err, tt.code, tt.status)
		})
	}

	wantErr := func(resp *http.Response, body []byte, status int, code string) {
		t.Helper()
		if e := parseRawError(t, body); resp.StatusCode != status || e.Code != code {
			t.Fatalf("want %d %s, got %d %s", status, code, resp.StatusCode, body)
		}
	}
	form := func(v string) *strings.Reader { return strings.NewReader("x-oss-async-process=" + v) }
	// Anonymous: denied on a private source, denied writing a private
	// destination, denied reading a private watermark; allowed in a
	// public-read-write bucket.
	resp, body := anonDo(t, s, "POST", s.URL+"/priv/photo.jpg?x-oss-async-process", form("image/resize,w_10"+saveas))
	wantErr(resp, body, 403, "AccessDenied")
	resp, body = anonDo(t, s, "POST", s.URL+"/pub-rw/photo.jpg?x-oss-async-process", form("image/resize,w_10"+saveas+",b_"+b64url("priv")))
	wantErr(resp, body, 403, "AccessDenied")
	resp, body = anonDo(t, s, "POST", s.URL+"/pub-rw/photo.jpg?x-oss-async-process", form("image/watermark,image_"+b64url("secret.png")+saveas))
	wantErr(resp, body, 400, "WatermarkError")
	resp, body = anonDo(t, s, "POST", s.URL+"/pub-rw/photo.jpg?x-oss-async-process", strings.NewReader("x-oss-process=image/resize,w_10"+saveas))
	wantErr(resp, body, 400, "MissingArgument")
	if n := q.count(); n != 0 {
		t.Fatalf("%d jobs submitted by refused requests", n)
	}
	resp, body = anonDo(t, s, "POST", s.URL+"/pub-rw/photo.jpg?x-oss-async-process", form("image/resize,w_10"+saveas))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("anonymous in a public-read-write bucket: %d %s", resp.StatusCode, body)
	}
	var ans struct{ EventId, RequestId, TaskId string }
	if err := json.Unmarshal(body, &ans); err != nil || ans.TaskId == "" || ans.EventId == "" || ans.RequestId != resp.Header.Get("X-Oss-Request-Id") {
		t.Fatalf("%s %v", body, err)
	}
	if job := q.last(t); job.Principal != "" || job.Topic != "" || job.Bucket != "pub-rw" || job.DestBucket != "pub-rw" {
		t.Fatalf("anonymous job %+v", job)
	}

	// The queue's own errors are answered as they are.
	q.err = oss.E("AsyncProcessObject", oss.ServiceUnavailable, "the task queue is unavailable")
	_, err = asyncProcess(t, c, "priv", "photo.jpg", "image/resize,w_10"+saveas)
	wantImageError(t, err, "ServiceUnavailable", 503)
	q.err = errors.New("boom")
	_, err = asyncProcess(t, c, "priv", "photo.jpg", "image/resize,w_10"+saveas)
	wantImageError(t, err, "InternalError", 500)
}

func v2Body(t *testing.T, c *ossv2.Client, bucket, key string) []byte {
	t.Helper()
	res, err := c.GetObject(t.Context(), &ossv2.GetObjectRequest{Bucket: &bucket, Key: &key})
	must(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	must(t, err)
	return body
}
