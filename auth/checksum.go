package auth

import (
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strings"

	sha256 "github.com/minio/sha256-simd"
)

// crc64NVMEPoly is the reflected CRC-64/NVME polynomial used by S3's
// CRC64NVME checksum.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// checksumTrailerPrefix starts every S3 flexible-checksum header.
const checksumTrailerPrefix = "x-amz-checksum-"

// newChecksum returns the hash for an S3 flexible-checksum header name
// (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256, -sha512) and the
// algorithm's display name, or nil for an unknown name.
func newChecksum(header string) (hash.Hash, string) {
	switch strings.TrimPrefix(strings.ToLower(header), checksumTrailerPrefix) {
	case "crc32":
		return crc32.NewIEEE(), "CRC32"
	case "crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli)), "CRC32C"
	case "crc64nvme":
		return crc64.New(crc64.MakeTable(crc64NVMEPoly)), "CRC64NVME"
	case "sha1":
		return sha1.New(), "SHA1"
	case "sha256":
		return sha256.New(), "SHA256"
	case "sha512":
		return sha512.New(), "SHA512"
	}
	return nil, ""
}

// checksumBase64 renders a checksum as S3 does: base64 of the big-endian
// digest bytes.
func checksumBase64(h hash.Hash) string {
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
