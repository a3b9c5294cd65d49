package auth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// Independent SigV4 helpers (standard library only) for the test encoder.

func hmacSHA(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

func signingKey(sk, date, region string) []byte {
	k := hmacSHA([]byte("AWS4"+sk), date)
	k = hmacSHA(k, region)
	k = hmacSHA(k, "s3")
	return hmacSHA(k, "aws4_request")
}

const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// chunkSigner chains chunk signatures as the AWS docs describe.
type chunkSigner struct {
	key         []byte
	date, scope string
	prev        string
}

func (s *chunkSigner) chunk(data []byte) string {
	sum := sha256.Sum256(data)
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + s.date + "\n" + s.scope + "\n" + s.prev + "\n" + emptyHash + "\n" + hex.EncodeToString(sum[:])
	s.prev = hex.EncodeToString(hmacSHA(s.key, sts))
	return s.prev
}

func (s *chunkSigner) trailer(canon string) string {
	sum := sha256.Sum256([]byte(canon))
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + s.date + "\n" + s.scope + "\n" + s.prev + "\n" + hex.EncodeToString(sum[:])
	return hex.EncodeToString(hmacSHA(s.key, sts))
}

// encodeChunked frames payload as aws-chunked with the given chunk size.
// With a signer every chunk carries its chained signature; trailers are
// written after the final chunk (and signed with a signer).
func encodeChunked(payload []byte, size int, s *chunkSigner, trailers [][2]string) []byte {
	var b bytes.Buffer
	for off := 0; ; off = min(off+size, len(payload)) {
		data := payload[off:min(off+size, len(payload))]
		if s != nil {
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", len(data), s.chunk(data))
		} else {
			fmt.Fprintf(&b, "%x\r\n", len(data))
		}
		if len(data) == 0 {
			break
		}
		b.Write(data)
		b.WriteString("\r\n")
	}
	if len(trailers) > 0 {
		sorted := append([][2]string(nil), trailers...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i][0] < sorted[j][0] })
		canon := ""
		for _, t := range sorted {
			b.WriteString(t[0] + ":" + t[1] + "\r\n")
			canon += t[0] + ":" + t[1] + "\n"
		}
		if s != nil {
			b.WriteString("x-amz-trailer-signature:" + s.trailer(canon) + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

// The "Example PUT Object" of the AWS docs, "Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks".
func TestChunkedAWSDocExample(t *testing.T) {
	sigs := []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	const seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	payload := bytes.Repeat([]byte{'a'}, 66560)

	// Our encoder reproduces the documented chunk signatures.
	s := &chunkSigner{key: signingKey(awsSK, "20130524", "us-east-1"), date: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request", prev: seed}
	body := encodeChunked(payload, 65536, s, nil)
	docBody := fmt.Sprintf("10000;chunk-signature=%s\r\n%s\r\n400;chunk-signature=%s\r\n%s\r\n0;chunk-signature=%s\r\n\r\n",
		sigs[0], payload[:65536], sigs[1], payload[:1024], sigs[2])
	if string(body) != docBody || len(body) != 66824 {
		t.Fatalf("encoder differs from the documented body (len %d)", len(body))
	}

	build := func(body []byte) *http.Request {
		r := mustReq(t, "PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", string(body))
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
		r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
			"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
			"Signature="+seed)
		return r
	}
	v := verifierAt(docTime)
	sv := roundTrip(t, v, build([]byte(docBody)), "examplebucket", "chunkObject.txt")
	if sv.err != nil {
		t.Fatalf("seed signature: %v", sv.err)
	}
	if sv.res.SeedSignature != seed || sv.res.Scope != "20130524/us-east-1/s3/aws4_request" || !auth.IsAWSChunked(sv.req) {
		t.Fatalf("result %+v", sv.res)
	}
	if sv.bodyErr != nil || !bytes.Equal(sv.body, payload) {
		t.Fatalf("decoded %d bytes, err %v", len(sv.body), sv.bodyErr)
	}

	// Each chunk signature matters.
	for i := range sigs {
		bad := []byte(docBody)
		j := bytes.Index(bad, []byte(sigs[i]))
		bad[j] ^= 1
		sv := roundTrip(t, v, build(bad), "examplebucket", "chunkObject.txt")
		if sv.err != nil {
			t.Fatal(sv.err)
		}
		wantCode(t, sv.bodyErr, "SignatureDoesNotMatch")
	}
	// And so does every data byte.
	bad := []byte(docBody)
	bad[66000] = 'b'
	sv = roundTrip(t, v, build(bad), "examplebucket", "chunkObject.txt")
	wantCode(t, sv.bodyErr, "SignatureDoesNotMatch")
}

// The trailer example of "Signature calculations for trailing headers".
func TestChunkedAWSDocTrailerExample(t *testing.T) {
	const seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	sigs := []string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	const trailerSig = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
	payload := bytes.Repeat([]byte{'a'}, 66560)
	s := &chunkSigner{key: signingKey(awsSK, "20130524", "us-east-1"), date: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request", prev: seed}
	body := encodeChunked(payload, 65536, s, [][2]string{{"x-amz-checksum-crc32c", "sOO8/Q=="}})
	for _, sig := range append(sigs, trailerSig) {
		if !bytes.Contains(body, []byte(sig)) {
			t.Fatalf("encoder did not produce documented signature %s", sig)
		}
	}
	res := auth.Result{
		Scheme: auth.SchemeAWSV4, Dialect: auth.DialectS3, AccessKeyID: awsAK,
		PayloadHash:   auth.StreamingSignedPayloadTrailer,
		SeedSignature: seed, SigningKey: signingKey(awsSK, "20130524", "us-east-1"),
		Scope: "20130524/us-east-1/s3/aws4_request", SigningTime: docTime,
	}
	hdr := http.Header{}
	hdr.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
	hdr.Set("X-Amz-Decoded-Content-Length", "66560")
	cr, err := auth.NewChunkedReader(bytes.NewReader(body), res, hdr)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Trailers() != nil {
		t.Fatal("trailers before EOF")
	}
	got, err := io.ReadAll(cr)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	if cr.Trailers().Get("x-amz-checksum-crc32c") != "sOO8/Q==" {
		t.Fatalf("trailers %v", cr.Trailers())
	}
	// A tampered trailer signature.
	bad := bytes.Replace(body, []byte(trailerSig), []byte(strings.Repeat("0", 64)), 1)
	cr, _ = auth.NewChunkedReader(bytes.NewReader(bad), res, hdr)
	_, err = io.ReadAll(cr)
	wantCode(t, err, "SignatureDoesNotMatch")
}

func checksumOf(name string, data []byte) string {
	switch name {
	case "x-amz-checksum-crc32":
		var b [4]byte
		v := crc32.ChecksumIEEE(data)
		b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		return base64.StdEncoding.EncodeToString(b[:])
	case "x-amz-checksum-crc32c":
		var b [4]byte
		v := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
		b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		return base64.StdEncoding.EncodeToString(b[:])
	case "x-amz-checksum-sha256":
		h := sha256.Sum256(data)
		return base64.StdEncoding.EncodeToString(h[:])
	}
	panic(name)
}

func TestChunkedKnownChecksums(t *testing.T) {
	// aws-sdk-go-v2's vectors for "hello world".
	want := map[string]string{
		"x-amz-checksum-crc32":     "DUoRhQ==",
		"x-amz-checksum-crc32c":    "yZRlqg==",
		"x-amz-checksum-crc64nvme": "jSnVw/bqjr4=",
		"x-amz-checksum-sha1":      "Kq5sNclPz7QV2+lfQIuc6R7oRu0=",
		"x-amz-checksum-sha256":    "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
	}
	for name, sum := range want {
		t.Run(name, func(t *testing.T) {
			payload := []byte("hello world")
			for _, v := range []string{sum, "AAAA" + sum[4:]} {
				body := encodeChunked(payload, 4, nil, [][2]string{{name, v}})
				hdr := http.Header{}
				hdr.Set("X-Amz-Trailer", name)
				hdr.Set("X-Amz-Content-Sha256", auth.StreamingUnsignedPayloadTrailer)
				res := auth.Result{Scheme: auth.SchemeAWSV4, PayloadHash: auth.StreamingUnsignedPayloadTrailer}
				cr, err := auth.NewChunkedReader(bytes.NewReader(body), res, hdr)
				if err != nil {
					t.Fatal(err)
				}
				got, err := readAll(cr)
				if v == sum {
					if err != nil || string(got) != "hello world" || cr.Trailers().Get(name) != sum {
						t.Fatalf("%q %v", got, err)
					}
				} else {
					wantCode(t, err, "BadDigest")
				}
			}
		})
	}
}

func TestChunkedRandomRoundTrips(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	key := signingKey(awsSK, "20240501", "cn-hangzhou")
	scope := "20240501/cn-hangzhou/s3/aws4_request"
	when := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := 0; i < 60; i++ {
		size := []int{0, 1, 100, 8192, 65536, 200000}[i%6]
		payload := make([]byte, size)
		rng.Read(payload)
		chunk := []int{1, 7, 8192, 65536}[rng.Intn(4)]
		if chunk < 100 && size > 10000 {
			chunk = 4096
		}
		mode := []string{auth.StreamingSignedPayload, auth.StreamingSignedPayloadTrailer, auth.StreamingUnsignedPayloadTrailer}[i%3]
		signed := mode != auth.StreamingUnsignedPayloadTrailer
		trailer := mode != auth.StreamingSignedPayload
		var s *chunkSigner
		res := auth.Result{Scheme: auth.SchemeAWSV4, PayloadHash: mode}
		if signed {
			seed := hex.EncodeToString(hmacSHA(key, strconv.Itoa(i)))
			s = &chunkSigner{key: key, date: "20240501T080000Z", scope: scope, prev: seed}
			res.SeedSignature, res.SigningKey, res.Scope, res.SigningTime = seed, key, scope, when
		}
		hdr := http.Header{}
		hdr.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(size))
		var trailers [][2]string
		if trailer {
			name := []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha256"}[i%3]
			trailers = [][2]string{{name, checksumOf(name, payload)}}
			hdr.Set("X-Amz-Trailer", name)
		}
		body := encodeChunked(payload, chunk, s, trailers)
		cr, err := auth.NewChunkedReader(bytes.NewReader(body), res, hdr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(cr)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("case %d (%s, %d/%d): %d bytes, %v", i, mode, size, chunk, len(got), err)
		}
		// Truncation anywhere is an error, never a silent success.
		cut := rng.Intn(len(body) - 2)
		cr, _ = auth.NewChunkedReader(bytes.NewReader(body[:cut]), res, hdr)
		if _, err := io.ReadAll(cr); err == nil {
			t.Fatalf("case %d: truncated body at %d/%d accepted", i, cut, len(body))
		}
	}
}

func TestChunkedErrors(t *testing.T) {
	payload := []byte("hello world, hello chunks")
	unsigned := auth.Result{Scheme: auth.SchemeAWSV4, PayloadHash: auth.StreamingUnsignedPayloadTrailer}
	crcHdr := func() http.Header {
		h := http.Header{}
		h.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		return h
	}
	good := encodeChunked(payload, 5, nil, [][2]string{{"x-amz-checksum-crc32", checksumOf("x-amz-checksum-crc32", payload)}})
	cases := []struct {
		name string
		body string
		hdr  http.Header
		res  auth.Result
		want string
	}{
		{"ok", string(good), crcHdr(), unsigned, ""},
		{"bad size", "zz\r\nhello\r\n0\r\n\r\n", nil, unsigned, "InvalidChunkSizeError"},
		{"negative size", "-5\r\nhello\r\n0\r\n\r\n", nil, unsigned, "InvalidChunkSizeError"},
		{"huge size", "ffffffffffffffff\r\nhello\r\n0\r\n\r\n", nil, unsigned, "InvalidChunkSizeError"},
		{"long size line", "5;" + strings.Repeat("x", 5000) + "\r\nhello\r\n0\r\n\r\n", nil, unsigned, "InvalidChunkSizeError"},
		{"short data", "5\r\nhel", nil, unsigned, "IncompleteBody"},
		{"huge chunk, short body", "7fffffffffffff\r\nhello", nil, unsigned, "IncompleteBody"},
		{"missing crlf", "5\r\nhelloX\r\n0\r\n\r\n", nil, unsigned, "IncompleteBody"},
		{"no final chunk", "5\r\nhello\r\n", nil, unsigned, "IncompleteBody"},
		{"missing declared trailer", "5\r\nhello\r\n0\r\n\r\n", crcHdr(), unsigned, "MalformedTrailerError"},
		{"undeclared checksum", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n", nil, unsigned, "MalformedTrailerError"},
		{"trailer without colon", "5\r\nhello\r\n0\r\ngarbage\r\n\r\n", nil, unsigned, "MalformedTrailerError"},
		{"huge trailer", "5\r\nhello\r\n0\r\n" + strings.Repeat("x-a:"+strings.Repeat("v", 4000)+"\r\n", 5) + "\r\n", nil, unsigned, "MalformedTrailerError"},
		{"decoded length short", "5\r\nhello\r\n0\r\n\r\n", http.Header{"X-Amz-Decoded-Content-Length": {"6"}}, unsigned, "IncompleteBody"},
		{"decoded length long", "5\r\nhello\r\n0\r\n\r\n", http.Header{"X-Amz-Decoded-Content-Length": {"4"}}, unsigned, "IncompleteBody"},
		{"bad checksum", strings.Replace(string(good), checksumOf("x-amz-checksum-crc32", payload), "AAAAAA==", 1), crcHdr(), unsigned, "BadDigest"},
		{"signed without signature", "5\r\nhello\r\n0\r\n\r\n", nil, auth.Result{Scheme: auth.SchemeAWSV4, PayloadHash: auth.StreamingSignedPayload,
			SeedSignature: emptyHash, SigningKey: []byte("k"), Scope: "s", SigningTime: docTime}, "SignatureDoesNotMatch"},
		{"trailer in non-trailer mode", "0\r\nx-a:b\r\n\r\n", nil, auth.Result{Scheme: auth.SchemeAWSV4, PayloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
			SeedSignature: emptyHash, SigningKey: []byte("k"), Scope: "s", SigningTime: docTime}, "SignatureDoesNotMatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hdr := c.hdr
			if hdr == nil {
				hdr = http.Header{}
			}
			cr, err := auth.NewChunkedReader(strings.NewReader(c.body), c.res, hdr)
			if err != nil {
				t.Fatal(err)
			}
			_, err = readAll(cr)
			wantCode(t, err, c.want)
			if c.want != "" {
				// Sticky.
				if _, err2 := cr.Read(make([]byte, 1)); code(err2) != c.want {
					t.Fatalf("second read: %v", err2)
				}
			}
		})
	}
	// Constructor errors.
	if _, err := auth.NewChunkedReader(strings.NewReader(""), auth.Result{PayloadHash: auth.StreamingSignedPayload}, http.Header{}); code(err) != "InvalidRequest" {
		t.Fatalf("signed without key: %v", err)
	}
	if _, err := auth.NewChunkedReader(strings.NewReader(""), unsigned, http.Header{"X-Amz-Trailer": {"x-amz-checksum-md99"}}); code(err) != "InvalidArgument" {
		t.Fatalf("bad trailer algorithm: %v", err)
	}
	if _, err := auth.NewChunkedReader(strings.NewReader(""), unsigned, http.Header{"X-Amz-Decoded-Content-Length": {"x"}}); code(err) != "InvalidArgument" {
		t.Fatalf("bad decoded length: %v", err)
	}
}

// An anonymous aws-chunked upload decodes through Result.Body.
func TestChunkedAnonymousBody(t *testing.T) {
	v := verifierAt(time.Now())
	r := mustReq(t, "PUT", "http://bucket.s3.amazonaws.com/k", string(encodeChunked([]byte("public data"), 3, nil, nil)))
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Content-Sha256", auth.StreamingUnsignedPayloadTrailer)
	s := roundTrip(t, v, r, "bucket", "k")
	if s.err != nil || !s.res.Anonymous || s.res.Dialect != auth.DialectS3 || string(s.body) != "public data" || s.bodyErr != nil {
		t.Fatalf("%+v %q %v", s.res, s.body, s.bodyErr)
	}
	_ = context.Background
}

func TestIsAWSChunked(t *testing.T) {
	for _, c := range []struct {
		enc, sha string
		want     bool
	}{
		{"aws-chunked", "", true},
		{"gzip, aws-chunked", "", true},
		{"AWS-CHUNKED", "", true},
		{"gzip", "", false},
		{"", auth.StreamingUnsignedPayloadTrailer, true},
		{"", auth.UnsignedPayload, false},
	} {
		r := mustReq(t, "PUT", "http://b/k", "")
		if c.enc != "" {
			r.Header.Set("Content-Encoding", c.enc)
		}
		if c.sha != "" {
			r.Header.Set("X-Amz-Content-Sha256", c.sha)
		}
		if got := auth.IsAWSChunked(r); got != c.want {
			t.Errorf("%q/%q: %v", c.enc, c.sha, got)
		}
	}
}

func TestNewPayloadHashVerifier(t *testing.T) {
	const body = "payload"
	sum := sha256Hex(body)
	got, err := io.ReadAll(auth.NewPayloadHashVerifier(strings.NewReader(body), strings.ToUpper(sum)))
	if err != nil || string(got) != body {
		t.Fatalf("%q %v", got, err)
	}
	rd := auth.NewPayloadHashVerifier(strings.NewReader(body+"x"), sum)
	_, err = io.ReadAll(rd)
	e := wantCode(t, err, "XAmzContentSHA256Mismatch")
	if e.ClientSHA256 != sum || e.ComputedSHA256 != sha256Hex(body+"x") || e.StatusCode != 400 {
		t.Fatalf("%+v", e)
	}
	if _, err := rd.Read(make([]byte, 1)); code(err) != "XAmzContentSHA256Mismatch" {
		t.Fatal("not sticky")
	}
}
