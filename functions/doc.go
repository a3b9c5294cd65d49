// Package functions is ossflow's functions platform: it deploys
// WebAssembly modules (package runtime runs them) and runs them on object
// events from the JetStream events stream, on NATS messages and on HTTP
// requests.
//
// # Pieces
//
//   - Registry keeps every version of every function as objects of the
//     bucket "ossflow-functions" (<name>/v<N>/module.wasm,
//     <name>/v<N>/manifest.json, <name>/current), so any node or remote
//     worker can load them. The server reaches it through StoreObjects, a
//     worker through ClientObjects (the HTTP API).
//   - Host keeps the current version of each function loaded and invokes
//     it with its capabilities (StoreObjects or ClientObjects with the
//     function's origin, Images over imgproc), its configuration, its log
//     sink, its invocation record and metrics.
//   - Dispatcher is a worker: a durable pull consumer per event trigger
//     (ConsumerName), key prefix/suffix filtering on the Ossflow-Key header,
//     the loop guard on Ossflow-Origin, ack on success, NakWithDelay with
//     exponential backoff on failure, in-progress acks for long runs, and
//     after the last delivery the dead-letter stream DLQStream. It follows
//     the registry bucket's own events, so a deploy takes effect at once.
//   - API is the management API under /-/functions/ (deploy, list, get,
//     delete, versions, rollback, invoke, logs, dlq, trail).
//   - Platform puts them together for the server and for "ossflow worker".
//
// The manifest and the API's documents are in package fnapi; the Go client
// (sdk/client) and the CLI ("ossflow fn") speak them.
//
// # Guarantees
//
// Delivery is at least once: an event is acknowledged only after the
// function returned successfully, and a worker that dies mid-run lets the
// event be redelivered after the AckWait. A function that must act once
// keys on the event id. Every worker running a function shares its
// consumers, so each event runs on one of them at a time.
package functions
