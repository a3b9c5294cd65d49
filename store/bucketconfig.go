package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// Per-bucket configuration documents (PutBucketConfig: policy, referer,
// CORS, public access block, image styles...) are read on every request by
// the access checks, so each bucket keeps all of its documents in memory
// (bucketState.configs) and GetBucketConfig never reads the DB. The map is
// immutable: a writer, serialized with the bucket's other configuration
// writers by bucketState.cfgMu, makes the durable (synced) write and only
// then publishes a new map, so a reader never sees a document that is not
// durable nor, once the write returned, an older one. DeleteBucket drops the
// documents with the bucket (a DeleteRange in its commit, then the cache).

// configMap is a bucket's configuration documents by name. Neither the map
// nor its values are modified once published.
type configMap map[string][]byte

// config returns the cached document name of the bucket; the value must not
// be modified.
func (bs *bucketState) config(name string) ([]byte, bool) {
	m := bs.configs.Load()
	if m == nil {
		return nil, false
	}
	v, ok := (*m)[name]
	return v, ok
}

// setConfig publishes a copy of the bucket's documents with name set to v
// (deleted when del). The caller holds cfgMu and has made the change durable.
func (bs *bucketState) setConfig(name string, v []byte, del bool) {
	var m configMap
	if old := bs.configs.Load(); old != nil {
		m = maps.Clone(*old)
	}
	if m == nil {
		m = configMap{}
	}
	if del {
		delete(m, name)
	} else {
		m[name] = v
	}
	bs.configs.Store(&m)
}

// PutBucketConfig stores an opaque per-bucket configuration document.
func (s *Store) PutBucketConfig(ctx context.Context, bucket, name string, data []byte) error {
	const op = "PutBucketConfig"
	if name == "" {
		return invalidArg(op, "name", name, "The configuration name is empty.")
	}
	bs, release, err := s.writeBucket(op, bucket)
	if err != nil {
		return err
	}
	defer release()
	// The cache keeps its own copy: the caller may reuse data. A document
	// is read back as a fresh slice, nil when empty (as the DB returns it).
	doc := bytes.Clone(data)
	if len(doc) == 0 {
		doc = nil
	}
	bs.cfgMu.Lock()
	defer bs.cfgMu.Unlock()
	if err := s.db.Set(configKey(bucket, name), doc, pebble.Sync); err != nil {
		return oss.Wrap(op, err)
	}
	bs.setConfig(name, doc, false)
	return nil
}

// GetBucketConfig returns a configuration document stored by
// PutBucketConfig, from memory. The returned slice is the caller's.
func (s *Store) GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, bool, error) {
	bs, err := s.readBucket("GetBucketConfig", bucket)
	if err != nil {
		return nil, false, err
	}
	v, ok := bs.config(name)
	if !ok {
		return nil, false, nil
	}
	return bytes.Clone(v), true, nil
}

// DeleteBucketConfig removes a configuration document (absent is fine).
func (s *Store) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	const op = "DeleteBucketConfig"
	bs, release, err := s.writeBucket(op, bucket)
	if err != nil {
		return err
	}
	defer release()
	bs.cfgMu.Lock()
	defer bs.cfgMu.Unlock()
	if err := s.db.Delete(configKey(bucket, name), pebble.Sync); err != nil {
		return oss.Wrap(op, err)
	}
	bs.setConfig(name, nil, true)
	return nil
}

// loadConfigs reads every bucket's configuration documents into memory (at
// Open, after the buckets).
func (s *Store) loadConfigs() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{ksConfig}, UpperBound: []byte{ksConfig + 1}})
	if err != nil {
		return err
	}
	defer it.Close()
	all := make(map[*bucketState]configMap)
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()[1:]
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return fmt.Errorf("config key %q: %w", it.Key(), errCorrupt)
		}
		bs := s.buckets[string(k[:i])]
		if bs == nil {
			continue // DeleteBucket removes a bucket's documents in its commit; never expected
		}
		m := all[bs]
		if m == nil {
			m = configMap{}
			all[bs] = m
		}
		var v []byte
		if len(it.Value()) > 0 {
			v = bytes.Clone(it.Value())
		}
		m[string(k[i+1:])] = v
	}
	if err := it.Error(); err != nil {
		return err
	}
	for bs, m := range all {
		bs.configs.Store(&m)
	}
	return nil
}
