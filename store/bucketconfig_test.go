package store

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// wantConfig checks GetBucketConfig(bucket, name) against want (absent when
// nil and !present).
func wantConfig(t *testing.T, s *Store, bucket, name string, want []byte, present bool) {
	t.Helper()
	v, ok, err := s.GetBucketConfig(bg, bucket, name)
	if err != nil || ok != present || !bytes.Equal(v, want) {
		t.Fatalf("GetBucketConfig(%s, %s) = %q, %v, %v; want %q, %v", bucket, name, v, ok, err, want, present)
	}
}

// diskConfig reads a document straight from the metadata DB.
func diskConfig(t *testing.T, s *Store, bucket, name string) ([]byte, bool) {
	t.Helper()
	v, ok, err := s.get(configKey(bucket, name))
	if err != nil {
		t.Fatal(err)
	}
	return v, ok
}

func TestBucketConfigCache(t *testing.T) {
	e := newEnv(t, Options{})
	// "alpha" is a prefix of "alpha-2": their documents must not mix.
	e.bucket("alpha")
	e.bucket("alpha-2")
	s := e.s

	wantConfig(t, s, "alpha", "cors", nil, false)
	doc := []byte("<CORS>1</CORS>")
	if err := s.PutBucketConfig(bg, "alpha", "cors", doc); err != nil {
		t.Fatal(err)
	}
	doc[1] = 'X' // the caller reuses its buffer
	wantConfig(t, s, "alpha", "cors", []byte("<CORS>1</CORS>"), true)
	wantConfig(t, s, "alpha-2", "cors", nil, false)

	// A change is visible to the next read.
	if err := s.PutBucketConfig(bg, "alpha", "cors", []byte("<CORS>2</CORS>")); err != nil {
		t.Fatal(err)
	}
	wantConfig(t, s, "alpha", "cors", []byte("<CORS>2</CORS>"), true)

	// A caller modifying what it read changes neither the cache nor the
	// next reader's copy.
	v, _, _ := s.GetBucketConfig(bg, "alpha", "cors")
	v[0] = 'Z'
	clear(v[1:])
	wantConfig(t, s, "alpha", "cors", []byte("<CORS>2</CORS>"), true)

	// An empty document is present (and read back as nil, as the DB does).
	if err := s.PutBucketConfig(bg, "alpha", "empty", []byte{}); err != nil {
		t.Fatal(err)
	}
	wantConfig(t, s, "alpha", "empty", nil, true)

	for _, c := range []struct{ bucket, name, doc string }{
		{"alpha", "policy", `{"Version":"1"}`}, {"alpha", "referer", "<R/>"}, {"alpha-2", "policy", `{"Version":"2"}`},
	} {
		if err := s.PutBucketConfig(bg, c.bucket, c.name, []byte(c.doc)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteBucketConfig(bg, "alpha", "referer"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucketConfig(bg, "alpha", "never-set"); err != nil {
		t.Fatal(err)
	}
	wantConfig(t, s, "alpha", "referer", nil, false)

	check := func(s *Store) {
		t.Helper()
		wantConfig(t, s, "alpha", "cors", []byte("<CORS>2</CORS>"), true)
		wantConfig(t, s, "alpha", "empty", nil, true)
		wantConfig(t, s, "alpha", "policy", []byte(`{"Version":"1"}`), true)
		wantConfig(t, s, "alpha", "referer", nil, false)
		wantConfig(t, s, "alpha-2", "policy", []byte(`{"Version":"2"}`), true)
		wantConfig(t, s, "alpha-2", "cors", nil, false)
	}
	check(s)
	// A store reopened from disk serves the same documents.
	e.reopen()
	s = e.s
	check(s)
	if v, ok := diskConfig(t, s, "alpha", "cors"); !ok || string(v) != "<CORS>2</CORS>" {
		t.Fatalf("on disk: %q %v", v, ok)
	}

	// A deleted bucket's documents are gone, from memory and disk, and a
	// bucket recreated under its name starts with none (also after a
	// reopen).
	if err := s.DeleteBucket(bg, "alpha"); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.GetBucketConfig(bg, "alpha", "cors")
	wantCode(t, err, oss.NoSuchBucket)
	wantCode(t, s.PutBucketConfig(bg, "alpha", "cors", []byte("x")), oss.NoSuchBucket)
	wantCode(t, s.DeleteBucketConfig(bg, "alpha", "cors"), oss.NoSuchBucket)
	e.bucket("alpha")
	for range 2 {
		for _, name := range []string{"cors", "empty", "policy"} {
			wantConfig(t, e.s, "alpha", name, nil, false)
			if _, ok := diskConfig(t, e.s, "alpha", name); ok {
				t.Fatalf("%s on disk after DeleteBucket", name)
			}
		}
		wantConfig(t, e.s, "alpha-2", "policy", []byte(`{"Version":"2"}`), true)
		e.reopen()
	}

	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.s.GetBucketConfig(bg, "alpha-2", "policy")
	wantCode(t, err, oss.ServiceUnavailable)
}

// TestBucketConfigConcurrent races writers of shared and private documents
// against readers: a writer reads its own private document back after each
// write, and at the end memory and disk agree on every document.
func TestBucketConfigConcurrent(t *testing.T) {
	e := newEnv(t, Options{})
	e.bucket("alpha")
	s := e.s
	const writers, rounds = 8, 30
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	stop := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := fmt.Sprintf("own-%d", w)
			for i := range rounds {
				doc := []byte(fmt.Sprintf("w%d-%d", w, i))
				if err := s.PutBucketConfig(bg, "alpha", own, doc); err != nil {
					errs <- err
					return
				}
				if v, ok, err := s.GetBucketConfig(bg, "alpha", own); err != nil || !ok || !bytes.Equal(v, doc) {
					errs <- fmt.Errorf("%s: read %q %v %v after writing %q", own, v, ok, err, doc)
					return
				}
				var err error
				if i%3 == 2 {
					err = s.DeleteBucketConfig(bg, "alpha", "shared")
				} else {
					err = s.PutBucketConfig(bg, "alpha", "shared", doc)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if v, ok, err := s.GetBucketConfig(bg, "alpha", "shared"); err != nil || (ok && !bytes.HasPrefix(v, []byte("w"))) {
					errs <- fmt.Errorf("shared: %q %v %v", v, ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, name := range append([]string{"shared"}, func() []string {
		var n []string
		for w := range writers {
			n = append(n, fmt.Sprintf("own-%d", w))
		}
		return n
	}()...) {
		v, ok := diskConfig(t, s, "alpha", name)
		wantConfig(t, s, "alpha", name, v, ok)
	}
}

// TestPebbleOptions checks that the metadata DB runs with its block cache
// and that point lookups of absent keys are answered by bloom filters.
func TestPebbleOptions(t *testing.T) {
	e := newEnv(t, Options{})
	if got := e.s.cache.MaxSize(); got != DefaultCacheSize {
		t.Fatalf("default cache size %d", got)
	}
	small := newEnv(t, Options{CacheSize: 1 << 20})
	if got := small.s.cache.MaxSize(); got != 1<<20 {
		t.Fatalf("cache size %d", got)
	}

	e.bucket("alpha")
	for f := range 3 {
		for i := range 50 {
			e.put("alpha", fmt.Sprintf("k%d-%03d", f, i), []byte("x"))
		}
		if err := e.s.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	before := e.s.db.Metrics().Filter
	for i := range 100 {
		if r, err := e.s.getRecord(objectKey("alpha", fmt.Sprintf("k1-%03d-missing", i))); err != nil || r != nil {
			t.Fatalf("missing key: %v %v", r, err)
		}
	}
	after := e.s.db.Metrics().Filter
	if after.Hits <= before.Hits {
		t.Fatalf("no bloom filter hits: before %+v after %+v", before, after)
	}
	// A data directory whose tables carry no filter (written with pebble's
	// defaults, as before the filters) opens and reads as before.
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	cache := pebble.NewCache(1 << 20)
	defer cache.Unref()
	po := pebbleOptions(cache)
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = nil
	}
	po.Filters = nil
	db, err := pebble.Open(filepath.Join(e.dir, "meta"), po)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Compact([]byte{0}, []byte{0xff}, true); err != nil { // rewrites every table without a filter
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(bg, e.dir, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	if data, _ := e.get("alpha", "k2-049", ""); string(data) != "x" {
		t.Fatalf("after reopen: %q", data)
	}
	if r, err := e.s.getRecord(objectKey("alpha", "k1-missing")); err != nil || r != nil {
		t.Fatalf("missing key after reopen: %v %v", r, err)
	}
}
