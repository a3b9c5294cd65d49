package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ossflow/ossflow/sdk/client"
)

func rmCommand() *command {
	return &command{
		name:     "rm",
		synopsis: "rm oss://bucket/key | rm -r oss://bucket[/prefix]",
		summary:  "remove an object, or (-r) every object under a prefix",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			recursive := fs.Bool("r", false, "remove every object whose key starts with the prefix")
			return func(ctx context.Context, args []string) error {
				if len(args) != 1 {
					return usagef("want exactly one oss:// argument")
				}
				u, err := needOSSURL(args[0], !*recursive)
				if err != nil {
					return err
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				if !*recursive {
					if err := c.DeleteObject(ctx, u.bucket, u.key); err != nil {
						return err
					}
					return cf.emit(map[string]any{"deleted": u.key}, "deleted "+u.String())
				}
				return removePrefix(ctx, cf, c, u)
			}
		},
	}
}

func removePrefix(ctx context.Context, cf *clientFlags, c *client.Client, u ossURL) error {
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		deleted, err := c.DeleteObjects(ctx, u.bucket, batch)
		for _, k := range deleted {
			if eerr := cf.emit(map[string]any{"deleted": k}, "deleted "+ossURL{u.bucket, k}.String()); eerr != nil {
				return eerr
			}
		}
		batch = batch[:0]
		return err
	}
	for entry, err := range c.Objects(ctx, u.bucket, &client.ListOptions{Prefix: u.key, MaxKeys: 1000}) {
		if err != nil {
			return err
		}
		batch = append(batch, entry.Key)
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func statCommand() *command {
	return &command{
		name:     "stat",
		synopsis: "stat oss://bucket/key",
		summary:  "show an object's metadata",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			return func(ctx context.Context, args []string) error {
				u, err := oneObjectArg(args)
				if err != nil {
					return err
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				info, err := c.HeadObject(ctx, u.bucket, u.key, nil)
				if err != nil {
					return err
				}
				if cf.json {
					obj := map[string]any{
						"bucket": info.Bucket, "key": info.Key, "size": info.Size, "etag": info.ETag,
						"lastModified": info.LastModified.UTC().Format(time.RFC3339), "contentType": info.ContentType,
						"type": info.Type, "storageClass": info.StorageClass, "versionId": info.VersionID,
						"metadata": info.Metadata,
					}
					if info.HasCRC64 {
						obj["crc64"] = fmt.Sprint(info.CRC64)
					}
					return cf.emit(obj, "")
				}
				rows := [][2]string{
					{"Object", u.String()},
					{"Size", fmt.Sprintf("%d (%s)", info.Size, humanBytes(info.Size))},
					{"ETag", info.ETag},
					{"Last-Modified", info.LastModified.Local().Format(time.RFC1123)},
					{"Content-Type", info.ContentType},
					{"Object-Type", info.Type},
					{"Storage-Class", info.StorageClass},
				}
				if info.HasCRC64 {
					rows = append(rows, [2]string{"CRC64", fmt.Sprint(info.CRC64)})
				}
				if info.VersionID != "" {
					rows = append(rows, [2]string{"Version-Id", info.VersionID})
				}
				names := make([]string, 0, len(info.Metadata))
				for k := range info.Metadata {
					names = append(names, k)
				}
				sort.Strings(names)
				for _, k := range names {
					rows = append(rows, [2]string{"Meta-" + k, info.Metadata[k]})
				}
				var b strings.Builder
				for _, r := range rows {
					if r[1] != "" {
						fmt.Fprintf(&b, "%-15s %s\n", r[0]+":", r[1])
					}
				}
				_, err = io.WriteString(e.stdout, b.String())
				return err
			}
		},
	}
}

func catCommand() *command {
	return &command{
		name:     "cat",
		synopsis: "cat oss://bucket/key",
		summary:  "write an object to standard output",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			return func(ctx context.Context, args []string) error {
				u, err := oneObjectArg(args)
				if err != nil {
					return err
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				body, _, err := c.GetObject(ctx, u.bucket, u.key, nil)
				if err != nil {
					return err
				}
				defer body.Close()
				_, err = io.Copy(e.stdout, body)
				return err
			}
		},
	}
}

func presignCommand() *command {
	return &command{
		name:     "presign",
		synopsis: "presign oss://bucket/key [--expires 1h] [--method GET|PUT]",
		summary:  "print a URL that grants access to an object without credentials",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			expires := fs.Duration("expires", time.Hour, "how long the URL is valid (at most 168h)")
			method := fs.String("method", http.MethodGet, "HTTP method the URL allows: GET, PUT, HEAD or DELETE")
			return func(ctx context.Context, args []string) error {
				u, err := oneObjectArg(args)
				if err != nil {
					return err
				}
				m := strings.ToUpper(*method)
				switch m {
				case http.MethodGet, http.MethodPut, http.MethodHead, http.MethodDelete:
				default:
					return usagef("--method %q: want GET, PUT, HEAD or DELETE", *method)
				}
				if *expires <= 0 || *expires > client.MaxPresignExpiry {
					return usagef("--expires %v: want a duration in (0, 168h]", *expires)
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				url, err := c.Presign(m, u.bucket, u.key, *expires)
				if err != nil {
					return err
				}
				return cf.emit(map[string]any{"url": url, "method": m, "expires": time.Now().Add(*expires).UTC().Format(time.RFC3339)}, url)
			}
		},
	}
}

// oneObjectArg is the single oss://bucket/key argument of stat, cat and
// presign.
func oneObjectArg(args []string) (ossURL, error) {
	if len(args) != 1 {
		return ossURL{}, usagef("want exactly one oss://bucket/key argument")
	}
	return needOSSURL(args[0], true)
}
