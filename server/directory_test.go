package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFileStateAtomic(t *testing.T) {
	dir := t.TempDir()
	fs := fileState{path: filepath.Join(dir, IAMFile)}
	ctx := context.Background()
	if b, err := fs.Load(ctx); err != nil || b != nil {
		t.Fatalf("empty load: %q %v", b, err)
	}
	for _, doc := range []string{`{"v":1}`, `{"v":2,"longer":true}`, `{}`} {
		if err := fs.Save(ctx, []byte(doc)); err != nil {
			t.Fatal(err)
		}
		b, err := fs.Load(ctx)
		if err != nil || string(b) != doc {
			t.Fatalf("load: %q %v, want %q", b, err, doc)
		}
	}
	fi, err := os.Stat(fs.path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode().Perm(), err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
}

func TestOpenDirectoryImportsRootKey(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	root, err := GenerateCredentials(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d, err := openDirectory(ctx, dir, root.Owner().ID, root)
	if err != nil {
		t.Fatal(err)
	}
	if d.AccountUID() != root.Owner().ID {
		t.Fatalf("account uid %s, want %s", d.AccountUID(), root.Owner().ID)
	}
	if sk, err := d.SecretFor(ctx, root.AccessKeyID); err != nil || sk != root.AccessKeySecret {
		t.Fatalf("root key: %v", err)
	}
	// A loose mode is tightened, and reopening keeps the same account.
	if err := os.Chmod(filepath.Join(dir, IAMFile), 0o644); err != nil {
		t.Fatal(err)
	}
	d2, err := openDirectory(ctx, dir, "other-uid", root)
	if err != nil {
		t.Fatal(err)
	}
	if d2.AccountUID() != d.AccountUID() {
		t.Fatal("account uid changed on reopen")
	}
	if fi, _ := os.Stat(filepath.Join(dir, IAMFile)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	// A root key whose secret changed under the same id is refused.
	bad := root
	bad.AccessKeySecret = "a-different-secret-0123456789"
	if _, err := openDirectory(ctx, dir, root.Owner().ID, bad); err == nil {
		t.Fatal("conflicting root key accepted")
	}
}
