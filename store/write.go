package store

import (
	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// installOpts tune install.
type installOpts struct {
	forbidOverwrite bool
	ifMatch         string // S3 If-Match: the current version must exist with this ETag
	ifNoneMatch     string // S3 If-None-Match: "*": there must be no current version
	event           oss.EventName
	position        *int64 // append position, for the event
	// check validates the current record under the key lock (e.g. a copy
	// onto itself sharing the source's data checks the source is still
	// current).
	check func(old *record) error
	// extra adds further mutations to the txn under the key lock (e.g.
	// completing a multipart upload removes the upload and its parts).
	extra func(t *txn, old *record) error
}

// install makes r the current version of bucket/key, following the
// bucket's versioning state, and commits t with the event. It takes the
// bucket's read lock and the key's stripe lock (held until the commit is
// durable); the record's data must already be attached to t. t is always
// consumed.
//
//   - Versioning off: r is the null version and replaces the current one.
//   - Enabled: the current version becomes noncurrent; r gets a version id.
//   - Suspended: r is the null version; a current null version is replaced,
//     a current versioned one becomes noncurrent, and a noncurrent null
//     version is removed.
func (s *Store) install(op string, t *txn, bucket, key string, r *record, o installOpts) (oss.ObjectInfo, error) {
	defer t.abort()
	bs, release, err := s.writeBucket(op, bucket)
	if err != nil {
		return oss.ObjectInfo{}, err
	}
	defer release()
	unlock := s.keys.lock(bucket, key)
	defer unlock()
	old, err := getRecordFrom(t.rd, objectKey(bucket, key))
	if err != nil {
		return oss.ObjectInfo{}, oss.Wrap(op, err)
	}
	return s.installLocked(op, t, bs, key, old, r, o)
}

// installLocked is install for a caller that holds the bucket's read lock
// and the key's stripe lock and has read the current record old.
func (s *Store) installLocked(op string, t *txn, bs *bucketState, key string, old, r *record, o installOpts) (oss.ObjectInfo, error) {
	defer t.abort()
	bucket := bs.name
	if o.check != nil {
		if err := o.check(old); err != nil {
			return oss.ObjectInfo{}, err
		}
	}
	if err := checkPreconditions(op, bucket, key, o.ifMatch, o.ifNoneMatch, old); err != nil {
		return oss.ObjectInfo{}, err
	}
	vs := bs.versioning()
	if o.forbidOverwrite && vs == oss.VersioningOff && old != nil && !old.deleteMarker() {
		e := oss.E(op, oss.FileAlreadyExists, "The object you specified already exists and can not be overwritten.")
		e.Bucket, e.Key = bucket, key
		return oss.ObjectInfo{}, e
	}
	now := s.now()
	r.VSeq = s.clock.next()
	r.MTime = now.UnixNano()
	if vs != oss.VersioningEnabled {
		r.Flags |= flagNull
	}
	d, err := s.replaceCurrent(t, bs, key, old, r)
	if err != nil {
		return oss.ObjectInfo{}, oss.Wrap(op, err)
	}
	d.mtime = r.MTime
	t.delta(d)
	if o.extra != nil {
		if err := o.extra(t, old); err != nil {
			return oss.ObjectInfo{}, err
		}
	}
	info := r.info(bucket, key, vs, true)
	t.objectEvent(bs, now, eventSpec{
		name:      o.event,
		key:       key,
		versionID: info.VersionID,
		size:      r.Size,
		deltaSize: d.storage,
		etag:      r.ETag,
		position:  o.position,
	})
	if err := t.commit(op); err != nil {
		return oss.ObjectInfo{}, err
	}
	return info, nil
}

// checkPreconditions enforces a write's If-Match and If-None-Match against
// the current record old (the key's lock is held). If-Match: NoSuchKey when
// there is no current object (none, or a delete marker), PreconditionFailed
// when its ETag does not match (quotes and case ignored; "*" matches any).
// If-None-Match "*": PreconditionFailed when there is a current object.
func checkPreconditions(op, bucket, key, ifMatch, ifNoneMatch string, old *record) error {
	exists := old != nil && !old.deleteMarker()
	failed := func() error {
		e := oss.E(op, oss.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.")
		e.Bucket, e.Key = bucket, key
		return e
	}
	switch ifNoneMatch {
	case "":
	case "*":
		if exists {
			return failed()
		}
	default:
		return invalidArg(op, "If-None-Match", ifNoneMatch, "Only If-None-Match: * is supported on writes.")
	}
	if ifMatch == "" {
		return nil
	}
	if !exists {
		return noSuchKey(op, bucket, key)
	}
	if !oss.ETagMatches(ifMatch, old.ETag) {
		return failed()
	}
	return nil
}

// replaceCurrent writes r (its flags already set for the versioning state)
// as the current record of key in place of old, keeping or dropping old and
// any noncurrent null version as the versioning state says, and returns the
// counter delta.
func (s *Store) replaceCurrent(t *txn, bs *bucketState, key string, old, r *record) (counterDelta, error) {
	d := counterDelta{bs: bs, versions: 1, storage: r.Size}
	if !r.deleteMarker() {
		d.objects++
	}
	var dropped []*record
	if old != nil {
		if !old.deleteMarker() {
			d.objects--
		}
		if old.isNull() && r.isNull() {
			dropped = append(dropped, old)
		} else {
			t.setRecord(versionKey(bs.name, key, old.VSeq), old)
		}
	}
	if r.isNull() && bs.versioning() != oss.VersioningOff {
		nv, k, err := findNullVersion(t.rd, bs.name, key)
		if err != nil {
			return d, err
		}
		if nv != nil {
			t.b.Delete(k, nil)
			dropped = append(dropped, nv)
		}
	}
	for _, o := range dropped {
		t.dropExtentsExcept(o.Extents, r.Extents)
		d.versions--
		d.storage -= o.Size
	}
	t.setRecord(objectKey(bs.name, key), r)
	return d, nil
}

// findNullVersion returns the noncurrent null version of key and its DB
// key, if any, by scanning the key's noncurrent versions.
func findNullVersion(rd pebble.Reader, bucket, key string) (*record, []byte, error) {
	p := versionKeyPrefix(bucket, key)
	it, err := rd.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		v := it.Value()
		if len(v) > 1 && v[1]&flagNull != 0 {
			r, err := decodeRecord(v)
			if err != nil {
				return nil, nil, err
			}
			return r, append([]byte(nil), it.Key()...), nil
		}
	}
	return nil, nil, it.Error()
}
