package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/ossflow/ossflow/auth"
)

type rawError struct {
	Code       string
	Message    string
	RequestID  string `xml:"RequestId"`
	HostID     string `xml:"HostId"`
	EC         string
	Key        string
	BucketName string
}

// do sends r and returns the response with its body read.
func (s *testServer) do(t *testing.T, r *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := s.httpClient().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func parseRawError(t *testing.T, body []byte) rawError {
	t.Helper()
	var e rawError
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e
}

// ossV4Request is a request signed as SDKv2 signs it.
func (s *testServer) ossV4Request(t *testing.T, method, bucket, key, body string, at time.Time, hdr ...string) *http.Request {
	t.Helper()
	u := s.URL + "/"
	if bucket != "" {
		u += bucket + "/" + key
	}
	r, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	auth.SignOSSV4(r, rootAK, rootSK, region, bucket, key, at)
	return r
}

// awsRequest is a SigV4-signed S3 request with the given payload hash.
func (s *testServer) awsRequest(t *testing.T, method, path string, body io.Reader, payloadHash string, hdr ...string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := aws.Credentials{AccessKeyID: rootAK, SecretAccessKey: rootSK}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, r, payloadHash, "s3", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestRawProtocol(t *testing.T) {
	s := newServer(t, false)
	resp, body := s.do(t, s.ossV4Request(t, "PUT", "raw", "", "", time.Now()))
	if resp.StatusCode != 200 {
		t.Fatalf("create bucket: %d %s", resp.StatusCode, body)
	}

	t.Run("RequestTimeTooSkewed", func(t *testing.T) {
		resp, body := s.do(t, s.ossV4Request(t, "GET", "raw", "", "", time.Now().Add(-30*time.Minute)))
		e := parseRawError(t, body)
		if resp.StatusCode != 403 || e.Code != "RequestTimeTooSkewed" || resp.Header.Get("X-Oss-Ec") == "" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		// SDKv2 re-syncs its clock from the response Date.
		d, err := http.ParseTime(resp.Header.Get("Date"))
		if err != nil || time.Since(d) > time.Minute || time.Since(d) < -time.Minute {
			t.Fatalf("Date %q", resp.Header.Get("Date"))
		}
		if !strings.Contains(string(body), "<ServerTime>") {
			t.Fatalf("no ServerTime: %s", body)
		}
	})

	t.Run("HeadErrorHeader", func(t *testing.T) {
		resp, body := s.do(t, s.ossV4Request(t, "HEAD", "raw", "missing", "", time.Now()))
		if resp.StatusCode != 404 || len(body) != 0 || resp.Header.Get("X-Oss-Ec") != "0026-00000001" {
			t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
		x, err := base64.StdEncoding.DecodeString(resp.Header.Get("X-Oss-Err"))
		if err != nil {
			t.Fatal(err)
		}
		if e := parseRawError(t, x); e.Code != "NoSuchKey" || e.Key != "missing" || e.RequestID != resp.Header.Get("X-Oss-Request-Id") {
			t.Fatalf("x-oss-err %s", x)
		}
	})

	t.Run("OSSPayloadHashMismatch", func(t *testing.T) {
		r := s.ossV4Request(t, "PUT", "raw", "hashed", "actual body", time.Now(), "X-Oss-Content-Sha256", sha256Hex("other body"))
		resp, body := s.do(t, r)
		if e := parseRawError(t, body); resp.StatusCode != 400 || e.Code != "InvalidDigest" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if resp, _ := s.do(t, s.ossV4Request(t, "HEAD", "raw", "hashed", "", time.Now())); resp.StatusCode != 404 {
			t.Fatalf("object stored despite a bad payload hash: %d", resp.StatusCode)
		}
		r = s.ossV4Request(t, "PUT", "raw", "hashed", "actual body", time.Now(), "X-Oss-Content-Sha256", sha256Hex("actual body"))
		if resp, body := s.do(t, r); resp.StatusCode != 200 {
			t.Fatalf("good payload hash: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("S3PayloadHashMismatch", func(t *testing.T) {
		r := s.awsRequest(t, "PUT", "/raw/s3hashed", strings.NewReader("actual"), sha256Hex("other"))
		resp, body := s.do(t, r)
		// S3's own code and message.
		if e := parseRawError(t, body); resp.StatusCode != 400 || e.Code != "XAmzContentSHA256Mismatch" || !strings.Contains(e.Message, "x-amz-content-sha256") || resp.Header.Get("X-Amz-Request-Id") == "" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if resp, _ := s.do(t, s.awsRequest(t, "HEAD", "/raw/s3hashed", nil, sha256Hex(""))); resp.StatusCode != 404 {
			t.Fatalf("object stored despite a bad payload hash: %d", resp.StatusCode)
		}
		// An empty body with a wrong hash fails too.
		resp, body = s.do(t, s.awsRequest(t, "PUT", "/raw/s3empty", strings.NewReader(""), sha256Hex("x")))
		if resp.StatusCode != 400 {
			t.Fatalf("empty body, wrong hash: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("AWSChunkedTrailer", func(t *testing.T) {
		data := "chunked payload data"
		sum := crc32.ChecksumIEEE([]byte(data))
		good := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
		chunked := func(crc string) string {
			return fmt.Sprintf("%x\r\n%s\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\n", len(data), data, crc)
		}
		send := func(key, crc string) (*http.Response, []byte) {
			return s.do(t, s.awsRequest(t, "PUT", "/raw/"+key, strings.NewReader(chunked(crc)), auth.StreamingUnsignedPayloadTrailer,
				"Content-Encoding", "aws-chunked", "X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)),
				"X-Amz-Trailer", "x-amz-checksum-crc32"))
		}
		resp, body := send("chunk-bad", "AAAAAA==")
		if e := parseRawError(t, body); resp.StatusCode != 400 || e.Code != "BadDigest" {
			t.Fatalf("bad trailer: %d %s", resp.StatusCode, body)
		}
		if resp, _ := s.do(t, s.awsRequest(t, "HEAD", "/raw/chunk-bad", nil, sha256Hex(""))); resp.StatusCode != 404 {
			t.Fatalf("object stored despite a bad trailer: %d", resp.StatusCode)
		}
		resp, body = send("chunk-good", good)
		if resp.StatusCode != 200 || resp.Header.Get("X-Amz-Checksum-Crc32") != good {
			t.Fatalf("good trailer: %d %s %v", resp.StatusCode, body, resp.Header)
		}
		resp, body = s.do(t, s.awsRequest(t, "GET", "/raw/chunk-good", nil, sha256Hex(""), "X-Amz-Checksum-Mode", "ENABLED"))
		if string(body) != data || resp.Header.Get("X-Amz-Checksum-Crc32") != good || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("get: %q %v", body, resp.Header)
		}
	})

	t.Run("Anonymous", func(t *testing.T) {
		s.do(t, s.ossV4Request(t, "PUT", "raw", "private", "secret", time.Now()))
		resp, body := s.do(t, mustRequest(t, "GET", s.URL+"/raw/private"))
		if e := parseRawError(t, body); resp.StatusCode != 403 || e.Code != "AccessDenied" || e.EC == "" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		resp, _ = s.do(t, mustRequest(t, "GET", s.URL+"/"))
		if resp.StatusCode != 403 {
			t.Fatalf("anonymous ListBuckets: %d", resp.StatusCode)
		}
	})

	t.Run("MethodsAndNotImplemented", func(t *testing.T) {
		resp, body := s.do(t, s.ossV4Request(t, "PATCH", "raw", "k", "", time.Now()))
		if e := parseRawError(t, body); resp.StatusCode != 405 || e.Code != "MethodNotAllowed" {
			t.Fatalf("PATCH: %d %s", resp.StatusCode, body)
		}
		r := s.ossV4Request(t, "GET", "raw", "", "", time.Now())
		r.URL.RawQuery = "website"
		resp, body = s.do(t, r)
		if e := parseRawError(t, body); resp.StatusCode != 501 || e.Code != "NotImplemented" {
			t.Fatalf("GET ?website: %d %s", resp.StatusCode, body)
		}
	})

	if n := s.obs.count("HeadObject"); n < 3 {
		t.Fatalf("observer saw %d HeadObject calls", n)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
