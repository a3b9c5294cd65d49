package access

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func TestDataKeyWrapRoundTrip(t *testing.T) {
	master, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewKeyManager(master)
	if err != nil {
		t.Fatal(err)
	}
	pt, wrapped, err := m.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(pt) != DataKeySize || len(wrapped) != wrappedKeySize {
		t.Fatalf("sizes %d %d", len(pt), len(wrapped))
	}
	got, err := m.Unwrap(wrapped)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Unwrap: %x %v", got, err)
	}
	pt2, wrapped2, _ := m.NewDataKey()
	if bytes.Equal(pt, pt2) || bytes.Equal(wrapped, wrapped2) {
		t.Fatal("data keys repeat")
	}
	// A manager built from the same master (after a restart) unwraps too.
	m2, _ := NewKeyManager(master)
	if got, err := m2.Unwrap(wrapped); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("restart Unwrap: %v", err)
	}
	if m.KeyID() != m2.KeyID() {
		t.Error("key id not stable")
	}
}

func TestDataKeyTamper(t *testing.T) {
	master, _ := GenerateMasterKey()
	m, _ := NewKeyManager(master)
	_, wrapped, _ := m.NewDataKey()
	// Every single-bit flip anywhere is detected.
	for i := range wrapped {
		for bit := range 8 {
			w := bytes.Clone(wrapped)
			w[i] ^= 1 << bit
			if _, err := m.Unwrap(w); err == nil {
				t.Fatalf("flip of byte %d bit %d not detected", i, bit)
			}
		}
	}
	if _, err := m.Unwrap(wrapped[:len(wrapped)-1]); !errors.Is(err, ErrBadWrappedKey) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := m.Unwrap(append(bytes.Clone(wrapped), 0)); !errors.Is(err, ErrBadWrappedKey) {
		t.Errorf("extended: %v", err)
	}
	other, _ := GenerateMasterKey()
	mo, _ := NewKeyManager(other)
	if _, err := mo.Unwrap(wrapped); !errors.Is(err, ErrWrongMasterKey) {
		t.Errorf("other master: %v", err)
	}
	// Forging the key id does not help.
	w := bytes.Clone(wrapped)
	copy(w[1:5], mo.keyID[:])
	if _, err := mo.Unwrap(w); !errors.Is(err, ErrBadWrappedKey) {
		t.Errorf("forged key id: %v", err)
	}
}

func TestMasterKeyDecoding(t *testing.T) {
	k := bytes.Repeat([]byte{7}, 32)
	for _, s := range []string{base64.StdEncoding.EncodeToString(k), base64.RawStdEncoding.EncodeToString(k), "  " + base64.StdEncoding.EncodeToString(k) + "\n"} {
		got, err := DecodeMasterKey(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("DecodeMasterKey(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "!!!", base64.StdEncoding.EncodeToString(k[:16])} {
		if _, err := DecodeMasterKey(s); err == nil {
			t.Errorf("DecodeMasterKey(%q) accepted", s)
		}
	}
	if _, err := NewKeyManager(k[:31]); err == nil {
		t.Error("short master accepted")
	}
	if _, err := NewObjectCipher(k[:16], nil); err == nil {
		t.Error("short data key accepted")
	}
}

func TestObjectCipherRangedDecrypt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dataKey := make([]byte, DataKeySize)
	for i := range dataKey {
		dataKey[i] = byte(rng.Uint32())
	}
	plain := make([]byte, 64<<10+37)
	for i := range plain {
		plain[i] = byte(rng.Uint32())
	}
	c, err := NewObjectCipher(dataKey, []byte("bucket/key#v1"))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := io.ReadAll(c.EncryptReader(bytes.NewReader(plain), 0))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(ct[:64], plain[:64]) {
		t.Fatal("not encrypted")
	}
	// The whole stream matches plain AES-CTR with the derived IV.
	ref := make([]byte, len(plain))
	cipher.NewCTR(c.block, c.iv[:]).XORKeyStream(ref, plain)
	if !bytes.Equal(ref, ct) {
		t.Fatal("stream differs from AES-CTR")
	}
	for range 500 {
		off := rng.IntN(len(plain))
		end := off + rng.IntN(len(plain)-off) + 1
		got, err := io.ReadAll(c.DecryptAt(bytes.NewReader(ct[off:end]), int64(off)))
		if err != nil || !bytes.Equal(got, plain[off:end]) {
			t.Fatalf("range [%d,%d) decrypts wrong", off, end)
		}
	}
	// Encrypting in appended pieces gives the same ciphertext.
	var pieced []byte
	for off := 0; off < len(plain); {
		n := min(rng.IntN(5000)+1, len(plain)-off)
		part, _ := io.ReadAll(c.EncryptReader(bytes.NewReader(plain[off:off+n]), int64(off)))
		pieced = append(pieced, part...)
		off += n
	}
	if !bytes.Equal(pieced, ct) {
		t.Fatal("appended encryption differs")
	}
	// Another object id, same data key: another keystream.
	c2, _ := NewObjectCipher(dataKey, []byte("bucket/key#v2"))
	ct2 := make([]byte, 64)
	c2.XORAt(ct2, plain[:64], 0)
	if bytes.Equal(ct2, ct[:64]) {
		t.Fatal("object id does not change the keystream")
	}
}

// The 128-bit counter carries across the 64-bit boundary and wraps the way
// crypto/cipher's CTR does.
func TestObjectCipherCounterCarry(t *testing.T) {
	key := bytes.Repeat([]byte{3}, 32)
	ivs := [][aes.BlockSize]byte{
		{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe},
	}
	plain := make([]byte, 1024)
	for _, iv := range ivs {
		c, err := newObjectCipherIV(key, iv)
		if err != nil {
			t.Fatal(err)
		}
		whole := make([]byte, len(plain))
		cipher.NewCTR(c.block, iv[:]).XORKeyStream(whole, plain)
		for _, off := range []int{0, 1, 15, 16, 17, 255, 256, 257, 511, 1000} {
			got := make([]byte, len(plain)-off)
			c.XORAt(got, plain[off:], int64(off))
			if !bytes.Equal(got, whole[off:]) {
				t.Errorf("iv %x offset %d: keystream differs", iv, off)
			}
		}
	}
}
