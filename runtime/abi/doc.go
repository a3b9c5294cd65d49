// Package abi is the wire vocabulary of the ossflow function ABI, version 1:
// the names of the host calls and of the guest's export, the result codes,
// the log levels and the JSON documents exchanged through guest memory.
//
// It is imported by the host (package runtime) and by the Go guest SDK
// (package fn), and must stay small: it imports only encoding/json's
// dependencies (time), so a guest that uses it stays a few megabytes.
// The normative description, for guests in any language, is
// runtime/ABI.md; this package is its Go transcription.
package abi
