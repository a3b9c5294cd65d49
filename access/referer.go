package access

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Limits on hotlink protection configurations (ossflow's bounds; OSS does
// not document exact ones).
const (
	MaxRefererConfigBytes = 64 << 10
	MaxRefererEntries     = 500 // per list
	MaxRefererLength      = 1024
)

// RefererConfig is a bucket's hotlink protection configuration, in the XML
// form of PutBucketReferer / GetBucketReferer.
type RefererConfig struct {
	XMLName           xml.Name `xml:"RefererConfiguration"`
	AllowEmptyReferer bool     `xml:"AllowEmptyReferer"`
	// AllowTruncateQueryString drops the query string of the Referer
	// before matching; unset means false (OSS's current documentation).
	AllowTruncateQueryString *bool `xml:"AllowTruncateQueryString,omitempty"`
	// TruncatePath drops the path (and everything after it), leaving
	// scheme://host[:port]; it requires AllowTruncateQueryString.
	TruncatePath     *bool        `xml:"TruncatePath,omitempty"`
	RefererList      RefererList  `xml:"RefererList"`
	RefererBlacklist *RefererList `xml:"RefererBlacklist,omitempty"`
}

// RefererList is a whitelist or blacklist: patterns where '*' matches any
// run of characters and '?' exactly one.
type RefererList struct {
	Referers []string `xml:"Referer"`
}

// DefaultRefererConfig is what GetBucketReferer answers for a bucket that
// has no configuration: empty referers allowed and an empty whitelist
// (which allows everything).
func DefaultRefererConfig() *RefererConfig {
	t, f := true, false
	return &RefererConfig{AllowEmptyReferer: true, AllowTruncateQueryString: &t, TruncatePath: &f}
}

// rawRefererConfig detects missing required elements.
type rawRefererConfig struct {
	XMLName                  xml.Name     `xml:"RefererConfiguration"`
	AllowEmptyReferer        *string      `xml:"AllowEmptyReferer"`
	AllowTruncateQueryString *string      `xml:"AllowTruncateQueryString"`
	TruncatePath             *string      `xml:"TruncatePath"`
	RefererList              *RefererList `xml:"RefererList"`
	RefererBlacklist         *RefererList `xml:"RefererBlacklist"`
}

func malformedXML(msg string, cause error) *Error {
	return newError(CodeMalformedXML, http.StatusBadRequest, msg, cause)
}

func parseXMLBool(name, v string) (bool, error) {
	switch strings.TrimSpace(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalidArgument(fmt.Sprintf("%s must be true or false.", name), name, v)
}

// ParseRefererConfig parses and validates a PutBucketReferer body.
// AllowEmptyReferer and RefererList are required (an empty RefererList
// clears the whitelist); a malformed body is MalformedXML, an invalid value
// InvalidArgument.
func ParseRefererConfig(body []byte) (*RefererConfig, error) {
	if len(body) > MaxRefererConfigBytes {
		return nil, malformedXML(fmt.Sprintf("The referer configuration exceeds %d bytes.", MaxRefererConfigBytes), nil)
	}
	var raw rawRefererConfig
	if err := xml.NewDecoder(bytes.NewReader(body)).Decode(&raw); err != nil {
		return nil, malformedXML(oss400MalformedXML, err)
	}
	if raw.AllowEmptyReferer == nil {
		return nil, malformedXML("AllowEmptyReferer is required.", nil)
	}
	if raw.RefererList == nil {
		return nil, malformedXML("RefererList is required.", nil)
	}
	c := &RefererConfig{RefererList: *raw.RefererList, RefererBlacklist: raw.RefererBlacklist}
	var err error
	if c.AllowEmptyReferer, err = parseXMLBool("AllowEmptyReferer", *raw.AllowEmptyReferer); err != nil {
		return nil, err
	}
	if raw.AllowTruncateQueryString != nil {
		b, err := parseXMLBool("AllowTruncateQueryString", *raw.AllowTruncateQueryString)
		if err != nil {
			return nil, err
		}
		c.AllowTruncateQueryString = &b
	}
	if raw.TruncatePath != nil {
		b, err := parseXMLBool("TruncatePath", *raw.TruncatePath)
		if err != nil {
			return nil, err
		}
		c.TruncatePath = &b
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

const oss400MalformedXML = "The XML you provided was not well-formed or did not validate against our published schema."

// Validate checks the limits and that TruncatePath is only set together
// with AllowTruncateQueryString. It trims whitespace around patterns.
func (c *RefererConfig) Validate() error {
	if isTrue(c.TruncatePath) && !isTrue(c.AllowTruncateQueryString) {
		return invalidArgument("TruncatePath can be true only when AllowTruncateQueryString is true.", "TruncatePath", "true")
	}
	lists := []*RefererList{&c.RefererList}
	if c.RefererBlacklist != nil {
		lists = append(lists, c.RefererBlacklist)
	}
	for _, l := range lists {
		if len(l.Referers) > MaxRefererEntries {
			return invalidArgument(fmt.Sprintf("A referer list holds at most %d entries.", MaxRefererEntries), "Referer", "")
		}
		for i, r := range l.Referers {
			r = strings.TrimSpace(r)
			if !utf8.ValidString(r) {
				return invalidArgument("A Referer must be valid UTF-8.", "Referer", "")
			}
			if r == "" || len(r) > MaxRefererLength {
				return invalidArgument(fmt.Sprintf("A Referer must be 1 to %d characters.", MaxRefererLength), "Referer", r)
			}
			for _, ch := range []byte(r) {
				if ch < ' ' || ch == 0x7f {
					return invalidArgument("A Referer must not contain control characters.", "Referer", r)
				}
			}
			l.Referers[i] = r
		}
	}
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// Allows reports whether a request with this Referer header passes hotlink
// protection. OSS checks referers only for anonymous requests and requests
// authenticated by a signed URL (never for an Authorization header), under
// every bucket ACL; denials answer 403 AccessDenied MsgRefererDenied. The
// order is OSS's:
//
//  1. An empty (or absent) Referer is allowed when AllowEmptyReferer is set,
//     and otherwise only when the whitelist is empty.
//  2. A Referer matching the blacklist is denied.
//  3. With an empty whitelist everything else is allowed; otherwise the
//     Referer must match a whitelist entry.
//
// Matching is of the whole Referer (after the optional truncation of the
// query string, or of the path and everything after it), '*' matching any
// run of characters and '?' one, ignoring ASCII case.
func (c *RefererConfig) Allows(referer string) bool {
	referer = strings.TrimSpace(referer)
	if referer == "" {
		return c.AllowEmptyReferer || len(c.RefererList.Referers) == 0
	}
	ref := c.truncate(referer)
	if c.RefererBlacklist != nil {
		for _, p := range c.RefererBlacklist.Referers {
			if wildcardMatchFold(p, ref) {
				return false
			}
		}
	}
	if len(c.RefererList.Referers) == 0 {
		return true
	}
	for _, p := range c.RefererList.Referers {
		if wildcardMatchFold(p, ref) {
			return true
		}
	}
	return false
}

func (c *RefererConfig) truncate(ref string) string {
	if !isTrue(c.AllowTruncateQueryString) {
		return ref
	}
	if i := strings.IndexByte(ref, '?'); i >= 0 {
		ref = ref[:i]
	}
	if isTrue(c.TruncatePath) {
		start := 0
		if i := strings.Index(ref, "://"); i >= 0 {
			start = i + 3
		}
		if i := strings.IndexByte(ref[start:], '/'); i >= 0 {
			ref = ref[:start+i]
		}
	}
	return ref
}
