package access

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Limits on policy documents. OSS caps bucket policies at 16 KB; the other
// bounds keep evaluation cheap whatever a client sends.
const (
	MaxPolicyBytes        = 16 << 10
	MaxStatements         = 100
	MaxElementValues      = 100 // entries of one Action/Resource/Principal list
	MaxConditionValues    = 100 // values of one condition key
	MaxConditions         = 50  // operator/key pairs in one statement
	MaxSessionPolicyBytes = 2048
)

// PolicyVersion is the only policy language version OSS and RAM accept.
const PolicyVersion = "1"

// Effect is a statement's effect.
type Effect string

// The two effects.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// PolicyKind tells identity policies (RAM user policies and STS session
// policies, which have no Principal) from bucket policies (which must have
// one).
type PolicyKind int

const (
	// IdentityPolicy is a policy attached to a user or passed as an STS
	// session policy. A Principal element is an error.
	IdentityPolicy PolicyKind = iota
	// BucketPolicy is a policy attached to a bucket. Principal is required.
	BucketPolicy
)

// Policy is a parsed, validated policy document. It is immutable and safe
// for concurrent use.
type Policy struct {
	Version    string
	Statements []Statement
	Kind       PolicyKind
	doc        []byte
}

// Statement is one statement of a policy. Exactly one of Action and
// NotAction, and (for OSS) exactly one of Resource and NotResource, are set.
type Statement struct {
	Sid         string
	Effect      Effect
	Action      []string
	NotAction   []string
	Resource    []string
	NotResource []string
	// Principal lists the principals of a bucket policy statement: "*" or
	// account / user UIDs (or "arn:sts::<uid>:assumed-role/<issuer>/<session>"
	// patterns). An empty list in the document is stored as ["*"], as OSS
	// treats [] like "*". Nil for identity policies.
	Principal  []string
	Conditions []Condition
}

// Document returns the policy document exactly as it was given (what
// GetBucketPolicy answers).
func (p *Policy) Document() []byte { return bytes.Clone(p.doc) }

// ParsePolicy parses and validates an identity policy (a RAM user policy or
// an STS session policy).
func ParsePolicy(doc []byte) (*Policy, error) {
	return parsePolicy(doc, IdentityPolicy, "")
}

// ParseBucketPolicy parses and validates the policy of bucket: Principal is
// required in every statement, resources must be OSS resources of bucket
// (or patterns that match it).
func ParseBucketPolicy(doc []byte, bucket string) (*Policy, error) {
	return parsePolicy(doc, BucketPolicy, bucket)
}

func parsePolicy(doc []byte, kind PolicyKind, bucket string) (*Policy, error) {
	if len(doc) == 0 {
		return nil, invalidPolicy("Invalid Policy: the policy document is empty.", nil)
	}
	if len(doc) > MaxPolicyBytes {
		return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: the policy document exceeds %d bytes.", MaxPolicyBytes), nil)
	}
	if !utf8.Valid(doc) {
		return nil, invalidPolicy("Invalid Policy: the policy document is not valid UTF-8.", nil)
	}
	members, err := decodeObject(doc)
	if err != nil {
		return nil, invalidPolicy("Invalid Policy: the policy document is not a valid JSON object: "+err.Error(), err)
	}
	p := &Policy{Kind: kind, doc: bytes.Clone(doc)}
	var stmtRaw json.RawMessage
	for _, m := range members {
		switch m.key {
		case "Version":
			if err := json.Unmarshal(m.val, &p.Version); err != nil {
				return nil, invalidPolicy(`Invalid Policy: "Version" must be a string.`, err)
			}
		case "Statement":
			stmtRaw = m.val
		case "Id":
			// Accepted and ignored, as in RAM.
		default:
			return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: unknown element %q.", m.key), nil)
		}
	}
	if p.Version != PolicyVersion {
		return nil, invalidPolicy(`Invalid Policy: "Version" must be "1".`, nil)
	}
	if stmtRaw == nil {
		return nil, invalidPolicy(`Invalid Policy: "Statement" is required.`, nil)
	}
	var raws []json.RawMessage
	switch firstByte(stmtRaw) {
	case '[':
		if err := json.Unmarshal(stmtRaw, &raws); err != nil {
			return nil, invalidPolicy(`Invalid Policy: "Statement" must be a list of objects.`, err)
		}
	case '{':
		raws = []json.RawMessage{stmtRaw}
	default:
		return nil, invalidPolicy(`Invalid Policy: "Statement" must be a list of objects.`, nil)
	}
	if len(raws) == 0 {
		return nil, invalidPolicy(`Invalid Policy: "Statement" must not be empty.`, nil)
	}
	if len(raws) > MaxStatements {
		return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: more than %d statements.", MaxStatements), nil)
	}
	for i, raw := range raws {
		st, err := parseStatement(raw, kind, bucket)
		if err != nil {
			var ae *Error
			if errors.As(err, &ae) {
				ae.Message = fmt.Sprintf("%s (statement %d)", ae.Message, i+1)
			}
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage, kind PolicyKind, bucket string) (Statement, error) {
	var st Statement
	members, err := decodeObject(raw)
	if err != nil {
		return st, invalidPolicy("Invalid Policy: a statement must be a JSON object.", err)
	}
	var sawPrincipal bool
	for _, m := range members {
		switch m.key {
		case "Sid":
			if err := json.Unmarshal(m.val, &st.Sid); err != nil {
				return st, invalidPolicy(`Invalid Policy: "Sid" must be a string.`, err)
			}
		case "Effect":
			var e string
			if err := json.Unmarshal(m.val, &e); err != nil {
				return st, invalidPolicy(`Invalid Policy: "Effect" must be "Allow" or "Deny".`, err)
			}
			st.Effect = Effect(e)
		case "Action", "NotAction", "Resource", "NotResource":
			list, err := stringList(m.val, m.key, false)
			if err != nil {
				return st, err
			}
			switch m.key {
			case "Action":
				st.Action = list
			case "NotAction":
				st.NotAction = list
			case "Resource":
				st.Resource = list
			case "NotResource":
				st.NotResource = list
			}
		case "Principal":
			sawPrincipal = true
			list, err := parsePrincipal(m.val)
			if err != nil {
				return st, err
			}
			st.Principal = list
		case "Condition":
			conds, err := parseConditions(m.val)
			if err != nil {
				return st, err
			}
			st.Conditions = conds
		default:
			return st, invalidPolicy(fmt.Sprintf("Invalid Policy: unknown statement element %q.", m.key), nil)
		}
	}
	if st.Effect != Allow && st.Effect != Deny {
		return st, invalidPolicy(`Invalid Policy: "Effect" must be "Allow" or "Deny".`, nil)
	}
	if (st.Action == nil) == (st.NotAction == nil) {
		return st, invalidPolicy(`Invalid Policy: exactly one of "Action" and "NotAction" is required.`, nil)
	}
	if (st.Resource == nil) == (st.NotResource == nil) {
		return st, invalidPolicy(`Invalid Policy: exactly one of "Resource" and "NotResource" is required.`, nil)
	}
	for _, a := range append(append([]string(nil), st.Action...), st.NotAction...) {
		if !validAction(a) {
			return st, invalidPolicy(fmt.Sprintf("Invalid Policy: invalid action %q.", a), nil)
		}
	}
	for _, r := range append(append([]string(nil), st.Resource...), st.NotResource...) {
		if err := validResource(r, kind, bucket); err != nil {
			return st, err
		}
	}
	switch kind {
	case BucketPolicy:
		if !sawPrincipal {
			return st, invalidPolicy(`Invalid Policy: "Principal" is required in a bucket policy.`, nil)
		}
	default:
		if sawPrincipal {
			return st, invalidPolicy(`Invalid Policy: "Principal" is not allowed in a RAM or session policy.`, nil)
		}
	}
	return st, nil
}

// stringList decodes a string or a list of strings.
func stringList(raw json.RawMessage, name string, allowEmpty bool) ([]string, error) {
	var list []string
	switch firstByte(raw) {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: %q must be a string or a list of strings.", name), err)
		}
		list = []string{s}
	case '[':
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: %q must be a string or a list of strings.", name), err)
		}
		if list == nil {
			list = []string{}
		}
	default:
		return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: %q must be a string or a list of strings.", name), nil)
	}
	if len(list) == 0 && !allowEmpty {
		return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: %q must not be empty.", name), nil)
	}
	if len(list) > MaxElementValues {
		return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: %q has more than %d entries.", name, MaxElementValues), nil)
	}
	for _, s := range list {
		if s == "" {
			return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: %q contains an empty string.", name), nil)
		}
	}
	return list, nil
}

// parsePrincipal accepts "*", a list of strings, or [] (which OSS treats as
// "*"). OSS bucket policies name principals by UID; the {"RAM": [...]} form of
// RAM trust policies is not part of the OSS bucket policy grammar and is
// rejected.
func parsePrincipal(raw json.RawMessage) ([]string, error) {
	list, err := stringList(raw, "Principal", true)
	if err != nil {
		return nil, invalidPolicy(`Invalid Policy: "Principal" must be "*" or a list of UIDs.`, err)
	}
	if len(list) == 0 {
		return []string{"*"}, nil
	}
	for _, p := range list {
		if strings.ContainsAny(p, " \t\r\n") {
			return nil, invalidPolicy(fmt.Sprintf("Invalid Policy: invalid principal %q.", p), nil)
		}
	}
	return list, nil
}

// validAction accepts "*" and "<service>:<pattern>" where service is
// lowercase letters, digits and '-' (or "*") and the pattern letters,
// digits, '*' and '?'.
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" || len(a) > 256 {
		return false
	}
	for _, c := range []byte(svc) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '*') {
			return false
		}
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '*' || c == '?') {
			return false
		}
	}
	return true
}

// validResource accepts "*" and "acs:<service>:<region>:<account>:<relative>".
// For bucket policies the service must be oss (or a pattern matching it) and
// the bucket part of the relative resource must match bucket.
func validResource(r string, kind PolicyKind, bucket string) error {
	if len(r) > 4096 {
		return invalidPolicy("Invalid Policy: resource too long.", nil)
	}
	if r == "*" {
		return nil
	}
	parts := strings.SplitN(r, ":", 5)
	if len(parts) != 5 || parts[0] != "acs" || parts[1] == "" || parts[4] == "" {
		return invalidPolicy(fmt.Sprintf(`Invalid Policy: invalid resource %q, want "acs:oss:{region}:{uid}:{bucket}[/{key}]".`, r), nil)
	}
	if kind == BucketPolicy {
		if !wildcardMatch(parts[1], "oss") {
			return invalidPolicy(fmt.Sprintf("Invalid Policy: resource %q is not an OSS resource.", r), nil)
		}
		bp, _, _ := strings.Cut(parts[4], "/")
		if bucket != "" && !wildcardMatch(bp, bucket) {
			return invalidPolicy(fmt.Sprintf("Invalid Policy: resource %q does not belong to bucket %q.", r, bucket), nil)
		}
	}
	return nil
}

type member struct {
	key string
	val json.RawMessage
}

// decodeObject decodes one JSON object into its members in order, rejecting
// duplicate keys (which encoding/json would silently resolve to the last)
// and trailing data.
func decodeObject(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("object key is not a string")
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, err
		}
		out = append(out, member{key, val})
	}
	if _, err := dec.Token(); err != nil { // closing '}'
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	return out, nil
}

func firstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}
