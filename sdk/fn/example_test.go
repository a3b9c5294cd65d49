package fn_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ossflow/ossflow/sdk/fn"
)

// A function that copies every new object under incoming/ to archive/,
// streaming it: the object never sits whole in the guest's memory.
func ExampleHandleEvent() {
	fn.HandleEvent(func(ctx fn.Context, ev fn.EventRecord) error {
		if !ev.Created() || !strings.HasPrefix(ev.Key(), "incoming/") {
			return nil
		}
		r, err := fn.OpenObject(ctx, ev.Bucket(), ev.Key())
		if err != nil {
			return err
		}
		defer r.Close()
		info, err := r.Info()
		if err != nil {
			return err
		}
		dst := "archive/" + strings.TrimPrefix(ev.Key(), "incoming/")
		_, err = fn.PutObject(ctx, ev.Bucket(), dst, r, info.Size, &fn.PutOptions{ContentType: info.ContentType})
		return err
	})
}

// A generic handler: bytes in, bytes out.
func ExampleHandle() {
	fn.Handle(func(ctx fn.Context, input []byte) ([]byte, error) {
		greeting, ok := ctx.Config("greeting")
		if !ok {
			greeting = "hello"
		}
		return fmt.Appendf(nil, "%s, %s", greeting, input), nil
	})
}

// Outside ossflow (here: the host platform the documentation is built on)
// host calls fail with ErrUnavailable.
func ExampleOpenObject() {
	_, err := fn.OpenObject(context.Background(), "b", "k")
	fmt.Println(err)
	// Output: ossflow host calls are only available inside ossflow: build the function with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared
}
