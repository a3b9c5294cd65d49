package access

import (
	"errors"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*c", "ac", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"oss:Get*", "oss:GetObject", true},
		{"oss:Get*", "oss:PutObject", false},
		{"*.example.com", "www.example.com", true},
		{"*.example.com", "example.com", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXcYb", false},
		{"??", "日本", true}, // runes, not bytes
		{"?", "日", true},
		{"a**", "a", true},
		{"*", "*0", true}, // a literal '*' in the subject is not the pattern's star
		{"?", "*", true},
		{"a*", "a*b", true},
		{"*b", "*b", true},
		{"*a*a*a*a*a*b", strings.Repeat("a", 60), false},
		{"acs:oss:*:*:bucket/*", "acs:oss:cn:1:bucket/a/b", true},
		{"acs:oss:*:*:bucket/*", "acs:oss:cn:1:bucket", false},
		{"acs:oss:*:*:bucket*", "acs:oss:cn:1:bucket", true},
	}
	for _, c := range cases {
		if got := wildcardMatch(c.pat, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
	if !wildcardMatchFold("OSS:get*", "oss:GetObject") {
		t.Error("fold match failed")
	}
	// Invalid UTF-8 falls back to bytes.
	if !wildcardMatch("a?b", "a\xffb") || wildcardMatch("a?b", "a\xff\xfeb") {
		t.Error("byte fallback")
	}
}

func TestParsePolicyValid(t *testing.T) {
	docs := []string{
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`,
		`{"Version":"1","Statement":{"Effect":"Deny","Action":["oss:Get*","oss:ListObjects"],"Resource":["acs:oss:*:*:b/*"]}}`,
		`{"Version":"1","Id":"x","Statement":[{"Sid":"s1","Effect":"Allow","NotAction":"oss:Delete*","NotResource":"acs:oss:*:*:secret/*"}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","2001:db8::/32","192.168.1.1"]},"Bool":{"acs:SecureTransport":"true"},"StringLike":{"oss:Prefix":["a/*"]},"DateLessThan":{"acs:CurrentTime":"2030-01-01T00:00:00Z"},"NumericLessThan":{"oss:ExistingObjectTag/size":10}}}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"acs:ecs:*:*:instance/*"}]}`,
	}
	for _, d := range docs {
		if _, err := ParsePolicy([]byte(d)); err != nil {
			t.Errorf("ParsePolicy(%s): %v", d, err)
		}
	}
	p, err := ParseBucketPolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Principal":[],"Resource":["acs:oss:*:*:mybucket/*"]}]}`), "mybucket")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Statements[0].Principal; len(got) != 1 || got[0] != "*" {
		t.Errorf("Principal [] = %v, want [*]", got)
	}
	if string(p.Document()) == "" {
		t.Error("Document empty")
	}
}

func TestParsePolicyErrors(t *testing.T) {
	big := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"` + strings.Repeat("a", MaxPolicyBytes) + `"}]}`
	many := `{"Version":"1","Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":"oss:*","Resource":"*"},`, MaxStatements) + `{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`
	cases := []struct {
		name, doc, want string
	}{
		{"empty", ``, "empty"},
		{"not json", `{`, "not a valid JSON"},
		{"array", `[]`, "not a valid JSON"},
		{"trailing", `{"Version":"1","Statement":[]} x`, "not a valid JSON"},
		{"version", `{"Version":"2","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`, `"Version" must be "1"`},
		{"no version", `{"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`, `"Version" must be "1"`},
		{"no statement", `{"Version":"1"}`, `"Statement" is required`},
		{"empty statements", `{"Version":"1","Statement":[]}`, "must not be empty"},
		{"unknown top", `{"Version":"1","Statement":[],"Foo":1}`, "unknown element"},
		{"dup key", `{"Version":"1","Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`, "duplicate key"},
		{"bad effect", `{"Version":"1","Statement":[{"Effect":"allow","Action":"oss:*","Resource":"*"}]}`, `"Effect" must be`},
		{"no action", `{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}`, `"Action" and "NotAction"`},
		{"both actions", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","NotAction":"oss:*","Resource":"*"}]}`, `"Action" and "NotAction"`},
		{"no resource", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*"}]}`, `"Resource" and "NotResource"`},
		{"bad action", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, "invalid action"},
		{"bad action chars", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get Object","Resource":"*"}]}`, "invalid action"},
		{"empty action list", `{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, "must not be empty"},
		{"action number", `{"Version":"1","Statement":[{"Effect":"Allow","Action":3,"Resource":"*"}]}`, "string or a list"},
		{"bad resource", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"bucket/*"}]}`, "invalid resource"},
		{"principal in ram", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Principal":"*"}]}`, "not allowed in a RAM"},
		{"unknown operator", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringSorta":{"acs:UserAgent":"x"}}}]}`, "unknown condition operator"},
		{"bad key", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"aws:UserAgent":"x"}}}]}`, "invalid condition key"},
		{"tag key empty", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"oss:ExistingObjectTag/":"x"}}}]}`, "names no tag"},
		{"bad cidr", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/33"}}}]}`, "invalid IP"},
		{"ip op on other key", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"IpAddress":{"acs:UserAgent":"10.0.0.0/8"}}}]}`, "only to acs:SourceIp"},
		{"string op on ip", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"acs:SourceIp":"10.0.0.1"}}}]}`, "needs IpAddress"},
		{"bad date", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"DateLessThan":{"acs:CurrentTime":"tomorrow"}}}]}`, "invalid date"},
		{"time wrong op", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"acs:CurrentTime":"x"}}}]}`, "needs a Date"},
		{"bad bool", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"yes"}}}]}`, "invalid boolean"},
		{"bool wrong op", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"acs:SecureTransport":"true"}}}]}`, "needs the Bool"},
		{"bad number", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"NumericEquals":{"oss:x":"ten"}}}]}`, "invalid number"},
		{"object value", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"acs:UserAgent":{"a":1}}}}]}`, "must be strings, numbers"},
		{"empty values", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{"acs:UserAgent":[]}}}]}`, "has no values"},
		{"empty operator", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"StringEquals":{}}}]}`, "has no keys"},
		{"unknown stmt element", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Bogus":1}]}`, "unknown statement element"},
		{"too big", big, "exceeds"},
		{"too many statements", many, "more than"},
		{"invalid utf8", "{\"Version\":\"1\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"oss:*\",\"Resource\":\"\xff\"}]}", "UTF-8"},
	}
	for _, c := range cases {
		_, err := ParsePolicy([]byte(c.doc))
		var ae *Error
		if !errors.As(err, &ae) {
			t.Errorf("%s: err = %v, want *Error", c.name, err)
			continue
		}
		if ae.Code != CodeInvalidPolicyDocument || ae.Status != 400 {
			t.Errorf("%s: code %s/%d", c.name, ae.Code, ae.Status)
		}
		if !strings.Contains(ae.Message, c.want) {
			t.Errorf("%s: message %q does not contain %q", c.name, ae.Message, c.want)
		}
	}
}

func TestParseBucketPolicyErrors(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"no principal", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:*:b/*"}]}`, `"Principal" is required`},
		{"other bucket", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Principal":"*","Resource":"acs:oss:*:*:other/*"}]}`, "does not belong"},
		{"not oss", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Principal":"*","Resource":"acs:ecs:*:*:b"}]}`, "not an OSS resource"},
		{"ram principal form", `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Principal":{"RAM":["acs:ram::1:root"]},"Resource":"acs:oss:*:*:b"}]}`, `"Principal" must be`},
	}
	for _, c := range cases {
		_, err := ParseBucketPolicy([]byte(c.doc), "b")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	// Wildcard bucket patterns that match the bucket are fine.
	if _, err := ParseBucketPolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Principal":"*","Resource":["acs:oss:*:*:*","acs:oss:*:*:b*/x"]}]}`), "b"); err != nil {
		t.Error(err)
	}
}

func TestErrorMapsToOSS(t *testing.T) {
	err := error(accessDenied("nope"))
	if oss.CodeOf(err) != oss.AccessDenied {
		t.Errorf("CodeOf = %v", oss.CodeOf(err))
	}
	if !errors.Is(err, oss.AccessDenied) {
		t.Error("errors.Is(err, oss.AccessDenied) = false")
	}
	var oe *oss.Error
	if !errors.As(err, &oe) || oe.Msg() != "nope" {
		t.Errorf("As *oss.Error: %v", oe)
	}
	// Every access code that the vocabulary lists maps to it, with its status.
	perr := error(invalidPolicy("x", nil))
	if oss.CodeOf(perr) != oss.InvalidPolicyDocument {
		t.Errorf("CodeOf(InvalidPolicyDocument) = %v", oss.CodeOf(perr))
	}
	oe, ok := invalidPolicy("x", nil).OSS("PutBucketPolicy")
	if !ok || oe.Code != oss.InvalidPolicyDocument || oe.Code.Status() != 400 {
		t.Errorf("InvalidPolicyDocument maps to %v, %v", oe, ok)
	}
}
