package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/ossflow/ossflow/sdk/client"
)

func mbCommand() *command {
	return &command{
		name:     "mb",
		synopsis: "mb oss://bucket [--acl private|public-read|public-read-write]",
		summary:  "make a bucket",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			acl := fs.String("acl", "", "canned ACL of the new bucket")
			return func(ctx context.Context, args []string) error {
				u, err := oneBucketArg(args)
				if err != nil {
					return err
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				if err := c.CreateBucket(ctx, u.bucket, &client.BucketOptions{ACL: *acl}); err != nil {
					return err
				}
				return cf.emit(map[string]any{"created": u.bucket}, "created "+u.String())
			}
		},
	}
}

func rbCommand() *command {
	return &command{
		name:     "rb",
		synopsis: "rb oss://bucket",
		summary:  "remove an empty bucket",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			return func(ctx context.Context, args []string) error {
				u, err := oneBucketArg(args)
				if err != nil {
					return err
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				if err := c.DeleteBucket(ctx, u.bucket); err != nil {
					return err
				}
				return cf.emit(map[string]any{"removed": u.bucket}, "removed "+u.String())
			}
		},
	}
}

func oneBucketArg(args []string) (ossURL, error) {
	if len(args) != 1 {
		return ossURL{}, usagef("want exactly one oss://bucket argument")
	}
	u, err := needOSSURL(args[0], false)
	if err != nil {
		return u, err
	}
	if u.key != "" {
		return u, usagef("%q names an object, want oss://bucket", args[0])
	}
	return u, nil
}

const timeLayout = "2006-01-02 15:04:05"

func lsCommand() *command {
	return &command{
		name:     "ls",
		synopsis: "ls [oss://bucket[/prefix]] [-r]",
		summary:  "list buckets, or the objects of a bucket (one level; -r for all)",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			recursive := fs.Bool("r", false, "list every object under the prefix, not one level")
			return func(ctx context.Context, args []string) error {
				if len(args) > 1 {
					return usagef("want at most one oss://bucket[/prefix] argument")
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				if len(args) == 0 {
					return listBuckets(ctx, cf, c)
				}
				u, err := needOSSURL(args[0], false)
				if err != nil {
					return err
				}
				opts := &client.ListOptions{Prefix: u.key}
				if !*recursive {
					opts.Delimiter = "/"
				}
				for entry, err := range c.Objects(ctx, u.bucket, opts) {
					if err != nil {
						return err
					}
					full := ossURL{u.bucket, entry.Key}.String()
					if entry.IsPrefix {
						if err := cf.emit(map[string]any{"prefix": entry.Key}, fmt.Sprintf("%19s  %12s  %s", "", "DIR", full)); err != nil {
							return err
						}
						continue
					}
					obj := map[string]any{
						"key": entry.Key, "size": entry.Size, "etag": entry.ETag,
						"lastModified": entry.LastModified.UTC().Format(time.RFC3339), "storageClass": entry.StorageClass, "type": entry.Type,
					}
					human := fmt.Sprintf("%19s  %12d  %s", entry.LastModified.Local().Format(timeLayout), entry.Size, full)
					if err := cf.emit(obj, human); err != nil {
						return err
					}
				}
				return nil
			}
		},
	}
}

func listBuckets(ctx context.Context, cf *clientFlags, c *client.Client) error {
	buckets, err := c.ListBuckets(ctx)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		obj := map[string]any{"bucket": b.Name, "created": b.CreationDate.UTC().Format(time.RFC3339), "region": b.Region, "storageClass": b.StorageClass}
		if err := cf.emit(obj, fmt.Sprintf("%19s  oss://%s", b.CreationDate.Local().Format(timeLayout), b.Name)); err != nil {
			return err
		}
	}
	return nil
}
