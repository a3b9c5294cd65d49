package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(doMain(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}
