package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAdminCommands drives "ossflow admin" against "ossflow server": a
// sub-user with a read-only policy and a key, an STS token, and the
// server's --block-public-access flag.
func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	rs := startServerCmd(t, dir, map[string]string{envBlockPublicAccess: "true"})
	root := &cli{t: t, env: map[string]string{envEndpoint: rs.endpoint, envData: dir}}
	root.ok("mb", "oss://adm-bkt")
	src := filepath.Join(dir, "src.txt")
	if err := os.WriteFile(src, []byte("hi"), 0o600); err != nil {
		t.Fatal(err)
	}
	root.ok("cp", src, "oss://adm-bkt/a.txt")

	if out := root.ok("admin", "user", "add", "alice"); !strings.Contains(out, "created user alice") {
		t.Fatalf("user add: %s", out)
	}
	pol := filepath.Join(dir, "ro.json")
	doc := `{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:adm-bkt/*"]}]}`
	if err := os.WriteFile(pol, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	root.ok("admin", "policy", "put", "ro", "--file", pol)
	root.ok("admin", "policy", "attach", "ro", "--user", "alice")
	if out := root.ok("admin", "policy", "list"); strings.TrimSpace(out) != "ro" {
		t.Fatalf("policy list: %q", out)
	}
	if out := root.ok("admin", "policy", "get", "ro"); strings.TrimSpace(out) != doc {
		t.Fatalf("policy get: %q", out)
	}
	var key struct{ AccessKeyID, AccessKeySecret string }
	if err := json.Unmarshal([]byte(root.ok("admin", "key", "create", "--user", "alice", "--json")), &key); err != nil || key.AccessKeyID == "" {
		t.Fatalf("key create: %v %+v", err, key)
	}
	if out := root.ok("admin", "user", "list"); !strings.Contains(out, "alice") || !strings.Contains(out, key.AccessKeyID) || !strings.Contains(out, "policies=ro") {
		t.Fatalf("user list: %s", out)
	}

	alice := &cli{t: t, env: map[string]string{envEndpoint: rs.endpoint, envAccessKey: key.AccessKeyID, envSecret: key.AccessKeySecret}}
	if out := alice.ok("cat", "oss://adm-bkt/a.txt"); out != "hi" {
		t.Fatalf("alice cat: %q", out)
	}
	if r := alice.run("", "cp", src, "oss://adm-bkt/b.txt"); r.code != 1 || !strings.Contains(r.stderr, "AccessDenied") {
		t.Fatalf("alice write: %+v", r)
	}
	if r := alice.run("", "admin", "user", "add", "eve"); r.code != 1 || !strings.Contains(r.stderr, "AccessDenied") {
		t.Fatalf("alice admin: %+v", r)
	}

	// STS: alice gets a session on her own behalf.
	var creds struct {
		AccessKeyId, AccessKeySecret, SecurityToken string
		Expiration                                  time.Time
	}
	if err := json.Unmarshal([]byte(alice.ok("admin", "sts", "--duration", "30m", "--name", "cli-test", "--json")), &creds); err != nil ||
		!strings.HasPrefix(creds.AccessKeyId, "STS.") || creds.SecurityToken == "" || time.Until(creds.Expiration) > 31*time.Minute {
		t.Fatalf("sts: %v %+v", err, creds)
	}
	if out := root.ok("admin", "sts"); !strings.Contains(out, "SecurityToken:") || !strings.Contains(out, "Expiration:") {
		t.Fatalf("sts human output: %s", out)
	}

	// --block-public-access: a public-read bucket stays closed to anonymous reads.
	root.ok("mb", "oss://adm-pub", "--acl", "public-read")
	root.ok("cp", src, "oss://adm-pub/a.txt")
	resp, err := http.Get(rs.endpoint + "/adm-pub/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous read under --block-public-access: %d", resp.StatusCode)
	}

	root.ok("admin", "policy", "detach", "ro", "--user", "alice")
	root.ok("admin", "key", "delete", key.AccessKeyID)
	root.ok("admin", "user", "delete", "alice")
	root.ok("admin", "policy", "delete", "ro")
	if out := root.ok("admin", "user", "list"); strings.TrimSpace(out) != "" {
		t.Fatalf("users left: %q", out)
	}
	if r := root.run("", "admin", "frob"); r.code != exitUsage {
		t.Fatalf("admin frob: %+v", r)
	}
}
