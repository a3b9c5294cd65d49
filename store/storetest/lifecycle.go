package storetest

import (
	"strings"
	"time"

	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("lifecycle",
		testCase{"Validation", testLifecycleValidation},
		testCase{"ExpirationFilters", testLifecycleExpiration},
		testCase{"Versioned", testLifecycleVersioned},
		testCase{"TransitionAndUploads", testLifecycleTransition},
	)
}

func days(n int) *int     { return &n }
func size(n int64) *int64 { return &n }
func yes() *bool          { b := true; return &b }

func lc(rules ...oss.LifecycleRule) oss.LifecycleConfiguration {
	return oss.LifecycleConfiguration{Rules: rules}
}

func testLifecycleValidation(t *T) {
	t.Bucket("bkt")
	_, err := t.E.GetBucketLifecycle(t.ctx, "bkt")
	t.Code(err, oss.NoSuchLifecycle)
	exp := &oss.LifecycleExpiration{Days: days(30)}
	many := make([]oss.LifecycleRule, 1001)
	for i := range many {
		many[i] = oss.LifecycleRule{Status: "Enabled", Expiration: exp}
	}
	tests := []struct {
		name string
		cfg  oss.LifecycleConfiguration
		code oss.Code
	}{
		{"empty", lc(), oss.MalformedXML},
		{"too many rules", lc(many...), oss.InvalidArgument},
		{"long id", lc(oss.LifecycleRule{ID: strings.Repeat("i", 256), Status: "Enabled", Expiration: exp}), oss.InvalidArgument},
		{"duplicate id", lc(oss.LifecycleRule{ID: "a", Status: "Enabled", Expiration: exp}, oss.LifecycleRule{ID: "a", Status: "Enabled", Expiration: exp}), oss.InvalidArgument},
		{"bad status", lc(oss.LifecycleRule{Status: "On", Expiration: exp}), oss.InvalidArgument},
		{"no action", lc(oss.LifecycleRule{Status: "Enabled"}), oss.InvalidArgument},
		{"days and date", lc(oss.LifecycleRule{Status: "Enabled", Expiration: &oss.LifecycleExpiration{Days: days(1), CreatedBeforeDate: "2024-01-01T00:00:00.000Z"}}), oss.InvalidArgument},
		{"empty expiration", lc(oss.LifecycleRule{Status: "Enabled", Expiration: &oss.LifecycleExpiration{}}), oss.InvalidArgument},
		{"zero days", lc(oss.LifecycleRule{Status: "Enabled", Expiration: &oss.LifecycleExpiration{Days: days(0)}}), oss.InvalidArgument},
		{"date not midnight", lc(oss.LifecycleRule{Status: "Enabled", Expiration: &oss.LifecycleExpiration{CreatedBeforeDate: "2024-01-01T10:00:00.000Z"}}), oss.InvalidArgument},
		{"bad date", lc(oss.LifecycleRule{Status: "Enabled", Expiration: &oss.LifecycleExpiration{CreatedBeforeDate: "yesterday"}}), oss.InvalidArgument},
		{"transition to standard", lc(oss.LifecycleRule{Status: "Enabled", Transitions: []oss.LifecycleTransition{{Days: days(1), StorageClass: "Standard"}}}), oss.InvalidArgument},
		{"transition bad class", lc(oss.LifecycleRule{Status: "Enabled", Transitions: []oss.LifecycleTransition{{Days: days(1), StorageClass: "Hot"}}}), oss.InvalidArgument},
		{"expiration before transition", lc(oss.LifecycleRule{Status: "Enabled", Expiration: &oss.LifecycleExpiration{Days: days(10)},
			Transitions: []oss.LifecycleTransition{{Days: days(30), StorageClass: "IA"}}}), oss.InvalidArgument},
		{"expiration equal to transition", lc(oss.LifecycleRule{Status: "Enabled", Expiration: &oss.LifecycleExpiration{Days: days(30)},
			Transitions: []oss.LifecycleTransition{{Days: days(30), StorageClass: "IA"}}}), oss.InvalidArgument},
		{"colder class earlier", lc(oss.LifecycleRule{Status: "Enabled",
			Transitions: []oss.LifecycleTransition{{Days: days(30), StorageClass: "IA"}, {Days: days(10), StorageClass: "Archive"}}}), oss.InvalidArgument},
		{"mixed terms", lc(oss.LifecycleRule{Status: "Enabled", Expiration: &oss.LifecycleExpiration{CreatedBeforeDate: "2030-01-01T00:00:00.000Z"},
			Transitions: []oss.LifecycleTransition{{Days: days(10), StorageClass: "IA"}}}), oss.InvalidArgument},
		{"access time", lc(oss.LifecycleRule{Status: "Enabled", Transitions: []oss.LifecycleTransition{{Days: days(1), StorageClass: "IA", IsAccessTime: yes()}}}), oss.NotImplemented},
		{"abort without time", lc(oss.LifecycleRule{Status: "Enabled", AbortMultipartUpload: &oss.LifecycleAbortMultipart{}}), oss.InvalidArgument},
		{"noncurrent zero", lc(oss.LifecycleRule{Status: "Enabled", NoncurrentVersionExpiration: &oss.LifecycleNoncurrentExpiration{}}), oss.InvalidArgument},
		{"not prefix outside", lc(oss.LifecycleRule{Prefix: "logs/", Status: "Enabled", Expiration: exp, Filter: &oss.LifecycleFilter{Not: &oss.LifecycleNot{Prefix: "data/"}}}), oss.InvalidArgument},
		{"size filter inverted", lc(oss.LifecycleRule{Status: "Enabled", Expiration: exp, Filter: &oss.LifecycleFilter{ObjectSizeGreaterThan: size(10), ObjectSizeLessThan: size(5)}}), oss.InvalidArgument},
		{"ok full", lc(oss.LifecycleRule{ID: "r1", Prefix: "logs/", Status: "Enabled", Tags: []oss.LifecycleTag{{Key: "k", Value: "v"}},
			Filter:      &oss.LifecycleFilter{Not: &oss.LifecycleNot{Prefix: "logs/keep/"}, ObjectSizeGreaterThan: size(1)},
			Expiration:  &oss.LifecycleExpiration{Days: days(90)},
			Transitions: []oss.LifecycleTransition{{Days: days(30), StorageClass: "IA"}, {Days: days(60), StorageClass: "Archive"}}},
			oss.LifecycleRule{ID: "r2", Status: "Disabled", AbortMultipartUpload: &oss.LifecycleAbortMultipart{Days: days(7)},
				NoncurrentVersionExpiration: &oss.LifecycleNoncurrentExpiration{NoncurrentDays: 30},
				NoncurrentVersionTransition: []oss.LifecycleNoncurrentTransition{{NoncurrentDays: 10, StorageClass: "IA"}}}), oss.InternalError},
	}
	for _, tt := range tests {
		err := t.E.PutBucketLifecycle(t.ctx, "bkt", tt.cfg)
		if oss.CodeOf(err) != tt.code || (tt.code != oss.InternalError) != (err != nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.code)
		}
	}
	got, err := t.E.GetBucketLifecycle(t.ctx, "bkt")
	if err != nil || len(got.Rules) != 2 || got.Rules[0].ID != "r1" || *got.Rules[0].Expiration.Days != 90 || got.Rules[1].Status != "Disabled" ||
		len(got.Rules[0].Transitions) != 2 || got.Rules[0].Filter.Not.Prefix != "logs/keep/" {
		t.Fatalf("round trip %+v %v", got, err)
	}
	t.Code(t.E.DeleteBucketLifecycle(t.ctx, "bkt"), oss.InternalError)
	_, err = t.E.GetBucketLifecycle(t.ctx, "bkt")
	t.Code(err, oss.NoSuchLifecycle)
	t.Code(t.E.PutBucketLifecycle(t.ctx, "nope-b", lc(oss.LifecycleRule{Status: "Enabled", Expiration: exp})), oss.NoSuchBucket)
}

func (t *T) apply(at time.Time) LifecycleCounts {
	t.Helper()
	rep, err := t.E.ApplyLifecycle(t.ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	return LifecycleCounts{rep.Expired, rep.DeleteMarkersRemoved, rep.NoncurrentExpired, rep.UploadsAborted, rep.Transitioned}
}

// LifecycleCounts mirrors store.LifecycleReport for comparisons.
type LifecycleCounts struct{ Expired, MarkersRemoved, NoncurrentExpired, UploadsAborted, Transitioned int }

func (t *T) exists(bucket, key string) bool {
	_, err := t.E.HeadObject(t.ctx, oss.GetObjectInput{Bucket: bucket, Key: key})
	return err == nil
}

func testLifecycleExpiration(t *T) {
	t.Bucket("bkt")
	now := time.Now()
	t.Put("bkt", "logs/a", []byte("a"))
	t.Put("bkt", "logs/keep/b", []byte("b"))
	t.Put("bkt", "logs/big", Rand(1, 1000))
	t.Put("bkt", "data/c", []byte("c"))
	if _, err := t.E.PutObject(t.ctx, oss.PutObjectInput{Bucket: "bkt", Key: "tagged/d", Size: 1, Tags: []oss.Tag{{Key: "tmp", Value: "1"}}}, strings.NewReader("d")); err != nil {
		t.Fatal(err)
	}
	t.Put("bkt", "tagged/e", []byte("e"))
	err := t.E.PutBucketLifecycle(t.ctx, "bkt", lc(
		oss.LifecycleRule{ID: "logs", Prefix: "logs/", Status: "Enabled", Expiration: &oss.LifecycleExpiration{Days: days(30)},
			Filter: &oss.LifecycleFilter{Not: &oss.LifecycleNot{Prefix: "logs/keep/"}, ObjectSizeLessThan: size(100)}},
		oss.LifecycleRule{ID: "tags", Prefix: "tagged/", Status: "Enabled", Tags: []oss.LifecycleTag{{Key: "tmp", Value: "1"}}, Expiration: &oss.LifecycleExpiration{Days: days(1)}},
		oss.LifecycleRule{ID: "off", Prefix: "data/", Status: "Disabled", Expiration: &oss.LifecycleExpiration{Days: days(1)}},
	))
	if err != nil {
		t.Fatal(err)
	}
	if got := t.apply(now.Add(12 * time.Hour)); got != (LifecycleCounts{}) {
		t.Fatalf("early pass did %+v", got)
	}
	if got := t.apply(now.Add(2 * 24 * time.Hour)); got != (LifecycleCounts{Expired: 1}) || t.exists("bkt", "tagged/d") || !t.exists("bkt", "tagged/e") {
		t.Fatalf("tag rule: %+v", got)
	}
	if got := t.apply(now.Add(31 * 24 * time.Hour)); got != (LifecycleCounts{Expired: 1}) {
		t.Fatalf("prefix rule: %+v", got)
	}
	for key, want := range map[string]bool{"logs/a": false, "logs/keep/b": true, "logs/big": true, "data/c": true, "tagged/e": true} {
		if t.exists("bkt", key) != want {
			t.Errorf("%s exists = %v, want %v", key, !want, want)
		}
	}
	if names := t.EventNames("logs/a"); len(names) != 2 || names[1] != oss.ObjectRemovedDelete {
		t.Fatalf("events %v", names)
	}
	for _, ev := range t.Events() {
		if want := map[bool]string{true: "lifecycle", false: ""}[ev.Name == oss.ObjectRemovedDelete]; ev.Origin != want {
			t.Fatalf("event %s of %s has origin %q, want %q", ev.Name, ev.Key, ev.Origin, want)
		}
	}
	// CreatedBeforeDate: everything created before the date.
	tomorrow := now.UTC().Truncate(24 * time.Hour).Add(48 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	if err := t.E.PutBucketLifecycle(t.ctx, "bkt", lc(oss.LifecycleRule{Prefix: "data/", Status: "Enabled", Expiration: &oss.LifecycleExpiration{CreatedBeforeDate: tomorrow}})); err != nil {
		t.Fatal(err)
	}
	if got := t.apply(now); got != (LifecycleCounts{Expired: 1}) || t.exists("bkt", "data/c") {
		t.Fatalf("date rule %+v", got)
	}
}

func testLifecycleVersioned(t *T) {
	t.Bucket("bkt")
	t.versioning("bkt", oss.VersioningEnabled)
	now := time.Now()
	v1 := t.Put("bkt", "k", []byte("1"))
	t.Put("bkt", "k", []byte("2"))
	t.Put("bkt", "gone", []byte("x"))
	d := t.del("bkt", "gone", "")
	err := t.E.PutBucketLifecycle(t.ctx, "bkt", lc(
		oss.LifecycleRule{ID: "exp", Status: "Enabled", Expiration: &oss.LifecycleExpiration{Days: days(10)}},
		oss.LifecycleRule{ID: "nc", Status: "Enabled", NoncurrentVersionExpiration: &oss.LifecycleNoncurrentExpiration{NoncurrentDays: 5}},
		oss.LifecycleRule{ID: "dm", Status: "Enabled", Expiration: &oss.LifecycleExpiration{ExpiredObjectDeleteMarker: yes()}},
	))
	if err != nil {
		t.Fatal(err)
	}
	// Day 6: noncurrent versions older than 5 days go (v1 of k, the old
	// "gone"); the lone delete marker of "gone" is then removed next pass.
	if got := t.apply(now.Add(6 * 24 * time.Hour)); got.NoncurrentExpired != 2 {
		t.Fatalf("day 6 %+v", got)
	}
	_, _, err = t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "k", VersionID: v1.VersionID})
	t.Code(err, oss.NoSuchVersion)
	if got := t.apply(now.Add(7 * 24 * time.Hour)); got.MarkersRemoved != 1 {
		t.Fatalf("day 7 %+v", got)
	}
	if vs := t.versions("bkt", "gone"); len(vs) != 0 {
		t.Fatalf("gone versions %s (marker %s)", describe(vs), d.DeleteMarkerVersionID)
	}
	// Day 11: the current version expires: a delete marker hides it.
	if got := t.apply(now.Add(11 * 24 * time.Hour)); got.Expired != 1 {
		t.Fatalf("day 11 %+v", got)
	}
	vs := t.versions("bkt", "k")
	if len(vs) != 2 || !vs[0].DeleteMarker || vs[1].DeleteMarker {
		t.Fatalf("after expiration %s", describe(vs))
	}
	// Day 17: the hidden version has been noncurrent 6 days; then the marker
	// is alone and goes.
	t.apply(now.Add(17 * 24 * time.Hour))
	t.apply(now.Add(17 * 24 * time.Hour))
	if vs := t.versions("bkt", ""); len(vs) != 0 {
		t.Fatalf("left %s", describe(vs))
	}
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.ObjectCount != 0 || st.Storage != 0 {
		t.Fatalf("stat %+v", st)
	}
}

func testLifecycleTransition(t *T) {
	t.Bucket("bkt")
	now := time.Now()
	t.Put("bkt", "cold/a", []byte("a"))
	t.Put("bkt", "hot/b", []byte("b"))
	u, err := t.E.InitiateMultipartUpload(t.ctx, oss.PutObjectInput{Bucket: "bkt", Key: "cold/upload"})
	if err != nil {
		t.Fatal(err)
	}
	t.part("bkt", "cold/upload", u.UploadID, 1, []byte("p"))
	t.initiate("bkt", "hot/upload")
	err = t.E.PutBucketLifecycle(t.ctx, "bkt", lc(oss.LifecycleRule{Prefix: "cold/", Status: "Enabled",
		Transitions:          []oss.LifecycleTransition{{Days: days(30), StorageClass: "IA"}, {Days: days(60), StorageClass: "Archive"}},
		AbortMultipartUpload: &oss.LifecycleAbortMultipart{Days: days(3)}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := t.apply(now.Add(4 * 24 * time.Hour)); got != (LifecycleCounts{UploadsAborted: 1}) {
		t.Fatalf("day 4 %+v", got)
	}
	lu, _ := t.E.ListMultipartUploads(t.ctx, oss.ListUploadsInput{Bucket: "bkt"})
	if len(lu.Uploads) != 1 || lu.Uploads[0].Key != "hot/upload" {
		t.Fatalf("uploads %+v", lu.Uploads)
	}
	if got := t.apply(now.Add(31 * 24 * time.Hour)); got != (LifecycleCounts{Transitioned: 1}) {
		t.Fatalf("day 31 %+v", got)
	}
	_, info := t.Get("bkt", "cold/a", "")
	if info.StorageClass != oss.StorageIA {
		t.Fatalf("class %s", info.StorageClass)
	}
	if got := t.apply(now.Add(32 * 24 * time.Hour)); got != (LifecycleCounts{}) {
		t.Fatalf("idempotent pass did %+v", got)
	}
	t.apply(now.Add(61 * 24 * time.Hour))
	data, info := t.Get("bkt", "cold/a", "")
	if info.StorageClass != oss.StorageArchive || string(data) != "a" {
		t.Fatalf("class %s", info.StorageClass)
	}
	_, hot := t.Get("bkt", "hot/b", "")
	if hot.StorageClass != oss.StorageStandard {
		t.Fatalf("hot class %s", hot.StorageClass)
	}
	names := t.EventNames("cold/a")
	if len(names) != 3 || names[1] != oss.ObjectModifiedMeta {
		t.Fatalf("events %v", names)
	}
	if names := t.EventNames("cold/upload"); names[len(names)-1] != oss.ObjectRemovedAbortMultipart {
		t.Fatalf("upload events %v", names)
	}
}
