// Package access is ossflow's access-control core: the OSS/RAM policy
// language, request evaluation, identities and STS tokens, PostObject form
// policies, hotlink (Referer) protection, CORS rules and server-side
// encryption keys. It is a leaf of policy logic: it imports only the
// standard library, the oss vocabulary and auth (for
// auth.CredentialLookup), knows nothing of HTTP routing or storage, keeps
// no global state, starts no goroutines and never logs.
//
// # Policies and evaluation
//
// ParsePolicy (RAM user and STS session policies) and ParseBucketPolicy
// parse OSS's policy JSON: Version "1"; Statement entries with Effect,
// Action or NotAction ("oss:GetObject", "oss:Get*", "oss:*", "*"), Resource
// or NotResource ("acs:oss:{region}:{uid}:{bucket}[/{key}]" with '*' and '?'),
// Principal (bucket policies only: "*", [] ≡ "*", or UIDs) and Condition
// (StringEquals, StringNotEquals, StringEqualsIgnoreCase,
// StringNotEqualsIgnoreCase, StringLike, StringNotLike, Numeric*, Date*,
// Bool, IpAddress, NotIpAddress; keys acs:SourceIp, acs:UserAgent,
// acs:Referer, acs:CurrentTime, acs:SecureTransport, acs:AccessId,
// acs:SourceVpc, acs:MFAPresent, oss:Prefix, oss:Delimiter,
// oss:ExistingObjectTag/<k>, oss:RequestObjectTag/<k>, and any other
// acs:/oss: key through Request.Extra). Values of one key are ORed, keys
// and operators of a statement ANDed; a key the request lacks fails every
// operator but the negated ones. Invalid documents fail with an *Error whose
// Code is CodeInvalidPolicyDocument (400).
//
// Evaluate decides a Request in OSS's documented order: explicit Deny
// anywhere (session policy, user policies, bucket policy) wins; an STS
// session policy caps the session; the bucket owner's root account is
// allowed; then an Allow from a user or bucket policy; then the object ACL
// (unless "default") or the bucket ACL; otherwise an implicit deny. OSS's
// owner rule applies: a bucket-policy statement with Principal "*" and no
// Condition does not apply to the bucket owner, one with a Condition (or
// naming the owner's UID) does. BlockPublicAccess removes public ACLs and
// public bucket-policy Allows. ActionFor maps operation names to actions;
// CopyObject and UploadPartCopy also need oss:GetObject on the source.
//
// # What the HTTP layer calls
//
//  1. auth.Verifier{Creds: dir} checks the signature (Directory implements
//     auth.CredentialLookup, also for "STS." ids, whose secret is derived).
//  2. dir.Authenticate(ctx, res.AccessKeyID, res.SecurityToken, now) gives
//     the Principal (long-term key or verified STS token).
//  3. For hotlink protection (anonymous or presigned requests only):
//     RefererConfig.Allows; deny with AccessDenied MsgRefererDenied.
//  4. Evaluate(Request{Action: ActionFor(op), ...}, p.Policies, bucketPolicy)
//     and Decision.Err().
//  5. PostObject: VerifyPostPolicy (then Evaluate oss:PutObject for the
//     returned principal, or anonymously), PostAuth.CheckSize while
//     streaming when the size was unknown.
//  6. OPTIONS: CORSConfiguration.Preflight; other requests with an Origin:
//     Actual (403 AccessForbidden MsgCORSNotAllowed / MsgCORSNotEnabled).
//  7. Bucket configuration bodies: ParseBucketPolicy, ParseRefererConfig,
//     ParseCORSConfig; IsPublic for GetBucketPolicyStatus.
//
// Every error of this package is an *Error carrying the OSS code string,
// HTTP status and message. Codes that exist in the oss vocabulary
// (AccessDenied, InvalidArgument, InvalidAccessKeyId,
// SignatureDoesNotMatch, FieldItemTooLong, EntityTooLarge, EntityTooSmall,
// MalformedXML, RequestTimeTooSkewed) also unwrap to an equivalent
// *oss.Error, so oss.CodeOf works; the others (InvalidPolicyDocument,
// SecurityTokenExpired, InvalidSecurityToken, AccessForbidden and the RAM
// management codes) must be written from Code/Status/Message.
//
// # Identities and persistence
//
// A Directory holds the root account's keys, sub-users (RAM users) with up
// to two keys and attached named policies, and the STS master key. It is
// persisted through the StateStore interface as one JSON document that
// contains every secret access key and the master key: the composition root
// must store it in a file of mode 0600, written atomically (temporary file,
// fsync, rename). STS tokens are self-contained (HMAC-SHA256 over JSON
// claims) and their secrets derived from their access key ids; revoking a
// token, deleting or deactivating its issuer's key, or deleting the issuing
// user makes it fail verification.
//
// # Server-side encryption
//
// KeyManager wraps per-object data keys under a 32-byte master key
// (AES-256-GCM) and ObjectCipher encrypts object data with AES-256-CTR so
// that any range decrypts independently; see sse.go for the integrity
// story (checksums over plaintext, authenticated wrapped keys).
package access
