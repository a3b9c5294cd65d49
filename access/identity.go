package access

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// StateStore persists a Directory's state: one opaque JSON document that
// contains every secret access key and the STS master key. The composition
// root implements it with a file written atomically (temporary file, fsync,
// rename) with mode 0600.
type StateStore interface {
	// Load returns the stored document, or nil (and no error) when nothing
	// has been stored yet.
	Load(ctx context.Context) ([]byte, error)
	// Save durably replaces the stored document.
	Save(ctx context.Context, data []byte) error
}

// KeyStatus is an access key's status.
type KeyStatus string

const (
	KeyActive   KeyStatus = "Active"
	KeyInactive KeyStatus = "Inactive"
)

// Limits of the directory, RAM's where RAM has one.
const (
	MaxUsers           = 1000
	MaxNamedPolicies   = 1000
	MaxPoliciesPerUser = 10
	MaxKeysPerUser     = 2 // RAM: two AccessKey pairs per RAM user
	MaxRootKeys        = 5
)

// AccessKey is a long-term key pair.
type AccessKey struct {
	AccessKeyID string    `json:"accessKeyId"`
	Secret      string    `json:"secret"`
	Created     time.Time `json:"created"`
	Status      KeyStatus `json:"status"`
}

// KeyInfo describes an access key without its secret.
type KeyInfo struct {
	AccessKeyID string
	Created     time.Time
	Status      KeyStatus
}

// User describes a sub-user (never its secrets). Policies are the names of
// its attached policies.
type User struct {
	Name     string
	UID      string
	Created  time.Time
	Policies []string
	Keys     []KeyInfo
}

type storedUser struct {
	Name     string      `json:"name"`
	UID      string      `json:"uid"`
	Created  time.Time   `json:"created"`
	Policies []string    `json:"policies,omitempty"`
	Keys     []AccessKey `json:"keys,omitempty"`
}

type dirState struct {
	Version    int               `json:"version"`
	AccountUID string            `json:"accountUid"`
	MasterKey  []byte            `json:"masterKey"`
	RootKeys   []AccessKey       `json:"rootKeys,omitempty"`
	Users      []storedUser      `json:"users,omitempty"`
	Policies   map[string]string `json:"policies,omitempty"`
	// Revoked maps revoked STS token ids to the unix time they expire
	// anyway, after which the entry is dropped.
	Revoked map[string]int64 `json:"revokedTokens,omitempty"`
}

const stateVersion = 1

// keyRef locates a long-term key: user "" is the root account.
type keyRef struct {
	user string
	idx  int
}

// Directory is the account's identities: the root account, sub-users with
// their access keys and attached policies, named policies, and the STS
// master key. It is safe for concurrent use; every change is saved through
// the StateStore before it takes effect.
type Directory struct {
	store StateStore
	now   func() time.Time
	rand  io.Reader

	mu       sync.RWMutex
	st       *dirState
	keys     map[string]keyRef
	users    map[string]int
	policies map[string]*Policy
	sts      stsKeys
}

// Option configures OpenDirectory.
type Option func(*Directory)

// WithClock sets the clock used for creation times and token expiry.
func WithClock(now func() time.Time) Option { return func(d *Directory) { d.now = now } }

// WithRandom sets the source of randomness (crypto/rand by default; tests
// only).
func WithRandom(r io.Reader) Option { return func(d *Directory) { d.rand = r } }

// WithAccountUID sets the account UID of a directory created by
// OpenDirectory (for instance the owner id the server already uses). It is
// ignored when the store already holds a directory.
func WithAccountUID(uid string) Option {
	return func(d *Directory) {
		if d.st == nil {
			d.st = &dirState{}
		}
		d.st.AccountUID = uid
	}
}

// OpenDirectory loads the directory from store, creating (and saving) a new
// one with a fresh account UID and STS master key when the store is empty.
func OpenDirectory(ctx context.Context, store StateStore, opts ...Option) (*Directory, error) {
	d := &Directory{store: store, now: time.Now, rand: rand.Reader}
	for _, o := range opts {
		o(d)
	}
	wantUID := ""
	if d.st != nil {
		wantUID = d.st.AccountUID
	}
	data, err := store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("access: loading directory: %w", err)
	}
	if len(data) == 0 {
		st := &dirState{Version: stateVersion, AccountUID: wantUID}
		if st.AccountUID == "" {
			if st.AccountUID, err = randomDigits(d.rand, 16); err != nil {
				return nil, err
			}
		}
		st.MasterKey = make([]byte, 32)
		if _, err := io.ReadFull(d.rand, st.MasterKey); err != nil {
			return nil, fmt.Errorf("access: generating master key: %w", err)
		}
		data, err := json.Marshal(st)
		if err != nil {
			return nil, err
		}
		if err := store.Save(ctx, data); err != nil {
			return nil, fmt.Errorf("access: saving directory: %w", err)
		}
		if err := d.install(st); err != nil {
			return nil, err
		}
		return d, nil
	}
	var st dirState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("access: decoding directory: %w", err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("access: directory state version %d, want %d", st.Version, stateVersion)
	}
	if len(st.MasterKey) != 32 || st.AccountUID == "" {
		return nil, errors.New("access: directory state lacks its account UID or master key")
	}
	if err := d.install(&st); err != nil {
		return nil, err
	}
	return d, nil
}

// install makes st current and rebuilds the indexes. Called with mu held
// (or before the directory is shared).
func (d *Directory) install(st *dirState) error {
	keys := map[string]keyRef{}
	users := map[string]int{}
	pols := map[string]*Policy{}
	for name, doc := range st.Policies {
		p, err := ParsePolicy([]byte(doc))
		if err != nil {
			return fmt.Errorf("access: stored policy %q: %w", name, err)
		}
		pols[name] = p
	}
	for i, k := range st.RootKeys {
		keys[k.AccessKeyID] = keyRef{user: "", idx: i}
	}
	for ui, u := range st.Users {
		users[u.Name] = ui
		for i, k := range u.Keys {
			keys[k.AccessKeyID] = keyRef{user: u.Name, idx: i}
		}
	}
	d.st, d.keys, d.users, d.policies = st, keys, users, pols
	d.sts = deriveSTSKeys(st.MasterKey)
	return nil
}

// update applies fn to a deep copy of the state, saves it and installs it.
// Nothing changes when fn or the save fails.
func (d *Directory) update(ctx context.Context, fn func(st *dirState) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur, err := json.Marshal(d.st)
	if err != nil {
		return err
	}
	var next dirState
	if err := json.Unmarshal(cur, &next); err != nil {
		return err
	}
	if err := fn(&next); err != nil {
		return err
	}
	now := d.now().Unix()
	for id, exp := range next.Revoked {
		if exp < now {
			delete(next.Revoked, id)
		}
	}
	data, err := json.Marshal(&next)
	if err != nil {
		return err
	}
	if err := d.store.Save(ctx, data); err != nil {
		return fmt.Errorf("access: saving directory: %w", err)
	}
	return d.install(&next)
}

// AccountUID is the account's UID (the owner id of its buckets).
func (d *Directory) AccountUID() string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.st.AccountUID
}

func mgmtError(code string, status int, cause error, format string, args ...any) *Error {
	return newError(code, status, fmt.Sprintf(format, args...), cause)
}

func notExist(cause error, format string, args ...any) *Error {
	return mgmtError(CodeEntityNotExist, http.StatusNotFound, cause, format, args...)
}

func validUserName(n string) bool {
	if len(n) < 1 || len(n) > 64 {
		return false
	}
	for _, c := range []byte(n) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '@') {
			return false
		}
	}
	return true
}

func validPolicyName(n string) bool {
	if len(n) < 1 || len(n) > 128 {
		return false
	}
	for _, c := range []byte(n) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// AddUser creates a sub-user with no keys and no permissions.
func (d *Directory) AddUser(ctx context.Context, name string) (User, error) {
	if !validUserName(name) {
		return User{}, invalidArgument("The user name must be 1 to 64 characters of letters, digits, '.', '_', '-' and '@'.", "UserName", name)
	}
	var out User
	err := d.update(ctx, func(st *dirState) error {
		for _, u := range st.Users {
			if u.Name == name {
				return mgmtError(CodeEntityAlreadyExists, http.StatusConflict, nil, "The user %q already exists.", name)
			}
		}
		if len(st.Users) >= MaxUsers {
			return mgmtError(CodeLimitExceeded, http.StatusConflict, nil, "The account already has %d users.", MaxUsers)
		}
		uid, err := d.newUID(st)
		if err != nil {
			return err
		}
		u := storedUser{Name: name, UID: uid, Created: d.now().UTC().Truncate(time.Second)}
		st.Users = append(st.Users, u)
		sort.Slice(st.Users, func(i, j int) bool { return st.Users[i].Name < st.Users[j].Name })
		out = userView(u)
		return nil
	})
	return out, err
}

func (d *Directory) newUID(st *dirState) (string, error) {
	for {
		uid, err := randomDigits(d.rand, 16)
		if err != nil {
			return "", err
		}
		if uid == st.AccountUID || slices.ContainsFunc(st.Users, func(u storedUser) bool { return u.UID == uid }) {
			continue
		}
		return uid, nil
	}
}

// DeleteUser deletes a sub-user. As RAM's DeleteUser does, it refuses
// (DeleteConflict) while the user still has access keys or attached
// policies: delete its keys (which also revokes every STS token they
// issued) and detach its policies first.
func (d *Directory) DeleteUser(ctx context.Context, name string) error {
	return d.update(ctx, func(st *dirState) error {
		i := slices.IndexFunc(st.Users, func(u storedUser) bool { return u.Name == name })
		if i < 0 {
			return notExist(ErrUnknownUser, "The user %q does not exist.", name)
		}
		u := st.Users[i]
		if len(u.Keys) > 0 {
			return mgmtError(CodeDeleteConflictUserAccessKey, http.StatusConflict, ErrDeleteConflict, "The user %q still has access keys.", name)
		}
		if len(u.Policies) > 0 {
			return mgmtError(CodeDeleteConflictUserPolicy, http.StatusConflict, ErrDeleteConflict, "The user %q still has attached policies.", name)
		}
		st.Users = slices.Delete(st.Users, i, i+1)
		return nil
	})
}

// ListUsers lists the sub-users by name.
func (d *Directory) ListUsers() []User {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]User, 0, len(d.st.Users))
	for _, u := range d.st.Users {
		out = append(out, userView(u))
	}
	return out
}

// GetUser describes one sub-user.
func (d *Directory) GetUser(name string) (User, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	i, ok := d.users[name]
	if !ok {
		return User{}, notExist(ErrUnknownUser, "The user %q does not exist.", name)
	}
	return userView(d.st.Users[i]), nil
}

// RootKeys lists the root account's keys (without secrets).
func (d *Directory) RootKeys() []KeyInfo {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return keyInfos(d.st.RootKeys)
}

func userView(u storedUser) User {
	return User{Name: u.Name, UID: u.UID, Created: u.Created, Policies: slices.Clone(u.Policies), Keys: keyInfos(u.Keys)}
}

func keyInfos(ks []AccessKey) []KeyInfo {
	out := make([]KeyInfo, 0, len(ks))
	for _, k := range ks {
		out = append(out, KeyInfo{AccessKeyID: k.AccessKeyID, Created: k.Created, Status: k.Status})
	}
	return out
}

// CreateKey creates an active access key for user, or for the root account
// when user is "". The id is "LTAI" + 20 letters and digits, the secret 30
// letters and digits, both from crypto/rand. The secret is returned only
// here (and by Lookup/SecretFor).
func (d *Directory) CreateKey(ctx context.Context, user string) (AccessKey, error) {
	var out AccessKey
	err := d.update(ctx, func(st *dirState) error {
		id, err := randomAlnum(d.rand, 20)
		if err != nil {
			return err
		}
		secret, err := randomAlnum(d.rand, 30)
		if err != nil {
			return err
		}
		out = AccessKey{AccessKeyID: "LTAI" + id, Secret: secret, Created: d.now().UTC().Truncate(time.Second), Status: KeyActive}
		return addKey(st, user, out)
	})
	if err != nil {
		return AccessKey{}, err
	}
	return out, nil
}

// ImportKey adds an existing key pair (for example the root credentials
// the server generated before the directory existed) to user, or to the
// root account when user is "". Importing a key that is already present
// with the same secret and owner is a no-op.
func (d *Directory) ImportKey(ctx context.Context, user, accessKeyID, secret string) error {
	if accessKeyID == "" || len(accessKeyID) > 128 || strings.HasPrefix(accessKeyID, stsPrefix) || strings.ContainsAny(accessKeyID, " \t\r\n:/") {
		return invalidArgument("The access key id is not valid.", "AccessKeyId", accessKeyID)
	}
	if secret == "" || len(secret) > 256 {
		return invalidArgument("The access key secret is not valid.", "AccessKeySecret", "")
	}
	d.mu.RLock()
	ref, ok := d.keys[accessKeyID]
	same := ok && ref.user == user && d.keyAt(ref).Secret == secret
	d.mu.RUnlock()
	if same {
		return nil
	}
	return d.update(ctx, func(st *dirState) error {
		return addKey(st, user, AccessKey{AccessKeyID: accessKeyID, Secret: secret, Created: d.now().UTC().Truncate(time.Second), Status: KeyActive})
	})
}

func addKey(st *dirState, user string, k AccessKey) error {
	if keyExists(st, k.AccessKeyID) {
		return mgmtError(CodeEntityAlreadyExists, http.StatusConflict, nil, "The access key %q already exists.", k.AccessKeyID)
	}
	if user == "" {
		if len(st.RootKeys) >= MaxRootKeys {
			return mgmtError(CodeLimitExceeded, http.StatusConflict, nil, "The root account already has %d access keys.", MaxRootKeys)
		}
		st.RootKeys = append(st.RootKeys, k)
		return nil
	}
	i := slices.IndexFunc(st.Users, func(u storedUser) bool { return u.Name == user })
	if i < 0 {
		return notExist(ErrUnknownUser, "The user %q does not exist.", user)
	}
	if len(st.Users[i].Keys) >= MaxKeysPerUser {
		return mgmtError(CodeLimitExceeded, http.StatusConflict, nil, "The user %q already has %d access keys.", user, MaxKeysPerUser)
	}
	st.Users[i].Keys = append(st.Users[i].Keys, k)
	return nil
}

func keyExists(st *dirState, id string) bool {
	for _, k := range st.RootKeys {
		if k.AccessKeyID == id {
			return true
		}
	}
	for _, u := range st.Users {
		for _, k := range u.Keys {
			if k.AccessKeyID == id {
				return true
			}
		}
	}
	return false
}

// findKey returns a pointer into st to the key id, or nil.
func findKey(st *dirState, id string) *AccessKey {
	for i := range st.RootKeys {
		if st.RootKeys[i].AccessKeyID == id {
			return &st.RootKeys[i]
		}
	}
	for ui := range st.Users {
		for i := range st.Users[ui].Keys {
			if st.Users[ui].Keys[i].AccessKeyID == id {
				return &st.Users[ui].Keys[i]
			}
		}
	}
	return nil
}

// DeleteKey deletes an access key. Every STS token issued with it stops
// verifying at once.
func (d *Directory) DeleteKey(ctx context.Context, accessKeyID string) error {
	return d.update(ctx, func(st *dirState) error {
		if i := slices.IndexFunc(st.RootKeys, func(k AccessKey) bool { return k.AccessKeyID == accessKeyID }); i >= 0 {
			st.RootKeys = slices.Delete(st.RootKeys, i, i+1)
			return nil
		}
		for ui := range st.Users {
			ks := st.Users[ui].Keys
			if i := slices.IndexFunc(ks, func(k AccessKey) bool { return k.AccessKeyID == accessKeyID }); i >= 0 {
				st.Users[ui].Keys = slices.Delete(ks, i, i+1)
				return nil
			}
		}
		return notExist(ErrUnknownKey, "The access key %q does not exist.", accessKeyID)
	})
}

// SetKeyStatus activates or deactivates an access key. An inactive key
// authenticates nothing, and the STS tokens it issued stop verifying while
// it stays inactive.
func (d *Directory) SetKeyStatus(ctx context.Context, accessKeyID string, status KeyStatus) error {
	if status != KeyActive && status != KeyInactive {
		return invalidArgument("The status must be Active or Inactive.", "Status", string(status))
	}
	return d.update(ctx, func(st *dirState) error {
		k := findKey(st, accessKeyID)
		if k == nil {
			return notExist(ErrUnknownKey, "The access key %q does not exist.", accessKeyID)
		}
		k.Status = status
		return nil
	})
}

// PutNamedPolicy creates or replaces the named identity policy. Users that
// have it attached see the new document at their next request.
func (d *Directory) PutNamedPolicy(ctx context.Context, name string, doc []byte) error {
	if !validPolicyName(name) {
		return invalidArgument("The policy name must be 1 to 128 characters of letters, digits, '-', '_' and '.'.", "PolicyName", name)
	}
	if _, err := ParsePolicy(doc); err != nil {
		return err
	}
	return d.update(ctx, func(st *dirState) error {
		if st.Policies == nil {
			st.Policies = map[string]string{}
		}
		if _, ok := st.Policies[name]; !ok && len(st.Policies) >= MaxNamedPolicies {
			return mgmtError(CodeLimitExceeded, http.StatusConflict, nil, "The account already has %d policies.", MaxNamedPolicies)
		}
		st.Policies[name] = string(doc)
		return nil
	})
}

// DeleteNamedPolicy deletes a named policy; like RAM it refuses
// (DeleteConflict) while a user has it attached.
func (d *Directory) DeleteNamedPolicy(ctx context.Context, name string) error {
	return d.update(ctx, func(st *dirState) error {
		if _, ok := st.Policies[name]; !ok {
			return notExist(ErrUnknownPolicy, "The policy %q does not exist.", name)
		}
		for _, u := range st.Users {
			if slices.Contains(u.Policies, name) {
				return mgmtError(CodeDeleteConflictPolicyUser, http.StatusConflict, ErrDeleteConflict, "The policy %q is attached to user %q.", name, u.Name)
			}
		}
		delete(st.Policies, name)
		return nil
	})
}

// NamedPolicy returns the document of a named policy.
func (d *Directory) NamedPolicy(name string) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	doc, ok := d.st.Policies[name]
	if !ok {
		return nil, notExist(ErrUnknownPolicy, "The policy %q does not exist.", name)
	}
	return []byte(doc), nil
}

// ListNamedPolicies lists the names of the named policies, sorted.
func (d *Directory) ListNamedPolicies() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]string, 0, len(d.st.Policies))
	for n := range d.st.Policies {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// AttachPolicy attaches the named policy to a sub-user. The root account
// has every permission on its own resources and takes no policies.
func (d *Directory) AttachPolicy(ctx context.Context, user, policy string) error {
	return d.update(ctx, func(st *dirState) error {
		i := slices.IndexFunc(st.Users, func(u storedUser) bool { return u.Name == user })
		if i < 0 {
			return notExist(ErrUnknownUser, "The user %q does not exist.", user)
		}
		if _, ok := st.Policies[policy]; !ok {
			return notExist(ErrUnknownPolicy, "The policy %q does not exist.", policy)
		}
		if slices.Contains(st.Users[i].Policies, policy) {
			return nil
		}
		if len(st.Users[i].Policies) >= MaxPoliciesPerUser {
			return mgmtError(CodeLimitExceeded, http.StatusConflict, nil, "The user %q already has %d policies attached.", user, MaxPoliciesPerUser)
		}
		st.Users[i].Policies = append(st.Users[i].Policies, policy)
		return nil
	})
}

// DetachPolicy detaches the named policy from a sub-user.
func (d *Directory) DetachPolicy(ctx context.Context, user, policy string) error {
	return d.update(ctx, func(st *dirState) error {
		i := slices.IndexFunc(st.Users, func(u storedUser) bool { return u.Name == user })
		if i < 0 {
			return notExist(ErrUnknownUser, "The user %q does not exist.", user)
		}
		j := slices.Index(st.Users[i].Policies, policy)
		if j < 0 {
			return notExist(ErrUnknownPolicy, "The policy %q is not attached to user %q.", policy, user)
		}
		st.Users[i].Policies = slices.Delete(st.Users[i].Policies, j, j+1)
		return nil
	})
}

func (d *Directory) keyAt(ref keyRef) *AccessKey {
	if ref.user == "" {
		return &d.st.RootKeys[ref.idx]
	}
	return &d.st.Users[d.users[ref.user]].Keys[ref.idx]
}

// principalFor builds the Principal owning a long-term key. Called with
// mu held.
func (d *Directory) principalFor(ref keyRef, accessKeyID string) Principal {
	p := Principal{AccountUID: d.st.AccountUID, AccessKeyID: accessKeyID}
	if ref.user == "" {
		p.IsRoot, p.UserUID = true, d.st.AccountUID
		return p
	}
	u := d.st.Users[d.users[ref.user]]
	p.UserName, p.UserUID = u.Name, u.UID
	for _, name := range u.Policies {
		if pol := d.policies[name]; pol != nil {
			p.Policies = append(p.Policies, pol)
		}
	}
	return p
}

func unknownKeyError(accessKeyID string) *Error {
	return newError(CodeInvalidAccessKeyID, http.StatusForbidden, MsgUnknownAccessKey,
		fmt.Errorf("%q: %w: %w", accessKeyID, ErrUnknownKey, auth.ErrUnknownAccessKey))
}

// Lookup resolves a long-term access key id to its Principal (with the
// user's current policies) and secret. Unknown ids and STS ids (use
// Authenticate or VerifyToken for those) fail with InvalidAccessKeyId
// wrapping auth.ErrUnknownAccessKey; an inactive key fails with
// InvalidAccessKeyId wrapping ErrKeyInactive.
func (d *Directory) Lookup(ctx context.Context, accessKeyID string) (Principal, string, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ref, ok := d.keys[accessKeyID]
	if !ok {
		return Principal{}, "", unknownKeyError(accessKeyID)
	}
	k := d.keyAt(ref)
	if k.Status != KeyActive {
		return Principal{}, "", newError(CodeInvalidAccessKeyID, http.StatusForbidden, "The OSS Access Key Id you provided is disabled.",
			fmt.Errorf("%q: %w: %w", accessKeyID, ErrKeyInactive, auth.ErrUnknownAccessKey))
	}
	return d.principalFor(ref, accessKeyID), k.Secret, nil
}

// SecretFor implements auth.CredentialLookup: the secret of an active
// long-term key, or the derived secret of a well-formed STS access key id
// (so the SDKs' static STS credentials sign verifiably; the token itself is
// checked by Authenticate / VerifyToken after the signature). Anything else
// fails with an error wrapping auth.ErrUnknownAccessKey.
func (d *Directory) SecretFor(ctx context.Context, accessKeyID string) (string, error) {
	if strings.HasPrefix(accessKeyID, stsPrefix) {
		d.mu.RLock()
		k := d.sts
		d.mu.RUnlock()
		if !k.validAccessKeyID(accessKeyID) {
			return "", unknownKeyError(accessKeyID)
		}
		return k.secret(accessKeyID), nil
	}
	_, secret, err := d.Lookup(ctx, accessKeyID)
	return secret, err
}

// Authenticate resolves the access key id (and security token) of a
// request whose signature auth.Verifier already checked with SecretFor:
//
//   - "STS." ids need their token: VerifyToken; without a token the answer
//     is InvalidAccessKeyId, as OSS gives;
//   - long-term ids must come without a token (OSS answers InvalidAccessKeyId
//     when a security token accompanies a non-STS key): Lookup.
func (d *Directory) Authenticate(ctx context.Context, accessKeyID, securityToken string, now time.Time) (Principal, error) {
	if strings.HasPrefix(accessKeyID, stsPrefix) {
		if securityToken == "" {
			return Principal{}, newError(CodeInvalidAccessKeyID, http.StatusForbidden, MsgUnknownAccessKey,
				fmt.Errorf("%q: STS access key id without a security token: %w", accessKeyID, ErrTokenInvalid))
		}
		return d.VerifyToken(ctx, accessKeyID, securityToken, now)
	}
	if securityToken != "" {
		return Principal{}, newError(CodeInvalidAccessKeyID, http.StatusForbidden, MsgUnknownAccessKey,
			fmt.Errorf("%q: security token presented with a long-term access key id: %w", accessKeyID, ErrTokenMismatch))
	}
	p, _, err := d.Lookup(ctx, accessKeyID)
	return p, err
}

var _ auth.CredentialLookup = (*Directory)(nil)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum returns n characters drawn uniformly from alnum (rejection
// sampling, so there is no modulo bias).
func randomAlnum(r io.Reader, n int) (string, error) {
	return randomFrom(r, alnum, n)
}

func randomDigits(r io.Reader, n int) (string, error) {
	s, err := randomFrom(r, "0123456789", n)
	if err != nil {
		return "", err
	}
	if s[0] == '0' {
		s = "1" + s[1:]
	}
	return s, nil
}

func randomFrom(r io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+16)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("access: reading randomness: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}
