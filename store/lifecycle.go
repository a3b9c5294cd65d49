package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/ossflow/ossflow/oss"
)

// LifecycleReport counts what one ApplyLifecycle pass did.
type LifecycleReport struct {
	Expired              int // current versions expired (removed, or hidden by a delete marker)
	DeleteMarkersRemoved int // expired delete markers removed
	NoncurrentExpired    int // noncurrent versions removed
	UploadsAborted       int // stale multipart uploads aborted
	Transitioned         int // storage class changes
}

const (
	maxLifecycleRules  = 1000
	maxLifecycleRuleID = 255
	lifecycleDate      = "2006-01-02T15:04:05.000Z"
)

var classRank = map[oss.StorageClass]int{
	oss.StorageStandard: 0, oss.StorageIA: 1, oss.StorageArchive: 2, oss.StorageColdArchive: 3, oss.StorageDeepColdArchive: 4,
}

// lifecycleTime parses a CreatedBeforeDate: ISO 8601 at midnight UTC.
func lifecycleTime(op, field, s string) (time.Time, error) {
	tm, err := time.Parse(lifecycleDate, s)
	if err != nil {
		tm, err = time.Parse(time.RFC3339, s)
	}
	if err != nil || !tm.Equal(tm.Truncate(24*time.Hour)) {
		return time.Time{}, invalidArg(op, field, s, "The date must be midnight UTC in ISO 8601 format, e.g. 2017-01-01T00:00:00.000Z.")
	}
	return tm.UTC(), nil
}

// when is a rule's age condition: Days after the object's time, or before
// a date. ok is false when the condition is unset.
type when struct {
	days   int
	before time.Time
	ok     bool
}

func parseWhen(op, field string, days *int, date string) (when, error) {
	switch {
	case days != nil && date != "":
		return when{}, invalidArg(op, field, "", "Days and CreatedBeforeDate are mutually exclusive.")
	case days != nil:
		if *days <= 0 {
			return when{}, invalidArg(op, field+".Days", itoa(*days), "Days must be a positive integer.")
		}
		return when{days: *days, ok: true}, nil
	case date != "":
		tm, err := lifecycleTime(op, field+".CreatedBeforeDate", date)
		return when{before: tm, ok: err == nil}, err
	}
	return when{}, nil
}

// due reports whether something of time t is due at now.
func (w when) due(t, now time.Time) bool {
	if !w.ok {
		return false
	}
	if w.days > 0 {
		return !now.Before(t.Add(time.Duration(w.days) * 24 * time.Hour))
	}
	return t.Before(w.before)
}

// later reports whether w strictly follows o (same kind required).
func (w when) later(o when) (bool, bool) {
	switch {
	case w.days > 0 && o.days > 0:
		return w.days > o.days, true
	case !w.before.IsZero() && !o.before.IsZero():
		return w.before.After(o.before), true
	}
	return false, false
}

// rule is a validated lifecycle rule.
type rule struct {
	id                    string
	prefix                string
	tags                  []oss.LifecycleTag
	notPrefix             string
	notTag                *oss.LifecycleTag
	hasNot                bool
	gt, lt                *int64
	expire                when
	expiredDeleteMarker   bool
	transitions           []transition // coldest last
	abort                 when
	noncurrentDays        int
	noncurrentTransitions []transition
}

type transition struct {
	at    when
	class oss.StorageClass
}

// compileRules validates a configuration (OSS's rules; violations are
// InvalidArgument, an empty configuration MalformedXML).
func compileRules(op string, cfg oss.LifecycleConfiguration) ([]rule, error) {
	if len(cfg.Rules) == 0 {
		return nil, oss.E(op, oss.MalformedXML, "A lifecycle configuration needs at least one rule.")
	}
	if len(cfg.Rules) > maxLifecycleRules {
		return nil, invalidArg(op, "Rule", itoa(len(cfg.Rules)), "A lifecycle configuration has at most 1000 rules.")
	}
	ids := map[string]bool{}
	var out []rule
	for _, lr := range cfg.Rules {
		if len(lr.ID) > maxLifecycleRuleID {
			return nil, invalidArg(op, "ID", lr.ID, "A rule ID is at most 255 bytes.")
		}
		if lr.ID != "" && ids[lr.ID] {
			return nil, invalidArg(op, "ID", lr.ID, "Rule IDs must be unique.")
		}
		ids[lr.ID] = true
		if lr.Status != "Enabled" && lr.Status != "Disabled" {
			return nil, invalidArg(op, "Status", lr.Status, "The rule status must be Enabled or Disabled.")
		}
		r := rule{id: lr.ID, prefix: lr.Prefix, tags: lr.Tags}
		for _, tg := range lr.Tags {
			if len(tg.Key) == 0 || len(tg.Key) > oss.MaxTagKeyBytes || len(tg.Value) > oss.MaxTagValueBytes {
				return nil, invalidArg(op, "Tag", tg.Key, "A rule tag is not valid.")
			}
		}
		if f := lr.Filter; f != nil {
			if f.Not != nil {
				if !strings.HasPrefix(f.Not.Prefix, lr.Prefix) || f.Not.Prefix == lr.Prefix {
					return nil, invalidArg(op, "Filter.Not.Prefix", f.Not.Prefix, "The excluded prefix must extend the rule's prefix.")
				}
				r.hasNot, r.notPrefix, r.notTag = true, f.Not.Prefix, f.Not.Tag
			}
			r.gt, r.lt = f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
			if (r.gt != nil && *r.gt < 0) || (r.lt != nil && *r.lt <= 0) || (r.gt != nil && r.lt != nil && *r.gt >= *r.lt) {
				return nil, invalidArg(op, "Filter", "", "The object size filter is not valid.")
			}
		}
		actions := 0
		if e := lr.Expiration; e != nil {
			w, err := parseWhen(op, "Expiration", e.Days, e.CreatedBeforeDate)
			if err != nil {
				return nil, err
			}
			r.expire = w
			r.expiredDeleteMarker = e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker
			if w.ok == r.expiredDeleteMarker {
				return nil, invalidArg(op, "Expiration", "", "An expiration needs exactly one of Days, CreatedBeforeDate and ExpiredObjectDeleteMarker.")
			}
			actions++
		}
		for _, tr := range lr.Transitions {
			w, err := parseWhen(op, "Transition", tr.Days, tr.CreatedBeforeDate)
			if err != nil {
				return nil, err
			}
			if tr.IsAccessTime != nil && *tr.IsAccessTime {
				return nil, oss.E(op, oss.NotImplemented, "Transitions by last access time are not supported: ossflow does not track access times.")
			}
			sc := oss.StorageClass(tr.StorageClass)
			if !w.ok || !sc.Valid() || sc == oss.StorageStandard {
				return nil, invalidArg(op, "Transition", tr.StorageClass, "A transition needs Days or CreatedBeforeDate and a storage class colder than Standard.")
			}
			r.transitions = append(r.transitions, transition{w, sc})
			actions++
		}
		if err := orderTransitions(op, r.transitions, r.expire); err != nil {
			return nil, err
		}
		if a := lr.AbortMultipartUpload; a != nil {
			w, err := parseWhen(op, "AbortMultipartUpload", a.Days, a.CreatedBeforeDate)
			if err != nil {
				return nil, err
			}
			if !w.ok {
				return nil, invalidArg(op, "AbortMultipartUpload", "", "AbortMultipartUpload needs Days or CreatedBeforeDate.")
			}
			r.abort = w
			actions++
		}
		if n := lr.NoncurrentVersionExpiration; n != nil {
			if n.NoncurrentDays <= 0 {
				return nil, invalidArg(op, "NoncurrentDays", itoa(n.NoncurrentDays), "NoncurrentDays must be a positive integer.")
			}
			r.noncurrentDays = n.NoncurrentDays
			actions++
		}
		for _, nt := range lr.NoncurrentVersionTransition {
			sc := oss.StorageClass(nt.StorageClass)
			if nt.NoncurrentDays <= 0 || !sc.Valid() || sc == oss.StorageStandard {
				return nil, invalidArg(op, "NoncurrentVersionTransition", nt.StorageClass, "A noncurrent transition needs positive NoncurrentDays and a storage class colder than Standard.")
			}
			r.noncurrentTransitions = append(r.noncurrentTransitions, transition{when{days: nt.NoncurrentDays, ok: true}, sc})
			actions++
		}
		var nexp when
		if r.noncurrentDays > 0 {
			nexp = when{days: r.noncurrentDays, ok: true}
		}
		if err := orderTransitions(op, r.noncurrentTransitions, nexp); err != nil {
			return nil, err
		}
		if actions == 0 {
			return nil, invalidArg(op, "Rule", lr.ID, "A rule needs at least one action.")
		}
		if lr.Status == "Enabled" {
			out = append(out, r)
		}
	}
	return out, nil
}

// orderTransitions sorts transitions coldest last and checks that colder
// classes come later and that the expiration follows them all.
func orderTransitions(op string, ts []transition, expire when) error {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && classRank[ts[j].class] < classRank[ts[j-1].class]; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	for i, tr := range ts {
		if i > 0 {
			if classRank[tr.class] == classRank[ts[i-1].class] {
				return invalidArg(op, "Transition", string(tr.class), "A storage class appears in two transitions.")
			}
			if later, same := tr.at.later(ts[i-1].at); !same || !later {
				return invalidArg(op, "Transition", string(tr.class), "Transitions to colder classes must come later, in the same terms (Days or CreatedBeforeDate).")
			}
		}
		if expire.ok {
			if later, same := expire.later(tr.at); !same || !later {
				return invalidArg(op, "Expiration", "", "The expiration must come later than every transition, in the same terms.")
			}
		}
	}
	return nil
}

// PutBucketLifecycle validates and stores a bucket's lifecycle rules.
func (s *Store) PutBucketLifecycle(ctx context.Context, name string, cfg oss.LifecycleConfiguration) error {
	const op = "PutBucketLifecycle"
	if _, err := compileRules(op, cfg); err != nil {
		return err
	}
	js, err := json.Marshal(&cfg)
	if err != nil {
		return oss.Wrap(op, err)
	}
	_, release, err := s.writeBucket(op, name)
	if err != nil {
		return err
	}
	defer release()
	return oss.Wrap(op, s.db.Set(lifecycleKey(name), js, pebble.Sync))
}

// GetBucketLifecycle returns the stored rules (NoSuchLifecycle if none).
func (s *Store) GetBucketLifecycle(ctx context.Context, name string) (oss.LifecycleConfiguration, error) {
	const op = "GetBucketLifecycle"
	if _, err := s.readBucket(op, name); err != nil {
		return oss.LifecycleConfiguration{}, err
	}
	v, ok, err := s.get(lifecycleKey(name))
	if err != nil {
		return oss.LifecycleConfiguration{}, oss.Wrap(op, err)
	}
	if !ok {
		e := oss.E(op, oss.NoSuchLifecycle, "The bucket has no lifecycle configuration.")
		e.Bucket = name
		return oss.LifecycleConfiguration{}, e
	}
	var cfg oss.LifecycleConfiguration
	if err := json.Unmarshal(v, &cfg); err != nil {
		return oss.LifecycleConfiguration{}, oss.Wrap(op, err)
	}
	return cfg, nil
}

// DeleteBucketLifecycle removes the rules (absent is fine).
func (s *Store) DeleteBucketLifecycle(ctx context.Context, name string) error {
	const op = "DeleteBucketLifecycle"
	_, release, err := s.writeBucket(op, name)
	if err != nil {
		return err
	}
	defer release()
	return oss.Wrap(op, s.db.Delete(lifecycleKey(name), pebble.Sync))
}

// matches reports whether an object (key, tags, size) falls under r.
func (r *rule) matches(key string, tags []oss.Tag, size int64, sized bool) bool {
	if !strings.HasPrefix(key, r.prefix) {
		return false
	}
	for _, want := range r.tags {
		if !hasTag(tags, want) {
			return false
		}
	}
	if r.hasNot && strings.HasPrefix(key, r.notPrefix) && (r.notTag == nil || hasTag(tags, *r.notTag)) {
		return false
	}
	if sized {
		if r.gt != nil && size <= *r.gt {
			return false
		}
		if r.lt != nil && size >= *r.lt {
			return false
		}
	}
	return true
}

func hasTag(tags []oss.Tag, want oss.LifecycleTag) bool {
	for _, t := range tags {
		if t.Key == want.Key && t.Value == want.Value {
			return true
		}
	}
	return false
}
