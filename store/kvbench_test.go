package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkKV compares the two embeddable stores considered for the
// metadata DB on the workload that dominates small-object writes: durable
// (fsynced before acknowledgement) puts of a small value, from 32
// concurrent writers. Pebble batches concurrent WAL syncs itself (group
// commit); bbolt gets the same effect from DB.Batch, which coalesces up to
// MaxBatchSize concurrent updates into one transaction (one fsync of the
// freelist/meta pages and the touched B+tree pages), waiting at most
// MaxBatchDelay for the batch to fill. The value size covers a record plus
// inline data of a small object.
func BenchmarkKV(b *testing.B) {
	for _, size := range []int{256, 4 << 10} {
		value := bytes.Repeat([]byte("v"), size)
		b.Run(fmt.Sprintf("pebble/value=%d", size), func(b *testing.B) {
			db, err := pebble.Open(filepath.Join(b.TempDir(), "db"), &pebble.Options{Logger: quietLogger{}, MemTableSize: 64 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			runKV(b, func(k []byte) error { return db.Set(k, value, pebble.Sync) })
		})
		for _, batch := range []int{32, 128} {
			for _, delay := range []time.Duration{time.Millisecond, 10 * time.Millisecond} {
				b.Run(fmt.Sprintf("bbolt/value=%d/batch=%d/delay=%v", size, batch, delay), func(b *testing.B) {
					db, err := bolt.Open(filepath.Join(b.TempDir(), "db"), 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
					if err != nil {
						b.Fatal(err)
					}
					defer db.Close()
					db.MaxBatchSize = batch
					db.MaxBatchDelay = delay
					if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("o")); return err }); err != nil {
						b.Fatal(err)
					}
					runKV(b, func(k []byte) error {
						return db.Batch(func(tx *bolt.Tx) error { return tx.Bucket([]byte("o")).Put(k, value) })
					})
				})
			}
		}
	}
}

// runKV runs put from 32 goroutines with distinct, random-looking keys (as
// object names are) and reports the throughput.
func runKV(b *testing.B, put func(k []byte) error) {
	var n atomic.Uint64
	goroutines(b, 32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := make([]byte, 16)
		for pb.Next() {
			i := n.Add(1)
			binary.BigEndian.PutUint64(k, i*0x9E3779B97F4A7C15)
			binary.BigEndian.PutUint64(k[8:], i)
			if err := put(k); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkPointGetMissing measures what the bloom filters and the block
// cache of pebbleOptions buy: a point lookup of an absent key (a new
// object's previous version) among 128 MiB of 1 KiB values in 32 sstables
// that all span the key — 32 overlapping L0 tables, as under write load
// before compactions catch up — and then the same data compacted into L6.
// Pebble's Get does not consult L6 filters (their blocks are large; only
// iterators that opt in read them), so the compacted case measures the
// cache alone.
func BenchmarkPointGetMissing(b *testing.B) {
	const tables, perTable = 32, 4000
	value := bytes.Repeat([]byte("v"), 1<<10)
	key := func(i int) []byte { return objectKey("bench", fmt.Sprintf("obj/%08d", i)) }
	for _, v := range []struct {
		name    string
		filters bool
		cache   int64
	}{
		{"filters+64MiB", true, DefaultCacheSize},
		{"nofilters+64MiB", false, DefaultCacheSize},
		{"nofilters+8MiB", false, 8 << 20}, // pebble's defaults
	} {
		cache := pebble.NewCache(v.cache)
		po := pebbleOptions(cache)
		if !v.filters {
			for i := range po.Levels {
				po.Levels[i].FilterPolicy = nil
			}
			po.Filters = nil
		}
		po.DisableAutomaticCompactions = true
		po.L0StopWritesThreshold = 2 * tables // no stall: nothing compacts L0 here
		db, err := pebble.Open(filepath.Join(b.TempDir(), "db"), po)
		cache.Unref()
		if err != nil {
			b.Fatal(err)
		}
		// Table t holds the even keys 2*(i*tables+t): every table spans the
		// whole key range, and the odd keys are absent.
		for t := 0; t < tables; t++ {
			batch := db.NewBatch()
			for i := 0; i < perTable; i++ {
				batch.Set(key(2*(i*tables+t)), value, nil)
			}
			if err := batch.Commit(nil); err != nil {
				b.Fatal(err)
			}
			batch.Close()
			if err := db.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		run := func(b *testing.B) {
			b.ReportAllocs()
			rng := uint64(1)
			for b.Loop() {
				rng = rng*6364136223846793005 + 1442695040888963407
				_, c, err := db.Get(key(2*int(rng>>33%(tables*perTable)) + 1))
				if err == nil {
					c.Close()
					b.Fatal("absent key found")
				}
				if !errors.Is(err, pebble.ErrNotFound) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		}
		b.Run(v.name+"/l0=32", run)
		if err := db.Compact(key(0), key(2*tables*perTable), true); err != nil {
			b.Fatal(err)
		}
		b.Run(v.name+"/compacted", run)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
