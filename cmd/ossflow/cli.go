package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/ossflow/ossflow/sdk/client"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// env is the process environment a command runs in; doMain gets it from
// main, tests build their own.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand. setup registers the command's flags on its own
// FlagSet and returns the function that runs it with the positional
// arguments. To add a subcommand, write a func returning a *command and
// list it in commands.
type command struct {
	name     string
	synopsis string // usage after "ossflow ", e.g. "mb oss://bucket"
	summary  string // one line for "ossflow help"
	setup    func(fs *flag.FlagSet, e *env) func(ctx context.Context, args []string) error
}

// commands is the command table.
func commands() map[string]*command {
	m := map[string]*command{}
	for _, c := range []*command{
		serverCommand(),
		mbCommand(), rbCommand(), lsCommand(), cpCommand(), rmCommand(),
		statCommand(), catCommand(), presignCommand(),
		adminCommand(),
		eventsCommand(),
		fnCommand(), workerCommand(),
	} {
		m[c.name] = c
	}
	return m
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// doMain runs the ossflow command line and returns the exit status.
func doMain(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 {
		printUsage(stderr, cmds)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := cmds[args[1]]; ok {
				fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
				fs.SetOutput(stdout)
				c.setup(fs, e)
				printCommandUsage(fs, c)
				return exitOK
			}
		}
		printUsage(stdout, cmds)
		return exitOK
	}
	c, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "ossflow: unknown command %q\n\n", name)
		printUsage(stderr, cmds)
		return exitUsage
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { printCommandUsage(fs, c) }
	run := c.setup(fs, e)
	pos, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage // the flag package already printed the problem and usage
	}
	if err := run(ctx, pos); err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "ossflow %s: %s\nusage: ossflow %s\n", c.name, ue.msg, c.synopsis)
			return exitUsage
		}
		reportError(e, c.name, fs, err)
		return exitError
	}
	return exitOK
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments ("ls oss://b -r"); "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag, or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printUsage(w io.Writer, cmds map[string]*command) {
	fmt.Fprintf(w, "usage: ossflow <command> [flags] [args]\n\ncommands:\n")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun \"ossflow help <command>\" for a command's flags.\n")
}

func printCommandUsage(fs *flag.FlagSet, c *command) {
	w := fs.Output()
	fmt.Fprintf(w, "usage: ossflow %s\n\n%s\n", c.synopsis, c.summary)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nflags:\n")
		fs.PrintDefaults()
	}
}

// reportError prints a failed command's error: the server's Code and
// Message for API errors, as JSON when --json is set.
func reportError(e *env, name string, fs *flag.FlagSet, err error) {
	asJSON := false
	if f := fs.Lookup("json"); f != nil {
		asJSON = f.Value.String() == "true"
	}
	var ce *client.Error
	isAPI := errors.As(err, &ce)
	if asJSON {
		obj := map[string]any{"error": err.Error()}
		if isAPI {
			obj = map[string]any{"error": map[string]any{
				"code": ce.Code, "message": ce.Message, "status": ce.StatusCode,
				"requestId": ce.RequestID, "ec": ce.EC, "bucket": ce.Bucket, "key": ce.Key,
			}}
		}
		enc := json.NewEncoder(e.stderr)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(obj)
		return
	}
	if isAPI {
		msg := ce.Message
		if msg == "" {
			msg = fmt.Sprintf("HTTP status %d", ce.StatusCode)
		}
		var details []string
		if res := resourceOf(ce); res != "" {
			details = append(details, res)
		}
		if ce.RequestID != "" {
			details = append(details, "request id "+ce.RequestID)
		}
		if ce.EC != "" {
			details = append(details, "EC "+ce.EC)
		}
		code := ce.Code
		if code == "" {
			code = fmt.Sprintf("HTTP %d", ce.StatusCode)
		}
		fmt.Fprintf(e.stderr, "ossflow %s: %s: %s", name, code, msg)
		if len(details) > 0 {
			fmt.Fprintf(e.stderr, " (%s)", strings.Join(details, ", "))
		}
		fmt.Fprintln(e.stderr)
		return
	}
	fmt.Fprintf(e.stderr, "ossflow %s: %v\n", name, err)
}

func resourceOf(ce *client.Error) string {
	switch {
	case ce.Bucket == "":
		return ""
	case ce.Key == "":
		return "oss://" + ce.Bucket
	}
	return "oss://" + ce.Bucket + "/" + ce.Key
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
