package access

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// STS token bounds, as RAM's AssumeRole.
const (
	MinTokenDuration = 15 * time.Minute
	MaxTokenDuration = 12 * time.Hour
	stsPrefix        = "STS."
	tokenVersion     = "v1"
	maxTokenBytes    = 8 << 10
)

// Credentials are temporary STS credentials: the SDKs take them as a static
// (AccessKeyID, AccessKeySecret, SecurityToken) triple.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
	Expiration      time.Time
}

// stsKeys are the keys derived from the directory's master key, one per
// purpose, so that no key is used for two things.
type stsKeys struct {
	token     []byte // MACs tokens
	secretKey []byte // derives session secrets from access key ids
	id        []byte // tags access key ids
}

func hmacSHA256(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

func deriveSTSKeys(master []byte) stsKeys {
	return stsKeys{
		token:     hmacSHA256(master, "ossflow/access/sts/token/v1"),
		secretKey: hmacSHA256(master, "ossflow/access/sts/secret/v1"),
		id:        hmacSHA256(master, "ossflow/access/sts/akid/v1"),
	}
}

func b32() *base32.Encoding { return base32.StdEncoding.WithPadding(base32.NoPadding) }

// newAccessKeyID returns "STS." + base32(10 random bytes || 6-byte tag) so
// that SecretFor can tell ids this directory issued from invented ones.
func (k stsKeys) newAccessKeyID(r io.Reader) (string, error) {
	raw := make([]byte, 16)
	if _, err := io.ReadFull(r, raw[:10]); err != nil {
		return "", fmt.Errorf("access: reading randomness: %w", err)
	}
	copy(raw[10:], hmacSHA256(k.id, string(raw[:10]))[:6])
	return stsPrefix + b32().EncodeToString(raw), nil
}

func (k stsKeys) validAccessKeyID(ak string) bool {
	enc, ok := strings.CutPrefix(ak, stsPrefix)
	if !ok || len(enc) != 26 {
		return false
	}
	raw, err := b32().DecodeString(enc)
	if err != nil || len(raw) != 16 {
		return false
	}
	return hmac.Equal(raw[10:], hmacSHA256(k.id, string(raw[:10]))[:6])
}

// secret derives a session's secret from its access key id: 32 characters
// of [A-Za-z0-9] taken from HMAC-SHA256(secretKey, id) (about 190 bits).
func (k stsKeys) secret(ak string) string {
	sum := hmacSHA256(k.secretKey, ak)
	out := make([]byte, len(sum))
	for i, b := range sum {
		out[i] = alnum[int(b)%len(alnum)]
	}
	return string(out)
}

type tokenClaims struct {
	ID      string `json:"jti"`
	AK      string `json:"ak"`
	Issuer  string `json:"iss"`
	Account string `json:"acct"`
	User    string `json:"usr,omitempty"`
	UID     string `json:"uid"`
	Session string `json:"sn"`
	Policy  string `json:"pol,omitempty"`
	Issued  int64  `json:"iat"`
	Expires int64  `json:"exp"`
}

func (k stsKeys) sign(c tokenClaims) (string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	payload := tokenVersion + "." + base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(hmacSHA256(k.token, payload)), nil
}

// parse checks a token's MAC (in constant time) and decodes its claims.
func (k stsKeys) parse(token string) (tokenClaims, error) {
	var c tokenClaims
	if len(token) > maxTokenBytes {
		return c, fmt.Errorf("%w: token too long", ErrTokenInvalid)
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 || !strings.HasPrefix(token, tokenVersion+".") {
		return c, fmt.Errorf("%w: malformed token", ErrTokenInvalid)
	}
	payload, macB64 := token[:i], token[i+1:]
	mac, err := base64.RawURLEncoding.DecodeString(macB64)
	if err != nil || !hmac.Equal(mac, hmacSHA256(k.token, payload)) {
		return c, fmt.Errorf("%w: bad token signature", ErrTokenInvalid)
	}
	body, err := base64.RawURLEncoding.DecodeString(payload[len(tokenVersion)+1:])
	if err != nil {
		return c, fmt.Errorf("%w: malformed token body", ErrTokenInvalid)
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return c, fmt.Errorf("%w: malformed token claims", ErrTokenInvalid)
	}
	return c, nil
}

func validSessionName(n string) bool {
	if len(n) < 2 || len(n) > 64 {
		return false
	}
	for _, c := range []byte(n) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '@' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// IssueToken issues temporary credentials on behalf of the holder of the
// long-term key issuerAccessKeyID (root or sub-user; STS credentials cannot
// issue further tokens). The session can do at most what its issuer can do
// when the request arrives, narrowed by sessionPolicy when it is not nil
// (an identity policy of at most MaxSessionPolicyBytes). duration must lie
// in [MinTokenDuration, MaxTokenDuration]; sessionName is 2 to 64
// characters of letters, digits and ".@_-".
//
// Tokens are self-contained: base64url(JSON claims) with an HMAC-SHA256
// under a key derived from the directory's master key, and the session
// secret is derived from the access key id, so nothing is stored per token.
func (d *Directory) IssueToken(ctx context.Context, issuerAccessKeyID string, sessionPolicy *Policy, duration time.Duration, sessionName string) (Credentials, error) {
	if duration < MinTokenDuration || duration > MaxTokenDuration {
		e := invalidArgument(fmt.Sprintf("The token duration must be between %v and %v.", MinTokenDuration, MaxTokenDuration), "DurationSeconds", fmt.Sprint(int64(duration/time.Second)))
		e.Err = ErrBadDuration
		return Credentials{}, e
	}
	if !validSessionName(sessionName) {
		return Credentials{}, invalidArgument("The session name must be 2 to 64 characters of letters, digits and '.', '@', '_', '-'.", "RoleSessionName", sessionName)
	}
	if strings.HasPrefix(issuerAccessKeyID, stsPrefix) {
		return Credentials{}, invalidArgument("Temporary credentials cannot issue security tokens.", "AccessKeyId", issuerAccessKeyID)
	}
	var polDoc string
	if sessionPolicy != nil {
		if sessionPolicy.Kind != IdentityPolicy {
			return Credentials{}, invalidPolicy("Invalid Policy: a session policy cannot have a Principal.", nil)
		}
		if len(sessionPolicy.doc) > MaxSessionPolicyBytes {
			return Credentials{}, invalidPolicy(fmt.Sprintf("Invalid Policy: a session policy is limited to %d bytes.", MaxSessionPolicyBytes), nil)
		}
		polDoc = string(sessionPolicy.doc)
	}
	issuer, _, err := d.Lookup(ctx, issuerAccessKeyID)
	if err != nil {
		return Credentials{}, err
	}
	d.mu.RLock()
	keys := d.sts
	d.mu.RUnlock()
	ak, err := keys.newAccessKeyID(d.rand)
	if err != nil {
		return Credentials{}, err
	}
	idRaw := make([]byte, 16)
	if _, err := io.ReadFull(d.rand, idRaw); err != nil {
		return Credentials{}, fmt.Errorf("access: reading randomness: %w", err)
	}
	now := d.now().UTC().Truncate(time.Second)
	exp := now.Add(duration)
	tok, err := keys.sign(tokenClaims{
		ID: hex.EncodeToString(idRaw), AK: ak, Issuer: issuerAccessKeyID,
		Account: issuer.AccountUID, User: issuer.UserName, UID: issuer.UserUID,
		Session: sessionName, Policy: polDoc, Issued: now.Unix(), Expires: exp.Unix(),
	})
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AccessKeyID: ak, AccessKeySecret: keys.secret(ak), SecurityToken: tok, Expiration: exp}, nil
}

func tokenError(code, msg string, cause error) *Error {
	return newError(code, http.StatusForbidden, msg, cause)
}

// VerifyToken checks the security token presented with the STS access key
// id and returns the session's Principal (the issuer's identity and current
// policies, plus the session fields). Failures:
//
//   - a malformed or tampered token, or one issued for another access key
//     id: InvalidSecurityToken (ErrTokenInvalid / ErrTokenMismatch);
//   - an expired token: SecurityTokenExpired (ErrTokenExpired);
//   - a revoked token, or one whose issuer key was deleted or deactivated,
//     or whose issuing user was deleted: InvalidSecurityToken
//     (ErrTokenRevoked).
func (d *Directory) VerifyToken(ctx context.Context, accessKeyID, token string, now time.Time) (Principal, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	c, err := d.sts.parse(token)
	if err != nil {
		return Principal{}, tokenError(CodeInvalidSecurityToken, MsgTokenInvalid, err)
	}
	if c.AK != accessKeyID || !d.sts.validAccessKeyID(accessKeyID) {
		return Principal{}, tokenError(CodeInvalidSecurityToken, MsgTokenInvalid, ErrTokenMismatch)
	}
	if now.Unix() >= c.Expires {
		return Principal{}, tokenError(CodeSecurityTokenExpired, MsgTokenExpired,
			fmt.Errorf("%w at %s", ErrTokenExpired, time.Unix(c.Expires, 0).UTC().Format(time.RFC3339)))
	}
	if _, revoked := d.st.Revoked[c.ID]; revoked {
		return Principal{}, tokenError(CodeInvalidSecurityToken, MsgTokenInvalid, fmt.Errorf("%w: token %s", ErrTokenRevoked, c.ID))
	}
	ref, ok := d.keys[c.Issuer]
	if !ok || ref.user != c.User || c.Account != d.st.AccountUID {
		return Principal{}, tokenError(CodeInvalidSecurityToken, MsgTokenInvalid, fmt.Errorf("%w: issuer key %s no longer exists", ErrTokenRevoked, c.Issuer))
	}
	if d.keyAt(ref).Status != KeyActive {
		return Principal{}, tokenError(CodeInvalidSecurityToken, MsgTokenInvalid, fmt.Errorf("%w: issuer key %s is inactive", ErrTokenRevoked, c.Issuer))
	}
	p := d.principalFor(ref, accessKeyID)
	if p.UserUID != c.UID {
		return Principal{}, tokenError(CodeInvalidSecurityToken, MsgTokenInvalid, fmt.Errorf("%w: issuing user was replaced", ErrTokenRevoked))
	}
	p.STS = true
	p.SessionName = c.Session
	p.TokenID = c.ID
	p.IssuerAccessKeyID = c.Issuer
	p.Expiration = time.Unix(c.Expires, 0).UTC()
	if c.Policy != "" {
		sp, err := ParsePolicy([]byte(c.Policy))
		if err != nil {
			return Principal{}, tokenError(CodeInvalidSecurityToken, MsgTokenInvalid, fmt.Errorf("%w: session policy: %v", ErrTokenInvalid, err))
		}
		p.SessionPolicy = sp
	}
	return p, nil
}

// RevokeToken revokes one token (given as presented by clients; its MAC
// must verify). The revocation is kept until the token would have expired.
func (d *Directory) RevokeToken(ctx context.Context, token string) error {
	d.mu.RLock()
	c, err := d.sts.parse(token)
	d.mu.RUnlock()
	if err != nil {
		return tokenError(CodeInvalidSecurityToken, MsgTokenInvalid, err)
	}
	return d.RevokeTokenID(ctx, c.ID, time.Unix(c.Expires, 0))
}

// RevokeTokenID revokes the token with id (Principal.TokenID) until
// expires, after which the entry is dropped.
func (d *Directory) RevokeTokenID(ctx context.Context, id string, expires time.Time) error {
	if id == "" || len(id) > 64 {
		return invalidArgument("The token id is not valid.", "TokenId", id)
	}
	return d.update(ctx, func(st *dirState) error {
		if st.Revoked == nil {
			st.Revoked = map[string]int64{}
		}
		st.Revoked[id] = expires.Unix()
		return nil
	})
}
