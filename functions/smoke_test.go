package functions_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server/servertest"
)

func TestSmoke(t *testing.T) {
	ts := servertest.Start(t)
	c, err := client.New(ts.Endpoint, ts.AccessKeyID, ts.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.CreateBucket(ctx, "smoke", nil); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	res, err := c.DeployFunction(ctx, fnapi.Manifest{Name: "copier", Triggers: fnapi.Triggers{Events: []fnapi.EventTrigger{{Events: []string{"ObjectCreated:*"}, Bucket: "smoke", Prefix: "copy/"}}}}, guests["fnguest"])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("deploy: %+v in %v", res, time.Since(t0))
	if _, err := c.PutObject(ctx, "smoke", "copy/a.txt", bytes.NewReader([]byte("hello")), 5, nil); err != nil {
		t.Fatal(err)
	}
	servertest.CheckFor(t, 20*time.Second, func() error {
		rc, _, err := c.GetObject(ctx, "smoke", "out/copy/a.txt", nil)
		if err != nil {
			return err
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		if string(b) != "hello" {
			return fmt.Errorf("got %q", b)
		}
		return nil
	})
	t.Logf("copied after %v", time.Since(t0))
}
