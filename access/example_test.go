package access_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/oss"
)

// memStore keeps the directory's state in memory; the composition root
// uses an atomically replaced 0600 file instead.
type memStore struct {
	mu   sync.Mutex
	data []byte
}

func (m *memStore) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data, nil
}

func (m *memStore) Save(_ context.Context, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append([]byte(nil), b...)
	return nil
}

func ExampleEvaluate() {
	// A sub-user may read one prefix; the bucket policy denies everyone
	// outside the office network.
	userPolicy, _ := access.ParsePolicy([]byte(`{"Version":"1","Statement":[
		{"Effect":"Allow","Action":["oss:GetObject","oss:ListObjects"],"Resource":["acs:oss:*:*:reports","acs:oss:*:*:reports/2024/*"]}]}`))
	bucketPolicy, _ := access.ParseBucketPolicy([]byte(`{"Version":"1","Statement":[
		{"Effect":"Deny","Action":"oss:*","Principal":"*","Resource":"acs:oss:*:*:reports/*",
		 "Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}`), "reports")

	alice := access.Principal{AccountUID: "1000000000000001", UserName: "alice", UserUID: "2000000000000002", AccessKeyID: "LTAIexample"}
	req := access.Request{
		Action:      access.ActionFor("GetObject"),
		Region:      "cn-hangzhou",
		Bucket:      "reports",
		Key:         "2024/q1.pdf",
		Principal:   alice,
		SourceIP:    netip.MustParseAddr("10.1.2.3"),
		Now:         time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		BucketOwner: "1000000000000001",
		BucketACL:   oss.ACLPrivate,
	}
	fmt.Println(access.Evaluate(req, []*access.Policy{userPolicy}, bucketPolicy).Allowed)

	req.SourceIP = netip.MustParseAddr("203.0.113.9")
	d := access.Evaluate(req, []*access.Policy{userPolicy}, bucketPolicy)
	fmt.Println(d.Allowed, d.Explicit, d.Source, d.Err())

	req.SourceIP, req.Key = netip.MustParseAddr("10.1.2.3"), "2023/q4.pdf"
	fmt.Println(access.Evaluate(req, []*access.Policy{userPolicy}, bucketPolicy).Allowed)
	// Output:
	// true
	// false true bucket policy AccessDenied: Access denied by bucket policy.
	// false
}

func ExampleDirectory_IssueToken() {
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	dir, _ := access.OpenDirectory(ctx, &memStore{}, access.WithClock(func() time.Time { return now }))
	_, _ = dir.AddUser(ctx, "uploader")
	key, _ := dir.CreateKey(ctx, "uploader")
	_ = dir.PutNamedPolicy(ctx, "write-inbox", []byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:PutObject","oss:GetObject"],"Resource":"acs:oss:*:*:inbox/*"}]}`))
	_ = dir.AttachPolicy(ctx, "uploader", "write-inbox")

	// A browser session that may only upload, for one hour.
	session, _ := access.ParsePolicy([]byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"*"}]}`))
	cred, _ := dir.IssueToken(ctx, key.AccessKeyID, session, time.Hour, "browser-42")
	fmt.Println(cred.Expiration.Format(time.RFC3339))

	// The HTTP layer verifies the signature with dir.SecretFor, then:
	p, err := dir.Authenticate(ctx, cred.AccessKeyID, cred.SecurityToken, now.Add(time.Minute))
	fmt.Println(err, p.STS, p.UserName, p.SessionName)

	req := access.Request{Action: "oss:PutObject", Bucket: "inbox", Key: "a.jpg", Principal: p, BucketOwner: dir.AccountUID(), BucketACL: oss.ACLPrivate}
	fmt.Println(access.Evaluate(req, p.Policies, nil).Allowed)
	req.Action = "oss:GetObject" // the issuer may, the session may not
	fmt.Println(access.Evaluate(req, p.Policies, nil).Allowed)

	_, err = dir.Authenticate(ctx, cred.AccessKeyID, cred.SecurityToken, now.Add(2*time.Hour))
	fmt.Println(err)
	// Output:
	// 2024-06-01T09:00:00Z
	// <nil> true uploader browser-42
	// true
	// false
	// SecurityTokenExpired: The security token you provided has expired. (access: security token expired at 2024-06-01T09:00:00Z)
}

func ExampleVerifyPostPolicy() {
	ctx := context.Background()
	now := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	dir, _ := access.OpenDirectory(ctx, &memStore{}, access.WithClock(func() time.Time { return now }))
	key, _ := dir.CreateKey(ctx, "")

	// Server side of a browser upload: sign a V4 form.
	form, _ := access.PostFormV4(key.AccessKeyID, key.Secret, "", "cn-hangzhou", now, access.PostPolicy{
		Expiration: now.Add(10 * time.Minute),
		Conditions: []any{
			map[string]string{"bucket": "photos"},
			[]any{"starts-with", "$key", "user/42/"},
			[]any{"content-length-range", 1, 10 << 20},
		},
	})
	form["key"] = "user/42/cat.jpg"

	// The HTTP layer, on POST: verify, then authorize oss:PutObject.
	auth, err := access.VerifyPostPolicy(ctx, dir, form, "photos", 123456, now.Add(time.Minute))
	fmt.Println(err, auth.SignatureVersion, auth.Principal.IsRoot)

	form["key"] = "admin/cat.jpg"
	_, err = access.VerifyPostPolicy(ctx, dir, form, "photos", 123456, now.Add(time.Minute))
	fmt.Println(err)

	form["key"] = "user/42/cat.jpg"
	_, err = access.VerifyPostPolicy(ctx, dir, form, "photos", 123456, now.Add(time.Hour))
	fmt.Println(err)
	// Output:
	// <nil> 4 true
	// AccessDenied: Invalid according to Policy: Policy Condition failed: ["starts-with","$key","user/42/"]
	// AccessDenied: Invalid according to Policy: Policy expired.
}
