package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type fuzzCreds struct{}

func (fuzzCreds) SecretFor(_ context.Context, ak string) (string, error) {
	if ak == "ak" || ak == "AKIAIOSFODNN7EXAMPLE" {
		return "sk", nil
	}
	return "", ErrUnknownAccessKey
}

// FuzzParseAuthorization feeds arbitrary Authorization headers, dates and
// query strings through the parsers and the whole verifier: nothing may
// panic, and every failure must be an *Error.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=", "Wed, 28 Dec 2022 10:27:41 GMT", "acl")
	f.Add("OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a41", "20231216T162057Z", "%2Bparam1=value3&param2")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab", "20130524T000000Z", "")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", "Tue, 27 Mar 2007 19:36:42 +0000", "uploads")
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("", "", "x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20231217T025437Z&x-oss-expires=599&x-oss-signature=a3")
	f.Add("", "", "OSSAccessKeyId=ak&Expires=1699807420&Signature=dcLTea%2BYh9ApirQ8o8dOPqtvJXQ%3D")
	f.Add("", "", "AWSAccessKeyId=a&Expires=1&Signature=%zz")
	f.Add("OSS4-HMAC-SHA256 Credential=/////,,,=,Signature=", "x", "&&==&%")
	v := &Verifier{Creds: fuzzCreds{}, Now: func() time.Time { return time.Date(2023, 12, 16, 16, 20, 0, 0, time.UTC) }}
	f.Fuzz(func(t *testing.T, authz, date, query string) {
		detectHeaderScheme(authz)
		parseAuthParams(authz)
		parseV4Credential(authz, ossV4Terminator)
		splitAKSig(authz)
		parseHTTPDate(date)
		splitHeaderList(authz)
		pairs := parseQuery(query)
		canonicalQueryV4(pairs, true, false, "")
		canonicalQueryV4(pairs, false, true, "X-Amz-Signature")
		ossV1Resource("b", authz, pairs)
		awsV2Resource("/"+authz, pairs, true)

		r := &http.Request{
			Method:     "PUT",
			URL:        &url.URL{Path: "/k", RawQuery: query},
			Header:     http.Header{},
			Host:       "b.example.com",
			RequestURI: "/k?" + query,
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if date != "" {
			r.Header.Set("Date", date)
			r.Header.Set("x-oss-date", date)
			r.Header.Set("X-Amz-Date", date)
		}
		r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		res, err := v.Verify(context.Background(), r, "b", "k")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.StatusCode == 0 {
				t.Fatalf("not an *Error: %v", err)
			}
			e.Details(DialectOSS)
			e.Details(DialectS3)
			return
		}
		if !res.Anonymous && res.AccessKeyID == "" {
			t.Fatalf("authenticated without a key: %+v", res)
		}
	})
}

// FuzzChunkedReader decodes arbitrary bodies in every mode: nothing may
// panic, errors must be *Error values, and a clean EOF must honour
// x-amz-decoded-content-length.
func FuzzChunkedReader(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint8(0), "", "5")
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"), uint8(0), "x-amz-checksum-crc32", "")
	f.Add([]byte("5;chunk-signature=0000000000000000000000000000000000000000000000000000000000000000\r\nhello\r\n0;chunk-signature=00\r\n\r\n"), uint8(1), "", "5")
	f.Add([]byte("0;chunk-signature=0000000000000000000000000000000000000000000000000000000000000000\r\nx-amz-checksum-sha256:x\r\nx-amz-trailer-signature:00\r\n\r\n"), uint8(2), "x-amz-checksum-sha256", "0")
	f.Add([]byte("fffffffffffffff\r\n"), uint8(0), "x-amz-checksum-crc64nvme", "")
	f.Fuzz(func(t *testing.T, body []byte, mode uint8, trailer, decoded string) {
		res := Result{Scheme: SchemeAWSV4, SeedSignature: strings.Repeat("0", 64), SigningKey: []byte("key"),
			Scope: "20130524/us-east-1/s3/aws4_request", SigningTime: time.Unix(1369353600, 0)}
		res.PayloadHash = []string{StreamingUnsignedPayloadTrailer, StreamingSignedPayload, StreamingSignedPayloadTrailer, UnsignedPayload}[mode%4]
		hdr := http.Header{}
		if trailer != "" {
			hdr.Set("X-Amz-Trailer", trailer)
		}
		if decoded != "" {
			hdr.Set("X-Amz-Decoded-Content-Length", decoded)
		}
		cr, err := NewChunkedReader(bytes.NewReader(body), res, hdr)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("constructor error not an *Error: %v", err)
			}
			return
		}
		out, err := io.ReadAll(cr)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			if cr.Trailers() != nil {
				t.Fatal("trailers after a failure")
			}
			return
		}
		if cr.decodedLen >= 0 && int64(len(out)) != cr.decodedLen {
			t.Fatalf("decoded %d bytes, header says %d", len(out), cr.decodedLen)
		}
		if len(out) > len(body) {
			t.Fatal("more output than input")
		}
	})
}
