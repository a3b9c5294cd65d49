// Package httpapi is ossflow's HTTP protocol layer: one http.Handler that
// speaks both the Alibaba Cloud OSS REST API and the Amazon S3 API on the
// same listener, so the official OSS Go SDKs (V1 and V4 signatures) and the
// AWS SDK for Go v2 work against ossflow unmodified.
//
// A request flows through one pipeline (see [Handler.ServeHTTP]):
//
//  1. addressing: the bucket and key come from the Host (virtual-hosted
//     "<bucket>.<domain>", for each of [Config.Domains]) or from the path
//     ("/bucket/key"); the key is the unescaped remainder of the path;
//  2. routing: the method and the sub-resource query parameters select an
//     operation, named as OSS names it ("PutObject", "ListObjectsV2", ...);
//     that name labels metrics and errors. Operations OSS knows but ossflow
//     does not implement answer 501 NotImplemented, unknown methods 405;
//  3. authentication through the [Authenticator] (an *auth.Verifier), which
//     also decides the dialect (OSS or S3) of the answer, and authorization
//     through the [Authorizer];
//  4. the body is wrapped so that what the signature promised about it
//     (payload hash, aws-chunked chunk signatures, trailing checksums) and
//     any x-amz-checksum-* header are verified while the engine reads it: a
//     body that fails verification never ends with io.EOF, so the engine
//     stores nothing;
//  5. the operation's handler, a func(w, r, *reqCtx) error, calls the
//     [Engine] and writes the response; an error it returns is written in one
//     place, in the dialect's XML (OSS: Code, Message, RequestId, HostId,
//     EC, RecommendDoc and the code's extra elements; HEAD requests carry
//     the same XML base64-encoded in the x-oss-err header instead of a body);
//  6. the [Observer] gets one call per request.
//
// Every error is mapped through the one table of package oss (oss.CodeOf,
// Code.Status/Name/EC); errors of the auth package map by name. An
// InternalError never shows its cause to the client. The package never logs:
// it reports through errors and the Observer.
package httpapi
