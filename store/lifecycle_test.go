package store

import (
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
)

// With an injected clock: ages are measured from LastModified as the
// engine's clock recorded it, and the deletions' events carry the pass's
// time.
func TestLifecycleInjectedClock(t *testing.T) {
	e := newEnv(t, Options{})
	e.bucket("bkt")
	e.put("bkt", "old", []byte("x"))
	e.clock.Advance(20 * 24 * time.Hour)
	e.put("bkt", "new", []byte("y"))
	d := 15
	if err := e.s.PutBucketLifecycle(bg, "bkt", oss.LifecycleConfiguration{Rules: []oss.LifecycleRule{{Status: "Enabled", Expiration: &oss.LifecycleExpiration{Days: &d}}}}); err != nil {
		t.Fatal(err)
	}
	at := e.clock.Now()
	rep, err := e.s.ApplyLifecycle(bg, at)
	if err != nil || rep.Expired != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := e.s.HeadObject(bg, oss.GetObjectInput{Bucket: "bkt", Key: "new"}); err != nil {
		t.Fatal(err)
	}
	evs := e.events()
	last := evs[len(evs)-1]
	if last.Key != "old" || last.Name != oss.ObjectRemovedDelete || !last.Time.Equal(at.UTC()) || last.Origin != "lifecycle" {
		t.Fatalf("event %+v", last)
	}
	checkInvariants(t, e)
}
