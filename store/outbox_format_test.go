package store

import (
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// TestOutboxFormats: OutboxRead decodes the fields form, and the
// stored-payload and JSON forms of earlier builds (present in a data dir
// after an upgrade), to the same events; OutboxReadRaw returns the scalars
// and a body equal to encoding/json's rendering of the record, in every
// form.
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
		v, ok, err := s.get(eventKey(ev.Seq))
		if err != nil || !ok || v[16] != eventFormatFields {
			t.Fatalf("event %d: stored form %v %v", ev.Seq, ok, err)
		}
		if old := appendPayloadValue(&ev); len(v) > len(old)/2 {
			t.Errorf("event %d: value of %d bytes, the payload form's is %d", ev.Seq, len(v), len(old))
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

	// Rewrite event 2 in the payload form of earlier builds, 3 and 4 in
	// their JSON form.
	b := s.db.NewBatch()
	b.Set(eventKey(want[1].Seq), appendPayloadValue(&want[1]), nil)
	for _, ev := range want[2:4] {
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

// appendPayloadValue is the outbox value of ev in the payload form that
// earlier builds wrote.
func appendPayloadValue(ev *oss.Event) []byte {
	b := binary.BigEndian.AppendUint64(nil, ev.Seq)
	b = binary.BigEndian.AppendUint64(b, ev.BucketSeq)
	b = append(b, eventFormatPayload)
	b = binary.BigEndian.AppendUint64(b, uint64(ev.Time.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(ev.Time.Nanosecond()))
	for _, f := range []string{ev.ID, string(ev.Name), ev.Bucket, ev.Key, ev.VersionID, ev.Origin, ev.Record.OSS.Bucket.ARN} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return oss.AppendEventPayload(b, &ev.Record)
}

// TestOutboxValueRoundTrip: every field of an event survives its outbox
// value, whatever the optional parts.
func TestOutboxValueRoundTrip(t *testing.T) {
	pos := int64(-7)
	when := time.Date(2026, 11, 21, 10, 11, 12, 345678901, time.UTC)
	tests := []outboxEvent{
		{when: when, id: "0123abcd", name: string(oss.ObjectCreatedAppend), bucket: "b", key: "k é\x00", versionID: "v1",
			origin: "function:f", region: "cn-shanghai", owner: "1234", etag: "ETAG-2", sourceIP: "10.0.0.1", requestID: "R1",
			principal: "p", size: 1 << 40, deltaSize: -5, position: &pos},
		{when: time.Unix(0, 0).UTC(), name: string(oss.BucketRemoved), bucket: "b"},
	}
	for i, f := range tests {
		v := appendEventValue(nil, &f)
		binary.BigEndian.PutUint64(v[0:8], uint64(10+i))
		binary.BigEndian.PutUint64(v[8:16], 0xABC)
		got, err := decodeEvent(v)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if want := f.event(uint64(10+i), 0xABC); !reflect.DeepEqual(got, want) {
			t.Fatalf("%d:\n got %+v\nwant %+v", i, got, want)
		}
		if got.Record.OSS.Object.Sequencer != "0000000000000ABC" || got.Record.EventTime != f.when.Format(eventTimeLayout) {
			t.Fatalf("%d: sequencer %q time %q", i, got.Record.OSS.Object.Sequencer, got.Record.EventTime)
		}
		if tm, err := eventTime(v); err != nil || !tm.Equal(f.when) {
			t.Fatalf("%d: eventTime %v %v", i, tm, err)
		}
		for n := range len(v) - 17 { // every truncation is refused
			if _, _, err := decodeEventValue(v[:17+n]); err == nil {
				t.Fatalf("%d: value cut to %d bytes decoded", i, 17+n)
			}
		}
	}
}

func FuzzDecodeEventValue(f *testing.F) {
	ev := outboxEvent{id: "x", name: string(oss.ObjectCreatedPut), bucket: "b", key: "k"}
	f.Add(appendEventValue(nil, &ev))
	old := ev.event(1, 1)
	f.Add(appendPayloadValue(&old))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeEvent(b) // must not panic
		decodeEventValue(b)
		eventTime(b)
	})
}
