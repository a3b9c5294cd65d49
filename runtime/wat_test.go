package runtime

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The WAT guests are committed with their compiled .wasm so the tests
// need nothing but Go. When wabt's wat2wasm is installed (Debian: apt-get
// install wabt), this test recompiles each .wat and checks that the
// committed .wasm matches it; regenerate with
//
//	wat2wasm runtime/testdata/wat/NAME.wat -o runtime/testdata/wat/NAME.wasm
func TestCommittedWasmMatchesWAT(t *testing.T) {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm (wabt) is not installed; the committed .wasm files are used as they are")
	}
	sources, err := filepath.Glob(filepath.Join("testdata", "wat", "*.wat"))
	if err != nil || len(sources) == 0 {
		t.Fatalf("no .wat sources (%v)", err)
	}
	for _, src := range sources {
		committed := strings.TrimSuffix(src, ".wat") + ".wasm"
		want, err := os.ReadFile(committed)
		if err != nil {
			t.Fatalf("%s has no committed %s: %v", src, committed, err)
		}
		out := filepath.Join(t.TempDir(), "out.wasm")
		if msg, err := exec.Command(wat2wasm, src, "-o", out).CombinedOutput(); err != nil {
			t.Fatalf("wat2wasm %s: %v\n%s", src, err, msg)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run wat2wasm %s -o %s", committed, src, committed)
		}
	}
}
