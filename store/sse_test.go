package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// accessEncryption adapts package access to Encryption, as the composition
// root does.
type accessEncryption struct{ km *access.KeyManager }

func (a accessEncryption) NewDataKey() ([]byte, []byte, error) { return a.km.NewDataKey() }
func (a accessEncryption) Unwrap(w []byte) ([]byte, error)     { return a.km.Unwrap(w) }
func (a accessEncryption) Cipher(key, id []byte) (DataCipher, error) {
	return access.NewObjectCipher(key, id)
}

func testEncryption(t testing.TB, seed byte) Encryption {
	master := bytes.Repeat([]byte{seed}, access.MasterKeySize)
	km, err := access.NewKeyManager(master)
	if err != nil {
		t.Fatal(err)
	}
	return accessEncryption{km}
}

const ssePattern = "PLAINTEXT-PATTERN-0123456789-"

// patterned is n bytes of a recognizable plaintext.
func patterned(n int) []byte {
	b := bytes.Repeat([]byte(ssePattern), n/len(ssePattern)+1)[:n]
	for i := 0; i < n; i += 997 { // not purely periodic
		b[i] = byte(i / 997)
	}
	return b
}

// storedBytes returns what is on disk for a version's extents (inline
// values and blob files read directly, no decryption).
func storedBytes(t *testing.T, e *testEnv, bucket, key string) ([]byte, *record) {
	t.Helper()
	r, err := e.s.getRecord(objectKey(bucket, key))
	if err != nil || r == nil {
		t.Fatalf("record %s/%s: %v", bucket, key, err)
	}
	var out []byte
	for _, x := range r.Extents {
		switch x.Kind {
		case extInline:
			v, ok, err := e.s.get(dataKey(x.ID))
			if err != nil || !ok {
				t.Fatalf("inline %d: %v %v", x.ID, ok, err)
			}
			out = append(out, v...)
		case extFile:
			v, err := os.ReadFile(e.s.blobs.path(x.ID))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v[:x.Size]...)
		}
	}
	return out, r
}

// checkCiphertext asserts the stored bytes of an object are not its
// plaintext.
func checkCiphertext(t *testing.T, e *testEnv, bucket, key string, plain []byte) {
	t.Helper()
	disk, r := storedBytes(t, e, bucket, key)
	if r.Enc == nil || r.SSE != SSEAES256 {
		t.Fatalf("%s/%s: record not encrypted (SSE %q)", bucket, key, r.SSE)
	}
	if len(disk) != len(plain) {
		t.Fatalf("%s/%s: %d bytes on disk, want %d", bucket, key, len(disk), len(plain))
	}
	if len(plain) > 0 && bytes.Equal(disk, plain) {
		t.Fatalf("%s/%s: plaintext on disk", bucket, key)
	}
	if len(plain) >= 2*len(ssePattern) && bytes.Contains(disk, []byte(ssePattern)) {
		t.Fatalf("%s/%s: the plaintext pattern is on disk", bucket, key)
	}
}

func getRange(t *testing.T, s *Store, bucket, key string, start, end int64) ([]byte, oss.ObjectInfo) {
	t.Helper()
	out, err := s.GetObject(bg, oss.GetObjectInput{Bucket: bucket, Key: key, Range: &oss.RangeSpec{Start: start, End: end, Standard: true}})
	if err != nil {
		t.Fatalf("get %s/%s [%d,%d]: %v", bucket, key, start, end, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, out.Info
}

// checkReads reads the object whole and in ranges (crossing AES blocks,
// extents and segments) and compares with plain.
func checkReads(t *testing.T, e *testEnv, bucket, key string, plain []byte) {
	t.Helper()
	got, info := e.get(bucket, key, "")
	if !bytes.Equal(got, plain) {
		t.Fatalf("%s/%s: read back %d bytes differ from the %d written", bucket, key, len(got), len(plain))
	}
	if info.CRC64 != checksum.CRC64(plain) || info.Size != int64(len(plain)) {
		t.Fatalf("%s/%s: CRC/size %x/%d, want the plaintext's", bucket, key, info.CRC64, info.Size)
	}
	n := int64(len(plain))
	if n == 0 {
		return
	}
	for _, r := range [][2]int64{{0, 0}, {1, 15}, {15, 16}, {17, n/2 + 3}, {n / 3, n - 1}, {n - 1, n - 1}, {max(n-70000, 0), n - 1}} {
		a, b := min(r[0], n-1), min(r[1], n-1)
		if a > b {
			continue
		}
		part, _ := getRange(t, e.s, bucket, key, a, b)
		if !bytes.Equal(part, plain[a:b+1]) {
			t.Fatalf("%s/%s: range [%d,%d] differs", bucket, key, a, b)
		}
	}
}

func TestSSEPutGet(t *testing.T) {
	e := newEnv(t, Options{Encryption: testEncryption(t, 1)})
	e.bucket("plain")
	e.bucket("dflt")
	if err := e.s.PutBucketEncryption(bg, "dflt", SSEAES256); err != nil {
		t.Fatal(err)
	}
	if b, _ := e.s.GetBucket(bg, "dflt"); b.ServerSideEncryp != SSEAES256 {
		t.Fatalf("bucket default %q", b.ServerSideEncryp)
	}
	for _, tc := range []struct {
		name   string
		bucket string
		sse    string
		size   int
		stream bool // size unknown (-1)
	}{
		{"empty", "plain", SSEAES256, 0, false},
		{"tiny inline", "plain", SSEAES256, 5, false},
		{"inline", "plain", SSEAES256, 3000, false},
		{"inline streamed", "plain", SSEAES256, 3000, true},
		{"blob", "plain", SSEAES256, 200 << 10, false},
		{"blob streamed", "plain", SSEAES256, 200 << 10, true},
		{"blob pipelined", "plain", SSEAES256, 6 << 20, false},
		{"default inline", "dflt", "", 1000, false},
		{"default blob", "dflt", "", 300 << 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := patterned(tc.size)
			size := int64(tc.size)
			if tc.stream {
				size = -1
			}
			key := strings.ReplaceAll(tc.name, " ", "-")
			info, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: tc.bucket, Key: key, Size: size, SSE: tc.sse, ContentMD5: md5sum(plain)},
				struct{ io.Reader }{bytes.NewReader(plain)})
			if err != nil {
				t.Fatal(err)
			}
			if info.SSE != SSEAES256 || info.ETag != etagOf(plain) || info.CRC64 != checksum.CRC64(plain) {
				t.Fatalf("put info SSE %q ETag %s CRC %x", info.SSE, info.ETag, info.CRC64)
			}
			h, err := e.s.HeadObject(bg, oss.GetObjectInput{Bucket: tc.bucket, Key: key})
			if err != nil || h.SSE != SSEAES256 || h.ETag != etagOf(plain) {
				t.Fatalf("head %+v %v", h, err)
			}
			checkCiphertext(t, e, tc.bucket, key, plain)
			checkReads(t, e, tc.bucket, key, plain)
		})
	}
	// A wrong Content-MD5 is checked against the plaintext.
	_, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "plain", Key: "bad", Size: 3, SSE: SSEAES256, ContentMD5: md5sum([]byte("abd"))}, strings.NewReader("abc"))
	wantCode(t, err, oss.InvalidDigest)
	// Without SSE, nothing is encrypted.
	e.put("plain", "clear", patterned(1000))
	if disk, r := storedBytes(t, e, "plain", "clear"); r.Enc != nil || r.SSE != "" || !bytes.Equal(disk, patterned(1000)) {
		t.Fatal("an object without SSE was encrypted")
	}
	// Unsupported algorithms.
	for _, tc := range []struct {
		sse  string
		code oss.Code
	}{{"KMS", oss.NotImplemented}, {"SM4", oss.NotImplemented}, {"rot13", oss.InvalidEncryptionAlgorithm}} {
		_, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "plain", Key: "x", Size: 1, SSE: tc.sse}, strings.NewReader("x"))
		wantCode(t, err, tc.code)
		wantCode(t, e.s.PutBucketEncryption(bg, "plain", tc.sse), tc.code)
	}
	// Removing the default: new writes are plaintext again.
	if err := e.s.PutBucketEncryption(bg, "dflt", ""); err != nil {
		t.Fatal(err)
	}
	if info := e.put("dflt", "after", []byte("abc")); info.SSE != "" {
		t.Fatalf("SSE %q after removing the default", info.SSE)
	}
	// The reopened store reads its encrypted objects.
	e.reopen()
	checkReads(t, e, "dflt", "default-blob", patterned(300<<10))
	checkReads(t, e, "plain", "inline", patterned(3000))
}

func TestSSEMultipart(t *testing.T) {
	e := newEnv(t, Options{Encryption: testEncryption(t, 2)})
	e.bucket("bkt")
	src := patterned(150 << 10)
	if _, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "bkt", Key: "src", Size: int64(len(src)), SSE: SSEAES256}, bytes.NewReader(src)); err != nil {
		t.Fatal(err)
	}
	for _, sse := range []string{SSEAES256, ""} {
		t.Run("sse="+sse, func(t *testing.T) {
			key := "mp" + sse
			u, err := e.s.InitiateMultipartUpload(bg, oss.PutObjectInput{Bucket: "bkt", Key: key, SSE: sse})
			if err != nil {
				t.Fatal(err)
			}
			p1 := patterned(100 << 10)                  // blob part
			p3 := bytes.Repeat([]byte(ssePattern), 100) // inline part, the same plaintext as p1 at the same offsets (but 0)
			var want []byte
			up := func(n int, p []byte) {
				if _, err := e.s.UploadPart(bg, oss.UploadPartInput{Bucket: "bkt", Key: key, UploadID: u.UploadID, PartNumber: n, Size: int64(len(p)), ContentMD5: md5sum(p)}, bytes.NewReader(p)); err != nil {
					t.Fatal(err)
				}
				want = append(want, p...)
			}
			up(1, p1)
			// Part 2 copies a range of the encrypted source (decrypted, then
			// encrypted for this upload, or not).
			if _, err := e.s.UploadPartCopy(bg, oss.UploadPartCopyInput{Part: oss.UploadPartInput{Bucket: "bkt", Key: key, UploadID: u.UploadID, PartNumber: 2},
				SrcBucket: "bkt", SrcKey: "src", SrcRange: &oss.RangeSpec{Start: 1000, End: 120 << 10, Standard: true}}); err != nil {
				t.Fatal(err)
			}
			want = append(want, src[1000:120<<10+1]...)
			up(3, p3)
			info, err := e.s.CompleteMultipartUpload(bg, oss.CompleteMultipartInput{Bucket: "bkt", Key: key, UploadID: u.UploadID, CompleteAll: true})
			if err != nil {
				t.Fatal(err)
			}
			if info.SSE != sse || info.CRC64 != checksum.CRC64(want) {
				t.Fatalf("complete: SSE %q CRC %x", info.SSE, info.CRC64)
			}
			if sse != "" {
				checkCiphertext(t, e, "bkt", key, want)
				// Parts never share a keystream: equal plaintexts at equal
				// offsets of two parts differ on disk.
				disk, _ := storedBytes(t, e, "bkt", key)
				p3at := len(want) - len(p3)
				if !bytes.Equal(want[1:900], want[p3at+1:p3at+900]) || bytes.Equal(disk[1:900], disk[p3at+1:p3at+900]) {
					t.Fatal("two parts share a keystream")
				}
			} else if disk, _ := storedBytes(t, e, "bkt", key); !bytes.Equal(disk, want) {
				t.Fatal("plaintext upload stored differently")
			}
			checkReads(t, e, "bkt", key, want)
		})
	}
}

func TestSSECopy(t *testing.T) {
	e := newEnv(t, Options{Encryption: testEncryption(t, 3)})
	e.bucket("bkt")
	e.bucket("dflt")
	if err := e.s.PutBucketEncryption(bg, "dflt", SSEAES256); err != nil {
		t.Fatal(err)
	}
	plain := patterned(100 << 10)
	if _, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "bkt", Key: "enc", Size: int64(len(plain)), SSE: SSEAES256}, bytes.NewReader(plain)); err != nil {
		t.Fatal(err)
	}
	e.put("bkt", "clear", plain)
	copyTo := func(srcKey, dstBucket, dstKey, sse string) oss.ObjectInfo {
		t.Helper()
		out, err := e.s.CopyObject(bg, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: srcKey, Dest: oss.PutObjectInput{Bucket: dstBucket, Key: dstKey, SSE: sse}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Info
	}
	// Not inherited from the source.
	if info := copyTo("enc", "bkt", "c1", ""); info.SSE != "" {
		t.Fatalf("copy inherited SSE %q", info.SSE)
	}
	if disk, _ := storedBytes(t, e, "bkt", "c1"); !bytes.Equal(disk, plain) {
		t.Fatal("decrypted copy stored differently")
	}
	checkReads(t, e, "bkt", "c1", plain)
	// From the request.
	if info := copyTo("clear", "bkt", "c2", SSEAES256); info.SSE != SSEAES256 || info.ETag != etagOf(plain) {
		t.Fatalf("copy info %+v", info)
	}
	checkCiphertext(t, e, "bkt", "c2", plain)
	checkReads(t, e, "bkt", "c2", plain)
	// From the destination bucket's default; a new data key.
	copyTo("enc", "dflt", "c3", "")
	checkCiphertext(t, e, "dflt", "c3", plain)
	checkReads(t, e, "dflt", "c3", plain)
	a, _ := storedBytes(t, e, "bkt", "enc")
	b, _ := storedBytes(t, e, "dflt", "c3")
	if bytes.Equal(a, b) {
		t.Fatal("the copy reuses the source's keystream")
	}
	// Onto itself: encrypting and decrypting in place rewrite the data;
	// a copy that keeps the encryption keeps the data.
	copyTo("clear", "bkt", "clear", SSEAES256)
	checkCiphertext(t, e, "bkt", "clear", plain)
	checkReads(t, e, "bkt", "clear", plain)
	before, r1 := storedBytes(t, e, "bkt", "clear")
	copyTo("clear", "bkt", "clear", SSEAES256)
	after, r2 := storedBytes(t, e, "bkt", "clear")
	if !bytes.Equal(before, after) || r1.Extents[0] != r2.Extents[0] {
		t.Fatal("a metadata-only self copy rewrote the data")
	}
	checkReads(t, e, "bkt", "clear", plain)
	copyTo("clear", "bkt", "clear", "")
	if disk, r := storedBytes(t, e, "bkt", "clear"); r.Enc != nil || !bytes.Equal(disk, plain) {
		t.Fatal("self copy without SSE did not decrypt")
	}
	checkInvariants(t, e)
}

func TestSSEAppend(t *testing.T) {
	e := newEnv(t, Options{Encryption: testEncryption(t, 4)})
	e.bucket("bkt")
	var want []byte
	app := func(data []byte, sse string) error {
		_, err := e.s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "log", Size: int64(len(data)), SSE: sse}, Position: int64(len(want))}, bytes.NewReader(data))
		if err == nil {
			want = append(want, data...)
		}
		return err
	}
	segs := func() int {
		r, _ := e.s.getRecord(objectKey("bkt", "log"))
		return len(r.Enc.Segs)
	}
	for i, n := range []int{1000, 70 << 10, 33, 0, 5 << 20} {
		sse := ""
		if i == 0 {
			sse = SSEAES256 // chosen at creation, kept by every append
		}
		if err := app(patterned(n), sse); err != nil {
			t.Fatal(err)
		}
	}
	if segs() != 1 {
		t.Fatalf("%d segments after clean appends, want 1", segs())
	}
	checkCiphertext(t, e, "bkt", "log", want)
	checkReads(t, e, "bkt", "log", want)
	// A failed append (short body) leaves bytes past the committed length:
	// the next append, writing other plaintext there, takes a new segment.
	_, err := e.s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "log", Size: 5000}, Position: int64(len(want))}, io.LimitReader(bytes.NewReader(patterned(5000)), 4000))
	wantCode(t, err, oss.IncompleteBody)
	if err := app(bytes.Repeat([]byte("Z"), 3000), ""); err != nil {
		t.Fatal(err)
	}
	if segs() != 2 {
		t.Fatalf("%d segments after a failed append, want 2", segs())
	}
	if err := app(patterned(100), ""); err != nil {
		t.Fatal(err)
	}
	if segs() != 2 {
		t.Fatalf("%d segments, want 2", segs())
	}
	checkReads(t, e, "bkt", "log", want)
	// After a restart the first append cannot know what a crash left: a
	// new segment.
	e.reopen()
	if err := app(patterned(20000), ""); err != nil {
		t.Fatal(err)
	}
	if segs() != 3 {
		t.Fatalf("%d segments after a restart, want 3", segs())
	}
	checkCiphertext(t, e, "bkt", "log", want)
	checkReads(t, e, "bkt", "log", want)
	info, err := e.s.HeadObject(bg, oss.GetObjectInput{Bucket: "bkt", Key: "log"})
	if err != nil || info.SSE != SSEAES256 || info.CRC64 != checksum.CRC64(want) {
		t.Fatalf("head %+v %v", info, err)
	}
	// A plaintext appendable object stays plaintext.
	if _, err := e.s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "plain", Size: 3}}, strings.NewReader("abc")); err != nil {
		t.Fatal(err)
	}
	if disk, r := storedBytes(t, e, "bkt", "plain"); r.Enc != nil || string(disk) != "abc" {
		t.Fatal("plaintext append encrypted")
	}
	checkInvariants(t, e)
}

func TestSSEKeyFailures(t *testing.T) {
	e := newEnv(t, Options{Encryption: testEncryption(t, 5)})
	e.bucket("bkt")
	plain := patterned(200 << 10)
	for _, k := range []string{"a", "b"} {
		if _, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "bkt", Key: k, Size: int64(len(plain)), SSE: SSEAES256}, bytes.NewReader(plain)); err != nil {
			t.Fatal(err)
		}
	}
	// Tampered wrapped key: an error, never garbage.
	r, _ := e.s.getRecord(objectKey("bkt", "b"))
	r.Enc.Wrapped[len(r.Enc.Wrapped)-1] ^= 1
	if err := e.s.db.Set(objectKey("bkt", "b"), encodeRecord(r), nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.GetObject(bg, oss.GetObjectInput{Bucket: "bkt", Key: "b"})
	wantCode(t, err, oss.InternalError)
	if err == nil || !errors.Is(err, errUnwrap) {
		t.Fatalf("tampered key: %v", err)
	}
	_, err = e.s.CopyObject(bg, oss.CopyObjectInput{SrcBucket: "bkt", SrcKey: "b", Dest: oss.PutObjectInput{Bucket: "bkt", Key: "c"}})
	wantCode(t, err, oss.InternalError)
	// Another master key: reads fail clearly; metadata stays readable.
	e.s.Close()
	s, err := Open(bg, e.dir, Options{Encryption: testEncryption(t, 6), Owner: e.opts.Owner})
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	_, err = s.GetObject(bg, oss.GetObjectInput{Bucket: "bkt", Key: "a"})
	wantCode(t, err, oss.InternalError)
	if !errors.Is(err, errUnwrap) || !strings.Contains(err.Error(), "master key") {
		t.Fatalf("wrong master key: %v", err)
	}
	if info, err := s.HeadObject(bg, oss.GetObjectInput{Bucket: "bkt", Key: "a"}); err != nil || info.SSE != SSEAES256 {
		t.Fatalf("head %v", err)
	}
	// No encryption configured: SSE writes are NotImplemented, encrypted
	// reads fail.
	s.Close()
	if s, err = Open(bg, e.dir, Options{Owner: e.opts.Owner}); err != nil {
		t.Fatal(err)
	}
	e.s = s
	_, err = s.GetObject(bg, oss.GetObjectInput{Bucket: "bkt", Key: "a"})
	wantCode(t, err, oss.InternalError)
	_, err = s.PutObject(bg, oss.PutObjectInput{Bucket: "bkt", Key: "n", Size: 1, SSE: SSEAES256}, strings.NewReader("x"))
	wantCode(t, err, oss.NotImplemented)
	_, err = s.InitiateMultipartUpload(bg, oss.PutObjectInput{Bucket: "bkt", Key: "n", SSE: SSEAES256})
	wantCode(t, err, oss.NotImplemented)
	_, err = s.AppendObject(bg, oss.AppendObjectInput{Put: oss.PutObjectInput{Bucket: "bkt", Key: "n", Size: 1, SSE: SSEAES256}}, strings.NewReader("x"))
	wantCode(t, err, oss.NotImplemented)
	wantCode(t, s.PutBucketEncryption(bg, "bkt", SSEAES256), oss.NotImplemented)
	if err := s.PutBucketEncryption(bg, "bkt", ""); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.PutBucketEncryption(bg, "nope-b", ""), oss.NoSuchBucket)
}

func TestSSERecordCompat(t *testing.T) {
	// A record without encryption encodes exactly as before the section
	// existed (nothing after the extents), and the section round-trips.
	r := sampleRecord()
	r.Enc = nil
	plain := encodeRecord(r)
	r.Enc = &encState{Wrapped: []byte("wrapped"), Segs: []encSeg{{0, 9}, {100, 11}}}
	enc := encodeRecord(r)
	if !bytes.HasPrefix(enc, plain) {
		t.Fatal("the encryption section is not a trailing addition")
	}
	got, err := decodeRecord(enc)
	if err != nil || fmt.Sprint(got.Enc) != fmt.Sprint(r.Enc) {
		t.Fatalf("decode: %+v %v", got, err)
	}
	for _, bad := range []*encState{{Segs: []encSeg{{5, 1}}}, {Segs: []encSeg{{0, 1}, {0, 2}}}} {
		r.Enc = bad
		if _, err := decodeRecord(encodeRecord(r)); err == nil {
			t.Fatalf("segments %+v decoded", bad.Segs)
		}
	}
	if _, err := decodeRecord(append(plain, 7)); err == nil {
		t.Fatal("unknown section decoded")
	}
}
