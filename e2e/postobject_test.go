package e2e

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/sdk/client"
)

// post sends a PostObject form to bucket.
func (e *env) post(t *testing.T, bucket string, fields []formField, filename string, file []byte, fileFirst bool) (*http.Response, string) {
	t.Helper()
	ct, body := multipartForm(t, fields, filename, file, fileFirst)
	return raw(t, "POST", e.ts.Endpoint+"/"+bucket, bytes.NewReader(body), map[string]string{"Content-Type": ct})
}

// signedFields returns the fields of a form signed with (ak, sk, token):
// the given fields first, then the authentication ones.
func signedFields(t *testing.T, v4 bool, ak, sk, token string, p access.PostPolicy, fields ...formField) []formField {
	t.Helper()
	var auth map[string]string
	var err error
	if v4 {
		auth, err = access.PostFormV4(ak, sk, token, region, time.Now(), p)
	} else {
		auth, err = access.PostFormV1(ak, sk, token, p)
	}
	must(t, err)
	out := append([]formField{}, fields...)
	for k, v := range auth {
		out = append(out, formField{k, v})
	}
	return out
}

func (e *env) head(t *testing.T, bucket, key string) (*ossv2.HeadObjectResult, error) {
	return e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, "").HeadObject(t.Context(), &ossv2.HeadObjectRequest{Bucket: &bucket, Key: &key})
}

func TestPostObject(t *testing.T) {
	e := start(t)
	e.bucket(t, "post-bkt", "private")
	ak, sk := e.ts.AccessKeyID, e.ts.AccessKeySecret
	policy := func(conds ...any) access.PostPolicy {
		return access.PostPolicy{Expiration: time.Now().Add(time.Hour), Conditions: append([]any{
			map[string]string{"bucket": "post-bkt"},
			[]any{"starts-with", "$key", "uploads/"},
			[]any{"content-length-range", 1, 1000},
		}, conds...)}
	}

	for _, v4 := range []bool{false, true} {
		name := "V1"
		if v4 {
			name = "V4"
		}
		t.Run(name, func(t *testing.T) {
			key := "uploads/" + name + "/${filename}"
			fields := signedFields(t, v4, ak, sk, "", policy(), formField{"key", key}, formField{"success_action_status", "201"},
				formField{"x-oss-meta-owner", "web"}, formField{"Content-Type", "text/plain"})
			r, b := e.post(t, "post-bkt", fields, "hello.txt", []byte("hello post"), false)
			wantStatus(t, r, b, 201, "")
			var pr struct {
				Bucket, Location, Key, ETag string
			}
			must(t, xml.Unmarshal([]byte(b), &pr))
			want := "uploads/" + name + "/hello.txt"
			if pr.Bucket != "post-bkt" || pr.Key != want || pr.ETag == "" || !strings.HasSuffix(pr.Location, "/post-bkt/"+want) {
				t.Fatalf("PostResponse %+v", pr)
			}
			got, err := v2Get(e.v2(ak, sk, ""), t, "post-bkt", want)
			if err != nil || got != "hello post" {
				t.Fatalf("stored %q %v", got, err)
			}
			h, err := e.head(t, "post-bkt", want)
			must(t, err)
			if h.Headers.Get("x-oss-meta-owner") != "web" || ossv2.ToString(h.ContentType) != "text/plain" {
				t.Fatalf("metadata %v", h.Headers)
			}
		})
	}

	t.Run("default 204 and redirect", func(t *testing.T) {
		r, b := e.post(t, "post-bkt", signedFields(t, true, ak, sk, "", policy(), formField{"key", "uploads/plain"}), "f", []byte("x"), false)
		wantStatus(t, r, b, 204, "")
		if r.Header.Get("ETag") == "" {
			t.Fatal("no ETag")
		}
		fields := signedFields(t, false, ak, sk, "", policy(), formField{"key", "uploads/redir"}, formField{"success_action_redirect", "http://app.example/done?x=1"})
		req := multipartRequest(t, e.ts.Endpoint+"/post-bkt", fields, "f", []byte("x"))
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		must(t, err)
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Host != "app.example" ||
			loc.Query().Get("x") != "1" || loc.Query().Get("bucket") != "post-bkt" || loc.Query().Get("key") != "uploads/redir" || loc.Query().Get("etag") == "" {
			t.Fatalf("redirect %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("expired policy", func(t *testing.T) {
		p := policy()
		p.Expiration = time.Now().Add(-time.Minute)
		r, b := e.post(t, "post-bkt", signedFields(t, false, ak, sk, "", p, formField{"key", "uploads/exp"}), "f", []byte("x"), false)
		wantStatus(t, r, b, 403, "AccessDenied")
		if !strings.Contains(b, "Policy expired") {
			t.Fatalf("body %s", b)
		}
	})
	t.Run("condition failed", func(t *testing.T) {
		r, b := e.post(t, "post-bkt", signedFields(t, true, ak, sk, "", policy(), formField{"key", "elsewhere/x"}), "f", []byte("x"), false)
		wantStatus(t, r, b, 403, "AccessDenied")
		if !strings.Contains(b, "Policy Condition failed") {
			t.Fatalf("body %s", b)
		}
		wantCode(t, firstErr(e.head(t, "post-bkt", "elsewhere/x")), "NoSuchKey")
	})
	t.Run("forged signature", func(t *testing.T) {
		for _, v4 := range []bool{false, true} {
			fields := signedFields(t, v4, ak, "not-the-secret", "", policy(), formField{"key", "uploads/forged"})
			r, b := e.post(t, "post-bkt", fields, "f", []byte("x"), false)
			wantStatus(t, r, b, 403, "SignatureDoesNotMatch")
		}
		// A policy changed after signing.
		fields := signedFields(t, false, ak, sk, "", policy(), formField{"key", "uploads/forged"})
		other, err := policy(map[string]string{"x-oss-meta-a": "b"}).Encode()
		must(t, err)
		for i := range fields {
			if fields[i].name == "policy" {
				fields[i].value = other
			}
		}
		r, b := e.post(t, "post-bkt", fields, "f", []byte("x"), false)
		wantStatus(t, r, b, 403, "SignatureDoesNotMatch")
		fields = signedFields(t, false, "LTAInosuchkey00000000000", sk, "", policy(), formField{"key", "uploads/forged"})
		r, b = e.post(t, "post-bkt", fields, "f", []byte("x"), false)
		wantStatus(t, r, b, 403, "InvalidAccessKeyId")
		wantCode(t, firstErr(e.head(t, "post-bkt", "uploads/forged")), "NoSuchKey")
	})
	t.Run("too large", func(t *testing.T) {
		r, b := e.post(t, "post-bkt", signedFields(t, true, ak, sk, "", policy(), formField{"key", "uploads/big"}), "f", bytes.Repeat([]byte("x"), 1001), false)
		wantStatus(t, r, b, 400, "EntityTooLarge")
		wantCode(t, firstErr(e.head(t, "post-bkt", "uploads/big")), "NoSuchKey")
		// A file far larger than the range: refused while streaming.
		r, b = e.post(t, "post-bkt", signedFields(t, true, ak, sk, "", policy(), formField{"key", "uploads/big"}), "f", bytes.Repeat([]byte("x"), 3<<20), false)
		wantStatus(t, r, b, 400, "EntityTooLarge")
		wantCode(t, firstErr(e.head(t, "post-bkt", "uploads/big")), "NoSuchKey")
		r, b = e.post(t, "post-bkt", signedFields(t, true, ak, sk, "", policy(), formField{"key", "uploads/empty"}), "f", nil, false)
		wantStatus(t, r, b, 400, "EntityTooSmall")
	})
	t.Run("file not last", func(t *testing.T) {
		r, b := e.post(t, "post-bkt", signedFields(t, false, ak, sk, "", policy(), formField{"key", "uploads/notlast"}), "f", []byte("x"), true)
		if r.StatusCode != 400 {
			t.Fatalf("file first: %d %s", r.StatusCode, b)
		}
		fields := signedFields(t, false, ak, sk, "", policy(), formField{"key", "uploads/notlast"})
		ct, body := multipartFormTrailing(t, fields, []byte("x"), formField{"x-oss-meta-late", "1"})
		r, b = raw(t, "POST", e.ts.Endpoint+"/post-bkt", bytes.NewReader(body), map[string]string{"Content-Type": ct})
		wantStatus(t, r, b, 400, "MalformedPOSTRequest")
		wantCode(t, firstErr(e.head(t, "post-bkt", "uploads/notlast")), "NoSuchKey")
		// No file at all.
		ct, body = multipartFormNoFile(t, []formField{{"key", "uploads/nofile"}})
		r, b = raw(t, "POST", e.ts.Endpoint+"/post-bkt", bytes.NewReader(body), map[string]string{"Content-Type": ct})
		wantStatus(t, r, b, 400, "IncorrectNumberOfFilesInPOSTRequest")
		r, b = raw(t, "POST", e.ts.Endpoint+"/post-bkt", strings.NewReader("key=x"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		wantStatus(t, r, b, 400, "MalformedPOSTRequest")
	})
	t.Run("field too long", func(t *testing.T) {
		fields := signedFields(t, false, ak, sk, "", policy(), formField{"key", "uploads/long"}, formField{"x-oss-meta-big", strings.Repeat("v", 2<<20+1)})
		r, b := e.post(t, "post-bkt", fields, "f", []byte("x"), false)
		wantStatus(t, r, b, 400, "FieldItemTooLong")
	})
	t.Run("forbid overwrite and acl", func(t *testing.T) {
		f := signedFields(t, false, ak, sk, "", policy(), formField{"key", "uploads/once"}, formField{"x-oss-forbid-overwrite", "true"}, formField{"x-oss-object-acl", "public-read"})
		r, b := e.post(t, "post-bkt", f, "f", []byte("1"), false)
		wantStatus(t, r, b, 204, "")
		r, b = e.post(t, "post-bkt", f, "f", []byte("2"), false)
		wantStatus(t, r, b, 409, "FileAlreadyExists")
		r, b = raw(t, "GET", e.ts.Endpoint+"/post-bkt/uploads/once", nil, nil)
		wantStatus(t, r, b, 200, "")
		if b != "1" {
			t.Fatalf("body %q", b)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		r, b := e.post(t, "post-bkt", []formField{{"key", "anon"}}, "f", []byte("x"), false)
		wantStatus(t, r, b, 403, "AccessDenied")
		e.bucket(t, "post-open", "public-read-write")
		r, b = e.post(t, "post-open", []formField{{"key", "anon"}}, "f", []byte("x"), false)
		wantStatus(t, r, b, 204, "")
		// Only some of the signature fields.
		r, b = e.post(t, "post-open", []formField{{"key", "anon2"}, {"OSSAccessKeyId", ak}}, "f", []byte("x"), false)
		wantStatus(t, r, b, 400, "InvalidArgument")
	})
	t.Run("sts and sub-user", func(t *testing.T) {
		tok, err := e.root.IssueToken(t.Context(), client.STSOptions{Duration: time.Hour,
			Policy: []byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:post-bkt/uploads/sts/*"]}]}`)})
		must(t, err)
		p := policy(map[string]string{"x-oss-security-token": tok.SecurityToken})
		for _, v4 := range []bool{false, true} {
			r, b := e.post(t, "post-bkt", signedFields(t, v4, tok.AccessKeyID, tok.AccessKeySecret, tok.SecurityToken, p, formField{"key", "uploads/sts/ok"}), "f", []byte("x"), false)
			wantStatus(t, r, b, 204, "")
			r, b = e.post(t, "post-bkt", signedFields(t, v4, tok.AccessKeyID, tok.AccessKeySecret, tok.SecurityToken, p, formField{"key", "uploads/other"}), "f", []byte("x"), false)
			wantStatus(t, r, b, 403, "AccessDenied") // the session policy
		}
		k := e.user(t, "poster", "")
		r, b := e.post(t, "post-bkt", signedFields(t, true, k.AccessKeyID, k.AccessKeySecret, "", policy(), formField{"key", "uploads/user"}), "f", []byte("x"), false)
		wantStatus(t, r, b, 403, "AccessDenied") // no permission
	})
}

func multipartRequest(t *testing.T, url string, fields []formField, filename string, file []byte) *http.Request {
	t.Helper()
	ct, body := multipartForm(t, fields, filename, file, false)
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", ct)
	return req
}
