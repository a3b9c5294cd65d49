package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
)

var matrixTime = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

type schemeCase struct {
	name      string
	scheme    auth.Scheme
	dialect   auth.Dialect
	presigned bool
	sign      func(t *testing.T, ak, sk string) *http.Request
}

func allSchemes() []schemeCase {
	const u = "http://bucket.example.com/dir/key%20one.txt?versionId=v1"
	return []schemeCase{
		{"OSS V1 header", auth.SchemeOSSV1, auth.DialectOSS, false, func(t *testing.T, ak, sk string) *http.Request {
			r := mustReq(t, "GET", u, "")
			auth.SignOSSV1(r, ak, sk, "bucket", "dir/key one.txt", matrixTime)
			return r
		}},
		{"OSS V1 presigned", auth.SchemeOSSV1, auth.DialectOSS, true, func(t *testing.T, ak, sk string) *http.Request {
			r := mustReq(t, "GET", u, "")
			auth.PresignOSSV1(r, ak, sk, "bucket", "dir/key one.txt", matrixTime.Add(10*time.Minute))
			return r
		}},
		{"OSS V4 header", auth.SchemeOSSV4, auth.DialectOSS, false, func(t *testing.T, ak, sk string) *http.Request {
			r := mustReq(t, "GET", u, "")
			auth.SignOSSV4(r, ak, sk, "cn-beijing", "bucket", "dir/key one.txt", matrixTime)
			return r
		}},
		{"OSS V4 presigned", auth.SchemeOSSV4, auth.DialectOSS, true, func(t *testing.T, ak, sk string) *http.Request {
			r := mustReq(t, "GET", u, "")
			auth.PresignOSSV4(r, ak, sk, "cn-beijing", "bucket", "dir/key one.txt", matrixTime, 10*time.Minute)
			return r
		}},
		{"AWS V4 header", auth.SchemeAWSV4, auth.DialectS3, false, func(t *testing.T, ak, sk string) *http.Request {
			r := mustReq(t, "GET", u, "")
			r.Header.Set("X-Amz-Content-Sha256", auth.UnsignedPayload)
			c := awsCreds("")
			c.AccessKeyID, c.SecretAccessKey = ak, sk
			if err := s3Signer().SignHTTP(context.Background(), c, r, auth.UnsignedPayload, "s3", "eu-west-1", matrixTime); err != nil {
				t.Fatal(err)
			}
			return r
		}},
		{"AWS V4 presigned", auth.SchemeAWSV4, auth.DialectS3, true, func(t *testing.T, ak, sk string) *http.Request {
			r := mustReq(t, "GET", u+"&X-Amz-Expires=600", "")
			c := awsCreds("")
			c.AccessKeyID, c.SecretAccessKey = ak, sk
			s, _, err := s3Signer().PresignHTTP(context.Background(), c, r, auth.UnsignedPayload, "s3", "eu-west-1", matrixTime)
			if err != nil {
				t.Fatal(err)
			}
			return mustReq(t, "GET", s, "")
		}},
		{"AWS V2 header", auth.SchemeAWSV2, auth.DialectS3, false, func(t *testing.T, ak, sk string) *http.Request {
			r := mustReq(t, "GET", u, "")
			signV2(r, ak, sk, "/bucket/dir/key%20one.txt?versionId=v1", matrixTime.Format(http.TimeFormat), 0)
			return r
		}},
		{"AWS V2 presigned", auth.SchemeAWSV2, auth.DialectS3, true, func(t *testing.T, ak, sk string) *http.Request {
			r := mustReq(t, "GET", u, "")
			signV2(r, ak, sk, "/bucket/dir/key%20one.txt?versionId=v1", "", matrixTime.Add(10*time.Minute).Unix())
			return r
		}},
	}
}

// Every scheme: success, unknown key, wrong secret, clock skew or expiry,
// header and query auth together, another resource, a tampered signature.
func TestEverySchemeFailureModes(t *testing.T) {
	ctx := context.Background()
	const bucket, key = "bucket", "dir/key one.txt"
	for _, sc := range allSchemes() {
		t.Run(sc.name, func(t *testing.T) {
			v := verifierAt(matrixTime.Add(time.Minute))

			s := roundTrip(t, v, sc.sign(t, "ak", "sk"), bucket, key)
			if s.err != nil {
				t.Fatalf("verify: %v", s.err)
			}
			if s.res.Scheme != sc.scheme || s.res.Dialect != sc.dialect || s.res.Presigned != sc.presigned || s.res.AccessKeyID != "ak" || s.res.Anonymous {
				t.Fatalf("result %+v", s.res)
			}
			if sc.scheme.String() == "unknown" || sc.dialect.String() == "" {
				t.Fatal("names")
			}

			_, err := v.Verify(ctx, sc.sign(t, "nobody", "sk"), bucket, key)
			e := wantCode(t, err, "InvalidAccessKeyId")
			if !errors.Is(err, auth.ErrUnknownAccessKey) || e.AccessKeyID != "nobody" || e.StatusCode != 403 {
				t.Fatalf("%+v", e)
			}

			_, err = v.Verify(ctx, sc.sign(t, "ak", "other-secret"), bucket, key)
			e = wantCode(t, err, "SignatureDoesNotMatch")
			if e.StringToSign == "" || e.SignatureProvided == "" || e.AccessKeyID != "ak" {
				t.Fatalf("%+v", e)
			}
			if len(e.Details(sc.dialect)) < 3 {
				t.Fatalf("details %+v", e.Details(sc.dialect))
			}

			if sc.presigned {
				_, err = verifierAt(matrixTime.Add(11*time.Minute)).Verify(ctx, sc.sign(t, "ak", "sk"), bucket, key)
				e = wantCode(t, err, "AccessDenied")
				if !strings.HasPrefix(e.Message, "Request has expired") || e.Expires.IsZero() {
					t.Fatalf("%+v", e)
				}
				r := sc.sign(t, "ak", "sk")
				r.Header.Set("Authorization", "OSS ak:c2lnbmF0dXJl")
				_, err = v.Verify(ctx, r, bucket, key)
				wantCode(t, err, "AccessDenied")
			} else {
				for _, d := range []time.Duration{-16 * time.Minute, 16 * time.Minute} {
					_, err = verifierAt(matrixTime.Add(d)).Verify(ctx, sc.sign(t, "ak", "sk"), bucket, key)
					wantCode(t, err, "RequestTimeTooSkewed")
				}
				for _, q := range []string{"OSSAccessKeyId=ak", "x-oss-signature-version=OSS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA256", "AWSAccessKeyId=ak&Signature=x"} {
					r := sc.sign(t, "ak", "sk")
					r.URL.RawQuery += "&" + q
					_, err = v.Verify(ctx, r, bucket, key)
					wantCode(t, err, "AccessDenied")
				}
			}

			_, err = v.Verify(ctx, sc.sign(t, "ak", "sk"), bucket, "dir/key two.txt")
			if sc.scheme == auth.SchemeAWSV4 || sc.scheme == auth.SchemeAWSV2 {
				// The AWS schemes sign the path itself; change that.
				r := sc.sign(t, "ak", "sk")
				r.URL.Path = "/dir/key two.txt"
				r.URL.RawPath = ""
				_, err = v.Verify(ctx, r, bucket, "dir/key two.txt")
			}
			wantCode(t, err, "SignatureDoesNotMatch")

			r := sc.sign(t, "ak", "sk")
			if sc.presigned {
				q := r.URL.Query()
				for _, name := range []string{"Signature", "x-oss-signature", "X-Amz-Signature"} {
					if sig := q.Get(name); sig != "" {
						q.Set(name, strings.ToUpper(sig[:1])+"X"+sig[2:])
					}
				}
				r.URL.RawQuery = q.Encode()
			} else {
				tamperHeader(r, "Authorization")
			}
			_, err = v.Verify(ctx, r, bucket, key)
			wantCode(t, err, "SignatureDoesNotMatch")
		})
	}
}

func TestAnonymous(t *testing.T) {
	v := verifierAt(time.Now())
	res, err := v.Verify(context.Background(), mustReq(t, "GET", "http://b.example.com/k?prefix=a", ""), "b", "k")
	if err != nil || !res.Anonymous || res.Scheme != auth.SchemeAnonymous || res.Dialect != auth.DialectOSS || res.AccessKeyID != "" {
		t.Fatalf("%v %+v", err, res)
	}
	r := mustReq(t, "GET", "http://b.example.com/k", "")
	r.Header.Set("X-Amz-Content-Sha256", auth.UnsignedPayload)
	res, err = v.Verify(context.Background(), r, "b", "k")
	if err != nil || !res.Anonymous || res.Dialect != auth.DialectS3 {
		t.Fatalf("%v %+v", err, res)
	}
	if b, err := res.Body(strings.NewReader("x"), r.Header); err != nil || b == nil {
		t.Fatal(err)
	}
}

func TestUnknownAuthorization(t *testing.T) {
	v := verifierAt(time.Now())
	for a, want := range map[string]string{
		"Bearer xyz":                          "AccessDenied",
		"OSS2 AccessKeyId:ak,Signature:x":     "AccessDenied",
		"OSS noColon":                         "AccessDenied",
		"OSS :sig":                            "AccessDenied",
		"AWS4-ECDSA-P256-SHA256 Credential=x": "InvalidArgument",
		"AWS ak":                              "AuthorizationHeaderMalformed",
	} {
		r := mustReq(t, "GET", "http://b.example.com/k", "")
		r.Header.Set("Date", time.Now().Format(http.TimeFormat))
		r.Header.Set("Authorization", a)
		res, err := v.Verify(context.Background(), r, "b", "k")
		wantCode(t, err, want)
		if res.Anonymous {
			t.Fatalf("%q treated as anonymous", a)
		}
	}
}

type failingCreds struct{}

func (failingCreds) SecretFor(context.Context, string) (string, error) {
	return "", errors.New("database down")
}

func TestCredentialLookupFailure(t *testing.T) {
	r := mustReq(t, "GET", "http://b.example.com/k", "")
	auth.SignOSSV4(r, "ak", "sk", "cn-hangzhou", "b", "k", time.Now())
	_, err := (&auth.Verifier{Creds: failingCreds{}}).Verify(context.Background(), r, "b", "k")
	e := wantCode(t, err, "InternalError")
	if e.StatusCode != 500 || e.Unwrap() == nil || !strings.Contains(err.Error(), "database down") {
		t.Fatalf("%+v", e)
	}
	_, err = (&auth.Verifier{}).Verify(context.Background(), r, "b", "k")
	wantCode(t, err, "InternalError")
}

func TestMissingDate(t *testing.T) {
	for _, a := range []string{"OSS ak:c2ln", "AWS " + awsAK + ":c2ln"} {
		r := mustReq(t, "GET", "http://b.example.com/k", "")
		r.Header.Set("Authorization", a)
		_, err := verifierAt(time.Now()).Verify(context.Background(), r, "b", "k")
		wantCode(t, err, "AccessDenied")
		r.Header.Set("Date", "yesterday")
		_, err = verifierAt(time.Now()).Verify(context.Background(), r, "b", "k")
		wantCode(t, err, "AccessDenied")
	}
}

// OSS V1 header signed over x-oss-date only (browsers cannot set Date).
func TestOSSV1XOSSDateOnly(t *testing.T) {
	r := mustReq(t, "GET", "http://b.example.com/k", "")
	auth.SignOSSV1(r, "ak", "sk", "b", "k", matrixTime)
	date := r.Header.Get("Date")
	r.Header.Del("Date")
	r.Header.Del("Authorization")
	r.Header.Set("x-oss-date", date)
	// Sign again with the Date slot holding x-oss-date.
	r2 := r.Clone(context.Background())
	r2.Header.Set("Date", date)
	auth.SignOSSV1(r2, "ak", "sk", "b", "k", matrixTime)
	r.Header.Set("Authorization", r2.Header.Get("Authorization"))
	if _, err := verifierAt(matrixTime).Verify(context.Background(), r, "b", "k"); err != nil {
		t.Fatal(err)
	}
}

func TestErrorDetails(t *testing.T) {
	e := &auth.Error{Code: "SignatureDoesNotMatch", Message: "m", AccessKeyID: "ak", StringToSign: "AB", SignatureProvided: "sig", CanonicalRequest: "C"}
	got := e.Details(auth.DialectS3)
	want := []auth.Detail{{"AWSAccessKeyId", "ak"}, {"StringToSign", "AB"}, {"SignatureProvided", "sig"},
		{"StringToSignBytes", "41 42"}, {"CanonicalRequest", "C"}, {"CanonicalRequestBytes", "43"}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%d: %+v want %+v", i, got[i], want[i])
		}
	}
	got = e.Details(auth.DialectOSS)
	if got[0].Name != "StringToSign" || got[1].Value != "41 42" || got[len(got)-1] != (auth.Detail{"OSSAccessKeyId", "ak"}) {
		t.Fatalf("%+v", got)
	}
	e = &auth.Error{Code: "XAmzContentSHA256Mismatch", ClientSHA256: "a", ComputedSHA256: "b"}
	if d := e.Details(auth.DialectS3); len(d) != 2 || d[1].Name != "S3ComputedContentSHA256" {
		t.Fatalf("%+v", d)
	}
	e = &auth.Error{Code: "InvalidArgument", Message: "m", ArgumentName: "x-oss-expires", ArgumentValue: "9"}
	if d := e.Details(auth.DialectOSS); len(d) != 2 || d[0].Value != "x-oss-expires" {
		t.Fatalf("%+v", d)
	}
	if !strings.Contains(e.Error(), "InvalidArgument") {
		t.Fatal(e.Error())
	}
}

func TestPresignOSSV4Options(t *testing.T) {
	r := mustReq(t, "GET", "http://b.example.com/k", "")
	r.Header.Set("X-Custom", "v")
	u := auth.PresignOSSV4(r, "ak", "sk", "cn-hangzhou", "b", "k", matrixTime, 30*24*time.Hour,
		auth.WithSecurityToken("tok"), auth.WithAdditionalHeaders("x-custom", "host"), auth.WithProduct("oss-cloudbox"))
	pu, _ := url.Parse(u)
	q := pu.Query()
	if q.Get("x-oss-expires") != strconv.Itoa(604800) || q.Get("x-oss-security-token") != "tok" ||
		q.Get("x-oss-additional-headers") != "host;x-custom" || !strings.Contains(q.Get("x-oss-credential"), "/oss-cloudbox/") {
		t.Fatal(u)
	}
	s := roundTrip(t, verifierAt(matrixTime), r, "b", "k")
	if s.err != nil || s.res.SecurityToken != "tok" {
		t.Fatalf("%v %+v", s.err, s.res)
	}
	r = mustReq(t, "GET", u, "")
	r.Header.Set("X-Custom", "other")
	s = roundTrip(t, verifierAt(matrixTime), r, "b", "k")
	wantCode(t, s.err, "SignatureDoesNotMatch")
}
