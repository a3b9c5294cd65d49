package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("append",
		testCase{"GrowAndCRC", testAppendGrow},
		testCase{"Errors", testAppendErrors},
		testCase{"FailedAppendLeavesNoTrace", testAppendFailure},
		testCase{"Concurrent", testAppendConcurrent},
	)
}

func (t *T) appendObj(key string, pos int64, data []byte) (oss.ObjectInfo, error) {
	return t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: key, Size: int64(len(data))}, Position: pos}, bytes.NewReader(data))
}

func testAppendGrow(t *T) {
	t.Bucket("bkt")
	var all []byte
	var etags []string
	for i, n := range []int{0, 5, 100 << 10, 3, 70 << 10} {
		chunk := Rand(uint64(i+40), n)
		var info oss.ObjectInfo
		var err error
		if i == 0 {
			info, err = t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "log", Size: 0,
				Meta: oss.Metadata{ContentType: "text/log"}, ACL: oss.ACLPublicRead}, Position: 0}, bytes.NewReader(nil))
		} else {
			info, err = t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "log", Size: int64(n),
				Meta: oss.Metadata{ContentType: "ignored"}}, Position: int64(len(all))}, bytes.NewReader(chunk))
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, chunk...)
		if info.Type != oss.TypeAppendable || info.Size != int64(len(all)) || info.CRC64 != checksum.CRC64(all) || info.ETag == "" {
			t.Fatalf("append %d: %+v", i, info)
		}
		etags = append(etags, info.ETag)
		got, gi := t.Get("bkt", "log", "")
		if !bytes.Equal(got, all) || gi.Meta.ContentType != "text/log" || gi.ACL != oss.ACLPublicRead || gi.CRC64 != info.CRC64 || gi.ETag != info.ETag {
			t.Fatalf("read after append %d: %+v", i, gi)
		}
	}
	if etags[1] == etags[2] || etags[2] == etags[3] {
		t.Fatalf("ETag did not change: %v", etags)
	}
	var positions []int64
	for _, ev := range t.Events() {
		if ev.Key == "log" {
			if ev.Name != oss.ObjectCreatedAppend || ev.Record.OSS.Object.Position == nil {
				t.Fatalf("event %+v", ev)
			}
			positions = append(positions, *ev.Record.OSS.Object.Position)
		}
	}
	if len(positions) != 5 || positions[2] != 5 || positions[4] != 5+100<<10+3 {
		t.Fatalf("positions %v", positions)
	}
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.ObjectCount != 1 || st.Storage != int64(len(all)) {
		t.Fatalf("stat %+v", st)
	}
	// A put replaces an appendable object with a normal one.
	t.Put("bkt", "log", []byte("x"))
	_, err := t.appendObj("log", 1, []byte("y"))
	t.Code(err, oss.ObjectNotAppendable)
}

func testAppendErrors(t *T) {
	t.Bucket("bkt")
	t.Put("bkt", "normal", []byte("abc"))
	_, err := t.appendObj("normal", 3, []byte("d"))
	t.Code(err, oss.ObjectNotAppendable)
	_, err = t.appendObj("new", 5, []byte("d"))
	t.Code(err, oss.PositionNotEqualToLength)
	var e *oss.Error
	if !errors.As(err, &e) || e.NextAppendPosition != 0 {
		t.Fatalf("next position of a new object: %+v", e)
	}
	if _, err := t.appendObj("a", 0, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int64{0, 4, 6} {
		_, err = t.appendObj("a", pos, []byte("x"))
		t.Code(err, oss.PositionNotEqualToLength)
		if !errors.As(err, &e) || e.NextAppendPosition != 5 {
			t.Fatalf("next position: %+v", e)
		}
	}
	_, err = t.appendObj("a", -1, []byte("x"))
	t.Code(err, oss.InvalidArgument)
	_, err = t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "nope-b", Key: "a", Size: 1}}, strings.NewReader("x"))
	t.Code(err, oss.NoSuchBucket)
	_, err = t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "", Size: 1}}, strings.NewReader("x"))
	t.Code(err, oss.InvalidObjectName)
}

func testAppendFailure(t *T) {
	t.Bucket("bkt")
	if _, err := t.appendObj("a", 0, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	// Short body and bad digest: nothing appended, same next position.
	_, err := t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "a", Size: 100 << 10}, Position: 5},
		bytes.NewReader(Rand(1, 1000)))
	t.Code(err, oss.IncompleteBody)
	_, err = t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "a", Size: 3, ContentMD5: MD5([]byte("xyz"))}, Position: 5},
		strings.NewReader("abc"))
	t.Code(err, oss.InvalidDigest)
	info, err := t.appendObj("a", 5, []byte(" world"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := t.Get("bkt", "a", "")
	if string(got) != "hello world" || info.CRC64 != checksum.CRC64([]byte("hello world")) {
		t.Fatalf("got %q", got)
	}
	if n := len(t.EventNames("a")); n != 2 {
		t.Fatalf("%d events, want 2", n)
	}
	// A failed first append creates nothing.
	_, err = t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "b", Size: 10}}, strings.NewReader("abc"))
	t.Code(err, oss.IncompleteBody)
	_, _, err = t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "b"})
	t.Code(err, oss.NoSuchKey)
}

// Concurrent appenders race for positions; each chunk lands exactly once,
// whole, and the CRC covers the final content.
func testAppendConcurrent(t *T) {
	t.Bucket("bkt")
	const writers, chunks = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			pos := int64(0)
			for c := 0; c < chunks; c++ {
				chunk := []byte(fmt.Sprintf("<%d:%d:%s>", w, c, strings.Repeat("x", 1+(w*c)%50)))
				for {
					_, err := t.appendObj("log", pos, chunk)
					var e *oss.Error
					if errors.As(err, &e) && e.Code == oss.PositionNotEqualToLength {
						pos = e.NextAppendPosition
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					pos += int64(len(chunk))
					break
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, info := t.Get("bkt", "log", "")
	if info.CRC64 != checksum.CRC64(got) {
		t.Fatal("CRC does not cover the content")
	}
	for w := 0; w < writers; w++ {
		for c := 0; c < chunks; c++ {
			chunk := fmt.Sprintf("<%d:%d:%s>", w, c, strings.Repeat("x", 1+(w*c)%50))
			if strings.Count(string(got), chunk) != 1 {
				t.Fatalf("chunk %s appears %d times", chunk, strings.Count(string(got), chunk))
			}
		}
	}
	if n := len(t.EventNames("log")); n != writers*chunks {
		t.Fatalf("%d events for %d appends", n, writers*chunks)
	}
}
