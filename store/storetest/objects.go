package storetest

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("objects",
		testCase{"PutGetSizes", testPutGetSizes},
		testCase{"PutErrors", testPutErrors},
		testCase{"GetErrors", testGetErrors},
		testCase{"Ranges", testRanges},
		testCase{"Overwrite", testOverwrite},
		testCase{"Delete", testDelete},
		testCase{"DeleteObjects", testDeleteObjects},
		testCase{"UnknownSize", testUnknownSize},
	)
}

func testPutGetSizes(t *T) {
	t.Bucket("bkt")
	for i, size := range []int{0, 1, 4096, 64 << 10, 64<<10 + 1, 1<<20 + 3} {
		data := Rand(uint64(i), size)
		key := "sizes/" + strconv.Itoa(size)
		in := oss.PutObjectInput{
			Bucket: "bkt", Key: key, Size: int64(size), ContentMD5: MD5(data),
			Meta: oss.Metadata{ContentType: "text/plain", ContentEncoding: "identity", ContentDisposition: "inline",
				ContentLanguage: "en", CacheControl: "no-cache", Expires: "Wed, 21 Oct 2015 07:28:00 GMT",
				User: map[string]string{"color": "blue"}},
			Tags: []oss.Tag{{Key: "t", Value: "v"}}, ACL: oss.ACLPublicRead, StorageClass: oss.StorageIA,
		}
		info, err := t.E.PutObject(t.ctx, in, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if info.ETag != ETag(data) || info.CRC64 != checksum.CRC64(data) || info.Size != int64(size) ||
			info.Type != oss.TypeNormal || info.Key != key || info.Bucket != "bkt" || info.VersionID != "" || info.LastModified.IsZero() {
			t.Fatalf("put info %+v", info)
		}
		got, gi := t.Get("bkt", key, "")
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: data mismatch", size)
		}
		if gi.ETag != info.ETag || gi.CRC64 != info.CRC64 || gi.Size != info.Size || gi.Meta.ContentType != "text/plain" ||
			gi.Meta.ContentEncoding != "identity" || gi.Meta.ContentDisposition != "inline" || gi.Meta.ContentLanguage != "en" ||
			gi.Meta.CacheControl != "no-cache" || gi.Meta.Expires != in.Meta.Expires || gi.Meta.User["color"] != "blue" ||
			gi.ACL != oss.ACLPublicRead || gi.StorageClass != oss.StorageIA || len(gi.Tags) != 1 || gi.Tags[0] != in.Tags[0] || !gi.IsLatest {
			t.Fatalf("get info %+v", gi)
		}
		hi, err := t.E.HeadObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: key})
		if err != nil || hi.ETag != info.ETag || hi.Size != info.Size || !hi.LastModified.Equal(gi.LastModified) {
			t.Fatalf("head %+v %v", hi, err)
		}
	}
	// Defaults: ACL default (inherit), the bucket's storage class.
	info := t.Put("bkt", "plain", []byte("x"))
	if info.ACL != oss.ACLDefault || info.StorageClass != oss.StorageStandard {
		t.Fatalf("defaults %+v", info)
	}
}

func testPutErrors(t *T) {
	t.Bucket("bkt")
	t.Put("bkt", "exists", []byte("hello"))
	bigMeta := map[string]string{"m": strings.Repeat("x", 8<<10)}
	tags11 := make([]oss.Tag, 11)
	for i := range tags11 {
		tags11[i] = oss.Tag{Key: strconv.Itoa(i)}
	}
	tests := []struct {
		name string
		in   oss.PutObjectInput
		body string
		code oss.Code
	}{
		{"no bucket", oss.PutObjectInput{Bucket: "nope-b", Key: "k", Size: 1}, "x", oss.NoSuchBucket},
		{"bad bucket", oss.PutObjectInput{Bucket: "B", Key: "k", Size: 1}, "x", oss.InvalidBucketName},
		{"empty key", oss.PutObjectInput{Bucket: "bkt", Key: "", Size: 1}, "x", oss.InvalidObjectName},
		{"long key", oss.PutObjectInput{Bucket: "bkt", Key: strings.Repeat("k", 1024), Size: 1}, "x", oss.InvalidObjectName},
		{"slash key", oss.PutObjectInput{Bucket: "bkt", Key: "/a", Size: 1}, "x", oss.InvalidObjectName},
		{"backslash key", oss.PutObjectInput{Bucket: "bkt", Key: `\a`, Size: 1}, "x", oss.InvalidObjectName},
		{"short body", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 10}, "abc", oss.IncompleteBody},
		{"short big body", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 1 << 20}, "abc", oss.IncompleteBody},
		{"bad md5", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 3, ContentMD5: MD5([]byte("abd"))}, "abc", oss.InvalidDigest},
		{"too large", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: oss.MaxObjectSize + 1}, "abc", oss.EntityTooLarge},
		{"meta too large", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 3, Meta: oss.Metadata{User: bigMeta}}, "abc", oss.InvalidArgument},
		{"too many tags", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 3, Tags: tags11}, "abc", oss.InvalidArgument},
		{"tag key long", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 3, Tags: []oss.Tag{{Key: strings.Repeat("k", 129)}}}, "abc", oss.InvalidArgument},
		{"tag value long", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 3, Tags: []oss.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}}, "abc", oss.InvalidArgument},
		{"bad acl", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 3, ACL: "x"}, "abc", oss.InvalidArgument},
		{"bad class", oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 3, StorageClass: "x"}, "abc", oss.InvalidArgument},
		{"forbid overwrite", oss.PutObjectInput{Bucket: "bkt", Key: "exists", Size: 3, ForbidOverwrite: true}, "abc", oss.FileAlreadyExists},
		{"forbid overwrite new key", oss.PutObjectInput{Bucket: "bkt", Key: "new", Size: 3, ForbidOverwrite: true}, "abc", oss.InternalError},
	}
	for _, tt := range tests {
		_, err := t.E.PutObject(t.ctx, tt.in, strings.NewReader(tt.body))
		if oss.CodeOf(err) != tt.code || (tt.code != oss.InternalError) != (err != nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.code)
		}
	}
	// Nothing of a failed write is visible or announced.
	if _, err := t.E.HeadObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "k"}); !oss.IsCode(err, oss.NoSuchKey) {
		t.Fatalf("failed put visible: %v", err)
	}
	if names := t.EventNames("k"); len(names) != 0 {
		t.Fatalf("events for failed puts: %v", names)
	}
	data, _ := t.Get("bkt", "exists", "")
	if string(data) != "hello" {
		t.Fatal("forbid-overwrite changed the object")
	}
	// A reader's own *oss.Error passes through.
	want := oss.E("read", oss.RequestTimeout, "slow client")
	_, err := t.E.PutObject(t.ctx, oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 1 << 20}, io.MultiReader(strings.NewReader("abc"), errReader{want}))
	if !errors.Is(err, want) && oss.CodeOf(err) != oss.RequestTimeout {
		t.Fatalf("reader error: %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func testGetErrors(t *T) {
	t.Bucket("bkt")
	info := t.Put("bkt", "exists", []byte("hello"))
	tests := []struct {
		name string
		in   oss.GetObjectInput
		code oss.Code
	}{
		{"missing", oss.GetObjectInput{Bucket: "bkt", Key: "missing"}, oss.NoSuchKey},
		{"no bucket", oss.GetObjectInput{Bucket: "nope-b", Key: "k"}, oss.NoSuchBucket},
		{"bad key", oss.GetObjectInput{Bucket: "bkt", Key: ""}, oss.InvalidObjectName},
		{"if-match ok", oss.GetObjectInput{Bucket: "bkt", Key: "exists", Conditions: oss.Conditions{IfMatch: info.ETag}}, oss.InternalError},
		{"if-match lower", oss.GetObjectInput{Bucket: "bkt", Key: "exists", Conditions: oss.Conditions{IfMatch: strings.ToLower(info.ETag)}}, oss.InternalError},
		{"if-match fail", oss.GetObjectInput{Bucket: "bkt", Key: "exists", Conditions: oss.Conditions{IfMatch: `"abc"`}}, oss.PreconditionFailed},
		{"if-none-match", oss.GetObjectInput{Bucket: "bkt", Key: "exists", Conditions: oss.Conditions{IfNoneMatch: info.ETag}}, oss.NotModified},
		{"if-modified-since", oss.GetObjectInput{Bucket: "bkt", Key: "exists", Conditions: oss.Conditions{IfModifiedSince: info.LastModified.Add(1e9)}}, oss.NotModified},
		{"if-unmodified-since", oss.GetObjectInput{Bucket: "bkt", Key: "exists", Conditions: oss.Conditions{IfUnmodifiedSince: info.LastModified.Add(-2e9)}}, oss.PreconditionFailed},
		{"range standard 416", oss.GetObjectInput{Bucket: "bkt", Key: "exists", Range: &oss.RangeSpec{Start: 10, End: -1, Standard: true}}, oss.InvalidRange},
		{"range oss ignores", oss.GetObjectInput{Bucket: "bkt", Key: "exists", Range: &oss.RangeSpec{Start: 10, End: -1}}, oss.InternalError},
		{"unknown version", oss.GetObjectInput{Bucket: "bkt", Key: "exists", VersionID: "zzz"}, oss.NoSuchVersion},
		{"null version of unversioned", oss.GetObjectInput{Bucket: "bkt", Key: "exists", VersionID: "null"}, oss.InternalError},
	}
	// A 304 needs the object's ETag and Last-Modified: they come with the
	// error.
	out, err := t.E.GetObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "exists", Conditions: oss.Conditions{IfNoneMatch: info.ETag}})
	t.Code(err, oss.NotModified)
	if out == nil || out.Info.ETag != info.ETag || !out.Info.LastModified.Equal(info.LastModified) || out.Body != nil {
		t.Fatalf("304 output %+v", out)
	}
	hi, err := t.E.HeadObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "exists", Conditions: oss.Conditions{IfNoneMatch: info.ETag}})
	t.Code(err, oss.NotModified)
	if hi.ETag != info.ETag {
		t.Fatalf("304 head info %+v", hi)
	}
	for _, tt := range tests {
		_, _, err := t.TryGet(tt.in)
		if oss.CodeOf(err) != tt.code || (tt.code != oss.InternalError) != (err != nil) {
			t.Errorf("get %s: got %v, want %v", tt.name, err, tt.code)
		}
		_, err = t.E.HeadObject(t.ctx, tt.in)
		if oss.CodeOf(err) != tt.code || (tt.code != oss.InternalError) != (err != nil) {
			t.Errorf("head %s: got %v, want %v", tt.name, err, tt.code)
		}
	}
}

func testRanges(t *T) {
	t.Bucket("bkt")
	for _, size := range []int{100, 200 << 10} {
		data := Rand(uint64(size), size)
		t.Put("bkt", "r", data)
		n := int64(size)
		tests := []struct {
			spec       oss.RangeSpec
			start, len int64
			whole      bool
		}{
			{oss.RangeSpec{Start: 0, End: 0}, 0, 1, false},
			{oss.RangeSpec{Start: 3, End: 9}, 3, 7, false},
			{oss.RangeSpec{Start: 5, End: -1}, 5, n - 5, false},
			{oss.RangeSpec{Suffix: 7, End: -1}, n - 7, 7, false},
			{oss.RangeSpec{Start: 5, End: n + 10}, 0, n, true},
			{oss.RangeSpec{Start: 5, End: n + 10, Standard: true}, 5, n - 5, false},
		}
		for _, tt := range tests {
			spec := tt.spec
			out, err := t.E.GetObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "r", Range: &spec})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if tt.whole {
				if out.Range != nil || !bytes.Equal(b, data) {
					t.Fatalf("%+v: want whole object, got range %v", tt.spec, out.Range)
				}
				continue
			}
			if out.Range == nil || out.Range.Start != tt.start || out.Range.Length != tt.len || !bytes.Equal(b, data[tt.start:tt.start+tt.len]) {
				t.Fatalf("%+v: range %v, %d bytes", tt.spec, out.Range, len(b))
			}
		}
	}
}

func testOverwrite(t *T) {
	t.Bucket("bkt")
	big := Rand(1, 300<<10)
	t.Put("bkt", "k", big)
	t.Put("bkt", "k", []byte("small"))
	got, info := t.Get("bkt", "k", "")
	if string(got) != "small" || info.Size != 5 {
		t.Fatalf("got %q", got)
	}
	st, err := t.E.BucketStat(t.ctx, "bkt")
	if err != nil || st.ObjectCount != 1 || st.Storage != 5 || st.LastModified.IsZero() {
		t.Fatalf("stat %+v %v", st, err)
	}
	var deltas []int64
	for _, ev := range t.Events() {
		if ev.Key == "k" {
			deltas = append(deltas, ev.Record.OSS.Object.DeltaSize)
		}
	}
	if len(deltas) != 2 || deltas[0] != 300<<10 || deltas[1] != 5-300<<10 {
		t.Fatalf("deltaSize %v", deltas)
	}
}

func testDelete(t *T) {
	t.Bucket("bkt")
	t.Put("bkt", "k", Rand(2, 100<<10))
	d, err := t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "bkt", Key: "k"})
	if err != nil || d.Key != "k" || d.DeleteMarker {
		t.Fatalf("delete %+v %v", d, err)
	}
	_, _, err = t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "k"})
	t.Code(err, oss.NoSuchKey)
	// Deleting a missing key succeeds, without an event.
	_, err = t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "bkt", Key: "k"})
	t.Code(err, oss.InternalError)
	names := t.EventNames("k")
	if len(names) != 2 || names[1] != oss.ObjectRemovedDelete {
		t.Fatalf("events %v", names)
	}
	_, err = t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "nope-b", Key: "k"})
	t.Code(err, oss.NoSuchBucket)
	_, err = t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "bkt", Key: ""})
	t.Code(err, oss.InvalidObjectName)
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.ObjectCount != 0 || st.Storage != 0 {
		t.Fatalf("stat %+v", st)
	}
}

func testDeleteObjects(t *T) {
	t.Bucket("bkt")
	t.Put("bkt", "a", []byte("1"))
	t.Put("bkt", "b", Rand(3, 100<<10))
	res, err := t.E.DeleteObjects(t.ctx, "bkt", []oss.ObjectIdentifier{{Key: "a"}, {Key: "missing"}, {Key: "b"}, {Key: ""}, {Key: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 5 || res[0].Key != "a" || res[0].Err != nil || res[1].Err != nil || res[2].Key != "b" ||
		!oss.IsCode(res[3].Err, oss.InvalidObjectName) || res[4].Err != nil {
		t.Fatalf("result %+v", res)
	}
	n := 0
	for _, ev := range t.Events() {
		if ev.Name == oss.ObjectRemovedDeleteObjects {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d DeleteObjects events, want 2", n)
	}
	for _, k := range []string{"a", "b"} {
		_, _, err := t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: k})
		t.Code(err, oss.NoSuchKey)
	}
	_, err = t.E.DeleteObjects(t.ctx, "bkt", nil)
	t.Code(err, oss.MalformedXML)
	_, err = t.E.DeleteObjects(t.ctx, "bkt", make([]oss.ObjectIdentifier, 1001))
	t.Code(err, oss.MalformedXML)
	_, err = t.E.DeleteObjects(t.ctx, "nope-b", []oss.ObjectIdentifier{{Key: "a"}})
	t.Code(err, oss.NoSuchBucket)
}

func testUnknownSize(t *T) {
	t.Bucket("bkt")
	for i, n := range []int{0, 10, 64 << 10, 64<<10 + 1, 2 << 20} {
		data := Rand(uint64(i+10), n)
		info, err := t.E.PutObject(t.ctx, oss.PutObjectInput{Bucket: "bkt", Key: "u", Size: -1}, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := t.Get("bkt", "u", "")
		if info.Size != int64(n) || info.ETag != ETag(data) || !bytes.Equal(got, data) {
			t.Fatalf("unknown size %d: %+v", n, info)
		}
	}
}
