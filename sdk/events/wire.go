package events

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/ossflow/ossflow/oss"
)

// Defaults of the stream that ossflow's broker publishes to.
const (
	// DefaultStream is the JetStream stream holding ossflow's events.
	DefaultStream = "OSSFLOW_EVENTS"
	// DefaultSubjectPrefix is the first tokens of every event subject.
	DefaultSubjectPrefix = "ossflow.events"
)

// Message headers set on every event. Header names are case-sensitive in
// NATS.
const (
	// HeaderMsgID is the event ID (also in the record's eventId), and
	// JetStream's de-duplication ID.
	HeaderMsgID = "Nats-Msg-Id"
	// HeaderEventID carries the event ID on messages derived from an event
	// that must not reuse its Nats-Msg-Id, such as a function's dead
	// letters (and on events written by earlier ossflow builds).
	HeaderEventID = "Ossflow-Event-Id"
	// HeaderBucket is the bucket name.
	HeaderBucket = "Ossflow-Bucket"
	// HeaderKey is the object key, encoded with [EncodeKeyHeader]: decode it
	// with [DecodeKeyHeader].
	HeaderKey = "Ossflow-Key"
	// HeaderEventName is the OSS event name without "oss:", e.g.
	// "ObjectCreated:PutObject".
	HeaderEventName = "Ossflow-Event-Name"
	// HeaderSeq is the event's global outbox position (decimal): dense and
	// in commit order across all buckets.
	HeaderSeq = "Ossflow-Seq"
	// HeaderBucketSeq is the per-bucket sequence (decimal) on events
	// written by earlier ossflow builds; events now carry it only as the
	// record's sequencer, which [Decode] reads.
	HeaderBucketSeq = "Ossflow-Bucket-Seq"
	// HeaderVersionID is the object version id, absent when unversioned.
	HeaderVersionID = "Ossflow-Version-Id"
	// HeaderOrigin names what made the write when it was not a client
	// ("lifecycle", "function:<name>"); absent for client writes. Function
	// dispatch uses it as a loop guard.
	HeaderOrigin = "Ossflow-Origin"
)

// Subject returns the subject an event is published on:
// prefix.<bucket>.<EventType>.<Action>, e.g.
// "ossflow.events.photos.ObjectCreated.PutObject". Characters that cannot
// appear in a subject token ('.', '*', '>', white space, control
// characters) are replaced by '_'; OSS bucket names ([a-z0-9-]) and event
// names never contain them.
func Subject(prefix, bucket string, name oss.EventName) string {
	typ, action, _ := strings.Cut(string(name), ":")
	var b strings.Builder
	b.Grow(len(prefix) + len(bucket) + len(name) + 3)
	b.WriteString(prefix)
	b.WriteByte('.')
	writeToken(&b, bucket)
	b.WriteByte('.')
	writeToken(&b, typ)
	b.WriteByte('.')
	writeToken(&b, action)
	return b.String()
}

func writeToken(b *strings.Builder, tok string) {
	if tok == "" {
		b.WriteByte('_')
		return
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c <= ' ' || c == '.' || c == '*' || c == '>' || c == 0x7f {
			c = '_'
		}
		b.WriteByte(c)
	}
}

// FilterSubjects returns the JetStream filter subjects selecting events of
// bucket ("" = every bucket) whose name matches one of patterns. A pattern
// is an event name with or without the "oss:" prefix, where either half
// may be "*": "ObjectCreated:*", "oss:ObjectRemoved:DeleteObject",
// "*:PutObject"; "*" or "" alone matches every event. No pattern matches
// every event. Overlapping patterns are merged, as JetStream requires
// filter subjects not to overlap.
func FilterSubjects(prefix, bucket string, patterns ...string) ([]string, error) {
	b := "*"
	if bucket != "" {
		var sb strings.Builder
		writeToken(&sb, bucket)
		b = sb.String()
	}
	all := prefix + "." + b + ".>"
	if len(patterns) == 0 {
		return []string{all}, nil
	}
	var subs []string
	for _, p := range patterns {
		p = strings.TrimPrefix(strings.TrimSpace(p), "oss:")
		if p == "" || p == "*" || p == ">" {
			return []string{all}, nil
		}
		typ, action, ok := strings.Cut(p, ":")
		if !ok || !validPatternToken(typ) || !validPatternToken(action) {
			return nil, fmt.Errorf("events: invalid event pattern %q: want Type:Action, either may be *", p)
		}
		subs = append(subs, prefix+"."+b+"."+typ+"."+action)
	}
	slices.Sort(subs)
	subs = slices.Compact(subs)
	// Drop subjects covered by another one (only "*" tokens can cover).
	out := subs[:0]
	for i, s := range subs {
		covered := false
		for j, o := range subs {
			if i != j && o != s && subjectCovers(o, s) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, s)
		}
	}
	return out, nil
}

func validPatternToken(t string) bool {
	if t == "*" {
		return true
	}
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c <= ' ' || c == '.' || c == '*' || c == '>' || c == 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// subjectCovers reports whether filter a matches every subject b matches,
// for subjects of equal length made of literal and "*" tokens.
func subjectCovers(a, b string) bool {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	if len(at) != len(bt) {
		return false
	}
	for i := range at {
		if at[i] != "*" && at[i] != bt[i] {
			return false
		}
	}
	return true
}

// MatchEventName reports whether name (without "oss:") matches pattern as
// [FilterSubjects] interprets it.
func MatchEventName(pattern string, name oss.EventName) bool {
	p := strings.TrimPrefix(strings.TrimSpace(pattern), "oss:")
	if p == "" || p == "*" || p == ">" {
		return true
	}
	pt, pa, _ := strings.Cut(p, ":")
	nt, na, _ := strings.Cut(string(name), ":")
	return (pt == "*" || pt == nt) && (pa == "*" || pa == na)
}

// EncodeKeyHeader encodes an object key as a header value. NATS headers
// cannot carry CR or LF and lose leading or trailing blanks, so '%',
// control characters and leading or trailing spaces and tabs are
// percent-encoded; every other byte (including spaces inside the key and
// UTF-8) is kept, so most keys read as themselves.
func EncodeKeyHeader(key string) string {
	lead := len(key) - len(strings.TrimLeft(key, " \t"))
	trail := len(strings.TrimRight(key, " \t"))
	clean := lead == 0 && trail == len(key)
	for i := 0; clean && i < len(key); i++ {
		if c := key[i]; c == '%' || c < 0x20 || c == 0x7f {
			clean = false
		}
	}
	if clean {
		return key
	}
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(key) + 8)
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '%' || c < 0x20 || c == 0x7f || ((c == ' ' || c == '\t') && (i < lead || i >= trail)) {
			b.WriteByte('%')
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// DecodeKeyHeader reverses [EncodeKeyHeader].
func DecodeKeyHeader(v string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	k, err := url.PathUnescape(v)
	if err != nil {
		return "", fmt.Errorf("events: key header %q: %w", v, err)
	}
	return k, nil
}
