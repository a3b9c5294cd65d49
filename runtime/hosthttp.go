package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/ossflow/ossflow/runtime/abi"
)

// httpHandle is one outbound HTTP exchange: open (body being written),
// then sent (response body being read).
type httpHandle struct {
	cancel  context.CancelFunc
	pw      *io.PipeWriter // nil without a request body
	stop    func() bool
	resCh   chan httpResult
	size    int64 // declared body size, or -1
	written int64
	resp    *http.Response // after send
	read    int64
}

type httpResult struct {
	resp *http.Response
	err  error
}

func (h *httpHandle) close() {
	if h.stop != nil {
		h.stop()
	}
	if h.pw != nil {
		h.pw.CloseWithError(abortError{})
	}
	h.cancel()
	if h.resp != nil {
		_ = h.resp.Body.Close()
		return
	}
	// The request may still complete after the guest gave up on it.
	go func() {
		if r := <-h.resCh; r.resp != nil {
			_ = r.resp.Body.Close()
		}
	}()
}

// http_open(req_ptr, req_len, body_size i64) -> handle
func hcHTTPOpen(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallHTTPOpen
	inv := &in.inv
	reqJSON, ok := in.view(mem, u32(s[0]), min(u32(s[1]), 256<<10))
	if !ok {
		return int32(abi.Invalid)
	}
	size := int64(s[2])
	var wr abi.HTTPRequest
	if err := json.Unmarshal(reqJSON, &wr); err != nil {
		return inv.fail(abi.Invalid, "%s: request: %v", call, err)
	}
	if len(wr.Body) > 0 {
		return inv.fail(abi.Invalid, "%s: stream the request body with %s, not in the request document", call, abi.CallHTTPWrite)
	}
	if wr.Method == "" {
		wr.Method = http.MethodGet
	}
	u, err := url.Parse(wr.URL)
	if err != nil || !u.IsAbs() {
		return inv.fail(abi.Invalid, "%s: %q is not an absolute URL", call, wr.URL)
	}
	gs := in.fn.grants
	if err := gs.checkURLHost(in.fn.name, u.Scheme, u.Hostname(), u.Port()); err != nil {
		return in.hostErr(call, err)
	}
	if size < -1 {
		return inv.fail(abi.Invalid, "%s: body size %d: give the size, 0 for none, or -1 when unknown", call, size)
	}
	if size > gs.maxHTTPBody {
		return inv.fail(abi.TooLarge, "%s: request body of %d bytes exceeds the limit of %d", call, size, gs.maxHTTPBody)
	}
	if !inv.running {
		return inv.fail(abi.Unavailable, "%s: no HTTP outside an invocation", call)
	}
	var doer HTTPDoer = in.fn.client
	if inv.env.HTTP != nil {
		doer = inv.env.HTTP
	}
	ctx, cancel := context.WithCancel(inv.ctx)
	var body io.Reader
	h := &httpHandle{cancel: cancel, resCh: make(chan httpResult, 1), size: size}
	if size != 0 {
		pr, pw := io.Pipe()
		body, h.pw = pr, pw
		h.stop = context.AfterFunc(inv.ctx, func() { pw.CloseWithError(inv.ctx.Err()) })
	}
	req, err := http.NewRequestWithContext(ctx, wr.Method, u.String(), body)
	if err != nil {
		h.close()
		return inv.fail(abi.Invalid, "%s: %v", call, err)
	}
	for k, vs := range wr.Header {
		if strings.EqualFold(k, "Host") {
			continue // the URL names the host
		}
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.ContentLength = size
	rt := in.fn.rt
	name := in.fn.name
	go func() {
		var res httpResult
		defer func() {
			if r := recover(); r != nil {
				rt.log("error", fmt.Sprintf("function %s: HTTP client panicked: %v", name, r))
				res = httpResult{err: errors.New("internal error in the HTTP client")}
			}
			h.resCh <- res
		}()
		res.resp, res.err = doer.Do(req)
	}()
	return in.addHandle(h)
}

// http_write(h, ptr, len) -> len
func hcHTTPWrite(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallHTTPWrite
	h, ok := handleOf[*httpHandle](in, call, api.DecodeI32(s[0]))
	if !ok {
		return int32(in.inv.errCode)
	}
	if h.resp != nil || h.pw == nil {
		return in.inv.fail(abi.BadHandle, "%s: the request has no body left to write (declared size 0, or already sent)", call)
	}
	b, ok := in.view(mem, u32(s[1]), u32(s[2]))
	if !ok {
		return int32(abi.Invalid)
	}
	limit := in.fn.grants.maxHTTPBody
	if h.size >= 0 {
		limit = h.size
	}
	if h.written+int64(len(b)) > limit {
		return in.inv.fail(abi.TooLarge, "%s: request body would exceed %d bytes", call, limit)
	}
	n, err := h.pw.Write(b)
	h.written += int64(n)
	if err != nil {
		return in.httpErr(call, h, err)
	}
	return int32(n)
}

// httpErr reports a failed exchange, preferring the client's own error
// (e.g. an address refusal) to the pipe's.
func (in *instance) httpErr(call string, h *httpHandle, err error) int32 {
	select {
	case r := <-h.resCh:
		if r.resp != nil {
			_ = r.resp.Body.Close()
		}
		if r.err != nil {
			err = r.err
		}
		h.resCh <- httpResult{err: err} // keep it for close
	default:
	}
	var de *deniedError
	if errors.As(err, &de) {
		return in.inv.fail(abi.Denied, "%s: %s", call, de.msg)
	}
	if in.inv.ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return in.inv.fail(abi.Timeout, "%s: %v", call, err)
	}
	return in.inv.fail(abi.IO, "%s: %v", call, err)
}

// http_send(h, buf_ptr, buf_len) -> full length of the HTTPResponse JSON
func hcHTTPSend(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallHTTPSend
	h, ok := handleOf[*httpHandle](in, call, api.DecodeI32(s[0]))
	if !ok {
		return int32(in.inv.errCode)
	}
	if h.resp != nil {
		return in.inv.fail(abi.BadHandle, "%s: already sent", call)
	}
	if h.pw != nil {
		if h.size >= 0 && h.written != h.size {
			return in.inv.fail(abi.Invalid, "%s: wrote %d of the %d body bytes declared", call, h.written, h.size)
		}
		_ = h.pw.Close()
	}
	var r httpResult
	select {
	case r = <-h.resCh:
	case <-in.inv.ctx.Done():
		return in.inv.fail(abi.Timeout, "%s: %v", call, in.inv.ctx.Err())
	}
	if r.err != nil {
		h.resCh <- r
		return in.httpErr(call, h, r.err)
	}
	h.resp = r.resp
	meta := abi.HTTPResponse{Status: r.resp.StatusCode, Header: r.resp.Header}
	return in.putJSON(mem, call, meta, u32(s[1]), u32(s[2]))
}

// http_read(h, buf_ptr, buf_len) -> bytes read; 0 at the end
func hcHTTPRead(in *instance, mem api.Memory, s []uint64) int32 {
	const call = abi.CallHTTPRead
	h, ok := handleOf[*httpHandle](in, call, api.DecodeI32(s[0]))
	if !ok {
		return int32(in.inv.errCode)
	}
	if h.resp == nil {
		return in.inv.fail(abi.BadHandle, "%s: call %s first", call, abi.CallHTTPSend)
	}
	buf, ok := in.view(mem, u32(s[1]), u32(s[2]))
	if !ok {
		return int32(abi.Invalid)
	}
	limit := in.fn.grants.maxHTTPBody
	// Read at most one byte past the limit, to tell "exactly at" from "over".
	room := limit - h.read + 1
	if room <= 0 {
		return in.inv.fail(abi.TooLarge, "%s: response body exceeds the limit of %d bytes", call, limit)
	}
	if int64(len(buf)) > room {
		buf = buf[:room]
	}
	if len(buf) == 0 {
		return 0
	}
	for range 100 {
		n, err := h.resp.Body.Read(buf)
		h.read += int64(n)
		if h.read > limit {
			return in.inv.fail(abi.TooLarge, "%s: response body exceeds the limit of %d bytes", call, limit)
		}
		if n > 0 {
			return int32(n)
		}
		if err == io.EOF {
			return 0
		}
		if err != nil {
			return in.httpErr(call, h, err)
		}
	}
	return in.inv.fail(abi.IO, "%s: the response returned no data 100 times in a row", call)
}

// http_close(h) -> 0
func hcHTTPClose(in *instance, _ api.Memory, s []uint64) int32 {
	id := api.DecodeI32(s[0])
	h, ok := handleOf[*httpHandle](in, abi.CallHTTPClose, id)
	if !ok {
		return int32(in.inv.errCode)
	}
	h.close()
	in.dropHandle(id)
	return 0
}
