package store

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// TestOutboxFormats: OutboxRead decodes the stored-payload form and the
// JSON form of earlier versions (present in a data dir after an upgrade)
// to the same events; OutboxReadRaw returns the scalars and a body equal
// to encoding/json's rendering of the record, in both forms.
func TestOutboxFormats(t *testing.T) {
	e := newEnv(t, Options{Region: "cn-shanghai"})
	s := e.s
	e.bucket("bk1")
	ctx := oss.WithRequestInfo(bg, oss.RequestInfo{RequestID: "R<1>", SourceIP: "10.0.0.1", PrincipalID: "p1", Origin: "function:thumb"})
	for _, k := range []string{"a/b.txt", "odd \"key\"\u2028&<>é", "c"} {
		if _, err := s.PutObject(ctx, oss.PutObjectInput{Bucket: "bk1", Key: k, Size: 5}, strings.NewReader("hello")); err != nil {
			t.Fatal(err)
		}
	}
	want := e.events()
	if len(want) != 4 {
		t.Fatalf("%d events", len(want))
	}
	for _, ev := range want {
		if v, ok, err := s.get(eventKey(ev.Seq)); err != nil || !ok || v[16] != eventFormatPayload {
			t.Fatalf("event %d: stored form %v %v", ev.Seq, ok, err)
		}
	}
	checkRaw := func(want []oss.Event) {
		t.Helper()
		i := 0
		err := s.OutboxReadRaw(bg, 0, 100, func(ev *oss.Event) error {
			w := want[i]
			i++
			body, _ := json.Marshal(oss.EventEnvelope{Events: []oss.EventRecord{w.Record}})
			got, _ := ev.Payload()
			if string(got) != string(body) {
				t.Fatalf("event %d body\n got %s\nwant %s", w.Seq, got, body)
			}
			if ev.Record.OSS.Bucket.ARN != w.Record.OSS.Bucket.ARN {
				t.Fatalf("ARN %q, want %q", ev.Record.OSS.Bucket.ARN, w.Record.OSS.Bucket.ARN)
			}
			c := *ev
			c.Record, c.RawPayload, w.Record = oss.EventRecord{}, nil, oss.EventRecord{}
			if !reflect.DeepEqual(c, w) {
				t.Fatalf("raw event\n got %+v\nwant %+v", c, w)
			}
			return nil
		})
		if err != nil || i != len(want) {
			t.Fatalf("raw read: %d events, %v", i, err)
		}
	}
	checkRaw(want)
	if want[1].Record.OSS.Object.Sequencer != "0000000000000002" || want[0].Record.OSS.Object.Sequencer != "0000000000000001" {
		t.Fatalf("sequencers %q %q", want[0].Record.OSS.Object.Sequencer, want[1].Record.OSS.Object.Sequencer)
	}

	// Rewrite events 2 and 3 in the JSON form of earlier versions.
	b := s.db.NewBatch()
	for _, ev := range want[1:3] {
		old := ev
		old.Seq, old.BucketSeq = 0, 0
		old.Record.OSS.Object.Sequencer = ""
		js, err := json.Marshal(&old)
		if err != nil {
			t.Fatal(err)
		}
		v := binary.BigEndian.AppendUint64(nil, ev.Seq)
		v = binary.BigEndian.AppendUint64(v, ev.BucketSeq)
		b.Set(eventKey(ev.Seq), append(v, js...), nil)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	b.Close()
	got := e.events()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mixed forms\n got %+v\nwant %+v", got, want)
	}
	checkRaw(want)
	if st := s.OutboxStats(); !st.OldestTime.Equal(want[0].Time) {
		t.Fatalf("oldest %v, want %v", st.OldestTime, want[0].Time)
	}
	e.reopen()
	s = e.s
	if got := e.events(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen\n got %+v\nwant %+v", got, want)
	}
}

func FuzzDecodeEventHeader(f *testing.F) {
	ev := oss.Event{ID: "x", Name: oss.ObjectCreatedPut, Bucket: "b", Key: "k"}
	v, _ := appendEventValue(nil, &ev)
	f.Add(v)
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeEvent(b) // must not panic
		decodeEventHeader(b)
	})
}
