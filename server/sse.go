package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/store"
)

// SSEMasterKeyFile is the default master key file of server-side
// encryption, inside the data directory: 32 raw bytes, mode 0600, generated
// on the first start when no key is configured, and never overwritten.
const SSEMasterKeyFile = "sse-master.key"

// sseEncryption adapts package access (envelope keys under the master key,
// AES-256-CTR data cipher) to the store's Encryption.
type sseEncryption struct{ km *access.KeyManager }

func (e sseEncryption) NewDataKey() ([]byte, []byte, error) { return e.km.NewDataKey() }
func (e sseEncryption) Unwrap(wrapped []byte) ([]byte, error) {
	return e.km.Unwrap(wrapped)
}
func (e sseEncryption) Cipher(key, dataID []byte) (store.DataCipher, error) {
	return access.NewObjectCipher(key, dataID)
}

// openEncryption loads the master key — Config.SSEMasterKey (base64), else
// the key file (Config.SSEMasterKeyFile, which must exist, or
// DataDir/sse-master.key, created on the first start) — and returns the
// store's Encryption.
func openEncryption(cfg Config, log *slog.Logger) (store.Encryption, error) {
	var master []byte
	var source string
	switch {
	case cfg.SSEMasterKey != "":
		k, err := access.DecodeMasterKey(cfg.SSEMasterKey)
		if err != nil {
			return nil, fmt.Errorf("server: SSE master key: %w", err)
		}
		master, source = k, "configuration"
	case cfg.SSEMasterKeyFile != "":
		k, err := readMasterKeyFile(cfg.SSEMasterKeyFile)
		if err != nil {
			return nil, err
		}
		master, source = k, cfg.SSEMasterKeyFile
	default:
		path := filepath.Join(cfg.DataDir, SSEMasterKeyFile)
		k, err := readMasterKeyFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			k, err = createMasterKeyFile(path)
			if err == nil {
				log.Info("generated the server-side encryption master key; back it up: encrypted objects cannot be read without it", "path", path)
			}
		}
		if err != nil {
			return nil, err
		}
		master, source = k, path
	}
	km, err := access.NewKeyManager(master)
	if err != nil {
		return nil, fmt.Errorf("server: SSE master key: %w", err)
	}
	log.Info("server-side encryption ready", "master_key_id", fmt.Sprintf("%08x", km.KeyID()), "source", source)
	return sseEncryption{km}, nil
}

// readMasterKeyFile reads a master key file, refusing one that others can
// access or that is not exactly 32 bytes.
func readMasterKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("server: SSE master key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("server: SSE master key file %s has mode %v; it must not be accessible by other users (chmod 600)", path, perm)
	}
	if fi.Size() != access.MasterKeySize {
		return nil, fmt.Errorf("server: SSE master key file %s is %d bytes, want %d", path, fi.Size(), access.MasterKeySize)
	}
	k, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	if len(k) != access.MasterKeySize {
		return nil, fmt.Errorf("server: SSE master key file %s is %d bytes, want %d", path, len(k), access.MasterKeySize)
	}
	return k, nil
}

// createMasterKeyFile generates a master key and stores it at path (mode
// 0600, fsynced) without ever replacing an existing file: the key is
// written to a temporary file that is then hard-linked into place, so the
// file appears whole or not at all.
func createMasterKeyFile(path string) ([]byte, error) {
	k, err := access.GenerateMasterKey()
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, SSEMasterKeyFile+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	if _, err := tmp.Write(k); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) { // created concurrently: use that one
			return readMasterKeyFile(path)
		}
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("server: SSE master key file: %w", err)
	}
	return k, nil
}
