package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"

	"github.com/ossflow/ossflow/oss"
)

// Options configure a Store. The zero value is usable.
type Options struct {
	// Region is recorded on new buckets and in event ARNs; default "cn-hangzhou".
	Region string
	// Owner owns buckets created without one.
	Owner oss.Owner
	// Now is the clock for LastModified, upload initiation and event times;
	// default time.Now. Tests inject a fake clock.
	Now func() time.Time
	// InlineThreshold is the largest object (or part) stored inside the
	// metadata DB instead of a blob file; default 64 KiB, negative = never.
	InlineThreshold int64
	// MaxBuckets bounds the number of buckets (TooManyBuckets); default 100.
	MaxBuckets int
	// OutboxLimit bounds the unacknowledged outbox entries: a mutation that
	// would exceed it fails with SlowDown, so no committed write ever lacks
	// its event. Zero means no bound.
	OutboxLimit int
	// CacheSize is the metadata DB's block cache in bytes; default
	// DefaultCacheSize.
	CacheSize int64
	// Encryption enables server-side encryption at rest (SSE AES256, per
	// object or as a bucket default). Nil: writes that ask for SSE fail
	// with NotImplemented, and encrypted data cannot be read.
	Encryption Encryption
}

// DefaultInlineThreshold is the default of Options.InlineThreshold (chosen
// by BenchmarkInlineThreshold, see DESIGN.md).
const DefaultInlineThreshold = 64 << 10

// DefaultCacheSize is the default of Options.CacheSize (pebble's own
// default is 8 MiB; see DESIGN.md).
const DefaultCacheSize = 64 << 20

// OutboxStats describes the event outbox.
type OutboxStats struct {
	// Depth is the number of unacknowledged events.
	Depth uint64
	// OldestTime is the time of the oldest unacknowledged event (zero when
	// empty).
	OldestTime time.Time
	// LastSeq is the Seq of the newest durable event.
	LastSeq uint64
}

// Store is the object engine. All methods are safe for concurrent use.
type Store struct {
	dir    string
	opts   Options
	region string
	now    func() time.Time
	inline int64

	db    *pebble.DB
	cache *pebble.Cache
	blobs *blobStore
	clock idClock

	keys    *stripes
	uploads *rwStripes

	appendClean appendClean // encrypted appends that may continue their keystream segment

	// commitMu orders commits: it assigns outbox sequence numbers and updates
	// the in-memory bucket counters while pebble applies the batch, so the
	// WAL order is the Seq order.
	commitMu sync.Mutex
	lastSeq  atomic.Uint64 // written under commitMu

	durableSeq atomic.Uint64 // every event <= durableSeq is synced
	ackedSeq   atomic.Uint64
	ackMu      sync.Mutex
	notify     chan struct{}
	tail       *outboxTail // the newest outbox values, for OutboxReadRaw
	bufs       bufPool     // inline body buffers

	bucketsMu  sync.RWMutex
	buckets    map[string]*bucketState
	createLock sync.Mutex // serializes bucket creation and deletion (rare) without blocking lookups

	closed  atomic.Bool
	closeCh chan struct{}
	bg      sync.WaitGroup
}

// bucketState is a bucket's in-memory state. Object writes hold mu.RLock
// for their whole duration; DeleteBucket and configuration changes take
// mu.Lock.
type bucketState struct {
	name    string
	mu      sync.RWMutex
	deleted bool // set under mu.Lock
	info    atomic.Pointer[oss.Bucket]
	c       bucketCounters // guarded by Store.commitMu

	// configs is the bucket's configuration documents, replaced as a whole
	// after each durable change (see bucketconfig.go); nil means none.
	configs atomic.Pointer[configMap]
	cfgMu   sync.Mutex // serializes configuration document writes
}

// bucketCounters are maintained by every commit (never by scanning).
type bucketCounters struct {
	Seq          uint64 // BucketSeq of the last event
	Objects      int64  // current versions that are not delete markers
	Versions     int64  // every stored version record, delete markers included
	Storage      int64  // bytes of every stored version
	Uploads      int64  // in-progress multipart uploads
	LastModified int64  // unix ns of the last object mutation
}

func (c *bucketCounters) encode() []byte {
	b := make([]byte, 0, 48)
	b = binary.AppendUvarint(b, c.Seq)
	for _, v := range [...]int64{c.Objects, c.Versions, c.Storage, c.Uploads, c.LastModified} {
		b = binary.AppendVarint(b, v)
	}
	return b
}

func decodeCounters(b []byte) (bucketCounters, error) {
	var c bucketCounters
	d := decoder{b: b}
	c.Seq = d.uvarint()
	for _, p := range [...]*int64{&c.Objects, &c.Versions, &c.Storage, &c.Uploads, &c.LastModified} {
		*p = d.varint()
	}
	if d.err {
		return c, errCorrupt
	}
	return c, nil
}

// idClock issues unique, increasing 64-bit ids (version sequences, blob,
// inline-data and upload ids): max(wall-clock ns, last+1). Its high-water
// mark is persisted in every commit, so ids stay unique across restarts even
// if the wall clock steps back.
type idClock struct{ last atomic.Uint64 }

func (c *idClock) next() uint64 {
	for {
		now := uint64(time.Now().UnixNano())
		old := c.last.Load()
		n := max(now, old+1)
		if c.last.CompareAndSwap(old, n) {
			return n
		}
	}
}

// Open opens (creating if needed) the store in dir: metadata under
// dir/meta, blob files under dir/blobs, scratch space dir/tmp (emptied).
// Blob files left by interrupted writes are removed by a background sweep.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	const op = "Open"
	s := &Store{
		dir:     dir,
		opts:    opts,
		region:  opts.Region,
		now:     opts.Now,
		inline:  opts.InlineThreshold,
		keys:    newStripes(),
		uploads: newRWStripes(),
		notify:  make(chan struct{}, 1),
		tail:    newOutboxTail(outboxTailEntries, outboxTailBytes),
		buckets: make(map[string]*bucketState),
		closeCh: make(chan struct{}),
	}
	if s.region == "" {
		s.region = "cn-hangzhou"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.inline == 0 {
		s.inline = DefaultInlineThreshold
	}
	if s.opts.MaxBuckets <= 0 {
		s.opts.MaxBuckets = 100
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, oss.Wrap(op, err)
	}
	for _, d := range []string{filepath.Join(dir, "meta"), filepath.Join(dir, "blobs"), tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, oss.Wrap(op, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, oss.Wrap(op, err)
	}
	s.blobs = newBlobStore(filepath.Join(dir, "blobs"))

	cacheSize := opts.CacheSize
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	s.cache = pebble.NewCache(cacheSize)
	po := pebbleOptions(s.cache)
	db, err := pebble.Open(filepath.Join(dir, "meta"), po)
	if err != nil {
		s.cache.Unref()
		return nil, oss.Wrap(op, err)
	}
	s.db = db
	if err := s.load(); err != nil {
		db.Close()
		s.cache.Unref()
		return nil, oss.Wrap(op, err)
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.SweepBlobs(context.Background())
	}()
	return s, nil
}

// pebbleOptions are the metadata DB's options, with cache as its block
// cache. Every level writes a bloom filter (10 bits per key, ~1% false
// positives) into its sstables, so a point lookup of an absent key (a new
// object's previous version, a missing upload) skips a table after its
// filter instead of reading a data block (in L0-L5: pebble's Get leaves L6
// filters unread); tables written without filters (older data directories)
// are read as before until compactions rewrite them.
func pebbleOptions(cache *pebble.Cache) *pebble.Options {
	po := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                64 << 20,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		LBaseMaxBytes:               256 << 20,
		MaxConcurrentCompactions:    func() int { return 2 },
		Logger:                      quietLogger{},
	}
	po.Levels = make([]pebble.LevelOptions, 7)
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].FilterType = pebble.TableFilter
	}
	po.EnsureDefaults()
	po.FormatMajorVersion = pebble.FormatNewest
	return po
}

// load reads the engine state and the buckets into memory.
func (s *Store) load() error {
	u64 := func(k []byte) (uint64, error) {
		v, c, err := s.db.Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		defer c.Close()
		if len(v) != 8 {
			return 0, errCorrupt
		}
		return binary.BigEndian.Uint64(v), nil
	}
	var err error
	last, err := u64(metaSeq)
	if err != nil {
		return err
	}
	s.lastSeq.Store(last)
	s.durableSeq.Store(last)
	acked, err := u64(metaAcked)
	if err != nil {
		return err
	}
	s.ackedSeq.Store(acked)
	clk, err := u64(metaClock)
	if err != nil {
		return err
	}
	s.clock.last.Store(max(clk, uint64(time.Now().UnixNano())))

	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{ksBucket}, UpperBound: []byte{ksBucket + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var b oss.Bucket
		if err := json.Unmarshal(it.Value(), &b); err != nil {
			return fmt.Errorf("bucket %q: %w", it.Key()[1:], err)
		}
		bs := &bucketState{name: b.Name}
		bs.info.Store(&b)
		if bs.c, err = s.loadCounters(b.Name); err != nil {
			return err
		}
		s.buckets[b.Name] = bs
	}
	if err := it.Error(); err != nil {
		return err
	}
	return s.loadConfigs()
}

func (s *Store) loadCounters(bucket string) (bucketCounters, error) {
	v, c, err := s.db.Get(statKey(bucket))
	if errors.Is(err, pebble.ErrNotFound) {
		return bucketCounters{}, nil
	}
	if err != nil {
		return bucketCounters{}, err
	}
	defer c.Close()
	return decodeCounters(v)
}

// Close waits for background work and closes the metadata DB. It must not
// run concurrently with other methods (drain requests first); bodies
// returned by GetObject stay readable after Close.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(s.closeCh)
	s.bg.Wait()
	err := s.db.Close()
	s.cache.Unref()
	return oss.Wrap("Close", err)
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}

// get returns a copy of the value at k, or nil, false.
func (s *Store) get(k []byte) ([]byte, bool, error) {
	v, c, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	c.Close()
	return out, true, nil
}

// getRecord reads and decodes the record at k (nil when absent).
func (s *Store) getRecord(k []byte) (*record, error) { return getRecordFrom(s.db, k) }

// getRecordFrom reads a record through rd (the DB or an indexed batch).
func getRecordFrom(rd pebble.Reader, k []byte) (*record, error) {
	v, c, err := rd.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return decodeRecord(v)
}

// bucket returns the live state of a bucket, or nil.
func (s *Store) bucket(name string) *bucketState {
	s.bucketsMu.RLock()
	bs := s.buckets[name]
	s.bucketsMu.RUnlock()
	return bs
}

func noSuchBucket(op, name string) error {
	e := oss.E(op, oss.NoSuchBucket, "The specified bucket does not exist.")
	e.Bucket = name
	return e
}

// readBucket returns a bucket's state for a read.
func (s *Store) readBucket(op, name string) (*bucketState, error) {
	if err := s.checkOpen(op); err != nil {
		return nil, err
	}
	bs := s.bucket(name)
	if bs == nil {
		return nil, noSuchBucket(op, name)
	}
	return bs, nil
}

// writeBucket read-locks a bucket for an object mutation; the caller must
// call the returned release.
func (s *Store) writeBucket(op, name string) (*bucketState, func(), error) {
	if err := s.checkOpen(op); err != nil {
		return nil, nil, err
	}
	bs := s.bucket(name)
	if bs == nil {
		return nil, nil, noSuchBucket(op, name)
	}
	bs.mu.RLock()
	if bs.deleted {
		bs.mu.RUnlock()
		return nil, nil, noSuchBucket(op, name)
	}
	return bs, bs.mu.RUnlock, nil
}

func (s *Store) checkOpen(op string) error {
	if s.closed.Load() {
		return oss.E(op, oss.ServiceUnavailable, "The store is closed.")
	}
	return nil
}

func (bs *bucketState) versioning() oss.VersioningStatus { return bs.info.Load().Versioning }
