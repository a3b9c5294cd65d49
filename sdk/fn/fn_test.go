package fn

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

func withHandlers(t *testing.T, r registry) {
	t.Helper()
	saved := handlers
	handlers = r
	t.Cleanup(func() { handlers = saved })
}

func TestDispatch(t *testing.T) {
	var seen []string
	generic := func(_ Context, in []byte) ([]byte, error) { return append([]byte("generic:"), in...), nil }
	event := func(_ Context, ev EventRecord) error {
		seen = append(seen, ev.EventName+" "+ev.Bucket()+"/"+ev.Key())
		if ev.Key() == "bad" {
			return errors.New("bad key")
		}
		return nil
	}
	httpH := func(_ Context, r *HTTPRequest) (*HTTPResponse, error) {
		return &HTTPResponse{Body: []byte(r.Method + " " + r.URL)}, nil
	}
	events := `{"events":[{"eventName":"ObjectCreated:PutObject","oss":{"bucket":{"name":"b"},"object":{"key":"k1"}}},` +
		`{"eventName":"ObjectRemoved:DeleteObject","oss":{"bucket":{"name":"b"},"object":{"key":"k2"}}}]}`
	tests := []struct {
		name     string
		reg      registry
		input    string
		want     string
		wantSeen []string
		err      string
	}{
		{name: "generic", reg: registry{generic: generic}, input: "raw", want: "generic:raw"},
		{name: "events", reg: registry{event: event, generic: generic}, input: events,
			wantSeen: []string{"ObjectCreated:PutObject b/k1", "ObjectRemoved:DeleteObject b/k2"}},
		{name: "event error stops", reg: registry{event: event},
			input:    `{"events":[{"oss":{"object":{"key":"bad"}}},{"oss":{"object":{"key":"never"}}}]}`,
			wantSeen: []string{" /bad"}, err: "bad key"},
		{name: "http", reg: registry{http: httpH, event: event}, input: `{"method":"GET","url":"/x"}`,
			want: `{"status":200,"body":"R0VUIC94"}`},
		{name: "json for the generic handler", reg: registry{event: event, generic: generic}, input: `{"other":1}`, want: `generic:{"other":1}`},
		{name: "no handler", reg: registry{event: event}, input: "raw", err: "no handler registered"},
		{name: "panic", reg: registry{generic: func(Context, []byte) ([]byte, error) { panic("boom") }}, input: "x", err: "panic: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			withHandlers(t, tc.reg)
			seen = nil
			out, err := dispatch(Context{Context: context.Background()}, []byte(tc.input))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Fatalf("output %q, want %q", out, tc.want)
			}
			if !reflect.DeepEqual(seen, tc.wantSeen) {
				t.Fatalf("events %q, want %q", seen, tc.wantSeen)
			}
		})
	}
}

// TestEventRecordMatchesOSS keeps the SDK's copy of the event types in
// step with package oss: the same document decodes to the same values.
func TestEventRecordMatchesOSS(t *testing.T) {
	pos := int64(42)
	want := oss.EventEnvelope{Events: []oss.EventRecord{{
		EventName: "ObjectCreated:AppendObject", EventSource: "acs:oss", EventTime: "2026-01-02T03:04:05.000Z",
		EventVersion: "1.0", EventID: "id-1", Region: "cn-hangzhou",
		OSS: oss.EventOSS{
			Bucket:           oss.EventBucket{ARN: "acs:oss:cn-hangzhou:1:b", Name: "b", OwnerIdentity: "1", VirtualBucket: "v"},
			Object:           oss.EventObject{DeltaSize: 3, ETag: "E", Key: "k", Size: 45, VersionID: "v1", Position: &pos, Sequencer: "0000000000000007"},
			OSSSchemaVersion: "1.0", RuleID: "r",
		},
		RequestParameters: oss.EventRequestParam{SourceIPAddress: "192.0.2.1"},
		ResponseElements:  oss.EventResponse{RequestID: "req"},
		UserIdentity:      oss.EventUser{PrincipalID: "p"},
	}}}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var mine EventEnvelope
	if err := json.Unmarshal(b, &mine); err != nil {
		t.Fatal(err)
	}
	back, err := json.Marshal(mine)
	if err != nil {
		t.Fatal(err)
	}
	if string(back) != string(b) {
		t.Fatalf("round trip differs:\n oss %s\n fn  %s", b, back)
	}
	// Same field names, in the same order, at every level.
	pairs := [][2]reflect.Type{
		{reflect.TypeFor[oss.EventRecord](), reflect.TypeFor[EventRecord]()},
		{reflect.TypeFor[oss.EventOSS](), reflect.TypeFor[EventOSS]()},
		{reflect.TypeFor[oss.EventBucket](), reflect.TypeFor[EventBucket]()},
		{reflect.TypeFor[oss.EventObject](), reflect.TypeFor[EventObject]()},
	}
	for _, p := range pairs {
		if p[0].NumField() != p[1].NumField() {
			t.Fatalf("%v has %d fields, %v %d", p[0], p[0].NumField(), p[1], p[1].NumField())
		}
		for i := range p[0].NumField() {
			a, b := p[0].Field(i), p[1].Field(i)
			if a.Name != b.Name || a.Tag != b.Tag {
				t.Errorf("%v.%s %q vs %v.%s %q", p[0], a.Name, a.Tag, p[1], b.Name, b.Tag)
			}
		}
	}
}

// TestOutsideTheHost: on the host platform the calls fail clearly.
func TestOutsideTheHost(t *testing.T) {
	ctx := context.Background()
	_, err := OpenObject(ctx, "b", "k")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "only available inside ossflow") {
		t.Fatalf("OpenObject outside the host: %v", err)
	}
	if _, ok := (Context{Context: ctx}).Config("x"); ok {
		t.Fatal("config outside the host")
	}
	var e *Error
	if _, err := ProcessImage(ctx, ImageRequest{}); !errors.As(err, &e) || e.Code != ErrUnavailable {
		t.Fatalf("ProcessImage outside the host: %v", err)
	}
}

func TestErrorMatchesCode(t *testing.T) {
	err := error(&Error{Code: ErrDenied, Message: "object_delete: access denied"})
	wrapped := errors.Join(errors.New("context"), err)
	if !errors.Is(wrapped, ErrDenied) || errors.Is(wrapped, ErrNotFound) {
		t.Fatal("errors.Is by code")
	}
	if got := failStatus(wrapped); got != int32(ErrDenied) {
		t.Fatalf("status of a denial: %d", got)
	}
	if got := failStatus(errors.New("other")); got != int32(ErrInternal) {
		t.Fatalf("status of another error: %d", got)
	}
}
