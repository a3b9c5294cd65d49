package client

import (
	"fmt"
	"io"

	"github.com/ossflow/ossflow/checksum"
)

// crcReader computes the CRC-64 and length of what is read through it.
type crcReader struct {
	r   io.Reader
	crc uint64
	n   int64
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc = checksum.UpdateCRC64(c.crc, p[:n])
	c.n += int64(n)
	return n, err
}

// checkCRC compares a computed CRC with the one the server reported.
func checkCRC(what string, info ObjectInfo, got uint64) error {
	if info.HasCRC64 && info.CRC64 != got {
		return fmt.Errorf("%s %s: server crc64 %d, client %d: %w", what, describe(info.Bucket, info.Key), info.CRC64, got, ErrChecksumMismatch)
	}
	return nil
}

// verifyingBody checks the CRC-64 of a whole-object download at EOF: the
// Read that would return io.EOF returns the mismatch error instead.
type verifyingBody struct {
	rc   io.ReadCloser
	info ObjectInfo
	crc  uint64
	n    int64
	done bool
}

func (v *verifyingBody) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.crc = checksum.UpdateCRC64(v.crc, p[:n])
	v.n += int64(n)
	if err == io.EOF && !v.done {
		v.done = true
		if v.n != v.info.Size {
			return n, fmt.Errorf("client: GetObject %s: got %d bytes, want %d: %w", describe(v.info.Bucket, v.info.Key), v.n, v.info.Size, io.ErrUnexpectedEOF)
		}
		if cerr := checkCRC("client: GetObject", v.info, v.crc); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

func (v *verifyingBody) Close() error { return v.rc.Close() }
