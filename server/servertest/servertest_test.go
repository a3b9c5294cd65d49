package servertest_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server/servertest"
)

func TestStart(t *testing.T) {
	ts := servertest.Start(t)
	if ts.Endpoint == "" || ts.AccessKeyID == "" || ts.AccessKeySecret == "" || ts.DataDir == "" {
		t.Fatalf("incomplete instance: %+v", ts)
	}
	c, err := client.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListBuckets(context.Background()); err != nil {
		t.Fatalf("ListBuckets against the test server: %v", err)
	}
	resp, err := http.Get(ts.Endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
}

func TestTwoServersAreIndependent(t *testing.T) {
	a, b := servertest.Start(t), servertest.Start(t)
	if a.Endpoint == b.Endpoint || a.AccessKeyID == b.AccessKeyID {
		t.Fatal("two test servers share an endpoint or credentials")
	}
}

func TestCheckForPolls(t *testing.T) {
	var n atomic.Int32
	servertest.CheckFor(t, 5*time.Second, func() error {
		if n.Add(1) < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if n.Load() != 3 {
		t.Fatalf("condition called %d times, want 3", n.Load())
	}
}
