// Package store is ossflow's object engine: buckets, objects and their
// versions, appendable objects, symlinks, multipart uploads, listings,
// lifecycle and the event outbox, on one directory of local disk. Its method
// set is the engine contract (storetest.Engine spells it out); package storetest is the
// contract's conformance suite.
//
// # Storage
//
// Metadata lives in a pebble database (dir/meta). Every mutation commits as
// one pebble batch holding the object records, the inline data or blob
// reference keys, the bucket counters and the outbox event, and is fsynced
// (group commit: concurrent writers share WAL syncs) before the call
// returns. Objects up to Options.InlineThreshold are stored in the database;
// larger ones stream into blob files (dir/blobs) that are fsynced before the
// commit that references them. Blob files that no committed record
// references — leftovers of interrupted writes — are removed by a sweep at
// Open. With Options.Encryption, writes that ask for server-side encryption
// (or land in a bucket that encrypts by default) store only ciphertext,
// inline or in blob files, under a per-object data key kept wrapped in the
// record (see Encryption).
//
// # Guarantees
//
//   - An acknowledged write is durable; a failed or interrupted write is
//     never visible, in whole or in part.
//   - Reads see every acknowledged write (strong read-after-write), and a
//     body is always one whole version even if the key is overwritten while
//     it is read.
//   - Concurrent writes to one key are serialized; the last commit wins.
//   - Every committed mutation has exactly one event per object it changes
//     in the outbox, written in the same commit; OutboxRead only returns
//     events of durable commits, in commit order, with a dense Seq.
//
// Errors are *oss.Error values with codes from the oss vocabulary.
package store
