package store

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
	"time"

	"github.com/ossflow/ossflow/oss"
)

// extent is one piece of an object's data, in order. Inline extents live in
// the metadata DB under dataKey(ID); file extents are blob files with a
// refKey(ID). A Normal object has at most one extent, a multipart object one
// per part, an appendable object exactly one file extent whose committed
// length is the record's Size.
type extent struct {
	Kind uint8
	ID   uint64
	Size int64
}

const (
	extInline uint8 = 1
	extFile   uint8 = 2
)

// Record flags.
const (
	flagDeleteMarker uint8 = 1 << 0
	flagNull         uint8 = 1 << 1 // a null version (written while versioning was off or suspended)
)

// record is the stored form of an object version, and (reusing the same
// codec) of a multipart upload's pending metadata and of an uploaded part.
type record struct {
	Flags        uint8
	VSeq         uint64 // version sequence: unique, increasing in commit order per key
	Type         oss.ObjectType
	Size         int64
	ETag         string
	CRC64        uint64
	MTime        int64 // unix nanoseconds
	StorageClass oss.StorageClass
	ACL          oss.ACL
	Owner        oss.Owner
	Meta         oss.Metadata
	Tags         []oss.Tag
	Target       string // symlink target
	PartsCount   int
	SSE          string
	Checksums    map[string]string
	Extents      []extent
	Enc          *encState // server-side encryption of the data; nil = plaintext
}

func (r *record) deleteMarker() bool { return r.Flags&flagDeleteMarker != 0 }
func (r *record) isNull() bool       { return r.Flags&flagNull != 0 }

// versionID is the id reported for r in a bucket whose versioning status is
// vs: "" while the bucket has never had versioning, "null" for null
// versions, the hex id otherwise.
func (r *record) versionID(vs oss.VersioningStatus) string {
	if r.isNull() {
		if vs == oss.VersioningOff {
			return ""
		}
		return oss.NullVersionID
	}
	return formatVersionID(r.VSeq)
}

func (r *record) mtime() time.Time { return unixNano(r.MTime) }

// info converts r to the vocabulary's ObjectInfo. Records are decoded
// afresh by every call and never shared, so the info takes over r's maps
// and slices without copying them.
func (r *record) info(bucket, key string, vs oss.VersioningStatus, latest bool) oss.ObjectInfo {
	return oss.ObjectInfo{
		Bucket:        bucket,
		Key:           key,
		VersionID:     r.versionID(vs),
		IsLatest:      latest,
		DeleteMarker:  r.deleteMarker(),
		Type:          r.Type,
		Size:          r.Size,
		ETag:          r.ETag,
		CRC64:         r.CRC64,
		LastModified:  r.mtime(),
		StorageClass:  r.StorageClass,
		ACL:           r.ACL,
		Owner:         r.Owner,
		Meta:          r.Meta,
		Tags:          r.Tags,
		SymlinkTarget: r.Target,
		PartsCount:    r.PartsCount,
		SSE:           r.SSE,
		Checksums:     r.Checksums,
	}
}

const recordFormat = 1

var typeCodes = []oss.ObjectType{oss.TypeNormal, oss.TypeAppendable, oss.TypeMultipart, oss.TypeSymlink}

func typeCode(t oss.ObjectType) uint8 {
	for i, c := range typeCodes {
		if c == t {
			return uint8(i)
		}
	}
	return 0
}

// encodeRecord serializes r compactly: a format byte, the flags at offset
// 1 (so listings can skip delete markers without decoding), then varints
// and length-prefixed strings. Maps are written in key order so the encoding
// is deterministic.
func encodeRecord(r *record) []byte {
	b := make([]byte, 0, 128+len(r.ETag)+len(r.Meta.ContentType)+16*len(r.Extents))
	b = append(b, recordFormat, r.Flags)
	b = binary.AppendUvarint(b, r.VSeq)
	b = append(b, typeCode(r.Type))
	b = binary.AppendVarint(b, r.Size)
	b = appendString(b, r.ETag)
	b = binary.LittleEndian.AppendUint64(b, r.CRC64)
	b = binary.AppendVarint(b, r.MTime)
	b = appendString(b, string(r.StorageClass))
	b = appendString(b, string(r.ACL))
	b = appendString(b, r.Owner.ID)
	b = appendString(b, r.Owner.DisplayName)
	m := &r.Meta
	for _, s := range [...]string{m.ContentType, m.ContentEncoding, m.ContentDisposition, m.ContentLanguage, m.CacheControl, m.Expires} {
		b = appendString(b, s)
	}
	b = appendMap(b, m.User)
	b = binary.AppendUvarint(b, uint64(len(r.Tags)))
	for _, t := range r.Tags {
		b = appendString(b, t.Key)
		b = appendString(b, t.Value)
	}
	b = appendString(b, r.Target)
	b = binary.AppendUvarint(b, uint64(r.PartsCount))
	b = appendString(b, r.SSE)
	b = appendMap(b, r.Checksums)
	b = binary.AppendUvarint(b, uint64(len(r.Extents)))
	for _, e := range r.Extents {
		b = append(b, e.Kind)
		b = binary.AppendUvarint(b, e.ID)
		b = binary.AppendUvarint(b, uint64(e.Size))
	}
	// Optional trailing sections (tag byte, then the section), so records
	// written before a section existed still decode.
	if r.Enc != nil {
		b = append(b, secEnc)
		b = appendString(b, string(r.Enc.Wrapped))
		b = binary.AppendUvarint(b, uint64(len(r.Enc.Segs)))
		for _, sg := range r.Enc.Segs {
			b = binary.AppendUvarint(b, uint64(sg.Off))
			b = binary.AppendUvarint(b, sg.ID)
		}
	}
	return b
}

// Trailing section tags.
const secEnc uint8 = 1

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	if len(m) == 0 {
		return b
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	return b
}

var errCorrupt = errors.New("store: corrupt record")

// isDeleteMarkerValue reports whether an encoded record is a delete marker.
func isDeleteMarkerValue(v []byte) bool { return len(v) > 1 && v[1]&flagDeleteMarker != 0 }

// decodeRecord parses an encoded record. It never panics on malformed
// input (fuzzed) and copies every string out of b.
func decodeRecord(b []byte) (*record, error) { return decodeRecordCached(b, nil) }

// stringCache interns the strings that repeat across the records of one
// listing (storage class, ACL, owner, content type), saving allocations.
type stringCache map[string]string

func (c stringCache) get(b []byte) string {
	if s, ok := c[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(c) < 64 {
		c[s] = s
	}
	return s
}

// decodeRecordCached is decodeRecord interning repeated strings in c (nil
// for none).
func decodeRecordCached(b []byte, c stringCache) (*record, error) {
	r := &record{}
	if err := decodeInto(r, b, c); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeInto decodes into *r (which must be zero), so hot loops can reuse
// a record on the stack.
func decodeInto(r *record, b []byte, c stringCache) error {
	d := decoder{b: b, cache: c}
	if d.byte() != recordFormat {
		return errCorrupt
	}
	r.Flags = d.byte()
	r.VSeq = d.uvarint()
	tc := d.byte()
	if int(tc) >= len(typeCodes) {
		return errCorrupt
	}
	r.Type = typeCodes[tc]
	r.Size = d.varint()
	r.ETag = d.string()
	r.CRC64 = d.uint64()
	r.MTime = d.varint()
	r.StorageClass = oss.StorageClass(d.cstring())
	r.ACL = oss.ACL(d.cstring())
	r.Owner.ID = d.cstring()
	r.Owner.DisplayName = d.cstring()
	m := &r.Meta
	for _, p := range [...]*string{&m.ContentType, &m.ContentEncoding, &m.ContentDisposition, &m.ContentLanguage, &m.CacheControl, &m.Expires} {
		*p = d.cstring()
	}
	m.User = d.stringMap()
	if n := d.count(2); n > 0 {
		r.Tags = make([]oss.Tag, n)
		for i := range r.Tags {
			r.Tags[i].Key = d.string()
			r.Tags[i].Value = d.string()
		}
	}
	r.Target = d.string()
	pc := d.uvarint()
	if pc > math.MaxInt32 {
		return errCorrupt
	}
	r.PartsCount = int(pc)
	r.SSE = d.string()
	r.Checksums = d.stringMap()
	if n := d.count(3); n > 0 {
		r.Extents = make([]extent, n)
		for i := range r.Extents {
			e := &r.Extents[i]
			e.Kind = d.byte()
			e.ID = d.uvarint()
			sz := d.uvarint()
			if sz > math.MaxInt64 || (e.Kind != extInline && e.Kind != extFile) {
				d.err = true
			}
			e.Size = int64(sz)
		}
	}
	for len(d.b) > 0 && !d.err {
		switch d.byte() {
		case secEnc:
			if r.Enc != nil {
				return errCorrupt
			}
			es := &encState{Wrapped: []byte(d.string())}
			if n := d.count(2); n > 0 {
				es.Segs = make([]encSeg, n)
				for i := range es.Segs {
					off := d.uvarint()
					es.Segs[i].ID = d.uvarint()
					// Offsets start at 0 and strictly ascend.
					if off > math.MaxInt64 || (i == 0 && off != 0) || (i > 0 && int64(off) <= es.Segs[i-1].Off) {
						d.err = true
					}
					es.Segs[i].Off = int64(off)
				}
			}
			r.Enc = es
		default:
			return errCorrupt
		}
	}
	if d.err || len(d.b) != 0 || r.Size < 0 {
		return errCorrupt
	}
	return nil
}

// decoder reads the record encoding; any error sticks and zero values are
// returned from then on.
type decoder struct {
	b     []byte
	err   bool
	cache stringCache
}

func (d *decoder) byte() byte {
	if d.err || len(d.b) < 1 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uint64() uint64 {
	if d.err || len(d.b) < 8 {
		d.err = true
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads an element count, each element taking at least min bytes,
// rejecting counts the remaining input cannot hold.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)/min) {
		if n != 0 {
			d.err = true
		}
		return 0
	}
	return int(n)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		d.err = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// cstring is string, interned through the decoder's cache if any.
func (d *decoder) cstring() string {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		d.err = true
		return ""
	}
	var s string
	if n > 0 && d.cache != nil {
		s = d.cache.get(d.b[:n])
	} else {
		s = string(d.b[:n])
	}
	d.b = d.b[n:]
	return s
}

func (d *decoder) stringMap() map[string]string {
	n := d.count(2)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for i := 0; i < n && !d.err; i++ {
		k := d.string()
		m[k] = d.string()
	}
	return m
}
