package httpapi

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/oss"
)

// wrapBody prepares rc.body: the raw body, counted, then verified against
// what the signature promised (payload hash, aws-chunked decoding with
// chunk signatures and trailing checksums, through auth.Result.Body), then,
// for the S3 dialect, against x-amz-checksum-* values. The first failure is
// recorded in rc.bodyErr, and the reader never reports io.EOF after one.
func (h *Handler) wrapBody(r *http.Request, rc *reqCtx) error {
	raw := r.Body
	if raw == nil {
		raw = http.NoBody
	}
	rc.in = &countingReader{r: raw}
	body, err := rc.auth.Body(rc.in, r.Header)
	if err != nil {
		return err
	}
	if rc.s3 {
		cv, err := newChecksumVerifier(r.Header, body)
		if err != nil {
			return err
		}
		if cv != nil {
			body = cv
			rc.checksums = cv.values
		}
	}
	rc.body = &bodyReader{r: body, rc: rc}
	return nil
}

// bodyReader records the first failure of the request body.
type bodyReader struct {
	r  io.Reader
	rc *reqCtx
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.rc.bodyErr != nil {
		return 0, b.rc.bodyErr
	}
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = bodyError(err)
		if b.rc.bodyErr == nil {
			b.rc.bodyErr = err
		}
	}
	return n, err
}

// dataSize is the length of an object or part body: the decoded length of
// an aws-chunked body, Content-Length otherwise, -1 for an HTTP chunked body.
// A request with none is MissingContentLength; more than 5 GiB is
// EntityTooLarge.
func dataSize(r *http.Request, opName string) (int64, error) {
	var size int64
	switch {
	case auth.IsAWSChunked(r):
		v := r.Header.Get("X-Amz-Decoded-Content-Length")
		if v == "" {
			return 0, oss.E(opName, oss.MissingContentLength, "")
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			e := oss.E(opName, oss.InvalidArgument, "x-amz-decoded-content-length is invalid.")
			e.ArgumentName, e.ArgumentValue = "x-amz-decoded-content-length", v
			return 0, e
		}
		size = n
	case r.ContentLength >= 0 && (r.ContentLength > 0 || r.Header.Get("Content-Length") != ""):
		size = r.ContentLength
	case len(r.TransferEncoding) > 0:
		size = -1
	default:
		return 0, oss.E(opName, oss.MissingContentLength, "")
	}
	if size > oss.MaxObjectSize {
		return 0, oss.E(opName, oss.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size.")
	}
	return size, nil
}

// dataBody is the body handed to the engine for an object or part of size
// bytes (-1: unknown). The verifications of rc.body (payload hash, chunk
// signatures, trailing and header checksums) conclude only when it reaches
// EOF, and an engine reading exactly size bytes would never see that. So a
// body of known size is read one step ahead: before the last byte is handed
// out, the end of the stream is read and verified, and a failure is
// reported instead of the last bytes. An empty body is verified before
// the engine is called. A body of unknown size is bounded by the largest
// object.
func (rc *reqCtx) dataBody(size int64) (io.Reader, error) {
	switch {
	case size < 0:
		return &maxReader{r: rc.body, left: oss.MaxObjectSize}, nil
	case size == 0:
		if err := expectEOF(rc.body); err != nil {
			return nil, err
		}
		return http.NoBody, nil
	}
	return &exactReader{r: rc.body, left: size}, nil
}

// expectEOF reads r to its end, which must come at once.
func expectEOF(r io.Reader) error {
	var scratch [1]byte
	for {
		n, err := r.Read(scratch[:])
		if n > 0 {
			return oss.E("", oss.InvalidRequest, "The request body is longer than its declared length.")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// exactReader delivers exactly left bytes of r and verifies that r ends
// there before delivering the last of them.
type exactReader struct {
	r    io.Reader
	left int64
	err  error
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err != nil && err != io.EOF:
		e.err = err
		return 0, err
	case e.left > 0 && err == io.EOF:
		e.err = io.ErrUnexpectedEOF
		return n, io.ErrUnexpectedEOF
	case e.left == 0 && err == nil:
		if verr := expectEOF(e.r); verr != nil {
			e.err = verr
			return 0, verr
		}
	}
	return n, nil
}

type maxReader struct {
	r    io.Reader
	left int64
}

func (m *maxReader) Read(p []byte) (int, error) {
	if m.left < 0 {
		return 0, oss.E("", oss.EntityTooLarge, "")
	}
	if int64(len(p)) > m.left+1 {
		p = p[:m.left+1]
	}
	n, err := m.r.Read(p)
	m.left -= int64(n)
	if m.left < 0 {
		return n, oss.E("", oss.EntityTooLarge, "")
	}
	return n, err
}

// readSmallBody reads a whole (XML) body of at most limit bytes; over the
// limit it fails with tooLarge. A well-formed Content-MD5 is checked
// (mismatch: InvalidDigest, BadDigest for S3).
func readSmallBody(rc *reqCtx, r *http.Request, limit int64, tooLarge oss.Code) ([]byte, error) {
	md, err := parseContentMD5(r.Header, rc)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rc.body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, oss.E(rc.op.name, tooLarge, "The XML you provided was too large.")
	}
	if md != nil {
		sum := md5.Sum(data)
		if !bytes.Equal(sum[:], md) {
			return nil, digestMismatch(rc)
		}
	}
	return data, nil
}

// digestMismatch is the error of a Content-MD5 that does not match the body.
func digestMismatch(rc *reqCtx) error {
	if rc.s3 {
		return oss.E(rc.op.name, oss.BadDigest, "The Content-MD5 you specified did not match what we received.")
	}
	return oss.E(rc.op.name, oss.InvalidDigest, "The Content-MD5 you specified was invalid.")
}

// S3 additional checksums.
var checksumAlgorithms = map[string]func() hash.Hash{
	"crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"crc64nvme": func() hash.Hash { return crc64.New(crc64NVMETable) },
	"sha1":      sha1.New,
	"sha256":    sha256.New,
}

// crc64NVMETable is CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5).
var crc64NVMETable = crc64.MakeTable(0x9A6C9329AC4BC9B5)

// checksumVerifier computes the S3 checksums a request names, in an
// x-amz-checksum-<alg> header (verified at EOF: BadDigest on mismatch) or
// in x-amz-trailer (verified by the aws-chunked reader; the value is
// computed here so it can be stored). values is complete when the body
// reaches EOF.
type checksumVerifier struct {
	r      io.Reader
	algs   []checksumState
	values map[string]string
	done   bool
}

type checksumState struct {
	name string
	want string // "" for a trailer
	h    hash.Hash
}

func newChecksumVerifier(hd http.Header, body io.Reader) (*checksumVerifier, error) {
	cv := &checksumVerifier{r: body, values: map[string]string{}}
	seen := map[string]bool{}
	add := func(name, want string) error {
		name = strings.ToLower(name)
		if seen[name] {
			return nil
		}
		mk, ok := checksumAlgorithms[name]
		if !ok {
			e := oss.E("", oss.InvalidRequest, "Value for x-amz-checksum-%s header is invalid.", name)
			return e
		}
		seen[name] = true
		cv.algs = append(cv.algs, checksumState{name: name, want: want, h: mk()})
		if want != "" {
			cv.values[name] = want
		}
		return nil
	}
	for k, v := range hd {
		lk := strings.ToLower(k)
		name, ok := strings.CutPrefix(lk, "x-amz-checksum-")
		if !ok || name == "algorithm" || name == "type" || name == "mode" || len(v) == 0 {
			continue
		}
		if err := add(name, v[0]); err != nil {
			return nil, err
		}
	}
	for _, v := range hd.Values("X-Amz-Trailer") {
		for _, t := range strings.Split(v, ",") {
			name, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(t)), "x-amz-checksum-")
			if _, known := checksumAlgorithms[name]; !ok || !known {
				continue // the aws-chunked reader verifies what it knows
			}
			if err := add(name, ""); err != nil {
				return nil, err
			}
		}
	}
	if len(cv.algs) == 0 {
		return nil, nil
	}
	return cv, nil
}

func (c *checksumVerifier) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for _, a := range c.algs {
		a.h.Write(p[:n])
	}
	if err == io.EOF && !c.done {
		c.done = true
		for _, a := range c.algs {
			got := base64.StdEncoding.EncodeToString(a.h.Sum(nil))
			if a.want != "" && a.want != got {
				return n, oss.E("", oss.BadDigest, "The %s you specified did not match the calculated checksum.", strings.ToUpper(a.name))
			}
			c.values[a.name] = got
		}
	}
	return n, err
}
