package runtime

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ossflow/ossflow/runtime/abi"
)

// EncodeHTTPRequest turns r into the input of an HTTP invocation (an
// abi.HTTPRequest document: method, request URI, header and body). A body
// longer than maxBody is refused with an *Error of Kind InputTooLarge.
func EncodeHTTPRequest(r *http.Request, maxBody int64) ([]byte, error) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		if int64(len(b)) > maxBody {
			return nil, newError(InputTooLarge, "", nil, "request body exceeds %d bytes", maxBody)
		}
		body = b
	}
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	header := map[string][]string(r.Header.Clone())
	if r.Host != "" {
		if header == nil {
			header = map[string][]string{}
		}
		header["Host"] = []string{r.Host}
	}
	return json.Marshal(abi.HTTPRequest{Method: r.Method, URL: uri, Header: header, Body: body})
}

// WriteHTTPResponse writes the output of an HTTP invocation (an
// abi.HTTPResponse document) to w. A document that does not decode is an
// error and nothing is written.
func WriteHTTPResponse(w http.ResponseWriter, output []byte) error {
	var resp abi.HTTPResponse
	if err := json.Unmarshal(output, &resp); err != nil {
		return fmt.Errorf("function output is not an HTTP response document: %w", err)
	}
	if resp.Status < 100 || resp.Status > 999 {
		return fmt.Errorf("function output has HTTP status %d", resp.Status)
	}
	h := w.Header()
	for k, vs := range resp.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	w.WriteHeader(resp.Status)
	_, err := w.Write(resp.Body)
	return err
}
