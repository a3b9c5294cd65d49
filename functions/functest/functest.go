// Package functest builds the WebAssembly guests of the functions
// platform's tests (and of the CLI's end-to-end tests) with the Go
// toolchain, once per test binary run.
package functest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
)

// Guests the tests use: name -> package directory, relative to the
// module root.
var Guests = map[string]string{
	"fnguest":   "functions/testdata/fnguest",
	"thumbnail": "examples/thumbnail",
}

// ModuleRoot is the ossflow module's directory (found from this file's
// location at build time).
func ModuleRoot() string {
	_, file, _, _ := goruntime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	mu    sync.Mutex
	built = map[string][]byte{}
	dir   string
)

// SetDir sets where the modules are written (TestMain gives a temporary
// directory it removes at the end); by default they are only kept in
// memory.
func SetDir(d string) {
	mu.Lock()
	defer mu.Unlock()
	dir = d
}

// Build builds the named guests (keys of Guests) in parallel, each once
// per process, and returns their modules.
func Build(names ...string) (map[string][]byte, error) {
	mu.Lock()
	defer mu.Unlock()
	out := map[string][]byte{}
	var (
		wg   sync.WaitGroup
		lmu  sync.Mutex
		errs []string
	)
	for _, name := range names {
		if b, ok := built[name]; ok {
			out[name] = b
			continue
		}
		pkg, ok := Guests[name]
		if !ok {
			return nil, fmt.Errorf("functest: unknown guest %q", name)
		}
		wg.Go(func() {
			b, err := buildOne(name, pkg)
			lmu.Lock()
			defer lmu.Unlock()
			if err != nil {
				errs = append(errs, err.Error())
				return
			}
			out[name] = b
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	for n, b := range out {
		built[n] = b
	}
	return out, nil
}

// MustBuild is Build for TestMain-style callers: it panics on failure.
func MustBuild(names ...string) map[string][]byte {
	m, err := Build(names...)
	if err != nil {
		panic(err)
	}
	return m
}

func buildOne(name, pkg string) ([]byte, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(goruntime.GOROOT(), "bin", "go")
	}
	outDir := dir
	if outDir == "" {
		if outDir, err = os.MkdirTemp("", "ossflow-functest-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(outDir)
	}
	out := filepath.Join(outDir, name+".wasm")
	cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-o", out, "./"+pkg)
	cmd.Dir = ModuleRoot()
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("functest: build %s: %v\n%s", pkg, err, msg)
	}
	return os.ReadFile(out)
}
