// Package runtime runs ossflow functions: WebAssembly modules (WASI
// preview 1 reactors) that handle events and HTTP requests, on wazero.
//
// # Use
//
//	rt, err := runtime.New(ctx, runtime.Config{CacheDir: filepath.Join(data, "wazero-cache")})
//	f, err := rt.Load(ctx, "thumbnail", wasm, runtime.Limits{MaxMemory: 64 << 20},
//		runtime.Grants{Read: []string{"photos/images/"}, Write: []string{"photos/thumbs/"}})
//	out, err := f.Invoke(ctx, eventJSON, runtime.Env{Objects: objs, Images: imgs, Log: sink})
//
// Load compiles the module once (wazero's compilation cache in CacheDir
// means a restarted server does not compile it again), checks it against
// the ABI and instantiates it, so a module that cannot start is refused at
// deploy time. Invoke reuses warm instances from a per-function pool;
// MaxConcurrency instances run at once and further invocations wait for
// one (honoring their context). An instance that trapped, timed out or
// misbehaved is discarded, never reused.
//
// # ABI (version 1, full text in ABI.md)
//
// The guest exports memory and ossflow_handle(input_len i32) -> status i32
// (and, optionally, the reactor initializer _initialize). Host calls are
// imported from module "ossflow"; each returns a non-negative i32 on
// success and a negative error code on failure (abi.Denied, abi.NotFound,
// ...), whose message the guest reads with last_error:
//
//	log, input_read, output_write, fail, last_error, result_read, config_get,
//	object_open_read, object_info, object_read, object_close,
//	object_open_write, object_write, object_commit, object_abort,
//	object_head, object_list, object_delete,
//	image_process,
//	http_open, http_write, http_send, http_read, http_close
//
// Objects and HTTP bodies stream through handles in chunks of the guest's
// choosing, so a 5 GB object never sits in guest memory; image processing
// runs natively in the host (source object + process string ->
// destination object). Package abi holds the names, codes and JSON
// documents; sdk/fn is the Go guest SDK.
//
// # Capabilities and isolation
//
// The embedder provides the capabilities through small interfaces declared
// here (Objects, Images, HTTPDoer, a config map and a LogFunc) in the Env of
// each invocation, and a function may use only what its Grants allow:
// object patterns for reading and writing, and an HTTP allow-list.
// Everything else fails with a message the guest can read, such as
// "access denied: function thumbnail may not write photos/private/x".
// Outbound HTTP never reaches private, loopback, link-local or unspecified
// addresses unless the allow-list names them by IP or CIDR: every resolved
// address is checked, the checked addresses are dialed (not the name), and
// a net.Dialer Control hook checks again at connect time, which defeats DNS
// rebinding.
//
// A guest has no file system, no sockets and no access to another
// instance's memory. Memory is capped per instance (Limits.MaxMemory), time
// per invocation (Limits.Timeout, enforced inside tight loops through
// wazero's close-on-context-done), and input, output, handles and log
// volume are bounded. A panic in a host call is recovered into an error
// for the guest; the server stays up.
//
// For HTTP invocations, EncodeHTTPRequest turns an *http.Request into the
// guest's input and WriteHTTPResponse writes the guest's output back.
//
// # Errors and metrics
//
// Every failure is an *Error whose Kind tells what happened (Timeout,
// MemoryLimit, Trap, Denied, InputTooLarge, OutputTooLarge, BadModule,
// GuestError, ...); errors.Is(err, runtime.Timeout) works. An optional
// Observer receives per-invocation statistics: cold or warm, queue wait,
// duration, sizes and the error kind.
//
// The package is named runtime after its role; it shadows the standard
// library's, which its files import as goruntime.
package runtime
