package fnapi

import (
	"errors"
	"fmt"
	"strings"
)

// ErrOverlap is Function Compute's refusal of a trigger that overlaps
// another one, word for word.
var ErrOverlap = errors.New("Cannot specify overlapping prefix and suffix with same event type.")

// Overlap reports whether two event triggers can both select one event,
// which OSS refuses. Precisely, they overlap when all of these hold:
//
//   - they watch the same bucket;
//   - their event-name sets intersect: some pattern of a and some pattern
//     of b match a common name ("ObjectCreated:*" and
//     "ObjectCreated:PutObject" do; "*:PutObject" and "ObjectCreated:*"
//     do; "ObjectCreated:*" and "ObjectRemoved:*" do not);
//   - one prefix is a prefix of the other ("" is a prefix of everything);
//   - one suffix is a suffix of the other ("" is a suffix of everything).
//
// Two triggers whose prefixes diverge ("a/" and "b/") or whose suffixes
// diverge (".jpg" and ".png") never see the same key and do not overlap.
func Overlap(a, b EventTrigger) bool {
	if a.Bucket != b.Bucket {
		return false
	}
	if !(strings.HasPrefix(a.Prefix, b.Prefix) || strings.HasPrefix(b.Prefix, a.Prefix)) {
		return false
	}
	if !(strings.HasSuffix(a.Suffix, b.Suffix) || strings.HasSuffix(b.Suffix, a.Suffix)) {
		return false
	}
	for _, p := range a.Events {
		for _, q := range b.Events {
			if patternsIntersect(p, q) {
				return true
			}
		}
	}
	return false
}

// patternsIntersect reports whether two event-name patterns match a
// common event name.
func patternsIntersect(p, q string) bool {
	pt, pa := splitPattern(p)
	qt, qa := splitPattern(q)
	return tokensIntersect(pt, qt) && tokensIntersect(pa, qa)
}

func tokensIntersect(a, b string) bool { return a == "*" || b == "*" || a == b }

// splitPattern normalizes a pattern into its type and action: "" and "*"
// mean every event; the "oss:" prefix is dropped.
func splitPattern(p string) (typ, action string) {
	p = strings.TrimPrefix(strings.TrimSpace(p), "oss:")
	if p == "" || p == "*" || p == ">" {
		return "*", "*"
	}
	typ, action, ok := strings.Cut(p, ":")
	if !ok {
		return typ, "*"
	}
	return typ, action
}

// CheckOverlap refuses m when one of its event triggers overlaps a trigger
// of another function in others (functions named like m are skipped: a
// redeploy replaces its own triggers). The error wraps ErrOverlap and
// names the other function.
func CheckOverlap(m *Manifest, others []Manifest) error {
	for _, o := range others {
		if o.Name == m.Name {
			continue
		}
		for _, a := range m.Triggers.Events {
			for _, b := range o.Triggers.Events {
				if Overlap(a, b) {
					return &OverlapError{Function: o.Name, Trigger: b}
				}
			}
		}
	}
	return nil
}

// OverlapError is a trigger overlapping one of another function.
type OverlapError struct {
	Function string
	Trigger  EventTrigger
}

func (e *OverlapError) Error() string {
	return fmt.Sprintf("%s (function %s has trigger %s)", ErrOverlap, e.Function, e.Trigger)
}

func (e *OverlapError) Unwrap() error { return ErrOverlap }
