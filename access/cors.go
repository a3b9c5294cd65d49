package access

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CORS limits, as OSS.
const (
	MaxCORSRules       = 10
	MaxCORSConfigBytes = 16 << 10
	maxCORSEntries     = 100 // per element list of a rule (ossflow's bound)
	maxCORSValueLength = 1024
)

// CORSConfiguration is a bucket's CORS configuration, in the XML form of
// PutBucketCors / GetBucketCors.
type CORSConfiguration struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	Rules   []CORSRule `xml:"CORSRule"`
	// ResponseVary makes every response of the bucket carry "Vary: Origin",
	// whether or not the request was cross-origin or allowed.
	ResponseVary bool `xml:"ResponseVary"`
}

// CORSRule is one rule. AllowedOrigin and AllowedHeader entries may hold
// one '*' wildcard each; ExposeHeader entries none.
type CORSRule struct {
	AllowedOrigins []string `xml:"AllowedOrigin"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedHeaders []string `xml:"AllowedHeader,omitempty"`
	ExposeHeaders  []string `xml:"ExposeHeader,omitempty"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds,omitempty"`
}

// ParseCORSConfig parses and validates a PutBucketCors body: at most
// MaxCORSConfigBytes, 1 to MaxCORSRules rules. Malformed XML is MalformedXML,
// an invalid rule InvalidArgument.
func ParseCORSConfig(body []byte) (*CORSConfiguration, error) {
	if len(body) > MaxCORSConfigBytes {
		return nil, malformedXML(fmt.Sprintf("The CORS configuration exceeds %d bytes.", MaxCORSConfigBytes), nil)
	}
	var c CORSConfiguration
	if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&c); err != nil {
		return nil, malformedXML(oss400MalformedXML, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func validCORSMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPost, http.MethodHead:
		return true
	}
	return false
}

// Validate checks the rules and trims whitespace around values.
func (c *CORSConfiguration) Validate() error {
	if len(c.Rules) == 0 {
		return malformedXML("A CORS configuration needs at least one CORSRule.", nil)
	}
	if len(c.Rules) > MaxCORSRules {
		return invalidArgument(fmt.Sprintf("A bucket can have at most %d CORS rules.", MaxCORSRules), "CORSRule", strconv.Itoa(len(c.Rules)))
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		lists := []struct {
			name      string
			vals      []string
			required  bool
			maxStars  int
			checkEach func(string) bool
		}{
			{"AllowedOrigin", r.AllowedOrigins, true, 1, nil},
			{"AllowedMethod", r.AllowedMethods, true, 0, validCORSMethod},
			{"AllowedHeader", r.AllowedHeaders, false, 1, nil},
			{"ExposeHeader", r.ExposeHeaders, false, 0, nil},
		}
		for _, l := range lists {
			if l.required && len(l.vals) == 0 {
				return invalidArgument(fmt.Sprintf("Each CORSRule needs at least one %s.", l.name), l.name, "")
			}
			if len(l.vals) > maxCORSEntries {
				return invalidArgument(fmt.Sprintf("A CORSRule holds at most %d %s elements.", maxCORSEntries, l.name), l.name, "")
			}
			for j, v := range l.vals {
				v = strings.TrimSpace(v)
				l.vals[j] = v
				switch {
				case !utf8.ValidString(v):
					return invalidArgument(fmt.Sprintf("%s must be valid UTF-8.", l.name), l.name, "")
				case v == "" || len(v) > maxCORSValueLength:
					return invalidArgument(fmt.Sprintf("%s must be 1 to %d characters.", l.name, maxCORSValueLength), l.name, v)
				case strings.Count(v, "*") > l.maxStars:
					if l.maxStars == 0 {
						return invalidArgument(fmt.Sprintf("%s cannot contain the wildcard '*'.", l.name), l.name, v)
					}
					return invalidArgument(fmt.Sprintf("%s can contain at most one wildcard '*'.", l.name), l.name, v)
				case l.checkEach != nil && !l.checkEach(v):
					return invalidArgument(fmt.Sprintf("Unsupported %s %q: use GET, PUT, DELETE, POST or HEAD.", l.name, v), l.name, v)
				}
				for _, ch := range []byte(v) {
					if ch < ' ' || ch == 0x7f {
						return invalidArgument(fmt.Sprintf("%s must not contain control characters.", l.name), l.name, v)
					}
				}
			}
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			return invalidArgument("MaxAgeSeconds must not be negative.", "MaxAgeSeconds", strconv.Itoa(*r.MaxAgeSeconds))
		}
	}
	return nil
}

// splitHeaderList splits comma-separated header values (the
// Access-Control-Request-Headers syntax), dropping empty items.
func splitHeaderList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

func (r *CORSRule) matchOrigin(origin string) bool {
	for _, o := range r.AllowedOrigins {
		if wildcardMatchFold(o, origin) {
			return true
		}
	}
	return false
}

func (r *CORSRule) matchMethod(method string) bool {
	for _, m := range r.AllowedMethods {
		if m == method {
			return true
		}
	}
	return false
}

func (r *CORSRule) matchHeader(h string) bool {
	for _, a := range r.AllowedHeaders {
		if wildcardMatchFold(a, h) {
			return true
		}
	}
	return false
}

func (c *CORSConfiguration) base() http.Header {
	h := http.Header{}
	if c.ResponseVary {
		h.Set("Vary", "Origin")
	}
	return h
}

func (r *CORSRule) setCommon(h http.Header, origin string) {
	// OSS answers the request's Origin, even for a "*" rule.
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
}

// Preflight answers an OPTIONS preflight: origin (the Origin header),
// method (Access-Control-Request-Method) and reqHeaders (the values of
// Access-Control-Request-Headers, comma-separated lists allowed). The first
// rule whose origins match origin, whose methods include method and whose
// AllowedHeader patterns match every requested header (ignoring case)
// wins: ok is true and the returned headers carry
// Access-Control-Allow-Origin (the request's origin), -Allow-Methods (the
// rule's), -Allow-Headers (the requested ones), -Expose-Headers and
// -Max-Age. Otherwise ok is false and the caller answers 403
// AccessForbidden with MsgCORSNotAllowed (MsgCORSNotEnabled when the bucket
// has no configuration). The returned headers always include "Vary: Origin"
// when ResponseVary is set, even when ok is false.
func (c *CORSConfiguration) Preflight(origin, method string, reqHeaders []string) (http.Header, bool) {
	h := c.base()
	if origin == "" || method == "" {
		return h, false
	}
	want := splitHeaderList(reqHeaders)
rules:
	for i := range c.Rules {
		r := &c.Rules[i]
		if !r.matchOrigin(origin) || !r.matchMethod(method) {
			continue
		}
		for _, rh := range want {
			if !r.matchHeader(rh) {
				continue rules
			}
		}
		r.setCommon(h, origin)
		if len(want) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(want, ", "))
		}
		return h, true
	}
	return h, false
}

// Actual returns the CORS headers for an actual (non-preflight) request with
// an Origin header: those of the first rule matching origin and method, or
// none (ok false; the request itself proceeds, the browser then blocks the
// response). "Vary: Origin" is included whenever ResponseVary is set, also
// for requests without an Origin.
func (c *CORSConfiguration) Actual(origin, method string) (http.Header, bool) {
	h := c.base()
	if origin == "" {
		return h, false
	}
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.matchOrigin(origin) && r.matchMethod(method) {
			r.setCommon(h, origin)
			return h, true
		}
	}
	return h, false
}
