package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/httpapi"
	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
)

// Root credentials of the integration tests.
const (
	rootAK = "LTAI5tOssflowRootKey"
	rootSK = "ossflow-root-secret-for-tests-only"
	region = "cn-hangzhou"
)

type staticCreds map[string]string

func (c staticCreds) SecretFor(ctx context.Context, ak string) (string, error) {
	if sk, ok := c[ak]; ok {
		return sk, nil
	}
	return "", fmt.Errorf("%w: %s", auth.ErrUnknownAccessKey, ak)
}

// recordingObserver keeps every ObserveRequest call.
type recordingObserver struct {
	mu  sync.Mutex
	ops map[string]int
	n   int
}

func (o *recordingObserver) ObserveRequest(op string, status int, d time.Duration, in, out int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ops == nil {
		o.ops = map[string]int{}
	}
	o.ops[op]++
	o.n++
}

func (o *recordingObserver) count(op string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ops[op]
}

// testServer is the real store behind the Handler on a loopback port.
type testServer struct {
	*httptest.Server
	store *store.Store
	obs   *recordingObserver
	addr  string // host:port of the listener
}

// domain is the base domain of virtual-hosted addressing in the tests;
// requests to "<bucket>.oss.test" are dialled to the test listener.
const domain = "oss.test"

func newServer(t *testing.T, useTLS bool) *testServer {
	t.Helper()
	st, err := store.Open(t.Context(), t.TempDir(), store.Options{Region: region, Owner: oss.Owner{ID: rootAK, DisplayName: "root"}})
	if err != nil {
		t.Fatal(err)
	}
	obs := &recordingObserver{}
	verifier := &auth.Verifier{Creds: staticCreds{rootAK: rootSK}, Region: region}
	h := httpapi.New(httpapi.Config{Region: region, Domains: []string{domain}}, st, verifier, obs)
	srv := httptest.NewUnstartedServer(h)
	if useTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return &testServer{Server: srv, store: st, obs: obs, addr: srv.Listener.Addr().String()}
}

// httpClient is a client of the server that dials every host (including
// virtual-hosted "<bucket>.oss.test" names) to the test listener.
func (s *testServer) httpClient() *http.Client {
	c := s.Client()
	tr := c.Transport.(*http.Transport).Clone()
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, s.addr)
	}
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// errorsAs is errors.As with the target's type inferred.
func errorsAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}
