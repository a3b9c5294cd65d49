package functions_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server/servertest"
)

// TestSubjectTrigger: a function with a NATS subject trigger runs on every
// message of the subject; a request gets the function's output as its reply,
// and a guest failure is answered with an error reply, never silence.
func TestSubjectTrigger(t *testing.T) {
	e := newEnv(t)
	b := e.ts.Server.Events()
	if b == nil {
		t.Fatal("event plane not running")
	}
	nc, err := nats.Connect(b.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	// Platform subjects are not for user functions.
	for _, subj := range []string{"ossflow.events.b.ObjectCreated.PutObject", "$JS.API.INFO", ">"} {
		_, err := e.c.DeployFunction(t.Context(), fnapi.Manifest{Name: "bad-subject", Triggers: fnapi.Triggers{Subjects: []string{subj}}}, guests["fnguest"])
		if !client.IsCode(err, "InvalidArgument") {
			t.Fatalf("subject %q: err = %v, want InvalidArgument", subj, err)
		}
	}

	e.deploy(t, fnapi.Manifest{Name: "echo-subject", Triggers: fnapi.Triggers{Subjects: []string{"alerts.test"}}}, "fnguest")

	// The subscription follows the deploy; wait until it answers.
	var reply *nats.Msg
	servertest.CheckFor(t, 30*time.Second, func() error {
		reply, err = nc.Request("alerts.test", []byte("ping"), 2*time.Second)
		return err
	})
	if got := string(reply.Data); got != "ping" {
		t.Fatalf("reply %q, want the echo %q", got, "ping")
	}
	// Each message runs once across workers (queue group): ten requests,
	// ten answers, each its own.
	for i := range 10 {
		want := fmt.Sprintf("msg-%d", i)
		r, err := nc.Request("alerts.test", []byte(want), 5*time.Second)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if string(r.Data) != want {
			t.Fatalf("request %d: reply %q, want %q", i, r.Data, want)
		}
	}
	// A subject no function listens on gets no responder.
	if _, err := nc.Request("alerts.other", []byte("x"), 500*time.Millisecond); !errors.Is(err, nats.ErrNoResponders) && !errors.Is(err, nats.ErrTimeout) {
		t.Fatalf("unrouted subject: err = %v, want no responders", err)
	}
	// Deleting the function stops the subscription.
	if err := e.c.DeleteFunction(t.Context(), "echo-subject"); err != nil {
		t.Fatal(err)
	}
	servertest.CheckFor(t, 30*time.Second, func() error {
		if _, err := nc.Request("alerts.test", []byte("x"), 500*time.Millisecond); err == nil {
			return errors.New("still answering after delete")
		}
		return nil
	})
}
