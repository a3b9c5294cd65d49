// Package auth verifies and produces the request signatures spoken by
// ossflow's two wire dialects: the Alibaba Cloud OSS REST API and the AWS S3
// API.
//
// # Server side
//
// A [Verifier] inspects an incoming *http.Request, detects which scheme the
// client used and checks the signature against the secret returned by a
// [CredentialLookup]:
//
//   - OSS V1 ("Authorization: OSS ak:sig", or the OSSAccessKeyId/Expires/Signature
//     query of a presigned URL), HMAC-SHA1;
//   - OSS V4 ("OSS4-HMAC-SHA256 Credential=…", or x-oss-signature-version in the
//     query), HMAC-SHA256 with an aliyun_v4 derived key;
//   - AWS Signature Version 4 ("AWS4-HMAC-SHA256", or X-Amz-Algorithm in the
//     query), service "s3";
//   - AWS Signature Version 2 as used by S3 ("Authorization: AWS ak:sig", or
//     AWSAccessKeyId/Expires/Signature in the query).
//
// A request without any authentication yields Result{Anonymous: true}. Every
// failure is an [*Error] whose Code is the exact OSS/S3 error code
// (AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId,
// RequestTimeTooSkewed, …) and whose StatusCode is the HTTP status to answer
// with; [Error.Details] lists the extra elements the error XML carries
// (StringToSign, SignatureProvided, OSSAccessKeyId/AWSAccessKeyId, …).
// Signatures are always compared in constant time.
//
// A verified signature covers the body only through the payload hash the
// client declared. [Result.Body] (or [NewPayloadHashVerifier] and
// [NewChunkedReader] directly) wraps the request body so that a hex
// x-amz-content-sha256 / x-oss-content-sha256 is checked at EOF and
// aws-chunked uploads are decoded, their chunk signatures verified and their
// trailing checksums validated. These readers stream: they hand out data
// before the hash, chunk signature or checksum that covers it has been
// checked, so a caller must discard everything it read unless the reader
// ended with io.EOF.
//
// # Client side
//
// [SignOSSV1], [SignOSSV4], [PresignOSSV1] and [PresignOSSV4] sign requests
// the way the official OSS SDKs do; they are exactly symmetric with the
// verifier.
//
// The package keeps no global state, starts no goroutines and never logs.
package auth
