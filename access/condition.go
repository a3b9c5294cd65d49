package access

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition keys with built-in meaning. Keys are matched ignoring case
// (the tag name after "/" is case-sensitive, as tags are).
const (
	KeySourceIP           = "acs:SourceIp"
	KeyUserAgent          = "acs:UserAgent"
	KeyReferer            = "acs:Referer"
	KeyCurrentTime        = "acs:CurrentTime"
	KeySecureTransport    = "acs:SecureTransport"
	KeyAccessID           = "acs:AccessId"
	KeyMFAPresent         = "acs:MFAPresent"
	KeySourceVPC          = "acs:SourceVpc"
	KeyPrefix             = "oss:Prefix"
	KeyDelimiter          = "oss:Delimiter"
	KeyExistingObjectTag  = "oss:ExistingObjectTag/" // + tag key
	KeyRequestObjectTag   = "oss:RequestObjectTag/"  // + tag key
	keyExistingTagLower   = "oss:existingobjecttag/"
	keyRequestTagLower    = "oss:requestobjecttag/"
	maxConditionKeyLength = 256
)

type opFamily uint8

const (
	famString opFamily = iota
	famNumeric
	famDate
	famBool
	famIP
)

type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpLike
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type operatorInfo struct {
	name   string
	fam    opFamily
	cmp    cmpKind
	negate bool
	fold   bool
}

// operatorTable lists the condition operators RAM documents. It is an
// immutable lookup table (keyed by lowercased name).
func lookupOperator(name string) (operatorInfo, bool) {
	switch strings.ToLower(name) {
	case "stringequals":
		return operatorInfo{"StringEquals", famString, cmpEq, false, false}, true
	case "stringnotequals":
		return operatorInfo{"StringNotEquals", famString, cmpEq, true, false}, true
	case "stringequalsignorecase":
		return operatorInfo{"StringEqualsIgnoreCase", famString, cmpEq, false, true}, true
	case "stringnotequalsignorecase":
		return operatorInfo{"StringNotEqualsIgnoreCase", famString, cmpEq, true, true}, true
	case "stringlike":
		return operatorInfo{"StringLike", famString, cmpLike, false, false}, true
	case "stringnotlike":
		return operatorInfo{"StringNotLike", famString, cmpLike, true, false}, true
	case "numericequals":
		return operatorInfo{"NumericEquals", famNumeric, cmpEq, false, false}, true
	case "numericnotequals":
		return operatorInfo{"NumericNotEquals", famNumeric, cmpEq, true, false}, true
	case "numericlessthan":
		return operatorInfo{"NumericLessThan", famNumeric, cmpLt, false, false}, true
	case "numericlessthanequals":
		return operatorInfo{"NumericLessThanEquals", famNumeric, cmpLe, false, false}, true
	case "numericgreaterthan":
		return operatorInfo{"NumericGreaterThan", famNumeric, cmpGt, false, false}, true
	case "numericgreaterthanequals":
		return operatorInfo{"NumericGreaterThanEquals", famNumeric, cmpGe, false, false}, true
	case "dateequals":
		return operatorInfo{"DateEquals", famDate, cmpEq, false, false}, true
	case "datenotequals":
		return operatorInfo{"DateNotEquals", famDate, cmpEq, true, false}, true
	case "datelessthan":
		return operatorInfo{"DateLessThan", famDate, cmpLt, false, false}, true
	case "datelessthanequals":
		return operatorInfo{"DateLessThanEquals", famDate, cmpLe, false, false}, true
	case "dategreaterthan":
		return operatorInfo{"DateGreaterThan", famDate, cmpGt, false, false}, true
	case "dategreaterthanequals":
		return operatorInfo{"DateGreaterThanEquals", famDate, cmpGe, false, false}, true
	case "bool":
		return operatorInfo{"Bool", famBool, cmpEq, false, false}, true
	case "ipaddress":
		return operatorInfo{"IpAddress", famIP, cmpEq, false, false}, true
	case "notipaddress":
		return operatorInfo{"NotIpAddress", famIP, cmpEq, true, false}, true
	}
	return operatorInfo{}, false
}

// Condition is one operator/key pair of a statement's Condition block with
// its values. The values of one key are ORed; a statement's conditions are
// ANDed.
type Condition struct {
	Operator string // canonical name, e.g. "StringLike"
	Key      string // as written in the policy
	Values   []string

	op       operatorInfo
	key      string // canonical lookup key
	prefixes []netip.Prefix
	times    []time.Time
	numbers  []float64
	bools    []bool
}

// canonicalKey lowercases a condition key, keeping the tag name of
// oss:ExistingObjectTag/<k> and oss:RequestObjectTag/<k> as written.
func canonicalKey(k string) string {
	lk := strings.ToLower(k)
	for _, p := range []string{keyExistingTagLower, keyRequestTagLower} {
		if strings.HasPrefix(lk, p) {
			return p + k[len(p):]
		}
	}
	return lk
}

func parseConditions(raw json.RawMessage) ([]Condition, error) {
	ops, err := decodeObject(raw)
	if err != nil {
		return nil, invalidPolicy(`Invalid Policy: "Condition" must be a JSON object.`, err)
	}
	var out []Condition
	for _, o := range ops {
		info, ok := lookupOperator(o.key)
		if !ok {
			return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: unknown condition operator %q.", o.key), nil)
		}
		keys, err := decodeObject(o.val)
		if err != nil {
			return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: condition operator %q must map keys to values.", o.key), err)
		}
		if len(keys) == 0 {
			return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: condition operator %q has no keys.", o.key), nil)
		}
		for _, k := range keys {
			c, err := newCondition(info, k.key, k.val)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
			if len(out) > MaxConditions {
				return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: more than %d conditions in a statement.", MaxConditions), nil)
			}
		}
	}
	return out, nil
}

func newCondition(info operatorInfo, key string, raw json.RawMessage) (Condition, error) {
	c := Condition{Operator: info.name, Key: key, op: info, key: canonicalKey(key)}
	if err := validConditionKey(key); err != nil {
		return c, err
	}
	vals, err := conditionValues(raw, key)
	if err != nil {
		return c, err
	}
	c.Values = vals
	ck := c.key
	bad := func(why string) (Condition, error) {
		return c, invalidPolicy(fmt.Sprintf("Invalid Policy: %s (operator %s, key %s).", why, info.name, key), nil)
	}
	switch {
	case ck == "acs:sourceip" && info.fam != famIP:
		return bad("acs:SourceIp needs IpAddress or NotIpAddress")
	case info.fam == famIP && ck != "acs:sourceip":
		return bad("IP address operators apply only to acs:SourceIp")
	case ck == "acs:currenttime" && info.fam != famDate:
		return bad("acs:CurrentTime needs a Date operator")
	case (ck == "acs:securetransport" || ck == "acs:mfapresent") && info.fam != famBool:
		return bad("this key needs the Bool operator")
	}
	for _, v := range vals {
		switch info.fam {
		case famIP:
			p, err := parseIPValue(v)
			if err != nil {
				return bad(fmt.Sprintf("invalid IP address or CIDR %q", v))
			}
			c.prefixes = append(c.prefixes, p)
		case famDate:
			t, err := parseDateValue(v)
			if err != nil {
				return bad(fmt.Sprintf("invalid date %q, want ISO 8601 such as 2024-01-02T15:04:05Z", v))
			}
			c.times = append(c.times, t)
		case famNumeric:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return bad(fmt.Sprintf("invalid number %q", v))
			}
			c.numbers = append(c.numbers, f)
		case famBool:
			lv := strings.ToLower(v)
			if lv != "true" && lv != "false" {
				return bad(fmt.Sprintf("invalid boolean %q", v))
			}
			c.bools = append(c.bools, lv == "true")
		}
	}
	return c, nil
}

func validConditionKey(k string) error {
	pfx, name, ok := strings.Cut(k, ":")
	lp := strings.ToLower(pfx)
	if !ok || (lp != "acs" && lp != "oss") || name == "" || len(k) > maxConditionKeyLength {
		return invalidPolicy(fmt.Sprintf(`Invalid Policy: invalid condition key %q, want "acs:<name>" or "oss:<name>".`, k), nil)
	}
	for _, c := range []byte(k) {
		if c <= ' ' || c == 0x7f {
			return invalidPolicy(fmt.Sprintf("Invalid Policy: invalid condition key %q.", k), nil)
		}
	}
	ck := canonicalKey(k)
	if (ck == keyExistingTagLower || ck == keyRequestTagLower) || strings.HasSuffix(ck, "/") {
		return invalidPolicy(fmt.Sprintf("Invalid Policy: condition key %q names no tag.", k), nil)
	}
	return nil
}

// conditionValues decodes a value or a list of values; strings, numbers and
// booleans are all kept as their text.
func conditionValues(raw json.RawMessage, key string) ([]string, error) {
	one := func(r json.RawMessage) (string, bool) {
		switch firstByte(r) {
		case '"':
			var s string
			if json.Unmarshal(r, &s) != nil {
				return "", false
			}
			return s, true
		case 't', 'f':
			var b bool
			if json.Unmarshal(r, &b) != nil {
				return "", false
			}
			return strconv.FormatBool(b), true
		case '[', '{', 'n', 0:
			return "", false
		default:
			var n json.Number
			if json.Unmarshal(r, &n) != nil {
				return "", false
			}
			return n.String(), true
		}
	}
	bad := invalidPolicy(fmt.Sprintf("Invalid Policy: values of condition key %q must be strings, numbers or booleans.", key), nil)
	if firstByte(raw) != '[' {
		v, ok := one(raw)
		if !ok {
			return nil, bad
		}
		return []string{v}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, bad
	}
	if len(items) == 0 {
		return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: condition key %q has no values.", key), nil)
	}
	if len(items) > MaxConditionValues {
		return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: condition key %q has more than %d values.", key, MaxConditionValues), nil)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		v, ok := one(it)
		if !ok {
			return nil, bad
		}
		out = append(out, v)
	}
	return out, nil
}

func parseIPValue(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseDateValue accepts RFC 3339 / ISO 8601 timestamps (with or without
// fractional seconds) and plain dates.
func parseDateValue(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", v)
}

// conditionContext resolves condition keys for a request. present is false
// when the request carries no value for the key.
type conditionContext interface {
	conditionValue(canonicalKey string) (value string, present bool)
}

// matches evaluates the condition against ctx. A key absent from the
// request fails every operator except the negated ones (StringNot*,
// NumericNotEquals, DateNotEquals, NotIpAddress), which it satisfies: the
// rule RAM and IAM share.
func (c *Condition) matches(ctx conditionContext) bool {
	v, present := ctx.conditionValue(c.key)
	return c.matchesValue(v, present)
}

// matchesValue is matches for the context's value v of the condition's
// key (present false when the context has none).
func (c *Condition) matchesValue(v string, present bool) bool {
	if !present {
		return c.op.negate
	}
	hit := c.anyValueMatches(v)
	if c.op.negate {
		return !hit
	}
	return hit
}

func (c *Condition) anyValueMatches(v string) bool {
	switch c.op.fam {
	case famString:
		for _, want := range c.Values {
			switch {
			case c.op.cmp == cmpLike && wildcardMatch(want, v):
				return true
			case c.op.cmp == cmpEq && c.op.fold && strings.EqualFold(want, v):
				return true
			case c.op.cmp == cmpEq && !c.op.fold && want == v:
				return true
			}
		}
	case famIP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.prefixes {
			if p.Contains(a) {
				return true
			}
		}
	case famBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false
		}
		for _, want := range c.bools {
			if b == want {
				return true
			}
		}
	case famNumeric:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for _, want := range c.numbers {
			if compare(c.op.cmp, cmp3(f, want)) {
				return true
			}
		}
	case famDate:
		t, err := parseDateValue(v)
		if err != nil {
			return false
		}
		for _, want := range c.times {
			if compare(c.op.cmp, t.Compare(want)) {
				return true
			}
		}
	}
	return false
}

func cmp3(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare applies cmp to the three-way comparison of request value and
// policy value.
func compare(k cmpKind, c int) bool {
	switch k {
	case cmpEq:
		return c == 0
	case cmpLt:
		return c < 0
	case cmpLe:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGe:
		return c >= 0
	}
	return false
}
