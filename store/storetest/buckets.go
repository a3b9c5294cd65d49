package storetest

import (
	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("buckets",
		testCase{"CreateDefaultsAndErrors", testCreateBucket},
		testCase{"ListBuckets", testListBuckets},
		testCase{"DeleteBucket", testDeleteBucket},
		testCase{"ACLAndConfig", testBucketACLConfig},
		testCase{"Stat", testBucketStat},
	)
}

func testCreateBucket(t *T) {
	b := t.Bucket("alpha")
	if b.Name != "alpha" || b.ACL != oss.ACLPrivate || b.StorageClass != oss.StorageStandard || b.DataRedundancy != "LRS" ||
		b.Region == "" || b.CreatedAt.IsZero() || b.Versioning != oss.VersioningOff {
		t.Fatalf("defaults %+v", b)
	}
	got, err := t.E.GetBucket(t.ctx, "alpha")
	if err != nil || got.Name != "alpha" || got.ACL != oss.ACLPrivate || !got.CreatedAt.Equal(b.CreatedAt) {
		t.Fatalf("get %+v %v", got, err)
	}
	tests := []struct {
		name string
		in   oss.Bucket
		code oss.Code
	}{
		{"uppercase", oss.Bucket{Name: "Bad"}, oss.InvalidBucketName},
		{"underscore", oss.Bucket{Name: "a_b_c"}, oss.InvalidBucketName},
		{"short", oss.Bucket{Name: "ab"}, oss.InvalidBucketName},
		{"leading dash", oss.Bucket{Name: "-abc"}, oss.InvalidBucketName},
		{"exists", oss.Bucket{Name: "alpha"}, oss.BucketAlreadyExists},
		{"bad acl", oss.Bucket{Name: "beta", ACL: "nope"}, oss.InvalidArgument},
		{"bad storage class", oss.Bucket{Name: "beta", StorageClass: "Hot"}, oss.InvalidArgument},
		{"bad redundancy", oss.Bucket{Name: "beta", DataRedundancy: "XRS"}, oss.InvalidArgument},
		{"ia bucket", oss.Bucket{Name: "gamma", StorageClass: oss.StorageIA, ACL: oss.ACLPublicRead, DataRedundancy: "ZRS"}, oss.InternalError},
	}
	for _, tt := range tests {
		_, err := t.E.CreateBucket(t.ctx, tt.in)
		if oss.CodeOf(err) != tt.code || (tt.code != oss.InternalError) != (err != nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.code)
		}
	}
	g, _ := t.E.GetBucket(t.ctx, "gamma")
	if g.StorageClass != oss.StorageIA || g.ACL != oss.ACLPublicRead || g.DataRedundancy != "ZRS" {
		t.Fatalf("gamma %+v", g)
	}
	// Objects inherit the bucket's storage class.
	if info := t.Put("gamma", "k", []byte("x")); info.StorageClass != oss.StorageIA {
		t.Fatalf("object class %s", info.StorageClass)
	}
	_, err = t.E.GetBucket(t.ctx, "nope-b")
	t.Code(err, oss.NoSuchBucket)
	names := t.EventNames("")
	if len(names) != 2 || names[0] != oss.BucketCreated {
		t.Fatalf("bucket events %v", names)
	}
}

func testListBuckets(t *T) {
	for _, n := range []string{"b-two", "a-one", "c-three", "b-four"} {
		t.Bucket(n)
	}
	out, err := t.E.ListBuckets(t.ctx, oss.ListBucketsInput{MaxKeys: 2})
	if err != nil || len(out.Buckets) != 2 || out.Buckets[0].Name != "a-one" || out.Buckets[1].Name != "b-four" || !out.IsTruncated || out.NextMarker != "b-four" {
		t.Fatalf("page 1 %+v %v", out, err)
	}
	out, _ = t.E.ListBuckets(t.ctx, oss.ListBucketsInput{MaxKeys: 2, Marker: out.NextMarker})
	if len(out.Buckets) != 2 || out.Buckets[0].Name != "b-two" || out.IsTruncated {
		t.Fatalf("page 2 %+v", out)
	}
	out, _ = t.E.ListBuckets(t.ctx, oss.ListBucketsInput{Prefix: "b-"})
	if len(out.Buckets) != 2 {
		t.Fatalf("prefix %+v", out)
	}
	_, err = t.E.ListBuckets(t.ctx, oss.ListBucketsInput{MaxKeys: 1001})
	t.Code(err, oss.InvalidArgument)
}

func testDeleteBucket(t *T) {
	t.Bucket("alpha")
	t.Put("alpha", "k", []byte("x"))
	t.Code(t.E.DeleteBucket(t.ctx, "alpha"), oss.BucketNotEmpty)
	if _, err := t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "alpha", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	t.Code(t.E.DeleteBucket(t.ctx, "alpha"), oss.InternalError)
	t.Code(t.E.DeleteBucket(t.ctx, "alpha"), oss.NoSuchBucket)
	_, err := t.E.PutObject(t.ctx, oss.PutObjectInput{Bucket: "alpha", Key: "k", Size: 0}, nil)
	t.Code(err, oss.NoSuchBucket)
	// A recreated bucket is empty and its sequence continues.
	t.Bucket("alpha")
	out, _ := t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "alpha"})
	if len(out.Objects) != 0 {
		t.Fatal("recreated bucket not empty")
	}
	var names []oss.EventName
	var last oss.Event
	for _, ev := range t.Events() {
		if ev.Bucket == "alpha" {
			names = append(names, ev.Name)
			last = ev
		}
	}
	want := []oss.EventName{oss.BucketCreated, oss.ObjectCreatedPut, oss.ObjectRemovedDelete, oss.BucketRemoved, oss.BucketCreated}
	if len(names) != len(want) {
		t.Fatalf("events %v", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("events %v", names)
		}
	}
	if last.BucketSeq != 5 {
		t.Fatalf("bucket sequence restarted: %d", last.BucketSeq)
	}
}

func testBucketACLConfig(t *T) {
	t.Bucket("alpha")
	t.Code(t.E.PutBucketACL(t.ctx, "alpha", oss.ACLPublicReadWrite), oss.InternalError)
	b, _ := t.E.GetBucket(t.ctx, "alpha")
	if b.ACL != oss.ACLPublicReadWrite {
		t.Fatalf("acl %s", b.ACL)
	}
	t.Code(t.E.PutBucketACL(t.ctx, "alpha", "bogus"), oss.InvalidArgument)
	t.Code(t.E.PutBucketACL(t.ctx, "nope-b", oss.ACLPrivate), oss.NoSuchBucket)

	t.Code(t.E.PutBucketConfig(t.ctx, "alpha", "cors", []byte("<CORSConfiguration/>")), oss.InternalError)
	v, ok, err := t.E.GetBucketConfig(t.ctx, "alpha", "cors")
	if err != nil || !ok || string(v) != "<CORSConfiguration/>" {
		t.Fatalf("config %q %v %v", v, ok, err)
	}
	if _, ok, _ := t.E.GetBucketConfig(t.ctx, "alpha", "referer"); ok {
		t.Fatal("absent config found")
	}
	t.Code(t.E.DeleteBucketConfig(t.ctx, "alpha", "cors"), oss.InternalError)
	if _, ok, _ := t.E.GetBucketConfig(t.ctx, "alpha", "cors"); ok {
		t.Fatal("deleted config found")
	}
	t.Code(t.E.PutBucketConfig(t.ctx, "nope-b", "cors", nil), oss.NoSuchBucket)
	// Configuration does not survive the bucket.
	t.Code(t.E.PutBucketConfig(t.ctx, "alpha", "policy", []byte("{}")), oss.InternalError)
	t.Code(t.E.DeleteBucket(t.ctx, "alpha"), oss.InternalError)
	t.Bucket("alpha")
	if _, ok, _ := t.E.GetBucketConfig(t.ctx, "alpha", "policy"); ok {
		t.Fatal("config survived its bucket")
	}
}

func testBucketStat(t *T) {
	t.Bucket("alpha")
	st, err := t.E.BucketStat(t.ctx, "alpha")
	if err != nil || st.ObjectCount != 0 || st.Storage != 0 || st.MultipartUploadCount != 0 {
		t.Fatalf("empty stat %+v %v", st, err)
	}
	t.Put("alpha", "a", []byte("12345"))
	t.Put("alpha", "b", Rand(1, 70000))
	t.Put("alpha", "a", []byte("123"))
	st, _ = t.E.BucketStat(t.ctx, "alpha")
	if st.ObjectCount != 2 || st.Storage != 70003 {
		t.Fatalf("stat %+v", st)
	}
	_, err = t.E.BucketStat(t.ctx, "nope-b")
	t.Code(err, oss.NoSuchBucket)
}
