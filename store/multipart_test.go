package store

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

// Completion references the parts' blobs in place; dropped and replaced
// parts lose their data; abort frees everything.
func TestMultipartBlobs(t *testing.T) {
	e := newEnv(t, Options{InlineThreshold: 1024})
	e.bucket("bkt")
	u, err := e.s.InitiateMultipartUpload(bg, oss.PutObjectInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	part := func(n int, data []byte) oss.Part {
		p, err := e.s.UploadPart(bg, oss.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: u.UploadID, PartNumber: n, Size: int64(len(data))}, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := bytes.Repeat([]byte("a"), 100<<10)
	b := bytes.Repeat([]byte("b"), 100<<10)
	pa := part(1, a)
	part(2, bytes.Repeat([]byte("x"), 200<<10)) // replaced
	pb := part(2, b)
	part(3, bytes.Repeat([]byte("c"), 100<<10)) // not completed
	pd := part(4, []byte("tail"))               // inline
	if n := countBlobFiles(t, e.dir); n != 3 {
		t.Fatalf("%d blob files before completion", n)
	}
	before := blobNames(t, e.dir)
	info, err := e.s.CompleteMultipartUpload(bg, oss.CompleteMultipartInput{Bucket: "bkt", Key: "k", UploadID: u.UploadID,
		Parts: []oss.CompletePart{{PartNumber: 1, ETag: pa.ETag}, {PartNumber: 2, ETag: pb.ETag}, {PartNumber: 4, ETag: pd.ETag}}})
	if err != nil {
		t.Fatal(err)
	}
	after := blobNames(t, e.dir)
	if len(after) != 2 || !slices.Contains(before, after[0]) || !slices.Contains(before, after[1]) {
		t.Fatalf("blobs before %v after %v: completion must reuse part blobs", before, after)
	}
	e.reopen()
	got, _ := e.get("bkt", "k", "")
	if !bytes.Equal(got, slices.Concat(a, b, []byte("tail"))) || info.PartsCount != 3 {
		t.Fatal("completed object")
	}
	if _, err := e.s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: "bkt", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if n := countBlobFiles(t, e.dir); n != 0 {
		t.Fatalf("%d blob files after delete", n)
	}
	// Abort frees the parts.
	u, _ = e.s.InitiateMultipartUpload(bg, oss.PutObjectInput{Bucket: "bkt", Key: "k"})
	part(1, a)
	if err := e.s.AbortMultipartUpload(bg, "bkt", "k", u.UploadID); err != nil {
		t.Fatal(err)
	}
	if n := countBlobFiles(t, e.dir); n != 0 {
		t.Fatalf("%d blob files after abort", n)
	}
	if n := e.s.SweepBlobs(bg); n != 0 {
		t.Fatalf("sweep found %d leftovers", n)
	}
}

func blobNames(t testing.TB, dir string) []string {
	var names []string
	subs, _ := os.ReadDir(filepath.Join(dir, "blobs"))
	for _, d := range subs {
		files, _ := os.ReadDir(filepath.Join(dir, "blobs", d.Name()))
		for _, f := range files {
			names = append(names, f.Name())
		}
	}
	return names
}

// An object of more parts than the reader opens eagerly reads whole and by
// range.
func TestManyPartsLazyOpen(t *testing.T) {
	e := newEnv(t, Options{InlineThreshold: 1024})
	e.bucket("bkt")
	u, err := e.s.InitiateMultipartUpload(bg, oss.PutObjectInput{Bucket: "bkt", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	const parts = eagerOpens + 6
	for n := 1; n <= parts; n++ {
		data := bytes.Repeat([]byte{byte(n)}, 100<<10)
		all = append(all, data...)
		if _, err := e.s.UploadPart(bg, oss.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: u.UploadID, PartNumber: n, Size: int64(len(data))}, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.s.CompleteMultipartUpload(bg, oss.CompleteMultipartInput{Bucket: "bkt", Key: "k", UploadID: u.UploadID, CompleteAll: true}); err != nil {
		t.Fatal(err)
	}
	got, info := e.get("bkt", "k", "")
	if !bytes.Equal(got, all) || info.PartsCount != parts {
		t.Fatal("whole read")
	}
	start := int64(eagerOpens-1)*100<<10 + 5
	out, err := e.s.GetObject(bg, oss.GetObjectInput{Bucket: "bkt", Key: "k", Range: &oss.RangeSpec{Start: start, End: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil || !bytes.Equal(b, all[start:]) {
		t.Fatalf("range read: %v", err)
	}
}
