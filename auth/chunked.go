package auth

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	sha256 "github.com/minio/sha256-simd"
)

// Limits of the aws-chunked decoder.
const (
	maxChunkLine      = 4 << 10  // a chunk-size line, without its CRLF
	maxTrailerSection = 16 << 10 // all trailer lines together
	chunkReaderBuffer = 8 << 10
	trailerSigHeader  = "x-amz-trailer-signature"
	chunkSigPrefix    = "chunk-signature="
	chunkPayloadAlg   = "AWS4-HMAC-SHA256-PAYLOAD"
	chunkTrailerAlg   = "AWS4-HMAC-SHA256-TRAILER"
)

// IsAWSChunked reports whether r's body is aws-chunked encoded: its
// Content-Encoding lists aws-chunked or its x-amz-content-sha256 is one of
// the STREAMING-* values.
func IsAWSChunked(r *http.Request) bool {
	return isAWSChunkedHeader(r.Header)
}

func isAWSChunkedHeader(h http.Header) bool {
	if strings.HasPrefix(h.Get(headerAmzContentSHA256), "STREAMING-") {
		return true
	}
	for _, v := range h.Values("Content-Encoding") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "aws-chunked") {
				return true
			}
		}
	}
	return false
}

// ChunkedReader decodes an aws-chunked request body into the raw payload.
// For the signed variants it verifies every chunk signature (and the
// trailer signature) against the chain seeded by the request signature; it
// parses the trailing headers, verifies a trailing x-amz-checksum-* against
// the decoded data and checks the total against x-amz-decoded-content-length.
//
// The reader streams: data is handed out before the signature or checksum
// covering it has been checked, and nothing beyond bufio's small read
// buffer is held. Any failure is an *Error (S3 codes
// SignatureDoesNotMatch, IncompleteBody, InvalidChunkSizeError, BadDigest,
// MalformedTrailerError); the caller must discard what it read unless Read
// ended with io.EOF. Errors are sticky.
type ChunkedReader struct {
	br *bufio.Reader

	signed  bool // chunk signatures present and checked
	trailer bool // a trailer section is expected

	key     []byte
	scope   string
	amzDate string
	prevSig string

	decodedLen int64 // -1 when unknown
	total      int64
	remaining  int64 // undelivered bytes of the current chunk
	chunkSig   string
	chunkHash  hash.Hash

	declared  []string             // x-amz-trailer names
	checksums map[string]hash.Hash // checksum trailers declared, by name
	algNames  map[string]string

	trailers http.Header
	err      error
}

// NewChunkedReader returns a decoder for the aws-chunked body of a request
// that Verify authenticated as res; hdr is the request's header. The mode
// comes from res.PayloadHash (or hdr's x-amz-content-sha256 for anonymous
// requests): STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] need SigV4 header
// authentication (res.SigningKey, SeedSignature, Scope, SigningTime);
// STREAMING-UNSIGNED-PAYLOAD-TRAILER and anything else decode without chunk
// signatures.
func NewChunkedReader(body io.Reader, res Result, hdr http.Header) (*ChunkedReader, error) {
	mode := res.PayloadHash
	if mode == "" || mode == UnsignedPayload {
		if m := hdr.Get(headerAmzContentSHA256); strings.HasPrefix(m, "STREAMING-") && res.Anonymous {
			mode = m
		}
	}
	c := &ChunkedReader{
		br:         bufio.NewReaderSize(body, chunkReaderBuffer),
		decodedLen: -1,
		checksums:  map[string]hash.Hash{},
		algNames:   map[string]string{},
	}
	switch mode {
	case StreamingSignedPayload:
		c.signed = true
	case StreamingSignedPayloadTrailer:
		c.signed, c.trailer = true, true
	case StreamingUnsignedPayloadTrailer:
		c.trailer = true
	case streamingECDSAPayload, streamingECDSAPayloadTrailer:
		return nil, newError(CodeNotImplemented, http.StatusNotImplemented, "SigV4a (ECDSA) streaming signatures are not implemented.")
	default:
		c.trailer = true // lenient: plain aws-chunked, trailers optional
	}
	if c.signed {
		if res.Scheme != SchemeAWSV4 || res.Presigned || len(res.SigningKey) == 0 ||
			res.SeedSignature == "" || res.Scope == "" || res.SigningTime.IsZero() {
			return nil, newError(CodeInvalidRequest, http.StatusBadRequest,
				"Signed aws-chunked payloads require AWS Signature Version 4 header authentication.")
		}
		c.key = res.SigningKey
		c.scope = res.Scope
		c.amzDate = res.SigningTime.UTC().Format(iso8601Basic)
		c.prevSig = res.SeedSignature
		c.chunkHash = sha256.New()
	}
	if v := hdr.Get(headerAmzDecodedLength); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return nil, errInvalidArgument("x-amz-decoded-content-length must be a non-negative integer.", headerAmzDecodedLength, v)
		}
		c.decodedLen = n
	}
	for _, v := range hdr.Values(headerAmzTrailer) {
		for _, name := range strings.Split(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" || contains(c.declared, name) {
				continue
			}
			c.declared = append(c.declared, name)
			if strings.HasPrefix(name, checksumTrailerPrefix) {
				h, alg := newChecksum(name)
				if h == nil {
					return nil, errInvalidArgument("Unsupported checksum algorithm in x-amz-trailer.", headerAmzTrailer, v)
				}
				c.checksums[name], c.algNames[name] = h, alg
			}
		}
	}
	if len(c.declared) > 0 && !c.trailer {
		return nil, errInvalidArgument("x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256.", headerAmzTrailer, hdr.Get(headerAmzTrailer))
	}
	return c, nil
}

// Trailers returns the trailing headers (without x-amz-trailer-signature)
// once Read has returned io.EOF, and nil before.
func (c *ChunkedReader) Trailers() http.Header {
	if c.err != io.EOF {
		return nil
	}
	return c.trailers
}

// Read implements io.Reader.
func (c *ChunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for c.remaining == 0 {
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	if n > 0 {
		c.remaining -= int64(n)
		c.total += int64(n)
		if c.signed {
			c.chunkHash.Write(p[:n])
		}
		for _, h := range c.checksums {
			h.Write(p[:n])
		}
		if c.decodedLen >= 0 && c.total > c.decodedLen {
			c.err = errTooMuchData()
			return n, c.err
		}
	}
	if err != nil {
		if err == io.EOF {
			err = errIncompleteBody()
		} else {
			err = c.wrapIO(err)
		}
		c.err = err
		return n, err
	}
	if c.remaining == 0 {
		if err := c.endChunk(); err != nil {
			c.err = err
			return n, err
		}
	}
	return n, nil
}

func errIncompleteBody() *Error {
	return newError(CodeIncompleteBody, http.StatusBadRequest,
		"The request body terminated unexpectedly.")
}

func errTooMuchData() *Error {
	return newError(CodeIncompleteBody, http.StatusBadRequest,
		"The decoded body is longer than x-amz-decoded-content-length.")
}

func errChunkSize(msg string) *Error {
	return newError(CodeInvalidChunkSizeError, http.StatusBadRequest, msg)
}

func errTrailer(msg string) *Error {
	return newError(CodeMalformedTrailerError, http.StatusBadRequest, msg)
}

func errChunkSignature() *Error {
	return newError(CodeSignatureDoesNotMatch, http.StatusForbidden,
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
}

// wrapIO keeps *Error values and passes other read errors through (a
// network error is not the client's protocol error).
func (c *ChunkedReader) wrapIO(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return err
}

// readLine reads one CRLF (or LF) terminated line of at most max bytes and
// returns it without the terminator. At EOF with nothing read it returns
// io.EOF; a partial last line is returned with a nil error.
func (c *ChunkedReader) readLine(max int, tooLong func() *Error) (string, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return "", tooLong()
	case err == io.EOF:
		if len(line) == 0 {
			return "", io.EOF
		}
	case err != nil:
		return "", c.wrapIO(err)
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > max {
		return "", tooLong()
	}
	return string(line), nil
}

// nextChunk reads a chunk header. For a data chunk it sets remaining; the
// final (zero) chunk is processed completely and io.EOF returned.
func (c *ChunkedReader) nextChunk() error {
	line, err := c.readLine(maxChunkLine, func() *Error { return errChunkSize("The chunk size line is too long.") })
	if err == io.EOF {
		return errIncompleteBody()
	}
	if err != nil {
		return err
	}
	sizeStr, ext, _ := strings.Cut(line, ";")
	size, ok := parseChunkSize(strings.TrimSpace(sizeStr))
	if !ok {
		return errChunkSize("The chunk size is not a valid hexadecimal number.")
	}
	if c.signed {
		sig, found := strings.CutPrefix(strings.TrimSpace(ext), chunkSigPrefix)
		if !found || !isHexSHA256(sig) {
			return errChunkSignature()
		}
		c.chunkSig = strings.ToLower(sig)
		c.chunkHash.Reset()
	}
	if c.decodedLen >= 0 && size > c.decodedLen-c.total {
		return errTooMuchData()
	}
	if size > 0 {
		c.remaining = size
		return nil
	}
	// Final chunk.
	if c.signed {
		if err := c.checkChunkSignature(); err != nil {
			return err
		}
	}
	if err := c.readTrailers(); err != nil {
		return err
	}
	if c.decodedLen >= 0 && c.total != c.decodedLen {
		return errIncompleteBody()
	}
	for _, name := range c.declared {
		want := c.trailers.Get(name)
		if want == "" {
			return errTrailer("The trailer " + name + " announced in x-amz-trailer is missing.")
		}
		if h, ok := c.checksums[name]; ok && !constEq(checksumBase64(h), want) {
			return newError(CodeBadDigest, http.StatusBadRequest,
				"The "+c.algNames[name]+" you specified did not match the calculated checksum.")
		}
	}
	return io.EOF
}

// parseChunkSize parses a non-empty hex size of at most 15 digits.
func parseChunkSize(s string) (int64, bool) {
	if s == "" || len(s) > 15 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 16, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
func (c *ChunkedReader) endChunk() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return errIncompleteBody()
		}
		return c.wrapIO(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return errIncompleteBody()
	}
	if c.signed {
		return c.checkChunkSignature()
	}
	return nil
}

// checkChunkSignature verifies the current chunk against the chain.
func (c *ChunkedReader) checkChunkSignature() error {
	sts := chunkPayloadAlg + "\n" + c.amzDate + "\n" + c.scope + "\n" + c.prevSig + "\n" +
		emptySHA256 + "\n" + hex.EncodeToString(c.chunkHash.Sum(nil))
	want := hex.EncodeToString(hmacSHA256(c.key, sts))
	if !constEq(want, c.chunkSig) {
		return errChunkSignature()
	}
	c.prevSig = c.chunkSig
	return nil
}

// readTrailers reads the trailer section that follows the final chunk, up
// to and including the empty line that ends the body.
func (c *ChunkedReader) readTrailers() error {
	c.trailers = http.Header{}
	var names []string
	values := map[string]string{}
	trailerSig := ""
	size := 0
	tooLong := func() *Error { return errTrailer("The trailer section is too large.") }
	for {
		line, err := c.readLine(maxTrailerSection, tooLong)
		if err == io.EOF {
			break // tolerate a missing final CRLF
		}
		if err != nil {
			return err
		}
		if size += len(line) + 2; size > maxTrailerSection {
			return tooLong()
		}
		if line == "" {
			break
		}
		if !c.trailer {
			return errTrailer("Trailing headers are only allowed with a STREAMING-*-TRAILER payload.")
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if !ok || name == "" {
			return errTrailer("A trailing header is not of the form name:value.")
		}
		if name == trailerSigHeader {
			if trailerSig != "" {
				return errTrailer("The trailer signature appears twice.")
			}
			trailerSig = value
			continue
		}
		if _, dup := values[name]; dup {
			return errTrailer("The trailing header " + name + " appears twice.")
		}
		if strings.HasPrefix(name, checksumTrailerPrefix) && !contains(c.declared, name) {
			return errTrailer("The trailing checksum " + name + " was not announced in x-amz-trailer.")
		}
		values[name] = value
		names = append(names, name)
		c.trailers.Set(name, value)
	}
	if c.signed && c.trailer {
		if !isHexSHA256(trailerSig) {
			return errChunkSignature()
		}
		sort.Strings(names)
		var canon strings.Builder
		for _, n := range names {
			canon.WriteString(n)
			canon.WriteByte(':')
			canon.WriteString(values[n])
			canon.WriteByte('\n')
		}
		sts := chunkTrailerAlg + "\n" + c.amzDate + "\n" + c.scope + "\n" + c.prevSig + "\n" + sha256Hex(canon.String())
		if !constEq(hex.EncodeToString(hmacSHA256(c.key, sts)), strings.ToLower(trailerSig)) {
			return errChunkSignature()
		}
	}
	return nil
}
