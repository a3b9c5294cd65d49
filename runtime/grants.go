package runtime

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Grants are the capabilities of one function. Everything not granted is
// denied, with a message the guest can read, e.g.
// "access denied: function thumbnail may not write b/thumbs/a.jpg".
type Grants struct {
	// Read and Write are object patterns "<bucket>/<key prefix>": "b/images/"
	// grants the keys of bucket b under images/, "b" or "b/" the whole
	// bucket, "*/tmp/" every bucket's tmp/. A trailing "*" is accepted and
	// means the same as without it. Read covers get, head and list (a list
	// prefix must lie inside a granted prefix); Write covers put and delete.
	// image_process needs Read on its source and Write on its destination.
	Read  []string
	Write []string
	// HTTPHosts is the outbound HTTP allow-list. Entries:
	//   "api.example.com"       that host, any port
	//   "api.example.com:8443"  that host and port
	//   "*.example.com"         any subdomain of example.com
	//   "*"                     any host
	//   "203.0.113.7", "10.1.0.0/16", "127.0.0.1:8080"  IP literals and ranges
	// Connections to private, loopback, link-local, unspecified, multicast
	// and other non-public addresses are refused, whatever the host name
	// resolves to, unless an IP or range entry names the address
	// explicitly. Every resolved address is checked, and checked again at
	// connect time.
	HTTPHosts []string
	// MaxHTTPBody bounds each outbound request body and each response body,
	// in bytes (0 = 10 MiB).
	MaxHTTPBody int64
}

const defaultMaxHTTPBody = 10 << 20

type objectPattern struct {
	bucket string // "*" = any
	prefix string
}

func (p objectPattern) String() string {
	return p.bucket + "/" + p.prefix
}

func (p objectPattern) matchBucket(bucket string) bool {
	return p.bucket == "*" || p.bucket == bucket
}

type hostRule struct {
	host     string // lowercased host name, "*.suffix", "*" or "" for IP rules
	port     string // "" = any
	prefix   netip.Prefix
	isPrefix bool
}

// grantSet is the validated form of Grants.
type grantSet struct {
	read, write []objectPattern
	hosts       []hostRule
	explicit    []netip.Prefix // addresses named by IP entries: allowed even if non-public
	maxHTTPBody int64
}

func compileGrants(g Grants) (*grantSet, error) {
	gs := &grantSet{maxHTTPBody: g.MaxHTTPBody}
	if gs.maxHTTPBody < 0 {
		return nil, fmt.Errorf("negative MaxHTTPBody")
	}
	if gs.maxHTTPBody == 0 {
		gs.maxHTTPBody = defaultMaxHTTPBody
	}
	var err error
	if gs.read, err = compilePatterns(g.Read); err != nil {
		return nil, fmt.Errorf("read grant: %w", err)
	}
	if gs.write, err = compilePatterns(g.Write); err != nil {
		return nil, fmt.Errorf("write grant: %w", err)
	}
	for _, h := range g.HTTPHosts {
		r, err := compileHostRule(h)
		if err != nil {
			return nil, fmt.Errorf("http host %q: %w", h, err)
		}
		gs.hosts = append(gs.hosts, r)
		if r.isPrefix {
			gs.explicit = append(gs.explicit, r.prefix)
		}
	}
	return gs, nil
}

func compilePatterns(ps []string) ([]objectPattern, error) {
	out := make([]objectPattern, 0, len(ps))
	for _, p := range ps {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("empty pattern")
		}
		p = strings.TrimSuffix(p, "*")
		bucket, prefix, _ := strings.Cut(p, "/")
		if bucket == "" {
			if p == "" {
				// "*" alone: every bucket.
				bucket = "*"
			} else {
				return nil, fmt.Errorf("pattern %q has no bucket", p)
			}
		}
		if strings.Contains(bucket, "*") && bucket != "*" {
			return nil, fmt.Errorf("pattern %q: a bucket is a name or *", p)
		}
		out = append(out, objectPattern{bucket: bucket, prefix: prefix})
	}
	return out, nil
}

func compileHostRule(s string) (hostRule, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return hostRule{}, fmt.Errorf("empty entry")
	}
	if s == "*" {
		return hostRule{host: "*"}, nil
	}
	if pfx, err := netip.ParsePrefix(s); err == nil {
		return hostRule{prefix: pfx.Masked(), isPrefix: true}, nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return hostRule{prefix: netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), isPrefix: true}, nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a := ap.Addr().Unmap()
		return hostRule{prefix: netip.PrefixFrom(a, a.BitLen()), isPrefix: true, port: fmt.Sprint(ap.Port())}, nil
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return hostRule{}, fmt.Errorf("bad port %q", p)
		}
		host, port = h, p
	}
	if strings.ContainsAny(host, "/[]@ ") || strings.Contains(host[1:], "*") || (host[0] == '*' && !strings.HasPrefix(host, "*.")) {
		return hostRule{}, fmt.Errorf("not a host name, *.domain, IP or CIDR")
	}
	return hostRule{host: host, port: port}, nil
}

func (gs *grantSet) canRead(bucket, key string) bool { return matchAny(gs.read, bucket, key) }

func (gs *grantSet) canWrite(bucket, key string) bool { return matchAny(gs.write, bucket, key) }

func matchAny(ps []objectPattern, bucket, key string) bool {
	for _, p := range ps {
		if p.matchBucket(bucket) && strings.HasPrefix(key, p.prefix) {
			return true
		}
	}
	return false
}

// canList reports whether listing bucket under prefix stays inside a read
// grant.
func (gs *grantSet) canList(bucket, prefix string) bool { return gs.canRead(bucket, prefix) }

// hostAllowed reports whether the URL host (name or IP literal, port
// possibly "") is in the allow-list.
func (gs *grantSet) hostAllowed(host, port string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	addr, addrErr := netip.ParseAddr(strings.Trim(host, "[]"))
	for _, r := range gs.hosts {
		if r.port != "" && r.port != port {
			continue
		}
		switch {
		case r.isPrefix:
			if addrErr == nil && r.prefix.Contains(addr.Unmap()) {
				return true
			}
		case r.host == "*":
			return true
		case strings.HasPrefix(r.host, "*."):
			if addrErr != nil && strings.HasSuffix(host, r.host[1:]) {
				return true
			}
		default:
			if host == r.host {
				return true
			}
		}
	}
	return false
}

// addrExplicit reports whether an IP entry of the allow-list names a.
func (gs *grantSet) addrExplicit(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range gs.explicit {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func deniedObject(fn, verb, bucket, key string) string {
	return fmt.Sprintf("access denied: function %s may not %s %s/%s", fn, verb, bucket, key)
}
