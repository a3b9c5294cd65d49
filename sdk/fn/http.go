package fn

import (
	"context"
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/ossflow/ossflow/runtime/abi"
)

// HTTPRequest is the input of an HTTP invocation: method, URL, header and
// the whole body.
type HTTPRequest = abi.HTTPRequest

// HTTPResponse is the output of an HTTP invocation.
type HTTPResponse = abi.HTTPResponse

// HTTPExchange is one outbound HTTP request through the host: write the
// body (if any), Send, then read the response body. The host allows only
// the hosts of the function's HTTP allow-list and refuses private
// addresses. Package fnhttp wraps it as an http.RoundTripper.
type HTTPExchange struct {
	h      int32
	sent   bool
	closed bool
}

// OpenHTTP starts a request. bodySize is the exact body length, 0 for no
// body, or -1 when unknown (streamed).
func OpenHTTP(ctx context.Context, method, url string, header map[string][]string, bodySize int64) (*HTTPExchange, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req, err := json.Marshal(abi.HTTPRequest{Method: method, URL: url, Header: header})
	if err != nil {
		return nil, err
	}
	h := hostHTTPOpen(bytesPtr(req), uint32(len(req)), bodySize)
	if h < 0 {
		return nil, hostError(h)
	}
	return &HTTPExchange{h: h}, nil
}

// Write sends request body bytes.
func (x *HTTPExchange) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), maxChunk)]
		n := hostHTTPWrite(x.h, bytesPtr(chunk), uint32(len(chunk)))
		if n < 0 {
			return written, hostError(n)
		}
		written += int(n)
		p = p[n:]
	}
	return written, nil
}

// Send ends the request body and waits for the response's status and
// header.
func (x *HTTPExchange) Send() (status int, header map[string][]string, err error) {
	b, err := withResult(func(buf unsafe.Pointer, n uint32) int32 { return hostHTTPSend(x.h, buf, n) })
	if err != nil {
		return 0, nil, err
	}
	x.sent = true
	var resp abi.HTTPResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		return 0, nil, fmt.Errorf("fn: decode HTTP response: %w", err)
	}
	return resp.Status, resp.Header, nil
}

// Read reads the response body (after Send).
func (x *HTTPExchange) Read(p []byte) (int, error) {
	return readHandle(hostHTTPRead, x.h, x.closed, "HTTP exchange", p)
}

// Close releases the exchange (canceling it if still under way).
func (x *HTTPExchange) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	if n := hostHTTPClose(x.h); n < 0 {
		return hostError(n)
	}
	return nil
}
