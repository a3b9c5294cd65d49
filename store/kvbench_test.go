package store

import (
	"bytes"
	"encoding/binary"
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
