package broker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

func TestEncode(t *testing.T) {
	when := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	ev := oss.Event{
		Seq: 12, ID: "0123abcd", BucketSeq: 5, Name: oss.ObjectCreatedPut, Bucket: "photos",
		Key: "dir/a b%.jpg", VersionID: "v9", Time: when, Origin: "function:thumb",
		Record: oss.EventRecord{
			EventName: "ObjectCreated:PutObject", EventID: "0123abcd",
			OSS: oss.EventOSS{
				Bucket: oss.EventBucket{Name: "photos", ARN: "acs:oss:cn-hangzhou:1:photos"},
				Object: oss.EventObject{Sequencer: "0000000000000005"},
			},
		},
	}
	// The ID is Nats-Msg-Id; the per-bucket sequence is in the record.
	base := nats.Header{
		"Nats-Msg-Id":        {"0123abcd"},
		"Ossflow-Bucket":     {"photos"},
		"Ossflow-Key":        {"dir/a b%25.jpg"},
		"Ossflow-Event-Name": {"ObjectCreated:PutObject"},
		"Ossflow-Seq":        {"12"},
		"Ossflow-Version-Id": {"v9"},
		"Ossflow-Origin":     {"function:thumb"},
	}
	withCE := func(src string) nats.Header {
		h := nats.Header{}
		for k, v := range base {
			h[k] = v
		}
		h["ce-specversion"] = []string{"1.0"}
		h["ce-id"] = []string{"0123abcd"}
		h["ce-source"] = []string{src}
		h["ce-type"] = []string{"oss:ObjectCreated:PutObject"}
		h["ce-time"] = []string{"2026-03-04T05:06:07.89Z"}
		h["ce-subject"] = []string{"dir/a b%25.jpg"}
		h["content-type"] = []string{"application/json"}
		return h
	}
	tests := []struct {
		name string
		enc  encoder
		want nats.Header
	}{
		{"plain", encoder{prefix: "ossflow.events"}, base},
		{"cloudevents", encoder{prefix: "ossflow.events", cloudEvents: true}, withCE("acs:oss:cn-hangzhou:1:photos")},
		{"cloudevents source", encoder{prefix: "ossflow.events", cloudEvents: true, ceSource: "urn:x"}, withCE("urn:x")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.enc.encode(&ev)
			if m.Subject != "ossflow.events.photos.ObjectCreated.PutObject" {
				t.Errorf("subject %q", m.Subject)
			}
			if len(m.Header) != len(tc.want) {
				t.Errorf("headers %v, want %v", m.Header, tc.want)
			}
			for k, v := range tc.want {
				if got := m.Header.Get(k); got != v[0] {
					t.Errorf("header %s = %q, want %q", k, got, v[0])
				}
			}
			want, _ := ev.Payload()
			if string(m.Data) != string(want) {
				t.Errorf("payload %s, want %s", m.Data, want)
			}
			var env oss.EventEnvelope
			if err := json.Unmarshal(m.Data, &env); err != nil || len(env.Events) != 1 {
				t.Errorf("payload is not {\"events\":[record]}: %v", err)
			}
			got, err := events.Decode(m.Header, m.Data)
			if err != nil || got.ID != ev.ID || got.Key != ev.Key || got.Seq != 12 || got.BucketSeq != 5 || got.Origin != "function:thumb" {
				t.Errorf("Decode = %+v, %v", got, err)
			}
		})
	}
	// No version id, no key (bucket event): headers omitted.
	bev := oss.Event{Seq: 1, ID: "x", BucketSeq: 1, Name: oss.BucketCreated, Bucket: "b", Time: when}
	m := (&encoder{prefix: "p", cloudEvents: true}).encode(&bev)
	if _, ok := m.Header["Ossflow-Version-Id"]; ok {
		t.Error("Ossflow-Version-Id set for an unversioned event")
	}
	if _, ok := m.Header["Ossflow-Origin"]; ok {
		t.Error("Ossflow-Origin set for a client write")
	}
	if _, ok := m.Header["ce-subject"]; ok {
		t.Error("ce-subject set for a bucket event")
	}
	if m.Header.Get("ce-source") != "/ossflow/b" {
		t.Errorf("ce-source = %q without an ARN", m.Header.Get("ce-source"))
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		wantErr    bool
		wantHold   time.Duration
		wantWindow time.Duration
	}{
		{"embedded", Config{DataDir: "d"}, false, 2 * time.Second, 15 * time.Second},
		{"no data dir", Config{}, true, 0, 0},
		{"external R1", Config{URLs: []string{"nats://x:4222"}}, false, 4 * time.Minute, 4*time.Minute + 10*time.Second},
		{"external R3", Config{URLs: []string{"nats://x:4222"}, Replicas: 3}, false, 0, 15 * time.Second},
		{"no hold", Config{DataDir: "d", DurabilityHold: -1}, false, 0, 15 * time.Second},
		{"window below retry horizon", Config{DataDir: "d", DuplicateWindow: time.Second}, true, 0, 0},
		{"long hold, long window", Config{DataDir: "d", DurabilityHold: time.Minute}, false, time.Minute, time.Minute + 10*time.Second},
		{"window below hold", Config{DataDir: "d", DurabilityHold: time.Hour, DuplicateWindow: time.Minute}, true, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			err := cfg.setDefaults()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if cfg.DurabilityHold != tc.wantHold || cfg.DuplicateWindow != tc.wantWindow {
				t.Fatalf("hold %v window %v, want %v %v", cfg.DurabilityHold, cfg.DuplicateWindow, tc.wantHold, tc.wantWindow)
			}
			if cfg.Logger == nil || cfg.Stream != events.DefaultStream || cfg.MaxInFlight != 256 {
				t.Fatalf("defaults not applied: %+v", cfg)
			}
		})
	}
}

// TestFillReusesAMessage: filling one message for a series of events
// (the relay's path for publishes without a PubAck) gives each the same
// subject, headers and body as a fresh encode, with nothing left over
// from the event before, and the chain header where asked.
func TestFillReusesAMessage(t *testing.T) {
	when := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	evs := []oss.Event{
		{Seq: 1, ID: "a1", BucketSeq: 1, Name: oss.ObjectCreatedPut, Bucket: "b1", Key: "k1", VersionID: "v1", Origin: "function:f", Time: when,
			RawPayload: []byte(`{"events":[{"eventName":"ObjectCreated:PutObject"}]}`)},
		{Seq: 2, ID: "a2", BucketSeq: 7, Name: oss.ObjectRemovedDelete, Bucket: "bucket-two", Key: "some/longer key", Time: when,
			RawPayload: []byte(`{"events":[{"eventName":"ObjectRemoved:DeleteObject"}]}`)},
		{Seq: 3, ID: "a3", BucketSeq: 1, Name: oss.BucketCreated, Bucket: "b3", Time: when},
	}
	for _, ce := range []bool{false, true} {
		enc := encoder{prefix: "p", cloudEvents: ce}
		m := nats.Msg{Header: nats.Header{}}
		var vals []string
		for i := range evs {
			want := enc.encode(&evs[i])
			vals = enc.fill(&m, &evs[i], vals)
			if i > 0 {
				vals = setExpectedLastMsgID(&m, vals, evs[i-1].ID)
				want.Header[headerExpectedLastMsgID] = []string{evs[i-1].ID}
			}
			if m.Subject != want.Subject || string(m.Data) != string(want.Data) {
				t.Fatalf("ce=%v event %d: subject %q body %s, want %q %s", ce, i, m.Subject, m.Data, want.Subject, want.Data)
			}
			if len(m.Header) != len(want.Header) {
				t.Fatalf("ce=%v event %d: headers %v, want %v", ce, i, m.Header, want.Header)
			}
			for k, v := range want.Header {
				if got := m.Header[k]; len(got) != 1 || got[0] != v[0] {
					t.Fatalf("ce=%v event %d: header %s = %q, want %q", ce, i, k, got, v)
				}
			}
		}
	}
}

// encode builds a new message for e with fill: the reference a reused
// message is compared with. The body is a copy of e.RawPayload.
func (c *encoder) encode(e *oss.Event) *nats.Msg {
	n := c.headerCount()
	m := &nats.Msg{Header: make(nats.Header, n)}
	c.fill(m, e, make([]string, 0, n))
	if e.RawPayload != nil { // only valid during the outbox read
		m.Data = append(make([]byte, 0, len(e.RawPayload)), e.RawPayload...)
	}
	return m
}
