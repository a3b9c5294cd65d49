package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ossflow/ossflow/sdk/client"
)

// adminFlags are the flags of "ossflow admin".
type adminFlags struct {
	*clientFlags
	user     string
	file     string
	policy   string
	name     string
	duration time.Duration
}

func adminCommand() *command {
	return &command{
		name: "admin",
		synopsis: "admin user add|list|get|delete [NAME]\n" +
			"       ossflow admin key create [--user NAME] | key delete KEYID | key list\n" +
			"       ossflow admin policy put NAME --file p.json | policy get|delete NAME | policy list\n" +
			"       ossflow admin policy attach|detach NAME --user USER\n" +
			"       ossflow admin sts [--duration 1h] [--policy p.json] [--name session]\n" +
			"       ossflow admin sts revoke TOKEN",
		summary: "manage sub-users, access keys, named policies and STS tokens (root credentials; sts with any key)",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			af := &adminFlags{clientFlags: addClientFlags(fs, e)}
			fs.StringVar(&af.user, "user", "", "sub-user the key or policy is for (key create: empty means the root account)")
			fs.StringVar(&af.file, "file", "", "policy document (JSON) to upload with policy put")
			fs.StringVar(&af.policy, "policy", "", "session policy (JSON file) narrowing an STS token")
			fs.StringVar(&af.name, "name", "", "STS session name (2 to 64 of letters, digits and .@_-)")
			fs.DurationVar(&af.duration, "duration", time.Hour, "STS token lifetime (15m to 12h)")
			return func(ctx context.Context, args []string) error {
				if len(args) == 0 {
					return usagef("want user, key, policy or sts")
				}
				c, err := af.client()
				if err != nil {
					return err
				}
				switch args[0] {
				case "user":
					return af.userCmd(ctx, c, args[1:])
				case "key":
					return af.keyCmd(ctx, c, args[1:])
				case "policy":
					return af.policyCmd(ctx, c, args[1:])
				case "sts":
					return af.stsCmd(ctx, c, args[1:])
				}
				return usagef("unknown admin object %q: want user, key, policy or sts", args[0])
			}
		},
	}
}

// one returns the single NAME argument of a subcommand.
func one(args []string, what string) (string, error) {
	if len(args) != 1 || args[0] == "" {
		return "", usagef("want exactly one %s", what)
	}
	return args[0], nil
}

func (af *adminFlags) userCmd(ctx context.Context, c *client.Client, args []string) error {
	if len(args) == 0 {
		return usagef("want user add|list|get|delete")
	}
	switch args[0] {
	case "add":
		name, err := one(args[1:], "user NAME")
		if err != nil {
			return err
		}
		u, err := c.AddUser(ctx, name)
		if err != nil {
			return err
		}
		return af.emit(u, fmt.Sprintf("created user %s (uid %s)", u.Name, u.UID))
	case "get":
		name, err := one(args[1:], "user NAME")
		if err != nil {
			return err
		}
		u, err := c.GetUser(ctx, name)
		if err != nil {
			return err
		}
		return af.emit(u, userLine(u))
	case "list":
		if len(args) != 1 {
			return usagef("user list takes no argument")
		}
		users, err := c.ListUsers(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if err := af.emit(u, userLine(u)); err != nil {
				return err
			}
		}
		return nil
	case "delete":
		name, err := one(args[1:], "user NAME")
		if err != nil {
			return err
		}
		if err := c.DeleteUser(ctx, name); err != nil {
			return err
		}
		return af.emit(map[string]string{"deleted": name}, "deleted user "+name)
	}
	return usagef("unknown user command %q: want add, list, get or delete", args[0])
}

func userLine(u client.AdminUser) string {
	keys := make([]string, 0, len(u.Keys))
	for _, k := range u.Keys {
		keys = append(keys, k.AccessKeyID+"("+k.Status+")")
	}
	return fmt.Sprintf("%s\tuid=%s\tkeys=%s\tpolicies=%s", u.Name, u.UID, strings.Join(keys, ","), strings.Join(u.Policies, ","))
}

func (af *adminFlags) keyCmd(ctx context.Context, c *client.Client, args []string) error {
	if len(args) == 0 {
		return usagef("want key create|delete|list")
	}
	switch args[0] {
	case "create":
		if len(args) != 1 {
			return usagef("key create takes no argument (use --user NAME)")
		}
		k, err := c.CreateKey(ctx, af.user)
		if err != nil {
			return err
		}
		owner := af.user
		if owner == "" {
			owner = "the root account"
		}
		return af.emit(k, fmt.Sprintf("Created an access key for %s (the secret is shown only this once):\n\n  export %s=%s\n  export %s=%s",
			owner, envAccessKey, k.AccessKeyID, envSecret, k.AccessKeySecret))
	case "delete":
		id, err := one(args[1:], "KEYID")
		if err != nil {
			return err
		}
		if err := c.DeleteKey(ctx, id); err != nil {
			return err
		}
		return af.emit(map[string]string{"deleted": id}, "deleted key "+id)
	case "list":
		keys, err := c.ListRootKeys(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := af.emit(k, k.AccessKeyID+"\t"+k.Status+"\t"+k.Created.Format(time.RFC3339)); err != nil {
				return err
			}
		}
		return nil
	}
	return usagef("unknown key command %q: want create, delete or list", args[0])
}

func (af *adminFlags) policyCmd(ctx context.Context, c *client.Client, args []string) error {
	if len(args) == 0 {
		return usagef("want policy put|get|delete|list|attach|detach")
	}
	switch args[0] {
	case "list":
		names, err := c.ListPolicies(ctx)
		if err != nil {
			return err
		}
		for _, n := range names {
			if err := af.emit(map[string]string{"policy": n}, n); err != nil {
				return err
			}
		}
		return nil
	case "put":
		name, err := one(args[1:], "policy NAME")
		if err != nil {
			return err
		}
		if af.file == "" {
			return usagef("policy put needs --file p.json")
		}
		doc, err := readSmallFile(af.file)
		if err != nil {
			return err
		}
		if err := c.PutPolicy(ctx, name, doc); err != nil {
			return err
		}
		return af.emit(map[string]string{"policy": name}, "stored policy "+name)
	case "get":
		name, err := one(args[1:], "policy NAME")
		if err != nil {
			return err
		}
		doc, err := c.GetPolicy(ctx, name)
		if err != nil {
			return err
		}
		_, err = af.e.stdout.Write(append(doc, '\n'))
		return err
	case "delete":
		name, err := one(args[1:], "policy NAME")
		if err != nil {
			return err
		}
		if err := c.DeletePolicy(ctx, name); err != nil {
			return err
		}
		return af.emit(map[string]string{"deleted": name}, "deleted policy "+name)
	case "attach", "detach":
		name, err := one(args[1:], "policy NAME")
		if err != nil {
			return err
		}
		if af.user == "" {
			return usagef("policy %s needs --user USER", args[0])
		}
		if args[0] == "attach" {
			err = c.AttachPolicy(ctx, af.user, name)
		} else {
			err = c.DetachPolicy(ctx, af.user, name)
		}
		if err != nil {
			return err
		}
		return af.emit(map[string]string{args[0]: name, "user": af.user}, args[0]+"ed policy "+name+" for "+af.user)
	}
	return usagef("unknown policy command %q", args[0])
}

func (af *adminFlags) stsCmd(ctx context.Context, c *client.Client, args []string) error {
	if len(args) > 0 {
		if args[0] != "revoke" {
			return usagef("unknown sts command %q: want sts [flags] or sts revoke TOKEN", args[0])
		}
		tok, err := one(args[1:], "security TOKEN")
		if err != nil {
			return err
		}
		if err := c.RevokeToken(ctx, tok); err != nil {
			return err
		}
		return af.emit(map[string]bool{"revoked": true}, "revoked")
	}
	opts := client.STSOptions{Duration: af.duration, SessionName: af.name}
	if af.policy != "" {
		doc, err := readSmallFile(af.policy)
		if err != nil {
			return err
		}
		opts.Policy = doc
	}
	creds, err := c.IssueToken(ctx, opts)
	if err != nil {
		return err
	}
	return af.emit(creds, fmt.Sprintf("AccessKeyId:     %s\nAccessKeySecret: %s\nSecurityToken:   %s\nExpiration:      %s",
		creds.AccessKeyID, creds.AccessKeySecret, creds.SecurityToken, creds.Expiration.UTC().Format(time.RFC3339)))
}

// readSmallFile reads a policy file, refusing anything over 64 KiB.
func readSmallFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > 64<<10 {
		return nil, fmt.Errorf("%s: %d bytes, more than a policy may have", path, fi.Size())
	}
	return os.ReadFile(path)
}

// envBlockPublicAccess turns on "ossflow server --block-public-access".
const envBlockPublicAccess = "OSSFLOW_BLOCK_PUBLIC_ACCESS"
