package checksum

import (
	"bytes"
	"crypto/md5"
	"math/rand/v2"
	"testing"
)

func TestCRC64Vectors(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"123456789", 0x995DC9BBDF1939FA},
		{"hi oss", 8707180448768400016},
		{"", 0},
	}
	for _, tt := range tests {
		if got := CRC64([]byte(tt.in)); got != tt.want {
			t.Errorf("CRC64(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestCombineCRC64(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sizes := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {5, 7}, {100 << 10, 1}, {3, 1 << 20}} {
		a := make([]byte, sizes[0])
		b := make([]byte, sizes[1])
		for i := range a {
			a[i] = byte(r.Uint32())
		}
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		want := CRC64(append(append([]byte{}, a...), b...))
		if got := CombineCRC64(CRC64(a), CRC64(b), int64(len(b))); got != want {
			t.Errorf("Combine(%d,%d) = %d, want %d", sizes[0], sizes[1], got, want)
		}
	}
}

func TestHasherAppendSeed(t *testing.T) {
	h := NewHasher(0)
	h.Write([]byte("hello "))
	h2 := NewHasher(h.CRC64())
	h2.Write([]byte("world"))
	if got, want := h2.CRC64(), CRC64([]byte("hello world")); got != want {
		t.Fatalf("seeded CRC = %d, want %d", got, want)
	}
	sum := md5.Sum([]byte("world"))
	if !bytes.Equal(h2.Sum(), sum[:]) {
		t.Fatal("md5 mismatch")
	}
}

func TestETagForms(t *testing.T) {
	sum := md5.Sum([]byte("abc"))
	if got := ETag(sum[:]); got != `"900150983CD24FB0D6963F7D28E17F72"` {
		t.Fatalf("ETag = %s", got)
	}
	if m, ok := ParseETagMD5(ETag(sum[:])); !ok || !bytes.Equal(m, sum[:]) {
		t.Fatal("ParseETagMD5 round trip failed")
	}
	got := MultipartETag([][]byte{sum[:], sum[:]})
	if len(got) != 36 || got[len(got)-3:] != `-2"` {
		t.Fatalf("MultipartETag = %s", got)
	}
}

func BenchmarkHasher(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h := NewHasher(0)
		h.Write(buf)
	}
}
