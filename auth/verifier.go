package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// CredentialLookup resolves an access key id to its secret. For a key it
// does not know it returns an error wrapping ErrUnknownAccessKey; any other
// error is reported as an InternalError.
type CredentialLookup interface {
	SecretFor(ctx context.Context, accessKeyID string) (secret string, err error)
}

// Scheme is the signature scheme a request was authenticated with.
type Scheme int

// The supported schemes.
const (
	// SchemeAnonymous: the request carries no authentication at all.
	SchemeAnonymous Scheme = iota
	// SchemeOSSV1: OSS signature V1 (HMAC-SHA1), header or presigned URL.
	SchemeOSSV1
	// SchemeOSSV4: OSS signature V4 (OSS4-HMAC-SHA256), header or presigned URL.
	SchemeOSSV4
	// SchemeAWSV4: AWS Signature Version 4 (AWS4-HMAC-SHA256), header or presigned URL.
	SchemeAWSV4
	// SchemeAWSV2: AWS Signature Version 2 for S3 (HMAC-SHA1), header or presigned URL.
	SchemeAWSV2
)

// String returns the scheme's algorithm name as it appears on the wire.
func (s Scheme) String() string {
	switch s {
	case SchemeAnonymous:
		return "anonymous"
	case SchemeOSSV1:
		return "OSS"
	case SchemeOSSV4:
		return "OSS4-HMAC-SHA256"
	case SchemeAWSV4:
		return "AWS4-HMAC-SHA256"
	case SchemeAWSV2:
		return "AWS"
	}
	return "unknown"
}

// Dialect is the protocol the HTTP layer should answer in.
type Dialect int

// The two dialects.
const (
	DialectOSS Dialect = iota
	DialectS3
)

// String returns "OSS" or "S3".
func (d Dialect) String() string {
	if d == DialectS3 {
		return "S3"
	}
	return "OSS"
}

// Payload hash values of x-amz-content-sha256 / x-oss-content-sha256 other
// than a hex SHA-256 of the body.
const (
	// UnsignedPayload: the body is not covered by the signature.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingSignedPayload: aws-chunked body, every chunk signed.
	StreamingSignedPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingSignedPayloadTrailer: signed chunks plus signed trailers.
	StreamingSignedPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// StreamingUnsignedPayloadTrailer: unsigned chunks plus trailers (what
	// the AWS SDKs send over TLS with a trailing checksum).
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// Wire names and fixed strings.
const (
	streamingECDSAPayload                 = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSAPayloadTrailer          = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
	defaultMaxSkew                        = 15 * time.Minute
	maxPresignExpiry                      = 604800 // seconds, both OSS V4 and SigV4
	headerAuthorization                   = "Authorization"
	headerOSSDate                         = "x-oss-date"
	headerOSSSecurityToken                = "x-oss-security-token"
	headerOSSContentSHA256                = "x-oss-content-sha256"
	headerAmzDate                         = "x-amz-date"
	headerAmzContentSHA256                = "x-amz-content-sha256"
	headerAmzSecurityToken                = "x-amz-security-token"
	headerAmzDecodedLength                = "x-amz-decoded-content-length"
	headerAmzTrailer                      = "x-amz-trailer"
	ossV4Algorithm                        = "OSS4-HMAC-SHA256"
	awsV4Algorithm                        = "AWS4-HMAC-SHA256"
	ossV4Terminator                       = "aliyun_v4_request"
	awsV4Terminator                       = "aws4_request"
	awsService                            = "s3"
	ossV4KeyPrefix                        = "aliyun_v4"
	awsV4KeyPrefix                        = "AWS4"
	ossProduct                            = "oss"
	ossCloudBoxProduct                    = "oss-cloudbox"
	queryOSSAccessKeyID                   = "OSSAccessKeyId"
	queryExpires                          = "Expires"
	querySignature                        = "Signature"
	queryAWSAccessKeyID                   = "AWSAccessKeyId"
	queryOSSSecurityTokenV1               = "security-token"
	queryOSSSignatureVersion              = "x-oss-signature-version"
	queryOSSCredential                    = "x-oss-credential"
	queryOSSDate                          = "x-oss-date"
	queryOSSExpires                       = "x-oss-expires"
	queryOSSSignature                     = "x-oss-signature"
	queryOSSAdditionalHeaders             = "x-oss-additional-headers"
	queryOSSSecurityTokenV4               = "x-oss-security-token"
	queryAmzAlgorithm                     = "X-Amz-Algorithm"
	queryAmzCredential                    = "X-Amz-Credential"
	queryAmzDate                          = "X-Amz-Date"
	queryAmzExpires                       = "X-Amz-Expires"
	queryAmzSignedHeaders                 = "X-Amz-SignedHeaders"
	queryAmzSignature                     = "X-Amz-Signature"
	queryAmzSecurityToken                 = "X-Amz-Security-Token"
	queryAmzContentSHA256                 = "X-Amz-Content-Sha256"
	unsupportedAuthorizationTypeMessage   = "Unsupported Authorization Type"
	invalidOSSAuthorizationHeaderMessage  = "The OSS Authorization header is invalid."
	malformedCredentialMessage            = "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	malformedOSSCredentialMessage         = "The Credential is malformed; expecting \"<AccessKeyId>/YYYYMMDD/REGION/oss/aliyun_v4_request\"."
	invalidCredentialDateMessage          = "Invalid credential date. Date is not the same as X-Amz-Date."
	invalidOSSCredentialDateMessage       = "Invalid credential date. Date is not the same as x-oss-date."
	presignedV4MissingParametersMessage   = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	presignedOSSV4MissingParameterMessage = "Query-string authentication version 4 requires the x-oss-signature-version, x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature parameters."
)

// Result describes an authenticated (or anonymous) request.
type Result struct {
	// AccessKeyID is the key the request was signed with; empty if anonymous.
	AccessKeyID string
	// Anonymous is true when the request carried no authentication.
	Anonymous bool
	// Scheme is the signature scheme used.
	Scheme Scheme
	// Dialect is the protocol to answer in: S3 for the AWS schemes, OSS
	// otherwise. For anonymous requests it is S3 when the request carries
	// an x-amz-* header and OSS otherwise; the HTTP layer may know better
	// (for example from the endpoint the request came in on).
	Dialect Dialect
	// SecurityToken is the STS token presented (x-oss-security-token
	// header, security-token / x-oss-security-token query,
	// x-amz-security-token header or X-Amz-Security-Token query). The
	// caller validates it.
	SecurityToken string
	// Presigned is true when the signature came in the query string.
	Presigned bool
	// Expires is when a presigned request stops being valid (zero for
	// header authentication).
	Expires time.Time
	// SigningTime is the time the client claims to have signed at (for V1
	// presigned URLs, which carry no such time, it is zero).
	SigningTime time.Time
	// Region is the region named in a V4 credential scope; for the schemes
	// without a scope it is Verifier.Region.
	Region string
	// PayloadHash is the signed x-amz-content-sha256 / x-oss-content-sha256
	// value: UNSIGNED-PAYLOAD, a hex SHA-256 of the body (which the caller
	// must check with Body or NewPayloadHashVerifier) or one of the
	// STREAMING-* values of aws-chunked uploads. Empty for V1/V2 schemes.
	PayloadHash string

	// The fields below are set for AWS SigV4 header authentication only;
	// NewChunkedReader uses them to verify chunk signatures.

	// SeedSignature is the request's own signature, the seed of the chunk
	// signature chain.
	SeedSignature string
	// SigningKey is the derived SigV4 signing key. Keep it secret.
	SigningKey []byte
	// Scope is the credential scope, "yyyymmdd/region/s3/aws4_request".
	Scope string
}

// Verifier checks request signatures. The zero value is not usable: Creds
// must be set. A Verifier is safe for concurrent use.
type Verifier struct {
	// Creds resolves access key ids to secrets.
	Creds CredentialLookup
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is the largest accepted difference between the request's
	// time and Now for header authentication; zero means 15 minutes.
	MaxSkew time.Duration
	// Region is the region ossflow runs as. Credential scopes naming any
	// region are accepted (clients are configured with all sorts of region
	// names); Region is only reported in Result.Region for the schemes that
	// carry no region.
	Region string
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return defaultMaxSkew
}

// checkSkew returns RequestTimeTooSkewed when t is too far from now.
func (v *Verifier) checkSkew(t, now time.Time) error {
	d := now.Sub(t)
	if d < 0 {
		d = -d
	}
	if d > v.maxSkew() {
		return errSkewed(t, now, v.maxSkew())
	}
	return nil
}

// secret looks up the secret of ak.
func (v *Verifier) secret(ctx context.Context, d Dialect, ak string) (string, error) {
	if v.Creds == nil {
		e := newError(CodeInternalError, http.StatusInternalServerError, "no credential store configured")
		return "", e
	}
	if ak == "" {
		return "", errUnknownKey(d, ak, ErrUnknownAccessKey)
	}
	sk, err := v.Creds.SecretFor(ctx, ak)
	if err != nil {
		if errors.Is(err, ErrUnknownAccessKey) {
			return "", errUnknownKey(d, ak, err)
		}
		e := newError(CodeInternalError, http.StatusInternalServerError, "We encountered an internal error. Please try again.")
		e.Err = err
		return "", e
	}
	return sk, nil
}

// Verify authenticates r. bucket and key are the bucket and (unescaped)
// object key the request addresses, as resolved by the caller from either
// path-style or virtual-hosted addressing; both are empty for service-level
// requests such as ListBuckets.
//
// A request without authentication returns Result{Anonymous: true} and a
// nil error. On failure the error is an *Error; the returned Result still
// carries the Scheme and Dialect when the scheme was recognised, so the
// caller knows which dialect to answer in.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, bucket, key string) (Result, error) {
	now := v.now()
	authz := strings.TrimSpace(r.Header.Get(headerAuthorization))
	query := parseQuery(rawQuery(r))
	qs := detectQueryScheme(query)

	if authz == "" && qs == SchemeAnonymous {
		res := Result{Anonymous: true, Scheme: SchemeAnonymous, Dialect: DialectOSS, Region: v.Region}
		for k := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-amz-") {
				res.Dialect = DialectS3
				break
			}
		}
		return res, nil
	}

	if authz != "" {
		hs, rest := detectHeaderScheme(authz)
		res := Result{Scheme: hs, Dialect: dialectOf(hs)}
		if hs == SchemeAnonymous { // unrecognised Authorization
			if strings.HasPrefix(authz, "AWS") {
				res.Dialect = DialectS3
				e := errInvalidArgument(unsupportedAuthorizationTypeMessage, "Authorization", authz)
				return res, e
			}
			return res, errAccessDenied(invalidOSSAuthorizationHeaderMessage)
		}
		if qs != SchemeAnonymous {
			return res, errBothAuth(res.Dialect)
		}
		switch hs {
		case SchemeOSSV1:
			return v.verifyOSSV1Header(ctx, r, bucket, key, rest, query, now)
		case SchemeOSSV4:
			return v.verifyOSSV4Header(ctx, r, bucket, key, rest, query, now)
		case SchemeAWSV4:
			return v.verifyAWSV4Header(ctx, r, rest, query, now)
		case SchemeAWSV2:
			return v.verifyAWSV2Header(ctx, r, bucket, key, rest, query, now)
		}
	}

	switch qs {
	case SchemeOSSV1:
		return v.verifyOSSV1Query(ctx, r, bucket, key, query, now)
	case SchemeOSSV4:
		return v.verifyOSSV4Query(ctx, r, bucket, key, query, now)
	case SchemeAWSV4:
		return v.verifyAWSV4Query(ctx, r, query, now)
	default:
		return v.verifyAWSV2Query(ctx, r, bucket, key, query, now)
	}
}

func dialectOf(s Scheme) Dialect {
	if s == SchemeAWSV4 || s == SchemeAWSV2 {
		return DialectS3
	}
	return DialectOSS
}

// detectHeaderScheme recognises the Authorization header's scheme and
// returns the rest of the header after the scheme token. An unrecognised
// header yields SchemeAnonymous.
func detectHeaderScheme(authz string) (Scheme, string) {
	name, rest, _ := strings.Cut(authz, " ")
	switch name {
	case "OSS":
		return SchemeOSSV1, strings.TrimSpace(rest)
	case ossV4Algorithm:
		return SchemeOSSV4, strings.TrimSpace(rest)
	case awsV4Algorithm:
		return SchemeAWSV4, strings.TrimSpace(rest)
	case "AWS":
		return SchemeAWSV2, strings.TrimSpace(rest)
	}
	return SchemeAnonymous, ""
}

// detectQueryScheme recognises query-string authentication.
func detectQueryScheme(q []queryPair) Scheme {
	switch {
	case hasKey(q, queryOSSSignatureVersion) || hasKey(q, queryOSSSignature) || hasKey(q, queryOSSCredential):
		return SchemeOSSV4
	case hasKey(q, queryAmzAlgorithm) || hasKey(q, queryAmzSignature) || hasKey(q, queryAmzCredential):
		return SchemeAWSV4
	case hasKey(q, queryOSSAccessKeyID):
		return SchemeOSSV1
	case hasKey(q, queryAWSAccessKeyID):
		return SchemeAWSV2
	case hasKey(q, querySignature):
		return SchemeOSSV1
	}
	return SchemeAnonymous
}

// Body wraps body so that what the signature promised about it is checked
// while it is read:
//
//   - aws-chunked uploads (a STREAMING-* payload hash, or Content-Encoding
//     aws-chunked) are decoded with NewChunkedReader;
//   - a hex payload hash is checked at EOF (NewPayloadHashVerifier; OSS
//     answers a mismatch with InvalidDigest, S3 with
//     XAmzContentSHA256Mismatch);
//   - otherwise body is returned unchanged.
//
// hdr is the request's header.
func (res Result) Body(body io.Reader, hdr http.Header) (io.Reader, error) {
	ph := res.PayloadHash
	switch {
	case strings.HasPrefix(ph, "STREAMING-") || (!isHexSHA256(ph) && isAWSChunkedHeader(hdr)):
		cr, err := NewChunkedReader(body, res, hdr)
		if err != nil {
			return nil, err
		}
		return cr, nil
	case isHexSHA256(ph):
		return newPayloadHashVerifier(body, ph, res.Dialect), nil
	}
	return body, nil
}
