// Command testguest is the Go guest of the runtime's tests: one module
// whose generic handler does what the input's "op:arg" asks. It stays off
// net/http (see httpguest) to stay small: about 3.5 MB.
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ossflow/ossflow/sdk/fn"
)

// A reactor never runs main: handlers are registered at initialization.
func init() { fn.Handle(handle) }

func main() {}

// counter lives in the instance: it shows warm reuse and discards.
var counter int

func handle(ctx fn.Context, input []byte) ([]byte, error) {
	op, arg, _ := bytes.Cut(input, []byte(":"))
	a := string(arg)
	switch string(op) {
	case "":
		return nil, nil
	case "echo":
		ctx.Infof("echo %d bytes", len(arg))
		return arg, nil
	case "log":
		ctx.Debugf("a debug line")
		ctx.Infof("an info line")
		ctx.Warnf("a warn line")
		ctx.Errorf("an error line")
		fmt.Println("to stdout")
		fmt.Fprintln(os.Stderr, "to stderr")
		return nil, nil
	case "config":
		v, err := fn.ConfigValue(a)
		return []byte(v), err
	case "state":
		counter++
		return []byte(strconv.Itoa(counter)), nil
	case "copy":
		return copyObject(ctx, a)
	case "tryread":
		b, k, _ := strings.Cut(a, "/")
		r, err := fn.OpenObject(ctx, b, k)
		if err != nil {
			return []byte("error: " + err.Error()), nil
		}
		defer r.Close()
		return io.ReadAll(r)
	case "delete":
		b, k, _ := strings.Cut(a, "/")
		return nil, fn.DeleteObject(ctx, b, k)
	case "head":
		b, k, _ := strings.Cut(a, "/")
		info, err := fn.HeadObject(ctx, b, k)
		if err != nil {
			return nil, err
		}
		return json.Marshal(info)
	case "list":
		b, p, _ := strings.Cut(a, "/")
		out, err := fn.ListObjects(ctx, fn.ListInput{Bucket: b, Prefix: p})
		if err != nil {
			return nil, err
		}
		return json.Marshal(out)
	case "put":
		b, rest, _ := strings.Cut(a, "/")
		k, body, _ := strings.Cut(rest, "=")
		info, err := fn.PutObject(ctx, b, k, strings.NewReader(body), int64(len(body)), &fn.PutOptions{ContentType: "text/plain"})
		if err != nil {
			return nil, err
		}
		return json.Marshal(info)
	case "leak":
		// Opens a write and never commits: the host must abort it.
		b, k, _ := strings.Cut(a, "/")
		w, err := fn.CreateObject(ctx, b, k, -1, nil)
		if err != nil {
			return nil, err
		}
		_, err = w.Write([]byte("never committed"))
		return nil, err
	case "image":
		var req fn.ImageRequest
		if err := json.Unmarshal(arg, &req); err != nil {
			return nil, err
		}
		info, err := fn.ProcessImage(ctx, req)
		if err != nil {
			return nil, err
		}
		return json.Marshal(info)
	case "get":
		x, err := fn.OpenHTTP(ctx, "GET", a, map[string][]string{"X-From": {"testguest"}}, 0)
		if err != nil {
			return nil, err
		}
		defer x.Close()
		status, header, err := x.Send()
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(x)
		if err != nil {
			return nil, err
		}
		return fmt.Appendf(nil, "%d %s %s", status, strings.Join(header["X-Test"], ","), body), nil
	case "post":
		// post:<size> <url> streams size bytes, length undeclared.
		sizeStr, url, _ := strings.Cut(a, " ")
		size, _ := strconv.Atoi(sizeStr)
		x, err := fn.OpenHTTP(ctx, "POST", url, nil, -1)
		if err != nil {
			return nil, err
		}
		defer x.Close()
		buf := make([]byte, 64<<10)
		for sent := 0; sent < size; {
			n := min(len(buf), size-sent)
			pattern{}.Read(buf[:n])
			if _, err := x.Write(buf[:n]); err != nil {
				return nil, err
			}
			sent += n
		}
		if _, _, err := x.Send(); err != nil {
			return nil, err
		}
		return io.ReadAll(x)
	case "spin":
		for {
		}
	case "sleep":
		ms, _ := strconv.Atoi(a)
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return []byte("slept"), nil
	case "alloc":
		mib, _ := strconv.Atoi(a)
		b := make([]byte, mib<<20)
		for i := range b {
			b[i] = byte(i)
		}
		return []byte(strconv.Itoa(len(b))), nil
	case "panic":
		panic("boom")
	case "exit":
		os.Exit(3)
	case "big":
		n, _ := strconv.Atoi(a)
		return bytes.Repeat([]byte("x"), n), nil
	}
	return nil, errors.New("testguest: unknown op " + strconv.Quote(string(op)))
}

// copyObject streams "srcBucket/srcKey dstBucket/dstKey" through the guest
// in chunks and reports the number of bytes it passed on. (The test
// checks the content host-side: hashing in wasm would dominate the time.)
func copyObject(ctx fn.Context, a string) ([]byte, error) {
	src, dst, _ := strings.Cut(a, " ")
	sb, sk, _ := strings.Cut(src, "/")
	db, dk, _ := strings.Cut(dst, "/")
	r, err := fn.OpenObject(ctx, sb, sk)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info, err := r.Info()
	if err != nil {
		return nil, err
	}
	w, err := fn.CreateObject(ctx, db, dk, info.Size, &fn.PutOptions{ContentType: info.ContentType})
	if err != nil {
		return nil, err
	}
	n, err := w.ReadFrom(r)
	if err != nil {
		_ = w.Abort()
		return nil, err
	}
	out, err := w.Commit()
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, "%d %d", n, out.Size), nil
}

// pattern is an endless reader of a repeating byte pattern.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i % 251)
	}
	return len(p), nil
}
