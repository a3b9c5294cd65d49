// Package store is ossflow's object engine: buckets, objects and their
// versions, multipart uploads, listings, lifecycle and the event outbox, on
// one directory of local disk.
//
// Metadata lives in a pebble database (dir/meta); every mutation commits as
// one pebble batch holding the object records, the data or blob reference
// keys, the bucket counters and the outbox event, made durable by a
// group-committed WAL fsync before the call returns. Small objects are stored
// inline in the database; larger ones stream into blob files (dir/blobs)
// that are fsynced before the commit that references them. Blob files that
// no committed record references are removed by a sweep at Open.
//
// Errors are *oss.Error values with codes from the oss vocabulary.
package store
