package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ossflow/ossflow/sdk/client"
)

func cpCommand() *command {
	return &command{
		name:     "cp",
		synopsis: "cp SRC DST   (SRC, DST: a local file, - for stdin/stdout, or oss://bucket/key)",
		summary:  "copy a file to, from or between objects (large files go up in parallel parts)",
		setup: func(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
			cf := addClientFlags(fs, e)
			contentType := fs.String("content-type", "", "Content-Type of an upload (default: from the file extension)")
			partSize := fs.String("part-size", "8MiB", "multipart part size of uploads")
			concurrency := fs.Int("concurrency", client.DefaultConcurrency, "parts uploaded in parallel")
			return func(ctx context.Context, args []string) error {
				if len(args) != 2 {
					return usagef("want SRC and DST")
				}
				ps, err := parseSize(*partSize)
				if err != nil {
					return usagef("--part-size: %v", err)
				}
				if *concurrency < 1 {
					return usagef("--concurrency must be at least 1")
				}
				src, dst := args[0], args[1]
				srcU, srcOSS := parseOSSURL(src)
				dstU, dstOSS := parseOSSURL(dst)
				if strings.HasPrefix(src, "oss://") && !srcOSS || strings.HasPrefix(dst, "oss://") && !dstOSS {
					return usagef("bad oss:// URL in %q %q", src, dst)
				}
				if !srcOSS && !dstOSS {
					return usagef("one of SRC and DST must be an oss:// URL")
				}
				c, err := cf.client()
				if err != nil {
					return err
				}
				switch {
				case srcOSS && dstOSS:
					return copyRemote(ctx, cf, c, srcU, dstU)
				case dstOSS:
					up := &client.UploadOptions{PartSize: ps, Concurrency: *concurrency}
					up.Put.ContentType = *contentType
					return upload(ctx, e, cf, c, src, dstU, up)
				default:
					return download(ctx, e, cf, c, srcU, dst)
				}
			}
		},
	}
}

func copyRemote(ctx context.Context, cf *clientFlags, c *client.Client, src, dst ossURL) error {
	if src.key == "" {
		return usagef("%s names no object", src)
	}
	if dst.key == "" || strings.HasSuffix(dst.key, "/") {
		dst.key += path.Base(src.key)
	}
	info, err := c.CopyObject(ctx, src.bucket, src.key, dst.bucket, dst.key, nil)
	if err != nil {
		return err
	}
	return cf.emit(map[string]any{"source": src.String(), "destination": dst.String(), "etag": info.ETag},
		fmt.Sprintf("copied %s -> %s", src, dst))
}

func upload(ctx context.Context, e *env, cf *clientFlags, c *client.Client, src string, dst ossURL, opts *client.UploadOptions) error {
	var r io.Reader
	size := int64(-1)
	name := "stdin"
	if src == "-" {
		r = e.stdin
		if dst.key == "" || strings.HasSuffix(dst.key, "/") {
			return usagef("uploading stdin needs a full oss://bucket/key destination")
		}
	} else {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", src)
		}
		r, size, name = f, fi.Size(), src
		if dst.key == "" || strings.HasSuffix(dst.key, "/") {
			dst.key += filepath.Base(src)
		}
		if opts.Put.ContentType == "" {
			opts.Put.ContentType = mime.TypeByExtension(filepath.Ext(src))
		}
	}
	if opts.Put.ContentType == "" {
		opts.Put.ContentType = mime.TypeByExtension(path.Ext(dst.key))
	}
	bar := newProgressBar(e, cf, "upload "+dst.String())
	opts.Progress = bar.callback()
	info, err := c.Upload(ctx, dst.bucket, dst.key, r, size, opts)
	bar.finish()
	if err != nil {
		return err
	}
	return cf.emit(map[string]any{"source": name, "destination": dst.String(), "size": info.Size, "etag": info.ETag},
		fmt.Sprintf("uploaded %s -> %s (%s)", name, dst, humanBytes(info.Size)))
}

func download(ctx context.Context, e *env, cf *clientFlags, c *client.Client, src ossURL, dst string) (err error) {
	if src.key == "" || strings.HasSuffix(src.key, "/") {
		return usagef("%s names no object", src)
	}
	body, info, err := c.GetObject(ctx, src.bucket, src.key, nil)
	if err != nil {
		return err
	}
	defer body.Close()
	if dst == "-" {
		_, err := io.Copy(e.stdout, body)
		return err
	}
	if fi, serr := os.Stat(dst); (serr == nil && fi.IsDir()) || strings.HasSuffix(dst, string(os.PathSeparator)) || strings.HasSuffix(dst, "/") {
		dst = filepath.Join(dst, path.Base(src.key))
	}
	// Write beside the destination and rename, so a failed or corrupt
	// download never leaves a partial file under the real name.
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".ossflow-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bar := newProgressBar(e, cf, "download "+src.String())
	var w io.Writer = tmp
	if bar != nil {
		w = &progressWriter{w: tmp, bar: bar, total: info.Size}
	}
	n, err := io.Copy(w, body)
	bar.finish()
	if err != nil {
		return fmt.Errorf("download %s: %w", src, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	return cf.emit(map[string]any{"source": src.String(), "destination": dst, "size": n, "etag": info.ETag},
		fmt.Sprintf("downloaded %s -> %s (%s)", src, dst, humanBytes(n)))
}
