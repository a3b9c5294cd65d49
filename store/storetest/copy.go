package storetest

import (
	"bytes"
	"time"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("copy",
		testCase{"Basics", testCopyBasics},
		testCase{"Directives", testCopyDirectives},
		testCase{"OntoItself", testCopyOntoItself},
		testCase{"Conditions", testCopyConditions},
		testCase{"Errors", testCopyErrors},
	)
}

func (t *T) copy(in oss.CopyObjectInput) (oss.CopyObjectOutput, error) {
	return t.E.CopyObject(t.ctx, in)
}

func testCopyBasics(t *T) {
	t.Bucket("src-b")
	t.Bucket("dst-b")
	for i, size := range []int{0, 10, 200 << 10} {
		data := Rand(uint64(i+100), size)
		src := t.Put("src-b", "s", data)
		out, err := t.copy(oss.CopyObjectInput{SrcBucket: "src-b", SrcKey: "s", Dest: oss.PutObjectInput{Bucket: "dst-b", Key: "d"}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Info.ETag != src.ETag || out.Info.CRC64 != src.CRC64 || out.Info.Size != int64(size) || out.Info.Type != oss.TypeNormal || out.Info.Key != "d" {
			t.Fatalf("copy info %+v", out.Info)
		}
		got, _ := t.Get("dst-b", "d", "")
		if !bytes.Equal(got, data) {
			t.Fatal("copied data differs")
		}
	}
	// The source is untouched; the event is CopyObject.
	if names := t.EventNames("d"); len(names) != 3 || names[0] != oss.ObjectCreatedCopy {
		t.Fatalf("events %v", names)
	}
	// Deleting the source leaves the copy intact.
	if _, err := t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "src-b", Key: "s"}); err != nil {
		t.Fatal(err)
	}
	got, _ := t.Get("dst-b", "d", "")
	if !bytes.Equal(got, Rand(102, 200<<10)) {
		t.Fatal("copy lost its data with the source")
	}
}

func testCopyDirectives(t *T) {
	t.Bucket("bkt")
	_, err := t.E.PutObject(t.ctx, oss.PutObjectInput{Bucket: "bkt", Key: "s", Size: 3, ACL: oss.ACLPublicRead, StorageClass: oss.StorageIA,
		Meta: oss.Metadata{ContentType: "text/a", User: map[string]string{"m": "src"}}, Tags: []oss.Tag{{Key: "t", Value: "src"}}},
		bytes.NewReader([]byte("abc")))
	if err != nil {
		t.Fatal(err)
	}
	// COPY directives: metadata and tags follow the source; ACL does not.
	out, err := t.copy(oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "s", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "c1",
		Meta: oss.Metadata{ContentType: "ignored"}, Tags: []oss.Tag{{Key: "ignored"}}}})
	if err != nil {
		t.Fatal(err)
	}
	i := out.Info
	if i.Meta.ContentType != "text/a" || i.Meta.User["m"] != "src" || len(i.Tags) != 1 || i.Tags[0].Value != "src" || i.ACL != oss.ACLDefault {
		t.Fatalf("COPY %+v", i)
	}
	// REPLACE directives.
	out, err = t.copy(oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "s", ReplaceMeta: true, ReplaceTags: true,
		Dest: oss.PutObjectInput{Bucket: "bkt", Key: "c2", ACL: oss.ACLPrivate, StorageClass: oss.StorageArchive,
			Meta: oss.Metadata{ContentType: "text/b", User: map[string]string{"n": "dst"}}, Tags: []oss.Tag{{Key: "t2", Value: "dst"}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, i = t.Get("bkt", "c2", "")
	if i.Meta.ContentType != "text/b" || i.Meta.User["n"] != "dst" || i.Meta.User["m"] != "" || len(i.Tags) != 1 || i.Tags[0].Key != "t2" ||
		i.ACL != oss.ACLPrivate || i.StorageClass != oss.StorageArchive {
		t.Fatalf("REPLACE %+v", i)
	}
	// Replaced metadata is validated.
	_, err = t.copy(oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "s", ReplaceTags: true,
		Dest: oss.PutObjectInput{Bucket: "bkt", Key: "c3", Tags: make([]oss.Tag, 11)}})
	t.Code(err, oss.InvalidArgument)
}

func testCopyOntoItself(t *T) {
	t.Bucket("bkt")
	for _, size := range []int{5, 300 << 10} {
		data := Rand(uint64(size), size)
		before := t.Put("bkt", "k", data)
		time.Sleep(2 * time.Millisecond)
		out, err := t.copy(oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", ReplaceMeta: true,
			Dest: oss.PutObjectInput{Bucket: "bkt", Key: "k", Meta: oss.Metadata{ContentType: "new/type", User: map[string]string{"x": "y"}}}})
		if err != nil {
			t.Fatal(err)
		}
		got, info := t.Get("bkt", "k", "")
		if !bytes.Equal(got, data) || info.Meta.ContentType != "new/type" || info.Meta.User["x"] != "y" || info.ETag != before.ETag ||
			info.CRC64 != before.CRC64 || out.Info.LastModified.Before(before.LastModified) {
			t.Fatalf("metadata update %+v", info)
		}
		names := t.EventNames("k")
		if names[len(names)-1] != oss.ObjectCreatedCopy {
			t.Fatalf("events %v", names)
		}
	}
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.ObjectCount != 1 || st.Storage != 300<<10 {
		t.Fatalf("stat %+v", st)
	}
}

func testCopyConditions(t *T) {
	t.Bucket("bkt")
	src := t.Put("bkt", "s", []byte("data"))
	dst := oss.PutObjectInput{Bucket: "bkt", Key: "d"}
	tests := []struct {
		name string
		c    oss.Conditions
		code oss.Code
	}{
		{"if-match ok", oss.Conditions{IfMatch: src.ETag}, oss.InternalError},
		{"if-match fail", oss.Conditions{IfMatch: `"00"`}, oss.PreconditionFailed},
		{"if-none-match", oss.Conditions{IfNoneMatch: src.ETag}, oss.PreconditionFailed},
		{"if-modified-since future", oss.Conditions{IfModifiedSince: src.LastModified.Add(time.Hour)}, oss.PreconditionFailed},
		{"if-unmodified-since past", oss.Conditions{IfUnmodifiedSince: src.LastModified.Add(-time.Hour)}, oss.PreconditionFailed},
		{"if-unmodified-since future", oss.Conditions{IfUnmodifiedSince: src.LastModified.Add(time.Hour)}, oss.InternalError},
	}
	for _, tt := range tests {
		_, err := t.copy(oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "s", SrcConditions: tt.c, Dest: dst})
		if oss.CodeOf(err) != tt.code || (tt.code != oss.InternalError) != (err != nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.code)
		}
	}
}

func testCopyErrors(t *T) {
	t.Bucket("bkt")
	t.Put("bkt", "s", []byte("data"))
	t.Put("bkt", "taken", []byte("x"))
	tests := []struct {
		name string
		in   oss.CopyObjectInput
		code oss.Code
	}{
		{"missing source", oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "nope", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "d"}}, oss.NoSuchKey},
		{"missing source bucket", oss.CopyObjectInput{SrcBucket: "nope-b", SrcKey: "s", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "d"}}, oss.NoSuchBucket},
		{"missing dest bucket", oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "s", Dest: oss.PutObjectInput{Bucket: "nope-b", Key: "d"}}, oss.NoSuchBucket},
		{"bad dest key", oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "s", Dest: oss.PutObjectInput{Bucket: "bkt", Key: ""}}, oss.InvalidObjectName},
		{"bad source key", oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "d"}}, oss.InvalidObjectName},
		{"forbid overwrite", oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "s", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "taken", ForbidOverwrite: true}}, oss.FileAlreadyExists},
		{"unknown source version", oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "s", SrcVersionID: "123", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "d"}}, oss.NoSuchVersion},
	}
	for _, tt := range tests {
		_, err := t.copy(tt.in)
		if oss.CodeOf(err) != tt.code || err == nil {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.code)
		}
	}
	if _, _, err := t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "d"}); !oss.IsCode(err, oss.NoSuchKey) {
		t.Fatalf("failed copies wrote: %v", err)
	}
	_ = checksum.CRC64
}
