package checksum

import (
	"hash"
	"hash/crc64"
)

// ecmaTable is the CRC-64/XZ table (crc64.ECMA, reflected); read-only.
var ecmaTable = crc64.MakeTable(crc64.ECMA)

// NewCRC64 returns a CRC-64 hash as OSS computes x-oss-hash-crc64ecma.
func NewCRC64() hash.Hash64 { return crc64.New(ecmaTable) }

// UpdateCRC64 continues crc (0 for a fresh start) over p; appends seed it
// with the object's previous CRC.
func UpdateCRC64(crc uint64, p []byte) uint64 { return crc64.Update(crc, ecmaTable, p) }

// CRC64 is the checksum of p.
func CRC64(p []byte) uint64 { return crc64.Checksum(p, ecmaTable) }

// CombineCRC64 returns the CRC of A||B given crc1 = CRC(A), crc2 = CRC(B)
// and len2 = len(B), by GF(2) matrix squaring as zlib's crc32_combine (and
// the OSS SDKs' CRC64Combine). It is how a multipart object's CRC follows
// from its parts' without reading the data again.
func CombineCRC64(crc1, crc2 uint64, len2 int64) uint64 {
	if len2 <= 0 {
		return crc1
	}
	var even, odd [64]uint64
	// odd = operator for one zero bit
	odd[0] = 0xC96C5795D7870F42 // reflected ECMA polynomial
	row := uint64(1)
	for n := 1; n < 64; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2MatrixSquare(even[:], odd[:]) // two zero bits
	gf2MatrixSquare(odd[:], even[:]) // four zero bits
	for {
		gf2MatrixSquare(even[:], odd[:])
		if len2&1 != 0 {
			crc1 = gf2MatrixTimes(even[:], crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
		gf2MatrixSquare(odd[:], even[:])
		if len2&1 != 0 {
			crc1 = gf2MatrixTimes(odd[:], crc1)
		}
		len2 >>= 1
		if len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2MatrixTimes(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i++ {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
		vec >>= 1
	}
	return sum
}

func gf2MatrixSquare(square, mat []uint64) {
	for n := 0; n < 64; n++ {
		square[n] = gf2MatrixTimes(mat, mat[n])
	}
}
