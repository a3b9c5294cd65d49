package auth_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	ossv2cred "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	ossv1 "github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/ossflow/ossflow/auth"
)

// fakeStore is a tiny path-style object store that authenticates every
// request with the verifier and reads bodies through Result.Body, so the
// official SDKs can be pointed at it.
type fakeStore struct {
	v *auth.Verifier

	mu       sync.Mutex
	objects  map[string][]byte
	failures []string
	seen     []auth.Result
	trailers []http.Header
	chunked  int
}

func newFakeStore() *fakeStore {
	return &fakeStore{v: &auth.Verifier{Creds: testCreds}, objects: map[string][]byte{}}
}

func (f *fakeStore) fail(format string, err error, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, format+": "+err.Error()+" ["+r.Method+" "+r.RequestURI+"]")
}

func (f *fakeStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	res, err := f.v.Verify(r.Context(), r, bucket, key)
	if err != nil {
		f.fail("verify", err, r)
		var e *auth.Error
		errors.As(err, &e)
		w.WriteHeader(e.StatusCode)
		xml.NewEncoder(w).Encode(struct {
			XMLName xml.Name `xml:"Error"`
			Code    string
			Message string
		}{Code: e.Code, Message: e.Message})
		return
	}
	f.mu.Lock()
	f.seen = append(f.seen, res)
	f.mu.Unlock()
	crc := func(b []byte) string { return strconv.FormatUint(crc64.Checksum(b, crc64.MakeTable(crc64.ECMA)), 10) }
	switch r.Method {
	case http.MethodPut:
		rd, err := res.Body(r.Body, r.Header)
		var data []byte
		if err == nil {
			data, err = io.ReadAll(rd)
		}
		if err != nil {
			f.fail("body", err, r)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.objects[bucket+"/"+key] = data
		if cr, ok := rd.(*auth.ChunkedReader); ok {
			f.chunked++
			f.trailers = append(f.trailers, cr.Trailers())
		}
		f.mu.Unlock()
		sum := md5.Sum(data)
		w.Header().Set("ETag", `"`+strings.ToUpper(hex.EncodeToString(sum[:]))+`"`)
		w.Header().Set("x-oss-hash-crc64ecma", crc(data))
		w.WriteHeader(http.StatusOK)
	case http.MethodGet, http.MethodHead:
		if key == "" {
			w.Header().Set("Content-Type", "application/xml")
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>`+bucket+`</Name><IsTruncated>false</IsTruncated></ListBucketResult>`)
			return
		}
		f.mu.Lock()
		data, ok := f.objects[bucket+"/"+key]
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Header().Set("x-oss-hash-crc64ecma", crc(data))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(data)
		}
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *fakeStore) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.failures {
		t.Error(s)
	}
}

func s3Client(srv *httptest.Server) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return awsCreds(""), nil }),
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		// What config.LoadDefaultConfig resolves by default.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
	})
}

// onlyReader hides Seek so the SDK must stream with unknown length.
type onlyReader struct{ io.Reader }

// The real aws-sdk-go-v2 S3 client: over TLS it sends aws-chunked bodies
// with STREAMING-UNSIGNED-PAYLOAD-TRAILER and a trailing CRC32; over plain
// HTTP a hex x-amz-content-sha256 plus an x-amz-checksum-crc32 header.
func TestS3ClientEndToEnd(t *testing.T) {
	for _, tls := range []bool{true, false} {
		t.Run(map[bool]string{true: "https", false: "http"}[tls], func(t *testing.T) {
			store := newFakeStore()
			var srv *httptest.Server
			if tls {
				srv = httptest.NewTLSServer(store)
			} else {
				srv = httptest.NewServer(store)
			}
			defer srv.Close()
			c := s3Client(srv)
			ctx := context.Background()
			key := "dir/sub dir/file+name (1)~中文.txt"
			payload := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320000 bytes

			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key),
				Body: bytes.NewReader(payload), ContentType: aws.String("text/plain"),
				Metadata: map[string]string{"color": "blue"}}); err != nil {
				t.Fatal(err)
			}
			if tls {
				// Unknown length: several 64 KiB chunks.
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("streamed"),
					Body: onlyReader{bytes.NewReader(payload)}}); err != nil {
					t.Fatal(err)
				}
			}
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if !bytes.Equal(got, payload) {
				t.Fatalf("round trip: %d bytes", len(got))
			}
			if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bucket"), Prefix: aws.String("dir/sub dir/"), Delimiter: aws.String("/")}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)}); err != nil {
				t.Fatal(err)
			}

			// Presigned GET and PUT.
			pc := s3.NewPresignClient(c)
			store.objects["bucket/"+key] = payload
			pg, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)}, s3.WithPresignExpires(10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Get(pg.URL)
			if err != nil {
				t.Fatal(err)
			}
			got, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(got, payload) {
				t.Fatalf("presigned get: %d", resp.StatusCode)
			}
			pp, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("presigned put")})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(pp.Method, pp.URL, strings.NewReader("via presigned url"))
			for k, vs := range pp.SignedHeader {
				if !strings.EqualFold(k, "host") {
					req.Header[k] = vs
				}
			}
			resp, err = srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || string(store.objects["bucket/presigned put"]) != "via presigned url" {
				t.Fatalf("presigned put: %d", resp.StatusCode)
			}
			store.check(t)

			store.mu.Lock()
			defer store.mu.Unlock()
			for _, res := range store.seen {
				if res.Scheme != auth.SchemeAWSV4 || res.AccessKeyID != awsAK {
					t.Fatalf("result %+v", res)
				}
			}
			if tls {
				if store.chunked != 2 {
					t.Fatalf("%d aws-chunked uploads, want 2", store.chunked)
				}
				for _, tr := range store.trailers {
					if tr.Get("x-amz-checksum-crc32") == "" {
						t.Fatalf("trailers %v", tr)
					}
				}
			} else if store.chunked != 0 {
				t.Fatalf("%d aws-chunked uploads over http", store.chunked)
			}
		})
	}
}

// A wrong secret in the S3 client is refused.
func TestS3ClientWrongSecret(t *testing.T) {
	store := newFakeStore()
	srv := httptest.NewServer(store)
	defer srv.Close()
	c := s3.New(s3.Options{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: awsAK, SecretAccessKey: "wrong"}, nil
		}),
		BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
		RetryMaxAttempts: 1,
	})
	_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("err = %v", err)
	}
}

// The real OSS SDKv2 client with V4 (default) and V1 signing.
func TestOSSSDKv2ClientEndToEnd(t *testing.T) {
	for _, ver := range []ossv2.SignatureVersionType{ossv2.SignatureVersionV4, ossv2.SignatureVersionV1} {
		t.Run(ver.String(), func(t *testing.T) {
			store := newFakeStore()
			srv := httptest.NewServer(store)
			defer srv.Close()
			cfg := ossv2.LoadDefaultConfig().
				WithCredentialsProvider(ossv2cred.NewStaticCredentialsProvider("ak", "sk", "sts-token")).
				WithRegion("cn-hangzhou").
				WithEndpoint(srv.URL).
				WithUsePathStyle(true).
				WithSignatureVersion(ver).
				WithRetryMaxAttempts(1)
			c := ossv2.NewClient(cfg)
			ctx := context.Background()
			key := "dir/a b+c~!中.txt"
			if _, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("bucket"), Key: ossv2.Ptr(key),
				Body: strings.NewReader("hello oss"), Metadata: map[string]string{"owner": "me"}, ContentType: ossv2.Ptr("text/plain")}); err != nil {
				t.Fatal(err)
			}
			out, err := c.GetObject(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("bucket"), Key: ossv2.Ptr(key)})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(b) != "hello oss" {
				t.Fatalf("got %q", b)
			}
			if _, err := c.ListObjectsV2(ctx, &ossv2.ListObjectsV2Request{Bucket: ossv2.Ptr("bucket"), Prefix: ossv2.Ptr("dir/"), MaxKeys: 10}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteObject(ctx, &ossv2.DeleteObjectRequest{Bucket: ossv2.Ptr("bucket"), Key: ossv2.Ptr(key)}); err != nil {
				t.Fatal(err)
			}
			store.objects["bucket/"+key] = []byte("presigned")
			pr, err := c.Presign(ctx, &ossv2.GetObjectRequest{Bucket: ossv2.Ptr("bucket"), Key: ossv2.Ptr(key)}, ossv2.PresignExpires(10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Get(pr.URL)
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "presigned" {
				t.Fatalf("presigned: %d %q (%s)", resp.StatusCode, b, pr.URL)
			}
			store.check(t)
			want := auth.SchemeOSSV4
			if ver == ossv2.SignatureVersionV1 {
				want = auth.SchemeOSSV1
			}
			for _, res := range store.seen {
				if res.Scheme != want || res.AccessKeyID != "ak" || res.SecurityToken != "sts-token" || res.Dialect != auth.DialectOSS {
					t.Fatalf("result %+v", res)
				}
			}
		})
	}
}

// The real OSS SDKv1 client (signing is internal to its conn.go), V1 and V4.
func TestOSSSDKv1ClientEndToEnd(t *testing.T) {
	for _, ver := range []ossv1.AuthVersionType{ossv1.AuthV1, ossv1.AuthV4} {
		t.Run(string(ver), func(t *testing.T) {
			store := newFakeStore()
			srv := httptest.NewServer(store)
			defer srv.Close()
			c, err := ossv1.New(srv.URL, "ak", "sk", ossv1.ForcePathStyle(true), ossv1.AuthVersion(ver), ossv1.Region("cn-hangzhou"))
			if err != nil {
				t.Fatal(err)
			}
			bk, err := c.Bucket("bucket")
			if err != nil {
				t.Fatal(err)
			}
			key := "dir/a b+c~!中.txt"
			if err := bk.PutObject(key, strings.NewReader("hello v1"), ossv1.Meta("owner", "me"), ossv1.ContentType("text/plain")); err != nil {
				t.Fatal(err)
			}
			rc, err := bk.GetObject(key, ossv1.ResponseContentType("text/html; charset=utf-8"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != "hello v1" {
				t.Fatalf("got %q", b)
			}
			if _, err := bk.ListObjects(ossv1.Prefix("dir/"), ossv1.MaxKeys(5)); err != nil {
				t.Fatal(err)
			}
			u, err := bk.SignURL(key, ossv1.HTTPGet, 600)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Get(u)
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "hello v1" {
				t.Fatalf("signed url: %d %q (%s)", resp.StatusCode, b, u)
			}
			store.check(t)
		})
	}
}
