package functions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/runtime"
)

// Bucket is the bucket that holds the registry. It is created (private)
// on the first deploy. Its layout:
//
//	<name>/v<N>/module.wasm     the module of version N
//	<name>/v<N>/manifest.json   its manifest (Version, Deployed, SHA256 added)
//	<name>/current              {"version":N}: the version that runs
//
// Every deploy writes a new version and then the pointer; rollback rewrites
// only the pointer; delete removes the pointer first, then everything
// under <name>/. Workers watch this bucket's own events (the pointer's)
// on the events stream, so a change takes effect everywhere at once.
const Bucket = fnapi.ReservedBucket

// ErrNotFound is returned for a function (or version) that does not exist.
var ErrNotFound = errors.New("no such function")

// maxModule bounds a module's size.
const maxModule = 64 << 20

// Registry is the durable record of deployed functions, kept as objects
// of Bucket in the store, so that every node and worker can load them.
// Writers (the server) serialize deploys through it; readers (workers)
// only read.
type Registry struct {
	objs   runtime.Objects
	ensure func(ctx context.Context) error
	now    func() time.Time
	mu     sync.Mutex // serializes writers in this process
}

// NewRegistry returns a registry over objs (the store in-process, or the
// HTTP API for a remote worker). ensureBucket, when set, creates Bucket
// if it does not exist (writers need it; readers pass nil).
func NewRegistry(objs runtime.Objects, ensureBucket func(ctx context.Context) error) *Registry {
	return &Registry{objs: objs, ensure: ensureBucket, now: time.Now}
}

// stored is the manifest document kept with each version.
type stored struct {
	fnapi.Manifest
	Version  int       `json:"version"`
	Deployed time.Time `json:"deployed"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
}

func (s *stored) info() fnapi.FunctionInfo {
	return fnapi.FunctionInfo{
		Name: s.Name, Version: s.Version, Manifest: s.Manifest, Deployed: s.Deployed,
		SHA256: s.SHA256, Size: s.Size, Grants: s.Manifest.EffectiveGrants(),
	}
}

type pointer struct {
	Version int       `json:"version"`
	Updated time.Time `json:"updated"`
}

func versionPrefix(name string, v int) string { return name + "/v" + strconv.Itoa(v) + "/" }

func (r *Registry) read(ctx context.Context, key string, max int64) ([]byte, error) {
	rc, _, err := r.objs.Get(ctx, Bucket, key)
	if err != nil {
		if isNotFound(err) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("registry: %s is larger than %d bytes", key, max)
	}
	return b, nil
}

func (r *Registry) write(ctx context.Context, key string, data []byte, contentType string) error {
	_, err := r.objs.Put(ctx, Bucket, key, bytes.NewReader(data), int64(len(data)), oss.Metadata{ContentType: contentType})
	return err
}

func isNotFound(err error) bool {
	return oss.IsCode(err, oss.NoSuchKey) || oss.IsCode(err, oss.NoSuchBucket)
}

// Current returns the current version number of name.
func (r *Registry) Current(ctx context.Context, name string) (int, error) {
	b, err := r.read(ctx, name+"/current", 4<<10)
	if err != nil {
		return 0, err
	}
	var p pointer
	if err := json.Unmarshal(b, &p); err != nil || p.Version <= 0 {
		return 0, fmt.Errorf("registry: %s/current is corrupt", name)
	}
	return p.Version, nil
}

// Get returns the current version of name and its manifest.
func (r *Registry) Get(ctx context.Context, name string) (fnapi.FunctionInfo, error) {
	v, err := r.Current(ctx, name)
	if err != nil {
		return fnapi.FunctionInfo{}, err
	}
	s, err := r.manifest(ctx, name, v)
	if err != nil {
		return fnapi.FunctionInfo{}, err
	}
	return s.info(), nil
}

func (r *Registry) manifest(ctx context.Context, name string, v int) (*stored, error) {
	b, err := r.read(ctx, versionPrefix(name, v)+"manifest.json", 1<<20)
	if err != nil {
		return nil, err
	}
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("registry: manifest of %s v%d: %w", name, v, err)
	}
	return &s, nil
}

// Module returns the module and manifest of version v of name.
func (r *Registry) Module(ctx context.Context, name string, v int) ([]byte, fnapi.FunctionInfo, error) {
	s, err := r.manifest(ctx, name, v)
	if err != nil {
		return nil, fnapi.FunctionInfo{}, err
	}
	wasm, err := r.read(ctx, versionPrefix(name, v)+"module.wasm", maxModule)
	if err != nil {
		return nil, fnapi.FunctionInfo{}, err
	}
	sum := sha256.Sum256(wasm)
	if s.SHA256 != "" && hex.EncodeToString(sum[:]) != s.SHA256 {
		return nil, fnapi.FunctionInfo{}, fmt.Errorf("registry: module of %s v%d does not match its digest", name, v)
	}
	return wasm, s.info(), nil
}

// list lists the keys under prefix (every page).
func (r *Registry) list(ctx context.Context, prefix, delimiter string) (keys, prefixes []string, err error) {
	marker := ""
	for {
		out, err := r.objs.List(ctx, oss.ListObjectsInput{Bucket: Bucket, Prefix: prefix, Delimiter: delimiter, Marker: marker, MaxKeys: 1000})
		if err != nil {
			if isNotFound(err) {
				return nil, nil, nil
			}
			return nil, nil, err
		}
		for _, o := range out.Objects {
			keys = append(keys, o.Key)
		}
		prefixes = append(prefixes, out.CommonPrefixes...)
		if !out.IsTruncated || out.NextMarker == "" {
			return keys, prefixes, nil
		}
		marker = out.NextMarker
	}
}

// Names lists the functions that have a current version.
func (r *Registry) Names(ctx context.Context) ([]string, error) {
	_, prefixes, err := r.list(ctx, "", "/")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range prefixes {
		names = append(names, strings.TrimSuffix(p, "/"))
	}
	sort.Strings(names)
	return names, nil
}

// List returns every deployed function's current version.
func (r *Registry) List(ctx context.Context) ([]fnapi.FunctionInfo, error) {
	names, err := r.Names(ctx)
	if err != nil {
		return nil, err
	}
	var out []fnapi.FunctionInfo
	for _, n := range names {
		fi, err := r.Get(ctx, n)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile, or a deploy in progress
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	return out, nil
}

// Versions lists the versions of name, oldest first.
func (r *Registry) Versions(ctx context.Context, name string) ([]fnapi.VersionInfo, error) {
	cur, err := r.Current(ctx, name)
	if err != nil {
		return nil, err
	}
	vs, err := r.versionNumbers(ctx, name)
	if err != nil {
		return nil, err
	}
	var out []fnapi.VersionInfo
	for _, v := range vs {
		s, err := r.manifest(ctx, name, v)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				continue
			}
			return nil, err
		}
		out = append(out, fnapi.VersionInfo{Version: v, Deployed: s.Deployed, SHA256: s.SHA256, Size: s.Size, Current: v == cur})
	}
	return out, nil
}

func (r *Registry) versionNumbers(ctx context.Context, name string) ([]int, error) {
	_, prefixes, err := r.list(ctx, name+"/", "/")
	if err != nil {
		return nil, err
	}
	var vs []int
	for _, p := range prefixes {
		s := strings.TrimSuffix(strings.TrimPrefix(p, name+"/v"), "/")
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs, nil
}

// Deploy stores wasm and m as a new version of m.Name and makes it
// current. check, when set, runs under the registry's lock before
// anything is written (the caller checks trigger overlaps there, against
// the other functions' current manifests, and compiles the module); its
// error refuses the deploy. It returns the new version and the previous
// one (0 if none).
func (r *Registry) Deploy(ctx context.Context, m fnapi.Manifest, wasm []byte, check func(others []fnapi.Manifest) error) (version, previous int, err error) {
	if err := m.Validate(); err != nil {
		return 0, 0, err
	}
	if len(wasm) > maxModule {
		return 0, 0, fmt.Errorf("module is %d bytes, more than the %d allowed", len(wasm), maxModule)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if check != nil {
		others, err := r.List(ctx)
		if err != nil {
			return 0, 0, err
		}
		ms := make([]fnapi.Manifest, 0, len(others))
		for _, o := range others {
			ms = append(ms, o.Manifest)
		}
		if err := check(ms); err != nil {
			return 0, 0, err
		}
	}
	if r.ensure != nil {
		if err := r.ensure(ctx); err != nil {
			return 0, 0, fmt.Errorf("registry bucket: %w", err)
		}
	}
	previous, err = r.Current(ctx, m.Name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, 0, err
	}
	vs, err := r.versionNumbers(ctx, m.Name)
	if err != nil {
		return 0, 0, err
	}
	version = 1
	if len(vs) > 0 {
		version = vs[len(vs)-1] + 1
	}
	sum := sha256.Sum256(wasm)
	s := stored{Manifest: m, Version: version, Deployed: r.now().UTC(), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(wasm))}
	doc, err := json.MarshalIndent(&s, "", "  ")
	if err != nil {
		return 0, 0, err
	}
	p := versionPrefix(m.Name, version)
	if err := r.write(ctx, p+"module.wasm", wasm, "application/wasm"); err != nil {
		return 0, 0, err
	}
	if err := r.write(ctx, p+"manifest.json", doc, "application/json"); err != nil {
		return 0, 0, err
	}
	if err := r.setCurrent(ctx, m.Name, version); err != nil {
		return 0, 0, err
	}
	return version, previous, nil
}

func (r *Registry) setCurrent(ctx context.Context, name string, v int) error {
	doc, err := json.Marshal(pointer{Version: v, Updated: r.now().UTC()})
	if err != nil {
		return err
	}
	return r.write(ctx, name+"/current", doc, "application/json")
}

// Rollback makes version to current; to == 0 means the newest version
// older than the current one. check, when set, vets the target version's
// manifest under the lock (overlap with the other functions).
func (r *Registry) Rollback(ctx context.Context, name string, to int, check func(target fnapi.Manifest, others []fnapi.Manifest) error) (version, previous int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	previous, err = r.Current(ctx, name)
	if err != nil {
		return 0, 0, err
	}
	if to == 0 {
		vs, err := r.versionNumbers(ctx, name)
		if err != nil {
			return 0, 0, err
		}
		for _, v := range vs {
			if v < previous {
				to = v
			}
		}
		if to == 0 {
			return 0, 0, fmt.Errorf("%s has no version older than v%d", name, previous)
		}
	}
	target, err := r.manifest(ctx, name, to)
	if errors.Is(err, ErrNotFound) {
		return 0, 0, fmt.Errorf("%s has no version %d: %w", name, to, ErrNotFound)
	}
	if err != nil {
		return 0, 0, err
	}
	if check != nil {
		others, err := r.List(ctx)
		if err != nil {
			return 0, 0, err
		}
		ms := make([]fnapi.Manifest, 0, len(others))
		for _, o := range others {
			ms = append(ms, o.Manifest)
		}
		if err := check(target.Manifest, ms); err != nil {
			return 0, 0, err
		}
	}
	if err := r.setCurrent(ctx, name, to); err != nil {
		return 0, 0, err
	}
	return to, previous, nil
}

// Delete removes name and every version of it.
func (r *Registry) Delete(ctx context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.Current(ctx, name); err != nil {
		return err
	}
	if err := r.objs.Delete(ctx, Bucket, name+"/current"); err != nil {
		return err
	}
	keys, _, err := r.list(ctx, name+"/", "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := r.objs.Delete(ctx, Bucket, k); err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}
