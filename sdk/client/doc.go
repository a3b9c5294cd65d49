// Package client is ossflow's Go client. It speaks the OSS dialect of the
// REST API with path-style addressing (http://endpoint/bucket/key) and signs
// every request with OSS Signature V4.
//
// Uploads and whole-object downloads are checked end to end against the
// server's x-oss-hash-crc64ecma: a mismatch is reported as an error wrapping
// [ErrChecksumMismatch]. Failed requests return an [*Error] carrying the
// server's Code, Message, RequestId and EC.
//
// [Client.Upload] sends large or unsized streams as a multipart upload with
// parts in parallel and an optional progress callback; [Client.Objects]
// iterates over every page of a listing.
package client
