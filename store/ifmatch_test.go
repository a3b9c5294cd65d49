package store

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

// ifMatchSnapshot is everything a write that fails its precondition must
// leave as it was: the bucket's versions (records, ETags, delete markers),
// its counters, its uploads, the blob files and the outbox.
type ifMatchSnapshot struct {
	versions []oss.ObjectInfo
	stat     oss.BucketStat
	uploads  []oss.MultipartUpload
	blobs    []string
	events   int
}

func (e *testEnv) ifMatchSnapshot(bucket string) ifMatchSnapshot {
	e.t.Helper()
	vs, err := e.s.ListObjectVersions(bg, oss.ListVersionsInput{Bucket: bucket})
	if err != nil {
		e.t.Fatal(err)
	}
	st, err := e.s.BucketStat(bg, bucket)
	if err != nil {
		e.t.Fatal(err)
	}
	ups, err := e.s.ListMultipartUploads(bg, oss.ListUploadsInput{Bucket: bucket})
	if err != nil {
		e.t.Fatal(err)
	}
	return ifMatchSnapshot{versions: vs.Versions, stat: st, uploads: ups.Uploads, blobs: blobNames(e.t, e.dir), events: len(e.events())}
}

// ifMatchCase is one conditional write: the state of bucket/key before it,
// the If-Match value (derived from the current ETag and the ETag of an
// older version) and the expected outcome.
type ifMatchCase struct {
	name      string
	versioned bool
	state     string // "absent", "object", or "marker" (a delete marker is current; versioned only)
	ifMatch   func(cur, older string) string
	forbid    bool     // ForbidOverwrite as well
	want      oss.Code // InternalError: the write succeeds
	noneMatch string   // IfNoneMatch
}

func ifMatchCases() []ifMatchCase {
	cur := func(c, _ string) string { return c }
	lit := func(v string) func(string, string) string { return func(string, string) string { return v } }
	some := lit(`"0123456789ABCDEF0123456789ABCDEF"`)
	return []ifMatchCase{
		{"match quoted", false, "object", cur, false, oss.InternalError, ""},
		{"match unquoted", false, "object", func(c, _ string) string { return strings.Trim(c, `"`) }, false, oss.InternalError, ""},
		{"match lower case", false, "object", func(c, _ string) string { return strings.ToLower(c) }, false, oss.InternalError, ""},
		{"match in a list", false, "object", func(c, _ string) string { return `"00", ` + c }, false, oss.InternalError, ""},
		{"mismatch", false, "object", some, false, oss.PreconditionFailed, ""},
		{"missing key", false, "absent", some, false, oss.NoSuchKey, ""},
		{"star exists", false, "object", lit("*"), false, oss.InternalError, ""},
		{"star missing", false, "absent", lit("*"), false, oss.NoSuchKey, ""},
		{"match with forbid overwrite", false, "object", cur, true, oss.FileAlreadyExists, ""},
		{"mismatch with forbid overwrite", false, "object", some, true, oss.PreconditionFailed, ""},
		{"missing with forbid overwrite", false, "absent", some, true, oss.NoSuchKey, ""},
		{"versioned match current", true, "object", cur, false, oss.InternalError, ""},
		{"versioned match only an older version", true, "object", func(_, o string) string { return o }, false, oss.PreconditionFailed, ""},
		{"versioned delete marker current", true, "marker", func(_, o string) string { return o }, false, oss.NoSuchKey, ""},
		{"versioned delete marker star", true, "marker", lit("*"), false, oss.NoSuchKey, ""},
		{"versioned match with forbid overwrite", true, "object", cur, true, oss.InternalError, ""}, // forbid-overwrite is off in versioned buckets (OSS)
		{"none-match on absent", false, "absent", lit(""), false, oss.InternalError, "*"},
		{"none-match on an object", false, "object", lit(""), false, oss.PreconditionFailed, "*"},
		{"none-match versioned, object current", true, "object", lit(""), false, oss.PreconditionFailed, "*"}, // unlike ForbidOverwrite
		{"none-match versioned, marker current", true, "marker", lit(""), false, oss.InternalError, "*"},
		{"none-match and match", false, "object", cur, false, oss.PreconditionFailed, "*"},
		{"none-match other than star", false, "absent", lit(""), false, oss.InvalidArgument, "abc"},
	}
}

// setup prepares bucket "bkt" and key "k" for c and returns the current
// ETag ("" when there is no current object) and an older version's.
func (c ifMatchCase) setup(e *testEnv) (cur, older string) {
	e.t.Helper()
	e.bucket("bkt")
	if c.versioned {
		if err := e.s.PutBucketVersioning(bg, "bkt", oss.VersioningEnabled); err != nil {
			e.t.Fatal(err)
		}
		older = e.put("bkt", "k", []byte("first version")).ETag
	}
	switch c.state {
	case "object":
		cur = e.put("bkt", "k", bytes.Repeat([]byte("o"), 100)).ETag
	case "marker":
		if _, err := e.s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: "bkt", Key: "k"}); err != nil {
			e.t.Fatal(err)
		}
	}
	return cur, older
}

// checkOutcome verifies the write's result: on success the new data is
// current and one event was recorded; on failure nothing changed.
func (c ifMatchCase) checkOutcome(e *testEnv, before ifMatchSnapshot, err error, want []byte, event oss.EventName) {
	e.t.Helper()
	wantCode(e.t, err, c.want)
	if c.want != oss.InternalError {
		if after := e.ifMatchSnapshot("bkt"); !reflect.DeepEqual(before, after) {
			e.t.Fatalf("failed write changed the store:\nbefore %+v\nafter  %+v", before, after)
		}
		return
	}
	got, _ := e.get("bkt", "k", "")
	if !bytes.Equal(got, want) {
		e.t.Fatalf("content %q, want %q", got, want)
	}
	evs := e.events()
	if len(evs) != before.events+1 || evs[len(evs)-1].Name != event {
		e.t.Fatalf("%d events (was %d), last %+v; want one more %s", len(evs), before.events, evs[len(evs)-1], event)
	}
}

// PutObject with IfMatch: written only over a current version with that
// ETag; otherwise NoSuchKey or PreconditionFailed, nothing stored (the body,
// a blob file here, is discarded) and no event.
func TestPutObjectIfMatch(t *testing.T) {
	for _, c := range ifMatchCases() {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{InlineThreshold: 64})
			cur, older := c.setup(e)
			before := e.ifMatchSnapshot("bkt")
			body := bytes.Repeat([]byte("n"), 1000) // a blob file
			_, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: int64(len(body)),
				IfMatch: c.ifMatch(cur, older), IfNoneMatch: c.noneMatch, ForbidOverwrite: c.forbid}, bytes.NewReader(body))
			c.checkOutcome(e, before, err, body, oss.ObjectCreatedPut)
		})
	}
}

// CompleteMultipartUpload with IfMatch: as PutObject, and a completion that
// fails its precondition leaves the upload and its parts as they were, so
// the client can complete it afterwards.
func TestCompleteMultipartIfMatch(t *testing.T) {
	for _, c := range ifMatchCases() {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{InlineThreshold: 64})
			cur, older := c.setup(e)
			u, err := e.s.InitiateMultipartUpload(bg, oss.PutObjectInput{Bucket: "bkt", Key: "k"})
			if err != nil {
				t.Fatal(err)
			}
			data := bytes.Repeat([]byte("p"), 1000)
			p, err := e.s.UploadPart(bg, oss.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: u.UploadID, PartNumber: 1, Size: int64(len(data))}, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			in := oss.CompleteMultipartInput{Bucket: "bkt", Key: "k", UploadID: u.UploadID,
				Parts: []oss.CompletePart{{PartNumber: 1, ETag: p.ETag}}, IfMatch: c.ifMatch(cur, older), IfNoneMatch: c.noneMatch, ForbidOverwrite: c.forbid}
			before := e.ifMatchSnapshot("bkt")
			_, err = e.s.CompleteMultipartUpload(bg, in)
			c.checkOutcome(e, before, err, data, oss.ObjectCreatedCompleteMultipart)
			if c.want == oss.InternalError {
				return
			}
			in.IfMatch, in.IfNoneMatch, in.ForbidOverwrite = "", "", false
			if _, err := e.s.CompleteMultipartUpload(bg, in); err != nil {
				t.Fatalf("completing after the failed precondition: %v", err)
			}
			if got, _ := e.get("bkt", "k", ""); !bytes.Equal(got, data) {
				t.Fatalf("completed content %q", got)
			}
		})
	}
}

// CopyObject honours the destination's IfMatch too.
func TestCopyObjectIfMatch(t *testing.T) {
	e := newEnv(t, Options{})
	e.bucket("bkt")
	e.put("bkt", "src", []byte("source"))
	dst := e.put("bkt", "dst", []byte("destination"))
	copyTo := func(key, ifMatch string) error {
		_, err := e.s.CopyObject(bg, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "src", Dest: oss.PutObjectInput{Bucket: "bkt", Key: key, IfMatch: ifMatch}})
		return err
	}
	n := len(e.events())
	wantCode(t, copyTo("dst", `"00"`), oss.PreconditionFailed)
	wantCode(t, copyTo("absent", "*"), oss.NoSuchKey)
	if got, _ := e.get("bkt", "dst", ""); string(got) != "destination" || len(e.events()) != n {
		t.Fatalf("failed copies changed the destination (%q) or recorded events", got)
	}
	wantCode(t, copyTo("dst", dst.ETag), oss.InternalError)
	if got, _ := e.get("bkt", "dst", ""); string(got) != "source" {
		t.Fatalf("copy with a matching If-Match: %q", got)
	}
}
