package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownAccessKey is returned (possibly wrapped) by a CredentialLookup
// for an access key id it does not know. The verifier turns it into an
// InvalidAccessKeyId error.
var ErrUnknownAccessKey = errors.New("auth: unknown access key id")

// Error codes produced by this package. They are the codes OSS and S3 put in
// the <Code> element of their error responses.
const (
	CodeAccessDenied                      = "AccessDenied"
	CodeSignatureDoesNotMatch             = "SignatureDoesNotMatch"
	CodeInvalidAccessKeyID                = "InvalidAccessKeyId"
	CodeRequestTimeTooSkewed              = "RequestTimeTooSkewed"
	CodeInvalidArgument                   = "InvalidArgument"
	CodeInvalidRequest                    = "InvalidRequest"
	CodeAuthorizationHeaderMalformed      = "AuthorizationHeaderMalformed"
	CodeAuthorizationQueryParametersError = "AuthorizationQueryParametersError"
	CodeXAmzContentSHA256Mismatch         = "XAmzContentSHA256Mismatch"
	CodeInvalidDigest                     = "InvalidDigest"
	CodeBadDigest                         = "BadDigest"
	CodeIncompleteBody                    = "IncompleteBody"
	CodeInvalidChunkSizeError             = "InvalidChunkSizeError"
	CodeMalformedTrailerError             = "MalformedTrailerError"
	CodeNotImplemented                    = "NotImplemented"
	CodeInternalError                     = "InternalError"
)

// Error is an authentication failure. Code is the exact OSS/S3 error code,
// Message the human readable text, StatusCode the HTTP status to answer with.
// The remaining fields are filled when they apply; Details renders them as
// the extra elements of the error XML for a dialect.
type Error struct {
	Code       string
	Message    string
	StatusCode int

	// AccessKeyID is the access key id the client presented.
	AccessKeyID string
	// StringToSign is the string the server signed (SignatureDoesNotMatch).
	StringToSign string
	// CanonicalRequest is the V4 canonical request (SignatureDoesNotMatch).
	CanonicalRequest string
	// SignatureProvided is the signature the client sent.
	SignatureProvided string
	// HeadersNotSigned lists x-amz-* headers present but not signed.
	HeadersNotSigned string
	// ArgumentName and ArgumentValue name the offending parameter
	// (InvalidArgument).
	ArgumentName, ArgumentValue string
	// RequestTime is the time the request claimed (RequestTimeTooSkewed).
	RequestTime time.Time
	// ServerTime is the server's clock (RequestTimeTooSkewed, expiry).
	ServerTime time.Time
	// Expires is when a presigned request expired.
	Expires time.Time
	// MaxSkew is the allowed clock skew (RequestTimeTooSkewed).
	MaxSkew time.Duration
	// ClientSHA256 and ComputedSHA256 are the declared and the computed
	// payload hash (XAmzContentSHA256Mismatch).
	ClientSHA256, ComputedSHA256 string

	// Err is the underlying cause, if any (for example ErrUnknownAccessKey
	// or an error of the CredentialLookup).
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("auth: %s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("auth: %s: %s", e.Code, e.Message)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Detail is one extra element of an error response body, such as
// <StringToSign>…</StringToSign>.
type Detail struct {
	Name  string
	Value string
}

// Details returns, in the order the service emits them, the extra elements
// of the error XML for dialect d. OSS uses StringToSign, StringToSignBytes
// (upper-case hex bytes), SignatureProvided and OSSAccessKeyId; S3 uses
// AWSAccessKeyId, StringToSign, SignatureProvided, StringToSignBytes
// (lower-case), CanonicalRequest and CanonicalRequestBytes.
func (e *Error) Details(d Dialect) []Detail {
	var out []Detail
	add := func(name, value string) { out = append(out, Detail{name, value}) }
	tf := func(t time.Time) string {
		if d == DialectS3 {
			return t.UTC().Format("2006-01-02T15:04:05Z")
		}
		return t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if e.ArgumentName != "" {
		add("ArgumentName", e.ArgumentName)
		add("ArgumentValue", e.ArgumentValue)
	}
	switch e.Code {
	case CodeSignatureDoesNotMatch:
		if d == DialectS3 {
			if e.AccessKeyID != "" {
				add("AWSAccessKeyId", e.AccessKeyID)
			}
			add("StringToSign", e.StringToSign)
			add("SignatureProvided", e.SignatureProvided)
			add("StringToSignBytes", hexBytes(e.StringToSign, false))
			if e.CanonicalRequest != "" {
				add("CanonicalRequest", e.CanonicalRequest)
				add("CanonicalRequestBytes", hexBytes(e.CanonicalRequest, false))
			}
		} else {
			add("StringToSign", e.StringToSign)
			add("StringToSignBytes", hexBytes(e.StringToSign, true))
			if e.CanonicalRequest != "" {
				add("CanonicalRequest", e.CanonicalRequest)
			}
			add("SignatureProvided", e.SignatureProvided)
			add("OSSAccessKeyId", e.AccessKeyID)
		}
	case CodeInvalidAccessKeyID:
		if d == DialectS3 {
			add("AWSAccessKeyId", e.AccessKeyID)
		} else {
			add("OSSAccessKeyId", e.AccessKeyID)
		}
	case CodeRequestTimeTooSkewed:
		add("RequestTime", tf(e.RequestTime))
		add("ServerTime", tf(e.ServerTime))
		if d == DialectS3 {
			add("MaxAllowedSkewMilliseconds", strconv.FormatInt(e.MaxSkew.Milliseconds(), 10))
		}
	case CodeXAmzContentSHA256Mismatch:
		add("ClientComputedContentSHA256", e.ClientSHA256)
		add("S3ComputedContentSHA256", e.ComputedSHA256)
	case CodeAccessDenied:
		if e.HeadersNotSigned != "" {
			add("HeadersNotSigned", e.HeadersNotSigned)
		}
		if !e.Expires.IsZero() {
			add("Expires", tf(e.Expires))
			add("ServerTime", tf(e.ServerTime))
		}
	}
	return out
}

// hexBytes renders s as space separated hex bytes, as OSS and S3 do in
// <StringToSignBytes>.
func hexBytes(s string, upper bool) string {
	const lo, up = "0123456789abcdef", "0123456789ABCDEF"
	digits := lo
	if upper {
		digits = up
	}
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&0x0f])
	}
	return b.String()
}

func newError(code string, status int, msg string) *Error {
	return &Error{Code: code, Message: msg, StatusCode: status}
}

func errAccessDenied(msg string) *Error {
	return newError(CodeAccessDenied, http.StatusForbidden, msg)
}

// errMalformed reports an unusable Authorization header or query: OSS says
// AccessDenied, S3 AuthorizationHeaderMalformed or
// AuthorizationQueryParametersError.
func errMalformed(d Dialect, presigned bool, msg string) *Error {
	if d == DialectS3 {
		if presigned {
			return newError(CodeAuthorizationQueryParametersError, http.StatusBadRequest, msg)
		}
		return newError(CodeAuthorizationHeaderMalformed, http.StatusBadRequest, msg)
	}
	return errAccessDenied(msg)
}

func errInvalidArgument(msg, name, value string) *Error {
	e := newError(CodeInvalidArgument, http.StatusBadRequest, msg)
	e.ArgumentName, e.ArgumentValue = name, value
	return e
}

func errSignatureMismatch(ak, provided, sts, canonical string) *Error {
	const msg = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	e := newError(CodeSignatureDoesNotMatch, http.StatusForbidden, msg)
	e.AccessKeyID, e.SignatureProvided, e.StringToSign, e.CanonicalRequest = ak, provided, sts, canonical
	return e
}

func errUnknownKey(d Dialect, ak string, cause error) *Error {
	msg := "The OSS Access Key Id you provided does not exist in our records."
	if d == DialectS3 {
		msg = "The AWS Access Key Id you provided does not exist in our records."
	}
	e := newError(CodeInvalidAccessKeyID, http.StatusForbidden, msg)
	e.AccessKeyID, e.Err = ak, cause
	return e
}

func errSkewed(reqTime, now time.Time, max time.Duration) *Error {
	e := newError(CodeRequestTimeTooSkewed, http.StatusForbidden,
		"The difference between the request time and the current time is too large.")
	e.RequestTime, e.ServerTime, e.MaxSkew = reqTime, now, max
	return e
}

func errExpired(d Dialect, expires, now time.Time) *Error {
	msg := "Request has expired."
	if d == DialectS3 {
		msg = "Request has expired"
	}
	e := errAccessDenied(msg)
	e.Expires, e.ServerTime = expires, now
	return e
}

func errNotYetValid() *Error {
	return errAccessDenied("Request is not valid yet")
}

func errMissingDate(d Dialect) *Error {
	if d == DialectS3 {
		return errAccessDenied("AWS authentication requires a valid Date or x-amz-date header")
	}
	return errAccessDenied("The Date header or x-oss-date header is missing or invalid.")
}

func errBothAuth(d Dialect) *Error {
	if d == DialectS3 {
		return errAccessDenied("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	}
	return errAccessDenied("Authorization header and signature in the URL are both present; only one auth mechanism is allowed.")
}
