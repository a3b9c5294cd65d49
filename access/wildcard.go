package access

import "unicode/utf8"

// wildcardMatch reports whether s matches pattern, where '*' matches any
// sequence of characters (including none) and '?' exactly one character.
// Characters are runes when both strings are valid UTF-8, bytes otherwise.
// It runs in O(len(s)*len(pattern)) worst case without recursion: the
// classic greedy algorithm that backtracks only to the last star.
func wildcardMatch(pattern, s string) bool {
	if !utf8.ValidString(pattern) || !utf8.ValidString(s) {
		return wildcardMatchSeq([]byte(pattern), []byte(s))
	}
	return wildcardMatchSeq([]rune(pattern), []rune(s))
}

// wildcardMatchSeq is the greedy matcher over runes or bytes.
func wildcardMatchSeq[T rune | byte](p, t []T) bool {
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// asciiLower lowercases ASCII letters only, so that case-insensitive
// matching never changes the byte length or meaning of non-ASCII text.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// wildcardMatchFold is wildcardMatch ignoring ASCII case.
func wildcardMatchFold(pattern, s string) bool {
	return wildcardMatch(asciiLower(pattern), asciiLower(s))
}
