package oss

import (
	"strings"
	"unicode/utf8"
)

// ValidBucketName reports whether name follows OSS's rules: 3 to 63
// characters of lowercase letters, digits and '-', not starting or ending
// with '-'.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// ValidObjectKey reports whether key is a valid OSS object name: valid
// UTF-8, 1 to 1023 bytes, not starting with '/' or '\', and with no NUL.
func ValidObjectKey(key string) bool {
	if len(key) == 0 || len(key) > MaxKeyBytes {
		return false
	}
	if key[0] == '/' || key[0] == '\\' {
		return false
	}
	return utf8.ValidString(key) && !strings.ContainsRune(key, 0)
}

// CheckBucketName returns an InvalidBucketName error for op when name is
// not valid.
func CheckBucketName(op, name string) error {
	if !ValidBucketName(name) {
		e := E(op, InvalidBucketName, "The specified bucket is not valid.")
		e.Bucket = name
		return e
	}
	return nil
}

// CheckObjectKey returns an InvalidObjectName error for op when key is not
// valid.
func CheckObjectKey(op, key string) error {
	if !ValidObjectKey(key) {
		e := E(op, InvalidObjectName, "The specified object is not valid.")
		e.Key = key
		return e
	}
	return nil
}
