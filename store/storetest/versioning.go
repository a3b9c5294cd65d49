package storetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("versioning",
		testCase{"EnabledLifecycleOfAKey", testVersioningEnabled},
		testCase{"Suspended", testVersioningSuspended},
		testCase{"ByVersionID", testVersionIDOperations},
		testCase{"Errors", testVersioningErrors},
		testCase{"ListVersionsModel", testListVersionsModel},
	)
}

func (t *T) versioning(bucket string, st oss.VersioningStatus) {
	t.Helper()
	if err := t.E.PutBucketVersioning(t.ctx, bucket, st); err != nil {
		t.Fatal(err)
	}
}

func (t *T) del(bucket, key, vid string) oss.DeletedObject {
	t.Helper()
	d, err := t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: bucket, Key: key, VersionID: vid})
	if err != nil {
		t.Fatalf("DeleteObject %s@%s: %v", key, vid, err)
	}
	return d
}

func (t *T) versions(bucket, prefix string) []oss.ObjectInfo {
	t.Helper()
	out, err := t.E.ListObjectVersions(t.ctx, oss.ListVersionsInput{Bucket: bucket, Prefix: prefix, MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return out.Versions
}

func describe(vs []oss.ObjectInfo) string {
	var parts []string
	for _, v := range vs {
		s := v.Key + "@" + v.VersionID
		if v.DeleteMarker {
			s += "(DM)"
		}
		if v.IsLatest {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func testVersioningEnabled(t *T) {
	t.Bucket("bkt")
	old := t.Put("bkt", "k", []byte("v0")) // before versioning: the null version
	if old.VersionID != "" {
		t.Fatalf("unversioned put has version %q", old.VersionID)
	}
	t.versioning("bkt", oss.VersioningEnabled)
	b, _ := t.E.GetBucket(t.ctx, "bkt")
	if b.Versioning != oss.VersioningEnabled {
		t.Fatalf("bucket %+v", b)
	}
	v1 := t.Put("bkt", "k", []byte("v1"))
	v2 := t.Put("bkt", "k", Rand(2, 100<<10))
	if v1.VersionID == "" || v1.VersionID == "null" || v1.VersionID == v2.VersionID {
		t.Fatalf("version ids %q %q", v1.VersionID, v2.VersionID)
	}
	got, info := t.Get("bkt", "k", "")
	if !bytes.Equal(got, Rand(2, 100<<10)) || info.VersionID != v2.VersionID || !info.IsLatest {
		t.Fatalf("current %+v", info)
	}
	for vid, want := range map[string]string{v1.VersionID: "v1", "null": "v0"} {
		got, info := t.Get("bkt", "k", vid)
		if string(got) != want || info.VersionID != vid || info.IsLatest {
			t.Fatalf("version %s: %q %+v", vid, got, info)
		}
	}
	// Delete without a version id: a delete marker becomes current.
	d := t.del("bkt", "k", "")
	if !d.DeleteMarker || d.DeleteMarkerVersionID == "" || d.VersionID != d.DeleteMarkerVersionID {
		t.Fatalf("delete %+v", d)
	}
	_, _, err := t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "k"})
	t.Code(err, oss.NoSuchKey)
	hi, err := t.E.HeadObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "k"})
	t.Code(err, oss.NoSuchKey)
	if !hi.DeleteMarker || hi.VersionID != d.DeleteMarkerVersionID {
		t.Fatalf("head of a delete marker %+v", hi)
	}
	gout, err := t.E.GetObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "k", VersionID: d.DeleteMarkerVersionID})
	t.Code(err, oss.NoSuchKey)
	if gout == nil || !gout.Info.DeleteMarker || gout.Info.VersionID != d.DeleteMarkerVersionID {
		t.Fatalf("get of a delete marker version %+v", gout)
	}
	lo, _ := t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "bkt"})
	if len(lo.Objects) != 0 {
		t.Fatalf("deleted key listed %+v", lo.Objects)
	}
	vs := t.versions("bkt", "")
	want := fmt.Sprintf("k@%s(DM)* k@%s k@%s k@null", d.DeleteMarkerVersionID, v2.VersionID, v1.VersionID)
	if describe(vs) != want {
		t.Fatalf("versions %s, want %s", describe(vs), want)
	}
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.ObjectCount != 0 || st.Storage != 100<<10+4 {
		t.Fatalf("stat %+v", st)
	}
	t.Code(t.E.DeleteBucket(t.ctx, "bkt"), oss.BucketNotEmpty)
	// Removing the delete marker restores v2.
	d2 := t.del("bkt", "k", d.DeleteMarkerVersionID)
	if !d2.DeleteMarker || d2.VersionID != d.DeleteMarkerVersionID {
		t.Fatalf("delete marker removal %+v", d2)
	}
	_, info = t.Get("bkt", "k", "")
	if info.VersionID != v2.VersionID {
		t.Fatalf("after marker removal %+v", info)
	}
	// Deleting the current version physically promotes the previous one.
	d3 := t.del("bkt", "k", v2.VersionID)
	if d3.DeleteMarker || d3.VersionID != v2.VersionID {
		t.Fatalf("version delete %+v", d3)
	}
	got, info = t.Get("bkt", "k", "")
	if string(got) != "v1" || info.VersionID != v1.VersionID || !info.IsLatest {
		t.Fatalf("promoted %q %+v", got, info)
	}
	_, _, err = t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "k", VersionID: v2.VersionID})
	t.Code(err, oss.NoSuchVersion)
	t.del("bkt", "k", v1.VersionID)
	t.del("bkt", "k", "null")
	if vs := t.versions("bkt", ""); len(vs) != 0 {
		t.Fatalf("versions left %s", describe(vs))
	}
	st, _ = t.E.BucketStat(t.ctx, "bkt")
	if st.ObjectCount != 0 || st.Storage != 0 {
		t.Fatalf("stat %+v", st)
	}
	t.Code(t.E.DeleteBucket(t.ctx, "bkt"), oss.InternalError)
	// Events: creation, marker, removals, each with its version id.
	var evs []string
	for _, ev := range t.Events() {
		if ev.Key == "k" {
			evs = append(evs, string(ev.Name)+"@"+ev.VersionID)
		}
	}
	wantEv := []string{"ObjectCreated:PutObject@", "ObjectCreated:PutObject@" + v1.VersionID, "ObjectCreated:PutObject@" + v2.VersionID,
		"ObjectRemoved:DeleteObject@" + d.DeleteMarkerVersionID, "ObjectRemoved:DeleteObject@" + d.DeleteMarkerVersionID,
		"ObjectRemoved:DeleteObject@" + v2.VersionID, "ObjectRemoved:DeleteObject@" + v1.VersionID, "ObjectRemoved:DeleteObject@null"}
	if !slices.Equal(evs, wantEv) {
		t.Fatalf("events\n%v\nwant\n%v", evs, wantEv)
	}
}

func testVersioningSuspended(t *T) {
	t.Bucket("bkt")
	t.versioning("bkt", oss.VersioningEnabled)
	v1 := t.Put("bkt", "k", []byte("v1"))
	t.versioning("bkt", oss.VersioningSuspended)
	n1 := t.Put("bkt", "k", []byte("n1"))
	if n1.VersionID != "null" {
		t.Fatalf("suspended put version %q", n1.VersionID)
	}
	t.Put("bkt", "k", []byte("n2")) // replaces the null version
	if got := describe(t.versions("bkt", "")); got != "k@null* k@"+v1.VersionID {
		t.Fatalf("versions %s", got)
	}
	got, _ := t.Get("bkt", "k", "null")
	if string(got) != "n2" {
		t.Fatalf("null version %q", got)
	}
	// A delete marker while suspended is the null version too.
	d := t.del("bkt", "k", "")
	if !d.DeleteMarker || d.DeleteMarkerVersionID != "null" {
		t.Fatalf("suspended delete %+v", d)
	}
	if got := describe(t.versions("bkt", "")); got != "k@null(DM)* k@"+v1.VersionID {
		t.Fatalf("versions %s", got)
	}
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.ObjectCount != 0 || st.Storage != 2 {
		t.Fatalf("stat %+v", st)
	}
	// Re-enabled: new ids; a noncurrent null version is replaced by the
	// next suspended write.
	t.versioning("bkt", oss.VersioningEnabled)
	v3 := t.Put("bkt", "k", []byte("v3"))
	t.versioning("bkt", oss.VersioningSuspended)
	t.Put("bkt", "k", []byte("n3"))
	if got := describe(t.versions("bkt", "")); got != "k@null* k@"+v3.VersionID+" k@"+v1.VersionID {
		t.Fatalf("versions %s", got)
	}
	// forbid-overwrite is ignored once versioning has been set.
	_, err := t.E.PutObject(t.ctx, oss.PutObjectInput{Bucket: "bkt", Key: "k", Size: 1, ForbidOverwrite: true}, strings.NewReader("x"))
	t.Code(err, oss.InternalError)
	t.Code(t.E.PutBucketVersioning(t.ctx, "bkt", oss.VersioningOff), oss.MalformedXML)
	t.Code(t.E.PutBucketVersioning(t.ctx, "nope-b", oss.VersioningEnabled), oss.NoSuchBucket)
}

func testVersionIDOperations(t *T) {
	t.Bucket("bkt")
	t.versioning("bkt", oss.VersioningEnabled)
	v1 := t.Put("bkt", "k", []byte("one"))
	v2 := t.Put("bkt", "k", []byte("two"))
	// Copy from an old version.
	out, err := t.E.CopyObject(t.ctx, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", SrcVersionID: v1.VersionID, Dest: oss.PutObjectInput{Bucket: "bkt", Key: "c"}})
	if err != nil || out.SrcVersionID != v1.VersionID || out.Info.VersionID == "" {
		t.Fatalf("copy %+v %v", out, err)
	}
	got, _ := t.Get("bkt", "c", "")
	if string(got) != "one" {
		t.Fatalf("copied %q", got)
	}
	// Copy onto itself in a versioned bucket makes a new version.
	out, err = t.E.CopyObject(t.ctx, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", ReplaceMeta: true, Dest: oss.PutObjectInput{Bucket: "bkt", Key: "k", Meta: oss.Metadata{ContentType: "x/y"}}})
	if err != nil || out.Info.VersionID == v2.VersionID {
		t.Fatalf("self copy %+v %v", out, err)
	}
	got, info := t.Get("bkt", "k", v2.VersionID)
	if string(got) != "two" || info.Meta.ContentType == "x/y" {
		t.Fatal("old version changed by the metadata copy")
	}
	got, _ = t.Get("bkt", "k", "")
	if string(got) != "two" {
		t.Fatal("self copy content")
	}
	// Tagging and ACL of a specific version.
	if _, err := t.E.PutObjectTagging(t.ctx, "bkt", "k", v1.VersionID, []oss.Tag{{Key: "old", Value: "yes"}}); err != nil {
		t.Fatal(err)
	}
	tg, _ := t.E.GetObjectTagging(t.ctx, "bkt", "k", v1.VersionID)
	cur, _ := t.E.GetObjectTagging(t.ctx, "bkt", "k", "")
	if len(tg.Tags) != 1 || len(cur.Tags) != 0 || tg.VersionID != v1.VersionID {
		t.Fatalf("version tagging %+v / %+v", tg, cur)
	}
	if _, err := t.E.PutObjectACL(t.ctx, "bkt", "k", v1.VersionID, oss.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	_, info = t.Get("bkt", "k", v1.VersionID)
	if info.ACL != oss.ACLPublicRead || len(info.Tags) != 1 {
		t.Fatalf("version acl %+v", info)
	}
	// DeleteObjects with versions, and a marker, in one batch.
	res, err := t.E.DeleteObjects(t.ctx, "bkt", []oss.ObjectIdentifier{{Key: "k", VersionID: v1.VersionID}, {Key: "c"}, {Key: "k", VersionID: "0000000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].VersionID != v1.VersionID || !res[1].DeleteMarker || !oss.IsCode(res[2].Err, oss.NoSuchVersion) {
		t.Fatalf("batch %+v", res)
	}
	_, _, err = t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "k", VersionID: v1.VersionID})
	t.Code(err, oss.NoSuchVersion)
	// Appending in a versioned bucket grows the current version in place.
	a, err := t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "log", Size: 2}}, strings.NewReader("ab"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "log", Size: 2}, Position: 2}, strings.NewReader("cd"))
	if err != nil || b.VersionID != a.VersionID || len(t.versions("bkt", "log")) != 1 {
		t.Fatalf("append versions %+v %+v %v", a, b, err)
	}
	// Overwritten, the appendable version stays as a noncurrent version.
	t.Put("bkt", "log", []byte("x"))
	got, _ = t.Get("bkt", "log", a.VersionID)
	if string(got) != "abcd" {
		t.Fatalf("noncurrent appendable %q", got)
	}
	t.del("bkt", "log", "")
	_, err = t.E.AppendObject(t.ctx, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "log", Size: 1}}, strings.NewReader("e"))
	t.Code(err, oss.ObjectNotAppendable)
}

func testVersioningErrors(t *T) {
	t.Bucket("bkt")
	t.versioning("bkt", oss.VersioningEnabled)
	t.Put("bkt", "k", []byte("x"))
	for _, vid := range []string{"nope", "0000000000000001", "null"} {
		_, _, err := t.TryGet(oss.GetObjectInput{Bucket: "bkt", Key: "k", VersionID: vid})
		t.Code(err, oss.NoSuchVersion)
		_, err = t.E.HeadObject(t.ctx, oss.GetObjectInput{Bucket: "bkt", Key: "k", VersionID: vid})
		t.Code(err, oss.NoSuchVersion)
		_, err = t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "bkt", Key: "k", VersionID: vid})
		t.Code(err, oss.NoSuchVersion)
		_, err = t.E.PutObjectTagging(t.ctx, "bkt", "k", vid, nil)
		t.Code(err, oss.NoSuchVersion)
		_, err = t.E.CopyObject(t.ctx, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", SrcVersionID: vid, Dest: oss.PutObjectInput{Bucket: "bkt", Key: "d"}})
		t.Code(err, oss.NoSuchVersion)
	}
	d := t.del("bkt", "k", "")
	_, err := t.E.CopyObject(t.ctx, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "d"}})
	t.Code(err, oss.NoSuchKey)
	_, err = t.E.CopyObject(t.ctx, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "k", SrcVersionID: d.DeleteMarkerVersionID, Dest: oss.PutObjectInput{Bucket: "bkt", Key: "d"}})
	t.Code(err, oss.NoSuchKey)
	_, err = t.E.PutObjectTagging(t.ctx, "bkt", "k", "", nil)
	t.Code(err, oss.NoSuchKey)
	_, err = t.E.ListObjectVersions(t.ctx, oss.ListVersionsInput{Bucket: "bkt", MaxKeys: 1001})
	t.Code(err, oss.InvalidArgument)
	_, err = t.E.ListObjectVersions(t.ctx, oss.ListVersionsInput{Bucket: "nope-b"})
	t.Code(err, oss.NoSuchBucket)
}

// vmodel tracks each key's versions newest first, from the API's answers.
type vmodel map[string][]oss.ObjectInfo

func (m vmodel) without(key, vid string) {
	m[key] = slices.DeleteFunc(m[key], func(v oss.ObjectInfo) bool { return v.VersionID == vid })
	if len(m[key]) == 0 {
		delete(m, key)
	}
}

// list is the brute-force ListObjectVersions.
func (m vmodel) list(prefix, delim, keyMarker, vidMarker string, max int) (vers []string, cps []string, truncated bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type entry struct {
		s  string
		cp bool
	}
	var entries []entry
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] && cp > keyMarker {
					seen[cp] = true
					entries = append(entries, entry{cp, true})
				}
				continue
			}
		}
		after := vidMarker == "" || k != keyMarker
		for _, v := range m[k] {
			if k < keyMarker || (k == keyMarker && !after) {
				if k == keyMarker && v.VersionID == vidMarker {
					after = true
				}
				continue
			}
			if k == keyMarker && vidMarker == "" {
				continue
			}
			entries = append(entries, entry{k + "@" + v.VersionID, false})
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i].s, entries[j].s
		if !entries[i].cp {
			a = a[:strings.LastIndexByte(a, '@')]
		}
		if !entries[j].cp {
			b = b[:strings.LastIndexByte(b, '@')]
		}
		return a < b
	})
	for i, e := range entries {
		if i == max {
			return vers, cps, true
		}
		if e.cp {
			cps = append(cps, e.s)
		} else {
			vers = append(vers, e.s)
		}
	}
	return vers, cps, false
}

func testListVersionsModel(t *T) {
	t.Bucket("bkt")
	r := rand.New(rand.NewPCG(11, 12))
	keys := RandomKeys(r, 40)
	m := vmodel{}
	status := oss.VersioningOff
	for i := 0; i < 400; i++ {
		if i == 20 || r.IntN(60) == 0 {
			status = []oss.VersioningStatus{oss.VersioningEnabled, oss.VersioningSuspended}[r.IntN(2)]
			if i == 20 {
				status = oss.VersioningEnabled
			}
			t.versioning("bkt", status)
			continue
		}
		k := keys[r.IntN(len(keys))]
		switch p := r.IntN(10); {
		case p < 6:
			info := t.Put("bkt", k, []byte{byte(i)})
			if status != oss.VersioningEnabled {
				m.without(k, "null")
				m.without(k, "")
			}
			if info.VersionID == "" {
				info.VersionID = "null"
			}
			m[k] = append([]oss.ObjectInfo{info}, m[k]...)
		case p < 8:
			d := t.del("bkt", k, "")
			switch {
			case status == oss.VersioningOff:
				m.without(k, "null")
			case status == oss.VersioningSuspended:
				m.without(k, "null")
				m[k] = append([]oss.ObjectInfo{{Key: k, VersionID: "null", DeleteMarker: true}}, m[k]...)
			default:
				m[k] = append([]oss.ObjectInfo{{Key: k, VersionID: d.DeleteMarkerVersionID, DeleteMarker: true}}, m[k]...)
			}
		default:
			if vs := m[k]; len(vs) > 0 {
				v := vs[r.IntN(len(vs))]
				t.del("bkt", k, v.VersionID)
				m.without(k, v.VersionID)
			}
		}
	}
	// Current objects: the newest non-marker of each key.
	var live []string
	for k, vs := range m {
		if !vs[0].DeleteMarker {
			live = append(live, k)
		}
	}
	sort.Strings(live)
	lo, err := t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "bkt", MaxKeys: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var gotLive []string
	for _, o := range lo.Objects {
		gotLive = append(gotLive, o.Key)
	}
	if !slices.Equal(gotLive, live) {
		t.Fatalf("live keys %q, want %q", gotLive, live)
	}
	total := 0
	for _, vs := range m {
		total += len(vs)
	}
	t.Logf("%d versions of %d keys, %d live", total, len(m), len(live))
	for iter := 0; iter < 120; iter++ {
		prefix := []string{"", "a", "b/", "é"}[r.IntN(4)]
		delim := []string{"", "/", "a"}[r.IntN(3)]
		max := 1 + r.IntN(9)
		km, vm := "", ""
		for page := 0; page <= total+1; page++ {
			wv, wc, wt := m.list(prefix, delim, km, vm, max)
			out, err := t.E.ListObjectVersions(t.ctx, oss.ListVersionsInput{Bucket: "bkt", Prefix: prefix, Delimiter: delim, KeyMarker: km, VersionIDMarker: vm, MaxKeys: max})
			if err != nil {
				t.Fatal(err)
			}
			var gv []string
			for _, v := range out.Versions {
				gv = append(gv, v.Key+"@"+v.VersionID)
			}
			if !slices.Equal(gv, wv) || !slices.Equal(out.CommonPrefixes, wc) || out.IsTruncated != wt {
				t.Fatalf("prefix %q delim %q markers %q/%q max %d:\n got %q %q %v\nwant %q %q %v", prefix, delim, km, vm, max, gv, out.CommonPrefixes, out.IsTruncated, wv, wc, wt)
			}
			// Latest flags and delete markers.
			for _, v := range out.Versions {
				vs := m[v.Key]
				if v.IsLatest != (vs[0].VersionID == v.VersionID) {
					t.Fatalf("IsLatest of %s@%s", v.Key, v.VersionID)
				}
				for _, mv := range vs {
					if mv.VersionID == v.VersionID && mv.DeleteMarker != v.DeleteMarker {
						t.Fatalf("DeleteMarker of %s@%s", v.Key, v.VersionID)
					}
				}
			}
			if !out.IsTruncated {
				break
			}
			km, vm = out.NextKeyMarker, out.NextVersionIDMarker
		}
	}
	st, _ := t.E.BucketStat(t.ctx, "bkt")
	if st.ObjectCount != int64(len(live)) {
		t.Fatalf("object count %d, want %d", st.ObjectCount, len(live))
	}
}
