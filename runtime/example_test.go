package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ossflow/ossflow/runtime"
)

// Load a function (here the hand-written WAT guest of the tests) and
// invoke it.
func ExampleRuntime_Load() {
	ctx := context.Background()
	cacheDir, err := os.MkdirTemp("", "wazero-cache-") // in a server: <data>/wazero-cache
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cacheDir)
	rt, err := runtime.New(ctx, runtime.Config{CacheDir: cacheDir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close(ctx)

	wasm, err := os.ReadFile("testdata/wat/guest.wasm")
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := rt.Load(ctx, "echo", wasm,
		runtime.Limits{MaxMemory: 16 << 20, Timeout: time.Second, MaxConcurrency: 2},
		runtime.Grants{Read: []string{"photos/images/"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	env := runtime.Env{Log: func(level, msg string) { fmt.Println("log:", level, msg) }}
	out, err := f.Invoke(ctx, []byte("ehello"), env)
	fmt.Printf("%s %v\n", out, err)
	// Output:
	// log: info hello from wat
	// hello <nil>
}

// Failures are *runtime.Error values with a Kind.
func ExampleKindOf() {
	ctx := context.Background()
	rt, _ := runtime.New(ctx, runtime.Config{})
	defer rt.Close(ctx)
	wasm, _ := os.ReadFile("testdata/wat/guest.wasm")
	f, _ := rt.Load(ctx, "spinner", wasm, runtime.Limits{Timeout: 50 * time.Millisecond}, runtime.Grants{})

	_, err := f.Invoke(ctx, []byte("l"), runtime.Env{}) // loops forever
	fmt.Println(runtime.KindOf(err), errors.Is(err, runtime.Timeout))
	_, err = f.Invoke(ctx, []byte("d"), runtime.Env{}) // deletes an object it may not write
	fmt.Println(err)
	// Output:
	// timeout true
	// function spinner: denied: object_delete: access denied: function spinner may not write private/secret.txt
}
