package auth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// The worked examples of the S3 docs, "Signing and authenticating REST
// requests (AWS signature version 2)".
func TestAWSV2DocExamples(t *testing.T) {
	cases := []struct {
		name, method, url, bucket, key, date, sig string
		hdr                                       map[string]string
	}{
		{"object get", "GET", "http://awsexamplebucket1.us-west-1.s3.amazonaws.com/photos/puppy.jpg", "awsexamplebucket1", "photos/puppy.jpg",
			"Tue, 27 Mar 2007 19:36:42 +0000", "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=", nil},
		{"object put", "PUT", "http://awsexamplebucket1.s3.us-west-1.amazonaws.com/photos/puppy.jpg", "awsexamplebucket1", "photos/puppy.jpg",
			"Tue, 27 Mar 2007 21:15:45 +0000", "iqRzw+ileNPu1fhspnRs8nOjjIA=", map[string]string{"Content-Type": "image/jpeg"}},
		{"list", "GET", "http://awsexamplebucket1.s3.us-west-1.amazonaws.com/?prefix=photos&max-keys=50&marker=puppy", "awsexamplebucket1", "",
			"Tue, 27 Mar 2007 19:42:41 +0000", "m0WP8eCtspQl5Ahe6L1SozdX9YA=", map[string]string{"User-Agent": "Mozilla/5.0"}},
		{"fetch acl", "GET", "http://awsexamplebucket1.s3.us-west-1.amazonaws.com/?acl", "awsexamplebucket1", "",
			"Tue, 27 Mar 2007 19:44:46 +0000", "82ZHiFIjc+WbcwFKGUVEQspPn+0=", nil},
		{"delete with x-amz-date", "DELETE", "http://s3.us-west-1.amazonaws.com/awsexamplebucket1/photos/puppy.jpg", "awsexamplebucket1", "photos/puppy.jpg",
			"Tue, 27 Mar 2007 21:20:27 +0000", "XbyTlbQdu9Xw5o8P4iMwPktxQd8=", map[string]string{"x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000"}},
		{"upload with amz headers", "PUT", "http://static.johnsmith.net:8080/db-backup.dat.gz", "static.johnsmith.net", "db-backup.dat.gz",
			"Tue, 27 Mar 2007 21:06:08 +0000", "ilyl83RwaSoYIEdixDQcA4OnAnc=", map[string]string{
				"x-amz-acl": "public-read", "content-type": "application/x-download", "Content-MD5": "4gJE4saaMU4BqNR0kLY+lw==",
				"X-Amz-Meta-ReviewedBy": "joe@johnsmith.net", "X-Amz-Meta-FileChecksum": "0x02661779", "X-Amz-Meta-ChecksumAlgorithm": "crc32",
				"Content-Disposition": "attachment; filename=database.dat", "Content-Encoding": "gzip"}},
		{"list buckets", "GET", "http://s3.us-west-1.amazonaws.com/", "", "",
			"Wed, 28 Mar 2007 01:29:59 +0000", "qGdzdERIC03wnaRNKh6OqZehG9s=", nil},
		{"unicode keys", "GET", "http://s3.us-west-1.amazonaws.com/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "dictionary", "français/préfère",
			"Wed, 28 Mar 2007 01:49:49 +0000", "DNEZGsoieTZ92F3bUfSPQcbGmlM=", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustReq(t, c.method, c.url, "")
			r.Header.Set("Date", c.date)
			for k, v := range c.hdr {
				r.Header.Set(k, v)
			}
			if c.name == "upload with amz headers" {
				r.Header.Add("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net")
			}
			r.Header.Set("Authorization", "AWS "+awsAK+":"+c.sig)
			now, err := time.Parse(time.RFC1123Z, c.date)
			if err != nil {
				t.Fatal(err)
			}
			s := roundTrip(t, verifierAt(now.Add(time.Minute)), r, c.bucket, c.key)
			if s.err != nil {
				t.Fatalf("%v (uri %q)", s.err, s.req.RequestURI)
			}
			if s.res.Scheme != auth.SchemeAWSV2 || s.res.Dialect != auth.DialectS3 || s.res.AccessKeyID != awsAK || s.res.Region != "cn-hangzhou" {
				t.Fatalf("%+v", s.res)
			}
			r.Header.Set("Authorization", "AWS "+awsAK+":"+strings.Replace(c.sig, c.sig[:2], "AA", 1))
			s = roundTrip(t, verifierAt(now), r, c.bucket, c.key)
			wantCode(t, s.err, "SignatureDoesNotMatch")
		})
	}
}

func TestAWSV2DocPresign(t *testing.T) {
	const u = "http://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620"
	exp := time.Unix(1175139620, 0)
	s := roundTrip(t, verifierAt(exp.Add(-time.Hour)), mustReq(t, "GET", u, ""), "johnsmith", "photos/puppy.jpg")
	if s.err != nil {
		t.Fatal(s.err)
	}
	if !s.res.Presigned || !s.res.Expires.Equal(exp) || s.res.Scheme != auth.SchemeAWSV2 {
		t.Fatalf("%+v", s.res)
	}
	s = roundTrip(t, verifierAt(exp.Add(time.Second)), mustReq(t, "GET", u, ""), "johnsmith", "photos/puppy.jpg")
	wantCode(t, s.err, "AccessDenied")
	s = roundTrip(t, verifierAt(exp.Add(-time.Hour)), mustReq(t, "GET", strings.Replace(u, "puppy", "kitty", 1), ""), "johnsmith", "photos/kitty.jpg")
	wantCode(t, s.err, "SignatureDoesNotMatch")
}

// signV2 is a botocore-style (HmacV1Auth) SigV2 signer for the tests.
func signV2(r *http.Request, ak, sk, resource string, date string, presignExpires int64) {
	var amz []string
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") {
			amz = append(amz, lk+":"+strings.Join(vs, ","))
		}
	}
	sort.Strings(amz)
	canon := ""
	for _, a := range amz {
		canon += a + "\n"
	}
	if presignExpires != 0 {
		date = itoa64(presignExpires)
	} else {
		r.Header.Set("Date", date)
	}
	sts := r.Method + "\n" + r.Header.Get("Content-MD5") + "\n" + r.Header.Get("Content-Type") + "\n" + date + "\n" + canon + resource
	h := hmac.New(sha1.New, []byte(sk))
	h.Write([]byte(sts))
	sig := base64.StdEncoding.EncodeToString(h.Sum(nil))
	if presignExpires != 0 {
		q := r.URL.Query()
		q.Set("AWSAccessKeyId", ak)
		q.Set("Expires", date)
		q.Set("Signature", sig)
		r.URL.RawQuery = q.Encode()
		return
	}
	r.Header.Set("Authorization", "AWS "+ak+":"+sig)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func TestAWSV2SignerVariants(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	date := now.Format(http.TimeFormat)
	ctx := context.Background()
	// Sub-resources with decoded values, response overrides, security token.
	r := mustReq(t, "GET", "http://b.s3.amazonaws.com/a%20b.txt?versionId=v%2F1&response-content-type=text%2Fplain&prefix=ignored", "")
	r.Header.Set("X-Amz-Security-Token", "tok")
	signV2(r, awsAK, awsSK, "/b/a%20b.txt?response-content-type=text/plain&versionId=v/1", date, 0)
	res, err := verifierAt(now).Verify(ctx, r, "b", "a b.txt")
	if err != nil || res.SecurityToken != "tok" {
		t.Fatalf("%v %+v", err, res)
	}
	// botocore presign: x-amz-* headers moved into the query.
	r = mustReq(t, "PUT", "http://b.s3.amazonaws.com/k", "data")
	r.Header.Set("x-amz-acl", "private")
	r.Header.Set("Content-Type", "text/plain")
	signV2(r, awsAK, awsSK, "/b/k", "", now.Add(time.Hour).Unix())
	q := r.URL.Query()
	q.Set("x-amz-acl", "private")
	q.Set("content-type", "text/plain")
	r.URL.RawQuery = q.Encode()
	r.Header.Del("x-amz-acl")
	r.Header.Del("Content-Type")
	res, err = verifierAt(now).Verify(ctx, r, "b", "k")
	if err != nil || !res.Presigned {
		t.Fatalf("%v %+v", err, res)
	}
	// x-amz-date with an empty Date slot (the documented rule).
	r = mustReq(t, "GET", "http://b.s3.amazonaws.com/k", "")
	r.Header.Set("x-amz-date", date)
	signV2(r, awsAK, awsSK, "/b/k", "", 0) // empty Date slot
	r.Header.Del("Date")
	if _, err := verifierAt(now).Verify(ctx, r, "b", "k"); err != nil {
		t.Fatal(err)
	}
}
