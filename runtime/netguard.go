package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// reservedRanges lists the ranges, beyond netip's own predicates, that a
// guest may not reach unless its allow-list names them.
func reservedRanges() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
		netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
		netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
		netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
		netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and broadcast
		netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 (embeds IPv4)
		netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
		netip.MustParsePrefix("2002::/16"),      // 6to4 (embeds IPv4)
		netip.MustParsePrefix("2001::/32"),      // Teredo
		netip.MustParsePrefix("100::/64"),       // discard-only
		netip.MustParsePrefix("2001:db8::/32"),  // documentation
		netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	}
}

// addrClass names why a is not public, or returns "" for a public address.
func addrClass(a netip.Addr, reserved []netip.Prefix) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return "reserved"
		}
	}
	return ""
}

// deniedError is a refusal by a function's grants; host calls report it
// with the Denied code.
type deniedError struct{ msg string }

func (e *deniedError) Error() string { return e.msg }

// netGuard dials only addresses the function may reach. It resolves host
// names itself, checks every resolved address, dials the checked
// addresses (never the name, so a second DNS answer cannot sneak in), and
// checks again in the dialer's Control hook, at connect time.
type netGuard struct {
	function string
	grants   *grantSet
	resolver Resolver
	reserved []netip.Prefix
	// dial connects to one already-checked "ip:port"; tests replace it.
	dial func(ctx context.Context, network, address string) (net.Conn, error)
}

func newNetGuard(function string, gs *grantSet, r Resolver) *netGuard {
	if r == nil {
		r = net.DefaultResolver
	}
	g := &netGuard{function: function, grants: gs, resolver: r, reserved: reservedRanges()}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	g.dial = d.DialContext
	return g
}

// check refuses an address that is not public, unless named explicitly.
func (g *netGuard) check(host string, a netip.Addr) error {
	class := addrClass(a, g.reserved)
	if class == "" || g.grants.addrExplicit(a) {
		return nil
	}
	what := a.String()
	if host != "" && host != what {
		what = host + " (" + what + ")"
	}
	return &deniedError{msg: fmt.Sprintf(
		"access denied: function %s may not connect to %s: %s address; only an IP or CIDR entry of the HTTP allow-list can permit it",
		g.function, what, class)}
}

// control runs after the socket is created and before it connects.
func (g *netGuard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &deniedError{msg: fmt.Sprintf("access denied: function %s may not connect to %q: not an IP address", g.function, address)}
	}
	return g.check("", ap.Addr())
}

// DialContext is the transport's dialer.
func (g *netGuard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("bad port %q", portStr)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = g.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("%s: no addresses", host)
		}
	}
	// Every address must pass before any is dialed: a name that resolves to
	// one public and one private address is refused outright.
	for _, a := range addrs {
		if err := g.check(host, a); err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, a := range addrs {
		c, err := g.dial(ctx, network, netip.AddrPortFrom(a.Unmap(), uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// newGuardedClient is a function's own outbound HTTP client: no proxy
// (a proxy would bypass the address checks), guarded dialing, and
// redirects only to allowed hosts.
func newGuardedClient(g *netGuard) *http.Client {
	tr := &http.Transport{
		Proxy:                  nil,
		DialContext:            g.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        60 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  0, // the invocation's deadline bounds it
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			if err := g.grants.checkURLHost(g.function, req.URL.Scheme, req.URL.Hostname(), req.URL.Port()); err != nil {
				return err
			}
			return nil
		},
	}
}

// checkURLHost applies the allow-list to a URL.
func (gs *grantSet) checkURLHost(fn, scheme, host, port string) error {
	if scheme != "http" && scheme != "https" {
		return &deniedError{msg: fmt.Sprintf("access denied: function %s may only use http and https, not %q", fn, scheme)}
	}
	if host == "" {
		return &deniedError{msg: fmt.Sprintf("access denied: function %s: URL has no host", fn)}
	}
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	if !gs.hostAllowed(host, port) {
		return &deniedError{msg: fmt.Sprintf("access denied: function %s may not call http host %s (not in its HTTP allow-list)", fn, net.JoinHostPort(host, port))}
	}
	return nil
}
