// Package server is ossflow's composition root: it opens the object store
// under the data directory, loads (or on first start generates) the root
// credentials, and serves the OSS/S3 HTTP API with Prometheus metrics at
// GET /metrics, a background lifecycle loop and optional profiling.
//
//	srv, err := server.New(ctx, server.Config{Addr: "127.0.0.1:9000", DataDir: "ossflow-data"}, log)
//	...
//	err = srv.Run(ctx) // serves until ctx is done, then shuts down gracefully
//
// It is the only package besides cmd/ that logs, always through the
// *slog.Logger it is given. Subpackage servertest starts a real server for
// other packages' tests.
package server
