// Package fnapi holds the documents of ossflow's functions platform that
// both the server and its clients speak: the function manifest (with its
// validation and the trigger overlap rule), and the JSON answers of the
// management API under /-/functions/. It depends on neither the runtime nor
// the server, so the Go client and the CLI can import it cheaply.
package fnapi
