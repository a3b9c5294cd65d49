package storetest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("multipart",
		testCase{"Complete", testMultipartComplete},
		testCase{"CompleteAllAndReupload", testMultipartCompleteAll},
		testCase{"CompleteErrors", testMultipartCompleteErrors},
		testCase{"UploadPartErrors", testUploadPartErrors},
		testCase{"UploadPartCopy", testUploadPartCopy},
		testCase{"Abort", testMultipartAbort},
		testCase{"ListParts", testListParts},
		testCase{"ListUploadsModel", testListUploadsModel},
	)
}

func (t *T) initiate(bucket, key string) string {
	t.Helper()
	u, err := t.E.InitiateMultipartUpload(t.ctx, oss.PutObjectInput{Bucket: bucket, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return u.UploadID
}

func (t *T) part(bucket, key, id string, n int, data []byte) oss.Part {
	t.Helper()
	p, err := t.E.UploadPart(t.ctx, oss.UploadPartInput{Bucket: bucket, Key: key, UploadID: id, PartNumber: n, Size: int64(len(data))}, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("UploadPart %d: %v", n, err)
	}
	return p
}

func testMultipartComplete(t *T) {
	t.Bucket("bkt")
	u, err := t.E.InitiateMultipartUpload(t.ctx, oss.PutObjectInput{Bucket: "bkt", Key: "big", ACL: oss.ACLPublicRead, StorageClass: oss.StorageIA,
		Meta: oss.Metadata{ContentType: "video/mp4", User: map[string]string{"a": "b"}}, Tags: []oss.Tag{{Key: "t", Value: "1"}}})
	if err != nil || u.UploadID == "" || u.Key != "big" || u.Initiated.IsZero() {
		t.Fatalf("initiate %+v %v", u, err)
	}
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.MultipartUploadCount != 1 {
		t.Fatalf("stat %+v", st)
	}
	p1 := Rand(1, 100<<10)
	p2 := Rand(2, 150<<10+7)
	p3 := Rand(3, 1000)
	parts := []oss.Part{t.part("bkt", "big", u.UploadID, 1, p1), t.part("bkt", "big", u.UploadID, 2, p2), t.part("bkt", "big", u.UploadID, 5, p3)}
	for i, d := range [][]byte{p1, p2, p3} {
		if parts[i].ETag != ETag(d) || parts[i].CRC64 != checksum.CRC64(d) || parts[i].Size != int64(len(d)) {
			t.Fatalf("part %d %+v", i, parts[i])
		}
	}
	all := slices.Concat(p1, p2, p3)
	info, err := t.E.CompleteMultipartUpload(t.ctx, oss.CompleteMultipartInput{Bucket: "bkt", Key: "big", UploadID: u.UploadID,
		Parts: []oss.CompletePart{{PartNumber: 1, ETag: parts[0].ETag}, {PartNumber: 2, ETag: strings.ToLower(parts[1].ETag)}, {PartNumber: 5, ETag: strings.Trim(parts[2].ETag, `"`)}}})
	if err != nil {
		t.Fatal(err)
	}
	wantETag := checksum.MultipartETag([][]byte{MD5(p1), MD5(p2), MD5(p3)})
	if info.ETag != wantETag || info.CRC64 != checksum.CRC64(all) || info.Size != int64(len(all)) || info.Type != oss.TypeMultipart || info.PartsCount != 3 {
		t.Fatalf("complete %+v (want ETag %s)", info, wantETag)
	}
	got, gi := t.Get("bkt", "big", "")
	if !bytes.Equal(got, all) || gi.Meta.ContentType != "video/mp4" || gi.Meta.User["a"] != "b" || gi.ACL != oss.ACLPublicRead ||
		gi.StorageClass != oss.StorageIA || len(gi.Tags) != 1 || gi.ETag != wantETag || gi.CRC64 != info.CRC64 {
		t.Fatalf("read %+v", gi)
	}
	// Ranges spanning part boundaries.
	for _, r := range [][2]int64{{100<<10 - 5, 100<<10 + 5}, {0, int64(len(all)) - 1}, {250<<10 + 3, int64(len(all)) - 1}, {100 << 10, 100 << 10}} {
		spec := oss.RangeSpec{Start: r[0], End: r[1]}
		out, err := t.E.GetObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "big", Range: &spec})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(b, all[r[0]:r[1]+1]) {
			t.Fatalf("range %v", r)
		}
	}
	// The upload is gone.
	_, err = t.E.ListParts(t.ctx, oss.ListPartsInput{Bucket: "bkt", Key: "big", UploadID: u.UploadID})
	t.Code(err, oss.NoSuchUpload)
	lu, _ := t.E.ListMultipartUploads(t.ctx, oss.ListUploadsInput{Bucket: "bkt"})
	if len(lu.Uploads) != 0 {
		t.Fatalf("uploads %+v", lu)
	}
	st, _ = t.E.BucketStat(t.ctx, "bkt")
	if st.MultipartUploadCount != 0 || st.ObjectCount != 1 || st.Storage != int64(len(all)) {
		t.Fatalf("stat %+v", st)
	}
	names := t.EventNames("big")
	want := []oss.EventName{"ObjectCreated:InitiateMultipartUpload", "ObjectCreated:UploadPart", "ObjectCreated:UploadPart", "ObjectCreated:UploadPart", oss.ObjectCreatedCompleteMultipart}
	if !slices.Equal(names, want) {
		t.Fatalf("events %v", names)
	}
	// Copying a multipart object copies its content.
	out, err := t.E.CopyObject(t.ctx, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "big", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "copy"}})
	if err != nil || out.Info.CRC64 != info.CRC64 || out.Info.Size != info.Size {
		t.Fatalf("copy %+v %v", out.Info, err)
	}
	got, _ = t.Get("bkt", "copy", "")
	if !bytes.Equal(got, all) {
		t.Fatal("copy of multipart object differs")
	}
}

func testMultipartCompleteAll(t *T) {
	t.Bucket("bkt")
	id := t.initiate("bkt", "k")
	p2 := Rand(22, 120<<10)
	t.part("bkt", "k", id, 2, Rand(21, 100<<10)) // replaced below
	t.part("bkt", "k", id, 3, []byte("tail"))
	t.part("bkt", "k", id, 2, p2)
	p1 := Rand(11, 100<<10)
	t.part("bkt", "k", id, 1, p1)
	info, err := t.E.CompleteMultipartUpload(t.ctx, oss.CompleteMultipartInput{Bucket: "bkt", Key: "k", UploadID: id, CompleteAll: true})
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(p1, p2, []byte("tail"))
	got, _ := t.Get("bkt", "k", "")
	if !bytes.Equal(got, all) || info.PartsCount != 3 || info.CRC64 != checksum.CRC64(all) {
		t.Fatalf("complete-all %+v", info)
	}
	// Unnamed parts are dropped; a later read is unaffected.
	id = t.initiate("bkt", "k2")
	a := t.part("bkt", "k2", id, 1, Rand(31, 100<<10))
	t.part("bkt", "k2", id, 2, Rand(32, 100<<10))
	c := t.part("bkt", "k2", id, 3, []byte("end"))
	if _, err := t.E.CompleteMultipartUpload(t.ctx, oss.CompleteMultipartInput{Bucket: "bkt", Key: "k2", UploadID: id,
		Parts: []oss.CompletePart{{PartNumber: 1, ETag: a.ETag}, {PartNumber: 3, ETag: c.ETag}}}); err != nil {
		t.Fatal(err)
	}
	got, _ = t.Get("bkt", "k2", "")
	if !bytes.Equal(got, slices.Concat(Rand(31, 100<<10), []byte("end"))) {
		t.Fatal("selected parts")
	}
	// Overwriting the multipart object frees it; the other stays readable.
	t.Put("bkt", "k2", []byte("new"))
	got, _ = t.Get("bkt", "k", "")
	if !bytes.Equal(got, all) {
		t.Fatal("unrelated multipart object damaged")
	}
}

func testMultipartCompleteErrors(t *T) {
	t.Bucket("bkt")
	t.Put("bkt", "taken", []byte("x"))
	id := t.initiate("bkt", "k")
	small := t.part("bkt", "k", id, 1, Rand(1, 1000))
	big := t.part("bkt", "k", id, 2, Rand(2, 100<<10))
	last := t.part("bkt", "k", id, 3, Rand(3, 10))
	tests := []struct {
		name string
		in   oss.CompleteMultipartInput
		code oss.Code
	}{
		{"order", oss.CompleteMultipartInput{Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}, {PartNumber: 1, ETag: small.ETag}}}, oss.InvalidPartOrder},
		{"duplicate", oss.CompleteMultipartInput{Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}, {PartNumber: 2, ETag: big.ETag}}}, oss.InvalidPartOrder},
		{"missing part", oss.CompleteMultipartInput{Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}, {PartNumber: 4, ETag: last.ETag}}}, oss.InvalidPart},
		{"wrong etag", oss.CompleteMultipartInput{Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}, {PartNumber: 3, ETag: big.ETag}}}, oss.InvalidPart},
		{"small non-last part", oss.CompleteMultipartInput{Parts: []oss.CompletePart{{PartNumber: 1, ETag: small.ETag}, {PartNumber: 3, ETag: last.ETag}}}, oss.EntityTooSmall},
		{"complete-all small part", oss.CompleteMultipartInput{CompleteAll: true}, oss.EntityTooSmall},
		{"empty list", oss.CompleteMultipartInput{}, oss.MalformedXML},
		{"both", oss.CompleteMultipartInput{CompleteAll: true, Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}}}, oss.InvalidArgument},
		{"unknown upload", oss.CompleteMultipartInput{UploadID: "nope", Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}}}, oss.NoSuchUpload},
		{"wrong key", oss.CompleteMultipartInput{Key: "other", Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}}}, oss.NoSuchUpload},
		{"forbid overwrite", oss.CompleteMultipartInput{Key: "taken", Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}}}, oss.NoSuchUpload},
	}
	for _, tt := range tests {
		in := tt.in
		in.Bucket = "bkt"
		if in.Key == "" {
			in.Key = "k"
		}
		if in.UploadID == "" {
			in.UploadID = id
		}
		_, err := t.E.CompleteMultipartUpload(t.ctx, in)
		if oss.CodeOf(err) != tt.code || err == nil {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.code)
		}
	}
	// Failed completions leave the upload intact.
	if _, err := t.E.CompleteMultipartUpload(t.ctx, oss.CompleteMultipartInput{Bucket: "bkt", Key: "k", UploadID: id,
		Parts: []oss.CompletePart{{PartNumber: 2, ETag: big.ETag}, {PartNumber: 3, ETag: last.ETag}}}); err != nil {
		t.Fatal(err)
	}
	// Forbid-overwrite at completion.
	id = t.initiate("bkt", "taken")
	p := t.part("bkt", "taken", id, 1, []byte("x"))
	_, err := t.E.CompleteMultipartUpload(t.ctx, oss.CompleteMultipartInput{Bucket: "bkt", Key: "taken", UploadID: id, ForbidOverwrite: true,
		Parts: []oss.CompletePart{{PartNumber: 1, ETag: p.ETag}}})
	t.Code(err, oss.FileAlreadyExists)
	t.Code(t.E.DeleteBucket(t.ctx, "bkt"), oss.BucketNotEmpty)
}

func testUploadPartErrors(t *T) {
	t.Bucket("bkt")
	id := t.initiate("bkt", "k")
	tests := []struct {
		name string
		in   oss.UploadPartInput
		body string
		code oss.Code
	}{
		{"part 0", oss.UploadPartInput{PartNumber: 0, Size: 1}, "x", oss.InvalidArgument},
		{"part 10001", oss.UploadPartInput{PartNumber: 10001, Size: 1}, "x", oss.InvalidArgument},
		{"part 10000", oss.UploadPartInput{PartNumber: 10000, Size: 1}, "x", oss.InternalError},
		{"short", oss.UploadPartInput{PartNumber: 1, Size: 10}, "x", oss.IncompleteBody},
		{"digest", oss.UploadPartInput{PartNumber: 1, Size: 1, ContentMD5: MD5([]byte("y"))}, "x", oss.InvalidDigest},
		{"unknown upload", oss.UploadPartInput{UploadID: "nope", PartNumber: 1, Size: 1}, "x", oss.NoSuchUpload},
		{"no bucket", oss.UploadPartInput{Bucket: "nope-b", PartNumber: 1, Size: 1}, "x", oss.NoSuchBucket},
		{"too large", oss.UploadPartInput{PartNumber: 1, Size: oss.MaxPartSize + 1}, "x", oss.EntityTooLarge},
	}
	for _, tt := range tests {
		in := tt.in
		if in.Bucket == "" {
			in.Bucket = "bkt"
		}
		in.Key = "k"
		if in.UploadID == "" {
			in.UploadID = id
		}
		_, err := t.E.UploadPart(t.ctx, in, strings.NewReader(tt.body))
		if oss.CodeOf(err) != tt.code || (tt.code != oss.InternalError) != (err != nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.code)
		}
	}
	lp, _ := t.E.ListParts(t.ctx, oss.ListPartsInput{Bucket: "bkt", Key: "k", UploadID: id})
	if len(lp.Parts) != 1 || lp.Parts[0].PartNumber != 10000 {
		t.Fatalf("parts after failures %+v", lp.Parts)
	}
}

func testUploadPartCopy(t *T) {
	t.Bucket("bkt")
	src := Rand(7, 300<<10)
	srcInfo := t.Put("bkt", "src", src)
	id := t.initiate("bkt", "dst")
	p1, err := t.E.UploadPartCopy(t.ctx, oss.UploadPartCopyInput{Part: oss.UploadPartInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 1},
		SrcBucket: "bkt", SrcKey: "src", SrcRange: &oss.RangeSpec{Start: 0, End: 100<<10 - 1, Standard: true}})
	if err != nil || p1.Size != 100<<10 || p1.ETag != ETag(src[:100<<10]) {
		t.Fatalf("part copy %+v %v", p1, err)
	}
	p2, err := t.E.UploadPartCopy(t.ctx, oss.UploadPartCopyInput{Part: oss.UploadPartInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 2},
		SrcBucket: "bkt", SrcKey: "src", SrcConditions: oss.Conditions{IfMatch: srcInfo.ETag}})
	if err != nil || p2.Size != int64(len(src)) {
		t.Fatalf("whole part copy %+v %v", p2, err)
	}
	_, err = t.E.UploadPartCopy(t.ctx, oss.UploadPartCopyInput{Part: oss.UploadPartInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 3},
		SrcBucket: "bkt", SrcKey: "src", SrcConditions: oss.Conditions{IfMatch: `"00"`}})
	t.Code(err, oss.PreconditionFailed)
	_, err = t.E.UploadPartCopy(t.ctx, oss.UploadPartCopyInput{Part: oss.UploadPartInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 3},
		SrcBucket: "bkt", SrcKey: "missing"})
	t.Code(err, oss.NoSuchKey)
	_, err = t.E.UploadPartCopy(t.ctx, oss.UploadPartCopyInput{Part: oss.UploadPartInput{Bucket: "bkt", Key: "dst", UploadID: "nope", PartNumber: 3},
		SrcBucket: "bkt", SrcKey: "src"})
	t.Code(err, oss.NoSuchUpload)
	_, err = t.E.UploadPartCopy(t.ctx, oss.UploadPartCopyInput{Part: oss.UploadPartInput{Bucket: "bkt", Key: "dst", UploadID: id, PartNumber: 3},
		SrcBucket: "bkt", SrcKey: "src", SrcRange: &oss.RangeSpec{Start: 1 << 30, End: -1, Standard: true}})
	t.Code(err, oss.InvalidRange)
	info, err := t.E.CompleteMultipartUpload(t.ctx, oss.CompleteMultipartInput{Bucket: "bkt", Key: "dst", UploadID: id, CompleteAll: true})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := t.Get("bkt", "dst", "")
	if !bytes.Equal(got, slices.Concat(src[:100<<10], src)) || info.CRC64 != checksum.CRC64(got) {
		t.Fatal("part-copied object differs")
	}
	if names := t.EventNames("dst"); len(names) != 4 || names[1] != "ObjectCreated:UploadPartCopy" {
		t.Fatalf("events %v", names)
	}
}

func testMultipartAbort(t *T) {
	t.Bucket("bkt")
	id := t.initiate("bkt", "k")
	t.part("bkt", "k", id, 1, Rand(1, 200<<10))
	t.part("bkt", "k", id, 2, []byte("x"))
	t.Code(t.E.AbortMultipartUpload(t.ctx, "bkt", "k", id), oss.InternalError)
	t.Code(t.E.AbortMultipartUpload(t.ctx, "bkt", "k", id), oss.NoSuchUpload)
	_, err := t.E.UploadPart(t.ctx, oss.UploadPartInput{Bucket: "bkt", Key: "k", UploadID: id, PartNumber: 3, Size: 1}, strings.NewReader("x"))
	t.Code(err, oss.NoSuchUpload)
	_, err = t.E.CompleteMultipartUpload(t.ctx, oss.CompleteMultipartInput{Bucket: "bkt", Key: "k", UploadID: id, CompleteAll: true})
	t.Code(err, oss.NoSuchUpload)
	names := t.EventNames("k")
	if names[len(names)-1] != oss.ObjectRemovedAbortMultipart {
		t.Fatalf("events %v", names)
	}
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.MultipartUploadCount != 0 || st.Storage != 0 {
		t.Fatalf("stat %+v", st)
	}
	t.Code(t.E.DeleteBucket(t.ctx, "bkt"), oss.InternalError)
}

func testListParts(t *T) {
	t.Bucket("bkt")
	id := t.initiate("bkt", "k")
	for _, n := range []int{7, 1, 3, 10000, 5} {
		t.part("bkt", "k", id, n, []byte(fmt.Sprint(n)))
	}
	var got []int
	marker := 0
	for page := 0; page < 10; page++ {
		out, err := t.E.ListParts(t.ctx, oss.ListPartsInput{Bucket: "bkt", Key: "k", UploadID: id, PartNumberMarker: marker, MaxParts: 2})
		if err != nil {
			t.Fatal(err)
		}
		if out.Upload.UploadID != id || out.MaxParts != 2 {
			t.Fatalf("page %+v", out)
		}
		for _, p := range out.Parts {
			got = append(got, p.PartNumber)
			if p.ETag != ETag([]byte(fmt.Sprint(p.PartNumber))) || p.Size != int64(len(fmt.Sprint(p.PartNumber))) {
				t.Fatalf("part %+v", p)
			}
		}
		if !out.IsTruncated {
			break
		}
		marker = out.NextPartNumberMarker
	}
	if !slices.Equal(got, []int{1, 3, 5, 7, 10000}) {
		t.Fatalf("parts %v", got)
	}
	_, err := t.E.ListParts(t.ctx, oss.ListPartsInput{Bucket: "bkt", Key: "k", UploadID: id, MaxParts: 1001})
	t.Code(err, oss.InvalidArgument)
	_, err = t.E.ListParts(t.ctx, oss.ListPartsInput{Bucket: "bkt", Key: "k", UploadID: "nope"})
	t.Code(err, oss.NoSuchUpload)
}

type uploadRef struct{ key, id string }

func testListUploadsModel(t *T) {
	t.Bucket("bkt")
	r := rand.New(rand.NewPCG(3, 3))
	keys := RandomKeys(r, 60)
	var ups []uploadRef
	for _, k := range keys {
		for i := 0; i < 1+r.IntN(3); i++ {
			ups = append(ups, uploadRef{k, t.initiate("bkt", k)})
		}
	}
	sort.Slice(ups, func(i, j int) bool {
		if ups[i].key != ups[j].key {
			return ups[i].key < ups[j].key
		}
		return ups[i].id < ups[j].id
	})
	for iter := 0; iter < 150; iter++ {
		prefix := []string{"", "a", "b/", "é"}[r.IntN(4)]
		delim := []string{"", "/", "a"}[r.IntN(3)]
		max := 1 + r.IntN(7)
		keyMarker, idMarker := "", ""
		for page := 0; page < 400; page++ {
			wu, wc, wt := modelUploads(ups, prefix, delim, keyMarker, idMarker, max)
			out, err := t.E.ListMultipartUploads(t.ctx, oss.ListUploadsInput{Bucket: "bkt", Prefix: prefix, Delimiter: delim,
				KeyMarker: keyMarker, UploadIDMarker: idMarker, MaxUploads: max})
			if err != nil {
				t.Fatal(err)
			}
			var gu []uploadRef
			for _, u := range out.Uploads {
				gu = append(gu, uploadRef{u.Key, u.UploadID})
			}
			if !slices.Equal(gu, wu) || !slices.Equal(out.CommonPrefixes, wc) || out.IsTruncated != wt {
				t.Fatalf("prefix %q delim %q markers %q/%q max %d:\n got %v %q %v\nwant %v %q %v", prefix, delim, keyMarker, idMarker, max,
					gu, out.CommonPrefixes, out.IsTruncated, wu, wc, wt)
			}
			if !out.IsTruncated {
				break
			}
			keyMarker, idMarker = out.NextKeyMarker, out.NextUploadIDMarker
		}
	}
}

// modelUploads lists uploads (sorted by key, id) the brute-force way.
func modelUploads(ups []uploadRef, prefix, delim, keyMarker, idMarker string, max int) (out []uploadRef, cps []string, truncated bool) {
	seen := map[string]bool{}
	n := 0
	for _, u := range ups {
		if !strings.HasPrefix(u.key, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(u.key[len(prefix):], delim); i >= 0 {
				cp := u.key[:len(prefix)+i+len(delim)]
				if seen[cp] || cp <= keyMarker {
					continue
				}
				seen[cp] = true
				if n == max {
					return out, cps, true
				}
				n++
				cps = append(cps, cp)
				continue
			}
		}
		if keyMarker != "" && (u.key < keyMarker || (u.key == keyMarker && (idMarker == "" || u.id <= idMarker))) {
			continue
		}
		if n == max {
			return out, cps, true
		}
		n++
		out = append(out, u)
	}
	return out, cps, false
}
