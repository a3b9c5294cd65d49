package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/ossflow/ossflow/sdk/client"
)

// eventsCommand is "ossflow events tail": the event stream as JSON lines.
func eventsCommand() *command {
	return &command{
		name:     "events",
		synopsis: "events tail [--bucket b] [--prefix p] [--suffix s] [--event 'ObjectCreated:*']... [--since SEQ|TIME|0]",
		summary:  "stream events as JSON lines, one per line, flushed as they arrive (--since 0 replays every retained event first)",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			var bucket, prefix, suffix, since string
			var patterns listFlag
			fs.StringVar(&bucket, "bucket", "", "only this bucket")
			fs.StringVar(&prefix, "prefix", "", "only keys with this prefix")
			fs.StringVar(&suffix, "suffix", "", "only keys with this suffix")
			fs.Var(&patterns, "event", "event-name pattern, e.g. 'ObjectCreated:*'; repeatable")
			fs.StringVar(&since, "since", "", "start at a stream sequence or RFC 3339 time; 0 replays everything retained; default: new events only")
			return func(ctx context.Context, args []string) error {
				if len(args) != 1 || args[0] != "tail" {
					return usagef("usage: ossflow events tail [flags]")
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				body, err := c.TailEvents(ctx, &client.TailOptions{
					Bucket: bucket, Prefix: prefix, Suffix: suffix, Events: patterns.values, Since: since,
				})
				if err != nil {
					return err
				}
				defer body.Close()
				sc := bufio.NewScanner(body)
				sc.Buffer(make([]byte, 64<<10), 4<<20)
				for sc.Scan() {
					// One write per event: the line leaves at once.
					if _, err := fmt.Fprintf(e.stdout, "%s\n", sc.Bytes()); err != nil {
						return err
					}
				}
				if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
					return fmt.Errorf("events tail: %w", err)
				}
				return nil
			}
		},
	}
}
