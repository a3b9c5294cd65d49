package runtime

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

func TestAddrClass(t *testing.T) {
	reserved := reservedRanges()
	tests := []struct{ addr, class string }{
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"::ffff:10.0.0.1", "private"},
		{"::ffff:127.0.0.1", "loopback"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"239.1.2.3", "multicast"},
		{"224.0.0.1", "link-local"},
		{"ff02::1", "link-local"},
		{"100.64.0.1", "reserved"},
		{"0.1.2.3", "reserved"},
		{"255.255.255.255", "reserved"},
		{"64:ff9b::a00:1", "reserved"},
		{"2002:a00:1::1", "reserved"},
		{"8.8.8.8", ""},
		{"93.184.216.34", ""},
		{"2606:4700:4700::1111", ""},
	}
	for _, tc := range tests {
		if got := addrClass(netip.MustParseAddr(tc.addr), reserved); got != tc.class {
			t.Errorf("addrClass(%s) = %q, want %q", tc.addr, got, tc.class)
		}
	}
}

// recordingDialer stands in for the network: it records what would be
// dialed and never connects anywhere.
type recordingDialer struct {
	mu     sync.Mutex
	dialed []string
}

func (d *recordingDialer) dial(_ context.Context, _, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, address)
	d.mu.Unlock()
	c1, c2 := net.Pipe()
	_ = c2.Close()
	return c1, nil
}

// flipResolver answers a public address first and a private one after:
// a DNS-rebinding attack.
type flipResolver struct {
	mu    sync.Mutex
	calls int
}

func (r *flipResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls == 1 {
		return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("10.0.0.1")}, nil
}

func newTestGuard(t *testing.T, hosts []string, r Resolver) (*netGuard, *recordingDialer) {
	t.Helper()
	gs, err := compileGrants(Grants{HTTPHosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	g := newNetGuard("fn", gs, r)
	d := &recordingDialer{}
	g.dial = d.dial
	return g, d
}

func isDenied(err error) bool {
	var de *deniedError
	return errors.As(err, &de)
}

// TestDNSRebindingGuard: the guard dials the very addresses it checked,
// never the name, so a second, different DNS answer is checked too and
// cannot slip a private address past it.
func TestDNSRebindingGuard(t *testing.T) {
	r := &flipResolver{}
	g, d := newTestGuard(t, []string{"*"}, r)
	c, err := g.DialContext(context.Background(), "tcp", "rebind.test:80")
	if err != nil {
		t.Fatalf("first (public) answer refused: %v", err)
	}
	_ = c.Close()
	if len(d.dialed) != 1 || d.dialed[0] != "93.184.216.34:80" {
		t.Fatalf("dialed %q, want the checked IP", d.dialed)
	}
	_, err = g.DialContext(context.Background(), "tcp", "rebind.test:80")
	if !isDenied(err) || !strings.Contains(err.Error(), "rebind.test (10.0.0.1): private address") {
		t.Fatalf("rebound answer: %v", err)
	}
	if len(d.dialed) != 1 {
		t.Fatalf("the private address was dialed: %q", d.dialed)
	}
}

func TestGuardChecksEveryResolvedAddress(t *testing.T) {
	g, d := newTestGuard(t, []string{"*"}, fakeResolver{"mixed.test": {"93.184.216.34", "8.8.8.8", "192.168.0.10"}})
	_, err := g.DialContext(context.Background(), "tcp", "mixed.test:443")
	if !isDenied(err) || !strings.Contains(err.Error(), "192.168.0.10") {
		t.Fatalf("got %v", err)
	}
	if len(d.dialed) != 0 {
		t.Fatalf("dialed %q before checking every address", d.dialed)
	}
}

// TestGuardControl: the connect-time hook refuses non-public addresses
// that no IP entry names, whatever path led to them.
func TestGuardControl(t *testing.T) {
	g, _ := newTestGuard(t, []string{"*", "10.9.0.0/16", "127.0.0.1"}, fakeResolver{})
	tests := []struct {
		address string
		denied  bool
	}{
		{"10.0.0.1:80", true},
		{"10.9.8.7:80", false}, // named by a CIDR entry
		{"127.0.0.1:8080", false},
		{"127.0.0.2:8080", true},
		{"[::1]:80", true},
		{"169.254.169.254:80", true},
		{"[::ffff:192.168.1.1]:443", true},
		{"93.184.216.34:443", false},
		{"not-an-ip:80", true},
	}
	for _, tc := range tests {
		err := g.control("tcp", tc.address, nil)
		if (err != nil) != tc.denied {
			t.Errorf("control(%s) = %v, want denied=%v", tc.address, err, tc.denied)
		}
	}

	// Through a real dialer: the hook runs before connect, so a loopback
	// listener that is not named is never reached.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	strict, _ := newTestGuard(t, []string{"*"}, fakeResolver{})
	d := &net.Dialer{Control: strict.control}
	if _, err := d.Dial("tcp", ln.Addr().String()); err == nil || !strings.Contains(err.Error(), "loopback address") {
		t.Fatalf("dial through the hook: %v", err)
	}
}

func TestHostAllowed(t *testing.T) {
	gs, err := compileGrants(Grants{HTTPHosts: []string{
		"api.example.com", "*.cdn.example.net", "upload.example.org:8443", "203.0.113.7", "10.1.0.0/16", "[2001:db8::1]",
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, port string
		ok         bool
	}{
		{"api.example.com", "443", true},
		{"API.Example.com.", "80", true},
		{"example.com", "443", false},
		{"evil-api.example.com", "443", false},
		{"img.cdn.example.net", "443", true},
		{"cdn.example.net", "443", false},
		{"upload.example.org", "8443", true},
		{"upload.example.org", "443", false},
		{"203.0.113.7", "80", true},
		{"203.0.113.8", "80", false},
		{"10.1.200.3", "80", true},
		{"2001:db8::1", "443", true},
	}
	for _, tc := range tests {
		if got := gs.hostAllowed(tc.host, tc.port); got != tc.ok {
			t.Errorf("hostAllowed(%s, %s) = %v, want %v", tc.host, tc.port, got, tc.ok)
		}
	}
}

func TestGrantPatterns(t *testing.T) {
	gs, err := compileGrants(Grants{
		Read:  []string{"b/images/", "*/public/*", "whole"},
		Write: []string{"b/thumbs/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		op, bucket, key string
		ok              bool
	}{
		{"read", "b", "images/a.jpg", true},
		{"read", "b", "imagesX", false},
		{"read", "c", "images/a.jpg", false},
		{"read", "any", "public/x", true},
		{"read", "whole", "deep/key", true},
		{"write", "b", "thumbs/a.jpg", true},
		{"write", "b", "images/a.jpg", false},
		{"list", "b", "images/2024/", true},
		{"list", "b", "", false},
		{"list", "whole", "", true},
	}
	for _, tc := range tests {
		var got bool
		switch tc.op {
		case "read":
			got = gs.canRead(tc.bucket, tc.key)
		case "write":
			got = gs.canWrite(tc.bucket, tc.key)
		case "list":
			got = gs.canList(tc.bucket, tc.key)
		}
		if got != tc.ok {
			t.Errorf("%s %s/%s = %v, want %v", tc.op, tc.bucket, tc.key, got, tc.ok)
		}
	}

	for _, bad := range []Grants{
		{Read: []string{""}},
		{Write: []string{"/key"}},
		{Read: []string{"bu*ck/x"}},
		{HTTPHosts: []string{""}},
		{HTTPHosts: []string{"http://example.com"}},
		{HTTPHosts: []string{"a.*.example.com"}},
		{MaxHTTPBody: -1},
	} {
		if _, err := compileGrants(bad); err == nil {
			t.Errorf("compileGrants(%+v) accepted", bad)
		}
	}
}
