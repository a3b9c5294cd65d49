package events

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/ossflow/ossflow/oss"
)

func TestSubject(t *testing.T) {
	tests := []struct {
		prefix, bucket string
		name           oss.EventName
		want           string
	}{
		{"ossflow.events", "photos", oss.ObjectCreatedPut, "ossflow.events.photos.ObjectCreated.PutObject"},
		{"ossflow.events", "a-b-1", oss.BucketRemoved, "ossflow.events.a-b-1.BucketRemoved.DeleteBucket"},
		{"p", "we.ird*>b ucket", oss.ObjectRemovedDelete, "p.we_ird__b_ucket.ObjectRemoved.DeleteObject"},
		{"p", "", "NoColon", "p._.NoColon._"},
	}
	for _, tc := range tests {
		if got := Subject(tc.prefix, tc.bucket, tc.name); got != tc.want {
			t.Errorf("Subject(%q, %q, %q) = %q, want %q", tc.prefix, tc.bucket, tc.name, got, tc.want)
		}
	}
}

func TestFilterSubjects(t *testing.T) {
	tests := []struct {
		name     string
		bucket   string
		patterns []string
		want     []string
		wantErr  bool
	}{
		{"everything", "", nil, []string{"x.*.>"}, false},
		{"one bucket", "b", nil, []string{"x.b.>"}, false},
		{"star", "b", []string{"*"}, []string{"x.b.>"}, false},
		{"oss star", "", []string{"oss:*"}, []string{"x.*.>"}, false},
		{"type wildcard", "b", []string{"ObjectCreated:*"}, []string{"x.b.ObjectCreated.*"}, false},
		{"exact with oss prefix", "", []string{"oss:ObjectRemoved:DeleteObject"}, []string{"x.*.ObjectRemoved.DeleteObject"}, false},
		{"action wildcard", "", []string{"*:PutObject"}, []string{"x.*.*.PutObject"}, false},
		{"overlap merged", "b", []string{"ObjectCreated:PutObject", "ObjectCreated:*", "ObjectRemoved:DeleteObject"},
			[]string{"x.b.ObjectCreated.*", "x.b.ObjectRemoved.DeleteObject"}, false},
		{"duplicates merged", "b", []string{"ObjectCreated:PutObject", "oss:ObjectCreated:PutObject"},
			[]string{"x.b.ObjectCreated.PutObject"}, false},
		{"star wins", "b", []string{"ObjectCreated:PutObject", "*"}, []string{"x.b.>"}, false},
		{"no action", "", []string{"ObjectCreated"}, nil, true},
		{"dot", "", []string{"Object.Created:Put"}, nil, true},
		{"partial wildcard", "", []string{"Object*:Put"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FilterSubjects("x", tc.bucket, tc.patterns...)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("FilterSubjects = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMatchEventName(t *testing.T) {
	tests := []struct {
		pattern string
		name    oss.EventName
		want    bool
	}{
		{"", oss.ObjectCreatedPut, true},
		{"*", oss.ObjectCreatedPut, true},
		{"ObjectCreated:*", oss.ObjectCreatedCopy, true},
		{"oss:ObjectCreated:*", oss.ObjectRemovedDelete, false},
		{"*:DeleteObject", oss.ObjectRemovedDelete, true},
		{"ObjectCreated:PutObject", oss.ObjectCreatedPost, false},
	}
	for _, tc := range tests {
		if got := MatchEventName(tc.pattern, tc.name); got != tc.want {
			t.Errorf("MatchEventName(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestKeyHeaderRoundTrip(t *testing.T) {
	tests := []struct {
		key, wire string
	}{
		{"photos/2024/a.jpg", "photos/2024/a.jpg"},
		{"with space inside.txt", "with space inside.txt"},
		{"中文/ключ/🙂", "中文/ключ/🙂"},
		{"100%", "100%25"},
		{"line\nbreak\r", "line%0Abreak%0D"},
		{" lead", "%20lead"},
		{"trail \t", "trail%20%09"},
		{"   ", "%20%20%20"},
		{"tab\tinside", "tab%09inside"},
		{"del\x7f", "del%7F"},
		{"a+b", "a+b"},
		{"", ""},
	}
	for _, tc := range tests {
		wire := EncodeKeyHeader(tc.key)
		if wire != tc.wire {
			t.Errorf("EncodeKeyHeader(%q) = %q, want %q", tc.key, wire, tc.wire)
		}
		if strings.ContainsAny(wire, "\r\n") {
			t.Errorf("EncodeKeyHeader(%q) = %q has a line break", tc.key, wire)
		}
		back, err := DecodeKeyHeader(wire)
		if err != nil || back != tc.key {
			t.Errorf("DecodeKeyHeader(%q) = %q, %v; want %q", wire, back, err, tc.key)
		}
	}
}

func FuzzKeyHeader(f *testing.F) {
	for _, s := range []string{"a", " x ", "%", "\n", "a/b c%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		wire := EncodeKeyHeader(key)
		if strings.ContainsAny(wire, "\r\n") || strings.TrimSpace(wire) != wire {
			t.Fatalf("EncodeKeyHeader(%q) = %q is not header-safe", key, wire)
		}
		back, err := DecodeKeyHeader(wire)
		if err != nil || back != key {
			t.Fatalf("round trip %q -> %q -> %q, %v", key, wire, back, err)
		}
	})
}

func TestDecode(t *testing.T) {
	body := []byte(`{"events":[{"eventName":"ObjectCreated:PutObject","eventId":"id-1","oss":{"bucket":{"name":"b"},"object":{"key":"k 1","versionId":"v1"}}}]}`)
	seqBody := []byte(`{"events":[{"eventName":"ObjectCreated:PutObject","eventId":"id-1","oss":{"bucket":{"name":"b"},"object":{"key":"k 1","versionId":"v1","sequencer":"000000000000001F"}}}]}`)
	tests := []struct {
		name    string
		h       nats.Header
		data    []byte
		want    Event
		wantErr bool
	}{
		{
			name: "headers",
			h: nats.Header{
				HeaderMsgID: {"id-1"}, HeaderBucket: {"b"}, HeaderKey: {"k 1%25"}, HeaderEventName: {"ObjectCreated:PutObject"},
				HeaderSeq: {"42"}, HeaderVersionID: {"v1"},
			},
			data: seqBody,
			want: Event{ID: "id-1", Seq: 42, BucketSeq: 0x1f, Name: oss.ObjectCreatedPut, Bucket: "b", Key: "k 1%", VersionID: "v1"},
		},
		{
			name: "headers of earlier builds",
			h: nats.Header{
				HeaderEventID: {"id-0"}, HeaderBucket: {"b"}, HeaderKey: {"k 1%25"}, HeaderEventName: {"ObjectCreated:PutObject"},
				HeaderSeq: {"42"}, HeaderBucketSeq: {"7"}, HeaderVersionID: {"v1"},
			},
			data: seqBody,
			want: Event{ID: "id-0", Seq: 42, BucketSeq: 7, Name: oss.ObjectCreatedPut, Bucket: "b", Key: "k 1%", VersionID: "v1"},
		},
		{
			name: "record only",
			h:    nil,
			data: body,
			want: Event{ID: "id-1", Name: oss.ObjectCreatedPut, Bucket: "b", Key: "k 1", VersionID: "v1"},
		},
		{name: "bad json", data: []byte("{"), wantErr: true},
		{name: "two records", data: []byte(`{"events":[{},{}]}`), wantErr: true},
		{name: "bad seq", h: nats.Header{HeaderSeq: {"x"}}, data: body, wantErr: true},
		{name: "bad sequencer", data: []byte(`{"events":[{"oss":{"object":{"sequencer":"xyz"}}}]}`), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.h, tc.data)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			got.Record, got.Data = oss.EventRecord{}, nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestKeyFilter(t *testing.T) {
	tests := []struct {
		f    KeyFilter
		key  string
		want bool
	}{
		{KeyFilter{}, "anything", true},
		{KeyFilter{Prefix: "src/"}, "src/a.zip", true},
		{KeyFilter{Prefix: "src/"}, "dst/a.zip", false},
		{KeyFilter{Suffix: ".zip"}, "src/a.zip", true},
		{KeyFilter{Prefix: "src/", Suffix: ".zip"}, "src/a.tar", false},
		{KeyFilter{Prefix: "a", Suffix: "a"}, "a", true},
	}
	for _, tc := range tests {
		if got := tc.f.Match(tc.key); got != tc.want {
			t.Errorf("%+v.Match(%q) = %v, want %v", tc.f, tc.key, got, tc.want)
		}
	}
}
