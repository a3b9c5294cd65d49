package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/runtime/abi"
)

// fakeResolver answers from a table and never touches the network.
type fakeResolver map[string][]string

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ips, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, len(ips))
	for i, s := range ips {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

func newTestServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		fmt.Fprintf(w, "hi %s", r.Header.Get("X-From"))
	})
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "%s %d", r.Method, n)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("b", 4096)))
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:"+u.Port()+"/hello", http.StatusFound)
	})
	return srv, u.Port()
}

// TestHTTPAllowList: the loopback test server is reachable only because
// the allow-list names 127.0.0.1 explicitly; everything else is refused
// with a message the guest reads.
func TestHTTPAllowList(t *testing.T) {
	srv, port := newTestServer(t)
	resolver := fakeResolver{
		"localhost":     {"127.0.0.1"},
		"internal.test": {"10.0.0.7"},
		"mixed.test":    {"93.184.216.34", "10.0.0.8"},
		"meta.test":     {"169.254.169.254"},
	}
	rt := newTestRuntime(t, Config{Resolver: resolver})
	tests := []struct {
		name   string
		grants Grants
		input  string
		want   string
		kind   Kind
		msg    string
	}{
		{name: "allowed GET", grants: Grants{HTTPHosts: []string{"127.0.0.1"}},
			input: "get:" + srv.URL + "/hello", want: "200 yes hi testguest"},
		{name: "allowed streamed POST", grants: Grants{HTTPHosts: []string{"127.0.0.1:" + port}},
			input: "post:1048576 " + srv.URL + "/count", want: "POST 1048576"},
		{name: "host not allowed", grants: Grants{HTTPHosts: []string{"api.example.com"}},
			input: "get:" + srv.URL + "/hello", kind: Denied, msg: "may not call http host 127.0.0.1:" + port},
		{name: "wrong port", grants: Grants{HTTPHosts: []string{"127.0.0.1:1"}},
			input: "get:" + srv.URL + "/hello", kind: Denied, msg: "not in its HTTP allow-list"},
		{name: "loopback by name is not explicit", grants: Grants{HTTPHosts: []string{"localhost"}},
			input: "get:http://localhost:" + port + "/hello", kind: Denied, msg: "may not connect to localhost (127.0.0.1): loopback address"},
		{name: "private address", grants: Grants{HTTPHosts: []string{"internal.test"}},
			input: "get:http://internal.test/x", kind: Denied, msg: "internal.test (10.0.0.7): private address"},
		{name: "one private address among public ones", grants: Grants{HTTPHosts: []string{"*.test"}},
			input: "get:http://mixed.test/x", kind: Denied, msg: "mixed.test (10.0.0.8): private address"},
		{name: "link-local metadata address", grants: Grants{HTTPHosts: []string{"*"}},
			input: "get:http://meta.test/latest/meta-data", kind: Denied, msg: "link-local address"},
		{name: "IP literal not named", grants: Grants{HTTPHosts: []string{"*"}},
			input: "get:http://10.1.2.3/", kind: Denied, msg: "may not connect to 10.1.2.3: private address"},
		{name: "unspecified address", grants: Grants{HTTPHosts: []string{"*"}},
			input: "get:http://0.0.0.0:" + port + "/", kind: Denied, msg: "unspecified address"},
		{name: "not http", grants: Grants{HTTPHosts: []string{"*"}},
			input: "get:ftp://127.0.0.1/", kind: Denied, msg: "may only use http and https"},
		{name: "redirect to a host not allowed", grants: Grants{HTTPHosts: []string{"127.0.0.1"}},
			input: "get:" + srv.URL + "/elsewhere", kind: Denied, msg: "may not call http host localhost:" + port},
		{name: "request body limit", grants: Grants{HTTPHosts: []string{"127.0.0.1"}, MaxHTTPBody: 1024},
			input: "post:4096 " + srv.URL + "/count", kind: GuestError, msg: "request body would exceed 1024 bytes"},
		{name: "response body limit", grants: Grants{HTTPHosts: []string{"127.0.0.1"}, MaxHTTPBody: 1024},
			input: "get:" + srv.URL + "/big", kind: GuestError, msg: "response body exceeds the limit of 1024 bytes"},
		{name: "no grant at all", grants: Grants{},
			input: "get:" + srv.URL + "/hello", kind: Denied, msg: "not in its HTTP allow-list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := load(t, rt, "caller", "testguest", Limits{}, tc.grants)
			defer f.Close(context.Background())
			got, err := invoke(t, f, tc.input, Env{})
			if tc.msg != "" {
				wantKind(t, err, tc.kind, tc.msg)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestFnHTTP exercises package fnhttp: the http.RoundTripper over the host
// call, and an HTTP invocation served by an http.Handler.
func TestFnHTTP(t *testing.T) {
	srv, _ := newTestServer(t)
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "nethttp", "httpguest", Limits{}, Grants{HTTPHosts: []string{"127.0.0.1"}})
	for _, tc := range []struct{ input, want string }{
		{srv.URL + "/hello", "200 yes hi "},
		{srv.URL + "/count some body bytes", "200  POST 15"},
	} {
		if got, err := invoke(t, f, tc.input, Env{}); err != nil || got != tc.want {
			t.Fatalf("%s: got %q, %v; want %q", tc.input, got, err, tc.want)
		}
	}

	req, _ := json.Marshal(abi.HTTPRequest{Method: "PUT", URL: "/things/1?x=y", Header: map[string][]string{"X-Name": {"ann"}}, Body: []byte("payload")})
	out, err := invoke(t, f, string(req), Env{})
	if err != nil {
		t.Fatal(err)
	}
	var resp abi.HTTPResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if resp.Status != 201 || resp.Header["X-Guest"][0] != "httpguest" || string(resp.Body) != "PUT /things/1 ann payload" {
		t.Fatalf("response %+v (body %q)", resp, resp.Body)
	}
}

// doerFunc adapts a function to HTTPDoer.
type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestEnvHTTPReplacesClient: an embedder's HTTPDoer carries the request
// (no network here), and the allow-list still applies before it is called.
func TestEnvHTTPReplacesClient(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "proxied", "testguest", Limits{}, Grants{HTTPHosts: []string{"api.example.com"}})
	var asked []string
	doer := doerFunc(func(r *http.Request) (*http.Response, error) {
		asked = append(asked, r.Method+" "+r.URL.String()+" "+r.Header.Get("X-From"))
		rec := httptest.NewRecorder()
		rec.Header().Set("X-Test", "canned")
		rec.WriteString("from the doer")
		return rec.Result(), nil
	})
	got, err := invoke(t, f, "get:https://api.example.com/v1/things", Env{HTTP: doer})
	if err != nil || got != "200 canned from the doer" {
		t.Fatalf("got %q, %v", got, err)
	}
	_, err = invoke(t, f, "get:https://other.example.com/", Env{HTTP: doer})
	wantKind(t, err, Denied, "may not call http host other.example.com:443")
	if len(asked) != 1 || asked[0] != "GET https://api.example.com/v1/things testguest" {
		t.Fatalf("the doer saw %q", asked)
	}
}

// TestHTTPInvocation: a request is encoded for the guest, served by an
// http.Handler inside it (package fnhttp), and its output written back.
func TestHTTPInvocation(t *testing.T) {
	rt := newTestRuntime(t, Config{})
	f := load(t, rt, "web", "httpguest", Limits{}, Grants{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := EncodeHTTPRequest(r, 1<<20)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		out, err := f.Invoke(r.Context(), in, Env{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if err := WriteHTTPResponse(w, out); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/greet?x=1", strings.NewReader("hello"))
	req.Header.Set("X-Name", "bob")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || resp.Header.Get("X-Guest") != "httpguest" || string(body) != "POST /greet bob hello" {
		t.Fatalf("%d %v %q", resp.StatusCode, resp.Header, body)
	}
}
