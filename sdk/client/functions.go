package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ossflow/ossflow/functions/fnapi"
)

// The functions management API of an ossflow server, under the reserved
// path /-/functions/ (signed as bucket "-"). Everything needs the root
// account's credentials, except invoking a public function.

// HeaderOrigin carries the origin of a request's writes (e.g.
// "function:thumbnail"): the server records it in the writes' events
// (header Ossflow-Origin), where the functions' loop guard reads it. The
// server honors it on authenticated requests only.
const HeaderOrigin = "X-Ossflow-Origin"

// WithOrigin makes every request of the client carry origin in
// HeaderOrigin. Remote function workers use it so that the writes of
// function f carry "function:f". Give it after WithHTTPClient.
func WithOrigin(origin string) Option {
	return func(c *Client) {
		base := c.hc
		if base == nil {
			base = &http.Client{}
		}
		hc := *base
		rt := hc.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		hc.Transport = originTransport{origin: origin, next: rt}
		c.hc = &hc
	}
}

type originTransport struct {
	origin string
	next   http.RoundTripper
}

func (t originTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Header.Set(HeaderOrigin, t.origin)
	return t.next.RoundTrip(r2)
}

// maxFunctionResponse bounds a management answer (not an invocation's).
const maxFunctionResponse = 64 << 20

// fnRequest sends a management request and decodes a JSON answer into out.
func (c *Client) fnRequest(ctx context.Context, method, path string, q url.Values, header http.Header, body io.Reader, size int64, out any) error {
	rq := &request{method: method, bucket: adminBucket, key: "functions/" + path, query: q, header: header, body: body, size: size}
	resp, err := c.do(ctx, rq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFunctionResponse))
	if err != nil {
		return fmt.Errorf("client: functions %s: %w", path, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("client: functions %s: decode answer: %w", path, err)
	}
	return nil
}

// DeployFunction deploys wasm with manifest m as a new version of
// m.Name and makes it current. The server compiles the module first and
// refuses one that cannot start, and refuses triggers that overlap
// another function's.
func (c *Client) DeployFunction(ctx context.Context, m fnapi.Manifest, wasm []byte) (fnapi.DeployResult, error) {
	doc, err := json.Marshal(m)
	if err != nil {
		return fnapi.DeployResult{}, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/wasm")
	h.Set("X-Ossflow-Manifest", base64.StdEncoding.EncodeToString(doc))
	var res fnapi.DeployResult
	err = c.fnRequest(ctx, http.MethodPut, m.Name, nil, h, bytes.NewReader(wasm), int64(len(wasm)), &res)
	return res, err
}

// ListFunctions lists the deployed functions.
func (c *Client) ListFunctions(ctx context.Context) ([]fnapi.FunctionInfo, error) {
	var res struct {
		Functions []fnapi.FunctionInfo `json:"functions"`
	}
	err := c.fnRequest(ctx, http.MethodGet, "", nil, nil, nil, 0, &res)
	return res.Functions, err
}

// GetFunction describes function name's current version.
func (c *Client) GetFunction(ctx context.Context, name string) (fnapi.FunctionInfo, error) {
	var fi fnapi.FunctionInfo
	err := c.fnRequest(ctx, http.MethodGet, name, nil, nil, nil, 0, &fi)
	return fi, err
}

// DeleteFunction deletes function name and all its versions.
func (c *Client) DeleteFunction(ctx context.Context, name string) error {
	return c.fnRequest(ctx, http.MethodDelete, name, nil, nil, nil, 0, nil)
}

// FunctionVersions lists the versions of function name, oldest first.
func (c *Client) FunctionVersions(ctx context.Context, name string) ([]fnapi.VersionInfo, error) {
	var res struct {
		Versions []fnapi.VersionInfo `json:"versions"`
	}
	err := c.fnRequest(ctx, http.MethodGet, name+"/versions", nil, nil, nil, 0, &res)
	return res.Versions, err
}

// RollbackFunction makes version to of function name current again; to
// 0 means the version before the current one.
func (c *Client) RollbackFunction(ctx context.Context, name string, to int) (fnapi.DeployResult, error) {
	q := url.Values{}
	if to > 0 {
		q.Set("to", strconv.Itoa(to))
	}
	var res fnapi.DeployResult
	err := c.fnRequest(ctx, http.MethodPost, name+"/rollback", q, nil, nil, 0, &res)
	return res, err
}

// InvokeResult is the answer of a synchronous invocation.
type InvokeResult struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// Version is the function version that ran.
	Version int
}

// InvokeFunction runs function name synchronously on an HTTP request
// with body (POST to /-/functions/<name>/invoke) and returns the
// function's answer, whatever its status. A failed invocation (timeout,
// trap, ...) is an *Error whose Code is "FunctionFailed"; the runtime's
// error kind is in its Message and in the X-Ossflow-Error-Kind header.
func (c *Client) InvokeFunction(ctx context.Context, name string, body []byte, header http.Header) (*InvokeResult, error) {
	rq := &request{method: http.MethodPost, bucket: adminBucket, key: "functions/" + name + "/invoke", header: http.Header{}, size: int64(len(body))}
	for k, v := range header {
		rq.header[k] = v
	}
	if len(body) > 0 {
		rq.body = bytes.NewReader(body)
	}
	req, err := c.newRequest(ctx, rq)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("client: invoke %s: %w", name, err)
	}
	if resp.Header.Get("X-Ossflow-Function-Version") == "" && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		e := parseError(resp)
		if kind := resp.Header.Get("X-Ossflow-Error-Kind"); kind != "" {
			e.EC = kind
		}
		return nil, e
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: invoke %s: %w", name, err)
	}
	v, _ := strconv.Atoi(resp.Header.Get("X-Ossflow-Function-Version"))
	return &InvokeResult{StatusCode: resp.StatusCode, Header: resp.Header, Body: data, Version: v}, nil
}

// FunctionLogs streams the log and invocation records of function name
// as JSON lines (fnapi.Record), from since ("" for every retained record,
// a duration like "10m", or an RFC 3339 time); with follow the stream
// stays open for new records until ctx ends or the body is closed.
func (c *Client) FunctionLogs(ctx context.Context, name, since string, follow bool) (io.ReadCloser, error) {
	q := url.Values{}
	if since != "" {
		q.Set("since", since)
	}
	if follow {
		q.Set("follow", "1")
	}
	resp, err := c.do(ctx, &request{method: http.MethodGet, bucket: adminBucket, key: "functions/" + name + "/logs", query: q})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// FunctionDeadLetters lists the dead letters of function name.
func (c *Client) FunctionDeadLetters(ctx context.Context, name string) ([]fnapi.DLQEntry, error) {
	var res struct {
		DeadLetters []fnapi.DLQEntry `json:"deadLetters"`
	}
	err := c.fnRequest(ctx, http.MethodGet, name+"/dlq", nil, nil, nil, 0, &res)
	return res.DeadLetters, err
}

// ReplayDeadLetters runs the current version of function name again on
// the dead letter of eventID, or on all of them when eventID is "". Those
// that succeed leave the dead-letter stream.
func (c *Client) ReplayDeadLetters(ctx context.Context, name, eventID string) (fnapi.ReplayResult, error) {
	q := url.Values{}
	if eventID != "" {
		q.Set("id", eventID)
	} else {
		q.Set("all", "1")
	}
	var res fnapi.ReplayResult
	err := c.fnRequest(ctx, http.MethodPost, name+"/dlq/replay", q, nil, nil, 0, &res)
	return res, err
}

// EventTrail returns the records of one event across functions: which
// triggers it fired, each invocation's result, loop-guard skips and dead
// letters.
func (c *Client) EventTrail(ctx context.Context, eventID string) ([]fnapi.Record, error) {
	var res struct {
		Records []fnapi.Record `json:"records"`
	}
	err := c.fnRequest(ctx, http.MethodGet, "-/trail/"+eventID, nil, nil, nil, 0, &res)
	return res.Records, err
}
