package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/ossflow/ossflow/server"
)

func ExampleNew() {
	dir, err := os.MkdirTemp("", "ossflow-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		panic(err)
	}
	if creds, generated := srv.GeneratedCredentials(); generated {
		// A real program shows these once to the operator.
		fmt.Println("generated:", strings.HasPrefix(creds.AccessKeyID, "LTAI"))
	}
	if err := srv.Start(ctx); err != nil {
		panic(err)
	}
	fmt.Println("endpoint set:", strings.HasPrefix(srv.Endpoint(), "http://127.0.0.1:"))
	if err := srv.Shutdown(ctx); err != nil {
		panic(err)
	}
	// Output:
	// generated: true
	// endpoint set: true
}
