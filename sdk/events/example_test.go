package events_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/broker"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/sdk/events"
)

// A user program that unpacks every .zip uploaded under src/ of bucket
// "photos". The broker here stands in for a running ossflow; a real
// program connects to ossflow's NATS URL.
func ExampleConsume() {
	dir, cleanup := tempDir()
	defer cleanup()
	b, err := broker.Start(context.Background(), broker.Config{DataDir: dir})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	nc, err := nats.Connect(b.ClientURL())
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		panic(err)
	}
	publishExampleEvent(js) // ossflow does this on every write

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = events.Consume(ctx, js, events.ConsumerConfig{
		Durable: "unzipper",
		Bucket:  "photos",
		Events:  []string{"ObjectCreated:*"},
		Keys:    events.KeyFilter{Prefix: "src/", Suffix: ".zip"},
	}, func(ctx context.Context, ev events.Event) error {
		fmt.Println(ev.Name, ev.Bucket, ev.Key, ev.Record.OSS.Object.Size)
		cancel() // one is enough for the example
		return nil
	})
	fmt.Println("done:", err)
	// Output:
	// ObjectCreated:PutObject photos src/archive.zip 1024
	// done: <nil>
}

func publishExampleEvent(js jetstream.JetStream) {
	e := oss.Event{
		Seq: 1, ID: "e1", BucketSeq: 1, Name: oss.ObjectCreatedPut, Bucket: "photos", Key: "src/archive.zip",
		Record: oss.EventRecord{EventName: "ObjectCreated:PutObject", EventID: "e1",
			OSS: oss.EventOSS{Bucket: oss.EventBucket{Name: "photos"}, Object: oss.EventObject{Key: "src/archive.zip", Size: 1024}}},
	}
	data, _ := e.Payload()
	_, err := js.PublishMsg(context.Background(), &nats.Msg{
		Subject: events.Subject(events.DefaultSubjectPrefix, e.Bucket, e.Name),
		Data:    data,
		Header: nats.Header{events.HeaderMsgID: {e.ID}, events.HeaderKey: {events.EncodeKeyHeader(e.Key)},
			events.HeaderBucket: {e.Bucket}, events.HeaderEventName: {string(e.Name)}},
	})
	if err != nil {
		panic(err)
	}
}

func ExampleFilterSubjects() {
	subs, _ := events.FilterSubjects(events.DefaultSubjectPrefix, "photos", "oss:ObjectCreated:*", "ObjectRemoved:DeleteObject")
	fmt.Println(subs)
	// Output: [ossflow.events.photos.ObjectCreated.* ossflow.events.photos.ObjectRemoved.DeleteObject]
}
