package access

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`), "k")
	f.Add([]byte(`{"Version":"1","Statement":{"Effect":"Deny","NotAction":["oss:Get*"],"NotResource":"acs:oss:*:*:b/*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","::1"]},"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"}}}}`), "a/b")
	f.Add([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":[],"Resource":"acs:oss:*:*:b/*","Condition":{"StringLike":{"oss:Prefix":"a?*"},"NumericEquals":{"oss:ExistingObjectTag/n":1}}}]}`), "")
	f.Add([]byte(`{"Version":"1","Version":"1"}`), "x")
	f.Fuzz(func(t *testing.T, doc []byte, key string) {
		for _, parse := range []func([]byte) (*Policy, error){ParsePolicy, func(d []byte) (*Policy, error) { return ParseBucketPolicy(d, "b") }} {
			p, err := parse(doc)
			if err != nil {
				var ae *Error
				if !errors.As(err, &ae) || ae.Code != CodeInvalidPolicyDocument || ae.Status != 400 {
					t.Fatalf("error %v is not an InvalidPolicyDocument *Error", err)
				}
				continue
			}
			if len(doc) > MaxPolicyBytes || len(p.Statements) == 0 || len(p.Statements) > MaxStatements {
				t.Fatalf("accepted out-of-bounds policy")
			}
			// Evaluating any request must not panic and must be deterministic.
			r := Request{Action: "oss:GetObject", Bucket: "b", Key: key, BucketOwner: "1",
				Principal: Principal{AccountUID: "1", UserUID: "2", UserName: "u", AccessKeyID: "ak"},
				SourceIP:  netip.MustParseAddr("10.0.0.1"), Now: time.Unix(1700000000, 0), Prefix: key,
				ExistingObjectTags: map[string]string{"n": "1"}}
			d1 := Evaluate(r, []*Policy{p}, p)
			d2 := Evaluate(r, []*Policy{p}, p)
			if d1 != d2 {
				t.Fatalf("non-deterministic: %+v vs %+v", d1, d2)
			}
			_ = IsPublic(p)
		}
	})
}

func FuzzPostPolicy(f *testing.F) {
	ctx := context.Background()
	d, _, clk := newDir(f)
	k, err := d.CreateKey(ctx, "")
	if err != nil {
		f.Fatal(err)
	}
	now := clk.Now()
	f.Add(`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[{"bucket":"b"},["starts-with","$key","u/"],["content-length-range",0,10],["in","$content-type",["a"]],["not-in","$x",["y"]],["eq","$a","\$b"]]}`, "u/k", "a", int64(5))
	f.Add(`{"expiration":"2000-01-01T00:00:00Z","conditions":[]}`, "k", "", int64(-1))
	f.Add(`{"conditions":[[1,2,3],{"a":"b","c":"d"},123]}`, "", "", int64(0))
	f.Fuzz(func(t *testing.T, doc, key, ctype string, size int64) {
		pol := base64.StdEncoding.EncodeToString([]byte(doc))
		fields := map[string]string{"key": key, "content-type": ctype, "OSSAccessKeyId": k.AccessKeyID, "policy": pol, "Signature": SignPostPolicyV1(k.Secret, pol)}
		a, err := VerifyPostPolicy(ctx, d, fields, "b", size, now)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || ae.Code == "" || ae.Status < 400 || ae.Status > 499 {
				t.Fatalf("error %v is not a client *Error", err)
			}
			return
		}
		if a.Anonymous || key == "" {
			t.Fatalf("signed form accepted as %+v", a)
		}
		if !now.Before(a.Expiration) {
			t.Fatal("expired policy accepted")
		}
		for _, c := range a.Conditions {
			if c.Op == "starts-with" && c.Field == "key" && !strings.HasPrefix(key, c.Value) {
				t.Fatal("starts-with violated")
			}
		}
		// A signature over another policy never verifies.
		fields["policy"] = pol + "A"
		if _, err := VerifyPostPolicy(ctx, d, fields, "b", size, now); codeOf(err) != CodeSignatureDoesNotMatch && codeOf(err) != CodeInvalidArgument {
			t.Fatalf("tampered policy: %v", err)
		}
	})
}

func FuzzRefererMatch(f *testing.F) {
	f.Add("http://www.*.com", "https://*.hack.com", "http://www.example.com/a?b=c", true, true, false)
	f.Add("*", "", "", false, false, true)
	f.Add("a?c", "*x*", "abc", true, false, false)
	f.Fuzz(func(t *testing.T, white, black, referer string, trunc, truncPath, allowEmpty bool) {
		c := &RefererConfig{AllowEmptyReferer: allowEmpty, AllowTruncateQueryString: &trunc, TruncatePath: &truncPath}
		if white != "" {
			c.RefererList.Referers = []string{white}
		}
		if black != "" {
			c.RefererBlacklist = &RefererList{Referers: []string{black}}
		}
		if c.Validate() != nil {
			return
		}
		got := c.Allows(referer)
		// Invariants: a blacklisted non-empty referer is never allowed; with
		// no lists everything is allowed; wildcardMatch agrees with itself.
		ref := strings.TrimSpace(referer)
		if ref != "" && black != "" && wildcardMatchFold(c.RefererBlacklist.Referers[0], c.truncate(ref)) && got {
			t.Fatal("blacklisted referer allowed")
		}
		if white == "" && black == "" && !got {
			t.Fatal("no lists, denied")
		}
		if utf8.ValidString(referer) && wildcardMatch("*", referer) != true {
			t.Fatal("* does not match")
		}
		if !strings.ContainsAny(referer, "*?") && !wildcardMatch(referer, referer) {
			t.Fatal("literal pattern does not match itself")
		}
		if len(white) <= 12 && len(referer) <= 12 && utf8.ValidString(white) && utf8.ValidString(referer) {
			if got, want := wildcardMatch(white, referer), naiveMatch([]rune(white), []rune(referer)); got != want {
				t.Fatalf("wildcardMatch(%q, %q) = %v, naive %v", white, referer, got, want)
			}
		}
		// The XML form round-trips.
		out, err := xml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if c2, err := ParseRefererConfig(out); err == nil && c2.Allows(referer) != got {
			t.Fatalf("round-tripped config decides differently for %q", referer)
		}
	})
}

func FuzzCORSConfig(f *testing.F) {
	f.Add([]byte(docCORSXML), "http://www.a.com", "GET", "authorization, x-oss-meta-a")
	f.Add([]byte(`<CORSConfiguration><CORSRule><AllowedOrigin>https://*.x</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>5</MaxAgeSeconds></CORSRule><ResponseVary>true</ResponseVary></CORSConfiguration>`), "https://a.x", "PUT", "x")
	f.Add([]byte(`<CORSConfiguration><CORSRule/></CORSConfiguration>`), "", "", "")
	f.Fuzz(func(t *testing.T, body []byte, origin, method, headers string) {
		c, err := ParseCORSConfig(body)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || (ae.Code != CodeMalformedXML && ae.Code != CodeInvalidArgument) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(c.Rules) == 0 || len(c.Rules) > MaxCORSRules {
			t.Fatal("rule count out of bounds")
		}
		h, ok := c.Preflight(origin, method, []string{headers})
		if ok != (h.Get("Access-Control-Allow-Origin") != "") {
			t.Fatal("ok and Allow-Origin disagree")
		}
		if ok && h.Get("Access-Control-Allow-Origin") != origin {
			t.Fatal("Allow-Origin is not the request origin")
		}
		if c.ResponseVary != (h.Get("Vary") == "Origin") {
			t.Fatal("Vary inconsistent")
		}
		if ok {
			if _, aok := c.Actual(origin, method); !aok {
				t.Fatal("preflight allowed but actual request not")
			}
		}
		out, err := xml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseCORSConfig(out); err != nil && len(out) <= MaxCORSConfigBytes {
			t.Fatalf("valid config does not re-parse: %v\n%s", err, out)
		}
	})
}

// naiveMatch is an obviously-correct exponential glob matcher.
func naiveMatch(p, s []rune) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	switch p[0] {
	case '*':
		return naiveMatch(p[1:], s) || (len(s) > 0 && naiveMatch(p, s[1:]))
	case '?':
		return len(s) > 0 && naiveMatch(p[1:], s[1:])
	}
	return len(s) > 0 && p[0] == s[0] && naiveMatch(p[1:], s[1:])
}
