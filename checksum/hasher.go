package checksum

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
)

// Hasher computes MD5 and CRC-64 of everything written to it, in one pass.
// It never fails; Write always consumes all of p.
type Hasher struct {
	md5 hash.Hash
	crc uint64
	n   int64
}

// NewHasher returns a Hasher whose CRC continues from seed (0 for a new
// object, the previous CRC for an append).
func NewHasher(seed uint64) *Hasher { return &Hasher{md5: md5.New(), crc: seed} }

// Write hashes p.
func (h *Hasher) Write(p []byte) (int, error) {
	h.md5.Write(p)
	h.crc = UpdateCRC64(h.crc, p)
	h.n += int64(len(p))
	return len(p), nil
}

// Sum returns the MD5 of the data so far.
func (h *Hasher) Sum() []byte { return h.md5.Sum(nil) }

// CRC64 returns the CRC-64 so far (continuing the seed).
func (h *Hasher) CRC64() uint64 { return h.crc }

// Len is the number of bytes hashed.
func (h *Hasher) Len() int64 { return h.n }

// ETag formats an MD5 as OSS's quoted upper-hex ETag.
func ETag(md5sum []byte) string {
	return `"` + strings.ToUpper(hex.EncodeToString(md5sum)) + `"`
}

// MultipartETag is OSS's ETag of a multipart object: the MD5 of the
// concatenated binary part MD5s, upper-hex, with "-N" for N parts.
func MultipartETag(partMD5s [][]byte) string {
	h := md5.New()
	for _, p := range partMD5s {
		h.Write(p)
	}
	return `"` + strings.ToUpper(hex.EncodeToString(h.Sum(nil))) + "-" + strconv.Itoa(len(partMD5s)) + `"`
}

// ParseETagMD5 returns the 16-byte MD5 of a plain (non-multipart) ETag.
func ParseETagMD5(etag string) ([]byte, bool) {
	s := strings.Trim(etag, `"`)
	if len(s) != 32 {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// Base64MD5 is the Content-MD5 header form of an MD5.
func Base64MD5(md5sum []byte) string { return base64.StdEncoding.EncodeToString(md5sum) }

// FormatCRC64 is the decimal form of x-oss-hash-crc64ecma.
func FormatCRC64(crc uint64) string { return strconv.FormatUint(crc, 10) }
