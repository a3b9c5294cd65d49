package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/ossflow/ossflow/oss"
)

// s3NS is the XML namespace of S3 responses.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// ns is the xmlns attribute of a response document: S3's namespace for the
// S3 dialect, none for OSS.
func (rc *reqCtx) ns() string {
	if rc.s3 {
		return s3NS
	}
	return ""
}

// storageClassFromWire accepts OSS names (any case) and S3 names.
func storageClassFromWire(v string) (oss.StorageClass, bool) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "STANDARD":
		return oss.StorageStandard, true
	case "IA", "STANDARD_IA":
		return oss.StorageIA, true
	case "ARCHIVE", "GLACIER", "GLACIER_IR":
		return oss.StorageArchive, true
	case "COLDARCHIVE", "DEEP_ARCHIVE":
		return oss.StorageColdArchive, true
	case "DEEPCOLDARCHIVE":
		return oss.StorageDeepColdArchive, true
	}
	return "", false
}

// s3StorageClass names sc as S3 does.
func s3StorageClass(sc oss.StorageClass) string {
	switch sc {
	case oss.StorageIA:
		return "STANDARD_IA"
	case oss.StorageArchive:
		return "GLACIER"
	case oss.StorageColdArchive, oss.StorageDeepColdArchive:
		return "DEEP_ARCHIVE"
	}
	return "STANDARD"
}

// storageClass names sc in the request's dialect; "" means Standard.
func (rc *reqCtx) storageClass(sc oss.StorageClass) string {
	if sc == "" {
		sc = oss.StorageStandard
	}
	if rc.s3 {
		return s3StorageClass(sc)
	}
	return string(sc)
}

// sseName names a server-side encryption algorithm in the dialect.
func (rc *reqCtx) sseName(alg string) string {
	if rc.s3 && alg == "KMS" {
		return "aws:kms"
	}
	return alg
}

// checksumHeaders echoes stored S3 checksums (S3 dialect only).
func (rc *reqCtx) checksumHeaders(hd http.Header, sums map[string]string) {
	if !rc.s3 || len(sums) == 0 {
		return
	}
	names := make([]string, 0, len(sums))
	for k := range sums {
		if _, ok := checksumAlgorithms[k]; ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		hd.Set("X-Amz-Checksum-"+k, sums[k])
	}
}

// s3Checksums are the checksum elements of S3 XML results (CopyObjectResult,
// Part, ...), filled from stored checksums.
type s3Checksums struct {
	CRC32     string `xml:"ChecksumCRC32,omitempty"`
	CRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	CRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	SHA1      string `xml:"ChecksumSHA1,omitempty"`
	SHA256    string `xml:"ChecksumSHA256,omitempty"`
}

func (rc *reqCtx) xmlChecksums(sums map[string]string) s3Checksums {
	if !rc.s3 {
		return s3Checksums{}
	}
	return s3Checksums{CRC32: sums["crc32"], CRC32C: sums["crc32c"], CRC64NVME: sums["crc64nvme"], SHA1: sums["sha1"], SHA256: sums["sha256"]}
}
