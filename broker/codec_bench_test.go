package broker

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/ossflow/ossflow/oss"
)

func sampleEvent() oss.Event {
	ob := newFakeOutbox()
	e := ob.add("photos", "dir/sub/object-000123.jpg", oss.ObjectCreatedPut)
	e.Record.OSS.Object.ETag = "5EB63BBBE01EEED093CB22BB8F5ACDC3"
	e.Record.OSS.Object.Size = 64
	e.Record.RequestParameters.SourceIPAddress = "127.0.0.1"
	e.Record.ResponseElements.RequestID = "64F1C2D3E4F5A6B7C8D9E0F1"
	e.Record.UserIdentity.PrincipalID = "1234567890"
	return e
}

// BenchmarkEventJSONDecode is what the engine's OutboxRead spends per event
// (it stores the oss.Event as JSON).
func BenchmarkEventJSONDecode(b *testing.B) {
	raw, _ := json.Marshal(sampleEvent())
	b.ReportAllocs()
	for b.Loop() {
		var ev oss.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode is the relay's per-event message building, into a
// reused message as the relay does.
func BenchmarkEncode(b *testing.B) {
	e := sampleEvent()
	enc := encoder{prefix: "ossflow.events"}
	m := nats.Msg{Header: nats.Header{}}
	var vals []string
	b.ReportAllocs()
	for b.Loop() {
		vals = enc.fill(&m, &e, vals)
	}
}

// BenchmarkPayload: encoding/json (oss.Event.Payload) vs appendPayload.
func BenchmarkPayload(b *testing.B) {
	e := sampleEvent()
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Payload(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendPayload", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 1024)
		for b.Loop() {
			buf = appendPayload(buf[:0], &e.Record)
		}
	})
}

// TestAppendPayloadMatchesJSON compares appendPayload with encoding/json
// on records with awkward strings, and fails when oss.EventRecord's shape
// changes (a field appendPayload would not write).
func TestAppendPayloadMatchesJSON(t *testing.T) {
	want := []string{
		"EventName:eventName", "EventSource:eventSource", "EventTime:eventTime", "EventVersion:eventVersion", "EventID:eventId",
		"OSS:oss", "OSS.Bucket:bucket", "OSS.Bucket.ARN:arn", "OSS.Bucket.Name:name", "OSS.Bucket.OwnerIdentity:ownerIdentity",
		"OSS.Bucket.VirtualBucket:virtualBucket", "OSS.Object:object", "OSS.Object.DeltaSize:deltaSize", "OSS.Object.ETag:eTag",
		"OSS.Object.Key:key", "OSS.Object.Size:size", "OSS.Object.VersionID:versionId,omitempty",
		"OSS.Object.Position:position,omitempty", "OSS.Object.Sequencer:sequencer", "OSS.OSSSchemaVersion:ossSchemaVersion",
		"OSS.RuleID:ruleId", "Region:region", "RequestParameters:requestParameters",
		"RequestParameters.SourceIPAddress:sourceIPAddress", "ResponseElements:responseElements",
		"ResponseElements.RequestID:requestId", "UserIdentity:userIdentity", "UserIdentity.PrincipalID:principalId",
	}
	var got []string
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for f := range typ.Fields() {
			got = append(got, prefix+f.Name+":"+f.Tag.Get("json"))
			ft := f.Type
			if ft.Kind() == reflect.Struct {
				walk(prefix+f.Name+".", ft)
			}
		}
	}
	walk("", reflect.TypeFor[oss.EventRecord]())
	if !slices.Equal(got, want) {
		t.Fatalf("oss.EventRecord changed: update appendPayload and this list.\ngot  %q\nwant %q", got, want)
	}

	pos := int64(-7)
	strs := []string{"", "plain", `q"u\o<t>e&`, "ctl\x00\x01\b\f\n\r\t\x1f\x7f", "utf8 中文 🙂", "bad\xff\xfeutf8", "sep\u2028\u2029", "\xe2\x80"}
	for i, s := range strs {
		e := sampleEvent()
		r := &e.Record
		r.EventName, r.OSS.Object.Key, r.OSS.Bucket.VirtualBucket, r.UserIdentity.PrincipalID = s, s, s, s
		r.OSS.Object.DeltaSize = -int64(i) * 1000
		if i%2 == 0 {
			r.OSS.Object.VersionID, r.OSS.Object.Position = s+"v", &pos
		}
		checkPayload(t, r)
	}
}

func checkPayload(t testing.TB, r *oss.EventRecord) {
	t.Helper()
	want, err := json.Marshal(oss.EventEnvelope{Events: []oss.EventRecord{*r}})
	if err != nil {
		t.Fatal(err)
	}
	if got := appendPayload(nil, r); string(got) != string(want) {
		t.Fatalf("appendPayload\n got %s\nwant %s", got, want)
	}
}

func FuzzAppendPayload(f *testing.F) {
	f.Add("k", "id", int64(1), true)
	f.Add("\u2028<>&\xff", "", int64(-5), false)
	f.Fuzz(func(t *testing.T, key, id string, n int64, versioned bool) {
		e := sampleEvent()
		r := &e.Record
		r.OSS.Object.Key, r.EventID, r.OSS.Object.Size, r.Region = key, id, n, key+id
		if versioned {
			r.OSS.Object.VersionID, r.OSS.Object.Position = id, &n
		}
		checkPayload(t, r)
	})
}
