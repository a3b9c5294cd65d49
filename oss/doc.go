// Package oss is the shared vocabulary of ossflow: the types that every
// subsystem speaks (buckets, objects, versions, multipart uploads, listings,
// lifecycle rules, events) and the closed list of error codes with the one
// table that maps each to its OSS code, HTTP status and error code (EC).
//
// It imports nothing of ossflow and holds no behaviour beyond validation of
// names and the mapping of errors, so any package may depend on it:
//
//	vocabulary (oss) -> subsystems (store, auth, broker, ...) -> composition root -> cmd
package oss
