package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

func TestEventFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    server.EventsConfig
		wantErr bool
	}{
		{"defaults", nil, nil, server.EventsConfig{OutboxLimit: server.DefaultOutboxLimit, Linger: server.DefaultEventLinger}, false},
		{"env", map[string]string{envNATS: "nats://a:4222,nats://b:4222", envNATSUser: "u", envNATSPassword: "pw", envNATSToken: "tok",
			envNATSPort: "-1", envReplicas: "3", envCloudEvents: "true", envOutboxLimit: "500", envEventLinger: "1ms"}, nil,
			server.EventsConfig{NATSURLs: []string{"nats://a:4222", "nats://b:4222"}, NATSUser: "u", NATSPassword: "pw", NATSToken: "tok",
				NATSPort: -1, Replicas: 3, CloudEvents: true, OutboxLimit: 500, Linger: time.Millisecond}, false},
		{"flags beat env", map[string]string{envNATS: "nats://a:4222", envReplicas: "3", envEventLinger: "1ms"},
			[]string{"--nats", "nats://c:4222", "--stream-replicas", "1", "--no-events", "--nats-creds", "/x.creds", "--event-linger", "-1ms"},
			server.EventsConfig{NATSURLs: []string{"nats://c:4222"}, NATSCredentialsFile: "/x.creds", Replicas: 1, Disabled: true,
				OutboxLimit: server.DefaultOutboxLimit, Linger: -time.Millisecond}, false},
		{"bad env int", map[string]string{envReplicas: "three"}, nil, server.EventsConfig{}, true},
		{"bad env duration", map[string]string{envEventLinger: "soon"}, nil, server.EventsConfig{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf, e := parseServerFlags(t, tt.env, tt.args)
			cfg, _, err := sf.config(e)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error for a malformed environment variable")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, want := cfg.Events, tt.want
			if strings.Join(got.NATSURLs, ",") != strings.Join(want.NATSURLs, ",") {
				t.Fatalf("NATSURLs = %v, want %v", got.NATSURLs, want.NATSURLs)
			}
			got.NATSURLs, want.NATSURLs = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("events config = %+v, want %+v", got, want)
			}
		})
	}
}

func TestEventsTailCommand(t *testing.T) {
	ts := servertest.Start(t)
	c := &cli{t: t, env: map[string]string{envEndpoint: ts.Endpoint, envAccessKey: ts.AccessKeyID, envSecret: ts.AccessKeySecret}}
	c.ok("mb", "oss://tailed")
	c.ok("cp", "-", "oss://tailed/a.txt")

	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- doMain(ctx, []string{"events", "tail", "--since", "0", "--bucket", "tailed", "--event", "ObjectCreated:*"},
			envFunc(c.env), strings.NewReader(""), out, io.Discard)
	}()
	c.ok("cp", "-", "oss://tailed/b.txt")
	servertest.CheckFor(t, 20*time.Second, func() error {
		if n := strings.Count(out.String(), "\n"); n < 2 {
			return fmt.Errorf("2 event lines, have %d: %q", n, out.String())
		}
		return nil
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("events tail exited %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for i, want := range []string{"a.txt", "b.txt"} {
		var env oss.EventEnvelope
		if err := json.Unmarshal([]byte(lines[i]), &env); err != nil || len(env.Events) != 1 {
			t.Fatalf("line %d %q: %v", i, lines[i], err)
		}
		if got := env.Events[0].OSS.Object.Key; got != want || env.Events[0].EventName != string(oss.ObjectCreatedPut) {
			t.Fatalf("line %d: %s %s, want PutObject %s", i, env.Events[0].EventName, got, want)
		}
	}
	if r := c.run("", "events", "follow"); r.code != exitUsage {
		t.Fatalf("events follow: exit %d, want usage error", r.code)
	}
}
