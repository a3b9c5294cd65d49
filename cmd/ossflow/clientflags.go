package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/ossflow/ossflow/sdk/client"
	"github.com/ossflow/ossflow/server"
)

// Environment variables of the client subcommands (the server shares the
// credential and data ones).
const (
	envEndpoint  = "OSSFLOW_ENDPOINT"
	envData      = "OSSFLOW_DATA"
	envRegion    = "OSSFLOW_REGION"
	envAccessKey = "OSSFLOW_ACCESS_KEY_ID"
	envSecret    = "OSSFLOW_ACCESS_KEY_SECRET"

	defaultEndpoint = "http://127.0.0.1:9000"
	defaultData     = "./ossflow-data"
)

// envOr returns the environment variable name, or def when it is unset or
// empty. Flags use it as their default, so that a flag beats the
// environment, which beats the built-in default.
func envOr(e *env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// clientFlags are the flags every client subcommand takes.
type clientFlags struct {
	e        *env
	endpoint string
	data     string
	region   string
	json     bool
}

func addClientFlags(fs *flag.FlagSet, e *env) *clientFlags {
	cf := &clientFlags{e: e}
	fs.StringVar(&cf.endpoint, "endpoint", envOr(e, envEndpoint, defaultEndpoint), "server URL (env "+envEndpoint+")")
	fs.StringVar(&cf.data, "data", envOr(e, envData, defaultData), "data directory whose credentials.json is used when "+envAccessKey+"/"+envSecret+" are unset (env "+envData+")")
	fs.StringVar(&cf.region, "region", envOr(e, envRegion, server.DefaultRegion), "region to sign for (env "+envRegion+")")
	fs.BoolVar(&cf.json, "json", false, "machine-readable output: one JSON object per line")
	return cf
}

// credentials resolves the key pair: the environment, else the credentials
// file of the local data directory.
func (cf *clientFlags) credentials() (ak, sk string, err error) {
	ak, sk = cf.e.getenv(envAccessKey), cf.e.getenv(envSecret)
	if ak != "" && sk != "" {
		return ak, sk, nil
	}
	if ak != "" || sk != "" {
		return "", "", fmt.Errorf("set both %s and %s", envAccessKey, envSecret)
	}
	c, err := server.ReadCredentialsFile(cf.data)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("no credentials: set %s and %s, or point --data (%s) at the server's data directory", envAccessKey, envSecret, envData)
	}
	if err != nil {
		return "", "", err
	}
	return c.AccessKeyID, c.AccessKeySecret, nil
}

func (cf *clientFlags) client() (*client.Client, error) {
	ak, sk, err := cf.credentials()
	if err != nil {
		return nil, err
	}
	return client.New(cf.endpoint, ak, sk, client.WithRegion(cf.region), client.WithUserAgent("ossflow-cli"))
}

// emit writes one JSON object per line (with --json) or a human line.
func (cf *clientFlags) emit(obj any, human string) error {
	if cf.json {
		enc := json.NewEncoder(cf.e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(obj)
	}
	_, err := io.WriteString(cf.e.stdout, human+"\n")
	return err
}

// ossURL is a parsed oss://bucket/key.
type ossURL struct {
	bucket, key string
}

func (u ossURL) String() string {
	if u.key == "" {
		return "oss://" + u.bucket
	}
	return "oss://" + u.bucket + "/" + u.key
}

// parseOSSURL parses "oss://bucket[/key]".
func parseOSSURL(s string) (ossURL, bool) {
	rest, ok := strings.CutPrefix(s, "oss://")
	if !ok {
		return ossURL{}, false
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return ossURL{}, false
	}
	return ossURL{bucket: bucket, key: key}, true
}

// needOSSURL parses a positional argument that must be an oss:// URL.
func needOSSURL(arg string, needKey bool) (ossURL, error) {
	u, ok := parseOSSURL(arg)
	if !ok {
		return ossURL{}, usagef("%q is not an oss://bucket URL", arg)
	}
	if needKey && u.key == "" {
		return ossURL{}, usagef("%q names no object: want oss://bucket/key", arg)
	}
	return u, nil
}

// humanBytes formats n as "1.5 MiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// parseSize parses "8388608", "8MiB", "8M", "512K", "1G".
func parseSize(s string) (int64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	var n int64
	if _, err := fmt.Sscanf(t, "%d", &n); err != nil || n < 0 || fmt.Sprint(n) != t {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}
