package fnhttp

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/ossflow/ossflow/sdk/fn"
)

// Transport sends requests through the ossflow host. The host enforces
// the function's HTTP allow-list and body limit, and refuses private,
// loopback and link-local addresses unless the allow-list names them.
type Transport struct{}

// NewClient returns an http.Client using Transport.
func NewClient() *http.Client { return &http.Client{Transport: Transport{}} }

// RoundTrip implements http.RoundTripper.
func (Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	closeBody := func() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
	size := req.ContentLength
	if req.Body == nil || req.Body == http.NoBody {
		size = 0
	} else if size == 0 {
		size = -1 // a body of unknown length
	}
	x, err := fn.OpenHTTP(req.Context(), req.Method, req.URL.String(), req.Header, size)
	if err != nil {
		closeBody()
		return nil, err
	}
	if size != 0 {
		_, err := io.Copy(x, req.Body)
		closeBody()
		if err != nil {
			_ = x.Close()
			return nil, fmt.Errorf("fnhttp: send body: %w", err)
		}
	} else {
		closeBody()
	}
	status, header, err := x.Send()
	if err != nil {
		_ = x.Close()
		return nil, err
	}
	h := http.Header(header)
	if h == nil {
		h = http.Header{}
	}
	length := int64(-1)
	if cl := h.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil {
			length = v
		}
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          x,
		ContentLength: length,
		Request:       req,
	}, nil
}

// Handle serves HTTP invocations with h. Call it from an init function.
func Handle(h http.Handler) {
	fn.HandleHTTP(func(ctx fn.Context, in *fn.HTTPRequest) (*fn.HTTPResponse, error) {
		req, err := http.NewRequestWithContext(ctx, in.Method, in.URL, bytes.NewReader(in.Body))
		if err != nil {
			return nil, fmt.Errorf("fnhttp: %w", err)
		}
		if in.Header != nil {
			req.Header = http.Header(in.Header)
			req.Host = req.Header.Get("Host")
			req.Header.Del("Host")
		}
		req.RequestURI = in.URL
		w := &responseWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status == 0 {
			w.status = http.StatusOK
		}
		return &fn.HTTPResponse{Status: w.status, Header: w.header, Body: w.body.Bytes()}, nil
	})
}

// responseWriter collects a handler's response.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}
