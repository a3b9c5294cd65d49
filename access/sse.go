package access

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Server-side encryption (SSE, "x-oss-server-side-encryption: AES256")
// primitives: envelope encryption under one master key.
//
//   - The master key is 32 bytes; the composition root loads it from
//     OSSFLOW_SSE_MASTER_KEY (base64, see DecodeMasterKey) or from a 0600 key
//     file it creates with GenerateMasterKey.
//   - Every object gets a fresh 32-byte data key (NewDataKey). Only the
//     wrapped form is stored with the object: AES-256-GCM under the master
//     key, with a random nonce and the format version and master key id as
//     additional data, so a wrapped key that was altered, truncated or
//     wrapped under another master key fails to Unwrap instead of yielding a
//     wrong key.
//   - Object data is encrypted with AES-256-CTR (ObjectCipher) under a key
//     and IV derived from the data key (the IV also from an object id), so
//     any byte range can be decrypted without reading what precedes it
//     (ranged GETs) and appends continue the keystream at their offset.
//
// Integrity: CTR is length-preserving and not authenticated. The ETag
// (MD5), Content-MD5 check and x-oss-hash-crc64ecma are computed over the
// plaintext, before encryption on write; a reader that decrypts a whole
// object can recompute the CRC-64 to detect corruption of the stored
// ciphertext. These checksums detect accidents, not an attacker who can
// rewrite the data files (such an attacker can also delete or replace
// objects); the wrapped data key, the one secret at rest, is authenticated.
const (
	MasterKeySize = 32
	DataKeySize   = 32

	wrapVersion = 1
	// wrapped = version(1) || master key id(4) || nonce(12) || GCM(data key)(32+16)
	wrappedKeySize = 1 + 4 + 12 + DataKeySize + 16
)

// ErrWrongMasterKey is returned by Unwrap for a key wrapped under another
// master key.
var ErrWrongMasterKey = errors.New("access: data key was wrapped under a different master key")

// ErrBadWrappedKey is returned by Unwrap for a wrapped key that is
// malformed or fails authentication.
var ErrBadWrappedKey = errors.New("access: wrapped data key is corrupt or was tampered with")

// GenerateMasterKey returns a new random master key.
func GenerateMasterKey() ([]byte, error) {
	k := make([]byte, MasterKeySize)
	if _, err := io.ReadFull(rand.Reader, k); err != nil {
		return nil, fmt.Errorf("access: generating master key: %w", err)
	}
	return k, nil
}

// DecodeMasterKey decodes a base64 master key (standard alphabet, padding
// optional, surrounding whitespace ignored) and checks its length.
func DecodeMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		k, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, fmt.Errorf("access: master key is not base64: %w", err)
	}
	if len(k) != MasterKeySize {
		return nil, fmt.Errorf("access: master key is %d bytes, want %d", len(k), MasterKeySize)
	}
	return k, nil
}

// KeyManager wraps and unwraps data keys under a master key. It is safe for
// concurrent use.
type KeyManager struct {
	aead  cipher.AEAD
	keyID [4]byte
	rand  io.Reader
}

// NewKeyManager returns a KeyManager for a 32-byte master key.
func NewKeyManager(master []byte) (*KeyManager, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("access: master key is %d bytes, want %d", len(master), MasterKeySize)
	}
	wrapKey := hmacSHA256(master, "ossflow/access/sse/wrap-key/v1")
	block, err := aes.NewCipher(wrapKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := &KeyManager{aead: aead, rand: rand.Reader}
	copy(m.keyID[:], hmacSHA256(master, "ossflow/access/sse/key-id/v1"))
	return m, nil
}

// KeyID identifies the master key (4 bytes of a one-way derivation), for
// diagnostics; it is part of every wrapped key.
func (m *KeyManager) KeyID() uint32 { return binary.BigEndian.Uint32(m.keyID[:]) }

// NewDataKey returns a fresh data key and its wrapped form, the only one to
// store.
func (m *KeyManager) NewDataKey() (plaintext, wrapped []byte, err error) {
	plaintext = make([]byte, DataKeySize)
	if _, err := io.ReadFull(m.rand, plaintext); err != nil {
		return nil, nil, fmt.Errorf("access: generating data key: %w", err)
	}
	wrapped = make([]byte, 5+m.aead.NonceSize(), wrappedKeySize)
	wrapped[0] = wrapVersion
	copy(wrapped[1:5], m.keyID[:])
	if _, err := io.ReadFull(m.rand, wrapped[5:]); err != nil {
		return nil, nil, fmt.Errorf("access: generating nonce: %w", err)
	}
	wrapped = m.aead.Seal(wrapped, wrapped[5:], plaintext, wrapAAD(wrapped[:5]))
	return plaintext, wrapped, nil
}

func wrapAAD(header []byte) []byte {
	return append([]byte("ossflow/access/sse/data-key/v1|"), header...)
}

// Unwrap returns the data key of a wrapped key made by NewDataKey under the
// same master key.
func (m *KeyManager) Unwrap(wrapped []byte) ([]byte, error) {
	if len(wrapped) != wrappedKeySize || wrapped[0] != wrapVersion {
		return nil, ErrBadWrappedKey
	}
	if [4]byte(wrapped[1:5]) != m.keyID {
		return nil, ErrWrongMasterKey
	}
	ns := m.aead.NonceSize()
	pt, err := m.aead.Open(nil, wrapped[5:5+ns], wrapped[5+ns:], wrapAAD(wrapped[:5]))
	if err != nil {
		return nil, ErrBadWrappedKey
	}
	return pt, nil
}

// ObjectCipher encrypts and decrypts one object's data with AES-256-CTR,
// seekably.
type ObjectCipher struct {
	block cipher.Block
	iv    [aes.BlockSize]byte
}

// NewObjectCipher returns the cipher of an object's data. objectID is a
// unique, immutable identifier of the stored data (for example the
// version's data id, stored next to the wrapped key); a copy that reuses
// the ciphertext must reuse the data key and objectID with it.
func NewObjectCipher(dataKey, objectID []byte) (*ObjectCipher, error) {
	if len(dataKey) != DataKeySize {
		return nil, fmt.Errorf("access: data key is %d bytes, want %d", len(dataKey), DataKeySize)
	}
	encKey := hmacSHA256(dataKey, "ossflow/access/sse/ctr-key/v1")
	iv := hmacSHA256(dataKey, "ossflow/access/sse/ctr-iv/v1|", string(objectID))
	return newObjectCipherIV(encKey, [aes.BlockSize]byte(iv[:aes.BlockSize]))
}

func newObjectCipherIV(key []byte, iv [aes.BlockSize]byte) (*ObjectCipher, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &ObjectCipher{block: block, iv: iv}, nil
}

// StreamAt returns the keystream positioned at byte offset of the object:
// XORing it with plaintext from offset on encrypts, with ciphertext from
// offset on decrypts.
func (c *ObjectCipher) StreamAt(offset int64) cipher.Stream {
	if offset < 0 {
		panic("access: negative offset")
	}
	ctr := c.iv
	// ctr += offset / BlockSize, as a 128-bit big-endian integer (the
	// counter crypto/cipher's CTR increments).
	hi := binary.BigEndian.Uint64(ctr[:8])
	lo := binary.BigEndian.Uint64(ctr[8:])
	blocks := uint64(offset) / aes.BlockSize
	nlo := lo + blocks
	if nlo < lo {
		hi++
	}
	binary.BigEndian.PutUint64(ctr[:8], hi)
	binary.BigEndian.PutUint64(ctr[8:], nlo)
	s := cipher.NewCTR(c.block, ctr[:])
	if skip := int(uint64(offset) % aes.BlockSize); skip > 0 {
		var scratch [aes.BlockSize]byte
		s.XORKeyStream(scratch[:skip], scratch[:skip])
	}
	return s
}

// EncryptReader returns a reader of the ciphertext of the plaintext r
// yields, r starting at byte offset of the object (0 for a new object, the
// current length for an append).
func (c *ObjectCipher) EncryptReader(r io.Reader, offset int64) io.Reader {
	return &cipher.StreamReader{S: c.StreamAt(offset), R: r}
}

// DecryptAt returns a reader of the plaintext of the ciphertext r yields,
// r starting at byte offset of the object: a ranged GET reads the stored
// bytes [offset, end] and decrypts them without touching earlier ones.
func (c *ObjectCipher) DecryptAt(r io.Reader, offset int64) io.Reader {
	return &cipher.StreamReader{S: c.StreamAt(offset), R: r}
}

// XORAt encrypts or decrypts src (the bytes at offset of the object) into
// dst, which must be at least as long as src.
func (c *ObjectCipher) XORAt(dst, src []byte, offset int64) {
	c.StreamAt(offset).XORKeyStream(dst, src)
}
