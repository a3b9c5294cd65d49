package store

import (
	"time"

	"github.com/ossflow/ossflow/oss"
)

func invalidArg(op, name, value, msg string) *oss.Error {
	e := oss.E(op, oss.InvalidArgument, "%s", msg)
	e.ArgumentName = name
	e.ArgumentValue = value
	return e
}

func unixNano(n int64) time.Time { return time.Unix(0, n).UTC() }

// maxKeys resolves a page size: 0 means the default (100); the bound is
// 1000.
func maxKeys(op, arg string, n int) (int, error) {
	switch {
	case n == 0:
		return oss.DefaultListKeys, nil
	case n < 0 || n > oss.MaxListKeys:
		return 0, invalidArg(op, arg, itoa(n), "The page size must be between 1 and 1000.")
	}
	return n, nil
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func noSuchKey(op, bucket, key string) *oss.Error {
	e := oss.E(op, oss.NoSuchKey, "The specified key does not exist.")
	e.Bucket, e.Key = bucket, key
	return e
}

func noSuchVersion(op, bucket, key, vid string) *oss.Error {
	e := oss.E(op, oss.NoSuchVersion, "The specified version does not exist.")
	e.Bucket, e.Key = bucket, key
	e.ArgumentName, e.ArgumentValue = "versionId", vid
	return e
}

// checkTags enforces OSS's tag limits: at most 10 tags, keys of 1..128
// bytes, values of at most 256 bytes, no duplicate key.
func checkTags(op string, tags []oss.Tag) error {
	if len(tags) > oss.MaxTags {
		return invalidArg(op, "Tagging", "", "An object can have at most 10 tags.")
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if len(t.Key) == 0 || len(t.Key) > oss.MaxTagKeyBytes {
			return invalidArg(op, "TagKey", t.Key, "A tag key must be 1 to 128 bytes long.")
		}
		if len(t.Value) > oss.MaxTagValueBytes {
			return invalidArg(op, "TagValue", t.Value, "A tag value must be at most 256 bytes long.")
		}
		if seen[t.Key] {
			return invalidArg(op, "TagKey", t.Key, "Tag keys must be unique.")
		}
		seen[t.Key] = true
	}
	return nil
}

// checkMeta enforces the 8 KB bound on user metadata (names + values).
func checkMeta(op string, m oss.Metadata) error {
	n := 0
	for k, v := range m.User {
		n += len(k) + len(v)
	}
	if n > oss.MaxUserMetaBytes {
		return invalidArg(op, "x-oss-meta-*", "", "The user metadata exceeds 8 KB.")
	}
	return nil
}

func checkACL(op string, acl oss.ACL) error {
	if acl != "" && !acl.Valid() {
		return invalidArg(op, "x-oss-object-acl", string(acl), "The ACL is not valid.")
	}
	return nil
}

func checkStorageClass(op string, sc oss.StorageClass) error {
	if sc != "" && !sc.Valid() {
		return invalidArg(op, "x-oss-storage-class", string(sc), "The storage class is not valid.")
	}
	return nil
}

func checkSSE(op, sse string) error {
	switch sse {
	case "", "AES256", "KMS", "SM4":
		return nil
	}
	return oss.E(op, oss.InvalidEncryptionAlgorithm, "The encryption algorithm specified is not supported.")
}

// checkPut validates everything about a whole-object write that does not
// need the bucket.
func checkPut(op string, in *oss.PutObjectInput) error {
	if err := oss.CheckBucketName(op, in.Bucket); err != nil {
		return err
	}
	if err := oss.CheckObjectKey(op, in.Key); err != nil {
		return err
	}
	if in.Size > oss.MaxObjectSize {
		return oss.E(op, oss.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size.")
	}
	if len(in.ContentMD5) != 0 && len(in.ContentMD5) != 16 {
		return oss.E(op, oss.InvalidDigest, "The Content-MD5 you specified was invalid.")
	}
	if err := checkMeta(op, in.Meta); err != nil {
		return err
	}
	if err := checkTags(op, in.Tags); err != nil {
		return err
	}
	if err := checkACL(op, in.ACL); err != nil {
		return err
	}
	if err := checkStorageClass(op, in.StorageClass); err != nil {
		return err
	}
	return checkSSE(op, in.SSE)
}

// newRecord builds the record of a whole-object write from its input; the
// data fields and the encryption (record.seal) are the caller's.
func newRecord(bs *bucketState, in *oss.PutObjectInput) *record {
	r := &record{
		Type:         oss.TypeNormal,
		StorageClass: in.StorageClass,
		ACL:          in.ACL,
		Meta:         in.Meta,
	}
	b := bs.info.Load()
	if r.StorageClass == "" {
		r.StorageClass = b.StorageClass
	}
	if r.ACL == "" {
		r.ACL = oss.ACLDefault
	}
	r.Owner = b.Owner
	if len(in.Tags) > 0 {
		r.Tags = append([]oss.Tag(nil), in.Tags...)
	}
	if len(in.Checksums) > 0 {
		r.Checksums = make(map[string]string, len(in.Checksums))
		for k, v := range in.Checksums {
			r.Checksums[k] = v
		}
	}
	if len(in.Meta.User) > 0 {
		r.Meta.User = make(map[string]string, len(in.Meta.User))
		for k, v := range in.Meta.User {
			r.Meta.User[k] = v
		}
	}
	return r
}
