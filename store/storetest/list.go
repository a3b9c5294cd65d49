package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ossflow/ossflow/oss"
)

func init() {
	register("list",
		testCase{"ModelRandom", testListModel},
		testCase{"Basics", testListBasics},
	)
}

// ModelList is the brute-force listing the engines are compared with: the
// keys with the prefix, rolled up at the delimiter, each entry (key or
// common prefix) reported if it sorts after the marker, cut at max.
func ModelList(keys []string, prefix, delim, marker string, max int) (objs, cps []string, truncated bool, next string) {
	type entry struct {
		s  string
		cp bool
	}
	var all []entry
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					all = append(all, entry{cp, true})
				}
				continue
			}
		}
		all = append(all, entry{k, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s < all[j].s })
	n := 0
	for _, en := range all {
		if en.s <= marker {
			continue
		}
		if n == max {
			truncated = true
			break
		}
		n++
		next = en.s
		if en.cp {
			cps = append(cps, en.s)
		} else {
			objs = append(objs, en.s)
		}
	}
	if !truncated {
		next = ""
	}
	return
}

// RandomKeys returns n distinct valid keys over a small alphabet rich in
// delimiters and multi-byte characters.
func RandomKeys(r *rand.Rand, n int) []string {
	alpha := []string{"a", "b", "/", "-", "é", "z", "aa", "~"}
	var keys []string
	seen := map[string]bool{}
	for len(keys) < n {
		var sb strings.Builder
		for i, l := 0, 1+r.IntN(6); i < l; i++ {
			sb.WriteString(alpha[r.IntN(len(alpha))])
		}
		k := sb.String()
		if !oss.ValidObjectKey(k) || seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	return keys
}

// PutKeys writes a 1-byte object under every key, with 8 writers.
func (t *T) PutKeys(bucket string, keys []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(keys); i += 8 {
				if _, err := t.E.PutObject(t.ctx, oss.PutObjectInput{Bucket: bucket, Key: keys[i], Size: 1}, strings.NewReader("x")); err != nil {
					errs[w] = err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func testListModel(t *T) {
	t.Bucket("bkt")
	r := rand.New(rand.NewPCG(7, 7))
	keys := RandomKeys(r, 1200)
	t.PutKeys("bkt", keys)
	for _, k := range keys[:50] { // deleted keys must not appear
		if _, err := t.E.DeleteObject(t.ctx, oss.DeleteObjectInput{Bucket: "bkt", Key: k}); err != nil {
			t.Fatal(err)
		}
	}
	keys = keys[50:]
	sort.Strings(keys)
	prefixes := []string{"", "a", "a/", "b-", "é", "zz", "q"}
	delims := []string{"", "/", "a", "-/", "é"}
	for iter := 0; iter < 300; iter++ {
		prefix := prefixes[r.IntN(len(prefixes))]
		delim := delims[r.IntN(len(delims))]
		max := 1 + r.IntN(40)
		marker := ""
		switch r.IntN(3) {
		case 1:
			marker = keys[r.IntN(len(keys))]
		case 2:
			marker = keys[r.IntN(len(keys))][:1] + "/"
		}
		for page := 0; page < 200; page++ {
			wo, wc, wt, wn := ModelList(keys, prefix, delim, marker, max)
			out, err := t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "bkt", Prefix: prefix, Delimiter: delim, Marker: marker, MaxKeys: max})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range out.Objects {
				got = append(got, o.Key)
			}
			if !slices.Equal(got, wo) || !slices.Equal(out.CommonPrefixes, wc) || out.IsTruncated != wt || out.NextMarker != wn {
				t.Fatalf("%s:\n got %q %q %v %q\nwant %q %q %v %q", fmt.Sprintf("prefix %q delim %q marker %q max %d", prefix, delim, marker, max),
					got, out.CommonPrefixes, out.IsTruncated, out.NextMarker, wo, wc, wt, wn)
			}
			if !out.IsTruncated {
				break
			}
			marker = out.NextMarker
		}
	}
}

func testListBasics(t *T) {
	t.Bucket("bkt")
	data := Rand(5, 1000)
	info := t.Put("bkt", "dir/a", data)
	t.Put("bkt", "dir/sub/b", []byte("x"))
	t.Put("bkt", "top", []byte("y"))
	out, err := t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "bkt", Prefix: "dir/", Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Objects) != 1 || len(out.CommonPrefixes) != 1 || out.CommonPrefixes[0] != "dir/sub/" || out.IsTruncated || out.NextMarker != "" {
		t.Fatalf("list %+v", out)
	}
	o := out.Objects[0]
	if o.Key != "dir/a" || o.Size != 1000 || o.ETag != info.ETag || o.Type != oss.TypeNormal || o.StorageClass != oss.StorageStandard ||
		!o.LastModified.Equal(info.LastModified) || o.Owner.ID != info.Owner.ID {
		t.Fatalf("entry %+v", o)
	}
	_, err = t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "bkt", MaxKeys: 1001})
	t.Code(err, oss.InvalidArgument)
	_, err = t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "nope-b"})
	t.Code(err, oss.NoSuchBucket)
	out, _ = t.E.ListObjects(t.ctx, oss.ListObjectsInput{Bucket: "bkt"})
	if len(out.Objects) != 3 {
		t.Fatalf("default page %+v", out)
	}
}
