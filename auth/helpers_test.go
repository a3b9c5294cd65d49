package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// staticCreds is a CredentialLookup over a fixed map.
type staticCreds map[string]string

func (s staticCreds) SecretFor(_ context.Context, ak string) (string, error) {
	if sk, ok := s[ak]; ok {
		return sk, nil
	}
	return "", fmt.Errorf("lookup %q: %w", ak, auth.ErrUnknownAccessKey)
}

const (
	awsAK = "AKIAIOSFODNN7EXAMPLE"
	awsSK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var testCreds = staticCreds{"ak": "sk", awsAK: awsSK, "STS.token-ak": "token-sk"}

func verifierAt(t time.Time) *auth.Verifier {
	return &auth.Verifier{Creds: testCreds, Now: func() time.Time { return t }, Region: "cn-hangzhou"}
}

// code returns the *auth.Error code of err ("" for nil, "?" for others).
func code(err error) string {
	if err == nil {
		return ""
	}
	var e *auth.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "?" + err.Error()
}

func wantCode(t *testing.T, err error, want string) *auth.Error {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error = %v (code %q), want code %q", err, got, want)
	}
	var e *auth.Error
	errors.As(err, &e)
	return e
}

func mustReq(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	var r *http.Request
	var err error
	if body == "" {
		r, err = http.NewRequest(method, url, nil)
	} else {
		r, err = http.NewRequest(method, url, strings.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tamperHeader flips one byte of header h's value.
func tamperHeader(r *http.Request, h string) {
	v := []byte(r.Header.Get(h))
	v[len(v)-1] ^= 1
	r.Header.Set(h, string(v))
}

func readAll(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var out []byte
	buf := make([]byte, 7) // small reads exercise the readers' state machines
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
	}
}

// served is what the test server saw: the verification result and error,
// and (when the body was read through Result.Body) the decoded body and
// the read error.
type served struct {
	res     auth.Result
	err     error
	body    []byte
	bodyErr error
	req     *http.Request
}

// roundTrip sends r to a real HTTP server (so the verifier sees a genuine
// server-side request: Host moved out of the header, RequestURI as sent),
// verifies it there with v for bucket/key, reads the body through
// Result.Body and returns what happened.
func roundTrip(t *testing.T, v *auth.Verifier, r *http.Request, bucket, key string) served {
	t.Helper()
	var out served
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		out.req = req
		out.res, out.err = v.Verify(req.Context(), req, bucket, key)
		if out.err == nil {
			rd, err := out.res.Body(req.Body, req.Header)
			if err != nil {
				out.bodyErr = err
			} else {
				out.body, out.bodyErr = readAll(rd)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	sendTo(t, srv, r)
	return out
}

// sendTo sends r to srv, keeping r's Host header and path.
func sendTo(t *testing.T, srv *httptest.Server, r *http.Request) {
	t.Helper()
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	r.Host = host
	r.URL.Scheme = "http"
	r.URL.Host = strings.TrimPrefix(srv.URL, "http://")
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func ioNopCloser(r io.Reader) io.ReadCloser { return io.NopCloser(r) }
