package oss

import (
	"strconv"
	"strings"
	"time"
)

// RangeSpec is a parsed single-range "bytes=" request: Start-End (End -1
// for open), or the last Suffix bytes when Suffix > 0.
type RangeSpec struct {
	Start  int64
	End    int64
	Suffix int64
	// Standard selects RFC 7233 behaviour (x-oss-range-behavior: standard,
	// and always for the S3 dialect): an end past EOF is clamped, a start at
	// or past EOF is 416 InvalidRange. Without it OSS serves the whole
	// object for any range it cannot satisfy.
	Standard bool
}

// MaxRangeHeader bounds the Range header accepted.
const MaxRangeHeader = 256

// ParseRange parses a Range header value. It returns nil, nil for a value
// OSS ignores (not "bytes=", several ranges, malformed) unless standard is
// set, in which case a malformed value is also ignored (as RFC 7233 allows)
// but a syntactically valid unsatisfiable one is reported by Resolve.
func ParseRange(h string, standard bool) *RangeSpec {
	if h == "" || len(h) > MaxRangeHeader {
		return nil
	}
	const prefix = "bytes="
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return nil
	}
	spec := strings.TrimSpace(h[len(prefix):])
	if strings.Contains(spec, ",") {
		return nil
	}
	dash := strings.IndexByte(spec, '-')
	if dash < 0 {
		return nil
	}
	first, last := strings.TrimSpace(spec[:dash]), strings.TrimSpace(spec[dash+1:])
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return nil
		}
		return &RangeSpec{Suffix: n, End: -1, Standard: standard}
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return nil
	}
	end := int64(-1)
	if last != "" {
		end, err = strconv.ParseInt(last, 10, 64)
		if err != nil || end < start {
			return nil
		}
	}
	return &RangeSpec{Start: start, End: end, Standard: standard}
}

// Resolve returns the byte range of an object of size to serve, nil for the
// whole object, or InvalidRange.
func (s *RangeSpec) Resolve(size int64) (*Range, error) {
	if s == nil {
		return nil, nil
	}
	if s.Suffix > 0 {
		if s.Suffix >= size {
			if size == 0 && s.Standard {
				return nil, E("", InvalidRange, "The requested range cannot be satisfied.")
			}
			if s.Suffix > size && !s.Standard {
				return nil, nil
			}
			return &Range{Start: 0, Length: size}, nil
		}
		return &Range{Start: size - s.Suffix, Length: s.Suffix}, nil
	}
	if s.Start >= size {
		if s.Standard {
			return nil, E("", InvalidRange, "The requested range cannot be satisfied.")
		}
		return nil, nil
	}
	end := s.End
	if end < 0 || end >= size {
		if end >= size && !s.Standard {
			return nil, nil
		}
		end = size - 1
	}
	return &Range{Start: s.Start, Length: end - s.Start + 1}, nil
}

// Check evaluates c against info as RFC 7232 orders it. For reads it returns
// NotModified (304) or PreconditionFailed (412); for a copy source (copy is
// true) every failure is PreconditionFailed.
func (c Conditions) Check(info ObjectInfo, copy bool) error {
	if c.IsZero() {
		return nil
	}
	fail := func() error {
		return E("", PreconditionFailed, "At least one of the pre-conditions you specified did not hold.")
	}
	notModified := func() error {
		if copy {
			return fail()
		}
		return E("", NotModified, "")
	}
	mod := info.LastModified.Truncate(time.Second)
	if c.IfMatch != "" {
		if !ETagMatches(c.IfMatch, info.ETag) {
			return fail()
		}
	} else if !c.IfUnmodifiedSince.IsZero() && mod.After(c.IfUnmodifiedSince) {
		return fail()
	}
	if c.IfNoneMatch != "" {
		if ETagMatches(c.IfNoneMatch, info.ETag) {
			return notModified()
		}
	} else if !c.IfModifiedSince.IsZero() && !mod.After(c.IfModifiedSince) {
		return notModified()
	}
	return nil
}

// ETagMatches reports whether the comma-separated list of entity tags in
// header (quoted or not, or "*") matches etag. Comparison ignores case, as
// clients print OSS's upper-hex ETags in either case.
func ETagMatches(header, etag string) bool {
	want := strings.Trim(etag, `"`)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == "*" {
			return true
		}
		if strings.EqualFold(strings.Trim(t, `"`), want) {
			return true
		}
	}
	return false
}
