package storetest

import (
	"strings"

	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("tagging",
		testCase{"PutGetDelete", testTagging},
		testCase{"ObjectACL", testObjectACL},
	)
}

func testTagging(t *T) {
	t.Bucket("bkt")
	put := t.Put("bkt", "k", []byte("x"))
	info, err := t.E.PutObjectTagging(t.ctx, "bkt", "k", "", []oss.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: ""}})
	if err != nil || len(info.Tags) != 2 {
		t.Fatalf("put tagging %+v %v", info, err)
	}
	got, err := t.E.GetObjectTagging(t.ctx, "bkt", "k", "")
	if err != nil || len(got.Tags) != 2 || got.Tags[0] != (oss.Tag{Key: "a", Value: "1"}) || !got.LastModified.Equal(put.LastModified) || got.ETag != put.ETag {
		t.Fatalf("get tagging %+v %v", got, err)
	}
	_, hi := t.Get("bkt", "k", "")
	if len(hi.Tags) != 2 {
		t.Fatalf("object tags %+v", hi.Tags)
	}
	if _, err := t.E.DeleteObjectTagging(t.ctx, "bkt", "k", ""); err != nil {
		t.Fatal(err)
	}
	got, _ = t.E.GetObjectTagging(t.ctx, "bkt", "k", "")
	if len(got.Tags) != 0 {
		t.Fatalf("tags after delete %+v", got.Tags)
	}
	names := t.EventNames("k")
	if len(names) != 3 || names[1] != oss.ObjectModifiedTagging || names[2] != oss.ObjectModifiedDeleteTagging {
		t.Fatalf("events %v", names)
	}
	tags11 := make([]oss.Tag, 11)
	for i := range tags11 {
		tags11[i] = oss.Tag{Key: strings.Repeat("k", i+1)}
	}
	bad := [][]oss.Tag{
		tags11,
		{{Key: strings.Repeat("k", 129)}},
		{{Key: "k", Value: strings.Repeat("v", 257)}},
		{{Key: ""}},
		{{Key: "d"}, {Key: "d"}},
	}
	for _, tags := range bad {
		_, err := t.E.PutObjectTagging(t.ctx, "bkt", "k", "", tags)
		t.Code(err, oss.InvalidArgument)
	}
	ok := []oss.Tag{{Key: strings.Repeat("k", 128), Value: strings.Repeat("v", 256)}}
	_, err = t.E.PutObjectTagging(t.ctx, "bkt", "k", "", ok)
	t.Code(err, oss.InternalError)
	_, err = t.E.PutObjectTagging(t.ctx, "bkt", "missing", "", nil)
	t.Code(err, oss.NoSuchKey)
	_, err = t.E.GetObjectTagging(t.ctx, "bkt", "missing", "")
	t.Code(err, oss.NoSuchKey)
	_, err = t.E.DeleteObjectTagging(t.ctx, "nope-b", "k", "")
	t.Code(err, oss.NoSuchBucket)
}

func testObjectACL(t *T) {
	t.Bucket("bkt")
	t.Put("bkt", "k", []byte("x"))
	info, err := t.E.PutObjectACL(t.ctx, "bkt", "k", "", oss.ACLPublicRead)
	if err != nil || info.ACL != oss.ACLPublicRead {
		t.Fatalf("acl %+v %v", info, err)
	}
	_, gi := t.Get("bkt", "k", "")
	if gi.ACL != oss.ACLPublicRead {
		t.Fatalf("acl after get %s", gi.ACL)
	}
	_, err = t.E.PutObjectACL(t.ctx, "bkt", "k", "", "wrong")
	t.Code(err, oss.InvalidArgument)
	_, err = t.E.PutObjectACL(t.ctx, "bkt", "missing", "", oss.ACLPrivate)
	t.Code(err, oss.NoSuchKey)
	if names := t.EventNames("k"); len(names) != 2 || names[1] != oss.ObjectModifiedACL {
		t.Fatalf("events %v", names)
	}
}
