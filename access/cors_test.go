package access

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

// The configuration of OSS's PutBucketCors documentation example.
const docCORSXML = `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration>
    <CORSRule>
      <AllowedOrigin>*</AllowedOrigin>
      <AllowedMethod>PUT</AllowedMethod>
      <AllowedMethod>GET</AllowedMethod>
      <AllowedHeader>Authorization</AllowedHeader>
    </CORSRule>
    <CORSRule>
      <AllowedOrigin>http://www.a.com</AllowedOrigin>
      <AllowedOrigin>http://www.b.com</AllowedOrigin>
      <AllowedMethod>GET</AllowedMethod>
      <AllowedHeader> Authorization</AllowedHeader>
      <ExposeHeader>x-oss-test</ExposeHeader>
      <ExposeHeader>x-oss-test1</ExposeHeader>
      <MaxAgeSeconds>100</MaxAgeSeconds>
    </CORSRule>
    <ResponseVary>false</ResponseVary>
</CORSConfiguration>`

func TestCORSPreflight(t *testing.T) {
	c, err := ParseCORSConfig([]byte(docCORSXML))
	if err != nil {
		t.Fatal(err)
	}
	// Swap the rules so the specific one is first, to test first-match.
	specific := &CORSConfiguration{Rules: []CORSRule{c.Rules[1], c.Rules[0]}}
	type want struct {
		ok                       bool
		origin, methods, headers string
		expose, maxAge           string
	}
	cases := []struct {
		name   string
		cfg    *CORSConfiguration
		origin string
		method string
		hdrs   []string
		want   want
	}{
		{"star origin", c, "http://x.org", "PUT", []string{"authorization"}, want{true, "http://x.org", "PUT, GET", "authorization", "", ""}},
		{"no request headers", c, "http://x.org", "GET", nil, want{true, "http://x.org", "PUT, GET", "", "", ""}},
		{"method not allowed", c, "http://x.org", "DELETE", nil, want{ok: false}},
		{"header not allowed", c, "http://x.org", "GET", []string{"Authorization, x-oss-meta-a"}, want{ok: false}},
		{"no origin", c, "", "GET", nil, want{ok: false}},
		{"first match wins", specific, "http://www.a.com", "GET", []string{"Authorization"}, want{true, "http://www.a.com", "GET", "Authorization", "x-oss-test, x-oss-test1", "100"}},
		{"falls through to second rule", specific, "http://www.a.com", "PUT", nil, want{true, "http://www.a.com", "PUT, GET", "", "", ""}},
		{"origin case-insensitive", specific, "HTTP://WWW.B.COM", "GET", nil, want{true, "HTTP://WWW.B.COM", "GET", "", "x-oss-test, x-oss-test1", "100"}},
	}
	for _, tc := range cases {
		h, ok := tc.cfg.Preflight(tc.origin, tc.method, tc.hdrs)
		if ok != tc.want.ok {
			t.Errorf("%s: ok = %v", tc.name, ok)
			continue
		}
		if !ok {
			if h.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s: headers on denial: %v", tc.name, h)
			}
			continue
		}
		got := want{true, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"), h.Get("Access-Control-Expose-Headers"), h.Get("Access-Control-Max-Age")}
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func TestCORSWildcards(t *testing.T) {
	c := &CORSConfiguration{Rules: []CORSRule{{
		AllowedOrigins: []string{"https://*.example.com"},
		AllowedMethods: []string{"PUT", "POST"},
		AllowedHeaders: []string{"x-oss-*", "content-type"},
	}}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		origin, method string
		hdrs           []string
		ok             bool
	}{
		{"https://app.example.com", "PUT", []string{"x-oss-meta-a", "Content-Type"}, true},
		{"https://a.b.example.com", "POST", nil, true},
		{"https://example.com", "PUT", nil, false},
		{"http://app.example.com", "PUT", nil, false},
		{"https://app.example.com", "GET", nil, false},
		{"https://app.example.com", "PUT", []string{"authorization"}, false},
		{"https://app.example.com", "PUT", []string{" , x-oss-date ,"}, true},
	}
	for _, tc := range cases {
		if _, ok := c.Preflight(tc.origin, tc.method, tc.hdrs); ok != tc.ok {
			t.Errorf("Preflight(%q, %q, %q) = %v", tc.origin, tc.method, tc.hdrs, ok)
		}
	}
}

func TestCORSActualAndVary(t *testing.T) {
	age := 60
	c := &CORSConfiguration{ResponseVary: true, Rules: []CORSRule{{
		AllowedOrigins: []string{"http://a.com"}, AllowedMethods: []string{"GET"},
		ExposeHeaders: []string{"ETag", "x-oss-request-id"}, MaxAgeSeconds: &age,
	}}}
	h, ok := c.Actual("http://a.com", "GET")
	if !ok || h.Get("Access-Control-Allow-Origin") != "http://a.com" || h.Get("Access-Control-Expose-Headers") != "ETag, x-oss-request-id" ||
		h.Get("Access-Control-Max-Age") != "60" || h.Get("Vary") != "Origin" {
		t.Errorf("Actual: %v %v", ok, h)
	}
	h, ok = c.Actual("http://b.com", "GET")
	if ok || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Vary") != "Origin" {
		t.Errorf("Actual other origin: %v %v", ok, h)
	}
	if h, ok := c.Actual("", "GET"); ok || h.Get("Vary") != "Origin" {
		t.Errorf("Actual without origin: %v %v", ok, h)
	}
	if h, ok := c.Actual("http://a.com", "PUT"); ok || len(h) != 1 {
		t.Errorf("Actual other method: %v %v", ok, h)
	}
	if h, ok := c.Preflight("http://b.com", "GET", nil); ok || h.Get("Vary") != "Origin" {
		t.Errorf("Preflight denial lacks Vary: %v", h)
	}
	c.ResponseVary = false
	if h, _ := c.Actual("http://a.com", "GET"); h.Get("Vary") != "" {
		t.Error("Vary without ResponseVary")
	}
}

func TestParseCORSConfigErrors(t *testing.T) {
	rule := func(inner string) string {
		return `<CORSConfiguration><CORSRule>` + inner + `</CORSRule></CORSConfiguration>`
	}
	cases := []struct{ name, body, code string }{
		{"not xml", `<CORSConfiguration>`, CodeMalformedXML},
		{"no rules", `<CORSConfiguration></CORSConfiguration>`, CodeMalformedXML},
		{"too many rules", `<CORSConfiguration>` + strings.Repeat(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`, 11) + `</CORSConfiguration>`, CodeInvalidArgument},
		{"no origin", rule(`<AllowedMethod>GET</AllowedMethod>`), CodeInvalidArgument},
		{"no method", rule(`<AllowedOrigin>*</AllowedOrigin>`), CodeInvalidArgument},
		{"bad method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>`), CodeInvalidArgument},
		{"lowercase method", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>`), CodeInvalidArgument},
		{"two stars origin", rule(`<AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), CodeInvalidArgument},
		{"two stars header", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</AllowedHeader>`), CodeInvalidArgument},
		{"star expose", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader>`), CodeInvalidArgument},
		{"empty origin", rule(`<AllowedOrigin> </AllowedOrigin><AllowedMethod>GET</AllowedMethod>`), CodeInvalidArgument},
		{"negative max age", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds>`), CodeInvalidArgument},
		{"bad max age", rule(`<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>x</MaxAgeSeconds>`), CodeMalformedXML},
		{"too big", `<CORSConfiguration>` + strings.Repeat(" ", MaxCORSConfigBytes) + `</CORSConfiguration>`, CodeMalformedXML},
	}
	for _, tc := range cases {
		if _, err := ParseCORSConfig([]byte(tc.body)); codeOf(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
}

func TestCORSXMLRoundTrip(t *testing.T) {
	c, err := ParseCORSConfig([]byte(docCORSXML))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rules[1].AllowedHeaders[0] != "Authorization" {
		t.Errorf("value not trimmed: %q", c.Rules[1].AllowedHeaders[0])
	}
	out, err := xml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ParseCORSConfig(out)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if len(c2.Rules) != 2 || *c2.Rules[1].MaxAgeSeconds != 100 || c2.ResponseVary {
		t.Errorf("round trip %+v", c2)
	}
	if _, ok := c2.Preflight("http://z", http.MethodGet, nil); !ok {
		t.Error("round-tripped config denies")
	}
}
