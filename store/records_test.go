package store

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

func sampleRecord() *record {
	return &record{
		Flags: flagNull, VSeq: 1 << 60, Type: oss.TypeMultipart, Size: 12345, ETag: `"ABC-2"`, CRC64: 1<<63 + 5,
		MTime: 1700000000123456789, StorageClass: oss.StorageIA, ACL: oss.ACLPublicRead,
		Owner: oss.Owner{ID: "1", DisplayName: "one"},
		Meta: oss.Metadata{ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: "inline", ContentLanguage: "en",
			CacheControl: "no-cache", Expires: "never", User: map[string]string{"a": "1", "b": ""}},
		Tags: []oss.Tag{{Key: "k", Value: "v"}, {Key: "k2"}}, Target: "t", PartsCount: 2, SSE: "AES256",
		Checksums: map[string]string{"crc32": "x"},
		Extents:   []extent{{Kind: extFile, ID: 7, Size: 10000}, {Kind: extInline, ID: 8, Size: 2345}},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []*record{{Type: oss.TypeNormal}, sampleRecord()} {
		b := encodeRecord(r)
		got, err := decodeRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, r)
		}
		if !bytes.Equal(encodeRecord(got), b) {
			t.Fatal("encoding not deterministic")
		}
		for i := 0; i < len(b); i++ {
			if _, err := decodeRecord(b[:i]); err == nil {
				t.Fatalf("truncated record (%d of %d bytes) decoded", i, len(b))
			}
		}
	}
	dm := encodeRecord(&record{Flags: flagDeleteMarker})
	if !isDeleteMarkerValue(dm) || isDeleteMarkerValue(encodeRecord(sampleRecord())) {
		t.Fatal("isDeleteMarkerValue")
	}
}

func TestCountersRoundTrip(t *testing.T) {
	c := bucketCounters{Seq: 9, Objects: 1, Versions: 2, Storage: -3, Uploads: 4, LastModified: 5}
	got, err := decodeCounters(c.encode())
	if err != nil || got != c {
		t.Fatalf("%+v %v", got, err)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(sampleRecord()))
	f.Add(encodeRecord(&record{}))
	f.Add([]byte{1, 0, 0})
	enc := sampleRecord()
	enc.Enc = &encState{Wrapped: []byte("wrapped-key"), Segs: []encSeg{{0, 7}, {100, 9}}}
	f.Add(encodeRecord(enc))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to something that decodes the same.
		r2, err := decodeRecord(encodeRecord(r))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(normalize(r), normalize(r2)) {
			t.Fatalf("unstable:\n%+v\n%+v", r, r2)
		}
	})
}

func FuzzDecodeCounters(f *testing.F) {
	f.Add((&bucketCounters{Seq: 1, Storage: 5}).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCounters(b)
		if err != nil {
			return
		}
		if c2, err := decodeCounters(c.encode()); err != nil || c2 != c {
			t.Fatalf("unstable %+v %+v %v", c, c2, err)
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add(append(make([]byte, 16), `{"Name":"x"}`...))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeEvent(b) // must not panic
	})
}

// normalize maps empty maps to nil (the encoding does not distinguish).
func normalize(r *record) *record {
	c := *r
	if len(c.Meta.User) == 0 {
		c.Meta.User = nil
	}
	if len(c.Checksums) == 0 {
		c.Checksums = nil
	}
	return &c
}

// BenchmarkRecordCodec compares the record encoding with JSON, to justify
// the hand-rolled format (records are decoded once per listed entry).
func BenchmarkRecordCodec(b *testing.B) {
	r := sampleRecord()
	r.Extents = r.Extents[:1]
	bin := encodeRecord(r)
	js, _ := json.Marshal(r)
	b.Run("binary/encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodeRecord(r)
		}
	})
	b.Run("binary/decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out record
			if err := decodeInto(&out, bin, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json/encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(r)
		}
	})
	b.Run("json/decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out record
			if err := json.Unmarshal(js, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Logf("sizes: binary %d bytes, JSON %d bytes", len(bin), len(js))
}
