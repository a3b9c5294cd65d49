package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/oss"
)

// CredentialsFile is the name, inside the data directory, of the file
// holding generated root credentials.
const CredentialsFile = "credentials.json"

// Credentials are an access key pair. They implement auth.CredentialLookup
// for their one key.
type Credentials struct {
	AccessKeyID     string    `json:"accessKeyId"`
	AccessKeySecret string    `json:"accessKeySecret"`
	CreatedAt       time.Time `json:"createdAt,omitzero"`
}

// SecretFor returns the secret of accessKeyID, or an error wrapping
// auth.ErrUnknownAccessKey.
func (c Credentials) SecretFor(_ context.Context, accessKeyID string) (string, error) {
	if accessKeyID == "" || accessKeyID != c.AccessKeyID {
		return "", fmt.Errorf("access key %q: %w", accessKeyID, auth.ErrUnknownAccessKey)
	}
	return c.AccessKeySecret, nil
}

// String never shows the secret.
func (c Credentials) String() string { return c.AccessKeyID + ":<secret>" }

// Owner is the account that owns buckets created with these credentials:
// a stable numeric id derived from the access key id.
func (c Credentials) Owner() oss.Owner {
	sum := sha256.Sum256([]byte(c.AccessKeyID))
	id := binary.BigEndian.Uint64(sum[:8]) % 1e16
	s := strconv.FormatUint(id, 10)
	return oss.Owner{ID: s, DisplayName: s}
}

var _ auth.CredentialLookup = Credentials{}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum returns n characters drawn uniformly from alnum.
func randomAlnum(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: reject the tail to stay uniform.
			if b < 248 && len(out) < n {
				out = append(out, alnum[int(b)%len(alnum)])
			}
		}
	}
	return string(out), nil
}

// GenerateCredentials returns a fresh key pair: an id "LTAI" + 20
// alphanumerics and a 30-character alphanumeric secret, from crypto/rand.
func GenerateCredentials(now time.Time) (Credentials, error) {
	id, err := randomAlnum(20)
	if err != nil {
		return Credentials{}, err
	}
	secret, err := randomAlnum(30)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AccessKeyID: "LTAI" + id, AccessKeySecret: secret, CreatedAt: now.UTC()}, nil
}

func validCredential(c Credentials) error {
	switch {
	case c.AccessKeyID == "" || c.AccessKeySecret == "":
		return errors.New("empty access key id or secret")
	case len(c.AccessKeySecret) < 8:
		return errors.New("access key secret shorter than 8 characters")
	}
	for _, s := range []string{c.AccessKeyID, c.AccessKeySecret} {
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':' || s[i] == '/' {
				return errors.New("access key id and secret must be printable ASCII without ':' or '/'")
			}
		}
	}
	return nil
}

// ReadCredentialsFile reads the credentials stored in dataDir. The error
// wraps fs.ErrNotExist when there are none.
func ReadCredentialsFile(dataDir string) (Credentials, error) {
	path := filepath.Join(dataDir, CredentialsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Credentials{}, fmt.Errorf("read credentials: %w", err)
	}
	var c Credentials
	if err := json.Unmarshal(b, &c); err != nil {
		return Credentials{}, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := validCredential(c); err != nil {
		return Credentials{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// writeCredentialsFile stores c in dataDir with mode 0600, atomically, and
// fails if the file already exists.
func writeCredentialsFile(dataDir string, c Credentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode credentials: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, ".credentials-*.tmp")
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	// Link fails if the target exists: two first starts cannot both win.
	if err := os.Link(tmp.Name(), filepath.Join(dataDir, CredentialsFile)); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
}

// loadOrCreateCredentials returns the credentials stored in dataDir,
// generating and storing them when there are none; generated reports the
// latter.
func loadOrCreateCredentials(dataDir string, now time.Time) (c Credentials, generated bool, err error) {
	c, err = ReadCredentialsFile(dataDir)
	if err == nil {
		return c, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Credentials{}, false, err
	}
	c, err = GenerateCredentials(now)
	if err != nil {
		return Credentials{}, false, fmt.Errorf("generate credentials: %w", err)
	}
	if err := writeCredentialsFile(dataDir, c); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process won the race; use its credentials.
			c, err = ReadCredentialsFile(dataDir)
			return c, false, err
		}
		return Credentials{}, false, err
	}
	return c, true, nil
}
