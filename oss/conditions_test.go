package oss

import (
	"testing"
	"time"
)

func TestRangeResolve(t *testing.T) {
	const size = 100
	tests := []struct {
		name      string
		header    string
		standard  bool
		wantNil   bool // whole object
		wantStart int64
		wantLen   int64
		wantErr   Code
	}{
		{"plain", "bytes=0-9", false, false, 0, 10, 0},
		{"open end", "bytes=90-", false, false, 90, 10, 0},
		{"suffix", "bytes=-5", false, false, 95, 5, 0},
		{"suffix all", "bytes=-100", false, false, 0, 100, 0},
		{"suffix over legacy", "bytes=-200", false, true, 0, 0, 0},
		{"suffix over standard", "bytes=-200", true, false, 0, 100, 0},
		{"end past eof legacy serves whole", "bytes=10-1000", false, true, 0, 0, 0},
		{"end past eof standard clamps", "bytes=10-1000", true, false, 10, 90, 0},
		{"start past eof legacy", "bytes=100-200", false, true, 0, 0, 0},
		{"start past eof standard 416", "bytes=100-200", true, false, 0, 0, InvalidRange},
		{"malformed ignored", "bytes=abc", true, true, 0, 0, 0},
		{"multi ignored", "bytes=0-1,3-4", false, true, 0, 0, 0},
		{"reversed ignored", "bytes=9-3", false, true, 0, 0, 0},
		{"not bytes", "items=0-1", false, true, 0, 0, 0},
		{"case insensitive unit", "Bytes=1-1", false, false, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := ParseRange(tt.header, tt.standard)
			r, err := spec.Resolve(size)
			if tt.wantErr != 0 {
				if CodeOf(err) != tt.wantErr {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantNil {
				if r != nil {
					t.Fatalf("got range %+v, want whole object", *r)
				}
				return
			}
			if r == nil || r.Start != tt.wantStart || r.Length != tt.wantLen {
				t.Fatalf("got %+v, want start %d len %d", r, tt.wantStart, tt.wantLen)
			}
		})
	}
}

func TestRangeEmptyObject(t *testing.T) {
	if _, err := ParseRange("bytes=0-0", true).Resolve(0); CodeOf(err) != InvalidRange {
		t.Fatalf("standard range on empty object: err = %v, want InvalidRange", err)
	}
	if r, err := ParseRange("bytes=0-0", false).Resolve(0); err != nil || r != nil {
		t.Fatalf("legacy range on empty object: r=%v err=%v, want whole object", r, err)
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=5-", "bytes=", "bytes=-", "bytes=1-2,3-4", "bytes=99999999999999999999-1"} {
		f.Add(s, int64(100), true)
	}
	f.Fuzz(func(t *testing.T, h string, size int64, standard bool) {
		if size < 0 {
			size = -size
		}
		if size < 0 { // MinInt64
			return
		}
		r, err := ParseRange(h, standard).Resolve(size)
		if err != nil || r == nil {
			return
		}
		if r.Start < 0 || r.Length <= 0 || r.Start+r.Length > size {
			t.Fatalf("range %+v out of bounds for size %d (header %q)", *r, size, h)
		}
	})
}

func TestConditions(t *testing.T) {
	mod := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	info := ObjectInfo{ETag: `"ABCDEF"`, LastModified: mod}
	before, after := mod.Add(-time.Hour), mod.Add(time.Hour)
	tests := []struct {
		name string
		c    Conditions
		copy bool
		want Code // 0 = pass
	}{
		{"none", Conditions{}, false, 0},
		{"if-match ok", Conditions{IfMatch: `"abcdef"`}, false, 0},
		{"if-match star", Conditions{IfMatch: "*"}, false, 0},
		{"if-match list", Conditions{IfMatch: `"x", "ABCDEF"`}, false, 0},
		{"if-match fail", Conditions{IfMatch: `"000"`}, false, PreconditionFailed},
		{"if-none-match hit read", Conditions{IfNoneMatch: `"ABCDEF"`}, false, NotModified},
		{"if-none-match hit copy", Conditions{IfNoneMatch: `"ABCDEF"`}, true, PreconditionFailed},
		{"if-none-match miss", Conditions{IfNoneMatch: `"000"`}, false, 0},
		{"modified-since not modified", Conditions{IfModifiedSince: after}, false, NotModified},
		{"modified-since same second", Conditions{IfModifiedSince: mod}, false, NotModified},
		{"modified-since modified", Conditions{IfModifiedSince: before}, false, 0},
		{"unmodified-since fail", Conditions{IfUnmodifiedSince: before}, false, PreconditionFailed},
		{"unmodified-since ok", Conditions{IfUnmodifiedSince: after}, false, 0},
		{"if-match beats unmodified-since", Conditions{IfMatch: "*", IfUnmodifiedSince: before}, false, 0},
		{"if-none-match beats modified-since", Conditions{IfNoneMatch: `"000"`, IfModifiedSince: after}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Check(info, tt.copy)
			if tt.want == 0 {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			if CodeOf(err) != tt.want {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}
