// Command fnguest is the guest of the functions platform's tests: what it
// does with an event depends on the first segment of the object key.
//
//	spin/…    loops forever (timeout)
//	alloc/…   allocates until the memory cap stops it
//	trap/…    exits (a trap)
//	denied/…  writes into a bucket it has no grant for
//	flaky/…   fails until it has run config "failuntil" (default 3) times for
//	          the key (counted in state/<key>.count), then succeeds
//	fail/…    fails unless config "fixed" is "1"
//	loop/…    writes loop/<key>.again: into its own trigger prefix
//	slow/<ms> sleeps that long, then writes out/<key>
//	copy/…    copies the object to out/<key>
//	anything else: does nothing
//
// HTTP invocations answer 200 "hello <body>" with header X-Fn: fnguest.
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ossflow/ossflow/sdk/fn"
)

func init() {
	fn.HandleEvent(event)
	fn.HandleHTTP(httpHandler)
	fn.Handle(func(ctx fn.Context, input []byte) ([]byte, error) { return input, nil })
}

func main() {}

var sink [][]byte

func event(ctx fn.Context, ev fn.EventRecord) error {
	b, key := ev.Bucket(), ev.Key()
	mode, rest, _ := strings.Cut(key, "/")
	ctx.Infof("%s %s/%s", ev.EventName, b, key)
	switch mode {
	case "spin":
		for {
		}
	case "alloc":
		for {
			sink = append(sink, make([]byte, 256<<20))
		}
	case "trap":
		os.Exit(3)
	case "denied":
		_, err := fn.PutObject(ctx, "forbidden-bucket", key, strings.NewReader("x"), 1, nil)
		return err
	case "flaky":
		n := 0
		if r, err := fn.OpenObject(ctx, b, "state/"+key+".count"); err == nil {
			data, _ := io.ReadAll(r)
			r.Close()
			n, _ = strconv.Atoi(string(data))
		}
		n++
		s := strconv.Itoa(n)
		if _, err := fn.PutObject(ctx, b, "state/"+key+".count", strings.NewReader(s), int64(len(s)), nil); err != nil {
			return err
		}
		until := 3
		if v, ok := ctx.Config("failuntil"); ok {
			until, _ = strconv.Atoi(v)
		}
		if n < until {
			return fmt.Errorf("flaky: attempt %d of %d fails", n, until)
		}
		return copyTo(ctx, b, key, "out/"+key)
	case "fail":
		if v, _ := ctx.Config("fixed"); v != "1" {
			return errors.New("fail: this version is broken")
		}
		return copyTo(ctx, b, key, "out/"+key)
	case "loop":
		return copyTo(ctx, b, key, key+".again")
	case "slow":
		ms, _ := strconv.Atoi(strings.TrimSuffix(rest, ".txt"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return copyTo(ctx, b, key, "out/"+key)
	case "copy":
		return copyTo(ctx, b, key, "out/"+key)
	}
	return nil
}

func copyTo(ctx fn.Context, bucket, src, dst string) error {
	r, err := fn.OpenObject(ctx, bucket, src)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return err
	}
	_, err = fn.PutObject(ctx, bucket, dst, bytes.NewReader(data), int64(len(data)), nil)
	return err
}

func httpHandler(ctx fn.Context, req *fn.HTTPRequest) (*fn.HTTPResponse, error) {
	ctx.Infof("http %s %s", req.Method, req.URL)
	return &fn.HTTPResponse{
		Status: 200,
		Header: map[string][]string{"X-Fn": {"fnguest"}, "Content-Type": {"text/plain"}},
		Body:   append([]byte("hello "), req.Body...),
	}, nil
}
