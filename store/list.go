package store

import (
	"bytes"
	"context"
	"strings"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// ListObjects lists the current objects of a bucket in key order: keys
// with Prefix, after the exclusive Marker, with keys that contain Delimiter
// after the prefix rolled up into common prefixes. A common prefix is
// reported only if it sorts after the marker, and its whole subtree is
// skipped by one seek, so the cost is proportional to the page, not to the
// keys under the prefixes. Delete markers are skipped.
func (s *Store) ListObjects(ctx context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error) {
	const op = "ListObjects"
	bs, err := s.readBucket(op, in.Bucket)
	if err != nil {
		return oss.ListObjectsOutput{}, err
	}
	max, err := maxKeys(op, "max-keys", in.MaxKeys)
	if err != nil {
		return oss.ListObjectsOutput{}, err
	}
	vs := bs.versioning()
	cache := stringCache{}
	var out oss.ListObjectsOutput
	full := func() bool {
		if len(out.Objects)+len(out.CommonPrefixes) < max {
			return false
		}
		out.IsTruncated = true
		return true
	}
	err = s.walkKeys(ksObject, in.Bucket, in.Prefix, in.Delimiter, in.Marker, false, func(key string, cp bool, v []byte) (bool, error) {
		if !cp && isDeleteMarkerValue(v) {
			return true, nil
		}
		if full() {
			return false, nil
		}
		if cp {
			out.CommonPrefixes = append(out.CommonPrefixes, key)
		} else {
			var r record
			if err := decodeInto(&r, v, cache); err != nil {
				return false, oss.Wrap(op, err)
			}
			if out.Objects == nil {
				out.Objects = make([]oss.ObjectInfo, 0, max)
			}
			out.Objects = append(out.Objects, r.info(in.Bucket, key, vs, true))
		}
		out.NextMarker = key
		return true, nil
	})
	if err != nil {
		return oss.ListObjectsOutput{}, oss.Wrap(op, err)
	}
	if !out.IsTruncated {
		out.NextMarker = ""
	}
	return out, nil
}

// walkKeys visits, in key order, the keys of the per-bucket keyspace ks
// ("<ks> <bucket> 0 <key>", one entry per key) that start with prefix and
// sort after marker. With a delimiter, a key whose remainder after the
// prefix contains it is reported once as its common prefix (cp true, v nil),
// only if the common prefix sorts after marker, and the iterator then seeks
// past the whole subtree. In the object keyspace, delete markers form a
// common prefix only when withDM is set. fn returns false to stop.
func (s *Store) walkKeys(ks byte, bucket, prefix, delim, marker string, withDM bool, fn func(key string, cp bool, v []byte) (bool, error)) error {
	space := bucketSpace(ks, bucket)
	lower := append(append([]byte(nil), space...), prefix...)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: prefixEnd(lower)})
	if err != nil {
		return err
	}
	defer it.Close()
	seek := lower
	if marker >= prefix {
		seek = append(append(append([]byte(nil), space...), marker...), 0)
	}
	for valid := it.SeekGE(seek); valid; {
		key := string(it.Key()[len(space):])
		v := it.Value()
		if delim != "" {
			if i := strings.Index(key[len(prefix):], delim); i >= 0 {
				if ks == ksObject && !withDM && isDeleteMarkerValue(v) {
					valid = it.Next()
					continue
				}
				cp := key[:len(prefix)+i+len(delim)]
				if cp > marker {
					more, err := fn(cp, true, nil)
					if err != nil || !more {
						return err
					}
				}
				valid = skipSubtree(it, append(append([]byte(nil), space...), cp...))
				continue
			}
		}
		more, err := fn(key, false, v)
		if err != nil || !more {
			return err
		}
		valid = it.Next()
	}
	return it.Error()
}

// skipSubtree moves it past every key with prefix p: a few Next calls first
// (cheap when the subtree is small, as most directories are), then one seek
// to the prefix's successor.
func skipSubtree(it *pebble.Iterator, p []byte) bool {
	for i := 0; i < skipNexts; i++ {
		if !it.Next() {
			return false
		}
		if !bytes.HasPrefix(it.Key(), p) {
			return true
		}
	}
	end := prefixEnd(p)
	if end == nil {
		return false
	}
	return it.SeekGE(end)
}

// skipNexts is how many Next calls skipSubtree tries before seeking: with
// 4-key directories it made delimiter listings 1.7x faster; with 500-key
// ones it costs about 0.1 µs per common prefix.
const skipNexts = 4
