package access

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
)

func TestIssueAndVerifyToken(t *testing.T) {
	ctx := context.Background()
	d, _, clk := newDir(t)
	if _, err := d.AddUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	k, err := d.CreateKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	sess := mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}]}`)
	cred, err := d.IssueToken(ctx, k.AccessKeyID, sess, time.Hour, "web-upload")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^STS\.[A-Z2-7]{26}$`).MatchString(cred.AccessKeyID) || len(cred.AccessKeySecret) != 32 {
		t.Fatalf("credentials %+v", cred)
	}
	if !cred.Expiration.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("Expiration %v", cred.Expiration)
	}
	// SecretFor answers for the STS id (so auth.Verifier can check SDK signatures).
	s, err := d.SecretFor(ctx, cred.AccessKeyID)
	if err != nil || s != cred.AccessKeySecret {
		t.Fatalf("SecretFor(STS) = %q, %v", s, err)
	}
	p, err := d.VerifyToken(ctx, cred.AccessKeyID, cred.SecurityToken, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !p.STS || p.UserName != "alice" || p.SessionName != "web-upload" || p.SessionPolicy == nil || p.IssuerAccessKeyID != k.AccessKeyID || p.AccessKeyID != cred.AccessKeyID || p.TokenID == "" {
		t.Fatalf("principal %+v", p)
	}
	if p2, err := d.Authenticate(ctx, cred.AccessKeyID, cred.SecurityToken, clk.Now()); err != nil || p2.TokenID != p.TokenID {
		t.Fatalf("Authenticate: %v", err)
	}

	// The session can do no more than the issuer: alice has no policy yet.
	if dec := Evaluate(baseReq("oss:GetObject", "k", p), p.Policies, nil); dec.Allowed {
		t.Fatalf("session allowed beyond issuer: %+v", dec)
	}
	if err := d.PutNamedPolicy(ctx, "all", []byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`)); err != nil {
		t.Fatal(err)
	}
	if err := d.AttachPolicy(ctx, "alice", "all"); err != nil {
		t.Fatal(err)
	}
	p, err = d.VerifyToken(ctx, cred.AccessKeyID, cred.SecurityToken, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if dec := Evaluate(baseReq("oss:GetObject", "k", p), p.Policies, nil); !dec.Allowed {
		t.Errorf("Get denied: %+v", dec)
	}
	if dec := Evaluate(baseReq("oss:PutObject", "k", p), p.Policies, nil); dec.Allowed || dec.Source != SourceSessionPolicy {
		t.Errorf("Put beyond session policy: %+v", dec)
	}

	// Expiry.
	clk.Add(time.Hour)
	_, err = d.VerifyToken(ctx, cred.AccessKeyID, cred.SecurityToken, clk.Now())
	if codeOf(err) != CodeSecurityTokenExpired || !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired: %v", err)
	}
	var ae *Error
	if errors.As(err, &ae) && (ae.Status != http.StatusForbidden || ae.Message != MsgTokenExpired) {
		t.Errorf("expired error %+v", ae)
	}
}

func TestTokenTamperAndMismatch(t *testing.T) {
	ctx := context.Background()
	d, _, clk := newDir(t)
	k, _ := d.CreateKey(ctx, "")
	cred, err := d.IssueToken(ctx, k.AccessKeyID, nil, time.Hour, "s1")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := d.IssueToken(ctx, k.AccessKeyID, nil, time.Hour, "s2")
	now := clk.Now()

	// Forge claims: extend the expiry and drop the session policy.
	parts := strings.Split(cred.SecurityToken, ".")
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(body), `"sn":"s1"`, `"sn":"s9"`, 1)
	forgedTok := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]

	flip := []byte(cred.SecurityToken)
	flip[len(flip)-3] ^= 1
	cases := []struct {
		name, ak, tok string
		want          error
	}{
		{"forged claims", cred.AccessKeyID, forgedTok, ErrTokenInvalid},
		{"flipped mac", cred.AccessKeyID, string(flip), ErrTokenInvalid},
		{"garbage", cred.AccessKeyID, "not-a-token", ErrTokenInvalid},
		{"empty mac", cred.AccessKeyID, parts[0] + "." + parts[1] + ".", ErrTokenInvalid},
		{"too long", cred.AccessKeyID, strings.Repeat("a", maxTokenBytes+1), ErrTokenInvalid},
		{"other session's token", cred.AccessKeyID, other.SecurityToken, ErrTokenMismatch},
		{"token with other ak", other.AccessKeyID, cred.SecurityToken, ErrTokenMismatch},
	}
	for _, c := range cases {
		_, err := d.VerifyToken(ctx, c.ak, c.tok, now)
		if !errors.Is(err, c.want) || codeOf(err) != CodeInvalidSecurityToken {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// A token minted under another directory's master key does not verify.
	d2, _, _ := newDir(t)
	if _, err := d2.VerifyToken(ctx, cred.AccessKeyID, cred.SecurityToken, now); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("foreign directory: %v", err)
	}
	if _, err := d2.SecretFor(ctx, cred.AccessKeyID); !errors.Is(err, auth.ErrUnknownAccessKey) {
		t.Errorf("foreign SecretFor: %v", err)
	}
}

func TestTokenRevocation(t *testing.T) {
	ctx := context.Background()
	d, st, clk := newDir(t)
	if _, err := d.AddUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	k1, _ := d.CreateKey(ctx, "alice")
	k2, _ := d.CreateKey(ctx, "alice")
	issue := func(k AccessKey) Credentials {
		c, err := d.IssueToken(ctx, k.AccessKeyID, nil, time.Hour, "s1")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	verify := func(c Credentials) error {
		_, err := d.VerifyToken(ctx, c.AccessKeyID, c.SecurityToken, clk.Now())
		return err
	}

	// By token.
	c1 := issue(k1)
	c1b := issue(k1)
	if err := d.RevokeToken(ctx, c1.SecurityToken); err != nil {
		t.Fatal(err)
	}
	if err := verify(c1); !errors.Is(err, ErrTokenRevoked) || codeOf(err) != CodeInvalidSecurityToken {
		t.Errorf("revoked token: %v", err)
	}
	if err := verify(c1b); err != nil {
		t.Errorf("sibling token: %v", err)
	}
	if err := d.RevokeToken(ctx, "junk"); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("revoke junk: %v", err)
	}
	// Revocations survive a reload and are pruned once the token expired.
	d2, err := OpenDirectory(ctx, st, WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.VerifyToken(ctx, c1.AccessKeyID, c1.SecurityToken, clk.Now()); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("revocation lost on reload: %v", err)
	}

	// By deactivating, then deleting, the issuer key.
	c2 := issue(k2)
	if err := d.SetKeyStatus(ctx, k2.AccessKeyID, KeyInactive); err != nil {
		t.Fatal(err)
	}
	if err := verify(c2); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("inactive issuer: %v", err)
	}
	if err := d.SetKeyStatus(ctx, k2.AccessKeyID, KeyActive); err != nil {
		t.Fatal(err)
	}
	if err := verify(c2); err != nil {
		t.Errorf("reactivated issuer: %v", err)
	}
	if err := d.DeleteKey(ctx, k2.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if err := verify(c2); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("deleted issuer key: %v", err)
	}

	// By deleting the user (and re-creating one of the same name).
	if err := d.DeleteKey(ctx, k1.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := verify(c1b); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("deleted user: %v", err)
	}

	clk.Add(2 * time.Hour)
	if _, err := d.AddUser(ctx, "bob"); err != nil { // any update prunes
		t.Fatal(err)
	}
	if strings.Contains(string(st.data), "revokedTokens") {
		t.Error("expired revocations not pruned")
	}
}

func TestIssueTokenErrors(t *testing.T) {
	ctx := context.Background()
	d, _, clk := newDir(t)
	k, _ := d.CreateKey(ctx, "")
	cases := []struct {
		name   string
		ak     string
		pol    *Policy
		dur    time.Duration
		sn     string
		code   string
		target error
	}{
		{"too short", k.AccessKeyID, nil, 14 * time.Minute, "s1", CodeInvalidArgument, ErrBadDuration},
		{"too long", k.AccessKeyID, nil, 12*time.Hour + time.Second, "s1", CodeInvalidArgument, ErrBadDuration},
		{"bad session name", k.AccessKeyID, nil, time.Hour, "x", CodeInvalidArgument, nil},
		{"session name chars", k.AccessKeyID, nil, time.Hour, "a b", CodeInvalidArgument, nil},
		{"unknown issuer", "LTAInope", nil, time.Hour, "s1", CodeInvalidAccessKeyID, auth.ErrUnknownAccessKey},
		{"chained", "STS.AAAA", nil, time.Hour, "s1", CodeInvalidArgument, nil},
		{"bucket policy as session policy", k.AccessKeyID, mustBucketPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Principal":"*","Resource":"acs:oss:*:*:b"}]}`), time.Hour, "s1", CodeInvalidPolicyDocument, nil},
		{"big session policy", k.AccessKeyID, mustPolicy(t, `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":["acs:oss:*:*:`+strings.Repeat("b", MaxSessionPolicyBytes)+`"]}]}`), time.Hour, "s1", CodeInvalidPolicyDocument, nil},
	}
	for _, c := range cases {
		_, err := d.IssueToken(ctx, c.ak, c.pol, c.dur, c.sn)
		if codeOf(err) != c.code || (c.target != nil && !errors.Is(err, c.target)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	for _, dur := range []time.Duration{MinTokenDuration, MaxTokenDuration} {
		if _, err := d.IssueToken(ctx, k.AccessKeyID, nil, dur, "s1"); err != nil {
			t.Errorf("duration %v: %v", dur, err)
		}
	}
	_ = clk
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	d, _, clk := newDir(t)
	k, _ := d.CreateKey(ctx, "")
	cred, _ := d.IssueToken(ctx, k.AccessKeyID, nil, time.Hour, "s1")
	if p, err := d.Authenticate(ctx, k.AccessKeyID, "", clk.Now()); err != nil || !p.IsRoot || p.STS {
		t.Errorf("long-term: %+v %v", p, err)
	}
	if _, err := d.Authenticate(ctx, k.AccessKeyID, cred.SecurityToken, clk.Now()); codeOf(err) != CodeInvalidAccessKeyID {
		t.Errorf("token with long-term key: %v", err)
	}
	if _, err := d.Authenticate(ctx, cred.AccessKeyID, "", clk.Now()); codeOf(err) != CodeInvalidAccessKeyID {
		t.Errorf("STS key without token: %v", err)
	}
	if p, err := d.Authenticate(ctx, cred.AccessKeyID, cred.SecurityToken, clk.Now()); err != nil || !p.STS || !p.IsRoot {
		t.Errorf("STS: %+v %v", p, err)
	}
}

// The SDKs' static STS credentials sign requests the auth verifier accepts
// through Directory.SecretFor.
func TestSTSSignatureVerifies(t *testing.T) {
	ctx := context.Background()
	d, _, clk := newDir(t)
	k, _ := d.CreateKey(ctx, "")
	cred, err := d.IssueToken(ctx, k.AccessKeyID, nil, time.Hour, "sdk")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := http.NewRequest(http.MethodGet, "http://b.oss-cn-hangzhou.aliyuncs.com/k", nil)
	auth.SignOSSV4(r, cred.AccessKeyID, cred.AccessKeySecret, "cn-hangzhou", "b", "k", clk.Now(), auth.WithSecurityToken(cred.SecurityToken))
	v := &auth.Verifier{Creds: d, Now: clk.Now}
	res, err := v.Verify(ctx, r, "b", "k")
	if err != nil {
		t.Fatal(err)
	}
	if res.AccessKeyID != cred.AccessKeyID || res.SecurityToken != cred.SecurityToken {
		t.Fatalf("result %+v", res)
	}
	p, err := d.Authenticate(ctx, res.AccessKeyID, res.SecurityToken, clk.Now())
	if err != nil || !p.STS {
		t.Fatalf("Authenticate: %+v %v", p, err)
	}
	// A wrong secret fails the signature.
	r2, _ := http.NewRequest(http.MethodGet, "http://b.oss-cn-hangzhou.aliyuncs.com/k", nil)
	auth.SignOSSV4(r2, cred.AccessKeyID, "wrong", "cn-hangzhou", "b", "k", clk.Now(), auth.WithSecurityToken(cred.SecurityToken))
	if _, err := v.Verify(ctx, r2, "b", "k"); err == nil {
		t.Error("wrong secret verified")
	}
}
