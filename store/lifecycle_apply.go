package store

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// ApplyLifecycle runs every bucket's enabled lifecycle rules as of now:
// expiration of current versions (an ordinary deletion: a delete marker in
// a versioned bucket), removal of expired delete markers (the only version
// left of their key), expiration of noncurrent versions (counted from the
// time they became noncurrent, i.e. their successor's LastModified), storage
// class transitions of current and noncurrent versions (recorded as
// ObjectModified:UpdateObjectMeta), and aborts of stale multipart uploads.
//
// Candidates are found on a snapshot; each action then takes the usual
// locks, checks the version is still the one seen, and commits through the
// same mutation path as a client request, with its event; the context's
// RequestInfo is recorded with Origin "lifecycle".
func (s *Store) ApplyLifecycle(ctx context.Context, now time.Time) (LifecycleReport, error) {
	const op = "ApplyLifecycle"
	var rep LifecycleReport
	if err := s.checkOpen(op); err != nil {
		return rep, err
	}
	ri := oss.RequestInfoFrom(ctx)
	ri.Origin = "lifecycle"
	ctx = oss.WithRequestInfo(ctx, ri)
	s.bucketsMu.RLock()
	names := make([]string, 0, len(s.buckets))
	for n := range s.buckets {
		names = append(names, n)
	}
	s.bucketsMu.RUnlock()
	sort.Strings(names)
	for _, name := range names {
		v, ok, err := s.get(lifecycleKey(name))
		if err != nil {
			return rep, oss.Wrap(op, err)
		}
		if !ok {
			continue
		}
		var cfg oss.LifecycleConfiguration
		if err := json.Unmarshal(v, &cfg); err != nil {
			return rep, oss.Wrap(op, err)
		}
		rules, err := compileRules(op, cfg)
		if err != nil {
			return rep, err
		}
		bs := s.bucket(name)
		if bs == nil || len(rules) == 0 {
			continue
		}
		if err := s.applyBucket(ctx, bs, rules, now, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

const lifecycleOp = "Lifecycle"

func (s *Store) applyBucket(ctx context.Context, bs *bucketState, rules []rule, now time.Time, rep *LifecycleReport) error {
	snap := s.db.NewSnapshot()
	defer snap.Close()
	ospace, vspace := bucketSpace(ksObject, bs.name), bucketSpace(ksVersion, bs.name)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: ospace, UpperBound: prefixEnd(ospace)})
	if err != nil {
		return oss.Wrap(lifecycleOp, err)
	}
	defer it.Close()
	vit, err := snap.NewIter(&pebble.IterOptions{LowerBound: vspace, UpperBound: prefixEnd(vspace)})
	if err != nil {
		return oss.Wrap(lifecycleOp, err)
	}
	defer vit.Close()
	noncurrent := false
	for _, r := range rules {
		if r.noncurrentDays > 0 || len(r.noncurrentTransitions) > 0 || r.expiredDeleteMarker {
			noncurrent = true
		}
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := string(it.Key()[len(ospace):])
		cur, err := decodeRecord(it.Value())
		if err != nil {
			return oss.Wrap(lifecycleOp, err)
		}
		// The noncurrent versions of key, newest first.
		var olds []*record
		if noncurrent {
			p := versionKeyPrefix(bs.name, key)
			for ok := vit.SeekGE(p); ok && bytes.HasPrefix(vit.Key(), p); ok = vit.Next() {
				r, err := decodeRecord(vit.Value())
				if err != nil {
					return oss.Wrap(lifecycleOp, err)
				}
				olds = append(olds, r)
			}
		}
		if err := s.applyCurrent(ctx, bs, rules, key, cur, len(olds) == 0, now, rep); err != nil {
			return err
		}
		since := cur.mtime()
		for _, o := range olds {
			if err := s.applyNoncurrent(ctx, bs, rules, key, o, since, now, rep); err != nil {
				return err
			}
			since = o.mtime()
		}
	}
	if err := it.Error(); err != nil {
		return oss.Wrap(lifecycleOp, err)
	}
	return s.abortStaleUploads(ctx, snap, bs, rules, now, rep)
}

func (s *Store) applyCurrent(ctx context.Context, bs *bucketState, rules []rule, key string, cur *record, alone bool, now time.Time, rep *LifecycleReport) error {
	if cur.deleteMarker() {
		if !alone {
			return nil
		}
		for i := range rules {
			if rules[i].expiredDeleteMarker && rules[i].matches(key, nil, 0, false) {
				done, err := s.lifecycleDelete(ctx, bs, key, cur.VSeq, true, now)
				if done {
					rep.DeleteMarkersRemoved++
				}
				return err
			}
		}
		return nil
	}
	mtime := cur.mtime()
	var target oss.StorageClass
	for i := range rules {
		r := &rules[i]
		if !r.matches(key, cur.Tags, cur.Size, true) {
			continue
		}
		if r.expire.due(mtime, now) {
			done, err := s.lifecycleDelete(ctx, bs, key, cur.VSeq, false, now)
			if done {
				rep.Expired++
			}
			return err
		}
		for _, tr := range r.transitions {
			if tr.at.due(mtime, now) && classRank[tr.class] > classRank[target] {
				target = tr.class
			}
		}
	}
	if target != "" && classRank[target] > classRank[cur.StorageClass] {
		done, err := s.lifecycleTransition(ctx, bs, key, cur.VSeq, target, now)
		if done {
			rep.Transitioned++
		}
		return err
	}
	return nil
}

func (s *Store) applyNoncurrent(ctx context.Context, bs *bucketState, rules []rule, key string, v *record, since, now time.Time, rep *LifecycleReport) error {
	var target oss.StorageClass
	for i := range rules {
		r := &rules[i]
		if !r.matches(key, v.Tags, v.Size, !v.deleteMarker()) {
			continue
		}
		if r.noncurrentDays > 0 && (when{days: r.noncurrentDays, ok: true}).due(since, now) {
			done, err := s.lifecycleDelete(ctx, bs, key, v.VSeq, true, now)
			if done {
				rep.NoncurrentExpired++
			}
			return err
		}
		if !v.deleteMarker() {
			for _, tr := range r.noncurrentTransitions {
				if tr.at.due(since, now) && classRank[tr.class] > classRank[target] {
					target = tr.class
				}
			}
		}
	}
	if target != "" && classRank[target] > classRank[v.StorageClass] {
		done, err := s.lifecycleTransition(ctx, bs, key, v.VSeq, target, now)
		if done {
			rep.Transitioned++
		}
		return err
	}
	return nil
}

// lockedVersion takes the locks of a lifecycle action on key and returns
// the version with sequence vseq (nil if it is gone) and whether it is the
// current one.
func (s *Store) lockedVersion(bs *bucketState, key string, vseq uint64) (*record, bool, func(), error) {
	_, release, err := s.writeBucket(lifecycleOp, bs.name)
	if err != nil {
		return nil, false, nil, err
	}
	unlock := s.keys.lock(bs.name, key)
	done := func() { unlock(); release() }
	cur, err := s.getRecord(objectKey(bs.name, key))
	if err == nil && cur != nil && cur.VSeq == vseq {
		return cur, true, done, nil
	}
	var r *record
	if err == nil {
		r, err = s.getRecord(versionKey(bs.name, key, vseq))
	}
	if err != nil {
		done()
		return nil, false, nil, oss.Wrap(lifecycleOp, err)
	}
	return r, false, done, nil
}

// lifecycleDelete expires version vseq of key: the version itself
// (physically) when exact, else the current version as an ordinary
// deletion. It reports whether it did anything.
func (s *Store) lifecycleDelete(ctx context.Context, bs *bucketState, key string, vseq uint64, exact bool, now time.Time) (bool, error) {
	r, latest, done, err := s.lockedVersion(bs, key, vseq)
	if err != nil {
		if oss.IsCode(err, oss.NoSuchBucket) {
			return false, nil
		}
		return false, err
	}
	defer done()
	if r == nil || (!exact && (!latest || r.deleteMarker())) {
		return false, nil
	}
	vid := ""
	if exact {
		if latest && r.deleteMarker() {
			// An expired delete marker must still be the key's only version.
			if next, _, err := newestNoncurrent(s.db, bs.name, key); err != nil || next != nil {
				return false, oss.Wrap(lifecycleOp, err)
			}
		}
		vid = r.versionID(oss.VersioningEnabled)
	}
	t := s.newTxn(ctx)
	defer t.abort()
	if _, err := s.deleteOne(t, lifecycleOp, bs, key, vid, oss.ObjectRemovedDelete, now); err != nil {
		return false, err
	}
	if err := t.commit(lifecycleOp); err != nil {
		return false, err
	}
	return true, nil
}

// lifecycleTransition changes the storage class of version vseq of key.
func (s *Store) lifecycleTransition(ctx context.Context, bs *bucketState, key string, vseq uint64, class oss.StorageClass, now time.Time) (bool, error) {
	r, latest, done, err := s.lockedVersion(bs, key, vseq)
	if err != nil {
		if oss.IsCode(err, oss.NoSuchBucket) {
			return false, nil
		}
		return false, err
	}
	defer done()
	if r == nil || r.deleteMarker() || classRank[r.StorageClass] >= classRank[class] {
		return false, nil
	}
	r.StorageClass = class
	k := objectKey(bs.name, key)
	if !latest {
		k = versionKey(bs.name, key, vseq)
	}
	t := s.newTxn(ctx)
	defer t.abort()
	t.setRecord(k, r)
	t.objectEvent(bs, now, eventSpec{name: oss.ObjectModifiedMeta, key: key, versionID: r.versionID(bs.versioning()), size: r.Size, etag: r.ETag})
	if err := t.commit(lifecycleOp); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Store) abortStaleUploads(ctx context.Context, snap *pebble.Snapshot, bs *bucketState, rules []rule, now time.Time, rep *LifecycleReport) error {
	any := false
	for _, r := range rules {
		any = any || r.abort.ok
	}
	if !any {
		return nil
	}
	space := bucketSpace(ksUpload, bs.name)
	it, err := snap.NewIter(&pebble.IterOptions{LowerBound: space, UpperBound: prefixEnd(space)})
	if err != nil {
		return oss.Wrap(lifecycleOp, err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		rest := it.Key()[len(space):]
		sep := bytes.IndexByte(rest, 0)
		if sep < 0 {
			continue
		}
		key, id := string(rest[:sep]), string(rest[sep+1:])
		up, err := decodeRecord(it.Value())
		if err != nil {
			return oss.Wrap(lifecycleOp, err)
		}
		for i := range rules {
			r := &rules[i]
			if !r.abort.ok || !r.matches(key, nil, 0, false) || !r.abort.due(up.mtime(), now) {
				continue
			}
			bs2, _, unlock, err := s.lockUpload(lifecycleOp, bs.name, key, id)
			if oss.IsCode(err, oss.NoSuchUpload) || oss.IsCode(err, oss.NoSuchBucket) {
				break
			}
			if err != nil {
				return err
			}
			t := s.newTxn(ctx)
			err = s.abortUpload(t, lifecycleOp, bs2, key, id, now)
			if err == nil {
				err = t.commit(lifecycleOp)
			}
			t.abort()
			unlock()
			if err != nil {
				return err
			}
			rep.UploadsAborted++
			break
		}
	}
	return it.Error()
}
