package store

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Key layout of the metadata DB. Every key starts with one keyspace byte;
// bucket names and object keys are separated by 0x00, which neither may
// contain, so "all keys of bucket b under prefix p" is one contiguous range
// and the keys of one object sort before the next object's.
const (
	ksBucket    = 'b' // b <bucket>                       -> bucket JSON
	ksStat      = 's' // s <bucket>                       -> counters + bucket sequence (kept after delete)
	ksConfig    = 'c' // c <bucket> 0 <name>              -> opaque config document
	ksLifecycle = 'l' // l <bucket>                       -> lifecycle JSON
	ksObject    = 'o' // o <bucket> 0 <key>               -> current version record
	ksVersion   = 'v' // v <bucket> 0 <key> 0 <^vseq BE8> -> noncurrent version record
	ksData      = 'd' // d <id BE8>                       -> inline object / part bytes
	ksRef       = 'r' // r <id BE8>                       -> empty: blob file <id> is referenced
	ksUpload    = 'u' // u <bucket> 0 <key> 0 <uploadID>  -> upload record
	ksPart      = 'p' // p <uploadID> 0 <part BE4>        -> part record
	ksEvent     = 'e' // e <seq BE8>                      -> outbox event
	ksMeta      = 'm' // m <name>                         -> engine state
)

var (
	metaSeq   = []byte("mseq")   // last outbox Seq
	metaAcked = []byte("macked") // outbox acknowledged up to
	metaClock = []byte("mclock") // high-water mark of the id clock
)

func bucketKey(bucket string) []byte { return append([]byte{ksBucket}, bucket...) }
func statKey(bucket string) []byte   { return append([]byte{ksStat}, bucket...) }
func lifecycleKey(bucket string) []byte {
	return append([]byte{ksLifecycle}, bucket...)
}

func configKey(bucket, name string) []byte {
	k := make([]byte, 0, 2+len(bucket)+len(name))
	k = append(k, ksConfig)
	k = append(k, bucket...)
	k = append(k, 0)
	return append(k, name...)
}

// objectKey is o <bucket> 0 <key>.
func objectKey(bucket, key string) []byte {
	k := make([]byte, 0, 2+len(bucket)+len(key))
	k = append(k, ksObject)
	k = append(k, bucket...)
	k = append(k, 0)
	return append(k, key...)
}

// bucketSpace is the prefix "<ks> <bucket> 0" of a per-bucket keyspace.
func bucketSpace(ks byte, bucket string) []byte {
	k := make([]byte, 0, 2+len(bucket))
	k = append(k, ks)
	k = append(k, bucket...)
	return append(k, 0)
}

// versionKeyPrefix is v <bucket> 0 <key> 0: all noncurrent versions of key.
func versionKeyPrefix(bucket, key string) []byte {
	k := make([]byte, 0, 3+len(bucket)+len(key)+8)
	k = append(k, ksVersion)
	k = append(k, bucket...)
	k = append(k, 0)
	k = append(k, key...)
	return append(k, 0)
}

// versionKey sorts the versions of one key newest first (inverted vseq).
func versionKey(bucket, key string, vseq uint64) []byte {
	return binary.BigEndian.AppendUint64(versionKeyPrefix(bucket, key), ^vseq)
}

func vseqFromVersionKey(k []byte) uint64 {
	return ^binary.BigEndian.Uint64(k[len(k)-8:])
}

func dataKey(id uint64) []byte { return binary.BigEndian.AppendUint64([]byte{ksData}, id) }
func refKey(id uint64) []byte  { return binary.BigEndian.AppendUint64([]byte{ksRef}, id) }

func uploadKeyPrefix(bucket, key string) []byte {
	k := make([]byte, 0, 3+len(bucket)+len(key)+32)
	k = append(k, ksUpload)
	k = append(k, bucket...)
	k = append(k, 0)
	k = append(k, key...)
	return append(k, 0)
}

func uploadKey(bucket, key, uploadID string) []byte {
	return append(uploadKeyPrefix(bucket, key), uploadID...)
}

func partPrefix(uploadID string) []byte {
	k := make([]byte, 0, 2+len(uploadID)+4)
	k = append(k, ksPart)
	k = append(k, uploadID...)
	return append(k, 0)
}

func partKey(uploadID string, n int) []byte {
	return binary.BigEndian.AppendUint32(partPrefix(uploadID), uint32(n))
}

func eventKey(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte{ksEvent}, seq) }

// prefixEnd is the smallest key greater than every key with prefix p, or
// nil when there is none (p is all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// Version ids are the inverted version sequence in hex: opaque, unique, and
// newest-first when compared as strings within a key. "null" names the
// null version.
func formatVersionID(vseq uint64) string {
	return fmt.Sprintf("%016x", ^vseq)
}

func parseVersionID(id string) (uint64, bool) {
	if len(id) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return 0, false
	}
	return ^v, true
}
