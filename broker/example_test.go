package broker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ossflow/ossflow/broker"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
	"github.com/ossflow/ossflow/store"
)

// The composition root: the engine, then the broker draining its outbox.
func ExampleStart() {
	dir, _ := os.MkdirTemp("", "ossflow-broker-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	st, err := store.Open(ctx, filepath.Join(dir, "data"), store.Options{OutboxLimit: 100000})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	b, err := broker.Start(ctx, broker.Config{
		DataDir: filepath.Join(dir, "nats"),
		Outbox:  st,
		OutboxStats: func() broker.OutboxStats {
			s := st.OutboxStats()
			return broker.OutboxStats{Depth: s.Depth, OldestTime: s.OldestTime, LastSeq: s.LastSeq}
		},
		OutboxLimit: 100000,
	})
	if err != nil {
		panic(err)
	}
	defer b.Close() // before st.Close (defers run in reverse)
	reg := prometheus.NewRegistry()
	if err := b.Register(reg); err != nil {
		panic(err)
	}

	// A write commits its event into the outbox; the relay publishes it.
	if _, err := st.CreateBucket(ctx, oss.Bucket{Name: "photos"}); err != nil {
		panic(err)
	}
	body := "hello"
	if _, err := st.PutObject(ctx, oss.PutObjectInput{Bucket: "photos", Key: "a.txt", Size: int64(len(body))}, strings.NewReader(body)); err != nil {
		panic(err)
	}

	// Read the bucket's events back.
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stop := errors.New("stop")
	err = broker.Tail(tctx, b.JetStream(), broker.TailOptions{Bucket: "photos"}, func(ev events.Event) error {
		fmt.Printf("%d %s bucket=%s key=%q\n", ev.Seq, ev.Name, ev.Bucket, ev.Key)
		if ev.Key == "a.txt" {
			return stop
		}
		return nil
	})
	fmt.Println(errors.Is(err, stop))
	// Output:
	// 1 BucketCreated:PutBucket bucket=photos key=""
	// 2 ObjectCreated:PutObject bucket=photos key="a.txt"
	// true
}

// TailJSON writes one OSS notification JSON per line, as `ossflow events
// tail` prints them.
func ExampleTailJSON() {
	dir, _ := os.MkdirTemp("", "ossflow-broker-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	b, err := broker.Start(ctx, broker.Config{DataDir: filepath.Join(dir, "nats"), Port: -1, Outbox: st})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	if _, err := st.CreateBucket(ctx, oss.Bucket{Name: "logs"}); err != nil {
		panic(err)
	}
	if _, err := st.PutObject(ctx, oss.PutObjectInput{Bucket: "logs", Key: "src/x.zip", Size: 0}, strings.NewReader("")); err != nil {
		panic(err)
	}

	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	w := &lineWriter{cancel: cancel}
	opts := broker.TailOptions{Events: []string{"ObjectCreated:*"}, Prefix: "src/", Suffix: ".zip"}
	if err := broker.TailJSON(tctx, b.JetStream(), opts, w); err != nil {
		panic(err)
	}
	// Output:
	// eventName=ObjectCreated:PutObject key=src/x.zip size=0
}

// lineWriter prints a summary of each JSON line and stops after one.
type lineWriter struct{ cancel func() }

func (w *lineWriter) Write(p []byte) (int, error) {
	var env oss.EventEnvelope
	if err := json.Unmarshal(p, &env); err != nil {
		return 0, err
	}
	r := env.Events[0]
	fmt.Printf("eventName=%s key=%s size=%d\n", r.EventName, r.OSS.Object.Key, r.OSS.Object.Size)
	w.cancel()
	return len(p), nil
}
