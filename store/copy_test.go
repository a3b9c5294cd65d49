package store

import (
	"bytes"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

// A copy onto itself that replaces the current version keeps the data in
// place (no second blob); any other copy owns its own data.
func TestCopyBlobOwnership(t *testing.T) {
	e := newEnv(t, Options{InlineThreshold: 16})
	e.bucket("bkt")
	data := bytes.Repeat([]byte("z"), 1000)
	e.put("bkt", "k", data)
	if _, err := e.s.CopyObject(bg, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", ReplaceMeta: true,
		Dest: oss.PutObjectInput{Bucket: "bkt", Key: "k", Meta: oss.Metadata{ContentType: "a/b"}}}); err != nil {
		t.Fatal(err)
	}
	if n := countBlobFiles(t, e.dir); n != 1 {
		t.Fatalf("%d blob files after metadata update", n)
	}
	if _, err := e.s.CopyObject(bg, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "k2"}}); err != nil {
		t.Fatal(err)
	}
	if n := countBlobFiles(t, e.dir); n != 2 {
		t.Fatalf("%d blob files after copy", n)
	}
	e.reopen()
	for _, k := range []string{"k", "k2"} {
		got, _ := e.get("bkt", k, "")
		if !bytes.Equal(got, data) {
			t.Fatalf("%s lost its data", k)
		}
	}
	// Appendable objects survive reopen and keep growing.
	if _, err := e.s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "a", Size: 3}}, bytes.NewReader([]byte("abc"))); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if _, err := e.s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "a", Size: 3}, Position: 3}, bytes.NewReader([]byte("def"))); err != nil {
		t.Fatal(err)
	}
	got, _ := e.get("bkt", "a", "")
	if string(got) != "abcdef" {
		t.Fatalf("got %q", got)
	}
}
