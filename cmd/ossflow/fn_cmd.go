package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/sdk/client"
)

const fnSynopsis = `fn deploy NAME --wasm f.wasm (--trigger 'ObjectCreated:*' --bucket B [--prefix P] [--suffix S] | --manifest m.json) [--memory 64MiB] [--timeout 10s] [--concurrency N] [--read b/p] [--write b/p] [--http-host h] [--config k=v] [--allow-self-trigger] [--http] [--public]
       fn list | get NAME | delete NAME | versions NAME | rollback NAME [--to N]
       fn invoke NAME [--data @file|-|text]
       fn logs NAME [-f] [--since 10m]
       fn dlq list NAME | fn dlq replay NAME (--id EVENTID | --all)
       fn trail EVENTID`

// fnFlags are the flags of every "fn" subcommand (each uses its own).
type fnFlags struct {
	wasm, manifest, bucket, prefix, suffix string
	triggers, read, write, httpHosts       listFlag
	subjects, config                       listFlag
	memory, maxInput, maxOutput            string
	timeout                                time.Duration
	concurrency, maxDeliver                int
	backoff, ackWait                       time.Duration
	allowSelf, httpTrigger, public         bool
	description                            string
	data, since, id                        string
	follow, all                            bool
	to                                     int
}

func fnCommand() *command {
	return &command{
		name:     "fn",
		synopsis: fnSynopsis,
		summary:  "deploy and manage functions (WebAssembly run on events and HTTP requests)",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			f := &fnFlags{}
			fs.StringVar(&f.wasm, "wasm", "", "deploy: the module (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared)")
			fs.StringVar(&f.manifest, "manifest", "", "deploy: a manifest JSON file instead of the trigger and limit flags")
			fs.Var(&f.triggers, "trigger", "deploy: event-name pattern, e.g. 'ObjectCreated:*' or 'oss:ObjectRemoved:DeleteObject'; repeatable")
			fs.StringVar(&f.bucket, "bucket", "", "deploy: the bucket whose events trigger the function")
			fs.StringVar(&f.prefix, "prefix", "", "deploy: only keys with this prefix")
			fs.StringVar(&f.suffix, "suffix", "", "deploy: only keys with this suffix")
			fs.Var(&f.subjects, "subject", "deploy: a NATS subject whose messages run the function; repeatable")
			fs.BoolVar(&f.httpTrigger, "http", false, "deploy: an HTTP trigger (root-only unless --public)")
			fs.BoolVar(&f.public, "public", false, "deploy: anyone may invoke the function over HTTP, unauthenticated")
			fs.StringVar(&f.memory, "memory", "", "deploy: memory cap, e.g. 64MiB")
			fs.DurationVar(&f.timeout, "timeout", 0, "deploy: time limit of one invocation, e.g. 10s")
			fs.IntVar(&f.concurrency, "concurrency", 0, "deploy: invocations that run at once")
			fs.StringVar(&f.maxInput, "max-input", "", "deploy: input bound, e.g. 6MiB")
			fs.StringVar(&f.maxOutput, "max-output", "", "deploy: output bound, e.g. 6MiB")
			fs.Var(&f.read, "read", "deploy: read grant bucket[/prefix]; repeatable (default: read and write the trigger's bucket)")
			fs.Var(&f.write, "write", "deploy: write grant bucket[/prefix]; repeatable")
			fs.Var(&f.httpHosts, "http-host", "deploy: outbound HTTP host allowed; repeatable")
			fs.Var(&f.config, "config", "deploy: configuration key=value; repeatable")
			fs.BoolVar(&f.allowSelf, "allow-self-trigger", false, "deploy: let the function's own writes trigger it (loop guard off)")
			fs.IntVar(&f.maxDeliver, "max-deliver", 0, "deploy: deliveries of an event before it goes to the dead-letter stream (default 5)")
			fs.DurationVar(&f.backoff, "backoff", 0, "deploy: first retry delay, doubled each time (default 1s)")
			fs.DurationVar(&f.ackWait, "ack-wait", 0, "deploy: how long NATS waits for an answer before redelivering (default 30s)")
			fs.StringVar(&f.description, "description", "", "deploy: a description")
			// --data is the client flags' data directory, except for
			// "fn invoke", where it is the request body (as in curl); the
			// data directory then comes from the environment.
			dataFlag := fs.Lookup("data")
			dataFlag.Value = &dualValue{a: dataFlag.Value, b: &f.data}
			dataFlag.Usage += "; for fn invoke: the request body (text, @file, or - for standard input)"
			fs.BoolVar(&f.follow, "f", false, "logs: follow new records")
			fs.BoolVar(&f.follow, "follow", false, "logs: follow new records")
			fs.StringVar(&f.since, "since", "", "logs: start that long ago (10m) or at an RFC 3339 time; default: every retained record")
			fs.IntVar(&f.to, "to", 0, "rollback: the version to make current (default: the previous one)")
			fs.StringVar(&f.id, "id", "", "dlq replay: the event id of the dead letter")
			fs.BoolVar(&f.all, "all", false, "dlq replay: every dead letter of the function")
			return func(ctx context.Context, args []string) error {
				if len(args) == 0 {
					return usagef("want a subcommand: deploy, list, get, invoke, logs, delete, versions, rollback, dlq, trail")
				}
				sub, args := args[0], args[1:]
				need := func(n int, what string) error {
					if len(args) != n {
						return usagef("fn %s wants %s", sub, what)
					}
					return nil
				}
				var err error
				switch sub {
				case "list":
					err = need(0, "no argument")
				case "dlq":
					if len(args) != 2 || (args[0] != "list" && args[0] != "replay") {
						return usagef("fn dlq list NAME | fn dlq replay NAME (--id EVENTID | --all)")
					}
				case "trail":
					err = need(1, "an event id")
				case "deploy", "get", "invoke", "logs", "delete", "versions", "rollback":
					err = need(1, "a function name")
				default:
					return usagef("unknown subcommand %q", sub)
				}
				if err != nil {
					return err
				}
				if sub == "invoke" {
					cf.data = envOr(e, envData, defaultData)
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				r := &fnRun{cf: cf, f: f, c: c, e: e}
				switch sub {
				case "deploy":
					return r.deploy(ctx, args[0])
				case "list":
					return r.list(ctx)
				case "get":
					return r.get(ctx, args[0])
				case "invoke":
					return r.invoke(ctx, args[0])
				case "logs":
					return r.logs(ctx, args[0])
				case "delete":
					if err := c.DeleteFunction(ctx, args[0]); err != nil {
						return err
					}
					return cf.emit(map[string]any{"deleted": args[0]}, "deleted "+args[0])
				case "versions":
					return r.versions(ctx, args[0])
				case "rollback":
					res, err := c.RollbackFunction(ctx, args[0], f.to)
					if err != nil {
						return err
					}
					return cf.emit(res, fmt.Sprintf("%s: v%d is current (was v%d)", res.Name, res.Version, res.Previous))
				case "dlq":
					if args[0] == "list" {
						return r.dlqList(ctx, args[1])
					}
					return r.dlqReplay(ctx, args[1])
				case "trail":
					return r.trail(ctx, args[0])
				}
				return nil
			}
		},
	}
}

type fnRun struct {
	cf *clientFlags
	f  *fnFlags
	c  *client.Client
	e  *env
}

// manifest builds the deploy's manifest from --manifest or the flags.
func (f *fnFlags) buildManifest(name string) (fnapi.Manifest, error) {
	if f.manifest != "" {
		if len(f.triggers.values) > 0 || f.bucket != "" || f.prefix != "" || f.suffix != "" {
			return fnapi.Manifest{}, usagef("--manifest replaces --trigger, --bucket, --prefix and --suffix: give one or the other")
		}
		b, err := os.ReadFile(f.manifest)
		if err != nil {
			return fnapi.Manifest{}, err
		}
		m, err := fnapi.ParseManifest(b)
		if err != nil {
			return m, err
		}
		if m.Name == "" {
			m.Name = name
		}
		if m.Name != name {
			return m, usagef("the manifest names function %q, the command line %q", m.Name, name)
		}
		return m, f.applyOverrides(&m)
	}
	m := fnapi.Manifest{Name: name, Description: f.description}
	switch {
	case len(f.triggers.values) > 0 && f.bucket == "":
		return m, usagef("--trigger needs --bucket")
	case len(f.triggers.values) == 0 && (f.bucket != "" || f.prefix != "" || f.suffix != ""):
		return m, usagef("--bucket, --prefix and --suffix need --trigger 'ObjectCreated:*' (or another event pattern)")
	case len(f.triggers.values) > 0:
		m.Triggers.Events = []fnapi.EventTrigger{{Events: f.triggers.values, Bucket: f.bucket, Prefix: f.prefix, Suffix: f.suffix}}
	}
	return m, f.applyOverrides(&m)
}

// applyOverrides applies the limit, grant and policy flags to m.
func (f *fnFlags) applyOverrides(m *fnapi.Manifest) error {
	size := func(s string, dst *fnapi.Size, flag string) error {
		if s == "" {
			return nil
		}
		v, err := fnapi.ParseSize(s)
		if err != nil {
			return usagef("--%s: %v", flag, err)
		}
		*dst = v
		return nil
	}
	if err := size(f.memory, &m.Limits.Memory, "memory"); err != nil {
		return err
	}
	if err := size(f.maxInput, &m.Limits.MaxInput, "max-input"); err != nil {
		return err
	}
	if err := size(f.maxOutput, &m.Limits.MaxOutput, "max-output"); err != nil {
		return err
	}
	if f.timeout > 0 {
		m.Limits.Timeout = fnapi.Duration(f.timeout)
	}
	if f.concurrency > 0 {
		m.Limits.Concurrency = f.concurrency
	}
	m.Grants.Read = append(m.Grants.Read, f.read.values...)
	m.Grants.Write = append(m.Grants.Write, f.write.values...)
	m.Grants.HTTPHosts = append(m.Grants.HTTPHosts, f.httpHosts.values...)
	for _, kv := range f.config.values {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usagef("--config wants key=value, got %q", kv)
		}
		if m.Config == nil {
			m.Config = map[string]string{}
		}
		m.Config[k] = v
	}
	if f.allowSelf {
		m.AllowSelfTrigger = true
	}
	if f.httpTrigger || f.public {
		m.Triggers.HTTP = &fnapi.HTTPTrigger{Public: f.public}
	}
	m.Triggers.Subjects = append(m.Triggers.Subjects, f.subjects.values...)
	if f.maxDeliver > 0 {
		m.Retry.MaxDeliver = f.maxDeliver
	}
	if f.backoff > 0 {
		m.Retry.Backoff = fnapi.Duration(f.backoff)
	}
	if f.ackWait > 0 {
		m.Retry.AckWait = fnapi.Duration(f.ackWait)
	}
	if f.description != "" {
		m.Description = f.description
	}
	return nil
}

func (r *fnRun) deploy(ctx context.Context, name string) error {
	if r.f.wasm == "" {
		return usagef("fn deploy needs --wasm FILE")
	}
	m, err := r.f.buildManifest(name)
	if err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return usagef("%v", err)
	}
	wasm, err := os.ReadFile(r.f.wasm)
	if err != nil {
		return err
	}
	res, err := r.c.DeployFunction(ctx, m, wasm)
	if err != nil {
		return err
	}
	human := fmt.Sprintf("deployed %s v%d in %.0f ms", res.Name, res.Version, res.ReadyMillis)
	if res.Previous > 0 {
		human += fmt.Sprintf(" (was v%d)", res.Previous)
	}
	return r.cf.emit(res, human)
}

func triggerSummary(m fnapi.Manifest) string {
	var parts []string
	for _, t := range m.Triggers.Events {
		parts = append(parts, fmt.Sprintf("%s:%s*%s %s", t.Bucket, t.Prefix, t.Suffix, strings.Join(t.Events, ",")))
	}
	if h := m.Triggers.HTTP; h != nil {
		if h.Public {
			parts = append(parts, "http(public)")
		} else {
			parts = append(parts, "http")
		}
	}
	for _, s := range m.Triggers.Subjects {
		parts = append(parts, "nats:"+s)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

func (r *fnRun) list(ctx context.Context) error {
	fns, err := r.c.ListFunctions(ctx)
	if err != nil {
		return err
	}
	if r.cf.json {
		for _, f := range fns {
			if err := r.cf.emit(f, ""); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(r.e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tDEPLOYED\tTRIGGERS")
	for _, f := range fns {
		fmt.Fprintf(tw, "%s\tv%d\t%s\t%s\n", f.Name, f.Version, f.Deployed.Local().Format(time.DateTime), triggerSummary(f.Manifest))
	}
	return tw.Flush()
}

func (r *fnRun) get(ctx context.Context, name string) error {
	fi, err := r.c.GetFunction(ctx, name)
	if err != nil {
		return err
	}
	if r.cf.json {
		return r.cf.emit(fi, "")
	}
	doc, _ := json.MarshalIndent(fi.Manifest, "", "  ")
	g, _ := json.Marshal(fi.Grants)
	fmt.Fprintf(r.e.stdout, "name:     %s\nversion:  v%d\ndeployed: %s\nmodule:   %s (%s)\ntriggers: %s\ngrants:   %s\nmanifest:\n%s\n",
		fi.Name, fi.Version, fi.Deployed.Local().Format(time.RFC3339), humanBytes(fi.Size), fi.SHA256[:min(16, len(fi.SHA256))],
		triggerSummary(fi.Manifest), g, doc)
	return nil
}

func (r *fnRun) invoke(ctx context.Context, name string) error {
	var body []byte
	switch d := r.f.data; {
	case d == "-":
		b, err := io.ReadAll(r.e.stdin)
		if err != nil {
			return err
		}
		body = b
	case strings.HasPrefix(d, "@"):
		b, err := os.ReadFile(d[1:])
		if err != nil {
			return err
		}
		body = b
	default:
		body = []byte(d)
	}
	res, err := r.c.InvokeFunction(ctx, name, body, http.Header{})
	if err != nil {
		return err
	}
	if r.cf.json {
		h := map[string]string{}
		for k := range res.Header {
			h[k] = res.Header.Get(k)
		}
		return r.cf.emit(map[string]any{"status": res.StatusCode, "version": res.Version, "header": h, "body": string(res.Body)}, "")
	}
	if _, err := r.e.stdout.Write(res.Body); err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("the function answered HTTP %d", res.StatusCode)
	}
	return nil
}

// recordLine formats a record for people.
func recordLine(rec fnapi.Record) string {
	ts := rec.Time.Local().Format("2006-01-02 15:04:05.000")
	id := rec.EventID
	if id == "" {
		id = rec.InvocationID
	}
	if len(id) > 12 {
		id = id[:12]
	}
	head := fmt.Sprintf("%s %s v%d %s", ts, rec.Function, rec.Version, id)
	switch rec.Type {
	case fnapi.RecordLog:
		return fmt.Sprintf("%s %-5s %s", head, strings.ToUpper(rec.Level), rec.Message)
	case fnapi.RecordInvocation:
		start := "warm"
		if rec.Cold {
			start = "cold"
		}
		s := fmt.Sprintf("%s %s %s %.2fms %s", head, rec.Trigger, rec.Result, rec.DurationMillis, start)
		if rec.Key != "" {
			s += fmt.Sprintf(" %s %s/%s", rec.EventName, rec.Bucket, rec.Key)
		}
		if rec.Delivery > 1 {
			s += fmt.Sprintf(" delivery %d", rec.Delivery)
		}
		if rec.Error != "" {
			s += fmt.Sprintf(" [%s] %s", rec.ErrorKind, rec.Error)
		}
		return s
	default:
		s := fmt.Sprintf("%s %s %s/%s: %s", head, rec.Type, rec.Bucket, rec.Key, rec.Result)
		if rec.Error != "" {
			s += fmt.Sprintf(" [%s] %s", rec.ErrorKind, rec.Error)
		}
		return s
	}
}

func (r *fnRun) logs(ctx context.Context, name string) error {
	body, err := r.c.FunctionLogs(ctx, name, r.f.since, r.f.follow)
	if err != nil {
		return err
	}
	defer body.Close()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if r.cf.json {
			if _, err := fmt.Fprintf(r.e.stdout, "%s\n", line); err != nil {
				return err
			}
			continue
		}
		var rec fnapi.Record
		if json.Unmarshal(line, &rec) != nil {
			continue
		}
		if _, err := fmt.Fprintln(r.e.stdout, recordLine(rec)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
		return fmt.Errorf("fn logs: %w", err)
	}
	return nil
}

func (r *fnRun) versions(ctx context.Context, name string) error {
	vs, err := r.c.FunctionVersions(ctx, name)
	if err != nil {
		return err
	}
	for _, v := range vs {
		cur := ""
		if v.Current {
			cur = "  (current)"
		}
		if err := r.cf.emit(v, fmt.Sprintf("v%-4d %s  %s  %9s%s", v.Version, v.Deployed.Local().Format(time.DateTime),
			v.SHA256[:min(16, len(v.SHA256))], humanBytes(v.Size), cur)); err != nil {
			return err
		}
	}
	return nil
}

func (r *fnRun) dlqList(ctx context.Context, name string) error {
	list, err := r.c.FunctionDeadLetters(ctx, name)
	if err != nil {
		return err
	}
	for _, d := range list {
		if err := r.cf.emit(d, fmt.Sprintf("%s  %s  %s oss://%s/%s  v%d after %d deliveries: [%s] %s",
			d.Time.Local().Format(time.DateTime), d.EventID, d.EventName, d.Bucket, d.Key, d.Version, d.Delivered, d.ErrorKind, d.Error)); err != nil {
			return err
		}
	}
	return nil
}

func (r *fnRun) dlqReplay(ctx context.Context, name string) error {
	if (r.f.id == "") == !r.f.all {
		return usagef("fn dlq replay wants --id EVENTID or --all")
	}
	res, err := r.c.ReplayDeadLetters(ctx, name, r.f.id)
	if err != nil {
		return err
	}
	if r.cf.json {
		if err := r.cf.emit(res, ""); err != nil {
			return err
		}
	} else {
		for _, o := range res.Results {
			if o.OK {
				fmt.Fprintf(r.e.stdout, "%s: replayed\n", o.EventID)
			} else {
				fmt.Fprintf(r.e.stdout, "%s: failed again: [%s] %s\n", o.EventID, o.ErrorKind, o.Error)
			}
		}
		fmt.Fprintf(r.e.stdout, "%d replayed, %d failed\n", res.Replayed, res.Failed)
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d dead letters failed again (they stay in the dead-letter stream)", res.Failed)
	}
	return nil
}

func (r *fnRun) trail(ctx context.Context, id string) error {
	recs, err := r.c.EventTrail(ctx, id)
	if err != nil {
		return err
	}
	if r.cf.json {
		for _, rec := range recs {
			if err := r.cf.emit(rec, ""); err != nil {
				return err
			}
		}
		return nil
	}
	if len(recs) == 0 {
		fmt.Fprintf(r.e.stdout, "no records for event %s (no function ran on it, or its records aged out)\n", id)
		return nil
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.Before(recs[j].Time) })
	for _, rec := range recs {
		fmt.Fprintln(r.e.stdout, recordLine(rec))
	}
	return nil
}

// dualValue sets two flag values at once.
type dualValue struct {
	a flag.Value
	b *string
}

func (d *dualValue) String() string {
	if d.a == nil {
		return ""
	}
	return d.a.String()
}

func (d *dualValue) Set(s string) error {
	*d.b = s
	return d.a.Set(s)
}
