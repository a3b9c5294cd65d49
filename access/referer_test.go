package access

import (
	"encoding/xml"
	"strings"
	"testing"
)

// The configuration of OSS's PutBucketReferer documentation example.
const docRefererXML = `<?xml version="1.0" encoding="UTF-8"?>
<RefererConfiguration>
  <AllowEmptyReferer>false</AllowEmptyReferer>
  <AllowTruncateQueryString>true</AllowTruncateQueryString>
  <TruncatePath>true</TruncatePath>
  <RefererList>
    <Referer>http://www.aliyun.com</Referer>
    <Referer>https://www.aliyun.com</Referer>
    <Referer>http://www.*.com</Referer>
    <Referer>https://www.?.aliyuncs.com</Referer>
  </RefererList>
  <RefererBlacklist>
    <Referer>http://www.refuse.com</Referer>
    <Referer>https://*.hack.com</Referer>
    <Referer>http://ban.*.com</Referer>
    <Referer>https://www.?.deny.com</Referer>
  </RefererBlacklist>
</RefererConfiguration>`

func TestRefererDocExample(t *testing.T) {
	c, err := ParseRefererConfig([]byte(docRefererXML))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ref  string
		want bool
	}{
		{"", false},    // empty not allowed, whitelist not empty
		{"   ", false}, // blank is empty
		{"http://www.aliyun.com", true},
		{"https://www.aliyun.com", true},
		{"http://www.aliyun.com/index.html?spm=1", true}, // path and query truncated
		{"HTTP://WWW.ALIYUN.COM/x", true},                // case-insensitive
		{"http://www.example.com/page", true},            // http://www.*.com
		{"http://www.a.b.com", true},                     // '*' spans dots
		{"https://www.a.aliyuncs.com", true},             // '?' is one character
		{"https://www.ab.aliyuncs.com", false},
		{"https://www.aliyuncs.com", false},
		{"http://www.refuse.com/page", false}, // blacklist before whitelist (www.*.com)
		{"https://x.hack.com", false},
		{"https://www.hack.com/y", false},
		{"http://ban.anything.com", false},
		{"https://www.1.deny.com", false},
		{"http://evil.org", false},
		{"ftp://www.aliyun.com", false},
		{"http://www.aliyun.com:8080/x", false}, // the port is part of the host
	}
	for _, tc := range cases {
		if got := c.Allows(tc.ref); got != tc.want {
			t.Errorf("Allows(%q) = %v, want %v", tc.ref, got, tc.want)
		}
	}
}

func TestRefererRules(t *testing.T) {
	tr, fa := true, false
	cases := []struct {
		name string
		cfg  RefererConfig
		ref  string
		want bool
	}{
		{"no lists allows all", RefererConfig{}, "http://x", true},
		{"empty whitelist allows empty even if disallowed", RefererConfig{AllowEmptyReferer: false}, "", true},
		{"allow empty", RefererConfig{AllowEmptyReferer: true, RefererList: RefererList{[]string{"http://a.com"}}}, "", true},
		{"deny empty", RefererConfig{AllowEmptyReferer: false, RefererList: RefererList{[]string{"http://a.com"}}}, "", false},
		{"whole match without truncation", RefererConfig{RefererList: RefererList{[]string{"http://a.com"}}}, "http://a.com/x", false},
		{"wildcard without truncation", RefererConfig{RefererList: RefererList{[]string{"http://a.com/*"}}}, "http://a.com/x?q=1", true},
		{"query truncated", RefererConfig{AllowTruncateQueryString: &tr, RefererList: RefererList{[]string{"http://a.com/x"}}}, "http://a.com/x?q=1", true},
		{"query kept", RefererConfig{AllowTruncateQueryString: &fa, RefererList: RefererList{[]string{"http://a.com/x"}}}, "http://a.com/x?q=1", false},
		{"path truncated", RefererConfig{AllowTruncateQueryString: &tr, TruncatePath: &tr, RefererList: RefererList{[]string{"https://a.com"}}}, "https://a.com/deep/path?q=1", true},
		{"path truncated schemeless", RefererConfig{AllowTruncateQueryString: &tr, TruncatePath: &tr, RefererList: RefererList{[]string{"a.com"}}}, "a.com/x", true},
		{"star whitelist with blacklist", RefererConfig{RefererList: RefererList{[]string{"*"}}, RefererBlacklist: &RefererList{[]string{"*example.com"}}}, "https://www.example.com", false},
		{"star whitelist other", RefererConfig{RefererList: RefererList{[]string{"*"}}, RefererBlacklist: &RefererList{[]string{"*example.com"}}}, "https://other.org", true},
		{"blacklist only", RefererConfig{RefererBlacklist: &RefererList{[]string{"*evil*"}}}, "http://evil.com", false},
		{"blacklist only other", RefererConfig{RefererBlacklist: &RefererList{[]string{"*evil*"}}}, "http://good.com", true},
		{"blacklist does not block empty", RefererConfig{AllowEmptyReferer: true, RefererBlacklist: &RefererList{[]string{"*"}}}, "", true},
		{"console example", RefererConfig{AllowTruncateQueryString: &tr, TruncatePath: &tr, RefererList: RefererList{[]string{"*.console.aliyun.com"}}}, "https://oss.console.aliyun.com/bucket/x", true},
		{"wechat example", RefererConfig{RefererList: RefererList{[]string{"*servicewechat.com*"}}}, "https://servicewechat.com/wx123/page-frame.html", true},
	}
	for _, c := range cases {
		if got := c.cfg.Allows(c.ref); got != c.want {
			t.Errorf("%s: Allows(%q) = %v, want %v", c.name, c.ref, got, c.want)
		}
	}
}

func TestParseRefererConfigErrors(t *testing.T) {
	cases := []struct{ name, body, code string }{
		{"not xml", `<RefererConfiguration>`, CodeMalformedXML},
		{"wrong root", `<Foo><AllowEmptyReferer>true</AllowEmptyReferer><RefererList/></Foo>`, CodeMalformedXML},
		{"missing AllowEmptyReferer", `<RefererConfiguration><RefererList/></RefererConfiguration>`, CodeMalformedXML},
		{"missing RefererList", `<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer></RefererConfiguration>`, CodeMalformedXML},
		{"bad bool", `<RefererConfiguration><AllowEmptyReferer>yes</AllowEmptyReferer><RefererList/></RefererConfiguration>`, CodeInvalidArgument},
		{"bad truncate bool", `<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><AllowTruncateQueryString>32</AllowTruncateQueryString><RefererList/></RefererConfiguration>`, CodeInvalidArgument},
		{"truncate path alone", `<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><TruncatePath>true</TruncatePath><RefererList/></RefererConfiguration>`, CodeInvalidArgument},
		{"empty referer", `<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer> </Referer></RefererList></RefererConfiguration>`, CodeInvalidArgument},
		{"control char", "<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer>a\tb</Referer></RefererList></RefererConfiguration>", CodeInvalidArgument},
		{"too long", `<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList><Referer>` + strings.Repeat("a", MaxRefererLength+1) + `</Referer></RefererList></RefererConfiguration>`, CodeInvalidArgument},
		{"too many", `<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><RefererList>` + strings.Repeat(`<Referer>a</Referer>`, MaxRefererEntries+1) + `</RefererList></RefererConfiguration>`, CodeInvalidArgument},
		{"too big", `<RefererConfiguration>` + strings.Repeat(" ", MaxRefererConfigBytes) + `</RefererConfiguration>`, CodeMalformedXML},
	}
	for _, c := range cases {
		_, err := ParseRefererConfig([]byte(c.body))
		if codeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func TestRefererConfigXMLRoundTrip(t *testing.T) {
	c, err := ParseRefererConfig([]byte(docRefererXML))
	if err != nil {
		t.Fatal(err)
	}
	out, err := xml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ParseRefererConfig(out)
	if err != nil {
		t.Fatalf("re-parse %s: %v", out, err)
	}
	if len(c2.RefererList.Referers) != 4 || len(c2.RefererBlacklist.Referers) != 4 || !isTrue(c2.TruncatePath) || c2.AllowEmptyReferer {
		t.Errorf("round trip: %+v", c2)
	}
	def, err := xml.Marshal(DefaultRefererConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := `<RefererConfiguration><AllowEmptyReferer>true</AllowEmptyReferer><AllowTruncateQueryString>true</AllowTruncateQueryString><TruncatePath>false</TruncatePath><RefererList></RefererList></RefererConfiguration>`
	if string(def) != want {
		t.Errorf("default XML\n got %s\nwant %s", def, want)
	}
	if !DefaultRefererConfig().Allows("http://anything") || !DefaultRefererConfig().Allows("") {
		t.Error("default config denies")
	}
}
