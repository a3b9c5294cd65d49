package store

import (
	"context"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// DeleteObject deletes an object, or one version of it.
//
// Without a version id: an unversioned bucket removes the object (a missing
// key succeeds without a mutation or event, as OSS answers 204); a versioned
// bucket adds a delete marker (the null version's place while suspended).
// With a version id the version is removed physically with its data; when it
// was current, the newest noncurrent version becomes current. An unknown
// version id is NoSuchVersion.
func (s *Store) DeleteObject(ctx context.Context, in oss.DeleteObjectInput) (oss.DeletedObject, error) {
	const op = "DeleteObject"
	if err := oss.CheckBucketName(op, in.Bucket); err != nil {
		return oss.DeletedObject{}, err
	}
	if err := oss.CheckObjectKey(op, in.Key); err != nil {
		return oss.DeletedObject{}, err
	}
	bs, release, err := s.writeBucket(op, in.Bucket)
	if err != nil {
		return oss.DeletedObject{}, err
	}
	defer release()
	unlock := s.keys.lock(in.Bucket, in.Key)
	defer unlock()
	t := s.newTxn(ctx)
	defer t.abort()
	d, err := s.deleteOne(t, op, bs, in.Key, in.VersionID, oss.ObjectRemovedDelete, s.now())
	if err != nil {
		return oss.DeletedObject{}, err
	}
	if len(t.events) == 0 {
		return d, nil
	}
	if err := t.commit(op); err != nil {
		return oss.DeletedObject{}, err
	}
	return d, nil
}

// DeleteObjects deletes up to 1000 objects (versions) in one atomic,
// durable commit with one ObjectRemoved:DeleteObjects event per deletion.
// Per-key failures (invalid key, unknown version) are reported in the
// result's Err and do not stop the others.
func (s *Store) DeleteObjects(ctx context.Context, bucket string, objs []oss.ObjectIdentifier) ([]oss.DeletedObject, error) {
	const op = "DeleteObjects"
	if err := oss.CheckBucketName(op, bucket); err != nil {
		return nil, err
	}
	if len(objs) == 0 || len(objs) > oss.MaxDeleteKeys {
		return nil, oss.E(op, oss.MalformedXML, "A batch delete names 1 to 1000 objects.")
	}
	bs, release, err := s.writeBucket(op, bucket)
	if err != nil {
		return nil, err
	}
	defer release()
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		if oss.ValidObjectKey(o.Key) {
			keys = append(keys, o.Key)
		}
	}
	unlock := s.keys.lockMany(bucket, keys)
	defer unlock()
	t := s.newIndexedTxn(ctx)
	defer t.abort()
	now := s.now()
	out := make([]oss.DeletedObject, len(objs))
	for i, o := range objs {
		if err := oss.CheckObjectKey(op, o.Key); err != nil {
			out[i] = oss.DeletedObject{Key: o.Key, VersionID: o.VersionID, Err: err}
			continue
		}
		d, err := s.deleteOne(t, op, bs, o.Key, o.VersionID, oss.ObjectRemovedDeleteObjects, now)
		if err != nil {
			if c := oss.CodeOf(err); c != oss.NoSuchVersion {
				return nil, err
			}
			d = oss.DeletedObject{Key: o.Key, VersionID: o.VersionID, Err: err}
		}
		out[i] = d
	}
	if len(t.events) > 0 {
		if err := t.commit(op); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// deleteOne adds the deletion of key (version vid) to t; the caller holds
// the key's stripe lock and the bucket's read lock.
func (s *Store) deleteOne(t *txn, op string, bs *bucketState, key, vid string, name oss.EventName, now time.Time) (oss.DeletedObject, error) {
	vs := bs.versioning()
	if vid == "" && vs != oss.VersioningOff {
		return s.addDeleteMarker(t, op, bs, key, name, now)
	}
	var rec *record
	var latest bool
	if vid == "" {
		cur, err := getRecordFrom(t.rd, objectKey(bs.name, key))
		if err != nil {
			return oss.DeletedObject{}, oss.Wrap(op, err)
		}
		if cur == nil {
			return oss.DeletedObject{Key: key}, nil
		}
		rec, latest = cur, true
	} else {
		var err error
		rec, latest, err = s.lookup(t.rd, op, bs, key, vid)
		if err != nil {
			return oss.DeletedObject{}, err
		}
	}
	d := counterDelta{bs: bs, versions: -1, storage: -rec.Size, mtime: now.UnixNano()}
	if latest {
		if !rec.deleteMarker() {
			d.objects--
		}
		next, nextKey, err := newestNoncurrent(t.rd, bs.name, key)
		if err != nil {
			return oss.DeletedObject{}, oss.Wrap(op, err)
		}
		if next != nil {
			t.b.Delete(nextKey, nil)
			t.setRecord(objectKey(bs.name, key), next)
			if !next.deleteMarker() {
				d.objects++
			}
		} else {
			t.b.Delete(objectKey(bs.name, key), nil)
		}
	} else {
		t.b.Delete(versionKey(bs.name, key, rec.VSeq), nil)
	}
	t.dropExtents(rec.Extents)
	t.delta(d)
	rvid := rec.versionID(vs)
	t.objectEvent(bs, now, eventSpec{name: name, key: key, versionID: rvid, size: rec.Size, deltaSize: -rec.Size, etag: rec.ETag})
	out := oss.DeletedObject{Key: key, VersionID: rvid}
	if rec.deleteMarker() {
		out.DeleteMarker = true
		out.DeleteMarkerVersionID = rvid
	}
	return out, nil
}

// addDeleteMarker makes a delete marker the current version of key.
func (s *Store) addDeleteMarker(t *txn, op string, bs *bucketState, key string, name oss.EventName, now time.Time) (oss.DeletedObject, error) {
	old, err := getRecordFrom(t.rd, objectKey(bs.name, key))
	if err != nil {
		return oss.DeletedObject{}, oss.Wrap(op, err)
	}
	b := bs.info.Load()
	dm := &record{Flags: flagDeleteMarker, Type: oss.TypeNormal, Owner: b.Owner, VSeq: s.clock.next(), MTime: now.UnixNano()}
	if bs.versioning() == oss.VersioningSuspended {
		dm.Flags |= flagNull
	}
	d, err := s.replaceCurrent(t, bs, key, old, dm)
	if err != nil {
		return oss.DeletedObject{}, oss.Wrap(op, err)
	}
	d.mtime = dm.MTime
	t.delta(d)
	vid := dm.versionID(bs.versioning())
	t.objectEvent(bs, now, eventSpec{name: name, key: key, versionID: vid, deltaSize: d.storage})
	return oss.DeletedObject{Key: key, VersionID: vid, DeleteMarker: true, DeleteMarkerVersionID: vid}, nil
}

// newestNoncurrent returns the newest noncurrent version of key and its DB
// key.
func newestNoncurrent(rd pebble.Reader, bucket, key string) (*record, []byte, error) {
	p := versionKeyPrefix(bucket, key)
	it, err := rd.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	if !it.First() {
		return nil, nil, it.Error()
	}
	r, err := decodeRecord(it.Value())
	if err != nil {
		return nil, nil, err
	}
	return r, append([]byte(nil), it.Key()...), nil
}
