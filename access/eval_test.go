package access

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
)

const (
	acct    = "1000000000000001"
	userUID = "2000000000000002"
	otherID = "3000000000000003"
)

func mustPolicy(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(doc))
	if err != nil {
		t.Fatalf("ParsePolicy(%s): %v", doc, err)
	}
	return p
}

func mustBucketPolicy(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := ParseBucketPolicy([]byte(doc), "b")
	if err != nil {
		t.Fatalf("ParseBucketPolicy(%s): %v", doc, err)
	}
	return p
}

func root() Principal {
	return Principal{AccountUID: acct, UserUID: acct, IsRoot: true, AccessKeyID: "LTAIroot"}
}

func subUser() Principal {
	return Principal{AccountUID: acct, UserName: "alice", UserUID: userUID, AccessKeyID: "LTAIalice"}
}

func baseReq(action, key string, p Principal) Request {
	return Request{
		Action: action, Region: "cn-hangzhou", Bucket: "b", Key: key, Principal: p,
		SourceIP: netip.MustParseAddr("10.1.2.3"), Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		BucketOwner: acct, BucketACL: oss.ACLPrivate, ObjectACL: oss.ACLDefault,
	}
}

func TestEvaluateOrder(t *testing.T) {
	allowGet := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/*"}]}`
	denyGet := `{"Version":"1","Statement":[{"Sid":"d","Effect":"Deny","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/secret/*"}]}`
	bpAllowUser := `{"Version":"1","Statement":[{"Sid":"bu","Effect":"Allow","Action":"oss:GetObject","Principal":["` + userUID + `"],"Resource":"acs:oss:*:*:b/*"}]}`
	bpDenyUser := `{"Version":"1","Statement":[{"Sid":"bd","Effect":"Deny","Action":"oss:*","Principal":["` + userUID + `"],"Resource":"acs:oss:*:*:b/*"}]}`
	bpDenyStarNoCond := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Principal":"*","Resource":"acs:oss:*:*:b/*"}]}`
	bpDenyStarCond := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Principal":"*","Resource":"acs:oss:*:*:b/*","Condition":{"NotIpAddress":{"acs:SourceIp":"192.168.0.0/16"}}}]}`
	bpDenyOwnerUID := `{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:DeleteObject","Principal":["` + acct + `"],"Resource":"acs:oss:*:*:b/*"}]}`
	bpPublicRead := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":"*","Resource":"acs:oss:*:*:b/*"}]}`

	type tc struct {
		name    string
		req     Request
		user    []string
		bucket  string
		allowed bool
		src     Source
		expl    bool
	}
	anon := func(r Request) Request { r.Anonymous = true; r.Principal = Principal{}; return r }
	withACL := func(r Request, bucket, object oss.ACL) Request { r.BucketACL, r.ObjectACL = bucket, object; return r }
	bpa := func(r Request) Request { r.BlockPublicAccess = true; return r }
	from := func(r Request, ip string) Request { r.SourceIP = netip.MustParseAddr(ip); return r }
	cases := []tc{
		{"root owner allowed by default", baseReq("oss:DeleteObject", "k", root()), nil, "", true, SourceOwner, false},
		{"root owner not hit by * deny without condition", baseReq("oss:GetObject", "k", root()), nil, bpDenyStarNoCond, true, SourceOwner, false},
		{"root owner hit by * deny with condition", baseReq("oss:GetObject", "k", root()), nil, bpDenyStarCond, false, SourceBucketPolicy, true},
		{"root owner condition not met", from(baseReq("oss:GetObject", "k", root()), "192.168.3.4"), nil, bpDenyStarCond, true, SourceOwner, false},
		{"root owner hit by deny naming its uid", baseReq("oss:DeleteObject", "k", root()), nil, bpDenyOwnerUID, false, SourceBucketPolicy, true},
		{"root of another account is not owner", func() Request { r := baseReq("oss:GetObject", "k", root()); r.BucketOwner = otherID; return r }(), nil, "", false, SourceNone, false},
		{"sub-user without policy denied", baseReq("oss:GetObject", "k", subUser()), nil, "", false, SourceNone, false},
		{"sub-user allowed by RAM policy", baseReq("oss:GetObject", "k", subUser()), []string{allowGet}, "", true, SourceUserPolicy, false},
		{"sub-user RAM policy other action", baseReq("oss:PutObject", "k", subUser()), []string{allowGet}, "", false, SourceNone, false},
		{"explicit RAM deny beats RAM allow", baseReq("oss:GetObject", "secret/x", subUser()), []string{allowGet, denyGet}, "", false, SourceUserPolicy, true},
		{"RAM deny elsewhere irrelevant", baseReq("oss:GetObject", "public/x", subUser()), []string{allowGet, denyGet}, "", true, SourceUserPolicy, false},
		{"bucket policy allow for user uid", baseReq("oss:GetObject", "k", subUser()), nil, bpAllowUser, true, SourceBucketPolicy, false},
		{"bucket policy deny beats RAM allow", baseReq("oss:GetObject", "k", subUser()), []string{allowGet}, bpDenyUser, false, SourceBucketPolicy, true},
		{"RAM deny beats bucket allow", baseReq("oss:GetObject", "secret/k", subUser()), []string{denyGet}, bpAllowUser, false, SourceUserPolicy, true},
		{"bucket * deny without condition hits sub-user", baseReq("oss:GetObject", "k", subUser()), []string{allowGet}, bpDenyStarNoCond, false, SourceBucketPolicy, true},
		{"allow beats ACL (private)", withACL(baseReq("oss:GetObject", "k", subUser()), oss.ACLPrivate, oss.ACLPrivate), []string{allowGet}, "", true, SourceUserPolicy, false},
		{"explicit deny beats public ACL", withACL(baseReq("oss:GetObject", "k", subUser()), oss.ACLPublicRead, oss.ACLDefault), nil, bpDenyUser, false, SourceBucketPolicy, true},
		{"anonymous private denied", anon(baseReq("oss:GetObject", "k", Principal{})), nil, "", false, SourceNone, false},
		{"anonymous public-read bucket read", anon(withACL(baseReq("oss:GetObject", "k", Principal{}), oss.ACLPublicRead, oss.ACLDefault)), nil, "", true, SourceACL, false},
		{"anonymous public-read bucket write", anon(withACL(baseReq("oss:PutObject", "k", Principal{}), oss.ACLPublicRead, oss.ACLDefault)), nil, "", false, SourceNone, false},
		{"anonymous public-read-write write", anon(withACL(baseReq("oss:PutObject", "k", Principal{}), oss.ACLPublicReadWrite, "")), nil, "", true, SourceACL, false},
		{"anonymous prw no admin", anon(withACL(baseReq("oss:PutObjectAcl", "k", Principal{}), oss.ACLPublicReadWrite, "")), nil, "", false, SourceNone, false},
		{"object ACL private overrides public bucket", anon(withACL(baseReq("oss:GetObject", "k", Principal{}), oss.ACLPublicRead, oss.ACLPrivate)), nil, "", false, SourceNone, false},
		{"object ACL public-read in private bucket", anon(withACL(baseReq("oss:GetObject", "k", Principal{}), oss.ACLPrivate, oss.ACLPublicRead)), nil, "", true, SourceACL, false},
		{"bucket ACL applies to list", anon(withACL(baseReq("oss:ListObjects", "", Principal{}), oss.ACLPublicRead, oss.ACLPrivate)), nil, "", true, SourceACL, false},
		{"public ACL grants sub-user", withACL(baseReq("oss:GetObject", "k", subUser()), oss.ACLPublicRead, ""), nil, "", true, SourceACL, false},
		{"BPA ignores public ACL", bpa(anon(withACL(baseReq("oss:GetObject", "k", Principal{}), oss.ACLPublicRead, ""))), nil, "", false, SourceNone, false},
		{"bucket policy * allows anonymous", anon(baseReq("oss:GetObject", "k", Principal{})), nil, bpPublicRead, true, SourceBucketPolicy, false},
		{"BPA ignores public bucket policy", bpa(anon(baseReq("oss:GetObject", "k", Principal{}))), nil, bpPublicRead, false, SourceNone, false},
		{"BPA keeps non-public bucket policy", bpa(baseReq("oss:GetObject", "k", subUser())), nil, bpAllowUser, true, SourceBucketPolicy, false},
		{"BPA keeps RAM allow", bpa(baseReq("oss:GetObject", "k", subUser())), []string{allowGet}, "", true, SourceUserPolicy, false},
		{"anonymous ignores RAM policies", anon(baseReq("oss:GetObject", "k", Principal{})), []string{allowGet}, "", false, SourceNone, false},
		{"anonymous not matched by uid principal", anon(baseReq("oss:GetObject", "k", Principal{})), nil, bpAllowUser, false, SourceNone, false},
		{"root creates a new bucket", func() Request { r := baseReq("oss:PutBucket", "", root()); r.BucketOwner = ""; return r }(), nil, "", true, SourceOwner, false},
		{"sub-user cannot create without policy", func() Request { r := baseReq("oss:PutBucket", "", subUser()); r.BucketOwner = ""; return r }(), nil, "", false, SourceNone, false},
		{"root lists buckets", Request{Action: "oss:ListBuckets", Principal: root()}, nil, "", true, SourceOwner, false},
		{"sub-user lists buckets with policy", Request{Action: "oss:ListBuckets", Principal: subUser()}, []string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:ListBuckets","Resource":"acs:oss:*:*:*"}]}`}, "", true, SourceUserPolicy, false},
		{"bucket-scoped policy does not grant ListBuckets", Request{Action: "oss:ListBuckets", Principal: subUser()}, []string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:*:b"}]}`}, "", false, SourceNone, false},
		{"NotAction allow", baseReq("oss:GetObject", "k", subUser()), []string{`{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"oss:Delete*","Resource":"*"}]}`}, "", true, SourceUserPolicy, false},
		{"NotAction excludes", baseReq("oss:DeleteObject", "k", subUser()), []string{`{"Version":"1","Statement":[{"Effect":"Allow","NotAction":"oss:Delete*","Resource":"*"}]}`}, "", false, SourceNone, false},
		{"NotResource deny", baseReq("oss:GetObject", "k", subUser()), []string{allowGet, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","NotResource":"acs:oss:*:*:b/public/*"}]}`}, "", false, SourceUserPolicy, true},
		{"NotResource spares", baseReq("oss:GetObject", "public/k", subUser()), []string{allowGet, `{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","NotResource":"acs:oss:*:*:b/public/*"}]}`}, "", true, SourceUserPolicy, false},
		{"action match ignores case", baseReq("oss:GetObject", "k", subUser()), []string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"OSS:getobject","Resource":"*"}]}`}, "", true, SourceUserPolicy, false},
		{"resource case-sensitive", baseReq("oss:GetObject", "K", subUser()), []string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:*:b/k"}]}`}, "", false, SourceNone, false},
		{"region pattern", baseReq("oss:GetObject", "k", subUser()), []string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:cn-beijing:*:b/*"}]}`}, "", false, SourceNone, false},
		{"unknown action never allowed by policy", baseReq("", "k", subUser()), []string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}, "", false, SourceNone, false},
		{"unknown action denied by * deny", baseReq("", "k", subUser()), []string{`{"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`}, "", false, SourceUserPolicy, true},
		{"unknown action still the owner's", baseReq("", "k", root()), nil, "", true, SourceOwner, false},
		{"owner uid pattern", baseReq("oss:GetObject", "k", subUser()), []string{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:` + acct + `:b/*"}]}`}, "", true, SourceUserPolicy, false},
	}
	for _, c := range cases {
		var ups []*Policy
		for _, d := range c.user {
			ups = append(ups, mustPolicy(t, d))
		}
		var bp *Policy
		if c.bucket != "" {
			bp = mustBucketPolicy(t, c.bucket)
		}
		d := Evaluate(c.req, ups, bp)
		if d.Allowed != c.allowed || d.Source != c.src || d.Explicit != c.expl {
			t.Errorf("%s: got %+v, want allowed=%v source=%v explicit=%v", c.name, d, c.allowed, c.src, c.expl)
		}
		if d.Allowed != (d.Err() == nil) {
			t.Errorf("%s: Err() inconsistent", c.name)
		}
		if !d.Allowed && d.Reason == "" {
			t.Errorf("%s: no reason", c.name)
		}
	}
}

func TestEvaluateSTSIntersection(t *testing.T) {
	issuerAllows := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject"],"Resource":"acs:oss:*:*:b/*"}]}`)
	sessGetOnly := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject","oss:DeleteObject"],"Resource":"*"}]}`)
	sessDeny := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"},{"Effect":"Deny","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/private/*"}]}`)
	sess := func(pol *Policy, issuerRoot bool) Principal {
		p := subUser()
		if issuerRoot {
			p = root()
		}
		p.STS, p.SessionName, p.SessionPolicy, p.AccessKeyID = true, "s1", pol, "STS.X"
		return p
	}
	cases := []struct {
		name    string
		action  string
		key     string
		p       Principal
		ups     []*Policy
		acl     oss.ACL
		allowed bool
		src     Source
	}{
		{"both allow", "oss:GetObject", "k", sess(sessGetOnly, false), []*Policy{issuerAllows}, oss.ACLPrivate, true, SourceUserPolicy},
		{"issuer allows, session does not", "oss:PutObject", "k", sess(sessGetOnly, false), []*Policy{issuerAllows}, oss.ACLPrivate, false, SourceSessionPolicy},
		{"session allows, issuer does not", "oss:DeleteObject", "k", sess(sessGetOnly, false), []*Policy{issuerAllows}, oss.ACLPrivate, false, SourceNone},
		{"session deny", "oss:GetObject", "private/k", sess(sessDeny, false), []*Policy{issuerAllows}, oss.ACLPrivate, false, SourceSessionPolicy},
		{"no session policy = issuer", "oss:PutObject", "k", sess(nil, false), []*Policy{issuerAllows}, oss.ACLPrivate, true, SourceUserPolicy},
		{"root-issued session capped", "oss:PutObject", "k", sess(sessGetOnly, true), nil, oss.ACLPrivate, false, SourceSessionPolicy},
		{"root-issued session within cap", "oss:DeleteObject", "k", sess(sessGetOnly, true), nil, oss.ACLPrivate, true, SourceOwner},
		{"session cap applies before public ACL", "oss:PutObject", "k", sess(sessGetOnly, false), nil, oss.ACLPublicReadWrite, false, SourceSessionPolicy},
		{"ACL still needs session allow", "oss:GetObject", "k", sess(sessGetOnly, false), nil, oss.ACLPublicRead, true, SourceACL},
	}
	for _, c := range cases {
		r := baseReq(c.action, c.key, c.p)
		r.BucketACL = c.acl
		d := Evaluate(r, c.ups, nil)
		if d.Allowed != c.allowed || d.Source != c.src {
			t.Errorf("%s: got %+v, want allowed=%v source=%v", c.name, d, c.allowed, c.src)
		}
	}
	// A bucket policy may name a session by its STS ARN.
	bp := mustBucketPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":["arn:sts::`+acct+`:assumed-role/alice/*"],"Resource":"acs:oss:*:*:b/*"}]}`)
	if d := Evaluate(baseReq("oss:GetObject", "k", sess(nil, false)), nil, bp); !d.Allowed || d.Source != SourceBucketPolicy {
		t.Errorf("STS ARN principal: %+v", d)
	}
	// ... and the issuer UID covers its sessions.
	bp = mustBucketPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":["`+userUID+`"],"Resource":"acs:oss:*:*:b/*"}]}`)
	if d := Evaluate(baseReq("oss:GetObject", "k", sess(sessGetOnly, false)), nil, bp); !d.Allowed {
		t.Errorf("issuer UID principal: %+v", d)
	}
}

func TestConditions(t *testing.T) {
	type tc struct {
		name string
		cond string
		mod  func(*Request)
		want bool
	}
	cases := []tc{
		{"ip v4 in", `{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}`, nil, true},
		{"ip v4 out", `{"IpAddress":{"acs:SourceIp":"192.168.0.0/16"}}`, nil, false},
		{"ip list OR", `{"IpAddress":{"acs:SourceIp":["192.168.0.0/16","10.1.2.3"]}}`, nil, true},
		{"ip v6 in", `{"IpAddress":{"acs:SourceIp":"2001:db8::/32"}}`, func(r *Request) { r.SourceIP = netip.MustParseAddr("2001:db8::1") }, true},
		{"ip v6 out", `{"IpAddress":{"acs:SourceIp":"2001:db8::/32"}}`, func(r *Request) { r.SourceIP = netip.MustParseAddr("2001:db9::1") }, false},
		{"ip v4-mapped request", `{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}`, func(r *Request) { r.SourceIP = netip.MustParseAddr("::ffff:10.9.9.9") }, true},
		{"ip v4-mapped policy", `{"IpAddress":{"acs:SourceIp":"::ffff:10.0.0.0/104"}}`, nil, true},
		{"ip v6 never matches v4", `{"IpAddress":{"acs:SourceIp":"::/0"}}`, nil, false},
		{"not ip", `{"NotIpAddress":{"acs:SourceIp":"192.168.0.0/16"}}`, nil, true},
		{"not ip in", `{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}`, nil, false},
		{"ip absent", `{"IpAddress":{"acs:SourceIp":"0.0.0.0/0"}}`, func(r *Request) { r.SourceIP = netip.Addr{} }, false},
		{"not ip absent", `{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}`, func(r *Request) { r.SourceIP = netip.Addr{} }, true},
		{"string equals", `{"StringEquals":{"acs:UserAgent":"curl/8"}}`, func(r *Request) { r.UserAgent = "curl/8" }, true},
		{"string equals case", `{"StringEquals":{"acs:UserAgent":"CURL/8"}}`, func(r *Request) { r.UserAgent = "curl/8" }, false},
		{"string equals ignore case", `{"StringEqualsIgnoreCase":{"acs:UserAgent":"CURL/8"}}`, func(r *Request) { r.UserAgent = "curl/8" }, true},
		{"string not equals ignore case", `{"StringNotEqualsIgnoreCase":{"acs:UserAgent":"CURL/8"}}`, func(r *Request) { r.UserAgent = "curl/8" }, false},
		{"string not equals", `{"StringNotEquals":{"acs:UserAgent":["a","b"]}}`, func(r *Request) { r.UserAgent = "c" }, true},
		{"string not equals hit", `{"StringNotEquals":{"acs:UserAgent":["a","b"]}}`, func(r *Request) { r.UserAgent = "b" }, false},
		{"string absent", `{"StringEquals":{"acs:UserAgent":"a"}}`, nil, false},
		{"string not absent", `{"StringNotEquals":{"acs:UserAgent":"a"}}`, nil, true},
		{"string like", `{"StringLike":{"acs:Referer":"https://*.example.com/*"}}`, func(r *Request) { r.Referer = "https://www.example.com/page" }, true},
		{"string not like", `{"StringNotLike":{"acs:Referer":"https://*.example.com/*"}}`, func(r *Request) { r.Referer = "https://evil.com/" }, true},
		{"prefix on list", `{"StringLike":{"oss:Prefix":"a/*"}}`, func(r *Request) { r.Action, r.Key, r.Prefix = "oss:ListObjects", "", "a/b" }, true},
		{"empty prefix present on list", `{"StringEquals":{"oss:Prefix":""}}`, func(r *Request) { r.Action, r.Key = "oss:ListObjects", "" }, true},
		{"prefix absent on get", `{"StringLike":{"oss:Prefix":"*"}}`, nil, false},
		{"delimiter", `{"StringEquals":{"oss:Delimiter":"/"}}`, func(r *Request) { r.Action, r.Key, r.Delimiter = "oss:ListObjects", "", "/" }, true},
		{"secure true", `{"Bool":{"acs:SecureTransport":"true"}}`, func(r *Request) { r.Secure = true }, true},
		{"secure false", `{"Bool":{"acs:SecureTransport":true}}`, nil, false},
		{"secure bool false", `{"Bool":{"acs:SecureTransport":"false"}}`, nil, true},
		{"mfa", `{"Bool":{"acs:MFAPresent":"true"}}`, nil, false},
		{"date less", `{"DateLessThan":{"acs:CurrentTime":"2025-06-01T00:00:00Z"}}`, nil, true},
		{"date less no", `{"DateLessThan":{"acs:CurrentTime":"2024-06-01T00:00:00Z"}}`, nil, false},
		{"date greater", `{"DateGreaterThan":{"acs:CurrentTime":"2024-12-31T23:59:59Z"}}`, nil, true},
		{"date greater equals", `{"DateGreaterThanEquals":{"acs:CurrentTime":"2025-01-01T00:00:00Z"}}`, nil, true},
		{"date less equals", `{"DateLessThanEquals":{"acs:CurrentTime":"2025-01-01T00:00:00.000Z"}}`, nil, true},
		{"date equals", `{"DateEquals":{"acs:CurrentTime":"2025-01-01T08:00:00+08:00"}}`, nil, true},
		{"date not equals", `{"DateNotEquals":{"acs:CurrentTime":"2025-01-01"}}`, nil, false},
		{"date plain", `{"DateGreaterThan":{"acs:CurrentTime":"2024-12-31"}}`, nil, true},
		{"access id", `{"StringEquals":{"acs:AccessId":"LTAIalice"}}`, nil, true},
		{"access id anon", `{"StringEquals":{"acs:AccessId":"LTAIalice"}}`, func(r *Request) { r.Anonymous = true }, false},
		{"vpc", `{"StringEquals":{"acs:SourceVpc":"vpc-1"}}`, func(r *Request) { r.SourceVPC = "vpc-1" }, true},
		{"existing tag", `{"StringEquals":{"oss:ExistingObjectTag/team":"dev"}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"team": "dev"} }, true},
		{"existing tag key case-sensitive", `{"StringEquals":{"oss:ExistingObjectTag/Team":"dev"}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"team": "dev"} }, false},
		{"condition key case-insensitive", `{"StringEquals":{"OSS:existingobjecttag/team":"dev"}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"team": "dev"} }, true},
		{"request tag", `{"StringLike":{"oss:RequestObjectTag/env":"prod*"}}`, func(r *Request) { r.RequestObjectTags = map[string]string{"env": "prod-1"} }, true},
		{"numeric lt", `{"NumericLessThan":{"oss:ExistingObjectTag/n":10}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"n": "9"} }, true},
		{"numeric lte", `{"NumericLessThanEquals":{"oss:ExistingObjectTag/n":"9"}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"n": "9"} }, true},
		{"numeric gt", `{"NumericGreaterThan":{"oss:ExistingObjectTag/n":10}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"n": "9"} }, false},
		{"numeric gte", `{"NumericGreaterThanEquals":{"oss:ExistingObjectTag/n":9.0}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"n": "9"} }, true},
		{"numeric eq", `{"NumericEquals":{"oss:ExistingObjectTag/n":[1,9]}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"n": "9"} }, true},
		{"numeric ne", `{"NumericNotEquals":{"oss:ExistingObjectTag/n":9}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"n": "9"} }, false},
		{"numeric not a number", `{"NumericEquals":{"oss:ExistingObjectTag/n":9}}`, func(r *Request) { r.ExistingObjectTags = map[string]string{"n": "nine"} }, false},
		{"extra key", `{"StringEquals":{"oss:x-oss-object-acl":"private"}}`, func(r *Request) { r.Extra = map[string]string{"oss:x-oss-object-acl": "private"} }, true},
		{"unknown key absent", `{"StringEquals":{"oss:whatever":"x"}}`, nil, false},
		{"AND across keys", `{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":"true"}}`, nil, false},
		{"AND across keys met", `{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"},"Bool":{"acs:SecureTransport":"true"}}`, func(r *Request) { r.Secure = true }, true},
		{"AND within operator", `{"StringEquals":{"acs:UserAgent":"a","acs:SourceVpc":"v"}}`, func(r *Request) { r.UserAgent = "a" }, false},
	}
	for _, c := range cases {
		doc := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":` + c.cond + `}]}`
		p := mustPolicy(t, doc)
		r := baseReq("oss:GetObject", "k", subUser())
		if c.mod != nil {
			c.mod(&r)
		}
		if r.Anonymous {
			// Anonymous callers ignore RAM policies; test the condition alone.
			got := p.Statements[0].Conditions[0].matches(&r)
			if got != c.want {
				t.Errorf("%s: matches = %v, want %v", c.name, got, c.want)
			}
			continue
		}
		d := Evaluate(r, []*Policy{p}, nil)
		if d.Allowed != c.want {
			t.Errorf("%s: allowed = %v, want %v", c.name, d.Allowed, c.want)
		}
	}
}

func TestIsPublic(t *testing.T) {
	cases := []struct {
		doc  string
		want bool
	}{
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":"*","Resource":"acs:oss:*:*:b/*"}]}`, true},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":[],"Resource":"acs:oss:*:*:b/*"}]}`, true},
		{`{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:GetObject","Principal":"*","Resource":"acs:oss:*:*:b/*"}]}`, false},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":["123"],"Resource":"acs:oss:*:*:b/*"}]}`, false},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":"*","Resource":"acs:oss:*:*:b/*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}`, false},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":"*","Resource":"acs:oss:*:*:b/*","Condition":{"IpAddress":{"acs:SourceIp":"0.0.0.0/0"}}}]}`, true},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":"*","Resource":"acs:oss:*:*:b/*","Condition":{"StringEquals":{"acs:SourceVpc":"vpc-1"}}}]}`, false},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":"*","Resource":"acs:oss:*:*:b/*","Condition":{"StringLike":{"acs:SourceVpc":"*"}}}]}`, true},
		{`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Principal":"*","Resource":"acs:oss:*:*:b/*","Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}`, true},
	}
	for i, c := range cases {
		if got := IsPublic(mustBucketPolicy(t, c.doc)); got != c.want {
			t.Errorf("case %d: IsPublic = %v, want %v", i, got, c.want)
		}
	}
	if IsPublic(nil) {
		t.Error("IsPublic(nil)")
	}
}

func TestActionFor(t *testing.T) {
	want := map[string]string{
		"PutObject": "oss:PutObject", "PostObject": "oss:PutObject", "AppendObject": "oss:PutObject",
		"CopyObject": "oss:PutObject", "PutSymlink": "oss:PutObject", "GetSymlink": "oss:GetObject",
		"GetObject": "oss:GetObject", "HeadObject": "oss:GetObject", "GetObjectMeta": "oss:GetObject",
		"DeleteObject": "oss:DeleteObject", "DeleteMultipleObjects": "oss:DeleteObject",
		"PutObjectTagging": "oss:PutObjectTagging", "GetObjectTagging": "oss:GetObjectTagging", "DeleteObjectTagging": "oss:DeleteObjectTagging",
		"PutObjectAcl": "oss:PutObjectAcl", "GetObjectAcl": "oss:GetObjectAcl",
		"InitiateMultipartUpload": "oss:PutObject", "UploadPart": "oss:PutObject", "UploadPartCopy": "oss:PutObject",
		"CompleteMultipartUpload": "oss:PutObject", "AbortMultipartUpload": "oss:AbortMultipartUpload",
		"ListParts": "oss:ListParts", "ListMultipartUploads": "oss:ListMultipartUploads",
		"PutBucket": "oss:PutBucket", "DeleteBucket": "oss:DeleteBucket", "ListBuckets": "oss:ListBuckets",
		"ListObjects": "oss:ListObjects", "ListObjectsV2": "oss:ListObjects", "ListObjectVersions": "oss:ListObjectVersions",
		"GetBucketInfo": "oss:GetBucketInfo", "GetBucketLocation": "oss:GetBucketLocation", "GetBucketStat": "oss:GetBucketStat",
		"PutBucketAcl": "oss:PutBucketAcl", "GetBucketAcl": "oss:GetBucketAcl",
		"PutBucketVersioning": "oss:PutBucketVersioning", "GetBucketVersioning": "oss:GetBucketVersioning",
		"PutBucketLifecycle": "oss:PutBucketLifecycle", "GetBucketLifecycle": "oss:GetBucketLifecycle", "DeleteBucketLifecycle": "oss:DeleteBucketLifecycle",
		"PutBucketPolicy": "oss:PutBucketPolicy", "GetBucketPolicy": "oss:GetBucketPolicy", "DeleteBucketPolicy": "oss:DeleteBucketPolicy",
		"GetBucketPolicyStatus": "oss:GetBucketPolicyStatus",
		"PutBucketCors":         "oss:PutBucketCors", "GetBucketCors": "oss:GetBucketCors", "DeleteBucketCors": "oss:DeleteBucketCors",
		"PutBucketReferer": "oss:PutBucketReferer", "GetBucketReferer": "oss:GetBucketReferer",
		"HeadBucket": "oss:ListObjects", "Bogus": "",
	}
	for op, a := range want {
		if got := ActionFor(op); got != a {
			t.Errorf("ActionFor(%q) = %q, want %q", op, got, a)
		}
	}
}
