package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/ossflow/ossflow/auth"
)

// s3Escape escapes a key the way the S3 SDKs put it in the path.
func s3Escape(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

func awsCreds(token string) aws.Credentials {
	return aws.Credentials{AccessKeyID: awsAK, SecretAccessKey: awsSK, SessionToken: token}
}

// s3Signer is the real SigV4 signer configured as the S3 client uses it.
func s3Signer() *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

type s3Case struct {
	name, method, host, path, query, bucket, key, body, payload, token, region string
	hdr                                                                        map[string]string
}

func s3Cases() []s3Case {
	key := "dir/a b+c~!*'()=&中.txt"
	return []s3Case{
		{name: "virtual-hosted get", method: "GET", host: "bucket.s3.oss-cn-hangzhou.aliyuncs.com", path: "/" + s3Escape(key),
			bucket: "bucket", key: key, payload: auth.UnsignedPayload, region: "cn-hangzhou"},
		{name: "path-style put signed payload", method: "PUT", host: "127.0.0.1:9000", path: "/bucket/" + s3Escape(key),
			bucket: "bucket", key: key, body: "hello world", payload: sha256Hex("hello world"), region: "us-east-1",
			hdr: map[string]string{"Content-Type": "text/plain", "X-Amz-Meta-Color": "  blue   green ", "X-Amz-Storage-Class": "STANDARD"}},
		{name: "list with odd query", method: "GET", host: "bucket.s3.amazonaws.com", path: "/",
			query:  "list-type=2&prefix=a%20b%2Bc%2F&delimiter=%2F&start-after=x%3Dy&encoding-type=url",
			bucket: "bucket", payload: auth.UnsignedPayload, region: "us-west-2", token: "session-token"},
		{name: "service", method: "GET", host: "s3.amazonaws.com", path: "/", payload: sha256Hex(""), region: "us-east-1"},
		{name: "subresource", method: "PUT", host: "bucket.s3.amazonaws.com", path: "/", query: "acl=",
			bucket: "bucket", body: "<AccessControlPolicy/>", payload: auth.UnsignedPayload, region: "any-region-name",
			hdr: map[string]string{"Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}},
	}
}

func (c s3Case) request(t *testing.T) *http.Request {
	r := mustReq(t, c.method, "http://"+c.host+"/", c.body)
	r.URL.Path, _ = url.PathUnescape(c.path)
	r.URL.RawPath = c.path
	r.URL.RawQuery = c.query
	for k, v := range c.hdr {
		r.Header.Set(k, v)
	}
	return r
}

func TestAWSV4SDKSignerHeader(t *testing.T) {
	signTime := time.Now().UTC().Truncate(time.Second)
	v := verifierAt(signTime.Add(3 * time.Minute))
	for _, c := range s3Cases() {
		t.Run(c.name, func(t *testing.T) {
			sign := func() *http.Request {
				r := c.request(t)
				r.Header.Set("X-Amz-Content-Sha256", c.payload)
				if err := s3Signer().SignHTTP(context.Background(), awsCreds(c.token), r, c.payload, "s3", c.region, signTime); err != nil {
					t.Fatal(err)
				}
				return r
			}
			// Client-side request object.
			res, err := v.Verify(context.Background(), sign(), c.bucket, c.key)
			if err != nil {
				t.Fatal(err)
			}
			// Through a real server.
			s := roundTrip(t, v, sign(), c.bucket, c.key)
			if s.err != nil || s.bodyErr != nil {
				t.Fatalf("server: %v / body %v (uri %q)", s.err, s.bodyErr, s.req.RequestURI)
			}
			if string(s.body) != c.body {
				t.Fatalf("body %q", s.body)
			}
			res = s.res
			if res.Scheme != auth.SchemeAWSV4 || res.Dialect != auth.DialectS3 || res.AccessKeyID != awsAK ||
				res.Region != c.region || res.SecurityToken != c.token || res.PayloadHash != c.payload ||
				res.SeedSignature == "" || len(res.SigningKey) != 32 || res.Presigned {
				t.Fatalf("result %+v", res)
			}

			// Tamper: method, path, query, a signed header, the signature.
			tampers := map[string]func(r *http.Request){
				"method": func(r *http.Request) { r.Method = "POST" },
				"path":   func(r *http.Request) { r.URL.RawPath = r.URL.RawPath + "x"; r.URL.Path += "x" },
				"query":  func(r *http.Request) { r.URL.RawQuery += "&versionId=1" },
				"date": func(r *http.Request) {
					r.Header.Set("X-Amz-Date", signTime.Add(time.Second).Format("20060102T150405Z"))
				},
				"signature": func(r *http.Request) { tamperHeader(r, "Authorization") },
				"host":      func(r *http.Request) { r.Host = "other" + c.host },
			}
			for name, tamper := range tampers {
				r := sign()
				tamper(r)
				s := roundTrip(t, v, r, c.bucket, c.key)
				if s.err == nil {
					t.Fatalf("tamper %s: verified", name)
				}
				e := wantCode(t, s.err, "SignatureDoesNotMatch")
				if e.CanonicalRequest == "" || e.StringToSign == "" {
					t.Fatalf("tamper %s: %+v", name, e)
				}
			}
			if c.body != "" && c.payload != auth.UnsignedPayload {
				r := sign()
				r.Body = ioNopCloser(strings.NewReader(strings.ToUpper(c.body)))
				s := roundTrip(t, v, r, c.bucket, c.key)
				if s.err != nil {
					t.Fatal(s.err)
				}
				wantCode(t, s.bodyErr, "XAmzContentSHA256Mismatch")
			}
		})
	}
}

func TestAWSV4SDKSignerPresign(t *testing.T) {
	signTime := time.Now().UTC().Truncate(time.Second)
	for _, c := range s3Cases() {
		t.Run(c.name, func(t *testing.T) {
			presign := func(expires time.Duration) *http.Request {
				r := c.request(t)
				// The S3 presigner passes X-Amz-Expires in the query.
				q := r.URL.Query()
				q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
				r.URL.RawQuery = q.Encode()
				u, hdr, err := s3Signer().PresignHTTP(context.Background(), awsCreds(c.token), r, auth.UnsignedPayload, "s3", c.region, signTime)
				if err != nil {
					t.Fatal(err)
				}
				out := mustReq(t, c.method, u, c.body)
				for k, vs := range hdr {
					if strings.EqualFold(k, "host") {
						continue
					}
					out.Header[k] = vs
				}
				return out
			}
			v := verifierAt(signTime.Add(time.Minute))
			s := roundTrip(t, v, presign(15*time.Minute), c.bucket, c.key)
			if s.err != nil {
				t.Fatalf("%v (uri %q)", s.err, s.req.RequestURI)
			}
			if !s.res.Presigned || s.res.SecurityToken != c.token || !s.res.Expires.Equal(signTime.Add(15*time.Minute)) || string(s.body) != c.body {
				t.Fatalf("result %+v body %q", s.res, s.body)
			}
			// Expired.
			s = roundTrip(t, verifierAt(signTime.Add(16*time.Minute)), presign(15*time.Minute), c.bucket, c.key)
			if e := wantCode(t, s.err, "AccessDenied"); e.Message != "Request has expired" || e.Expires.IsZero() {
				t.Fatalf("%+v", e)
			}
			// Tampered query.
			r := presign(15 * time.Minute)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=900", "X-Amz-Expires=901", 1)
			s = roundTrip(t, v, r, c.bucket, c.key)
			wantCode(t, s.err, "SignatureDoesNotMatch")
			// Header auth at the same time.
			r = presign(15 * time.Minute)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			s = roundTrip(t, v, r, c.bucket, c.key)
			wantCode(t, s.err, "AccessDenied")
			// Unsigned x-amz-* header smuggled in.
			r = presign(15 * time.Minute)
			r.Header.Set("X-Amz-Acl", "public-read")
			s = roundTrip(t, v, r, c.bucket, c.key)
			if e := wantCode(t, s.err, "AccessDenied"); e.HeadersNotSigned != "x-amz-acl" {
				t.Fatalf("%+v", e)
			}
		})
	}
}

func TestAWSV4PresignParameterErrors(t *testing.T) {
	signTime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	base := func() url.Values {
		r := mustReq(t, "GET", "http://bucket.s3.amazonaws.com/key", "")
		q := r.URL.Query()
		q.Set("X-Amz-Expires", "3600")
		r.URL.RawQuery = q.Encode()
		u, _, err := s3Signer().PresignHTTP(context.Background(), awsCreds(""), r, auth.UnsignedPayload, "s3", "us-east-1", signTime)
		if err != nil {
			t.Fatal(err)
		}
		pu, _ := url.Parse(u)
		return pu.Query()
	}
	cases := map[string]func(q url.Values){
		"expires too long": func(q url.Values) { q.Set("X-Amz-Expires", "604801") },
		"expires negative": func(q url.Values) { q.Set("X-Amz-Expires", "-1") },
		"expires nan":      func(q url.Values) { q.Set("X-Amz-Expires", "soon") },
		"no credential":    func(q url.Values) { q.Del("X-Amz-Credential") },
		"no date":          func(q url.Values) { q.Del("X-Amz-Date") },
		"bad date":         func(q url.Values) { q.Set("X-Amz-Date", "2024-05-01T12:00:00Z") },
		"bad algorithm":    func(q url.Values) { q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA1") },
		"bad credential":   func(q url.Values) { q.Set("X-Amz-Credential", awsAK+"/20240501/us-east-1/ec2/aws4_request") },
		"date mismatch":    func(q url.Values) { q.Set("X-Amz-Credential", awsAK+"/20240502/us-east-1/s3/aws4_request") },
		"host unsigned":    func(q url.Values) { q.Set("X-Amz-SignedHeaders", "x-amz-date") },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			q := base()
			mod(q)
			r := mustReq(t, "GET", "http://bucket.s3.amazonaws.com/key?"+q.Encode(), "")
			_, err := verifierAt(signTime).Verify(context.Background(), r, "bucket", "key")
			if e := wantCode(t, err, "AuthorizationQueryParametersError"); e.StatusCode != http.StatusBadRequest {
				t.Fatal(e.StatusCode)
			}
		})
	}
	// The maximum is accepted.
	q := base()
	if _, err := verifierAt(signTime).Verify(context.Background(), mustReq(t, "GET", "http://bucket.s3.amazonaws.com/key?"+q.Encode(), ""), "bucket", "key"); err != nil {
		t.Fatal(err)
	}
}

func TestAWSV4HeaderErrors(t *testing.T) {
	signTime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	sign := func(ak string, mod func(r *http.Request)) *http.Request {
		r := mustReq(t, "GET", "http://bucket.s3.amazonaws.com/key", "")
		r.Header.Set("X-Amz-Content-Sha256", auth.UnsignedPayload)
		if mod != nil {
			mod(r)
		}
		creds := awsCreds("")
		creds.AccessKeyID = ak
		if err := s3Signer().SignHTTP(ctx, creds, r, auth.UnsignedPayload, "s3", "us-east-1", signTime); err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Skew both ways.
	for _, d := range []time.Duration{16 * time.Minute, -16 * time.Minute} {
		_, err := verifierAt(signTime.Add(d)).Verify(ctx, sign(awsAK, nil), "bucket", "key")
		e := wantCode(t, err, "RequestTimeTooSkewed")
		det := e.Details(auth.DialectS3)
		if len(det) != 3 || det[2].Value != "900000" {
			t.Fatalf("details %+v", det)
		}
	}
	// Custom MaxSkew.
	v := verifierAt(signTime.Add(2 * time.Minute))
	v.MaxSkew = time.Minute
	_, err := v.Verify(ctx, sign(awsAK, nil), "bucket", "key")
	wantCode(t, err, "RequestTimeTooSkewed")
	// Unknown key.
	_, err = verifierAt(signTime).Verify(ctx, sign("AKIDUNKNOWN", nil), "bucket", "key")
	e := wantCode(t, err, "InvalidAccessKeyId")
	if !strings.Contains(e.Message, "AWS Access Key Id") {
		t.Fatal(e.Message)
	}
	// Missing x-amz-content-sha256.
	r := sign(awsAK, func(r *http.Request) { r.Header.Del("X-Amz-Content-Sha256") })
	r.Header.Del("X-Amz-Content-Sha256")
	_, err = verifierAt(signTime).Verify(ctx, r, "bucket", "key")
	wantCode(t, err, "InvalidRequest")
	// Bogus x-amz-content-sha256.
	r = sign(awsAK, func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "nope") })
	_, err = verifierAt(signTime).Verify(ctx, r, "bucket", "key")
	wantCode(t, err, "InvalidArgument")
	// An unsigned x-amz-* header.
	r = sign(awsAK, nil)
	r.Header.Set("X-Amz-Copy-Source", "/other/secret")
	_, err = verifierAt(signTime).Verify(ctx, r, "bucket", "key")
	if e := wantCode(t, err, "AccessDenied"); e.HeadersNotSigned != "x-amz-copy-source" {
		t.Fatalf("%+v", e)
	}
	// Malformed headers.
	for _, a := range []string{
		"AWS4-HMAC-SHA256 Credential=" + awsAK + "/20240501/us-east-1/s3/aws4_request, Signature=00",
		"AWS4-HMAC-SHA256 Credential=" + awsAK + "/20240501/us-east-1/s3, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=" + awsAK + "/20240501/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=" + awsAK + "/20240502/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 Credential=" + awsAK + "/20240501/us-east-1/s3/aws4_request, SignedHeaders=x-amz-date, Signature=00",
		"AWS4-HMAC-SHA256 nonsense",
	} {
		r := sign(awsAK, nil)
		r.Header.Set("Authorization", a)
		_, err = verifierAt(signTime).Verify(ctx, r, "bucket", "key")
		wantCode(t, err, "AuthorizationHeaderMalformed")
	}
	// SigV4a is not supported.
	r = sign(awsAK, nil)
	r.Header.Set("Authorization", "AWS4-ECDSA-P256-SHA256 Credential=x")
	_, err = verifierAt(signTime).Verify(ctx, r, "bucket", "key")
	wantCode(t, err, "InvalidArgument")
}
