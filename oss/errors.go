package oss

import (
	"errors"
	"fmt"
)

// Code is one entry of the closed list of errors that ossflow reports. Each
// code maps to exactly one OSS error code string and HTTP status through
// [Code.Name] and [Code.Status]; the S3 dialect reuses the names (they are
// the same strings in both protocols for every code listed here).
type Code uint8

// The closed list. Keep it sorted by HTTP status, then name.
const (
	InternalError Code = iota // 500; the zero value, so an unmapped error is never reported as success

	// 400
	InvalidArgument
	InvalidBucketName
	InvalidObjectName
	InvalidDigest
	BadDigest
	EntityTooLarge
	EntityTooSmall
	MalformedXML
	InvalidPart
	InvalidPartOrder
	RequestTimeout
	IncompleteBody
	InvalidTargetType
	TooManyBuckets
	InvalidEncryptionAlgorithm
	FieldItemTooLong
	InvalidRequest
	BadRequest
	InvalidLocationConstraint
	ObjectNotAppendable // 409 in OSS, listed here for grouping with append errors
	// 403
	AccessDenied
	SignatureDoesNotMatch
	InvalidAccessKeyID
	RequestTimeTooSkewed
	InvalidObjectState
	// 404
	NoSuchBucket
	NoSuchKey
	NoSuchUpload
	NoSuchVersion
	NoSuchTagSet
	NoSuchLifecycle
	NoSuchStyle
	SymlinkTargetNotExist
	NoSuchBucketPolicy
	// 405, 411, 412, 416
	MethodNotAllowed
	MissingContentLength
	MissingArgument
	PreconditionFailed
	InvalidRange
	// 409
	BucketAlreadyExists
	BucketNotEmpty
	PositionNotEqualToLength
	FileAlreadyExists
	OperationAborted
	// 304 (not an error to the client, but it travels the error path)
	NotModified
	// 501, 503
	NotImplemented
	ServiceUnavailable
	SlowDown
	// Access control (added after the first wave; appended to keep values stable)
	InvalidPolicyDocument
	SecurityTokenExpired
	InvalidSecurityToken
	AccessForbidden
	MalformedPOSTRequest
	IncorrectNumberOfFilesInPOSTRequest
	// S3 dialect authentication and streaming errors
	XAmzContentSHA256Mismatch
	AuthorizationHeaderMalformed
	AuthorizationQueryParametersError
	InvalidChunkSizeError
	MalformedTrailerError
	// Server-side encryption
	NoSuchServerSideEncryptionRule

	numCodes
)

type codeInfo struct {
	name   string
	status int
	ec     string // OSS "EC" diagnostic code; empty where OSS documents none
	msg    string // default message
}

// codeTable is the one table that maps internal errors to the protocol.
var codeTable = [numCodes]codeInfo{
	InternalError:                       {"InternalError", 500, "0000-00000001", "We encountered an internal error. Please try again."},
	InvalidArgument:                     {"InvalidArgument", 400, "0016-00000001", "An argument is invalid."},
	InvalidBucketName:                   {"InvalidBucketName", 400, "0015-00000100", "The specified bucket is not valid."},
	InvalidObjectName:                   {"InvalidObjectName", 400, "0016-00000005", "The specified object name is not valid."},
	InvalidDigest:                       {"InvalidDigest", 400, "0016-00000803", "The Content-MD5 you specified was invalid."},
	BadDigest:                           {"BadDigest", 400, "0016-00000804", "The checksum you specified did not match what we received."},
	EntityTooLarge:                      {"EntityTooLarge", 400, "0016-00000006", "Your proposed upload exceeds the maximum allowed size."},
	EntityTooSmall:                      {"EntityTooSmall", 400, "0016-00000007", "Your proposed upload is smaller than the minimum allowed size."},
	MalformedXML:                        {"MalformedXML", 400, "0016-00000608", "The XML you provided was not well-formed or did not validate against our published schema."},
	InvalidPart:                         {"InvalidPart", 400, "0016-00000610", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag."},
	InvalidPartOrder:                    {"InvalidPartOrder", 400, "0016-00000611", "The list of parts was not in ascending order."},
	RequestTimeout:                      {"RequestTimeout", 400, "0016-00000002", "Your socket connection to the server was not read from or written to within the timeout period."},
	IncompleteBody:                      {"IncompleteBody", 400, "0016-00000003", "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	InvalidTargetType:                   {"InvalidTargetType", 400, "0026-00000011", "The symbolic link target is itself a symbolic link."},
	TooManyBuckets:                      {"TooManyBuckets", 400, "0015-00000102", "You have attempted to create more buckets than allowed."},
	InvalidEncryptionAlgorithm:          {"InvalidEncryptionAlgorithmError", 400, "0016-00000901", "The encryption algorithm specified is not supported."},
	FieldItemTooLong:                    {"FieldItemTooLong", 400, "0016-00000011", "A form field is too long."},
	InvalidRequest:                      {"InvalidRequest", 400, "0016-00000012", "The request is invalid."},
	BadRequest:                          {"BadRequest", 400, "0016-00000013", "Bad request."},
	InvalidLocationConstraint:           {"InvalidLocationConstraint", 400, "0015-00000105", "The specified location constraint is not valid."},
	ObjectNotAppendable:                 {"ObjectNotAppendable", 409, "0026-00000015", "The object is not appendable."},
	AccessDenied:                        {"AccessDenied", 403, "0003-00000001", "Access denied."},
	SignatureDoesNotMatch:               {"SignatureDoesNotMatch", 403, "0002-00000040", "The request signature we calculated does not match the signature you provided."},
	InvalidAccessKeyID:                  {"InvalidAccessKeyId", 403, "0002-00000005", "The OSS Access Key Id you provided does not exist in our records."},
	RequestTimeTooSkewed:                {"RequestTimeTooSkewed", 403, "0002-00000504", "The difference between the request time and the current time is too large."},
	InvalidObjectState:                  {"InvalidObjectState", 403, "0026-00000007", "The operation is not valid for the object's state."},
	NoSuchBucket:                        {"NoSuchBucket", 404, "0015-00000101", "The specified bucket does not exist."},
	NoSuchKey:                           {"NoSuchKey", 404, "0026-00000001", "The specified key does not exist."},
	NoSuchUpload:                        {"NoSuchUpload", 404, "0042-00000002", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."},
	NoSuchVersion:                       {"NoSuchVersion", 404, "0026-00000002", "The specified version does not exist."},
	NoSuchTagSet:                        {"NoSuchTagSet", 404, "0026-00000003", "There is no tag set associated with the object."},
	NoSuchLifecycle:                     {"NoSuchLifecycle", 404, "0034-00000001", "No Row found in Lifecycle Table."},
	NoSuchStyle:                         {"NoSuchStyle", 404, "0048-00000001", "The specified style does not exist."},
	SymlinkTargetNotExist:               {"SymlinkTargetNotExist", 404, "0026-00000010", "The symlink target object does not exist."},
	NoSuchBucketPolicy:                  {"NoSuchBucketPolicy", 404, "0031-00000001", "The bucket policy does not exist."},
	MethodNotAllowed:                    {"MethodNotAllowed", 405, "0016-00000008", "The specified method is not allowed against this resource."},
	MissingContentLength:                {"MissingContentLength", 411, "0016-00000009", "You must provide the Content-Length HTTP header."},
	MissingArgument:                     {"MissingArgument", 400, "0016-00000010", "Missing argument."},
	PreconditionFailed:                  {"PreconditionFailed", 412, "0026-00000004", "At least one of the pre-conditions you specified did not hold."},
	InvalidRange:                        {"InvalidRange", 416, "0026-00000005", "The requested range cannot be satisfied."},
	BucketAlreadyExists:                 {"BucketAlreadyExists", 409, "0015-00000104", "The requested bucket name is not available."},
	BucketNotEmpty:                      {"BucketNotEmpty", 409, "0015-00000301", "The bucket you tried to delete is not empty."},
	PositionNotEqualToLength:            {"PositionNotEqualToLength", 409, "0026-00000016", "Position is not equal to file length."},
	FileAlreadyExists:                   {"FileAlreadyExists", 409, "0026-00000017", "The object you specified already exists and can not be overwritten."},
	OperationAborted:                    {"OperationAborted", 409, "0016-00000014", "A conflicting operation is in progress against this resource."},
	NotModified:                         {"NotModified", 304, "", "Not Modified"},
	NotImplemented:                      {"NotImplemented", 501, "0016-00000015", "A header or operation you provided implies functionality that is not implemented."},
	ServiceUnavailable:                  {"ServiceUnavailable", 503, "0004-00000001", "Please reduce your request rate."},
	SlowDown:                            {"SlowDown", 503, "0004-00000002", "Please reduce your request rate."},
	InvalidPolicyDocument:               {"InvalidPolicyDocument", 400, "0031-00000002", "The content of the policy document is invalid."},
	SecurityTokenExpired:                {"SecurityTokenExpired", 403, "0002-00000007", "The security token you provided has expired."},
	InvalidSecurityToken:                {"InvalidSecurityToken", 403, "0002-00000006", "The security token you provided is invalid."},
	AccessForbidden:                     {"AccessForbidden", 403, "0003-00000301", "CORSResponse: This CORS request is not allowed."},
	MalformedPOSTRequest:                {"MalformedPOSTRequest", 400, "0016-00000020", "The body of your POST request is not well-formed multipart/form-data."},
	XAmzContentSHA256Mismatch:           {"XAmzContentSHA256Mismatch", 400, "0016-00000022", "The provided 'x-amz-content-sha256' header does not match what was computed."},
	AuthorizationHeaderMalformed:        {"AuthorizationHeaderMalformed", 400, "0002-00000010", "The authorization header is malformed."},
	AuthorizationQueryParametersError:   {"AuthorizationQueryParametersError", 400, "0002-00000011", "Error parsing the X-Amz-Credential parameter."},
	InvalidChunkSizeError:               {"InvalidChunkSizeError", 400, "0016-00000023", "Only the last chunk is allowed to have a size less than 8192 bytes."},
	MalformedTrailerError:               {"MalformedTrailerError", 400, "0016-00000024", "The request contained trailing data that was not well-formed."},
	IncorrectNumberOfFilesInPOSTRequest: {"IncorrectNumberOfFilesInPOSTRequest", 400, "0016-00000021", "POST requires exactly one file upload per request."},
	NoSuchServerSideEncryptionRule:      {"NoSuchServerSideEncryptionRule", 404, "0015-00000901", "The server side encryption configuration was not found."},
}

// Name is the protocol's error code string, e.g. "NoSuchKey".
func (c Code) Name() string {
	if c >= numCodes {
		return codeTable[InternalError].name
	}
	return codeTable[c].name
}

// Status is the HTTP status OSS answers with for c.
func (c Code) Status() int {
	if c >= numCodes {
		return 500
	}
	return codeTable[c].status
}

// EC is OSS's diagnostic error code for c ("" where none is documented).
func (c Code) EC() string {
	if c >= numCodes {
		return codeTable[InternalError].ec
	}
	return codeTable[c].ec
}

// DefaultMessage is the message used when an error carries none.
func (c Code) DefaultMessage() string {
	if c >= numCodes {
		return codeTable[InternalError].msg
	}
	return codeTable[c].msg
}

func (c Code) String() string { return c.Name() }

// CodeByName returns the code whose protocol name is name.
func CodeByName(name string) (Code, bool) {
	for c := Code(0); c < numCodes; c++ {
		if codeTable[c].name == name {
			return c, true
		}
	}
	return InternalError, false
}

// Error is the error type of every ossflow subsystem that reports a
// protocol-visible failure. Op names the operation ("PutObject"), Code the
// closed kind; Err, when set, is the underlying cause (kept for logs, never
// shown to clients for InternalError).
type Error struct {
	Op      string
	Code    Code
	Message string // shown to the client; Code's default when empty
	Bucket  string
	Key     string

	// Optional protocol fields shown in the error body or headers.
	ArgumentName       string
	ArgumentValue      string
	NextAppendPosition int64 // PositionNotEqualToLength: x-oss-next-append-position; -1 when unset
	CRC64              string

	Err error
}

// E builds an *Error for op with code and a formatted message.
func E(op string, code Code, format string, args ...any) *Error {
	msg := ""
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Op: op, Code: code, Message: msg, NextAppendPosition: -1}
}

// Wrap returns an InternalError for op that wraps cause, unless cause
// already carries an *Error, in which case it is returned unchanged.
func Wrap(op string, cause error) error {
	if cause == nil {
		return nil
	}
	var e *Error
	if errors.As(cause, &e) {
		return cause
	}
	return &Error{Op: op, Code: InternalError, Err: cause, NextAppendPosition: -1}
}

func (e *Error) Error() string {
	msg := e.Msg()
	s := e.Code.Name() + ": " + msg
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Msg is the client-visible message.
func (e *Error) Msg() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Code.DefaultMessage()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, &Error{Code: X}) match by code, and
// errors.Is(err, X) work for a bare Code target.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return t == e.Code
	case *Error:
		return t.Code == e.Code && t.Op == "" && t.Message == ""
	}
	return false
}

// Error makes a bare Code usable as a sentinel: errors.Is(err, oss.NoSuchKey).
func (c Code) Error() string { return c.Name() }

// CodeOf returns the code of err: the Code of the first *Error in its chain,
// a bare Code, or InternalError for anything else (and for nil, which
// callers should not ask about).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c Code
	if errors.As(err, &c) {
		return c
	}
	return InternalError
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return err != nil && CodeOf(err) == code }
