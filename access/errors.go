package access

import (
	"errors"
	"net/http"

	"github.com/ossflow/ossflow/oss"
)

// Error codes this package reports. Those that also exist in the oss
// vocabulary (AccessDenied, InvalidArgument, ...) are the same strings; the
// others are OSS codes that only access control produces.
const (
	// CodeInvalidPolicyDocument (400) is returned for a bucket policy, RAM
	// policy, session policy or PostObject policy that does not parse or
	// validate. OSS answers PostObject policy errors with this code
	// ("Invalid Policy: Invalid Simple-Condition: ...").
	CodeInvalidPolicyDocument = "InvalidPolicyDocument"
	// CodeSecurityTokenExpired (403, EC 0002-00000007) is an expired STS token.
	CodeSecurityTokenExpired = "SecurityTokenExpired"
	// CodeInvalidSecurityToken (403, EC 0002-00000006) is a malformed,
	// tampered or mismatched STS token.
	CodeInvalidSecurityToken = "InvalidSecurityToken"
	// CodeAccessForbidden (403) is a CORS preflight that no rule allows.
	CodeAccessForbidden = "AccessForbidden"

	CodeAccessDenied          = "AccessDenied"
	CodeInvalidArgument       = "InvalidArgument"
	CodeInvalidAccessKeyID    = "InvalidAccessKeyId"
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	CodeFieldItemTooLong      = "FieldItemTooLong"
	CodeEntityTooLarge        = "EntityTooLarge"
	CodeEntityTooSmall        = "EntityTooSmall"
	CodeMalformedXML          = "MalformedXML"
	CodeRequestTimeTooSkewed  = "RequestTimeTooSkewed"
	// RAM's codes (409) for deleting a user that still has access keys or
	// attached policies, or a named policy still attached to a user.
	CodeDeleteConflictUserAccessKey = "DeleteConflict.User.AccessKey"
	CodeDeleteConflictUserPolicy    = "DeleteConflict.User.Policy"
	CodeDeleteConflictPolicyUser    = "DeleteConflict.Policy.User"
	// CodeEntityNotExist / CodeEntityAlreadyExists / CodeLimitExceeded are
	// RAM-style management errors for users, keys and named policies.
	CodeEntityNotExist      = "EntityNotExist"
	CodeEntityAlreadyExists = "EntityAlreadyExists"
	CodeLimitExceeded       = "LimitExceeded"
)

// Client-visible messages OSS uses for the failures this package decides.
const (
	MsgPolicyExpired        = "Invalid according to Policy: Policy expired."
	MsgPolicyConditionFail  = "Invalid according to Policy: Policy Condition failed: "
	MsgTokenExpired         = "The security token you provided has expired."
	MsgTokenInvalid         = "The security token you provided is invalid."
	MsgUnknownAccessKey     = "The OSS Access Key Id you provided does not exist in our records."
	MsgSignatureMismatch    = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	MsgRefererDenied        = "You are denied by bucket referer policy."
	MsgCORSNotEnabled       = "CORSResponse: CORS is not enabled for this bucket."
	MsgCORSNotAllowed       = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
	MsgDeniedByBucketPolicy = "Access denied by bucket policy."
	MsgDeniedByRAMPolicy    = "Access denied by authorizer's policy."
	MsgDeniedBySession      = "Access denied by session policy."
	MsgDeniedByACL          = "You have no right to access this object because of bucket acl."
	MsgDeniedNoPermission   = "You do not have permission to perform this operation."
	MsgNotBucketOwner       = "The bucket you access does not belong to you."
)

// Sentinel causes, reachable with errors.Is through an *Error.
var (
	ErrTokenExpired   = errors.New("access: security token expired")
	ErrTokenInvalid   = errors.New("access: security token invalid")
	ErrTokenRevoked   = errors.New("access: security token revoked")
	ErrTokenMismatch  = errors.New("access: security token does not belong to the access key id")
	ErrUnknownUser    = errors.New("access: unknown user")
	ErrUnknownKey     = errors.New("access: unknown access key id")
	ErrUnknownPolicy  = errors.New("access: unknown policy")
	ErrKeyInactive    = errors.New("access: access key inactive")
	ErrDeleteConflict = errors.New("access: entity still in use")
	ErrBadDuration    = errors.New("access: token duration out of range")
)

// Error is the error type of this package. Code is the exact OSS (or RAM)
// error code string, Status the HTTP status to answer with and Message the
// client-visible text. Err, when set, is the cause (a sentinel above or a
// parse error) for logs and errors.Is; it is never shown to clients.
//
// When Code is one of the oss vocabulary's codes, errors.As(err, **oss.Error)
// and oss.CodeOf(err) see an equivalent *oss.Error in the chain, so the HTTP
// layer's generic error writer works unchanged; for the others
// (InvalidPolicyDocument, SecurityTokenExpired, InvalidSecurityToken,
// AccessForbidden, RAM codes) it must use Code/Status/Message directly.
type Error struct {
	Code    string
	Status  int
	Message string
	// ArgumentName / ArgumentValue name the offending field (InvalidArgument,
	// FieldItemTooLong).
	ArgumentName, ArgumentValue string
	Err                         error
}

func newError(code string, status int, msg string, cause error) *Error {
	return &Error{Code: code, Status: status, Message: msg, Err: cause}
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap exposes the cause and, for codes of the oss vocabulary, the
// equivalent *oss.Error.
func (e *Error) Unwrap() []error {
	var out []error
	if oe, ok := e.OSS(""); ok {
		out = append(out, oe)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// OSS returns e as an *oss.Error for op when its code is in the oss
// vocabulary.
func (e *Error) OSS(op string) (*oss.Error, bool) {
	c, ok := oss.CodeByName(e.Code)
	if !ok {
		return nil, false
	}
	oe := oss.E(op, c, "%s", e.Message)
	oe.ArgumentName, oe.ArgumentValue = e.ArgumentName, e.ArgumentValue
	return oe, true
}

func invalidPolicy(msg string, cause error) *Error {
	return newError(CodeInvalidPolicyDocument, http.StatusBadRequest, msg, cause)
}

func accessDenied(msg string) *Error {
	return newError(CodeAccessDenied, http.StatusForbidden, msg, nil)
}

func invalidArgument(msg, name, value string) *Error {
	e := newError(CodeInvalidArgument, http.StatusBadRequest, msg, nil)
	e.ArgumentName, e.ArgumentValue = name, value
	return e
}
