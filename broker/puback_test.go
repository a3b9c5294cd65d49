package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

func TestParsePubAck(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    pubAck
		wantErr error
		apiCode int
	}{
		{name: "template", in: `{"stream":"OSSFLOW_EVENTS","seq":42}`, want: pubAck{Sequence: 42}},
		{name: "duplicate", in: `{"stream":"S","seq":7,"duplicate": true}`, want: pubAck{Sequence: 7, Duplicate: true}},
		{name: "duplicate without space", in: `{"stream":"S","seq":7,"duplicate":true}`, want: pubAck{Sequence: 7, Duplicate: true}},
		{name: "domain", in: `{"stream":"S","domain":"hub","seq":18446744073709551615}`, want: pubAck{Sequence: 1<<64 - 1}},
		{name: "other field order", in: `{"seq":5,"stream":"S"}`, want: pubAck{Sequence: 5}},
		{name: "batch fields", in: `{"stream":"S","seq":9,"duplicate": true,"batch":"b1","count":3}`, want: pubAck{Sequence: 9, Duplicate: true}},
		{name: "escaped stream name", in: `{"stream":"S\"x","seq":3}`, want: pubAck{Sequence: 3}},
		{name: "stream error", in: `{"error":{"code":400,"err_code":10071,"description":"wrong last msg ID: abc"},"stream":"S","seq":0}`,
			apiCode: 400},
		{name: "no stream", in: `{"seq":3}`, wantErr: errPubAckMalformed},
		{name: "not JSON", in: `PONG`, wantErr: errPubAckMalformed},
		{name: "empty", in: ``, wantErr: errPubAckMalformed},
		{name: "seq overflow", in: `{"stream":"S","seq":18446744073709551616}`, wantErr: errPubAckMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePubAck([]byte(tc.in))
			var ae *jetstream.APIError
			switch {
			case tc.apiCode != 0:
				if !errors.As(err, &ae) || ae.Code != tc.apiCode || ae.ErrorCode != 10071 {
					t.Fatalf("err = %v, want the stream's API error %d", err, tc.apiCode)
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case got != tc.want:
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzParsePubAck: whatever the reply, the template reader agrees with
// encoding/json whenever it accepts one.
func FuzzParsePubAck(f *testing.F) {
	for _, s := range []string{
		`{"stream":"S","seq":42}`, `{"stream":"S","seq":7,"duplicate": true}`, `{"stream":"S","domain":"d","seq":1}`,
		`{"stream":"S","seq":01}`, `{"stream":"","seq":1}`, `{"stream":"S","seq":1,"duplicate": false}`,
		`{"error":{"code":503,"description":"x"}}`, `{"stream":"S\u0041","seq":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ack, ok := parsePubAckTemplate(b)
		got, err := parsePubAck(b)
		if !ok {
			return
		}
		var ref struct {
			Stream    string `json:"stream"`
			Sequence  uint64 `json:"seq"`
			Duplicate bool   `json:"duplicate"`
		}
		if jerr := json.Unmarshal(b, &ref); jerr != nil {
			t.Fatalf("template reader accepted %q, encoding/json refuses it: %v", b, jerr)
		}
		if ref.Stream == "" || ack.Sequence != ref.Sequence || ack.Duplicate != ref.Duplicate {
			t.Fatalf("%q: template %+v, encoding/json %+v", b, ack, ref)
		}
		if err != nil || got != ack {
			t.Fatalf("%q: parsePubAck %+v %v, template %+v", b, got, err, ack)
		}
	})
}

// TestAckInboxDecode: a reply's token comes from its subject; a status
// message without a body is "no stream".
func TestAckInboxDecode(t *testing.T) {
	a := &ackInbox{prefix: "_INBOX.x."}
	tok, reply := a.reply()
	if tok != 1 || reply != "_INBOX.x.1" {
		t.Fatalf("reply() = %d %q", tok, reply)
	}
	tests := []struct {
		name    string
		msg     *nats.Msg
		token   uint64
		want    pubAck
		wantErr error
	}{
		{name: "PubAck", msg: &nats.Msg{Subject: "_INBOX.x.12", Data: []byte(`{"stream":"S","seq":5}`)}, token: 12, want: pubAck{Sequence: 5}},
		{name: "no responders", msg: &nats.Msg{Subject: "_INBOX.x.3", Header: nats.Header{"Status": {"503"}}}, token: 3,
			wantErr: jetstream.ErrNoStreamResponse},
		{name: "foreign subject", msg: &nats.Msg{Subject: "_INBOX.y.3", Data: []byte(`{"stream":"S","seq":5}`)}, wantErr: errPubAckMalformed},
		{name: "bad token", msg: &nats.Msg{Subject: "_INBOX.x.z", Data: []byte(`{"stream":"S","seq":5}`)}, wantErr: errPubAckMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, ack, err := a.decode(tc.msg)
			if tok != tc.token || ack != tc.want || !errors.Is(err, tc.wantErr) {
				t.Fatalf("decode = %d %+v %v, want %d %+v %v", tok, ack, err, tc.token, tc.want, tc.wantErr)
			}
		})
	}
}

// TestRelayRecoversWhenPubAcksDoNotCome: with the stream gone, a publish
// gets either no reply at all (a plain subscriber takes the subject: the
// publish times out) or a "no responders" status; either way the relay
// backs off, resyncs (recreating the stream) and publishes every event
// exactly once, in order.
func TestRelayRecoversWhenPubAcksDoNotCome(t *testing.T) {
	for _, silent := range []bool{true, false} {
		t.Run(fmt.Sprintf("silent=%v", silent), func(t *testing.T) {
			ob := newFakeOutbox()
			cfg := testConfig(t, ob)
			cfg.PublishTimeout = 300 * time.Millisecond
			b := startBroker(t, cfg)
			reg := prometheus.NewRegistry()
			if err := b.Register(reg); err != nil {
				t.Fatal(err)
			}
			for range 10 {
				ob.add("b", "k", oss.ObjectCreatedPut)
			}
			waitPublished(t, b, 10, 10*time.Second)

			ctx := context.Background()
			if silent {
				sub, err := b.JetStream().Conn().SubscribeSync(events.DefaultSubjectPrefix + ".>")
				if err != nil {
					t.Fatal(err)
				}
				defer sub.Unsubscribe()
			}
			if err := b.JetStream().DeleteStream(ctx, b.Stream()); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for range 10 {
				ids = append(ids, ob.add("b", "k", oss.ObjectCreatedPut).ID)
			}
			waitPublished(t, b, 20, 15*time.Second)
			evs, err := streamEvents(ctx, b.JetStream(), b.Stream())
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != len(ids) {
				t.Fatalf("the recreated stream holds %d events, want %d", len(evs), len(ids))
			}
			for i, e := range evs {
				if e.Seq != uint64(11+i) || e.ID != ids[i] {
					t.Fatalf("stream message %d is event %d %s, want %d %s", i+1, e.Seq, e.ID, 11+i, ids[i])
				}
			}
			if n := gather(t, reg)[`ossflow_events_errors_total{stage="publish"}`]; n < 1 {
				t.Fatalf("publish errors = %v, want the missing PubAck counted", n)
			}
		})
	}
}
