package access

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// memStore is an in-memory StateStore that can be told to fail.
type memStore struct {
	mu    sync.Mutex
	data  []byte
	saves int
	fail  error
}

func (m *memStore) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.data...), nil
}

func (m *memStore) Save(_ context.Context, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.data = append([]byte(nil), b...)
	m.saves++
	return nil
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newDir(t testing.TB) (*Directory, *memStore, *fakeClock) {
	t.Helper()
	st := &memStore{}
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	d, err := OpenDirectory(context.Background(), st, WithClock(clk.Now), WithAccountUID(acct))
	if err != nil {
		t.Fatal(err)
	}
	return d, st, clk
}

func codeOf(err error) string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func TestDirectoryUsersAndKeys(t *testing.T) {
	ctx := context.Background()
	d, st, _ := newDir(t)
	if d.AccountUID() != acct {
		t.Fatalf("AccountUID = %q", d.AccountUID())
	}
	rk, err := d.CreateKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^LTAI[A-Za-z0-9]{20}$`).MatchString(rk.AccessKeyID) || !regexp.MustCompile(`^[A-Za-z0-9]{30}$`).MatchString(rk.Secret) {
		t.Fatalf("key format: %q %q", rk.AccessKeyID, rk.Secret)
	}
	p, secret, err := d.Lookup(ctx, rk.AccessKeyID)
	if err != nil || secret != rk.Secret || !p.IsRoot || p.AccountUID != acct || p.UserUID != acct {
		t.Fatalf("Lookup root: %+v %q %v", p, secret, err)
	}

	u, err := d.AddUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[1-9][0-9]{15}$`).MatchString(u.UID) || u.UID == acct {
		t.Fatalf("uid %q", u.UID)
	}
	if _, err := d.AddUser(ctx, "alice"); codeOf(err) != CodeEntityAlreadyExists {
		t.Errorf("duplicate user: %v", err)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("x", 65), "a/b"} {
		if _, err := d.AddUser(ctx, bad); codeOf(err) != CodeInvalidArgument {
			t.Errorf("AddUser(%q): %v", bad, err)
		}
	}
	k1, err := d.CreateKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateKey(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateKey(ctx, "alice"); codeOf(err) != CodeLimitExceeded {
		t.Errorf("third key: %v", err)
	}
	if _, err := d.CreateKey(ctx, "bob"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("key for unknown user: %v", err)
	}

	// Policies.
	doc := []byte(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/*"}]}`)
	if err := d.PutNamedPolicy(ctx, "read-b", doc); err != nil {
		t.Fatal(err)
	}
	if err := d.PutNamedPolicy(ctx, "bad", []byte(`{}`)); codeOf(err) != CodeInvalidPolicyDocument {
		t.Errorf("bad policy: %v", err)
	}
	if err := d.AttachPolicy(ctx, "alice", "nope"); !errors.Is(err, ErrUnknownPolicy) {
		t.Errorf("attach unknown: %v", err)
	}
	if err := d.AttachPolicy(ctx, "alice", "read-b"); err != nil {
		t.Fatal(err)
	}
	if err := d.AttachPolicy(ctx, "alice", "read-b"); err != nil {
		t.Fatalf("idempotent attach: %v", err)
	}
	p, _, err = d.Lookup(ctx, k1.AccessKeyID)
	if err != nil || p.IsRoot || p.UserName != "alice" || p.UserUID != u.UID || len(p.Policies) != 1 {
		t.Fatalf("Lookup alice: %+v %v", p, err)
	}
	if dec := Evaluate(baseReqFor(p, "oss:GetObject"), p.Policies, nil); !dec.Allowed {
		t.Errorf("alice denied: %+v", dec)
	}
	if err := d.DeleteNamedPolicy(ctx, "read-b"); !errors.Is(err, ErrDeleteConflict) || codeOf(err) != CodeDeleteConflictPolicyUser {
		t.Errorf("delete attached policy: %v", err)
	}
	got, err := d.NamedPolicy("read-b")
	if err != nil || string(got) != string(doc) {
		t.Errorf("NamedPolicy: %s %v", got, err)
	}
	if names := d.ListNamedPolicies(); len(names) != 1 || names[0] != "read-b" {
		t.Errorf("ListNamedPolicies = %v", names)
	}

	// Deleting a user needs its keys and policies gone first (RAM).
	if err := d.DeleteUser(ctx, "alice"); !errors.Is(err, ErrDeleteConflict) || codeOf(err) != CodeDeleteConflictUserAccessKey {
		t.Errorf("delete user with keys: %v", err)
	}
	for _, k := range d.ListUsers()[0].Keys {
		if err := d.DeleteKey(ctx, k.AccessKeyID); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.DeleteUser(ctx, "alice"); !errors.Is(err, ErrDeleteConflict) || codeOf(err) != CodeDeleteConflictUserPolicy {
		t.Errorf("delete user with policy: %v", err)
	}
	if err := d.DetachPolicy(ctx, "alice", "read-b"); err != nil {
		t.Fatal(err)
	}
	if err := d.DetachPolicy(ctx, "alice", "read-b"); !errors.Is(err, ErrUnknownPolicy) {
		t.Errorf("detach twice: %v", err)
	}
	if err := d.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteUser(ctx, "alice"); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("delete twice: %v", err)
	}
	if err := d.DeleteNamedPolicy(ctx, "read-b"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Lookup(ctx, k1.AccessKeyID); !errors.Is(err, auth.ErrUnknownAccessKey) || codeOf(err) != CodeInvalidAccessKeyID {
		t.Errorf("lookup deleted key: %v", err)
	}

	// Secrets are persisted (the file must be 0600) and reload identically.
	var raw map[string]any
	if err := json.Unmarshal(st.data, &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(st.data), rk.Secret) {
		t.Error("root secret not persisted")
	}
	d2, err := OpenDirectory(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if _, s, err := d2.Lookup(ctx, rk.AccessKeyID); err != nil || s != rk.Secret {
		t.Errorf("reloaded lookup: %q %v", s, err)
	}
	if d2.AccountUID() != acct {
		t.Error("account uid lost")
	}
}

func baseReqFor(p Principal, action string) Request {
	r := baseReq(action, "k", p)
	return r
}

func TestDirectoryKeyStatusAndImport(t *testing.T) {
	ctx := context.Background()
	d, _, _ := newDir(t)
	if err := d.ImportKey(ctx, "", "rootak", "rootsecret"); err != nil {
		t.Fatal(err)
	}
	if err := d.ImportKey(ctx, "", "rootak", "rootsecret"); err != nil {
		t.Fatalf("idempotent import: %v", err)
	}
	if err := d.ImportKey(ctx, "", "rootak", "other"); codeOf(err) != CodeEntityAlreadyExists {
		t.Errorf("conflicting import: %v", err)
	}
	if err := d.ImportKey(ctx, "", "STS.abc", "x"); codeOf(err) != CodeInvalidArgument {
		t.Errorf("import STS id: %v", err)
	}
	s, err := d.SecretFor(ctx, "rootak")
	if err != nil || s != "rootsecret" {
		t.Fatalf("SecretFor: %q %v", s, err)
	}
	if err := d.SetKeyStatus(ctx, "rootak", KeyInactive); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SecretFor(ctx, "rootak"); !errors.Is(err, auth.ErrUnknownAccessKey) || !errors.Is(err, ErrKeyInactive) {
		t.Errorf("inactive SecretFor: %v", err)
	}
	if ks := d.RootKeys(); len(ks) != 1 || ks[0].Status != KeyInactive {
		t.Errorf("RootKeys = %+v", ks)
	}
	if err := d.SetKeyStatus(ctx, "rootak", "Bogus"); codeOf(err) != CodeInvalidArgument {
		t.Errorf("bad status: %v", err)
	}
	if err := d.SetKeyStatus(ctx, "nokey", KeyActive); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key status: %v", err)
	}
	if _, err := d.SecretFor(ctx, "nokey"); !errors.Is(err, auth.ErrUnknownAccessKey) {
		t.Errorf("unknown SecretFor: %v", err)
	}
	if _, err := d.SecretFor(ctx, "STS.AAAAAAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, auth.ErrUnknownAccessKey) {
		t.Errorf("forged STS id SecretFor: %v", err)
	}
}

func TestDirectorySaveFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	d, st, _ := newDir(t)
	st.fail = errors.New("disk full")
	if _, err := d.AddUser(ctx, "alice"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("AddUser with failing store: %v", err)
	}
	if len(d.ListUsers()) != 0 {
		t.Fatal("user added despite failed save")
	}
	st.fail = nil
	if _, err := d.AddUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
}

func TestDirectoryOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := OpenDirectory(ctx, &memStore{data: []byte("{")}); err == nil {
		t.Error("corrupt state accepted")
	}
	if _, err := OpenDirectory(ctx, &memStore{data: []byte(`{"version":9}`)}); err == nil {
		t.Error("wrong version accepted")
	}
	if _, err := OpenDirectory(ctx, &memStore{data: []byte(`{"version":1,"accountUid":"1"}`)}); err == nil {
		t.Error("missing master key accepted")
	}
	// A fresh directory without WithAccountUID gets a random 16-digit UID.
	d, err := OpenDirectory(ctx, &memStore{})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[1-9][0-9]{15}$`).MatchString(d.AccountUID()) {
		t.Errorf("AccountUID %q", d.AccountUID())
	}
}

func TestDirectoryConcurrent(t *testing.T) {
	ctx := context.Background()
	d, _, _ := newDir(t)
	k, err := d.CreateKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := d.AddUser(ctx, "u"+string(rune('a'+i))); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			for range 50 {
				if _, err := d.SecretFor(ctx, k.AccessKeyID); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(d.ListUsers()); n != 8 {
		t.Errorf("%d users", n)
	}
}

func TestRandomAlnumUniformAlphabet(t *testing.T) {
	s, err := randomAlnum(strings.NewReader(strings.Repeat("\xff\x00\x3d\x3e", 64)), 10)
	if err != nil {
		t.Fatal(err)
	}
	// 0xff is rejected (>= 248), 0x00 -> 'A', 0x3d (61) -> '9', 0x3e (62) -> 'A'.
	if s != "A9AA9AA9AA" {
		t.Errorf("randomAlnum = %q", s)
	}
	if _, err := randomAlnum(strings.NewReader(""), 4); err == nil {
		t.Error("no error on exhausted randomness")
	}
}
