package oss

import (
	"strings"
	"testing"
)

func TestValidBucketName(t *testing.T) {
	tests := map[string]bool{
		"abc": true, "my-bucket-1": true, strings.Repeat("a", 63): true,
		"ab": false, strings.Repeat("a", 64): false, "-abc": false, "abc-": false,
		"ABC": false, "a_b": false, "a.b": false, "": false,
	}
	for name, want := range tests {
		if got := ValidBucketName(name); got != want {
			t.Errorf("ValidBucketName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestValidObjectKey(t *testing.T) {
	tests := map[string]bool{
		"a": true, "dir/file.txt": true, "dir/": true, "中文/键": true, strings.Repeat("k", 1023): true,
		"": false, "/lead": false, `\lead`: false, strings.Repeat("k", 1024): false, "bad\xff": false, "nul\x00": false,
	}
	for key, want := range tests {
		if got := ValidObjectKey(key); got != want {
			t.Errorf("ValidObjectKey(%q) = %v, want %v", key, got, want)
		}
	}
	if CodeOf(CheckObjectKey("PutObject", "")) != InvalidObjectName || CheckObjectKey("PutObject", "ok") != nil {
		t.Error("CheckObjectKey")
	}
	if CodeOf(CheckBucketName("PutBucket", "A")) != InvalidBucketName || CheckBucketName("PutBucket", "abc") != nil {
		t.Error("CheckBucketName")
	}
}
