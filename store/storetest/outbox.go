package storetest

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("outbox",
		testCase{"RecordShape", testEventRecord},
		testCase{"ReadAckStats", testOutboxReadAck},
	)
}

func testEventRecord(t *T) {
	b := t.Bucket("bkt")
	ctx := oss.WithRequestInfo(t.ctx, oss.RequestInfo{RequestID: "REQ1", SourceIP: "10.0.0.1", PrincipalID: "p1"})
	if _, err := t.E.PutObject(ctx, oss.PutObjectInput{Bucket: "bkt", Key: "a/b.txt", Size: 5}, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	evs := t.Events()
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	ev := evs[1]
	if ev.Seq != evs[0].Seq+1 || ev.BucketSeq != 2 || ev.Name != oss.ObjectCreatedPut || ev.Bucket != "bkt" || ev.Key != "a/b.txt" ||
		ev.ID == "" || ev.ID == evs[0].ID || ev.Time.IsZero() {
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
	get := func(path string) any {
		var v any = rec
		for _, k := range strings.Split(path, ".") {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}
	checks := map[string]any{
		"eventName":                         "ObjectCreated:PutObject",
		"eventSource":                       "acs:oss",
		"eventVersion":                      "1.0",
		"eventId":                           ev.ID,
		"region":                            b.Region,
		"oss.bucket.arn":                    "acs:oss:" + b.Region + ":" + b.Owner.ID + ":bkt",
		"oss.bucket.name":                   "bkt",
		"oss.bucket.ownerIdentity":          b.Owner.ID,
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
		if got := get(path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	et, _ := rec["eventTime"].(string)
	if tm, err := time.Parse("2006-01-02T15:04:05.000Z", et); err != nil || tm.Sub(ev.Time.UTC()).Abs() >= time.Millisecond {
		t.Errorf("eventTime %q (%v), event time %v", et, err, ev.Time)
	}
}

func testOutboxReadAck(t *T) {
	t.Bucket("bkt")
	select {
	case <-t.E.OutboxNotify():
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after a commit")
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		t.Put("bkt", k, []byte(k))
	}
	all := t.Events()
	if len(all) != 5 {
		t.Fatalf("%d events", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq != all[i-1].Seq+1 || all[i].BucketSeq != all[i-1].BucketSeq+1 {
			t.Fatalf("sequence not dense: %+v", all)
		}
	}
	first := all[0].Seq
	st := t.E.OutboxStats()
	if st.Depth != 5 || st.LastSeq != all[4].Seq || st.OldestTime.IsZero() {
		t.Fatalf("stats %+v", st)
	}
	page, err := t.E.OutboxRead(t.ctx, first, 2)
	if err != nil || len(page) != 2 || page[0].Seq != first+1 || page[1].Seq != first+2 {
		t.Fatalf("page %+v %v", page, err)
	}
	t.Code(t.E.OutboxAck(t.ctx, first+2), oss.InternalError)
	st = t.E.OutboxStats()
	if st.Depth != 2 {
		t.Fatalf("stats after ack %+v", st)
	}
	rest, _ := t.E.OutboxRead(t.ctx, 0, 100)
	if len(rest) != 2 || rest[0].Seq != first+3 {
		t.Fatalf("after ack %+v", rest)
	}
	t.Code(t.E.OutboxAck(t.ctx, st.LastSeq), oss.InternalError)
	if st := t.E.OutboxStats(); st.Depth != 0 || !st.OldestTime.IsZero() {
		t.Fatalf("drained stats %+v", st)
	}
}
