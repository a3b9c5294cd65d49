// Package fn is the Go SDK for ossflow functions: WebAssembly guests that
// the server runs (package runtime) when objects change or HTTP requests
// arrive. It implements the guest side of runtime/ABI.md.
//
// # A function
//
//	package main
//
//	import "github.com/ossflow/ossflow/sdk/fn"
//
//	func init() {
//		fn.HandleEvent(func(ctx fn.Context, ev fn.EventRecord) error {
//			if !ev.Created() {
//				return nil
//			}
//			ctx.Infof("new object %s/%s", ev.Bucket(), ev.Key())
//			_, err := fn.ProcessImage(ctx, fn.ImageRequest{
//				SrcBucket: ev.Bucket(), SrcKey: ev.Key(), Process: "image/resize,l_256",
//				DstBucket: ev.Bucket(), DstKey: "thumbs/" + ev.Key(),
//			})
//			return err
//		})
//	}
//
//	func main() {}
//
// examples/thumbnail is this program in full.
//
// # Building (Go 1.24 and later; verified with Go 1.26)
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o fn.wasm ./myfunction
//
// -buildmode=c-shared makes a WASI reactor: the module exports
// _initialize, which runs the Go runtime's and the packages'
// initialization, and the functions marked //go:wasmexport (this package
// exports ossflow_handle). Without it, go build makes a WASI command whose
// _start runs main and exits, which ossflow refuses at load with a message
// saying to add the flag. In a reactor main is never called: register
// handlers from an init function, and keep an empty func main() because
// package main needs one. Goroutines and channels work inside a handler;
// goroutines left running continue at the next invocation of the same
// instance, as do package variables (instances are reused while they
// behave).
//
// # What a handler can use
//
//   - Handle, HandleEvent, HandleHTTP register the handler for generic,
//     event and HTTP invocations (package fnhttp adapts a net/http Handler).
//   - Log and Context's Debugf/Infof/Warnf/Errorf write to the function's
//     log; stdout and stderr go there too.
//   - ConfigValue and Context.Config read the function's configuration.
//   - OpenObject, CreateObject, PutObject, HeadObject, ListObjects and
//     DeleteObject reach the store; ObjectReader and ObjectWriter stream,
//     so an object of any size passes through a small buffer.
//   - ProcessImage runs an image process in the host.
//   - OpenHTTP makes an outbound request through the host (package fnhttp
//     wraps it as an http.RoundTripper).
//
// Each is allowed only as far as the function's grants go; a refusal is an
// *Error matching ErrDenied whose message names what was refused. Errors
// match the ABI's codes with errors.Is (ErrNotFound, ErrDenied, ...). A
// handler that returns an error caused by a denial fails the invocation
// with the Denied status; a panic in a handler fails the invocation with
// the panic's message and stack.
//
// # Size
//
// The package keeps guests small: it uses encoding/json but not net/http
// (which is why it declares its own copy of the event types instead of
// importing package oss, which imports net/http). A guest built on it is
// about 3.5 MB; package fnhttp's Transport adds about 2.5 MB, and
// http.Client, which links the default transport, about 5 MB more. Load
// and compile time grow with size.
//
// Outside a wasip1 build (go vet, go test on the host) the package
// compiles with host calls that fail with ErrUnavailable, saying they are
// only available inside ossflow.
package fn
