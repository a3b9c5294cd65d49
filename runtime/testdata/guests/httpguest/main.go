// Command httpguest exercises package fnhttp: an http.RoundTripper over
// the host's HTTP call, and HTTP invocations served by an http.Handler.
// net/http makes it about 6 MB (11 MB with http.Client, which links the
// default transport).
package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ossflow/ossflow/sdk/fn"
	"github.com/ossflow/ossflow/sdk/fn/fnhttp"
)

func init() {
	// Generic invocations: "<url>" is fetched with GET, "<url> <body>"
	// is POSTed; the output is "<status> <X-Test header> <body>".
	fn.Handle(func(ctx fn.Context, input []byte) ([]byte, error) {
		url, body, post := strings.Cut(string(input), " ")
		method, rd := http.MethodGet, io.Reader(nil)
		if post {
			method, rd = http.MethodPost, strings.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, url, rd)
		if err != nil {
			return nil, err
		}
		resp, err := fnhttp.Transport{}.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		return fmt.Appendf(nil, "%d %s %s", resp.StatusCode, resp.Header.Get("X-Test"), b), nil
	})
	// HTTP invocations.
	fnhttp.Handle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Guest", "httpguest")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "%s %s %s %s", r.Method, r.URL.Path, r.Header.Get("X-Name"), body)
	}))
}

func main() {}
