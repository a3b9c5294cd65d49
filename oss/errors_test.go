package oss

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeTableComplete(t *testing.T) {
	seen := map[string]Code{}
	for c := Code(0); c < numCodes; c++ {
		info := codeTable[c]
		if info.name == "" || info.status == 0 || info.msg == "" {
			t.Errorf("code %d has an incomplete table entry: %+v", c, info)
		}
		if prev, dup := seen[info.name]; dup {
			t.Errorf("codes %d and %d share the name %q", prev, c, info.name)
		}
		seen[info.name] = c
		if got, ok := CodeByName(info.name); !ok || got != c {
			t.Errorf("CodeByName(%q) = %v, %v", info.name, got, ok)
		}
	}
}

func TestCodeStatuses(t *testing.T) {
	tests := map[Code]int{
		NoSuchKey: 404, NoSuchBucket: 404, BucketNotEmpty: 409, AccessDenied: 403,
		SignatureDoesNotMatch: 403, InvalidDigest: 400, PreconditionFailed: 412, InvalidRange: 416,
		MissingContentLength: 411, MethodNotAllowed: 405, PositionNotEqualToLength: 409,
		NotModified: 304, NotImplemented: 501, SlowDown: 503, InternalError: 500, RequestTimeTooSkewed: 403,
		NoSuchServerSideEncryptionRule: 404,
	}
	for c, want := range tests {
		if c.Status() != want {
			t.Errorf("%s.Status() = %d, want %d", c, c.Status(), want)
		}
	}
	if Code(250).Status() != 500 || Code(250).Name() != "InternalError" {
		t.Error("out-of-range code must map to InternalError")
	}
}

func TestCodeOfAndIs(t *testing.T) {
	base := E("GetObject", NoSuchKey, "gone")
	wrapped := fmt.Errorf("reading: %w", base)
	if CodeOf(wrapped) != NoSuchKey {
		t.Fatalf("CodeOf(wrapped) = %v", CodeOf(wrapped))
	}
	if !errors.Is(wrapped, NoSuchKey) {
		t.Fatal("errors.Is(err, NoSuchKey) should hold")
	}
	if errors.Is(wrapped, NoSuchBucket) {
		t.Fatal("errors.Is(err, NoSuchBucket) should not hold")
	}
	if CodeOf(errors.New("disk on fire")) != InternalError {
		t.Fatal("foreign errors map to InternalError")
	}
	w := Wrap("PutObject", errors.New("io"))
	if CodeOf(w) != InternalError || !IsCode(w, InternalError) {
		t.Fatal("Wrap of a foreign error is InternalError")
	}
	if Wrap("x", base) != error(base) {
		t.Fatal("Wrap keeps an existing *Error")
	}
	if base.Msg() != "gone" || E("", NoSuchKey, "").Msg() != NoSuchKey.DefaultMessage() {
		t.Fatal("Msg falls back to the default message")
	}
}
