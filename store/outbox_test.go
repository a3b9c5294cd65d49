package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
)

func TestOutbox(t *testing.T) {
	e := newEnv(t, Options{OutboxLimit: 5, Region: "cn-shanghai"})
	s := e.s
	select {
	case <-s.OutboxNotify():
		t.Fatal("notify before any commit")
	default:
	}
	e.bucket("bk1") // event 1
	<-s.OutboxNotify()
	ctx := oss.WithRequestInfo(bg, oss.RequestInfo{RequestID: "REQ1", SourceIP: "10.0.0.1", PrincipalID: "p1", Origin: "function:thumb"})
	if _, err := s.PutObject(ctx, oss.PutObjectInput{Bucket: "bk1", Key: "a/b.txt", Size: 5}, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	evs := e.events()
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[1]
	if ev.Seq != 2 || ev.BucketSeq != 2 || ev.Name != oss.ObjectCreatedPut || ev.Bucket != "bk1" || ev.Key != "a/b.txt" || ev.ID == "" || ev.ID == evs[0].ID || ev.Origin != "function:thumb" || evs[0].Origin != "" {
		t.Fatalf("event %+v", ev)
	}
	p, err := ev.Payload()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal(p, &doc); err != nil {
		t.Fatal(err)
	}
	rec := doc["events"][0]
	get := func(path ...string) any {
		var v any = rec
		for _, k := range path {
			v = v.(map[string]any)[k]
		}
		return v
	}
	checks := map[string]any{
		"eventName":                         "ObjectCreated:PutObject",
		"eventSource":                       "acs:oss",
		"eventVersion":                      "1.0",
		"eventId":                           ev.ID,
		"region":                            "cn-shanghai",
		"oss.bucket.arn":                    "acs:oss:cn-shanghai:1234567890:bk1",
		"oss.bucket.name":                   "bk1",
		"oss.bucket.ownerIdentity":          "1234567890",
		"oss.object.key":                    "a/b.txt",
		"oss.object.size":                   5.0,
		"oss.object.deltaSize":              5.0,
		"oss.object.eTag":                   "5D41402ABC4B2A76B9719D911017C592",
		"oss.object.sequencer":              "0000000000000002",
		"oss.ossSchemaVersion":              "1.0",
		"oss.ruleId":                        "",
		"requestParameters.sourceIPAddress": "10.0.0.1",
		"responseElements.requestId":        "REQ1",
		"userIdentity.principalId":          "p1",
	}
	for path, want := range checks {
		if got := get(strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if tm, err := time.Parse(eventTimeLayout, rec["eventTime"].(string)); err != nil || !tm.Equal(ev.Time.Truncate(time.Millisecond)) {
		t.Errorf("eventTime %v: %v", rec["eventTime"], err)
	}
	// Paging and acknowledgement.
	for i := 0; i < 3; i++ {
		e.put("bk1", fmt.Sprint("k", i), []byte("x"))
	}
	// 5 events: at the limit, writes fail with SlowDown and record nothing.
	_, err = s.PutObject(bg, oss.PutObjectInput{Bucket: "bk1", Key: "over", Size: 1}, strings.NewReader("x"))
	wantCode(t, err, oss.SlowDown)
	if _, err := s.HeadObject(bg, oss.GetObjectInput{Bucket: "bk1", Key: "over"}); !oss.IsCode(err, oss.NoSuchKey) {
		t.Fatal("refused write is visible")
	}
	st := s.OutboxStats()
	if st.Depth != 5 || st.LastSeq != 5 || st.OldestTime.IsZero() {
		t.Fatalf("stats %+v", st)
	}
	page, _ := s.OutboxRead(bg, 2, 2)
	if len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
		t.Fatalf("page %+v", page)
	}
	if err := s.OutboxAck(bg, 3); err != nil {
		t.Fatal(err)
	}
	st = s.OutboxStats()
	if st.Depth != 2 || st.LastSeq != 5 {
		t.Fatalf("stats after ack %+v", st)
	}
	page, _ = s.OutboxRead(bg, 0, 10)
	if len(page) != 2 || page[0].Seq != 4 {
		t.Fatalf("read after ack %+v", page)
	}
	e.put("bk1", "over", []byte("x"))
	e.reopen()
	s = e.s
	st = s.OutboxStats()
	if st.Depth != 3 || st.LastSeq != 6 {
		t.Fatalf("stats after reopen %+v", st)
	}
	if err := s.OutboxAck(bg, 100); err != nil { // clamped to the last seq
		t.Fatal(err)
	}
	if st := s.OutboxStats(); st.Depth != 0 || st.LastSeq != 6 || !st.OldestTime.IsZero() {
		t.Fatalf("stats after full ack %+v", st)
	}
	e.put("bk1", "next", []byte("x"))
	page, _ = s.OutboxRead(bg, 0, 10)
	if len(page) != 1 || page[0].Seq != 7 || page[0].BucketSeq != 7 {
		t.Fatalf("after full ack %+v", page)
	}
}

// Concurrent writers to one key: the final state is exactly one of the
// writes, whole; every write has its event; counters are exact.
func TestConcurrentSameKey(t *testing.T) {
	e := newEnv(t, Options{InlineThreshold: 1024})
	e.bucket("bk1")
	const writers = 16
	const rounds = 8
	datas := map[string][]byte{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				n := 100 + (w*rounds+i)*97
				data := bytes.Repeat([]byte{byte('a' + w)}, n)
				info, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "bk1", Key: "same", Size: int64(n)}, bytes.NewReader(data))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				datas[info.ETag] = data
				mu.Unlock()
				// Concurrent readers always see one whole write.
				got, gi := e.get("bk1", "same", "")
				if want, ok := datasGet(&mu, datas, gi.ETag); ok && !bytes.Equal(got, want) {
					t.Error("read a torn object")
				}
			}
		}(w)
	}
	wg.Wait()
	got, info := e.get("bk1", "same", "")
	if !bytes.Equal(got, datas[info.ETag]) || etagOf(got) != info.ETag {
		t.Fatal("final state is not one whole write")
	}
	n := 0
	for _, ev := range e.events() {
		if ev.Name == oss.ObjectCreatedPut {
			n++
		}
	}
	if n != writers*rounds {
		t.Fatalf("%d events for %d writes", n, writers*rounds)
	}
	st, _ := e.s.BucketStat(bg, "bk1")
	if st.ObjectCount != 1 || st.Storage != int64(len(got)) {
		t.Fatalf("stat %+v", st)
	}
	e.s.SweepBlobs(bg)
	wantFiles := 0
	if len(got) > 1024 {
		wantFiles = 1
	}
	if n := countBlobFiles(t, e.dir); n != wantFiles {
		t.Fatalf("%d blob files", n)
	}
}

func datasGet(mu *sync.Mutex, m map[string][]byte, k string) ([]byte, bool) {
	mu.Lock()
	defer mu.Unlock()
	v, ok := m[k]
	return v, ok
}

// A blob file left by an interrupted write (no ref) is swept; referenced
// and in-flight files are kept.
func TestSweep(t *testing.T) {
	e := newEnv(t, Options{InlineThreshold: 8})
	e.bucket("bk1")
	e.put("bk1", "kept", bytes.Repeat([]byte("x"), 100))
	id, f, err := e.s.blobs.create(e.s.clock.next)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if n := e.s.SweepBlobs(bg); n != 0 {
		t.Fatalf("swept %d in-flight", n)
	}
	e.s.blobs.release(id)
	if n := e.s.SweepBlobs(bg); n != 1 {
		t.Fatalf("swept %d", n)
	}
	got, _ := e.get("bk1", "kept", "")
	if len(got) != 100 {
		t.Fatal("referenced blob lost")
	}
}
