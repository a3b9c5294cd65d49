package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/server/servertest"
)

// tailRequest signs GET /-/events/tail?query as the root account.
func tailRequest(t *testing.T, ctx context.Context, ts *servertest.Instance, query string, sk string) *http.Request {
	t.Helper()
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.Endpoint+"/-/events/tail?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sk != "" {
		auth.SignOSSV4(r, ts.AccessKeyID, sk, "cn-hangzhou", "-", "events/tail", time.Now())
	}
	return r
}

func TestEventsTailThroughServer(t *testing.T) {
	ts := servertest.Start(t)
	c := newClient(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.CreateBucket(ctx, "evts", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateBucket(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	// Written before the tail starts: replayed by since=0.
	if _, err := c.PutObject(ctx, "evts", "img/0.jpg", strings.NewReader("zero"), 4, nil); err != nil {
		t.Fatal(err)
	}

	resp, err := http.DefaultClient.Do(tailRequest(t, ctx, ts, "since=0&bucket=evts&prefix=img/&event=ObjectCreated:*", ts.AccessKeySecret))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("tail: %s", resp.Status)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()

	// Filtered out: another bucket, another prefix, a removal.
	if _, err := c.PutObject(ctx, "other", "img/x.jpg", strings.NewReader("x"), 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, "evts", "doc/x.txt", strings.NewReader("x"), 1, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteObject(ctx, "evts", "doc/x.txt"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		body := strings.Repeat("y", i)
		if _, err := c.PutObject(ctx, "evts", fmt.Sprintf("img/%d.jpg", i), strings.NewReader(body), int64(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i <= 3; i++ {
		var line string
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("tail ended after %d events", i)
			}
			line = l
		case <-ctx.Done():
			t.Fatalf("event %d did not arrive", i)
		}
		var env oss.EventEnvelope
		if err := json.Unmarshal([]byte(line), &env); err != nil || len(env.Events) != 1 {
			t.Fatalf("line %q: %v", line, err)
		}
		rec := env.Events[0]
		if want := fmt.Sprintf("img/%d.jpg", i); rec.OSS.Object.Key != want || rec.EventName != string(oss.ObjectCreatedPut) || rec.OSS.Bucket.Name != "evts" {
			t.Fatalf("event %d = %s %s/%s, want PutObject evts/%s (commit order, filtered)", i, rec.EventName, rec.OSS.Bucket.Name, rec.OSS.Object.Key, want)
		}
	}
	select {
	case l := <-lines:
		t.Fatalf("unexpected extra event %s", l)
	case <-time.After(200 * time.Millisecond):
	}
	text := scrape(t, ts.Endpoint)
	if !strings.Contains(text, "ossflow_events_published_total") {
		t.Error("/metrics lacks the event plane's counters")
	}
}

func TestEventsTailRefusals(t *testing.T) {
	ts := servertest.Start(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		query string
		sk    string
		want  int
	}{
		{"anonymous", "since=0", "", http.StatusForbidden},
		{"wrong secret", "since=0", "not-the-secret-at-all-000000000", http.StatusForbidden},
		{"bad since", "since=yesterday", ts.AccessKeySecret, http.StatusBadRequest},
		{"bad pattern", "event=a%20b", ts.AccessKeySecret, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tailRequest(t, ctx, ts, tt.query, tt.sk))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
