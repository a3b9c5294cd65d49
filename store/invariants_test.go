package store

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// checkInvariants verifies, by scanning everything, what the engine
// maintains incrementally: the bucket counters; that every inline data key
// and every blob ref belongs to exactly one record (object version or part);
// that every referenced blob file exists and no other blob file does (after
// a sweep); and that noncurrent versions only exist under a current one.
func checkInvariants(t *testing.T, e *testEnv) {
	t.Helper()
	s := e.s
	it, err := s.db.NewIter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	type counts struct{ objects, versions, storage, uploads int64 }
	got := map[string]*counts{}
	cnt := func(b string) *counts {
		if got[b] == nil {
			got[b] = &counts{}
		}
		return got[b]
	}
	owner := map[[2]uint64]string{} // (kind, id) -> who
	claim := func(who string, r *record) {
		for _, x := range r.Extents {
			k := [2]uint64{uint64(x.Kind), x.ID}
			if prev, ok := owner[k]; ok {
				t.Fatalf("extent %v owned by %s and %s", k, prev, who)
			}
			owner[k] = who
		}
	}
	dataKeys := map[uint64]bool{}
	refKeys := map[uint64]bool{}
	current := map[string]bool{}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		switch k[0] {
		case ksObject, ksVersion:
			r, err := decodeRecord(it.Value())
			if err != nil {
				t.Fatal(err)
			}
			rest := string(k[1:])
			i := bytes.IndexByte(k[1:], 0)
			bucket := rest[:i]
			c := cnt(bucket)
			c.versions++
			c.storage += r.Size
			if k[0] == ksObject {
				current[rest] = true
				if !r.deleteMarker() {
					c.objects++
				}
			} else {
				obj := rest[:len(rest)-9]
				if !current[obj] {
					t.Fatalf("noncurrent version of %q without a current one", obj)
				}
			}
			claim(fmt.Sprintf("%q", k), r)
			checkData(t, s, fmt.Sprintf("%q", k), r)
		case ksUpload:
			rest := string(k[1:])
			cnt(rest[:bytes.IndexByte(k[1:], 0)]).uploads++
		case ksPart:
			r, err := decodeRecord(it.Value())
			if err != nil {
				t.Fatal(err)
			}
			claim(fmt.Sprintf("part %q", k), r)
		case ksData:
			dataKeys[beUint64(k[1:])] = true
		case ksRef:
			refKeys[beUint64(k[1:])] = true
		}
	}
	for k := range owner {
		switch uint8(k[0]) {
		case extInline:
			if !dataKeys[k[1]] {
				t.Fatalf("inline extent %d has no data", k[1])
			}
			delete(dataKeys, k[1])
		case extFile:
			if !refKeys[k[1]] {
				t.Fatalf("file extent %d has no ref", k[1])
			}
			delete(refKeys, k[1])
		}
	}
	if len(dataKeys) != 0 || len(refKeys) != 0 {
		t.Fatalf("orphans: %d data keys, %d refs", len(dataKeys), len(refKeys))
	}
	s.bucketsMu.RLock()
	defer s.bucketsMu.RUnlock()
	for name, bs := range s.buckets {
		s.commitMu.Lock()
		c := bs.c
		s.commitMu.Unlock()
		want := cnt(name)
		if c.Objects != want.objects || c.Versions != want.versions || c.Storage != want.storage || c.Uploads != want.uploads {
			t.Fatalf("bucket %s counters %+v, scan %+v", name, c, *want)
		}
	}
	s.SweepBlobs(bg)
	files := 0
	for k := range owner {
		if uint8(k[0]) == extFile {
			files++
		}
	}
	if n := countBlobFiles(t, e.dir); n != files {
		t.Fatalf("%d blob files, %d referenced", n, files)
	}
}

// checkData reads a version's data (decrypting it if encrypted) whole and
// in a range, and checks it against the record's size and CRC-64.
func checkData(t *testing.T, s *Store, who string, r *record) {
	t.Helper()
	if r.deleteMarker() || r.Type == oss.TypeSymlink {
		return
	}
	if (r.Enc != nil) != (r.SSE != "") {
		t.Fatalf("%s: SSE %q with encryption state %v", who, r.SSE, r.Enc != nil)
	}
	rd, err := s.openData(r, 0, r.Size)
	if err != nil {
		t.Fatalf("%s: open: %v", who, err)
	}
	all, err := io.ReadAll(rd)
	rd.Close()
	if err != nil || int64(len(all)) != r.Size || checksum.CRC64(all) != r.CRC64 {
		t.Fatalf("%s: data of %d bytes (err %v) does not match the record (size %d, CRC)", who, len(all), err, r.Size)
	}
	if r.Size < 3 {
		return
	}
	a, b := r.Size/3, r.Size-r.Size/5
	rd, err = s.openData(r, a, b-a)
	if err != nil {
		t.Fatalf("%s: open range: %v", who, err)
	}
	part, err := io.ReadAll(rd)
	rd.Close()
	if err != nil || !bytes.Equal(part, all[a:b]) {
		t.Fatalf("%s: range [%d,%d) differs (err %v)", who, a, b, err)
	}
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b[:8] {
		v = v<<8 | uint64(c)
	}
	return v
}

// Random operations of every kind, with versioning switched on and off;
// the invariants hold throughout and across a reopen.
func TestRandomOpsInvariants(t *testing.T) {
	e := newEnv(t, Options{InlineThreshold: 512, Encryption: testEncryption(t, 9)})
	buckets := []string{"bk-a", "bk-b"}
	for _, b := range buckets {
		e.bucket(b)
	}
	if err := e.s.PutBucketEncryption(bg, "bk-b", SSEAES256); err != nil { // bk-b encrypts by default
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	keys := []string{"a", "b", "c/d", "c/e", "f"}
	uploads := map[string][2]string{} // id -> bucket, key
	data := func() []byte {
		switch r.IntN(3) {
		case 0:
			return randBytes(r, r.IntN(100))
		case 1:
			return randBytes(r, 400+r.IntN(300))
		}
		return randBytes(r, 100<<10+r.IntN(1000))
	}
	kinds := map[oss.ObjectType]int{} // encrypted objects seen
	// Some writes ask for SSE explicitly (in either bucket).
	sse := func() string {
		if r.IntN(3) == 0 {
			return SSEAES256
		}
		return ""
	}
	for step := 0; step < 1000; step++ {
		b := buckets[r.IntN(2)]
		k := keys[r.IntN(len(keys))]
		var err error
		switch p := r.IntN(100); {
		case p < 2:
			err = e.s.PutBucketVersioning(bg, b, []oss.VersioningStatus{oss.VersioningEnabled, oss.VersioningSuspended}[r.IntN(2)])
		case p < 30:
			d := data()
			_, err = e.s.PutObject(bg, oss.PutObjectInput{Bucket: b, Key: k, Size: int64(len(d)), SSE: sse()}, bytes.NewReader(d))
		case p < 40:
			_, err = e.s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: b, Key: k})
		case p < 48:
			vs, _ := e.s.ListObjectVersions(bg, oss.ListVersionsInput{Bucket: b, Prefix: k, MaxKeys: 1000})
			if len(vs.Versions) > 0 {
				v := vs.Versions[r.IntN(len(vs.Versions))]
				_, err = e.s.DeleteObject(bg, oss.DeleteObjectInput{Bucket: b, Key: v.Key, VersionID: v.VersionID})
			}
		case p < 55:
			_, err = e.s.CopyObject(bg, oss.CopyObjectInput{SrcBucket: buckets[r.IntN(2)], SrcKey: keys[r.IntN(len(keys))], ReplaceMeta: r.IntN(2) == 0,
				Dest: oss.PutObjectInput{Bucket: b, Key: k, SSE: sse()}})
		case p < 65:
			d := data()
			h, herr := e.s.HeadObject(bg, oss.GetObjectInput{Bucket: b, Key: k})
			pos := int64(0)
			if herr == nil {
				pos = h.Size
			}
			_, err = e.s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: b, Key: k, Size: int64(len(d)), SSE: sse()}, Position: pos}, bytes.NewReader(d))
		case p < 70:
			var u oss.MultipartUpload
			u, err = e.s.InitiateMultipartUpload(bg, oss.PutObjectInput{Bucket: b, Key: k, SSE: sse()})
			if err == nil {
				uploads[u.UploadID] = [2]string{b, k}
			}
		case p < 82:
			for id, bk := range uploads {
				d := data()
				_, err = e.s.UploadPart(bg, oss.UploadPartInput{Bucket: bk[0], Key: bk[1], UploadID: id, PartNumber: 1 + r.IntN(3), Size: int64(len(d))}, bytes.NewReader(d))
				break
			}
		case p < 88:
			for id, bk := range uploads {
				_, err = e.s.CompleteMultipartUpload(bg, oss.CompleteMultipartInput{Bucket: bk[0], Key: bk[1], UploadID: id, CompleteAll: true})
				if err == nil || !oss.IsCode(err, oss.EntityTooSmall) && !oss.IsCode(err, oss.InvalidPart) {
					delete(uploads, id)
				} else {
					err = e.s.AbortMultipartUpload(bg, bk[0], bk[1], id)
					delete(uploads, id)
				}
				break
			}
		case p < 92:
			_, err = e.s.PutSymlink(bg, oss.PutSymlinkInput{Bucket: b, Key: k, Target: keys[r.IntN(len(keys))]})
		case p < 96:
			_, err = e.s.PutObjectTagging(bg, b, k, "", []oss.Tag{{Key: "s", Value: fmt.Sprint(step)}})
		default:
			ids := []oss.ObjectIdentifier{{Key: k}, {Key: keys[r.IntN(len(keys))]}}
			_, err = e.s.DeleteObjects(bg, b, ids)
		}
		if err != nil {
			switch oss.CodeOf(err) {
			case oss.ObjectNotAppendable, oss.PositionNotEqualToLength, oss.NoSuchKey, oss.NoSuchVersion:
			default:
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if h, err := e.s.HeadObject(bg, oss.GetObjectInput{Bucket: b, Key: k}); err == nil && h.SSE != "" {
			kinds[h.Type]++
		}
		if step%300 == 299 {
			checkInvariants(t, e)
		}
	}
	checkInvariants(t, e)
	e.reopen()
	checkInvariants(t, e)
	if kinds[oss.TypeNormal] == 0 || kinds[oss.TypeAppendable] == 0 || kinds[oss.TypeMultipart] == 0 {
		t.Fatalf("encrypted objects seen by type: %v", kinds)
	}
}
