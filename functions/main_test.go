package functions_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/ossflow/ossflow/functions/functest"
)

// guests are the test modules, built once per test binary run.
var guests map[string][]byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ossflow-functions-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	functest.SetDir(dir)
	guests, err = functest.Build("fnguest", "thumbnail")
	if err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
