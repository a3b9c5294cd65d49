package store

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// Benchmarks of the engine through its public methods, on real disk
// (b.TempDir). Run with: go test -run '^$' -bench . ./store/

func benchStore(b *testing.B, opts Options) *Store {
	b.Helper()
	s, err := Open(bg, b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.CreateBucket(bg, oss.Bucket{Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	return s
}

// goroutines sets RunParallel to use n goroutines in total.
func goroutines(b *testing.B, n int) {
	b.SetParallelism((n + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
}

func benchPut(b *testing.B, s *Store, size, par int) {
	data := bytes.Repeat([]byte("x"), size)
	b.SetBytes(int64(size))
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	if par == 1 {
		for i := 0; b.Loop(); i++ {
			if _, err := s.PutObject(bg, oss.PutObjectInput{Bucket: "bench", Key: fmt.Sprintf("k/%09d", i), Size: int64(size)}, bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		goroutines(b, par)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				if _, err := s.PutObject(bg, oss.PutObjectInput{Bucket: "bench", Key: fmt.Sprintf("k/%09d", i), Size: int64(size)}, bytes.NewReader(data)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkPut4KiB(b *testing.B) {
	for _, par := range []int{1, 16, 32} {
		b.Run(fmt.Sprintf("par=%d", par), func(b *testing.B) {
			benchPut(b, benchStore(b, Options{}), 4<<10, par)
		})
	}
}

func BenchmarkPut16MiB(b *testing.B) {
	benchPut(b, benchStore(b, Options{}), 16<<20, 1)
}

func BenchmarkGet4KiB(b *testing.B) {
	s := benchStore(b, Options{})
	data := bytes.Repeat([]byte("x"), 4<<10)
	const keys = 1000
	for i := 0; i < keys; i++ {
		if _, err := s.PutObject(bg, oss.PutObjectInput{Bucket: "bench", Key: fmt.Sprintf("k/%09d", i), Size: int64(len(data))}, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	for _, par := range []int{1, 16} {
		b.Run(fmt.Sprintf("par=%d", par), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var n atomic.Int64
			goroutines(b, par)
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 8<<10)
				for pb.Next() {
					i := n.Add(1) % keys
					out, err := s.GetObject(bg, oss.GetObjectInput{Bucket: "bench", Key: fmt.Sprintf("k/%09d", i)})
					if err != nil {
						b.Error(err)
						return
					}
					if m, _ := io.ReadFull(out.Body, buf[:len(data)]); m != len(data) {
						b.Error("short read")
					}
					out.Body.Close()
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

var listOnce sync.Once
var listStore *Store

// BenchmarkList1000 lists a page of 1000 keys out of 100k, with and without
// a delimiter that rolls most of them up.
func BenchmarkList1000(b *testing.B) {
	s := benchStore(b, Options{})
	const total = 100_000
	var wg sync.WaitGroup
	var n atomic.Int64
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := n.Add(1) - 1
				if i >= total {
					return
				}
				key := fmt.Sprintf("dir%03d/obj%06d", i%100, i)
				if _, err := s.PutObject(bg, oss.PutObjectInput{Bucket: "bench", Key: key, Size: 1}, bytes.NewReader([]byte("x"))); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, tc := range []struct{ name, prefix, delim, marker string }{
		{"flat", "", "", "dir050/"},
		{"prefix", "dir042/", "", ""},
		{"delimiter", "", "/", ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.ListObjects(bg, oss.ListObjectsInput{Bucket: "bench", Prefix: tc.prefix, Delimiter: tc.delim, Marker: tc.marker, MaxKeys: 1000})
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Objects)+len(out.CommonPrefixes) == 0 {
					b.Fatal("empty page")
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lists/s")
		})
	}
}

// BenchmarkInlineThreshold compares storing objects inline in the metadata
// DB with blob files, at 16 concurrent writers, to choose the default
// threshold.
func BenchmarkInlineThreshold(b *testing.B) {
	for _, size := range []int{4 << 10, 16 << 10, 64 << 10, 256 << 10} {
		for _, mode := range []struct {
			name   string
			inline int64
		}{{"inline", 1 << 30}, {"file", -1}} {
			b.Run(fmt.Sprintf("size=%dKiB/%s", size>>10, mode.name), func(b *testing.B) {
				benchPut(b, benchStore(b, Options{InlineThreshold: mode.inline}), size, 16)
			})
		}
	}
}

// BenchmarkListMillion lists pages out of a million keys. The keys are
// bulk-loaded straight into the metadata DB (records only, large unsynced
// batches) to keep the setup short; listing reads them as any others.
func BenchmarkListMillion(b *testing.B) {
	s := benchStore(b, Options{})
	const total = 1_000_000
	r := &record{Type: oss.TypeNormal, Size: 1, ETag: etagOf([]byte("x")), StorageClass: oss.StorageStandard, ACL: oss.ACLDefault,
		Owner: oss.Owner{ID: "1"}, Flags: flagNull}
	for i := 0; i < total; {
		batch := s.db.NewBatch()
		for j := 0; j < 50_000 && i < total; j, i = j+1, i+1 {
			r.VSeq = uint64(i + 1)
			batch.Set(objectKey("bench", fmt.Sprintf("dir%03d/sub%02d/obj%07d", i%1000, i%7, i)), encodeRecord(r), nil)
		}
		commitBatch(b, batch)
	}
	// Let the flushes and compactions of the load settle.
	if err := s.db.Flush(); err != nil {
		b.Fatal(err)
	}
	waitCompactions(s)
	for _, tc := range []struct{ name, prefix, delim, marker string }{
		{"flat-middle", "", "", "dir500/"},
		{"prefix", "dir777/", "", ""},
		{"delimiter-top", "", "/", ""},
		{"delimiter-nested", "dir123/", "/", ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := s.ListObjects(bg, oss.ListObjectsInput{Bucket: "bench", Prefix: tc.prefix, Delimiter: tc.delim, Marker: tc.marker, MaxKeys: 1000})
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Objects)+len(out.CommonPrefixes) == 0 {
					b.Fatal("empty page")
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lists/s")
		})
	}
}

// loadInlineObjects bulk-loads n 4 KiB objects (record plus inline data, as
// PutObject stores them) straight into the metadata DB in unsynced batches,
// flushing every n/tables objects so the data sits in many sstables, and
// lets the compactions settle.
func loadInlineObjects(b *testing.B, s *Store, n, tables int) {
	b.Helper()
	data := bytes.Repeat([]byte("x"), 4<<10)
	r := &record{Type: oss.TypeNormal, Size: int64(len(data)), ETag: etagOf(data), StorageClass: oss.StorageStandard,
		ACL: oss.ACLDefault, Owner: oss.Owner{ID: "1"}, Flags: flagNull}
	per := max(n/tables, 1)
	for i := 0; i < n; {
		batch := s.db.NewBatch()
		for j := 0; j < per && i < n; j, i = j+1, i+1 {
			id := s.clock.next()
			r.VSeq = id
			r.Extents = []extent{{Kind: extInline, ID: id, Size: int64(len(data))}}
			batch.Set(objectKey("bench", fmt.Sprintf("obj/%08d", i)), encodeRecord(r), nil)
			batch.Set(dataKey(id), data, nil)
		}
		commitBatch(b, batch)
		if err := s.db.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	waitCompactions(s)
}

// commitBatch commits a bulk-load batch without syncing and closes it.
func commitBatch(b *testing.B, batch *pebble.Batch) {
	b.Helper()
	if err := batch.Commit(nil); err != nil {
		b.Fatal(err)
	}
	batch.Close()
}

// waitCompactions waits (up to a minute) for the DB's compactions to end.
func waitCompactions(s *Store) {
	for i := 0; i < 600 && s.db.Metrics().Compact.NumInProgress > 0; i++ {
		time.Sleep(100 * time.Millisecond)
	}
}

// BenchmarkBucketConfig reads bucket configuration documents as the access
// checks do on every request (a present CORS document; the absent policy,
// referer and public access block of a bucket that sets none), on a store
// holding 40k objects (160 MiB) written in 40 flushes.
func BenchmarkBucketConfig(b *testing.B) {
	s := benchStore(b, Options{})
	loadInlineObjects(b, s, 40_000, 40)
	cors := bytes.Repeat([]byte("<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"), 4)
	if err := s.PutBucketConfig(bg, "bench", "cors", cors); err != nil {
		b.Fatal(err)
	}
	b.Logf("sstables per level: %v", func() (n []int64) {
		for _, l := range s.db.Metrics().Levels {
			n = append(n, l.NumFiles)
		}
		return n
	}())
	for _, tc := range []struct {
		name  string
		names []string
	}{
		{"present", []string{"cors"}},
		{"absent", []string{"policy"}},
		{"authorize", []string{"referer", "policy", "publicAccessBlock"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, name := range tc.names {
					if _, _, err := s.GetBucketConfig(bg, "bench", name); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}
