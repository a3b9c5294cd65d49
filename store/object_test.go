package store

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

func TestBuckets(t *testing.T) {
	e := newEnv(t, Options{MaxBuckets: 3})
	s := e.s
	b, err := s.CreateBucket(bg, oss.Bucket{Name: "alpha"})
	if err != nil {
		t.Fatal(err)
	}
	if b.ACL != oss.ACLPrivate || b.StorageClass != oss.StorageStandard || b.Region != "cn-hangzhou" || b.DataRedundancy != "LRS" || b.Owner.ID != "1234567890" {
		t.Fatalf("defaults: %+v", b)
	}
	tests := []struct {
		name string
		in   oss.Bucket
		code oss.Code
	}{
		{"bad name", oss.Bucket{Name: "Bad_Name"}, oss.InvalidBucketName},
		{"short", oss.Bucket{Name: "ab"}, oss.InvalidBucketName},
		{"exists", oss.Bucket{Name: "alpha"}, oss.BucketAlreadyExists},
		{"bad acl", oss.Bucket{Name: "beta", ACL: "nope"}, oss.InvalidArgument},
		{"bad class", oss.Bucket{Name: "beta", StorageClass: "Hot"}, oss.InvalidArgument},
		{"bad region", oss.Bucket{Name: "beta", Region: "us-west-1"}, oss.InvalidLocationConstraint},
		{"ok region prefix", oss.Bucket{Name: "beta", Region: "oss-cn-hangzhou"}, oss.InternalError},
		{"ok", oss.Bucket{Name: "gamma"}, oss.InternalError},
		{"too many", oss.Bucket{Name: "delta"}, oss.TooManyBuckets},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateBucket(bg, tt.in)
			wantCode(t, err, tt.code)
		})
	}
	lb, err := s.ListBuckets(bg, oss.ListBucketsInput{MaxKeys: 2})
	if err != nil || len(lb.Buckets) != 2 || !lb.IsTruncated || lb.NextMarker != "beta" {
		t.Fatalf("list: %+v %v", lb, err)
	}
	lb, _ = s.ListBuckets(bg, oss.ListBucketsInput{Marker: lb.NextMarker})
	if len(lb.Buckets) != 1 || lb.Buckets[0].Name != "gamma" || lb.IsTruncated {
		t.Fatalf("list page 2: %+v", lb)
	}
	lb, _ = s.ListBuckets(bg, oss.ListBucketsInput{Prefix: "al"})
	if len(lb.Buckets) != 1 || lb.Buckets[0].Name != "alpha" {
		t.Fatalf("list prefix: %+v", lb)
	}
	if err := s.PutBucketACL(bg, "alpha", oss.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.PutBucketACL(bg, "alpha", "bogus"), oss.InvalidArgument)
	wantCode(t, s.PutBucketACL(bg, "nope-bucket", oss.ACLPrivate), oss.NoSuchBucket)
	e.put("alpha", "k", []byte("x"))
	wantCode(t, s.DeleteBucket(bg, "alpha"), oss.BucketNotEmpty)
	if _, err := s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: "alpha", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBucketConfig(bg, "alpha", "cors", []byte("<x/>")); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	s = e.s
	got, err := s.GetBucket(bg, "alpha")
	if err != nil || got.ACL != oss.ACLPublicRead {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if v, ok, err := s.GetBucketConfig(bg, "alpha", "cors"); err != nil || !ok || string(v) != "<x/>" {
		t.Fatalf("config: %q %v %v", v, ok, err)
	}
	if err := s.DeleteBucketConfig(bg, "alpha", "cors"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetBucketConfig(bg, "alpha", "cors"); ok {
		t.Fatal("config survived delete")
	}
	if err := s.DeleteBucket(bg, "alpha"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteBucket(bg, "alpha"), oss.NoSuchBucket)
	_, err = s.GetBucket(bg, "alpha")
	wantCode(t, err, oss.NoSuchBucket)
	// Recreate: the bucket sequence continues.
	e.bucket("alpha")
	evs := e.events()
	var names []string
	var last oss.Event
	for _, ev := range evs {
		if ev.Bucket == "alpha" {
			names = append(names, string(ev.Name))
			last = ev
		}
	}
	want := "BucketCreated:PutBucket ObjectCreated:PutObject ObjectRemoved:DeleteObject BucketRemoved:DeleteBucket BucketCreated:PutBucket"
	if strings.Join(names, " ") != want {
		t.Fatalf("events %v", names)
	}
	if last.BucketSeq != 5 {
		t.Fatalf("bucket seq after recreate = %d", last.BucketSeq)
	}
}

func TestPutGetHead(t *testing.T) {
	for _, size := range []int{0, 1, 1000, DefaultInlineThreshold, DefaultInlineThreshold + 1, 3<<20 + 17} {
		t.Run(itoa(size), func(t *testing.T) {
			e := newEnv(t, Options{})
			e.bucket("bk1")
			data := randBytes(rand.New(rand.NewPCG(uint64(size), 1)), size)
			in := oss.PutObjectInput{
				Bucket: "bk1", Key: "dir/obj", Size: int64(size), ContentMD5: md5sum(data),
				Meta: oss.Metadata{ContentType: "text/plain", CacheControl: "no-cache", User: map[string]string{"a": "1"}},
				Tags: []oss.Tag{{Key: "t", Value: "v"}}, ACL: oss.ACLPublicRead, StorageClass: oss.StorageIA,
				Checksums: map[string]string{"crc32": "AAAA"},
			}
			info, err := e.s.PutObject(bg, in, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if info.ETag != etagOf(data) || info.CRC64 != checksum.CRC64(data) || info.Size != int64(size) || info.Type != oss.TypeNormal || info.VersionID != "" {
				t.Fatalf("info %+v", info)
			}
			for _, reopen := range []bool{false, true} {
				if reopen {
					e.reopen()
				}
				got, gi := e.get("bk1", "dir/obj", "")
				if !bytes.Equal(got, data) {
					t.Fatalf("data mismatch (reopen %v)", reopen)
				}
				if gi.Meta.ContentType != "text/plain" || gi.Meta.User["a"] != "1" || gi.ACL != oss.ACLPublicRead ||
					gi.StorageClass != oss.StorageIA || len(gi.Tags) != 1 || gi.Checksums["crc32"] != "AAAA" || gi.Owner.ID != "1234567890" {
					t.Fatalf("get info %+v", gi)
				}
				hi, err := e.s.HeadObject(bg, oss.GetObjectInput{Bucket: "bk1", Key: "dir/obj"})
				if err != nil || hi.ETag != info.ETag || hi.CRC64 != info.CRC64 || !hi.LastModified.Equal(info.LastModified) {
					t.Fatalf("head %+v %v", hi, err)
				}
			}
			// Ranges.
			if size > 10 {
				out, err := e.s.GetObject(bg, oss.GetObjectInput{Bucket: "bk1", Key: "dir/obj", Range: &oss.RangeSpec{Start: 3, End: 9}})
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(out.Body)
				out.Body.Close()
				if !bytes.Equal(b, data[3:10]) || out.Range == nil || out.Range.Start != 3 || out.Range.Length != 7 {
					t.Fatalf("range %v %q", out.Range, b)
				}
				out, err = e.s.GetObject(bg, oss.GetObjectInput{Bucket: "bk1", Key: "dir/obj", Range: &oss.RangeSpec{Suffix: 5, End: -1}})
				if err != nil {
					t.Fatal(err)
				}
				b, _ = io.ReadAll(out.Body)
				out.Body.Close()
				if !bytes.Equal(b, data[size-5:]) {
					t.Fatal("suffix range")
				}
			}
		})
	}
}

func TestObjectErrors(t *testing.T) {
	e := newEnv(t, Options{})
	e.bucket("bk1")
	info := e.put("bk1", "exists", []byte("hello"))
	long := strings.Repeat("k", 1024)
	bigMeta := map[string]string{"m": strings.Repeat("x", 8<<10)}
	tags11 := make([]oss.Tag, 11)
	for i := range tags11 {
		tags11[i] = oss.Tag{Key: itoa(i)}
	}
	puts := []struct {
		name string
		in   oss.PutObjectInput
		body string
		code oss.Code
	}{
		{"no bucket", oss.PutObjectInput{Bucket: "nope-b", Key: "k", Size: 1}, "x", oss.NoSuchBucket},
		{"bad bucket", oss.PutObjectInput{Bucket: "B", Key: "k", Size: 1}, "x", oss.InvalidBucketName},
		{"empty key", oss.PutObjectInput{Bucket: "bk1", Key: "", Size: 1}, "x", oss.InvalidObjectName},
		{"long key", oss.PutObjectInput{Bucket: "bk1", Key: long, Size: 1}, "x", oss.InvalidObjectName},
		{"slash key", oss.PutObjectInput{Bucket: "bk1", Key: "/a", Size: 1}, "x", oss.InvalidObjectName},
		{"short body", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 10}, "abc", oss.IncompleteBody},
		{"short big body", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 1 << 20}, "abc", oss.IncompleteBody},
		{"bad md5", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, ContentMD5: md5sum([]byte("abd"))}, "abc", oss.InvalidDigest},
		{"bad md5 len", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, ContentMD5: []byte{1}}, "abc", oss.InvalidDigest},
		{"too large", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: oss.MaxObjectSize + 1}, "abc", oss.EntityTooLarge},
		{"meta too large", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, Meta: oss.Metadata{User: bigMeta}}, "abc", oss.InvalidArgument},
		{"too many tags", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, Tags: tags11}, "abc", oss.InvalidArgument},
		{"tag key long", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, Tags: []oss.Tag{{Key: strings.Repeat("k", 129)}}}, "abc", oss.InvalidArgument},
		{"tag value long", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, Tags: []oss.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}}, "abc", oss.InvalidArgument},
		{"bad acl", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, ACL: "x"}, "abc", oss.InvalidArgument},
		{"bad class", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, StorageClass: "x"}, "abc", oss.InvalidArgument},
		{"bad sse", oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 3, SSE: "rot13"}, "abc", oss.InvalidEncryptionAlgorithm},
		{"forbid overwrite", oss.PutObjectInput{Bucket: "bk1", Key: "exists", Size: 3, ForbidOverwrite: true}, "abc", oss.FileAlreadyExists},
		{"forbid overwrite new", oss.PutObjectInput{Bucket: "bk1", Key: "new", Size: 3, ForbidOverwrite: true}, "abc", oss.InternalError},
		{"unknown size inline", oss.PutObjectInput{Bucket: "bk1", Key: "u1", Size: -1}, "abc", oss.InternalError},
	}
	for _, tt := range puts {
		t.Run("put/"+tt.name, func(t *testing.T) {
			_, err := e.s.PutObject(bg, tt.in, strings.NewReader(tt.body))
			wantCode(t, err, tt.code)
		})
	}
	gets := []struct {
		name string
		in   oss.GetObjectInput
		code oss.Code
	}{
		{"missing", oss.GetObjectInput{Bucket: "bk1", Key: "missing"}, oss.NoSuchKey},
		{"no bucket", oss.GetObjectInput{Bucket: "nope-b", Key: "k"}, oss.NoSuchBucket},
		{"bad key", oss.GetObjectInput{Bucket: "bk1", Key: ""}, oss.InvalidObjectName},
		{"if-match ok", oss.GetObjectInput{Bucket: "bk1", Key: "exists", Conditions: oss.Conditions{IfMatch: info.ETag}}, oss.InternalError},
		{"if-match fail", oss.GetObjectInput{Bucket: "bk1", Key: "exists", Conditions: oss.Conditions{IfMatch: `"abc"`}}, oss.PreconditionFailed},
		{"if-none-match", oss.GetObjectInput{Bucket: "bk1", Key: "exists", Conditions: oss.Conditions{IfNoneMatch: info.ETag}}, oss.NotModified},
		{"if-modified-since", oss.GetObjectInput{Bucket: "bk1", Key: "exists", Conditions: oss.Conditions{IfModifiedSince: info.LastModified.Add(1e9)}}, oss.NotModified},
		{"if-unmodified-since", oss.GetObjectInput{Bucket: "bk1", Key: "exists", Conditions: oss.Conditions{IfUnmodifiedSince: info.LastModified.Add(-2e9)}}, oss.PreconditionFailed},
		{"range standard 416", oss.GetObjectInput{Bucket: "bk1", Key: "exists", Range: &oss.RangeSpec{Start: 10, End: -1, Standard: true}}, oss.InvalidRange},
		{"range oss whole", oss.GetObjectInput{Bucket: "bk1", Key: "exists", Range: &oss.RangeSpec{Start: 10, End: -1}}, oss.InternalError},
		{"bad version", oss.GetObjectInput{Bucket: "bk1", Key: "exists", VersionID: "zzz"}, oss.NoSuchVersion},
		{"null version of unversioned", oss.GetObjectInput{Bucket: "bk1", Key: "exists", VersionID: "null"}, oss.InternalError},
	}
	for _, tt := range gets {
		t.Run("get/"+tt.name, func(t *testing.T) {
			out, err := e.s.GetObject(bg, tt.in)
			wantCode(t, err, tt.code)
			if err == nil {
				out.Body.Close()
			}
			_, err = e.s.HeadObject(bg, tt.in)
			wantCode(t, err, tt.code)
		})
	}
	// A failed put stores nothing, leaves no blob and records no event.
	if _, err := e.s.HeadObject(bg, oss.GetObjectInput{Bucket: "bk1", Key: "k"}); !oss.IsCode(err, oss.NoSuchKey) {
		t.Fatalf("failed put visible: %v", err)
	}
	if n := countBlobFiles(t, e.dir); n != 0 {
		t.Fatalf("%d blob files left", n)
	}
	for _, ev := range e.events() {
		if ev.Key == "k" {
			t.Fatalf("event for failed put: %+v", ev)
		}
	}
}

func TestReaderErrorPassesThrough(t *testing.T) {
	e := newEnv(t, Options{})
	e.bucket("bk1")
	want := oss.E("x", oss.RequestTimeout, "slow")
	_, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: 1 << 20}, io.MultiReader(strings.NewReader("abc"), errReader{want}))
	if !errors.Is(err, want) {
		t.Fatalf("got %v", err)
	}
	_, err = e.s.PutObject(bg, oss.PutObjectInput{Bucket: "bk1", Key: "k", Size: -1}, errReader{io.ErrClosedPipe})
	wantCode(t, err, oss.IncompleteBody)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestOverwriteAndDelete(t *testing.T) {
	e := newEnv(t, Options{InlineThreshold: 16})
	e.bucket("bk1")
	big := bytes.Repeat([]byte("0123456789"), 100)
	e.put("bk1", "k", big)
	if n := countBlobFiles(t, e.dir); n != 1 {
		t.Fatalf("blob files %d", n)
	}
	e.put("bk1", "k", []byte("small"))
	if n := countBlobFiles(t, e.dir); n != 0 {
		t.Fatalf("blob files after overwrite %d", n)
	}
	got, _ := e.get("bk1", "k", "")
	if string(got) != "small" {
		t.Fatalf("got %q", got)
	}
	st, _ := e.s.BucketStat(bg, "bk1")
	if st.ObjectCount != 1 || st.Storage != 5 {
		t.Fatalf("stat %+v", st)
	}
	d, err := e.s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: "bk1", Key: "k"})
	if err != nil || d.Key != "k" || d.DeleteMarker {
		t.Fatalf("delete %+v %v", d, err)
	}
	// Deleting a missing key succeeds and records nothing.
	n := len(e.events())
	if _, err := e.s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: "bk1", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if len(e.events()) != n {
		t.Fatal("event for a no-op delete")
	}
	st, _ = e.s.BucketStat(bg, "bk1")
	if st.ObjectCount != 0 || st.Storage != 0 {
		t.Fatalf("stat %+v", st)
	}
	// The events: deltaSize, sizes, sequencers, JSON shape.
	evs := e.events()
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, string(ev.Name)+"/"+itoa(int(ev.Record.OSS.Object.DeltaSize)))
	}
	if got := strings.Join(kinds, " "); got != "BucketCreated:PutBucket/0 ObjectCreated:PutObject/1000 ObjectCreated:PutObject/-995 ObjectRemoved:DeleteObject/-5" {
		t.Fatalf("events: %s", got)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) || ev.BucketSeq != uint64(i+1) || ev.Record.OSS.Object.Sequencer != "000000000000000"+itoa(i+1) {
			t.Fatalf("seq %d: %+v", i, ev)
		}
	}
}

func TestDeleteObjects(t *testing.T) {
	e := newEnv(t, Options{})
	e.bucket("bk1")
	e.put("bk1", "a", []byte("1"))
	e.put("bk1", "b", []byte("22"))
	res, err := e.s.DeleteObjects(bg, "bk1", []oss.ObjectIdentifier{{Key: "a"}, {Key: "missing"}, {Key: "b"}, {Key: ""}, {Key: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 || res[0].Key != "a" || res[0].Err != nil || res[1].Err != nil || res[2].Key != "b" || !oss.IsCode(res[3].Err, oss.InvalidObjectName) || res[4].Err != nil {
		t.Fatalf("res %+v", res)
	}
	var n int
	for _, ev := range e.events() {
		if ev.Name == oss.ObjectRemovedDeleteObjects {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d DeleteObjects events", n)
	}
	_, err = e.s.DeleteObjects(bg, "bk1", nil)
	wantCode(t, err, oss.MalformedXML)
	_, err = e.s.DeleteObjects(bg, "bk1", make([]oss.ObjectIdentifier, 1001))
	wantCode(t, err, oss.MalformedXML)
	st, _ := e.s.BucketStat(bg, "bk1")
	if st.ObjectCount != 0 || st.Storage != 0 {
		t.Fatalf("stat %+v", st)
	}
}
