// Package checksum computes the integrity values OSS reports for object
// data in one pass: the Content-MD5 / ETag, the CRC-64 (ECMA polynomial in
// the reflected CRC-64/XZ form that OSS and its SDKs use, sent in
// x-oss-hash-crc64ecma) with the zlib-style combine used for appends and
// multipart objects, and SHA-256 through minio/sha256-simd where a signed
// payload needs it.
//
// It is a leaf package: standard library plus sha256-simd.
package checksum
