package auth

import (
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strings"

	sha256 "github.com/minio/sha256-simd"
)

// NewPayloadHashVerifier returns a reader that yields body unchanged and,
// when body ends, compares the SHA-256 of everything read with wantHex (the
// x-amz-content-sha256 value). On a mismatch the final Read returns an
// *Error with code XAmzContentSHA256Mismatch instead of io.EOF. Nothing is
// buffered: the caller must not commit the data unless it saw io.EOF.
func NewPayloadHashVerifier(body io.Reader, wantHex string) io.Reader {
	return newPayloadHashVerifier(body, wantHex, DialectS3)
}

// newPayloadHashVerifier is NewPayloadHashVerifier with the error code of
// dialect d: S3 says XAmzContentSHA256Mismatch, OSS InvalidDigest.
func newPayloadHashVerifier(body io.Reader, wantHex string, d Dialect) io.Reader {
	return &payloadHashVerifier{r: body, h: sha256.New(), want: strings.ToLower(wantHex), dialect: d}
}

type payloadHashVerifier struct {
	r       io.Reader
	h       hash.Hash
	want    string
	dialect Dialect
	err     error
}

func (v *payloadHashVerifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		got := hex.EncodeToString(v.h.Sum(nil))
		if !constEq(got, v.want) {
			var e *Error
			if v.dialect == DialectS3 {
				e = newError(CodeXAmzContentSHA256Mismatch, http.StatusBadRequest,
					"The provided 'x-amz-content-sha256' header does not match what was computed.")
			} else {
				e = newError(CodeInvalidDigest, http.StatusBadRequest,
					"The x-oss-content-sha256 you specified did not match what we received.")
			}
			e.ClientSHA256, e.ComputedSHA256 = v.want, got
			v.err = e
			return n, e
		}
		v.err = io.EOF
	} else if err != nil {
		v.err = err
	}
	return n, err
}
