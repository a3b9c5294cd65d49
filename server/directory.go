package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ossflow/ossflow/access"
)

// IAMFile is the name, inside the data directory, of the identity
// directory: sub-users, their access keys and policies, named policies and
// the STS master key. It holds secrets and is kept with mode 0600.
const IAMFile = "iam.json"

// maxIAMFile bounds the identity file read at start (1000 users with two
// keys and ten policies each fit easily).
const maxIAMFile = 64 << 20

// fileState is an access.StateStore backed by one file, replaced
// atomically on every save: a temporary file in the same directory is
// written with mode 0600, fsynced, renamed over the target, and the
// directory is fsynced so that the rename itself survives a crash.
type fileState struct {
	path string
}

var _ access.StateStore = fileState{}

// Load implements access.StateStore.
func (f fileState) Load(context.Context) ([]byte, error) {
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxIAMFile {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", f.path, fi.Size(), maxIAMFile)
	}
	b := make([]byte, fi.Size())
	if _, err := fh.ReadAt(b, 0); err != nil && fi.Size() > 0 {
		return nil, err
	}
	return b, nil
}

// Save implements access.StateStore.
func (f fileState) Save(_ context.Context, data []byte) error {
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, ".iam-*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, f.path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

// syncDir fsyncs a directory (the entry of a renamed file).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// openDirectory opens (or creates) the identity directory of dataDir and
// imports the root key, so that the credentials of credentials.json (or of
// the configuration) keep working. A directory created here gets accountUID
// (the owner id of the buckets) as its account UID.
func openDirectory(ctx context.Context, dataDir, accountUID string, root Credentials, opts ...access.Option) (*access.Directory, error) {
	path := filepath.Join(dataDir, IAMFile)
	opts = append([]access.Option{access.WithAccountUID(accountUID)}, opts...)
	dir, err := access.OpenDirectory(ctx, fileState{path: path}, opts...)
	if err != nil {
		return nil, fmt.Errorf("identity directory %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("identity directory %s: %w", path, err)
		}
	}
	if err := dir.ImportKey(ctx, "", root.AccessKeyID, root.AccessKeySecret); err != nil {
		return nil, fmt.Errorf("identity directory: import root key: %w", err)
	}
	return dir, nil
}

// Directory returns the identity directory (sub-users, keys, policies, STS).
func (s *Server) Directory() *access.Directory { return s.dir }
