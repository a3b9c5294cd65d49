// Command ossflow is the ossflow object store: "ossflow server" runs it and
// the other subcommands (mb, rb, ls, cp, rm, stat, cat, presign) are its
// command-line client. Run "ossflow help" for the list.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(doMain(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}
