package fnapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Manifest describes one function: what triggers it, what it may use and
// how it is retried. It is stored next to the module of every version.
type Manifest struct {
	// Name is the function's name: 1 to 64 of [a-z0-9_-], starting with a
	// letter or digit.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Triggers say what runs the function.
	Triggers Triggers `json:"triggers"`
	// Limits bound one invocation; zero fields take the runtime's defaults.
	Limits Limits `json:"limits"`
	// Grants are the function's capabilities. When neither Read nor Write
	// is given, the function may read and write the bucket of each of its
	// event triggers, and nothing else (see EffectiveGrants).
	Grants Grants `json:"grants"`
	// Config is the configuration the guest reads with config_get.
	Config map[string]string `json:"config,omitempty"`
	// AllowSelfTrigger lets the function's own writes trigger it again.
	// By default an event whose origin is "function:<name>" does not
	// trigger <name> (the loop guard).
	AllowSelfTrigger bool `json:"allowSelfTrigger,omitempty"`
	// Retry is the delivery policy of event triggers.
	Retry Retry `json:"retry"`
}

// Triggers are the ways a function is run. HTTP invocation by the root
// account (POST /-/functions/<name>/invoke) needs no trigger.
type Triggers struct {
	// Events are object-event triggers.
	Events []EventTrigger `json:"events,omitempty"`
	// HTTP, when set, configures HTTP invocation (Public lets anonymous
	// callers invoke).
	HTTP *HTTPTrigger `json:"http,omitempty"`
	// Subjects are NATS subjects whose messages run the function (core
	// NATS, at most once; the message data is the input).
	Subjects []string `json:"subjects,omitempty"`
}

// EventTrigger selects object events of one bucket, as an OSS (Function
// Compute) trigger does: event-name patterns plus a key prefix and suffix.
type EventTrigger struct {
	// Events are event-name patterns: "ObjectCreated:*",
	// "oss:ObjectCreated:PutObject", "*:DeleteObject", "*".
	Events []string `json:"events"`
	Bucket string   `json:"bucket"`
	Prefix string   `json:"prefix,omitempty"`
	Suffix string   `json:"suffix,omitempty"`
}

// UnmarshalJSON also accepts Function Compute's OSS trigger shape,
// {"events":[…],"filter":{"key":{"prefix":…,"suffix":…}}}.
func (t *EventTrigger) UnmarshalJSON(b []byte) error {
	type plain EventTrigger
	var v struct {
		plain
		Filter *struct {
			Key struct {
				Prefix string `json:"prefix"`
				Suffix string `json:"suffix"`
			} `json:"key"`
		} `json:"filter"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*t = EventTrigger(v.plain)
	if v.Filter != nil {
		if t.Prefix == "" {
			t.Prefix = v.Filter.Key.Prefix
		}
		if t.Suffix == "" {
			t.Suffix = v.Filter.Key.Suffix
		}
	}
	return nil
}

// String is a short description: "photos ObjectCreated:* images/*.jpg".
func (t EventTrigger) String() string {
	return fmt.Sprintf("%s %s %s*%s", t.Bucket, strings.Join(t.Events, ","), t.Prefix, t.Suffix)
}

// HTTPTrigger configures HTTP invocation.
type HTTPTrigger struct {
	// Public lets anyone invoke the function, unauthenticated. Default:
	// only the root account.
	Public bool `json:"public,omitempty"`
}

// Limits bound one invocation.
type Limits struct {
	// Memory caps the guest's linear memory ("64MiB" or bytes).
	Memory Size `json:"memory,omitempty"`
	// Timeout is the wall-clock limit of one invocation ("10s").
	Timeout Duration `json:"timeout,omitempty"`
	// Concurrency is the number of invocations that run at once.
	Concurrency int `json:"concurrency,omitempty"`
	// MaxInput and MaxOutput bound the input and output bytes.
	MaxInput  Size `json:"maxInput,omitempty"`
	MaxOutput Size `json:"maxOutput,omitempty"`
}

// Grants are a function's capabilities.
type Grants struct {
	// Read and Write are "<bucket>[/<key prefix>]" patterns.
	Read  []string `json:"read,omitempty"`
	Write []string `json:"write,omitempty"`
	// HTTPHosts is the outbound HTTP allow-list ("api.example.com",
	// "*.example.com", "host:port", IPs and CIDRs).
	HTTPHosts []string `json:"httpHosts,omitempty"`
}

// Retry is the delivery policy of event triggers: a failed invocation is
// retried after Backoff, doubled on each further failure up to MaxBackoff;
// after MaxDeliver deliveries the event goes to the dead-letter stream.
type Retry struct {
	MaxDeliver int      `json:"maxDeliver,omitempty"`
	Backoff    Duration `json:"backoff,omitempty"`
	MaxBackoff Duration `json:"maxBackoff,omitempty"`
	// AckWait is how long JetStream waits for an answer before it
	// redelivers; a run longer than half of it sends in-progress
	// acknowledgements.
	AckWait Duration `json:"ackWait,omitempty"`
}

// Defaults of Retry.
const (
	DefaultMaxDeliver = 5
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = time.Minute
	DefaultAckWait    = 30 * time.Second
)

// WithDefaults returns r with zero fields set to the defaults.
func (r Retry) WithDefaults() Retry {
	if r.MaxDeliver <= 0 {
		r.MaxDeliver = DefaultMaxDeliver
	}
	if r.Backoff <= 0 {
		r.Backoff = Duration(DefaultBackoff)
	}
	if r.MaxBackoff <= 0 {
		r.MaxBackoff = Duration(max(DefaultMaxBackoff, time.Duration(r.Backoff)))
	}
	if r.AckWait <= 0 {
		r.AckWait = Duration(DefaultAckWait)
	}
	return r
}

// Delay is the redelivery delay after the delivery-th failed delivery
// (1-based): Backoff doubled delivery-1 times, capped at MaxBackoff.
func (r Retry) Delay(delivery int) time.Duration {
	r = r.WithDefaults()
	d := time.Duration(r.Backoff)
	for i := 1; i < delivery && d < time.Duration(r.MaxBackoff); i++ {
		d *= 2
	}
	return min(d, time.Duration(r.MaxBackoff))
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ValidName reports whether name can name a function.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// ReservedBucket is the bucket that holds the function registry; no
// trigger may watch it.
const ReservedBucket = "ossflow-functions"

// Validate checks the manifest and returns the first problem found.
func (m *Manifest) Validate() error {
	if !ValidName(m.Name) {
		return fmt.Errorf("invalid function name %q: want 1 to 64 of a-z, 0-9, '_' and '-', starting with a letter or digit", m.Name)
	}
	for i, t := range m.Triggers.Events {
		if err := t.validate(); err != nil {
			return fmt.Errorf("trigger %d: %w", i+1, err)
		}
	}
	for i, a := range m.Triggers.Events {
		for _, b := range m.Triggers.Events[i+1:] {
			if Overlap(a, b) {
				return ErrOverlap
			}
		}
	}
	for _, s := range m.Triggers.Subjects {
		if !validSubject(s) {
			return fmt.Errorf("invalid NATS subject %q", s)
		}
		if strings.HasPrefix(s, "ossflow.") || s == ">" || strings.HasPrefix(s, "$") {
			return fmt.Errorf("subject %q is reserved: ossflow.*, $* and > belong to the platform", s)
		}
	}
	l := m.Limits
	if l.Memory < 0 || l.Timeout < 0 || l.Concurrency < 0 || l.MaxInput < 0 || l.MaxOutput < 0 {
		return errors.New("limits must not be negative")
	}
	if l.Memory > 4<<30 {
		return errors.New("limits: memory may not exceed 4GiB")
	}
	if l.Concurrency > 1024 {
		return errors.New("limits: concurrency may not exceed 1024")
	}
	if m.Retry.MaxDeliver < 0 || m.Retry.Backoff < 0 || m.Retry.MaxBackoff < 0 || m.Retry.AckWait < 0 {
		return errors.New("retry: values must not be negative")
	}
	if m.Retry.AckWait > 0 && time.Duration(m.Retry.AckWait) < time.Second {
		return errors.New("retry: ackWait must be at least 1s")
	}
	for _, p := range append(slices.Clone(m.Grants.Read), m.Grants.Write...) {
		if p == "" || strings.ContainsAny(p, " \t\r\n") {
			return fmt.Errorf("grants: invalid object pattern %q", p)
		}
	}
	for k := range m.Config {
		if k == "" || len(k) > 256 {
			return fmt.Errorf("config: invalid key %q", k)
		}
	}
	return nil
}

func (t EventTrigger) validate() error {
	if t.Bucket == "" {
		return errors.New("an event trigger needs a bucket")
	}
	if t.Bucket == ReservedBucket {
		return fmt.Errorf("bucket %s holds the function registry and cannot trigger functions", ReservedBucket)
	}
	if !validBucket(t.Bucket) {
		return fmt.Errorf("invalid bucket name %q", t.Bucket)
	}
	if len(t.Events) == 0 {
		return errors.New("an event trigger needs at least one event pattern, e.g. ObjectCreated:*")
	}
	for _, p := range t.Events {
		if err := validPattern(p); err != nil {
			return err
		}
	}
	if len(t.Prefix) > 1024 || len(t.Suffix) > 1024 {
		return errors.New("prefix and suffix are at most 1024 bytes")
	}
	return nil
}

func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '-' || b[len(b)-1] == '-' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validSubject(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		if t == "" || strings.ContainsAny(t, " \t\r\n") {
			return false
		}
		if strings.Contains(t, ">") && (t != ">" || i != len(toks)-1) {
			return false
		}
		if strings.Contains(t, "*") && t != "*" {
			return false
		}
	}
	return true
}

// EffectiveGrants are the grants the function runs with: the manifest's,
// or, when it grants no object access at all, read and write on the
// bucket of each event trigger.
func (m *Manifest) EffectiveGrants() Grants {
	g := Grants{Read: slices.Clone(m.Grants.Read), Write: slices.Clone(m.Grants.Write), HTTPHosts: slices.Clone(m.Grants.HTTPHosts)}
	if len(g.Read) == 0 && len(g.Write) == 0 {
		for _, t := range m.Triggers.Events {
			if !slices.Contains(g.Read, t.Bucket) {
				g.Read = append(g.Read, t.Bucket)
				g.Write = append(g.Write, t.Bucket)
			}
		}
	}
	return g
}

// Size is a byte count that reads from JSON as a number or a string such
// as "64MiB", "512K", "1G".
type Size int64

// ParseSize parses "8388608", "8MiB", "8M", "512K", "1G", "1GB".
func ParseSize(s string) (Size, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n < 0 || n > (1<<42)/mult {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return Size(n * mult), nil
}

func (s Size) String() string {
	switch {
	case s != 0 && s%(1<<30) == 0:
		return strconv.FormatInt(int64(s>>30), 10) + "GiB"
	case s != 0 && s%(1<<20) == 0:
		return strconv.FormatInt(int64(s>>20), 10) + "MiB"
	case s != 0 && s%(1<<10) == 0:
		return strconv.FormatInt(int64(s>>10), 10) + "KiB"
	}
	return strconv.FormatInt(int64(s), 10)
}

// MarshalJSON writes the size as a number of bytes.
func (s Size) MarshalJSON() ([]byte, error) { return strconv.AppendInt(nil, int64(s), 10), nil }

// UnmarshalJSON reads a number of bytes or a string like "64MiB".
func (s *Size) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		v, err := ParseSize(str)
		if err != nil {
			return err
		}
		*s = v
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("size: want bytes or a string like \"64MiB\": %w", err)
	}
	*s = Size(n)
	return nil
}

// Duration is a time.Duration that reads from JSON as a string ("10s",
// "1m30s") or a number of seconds, and writes as a string.
type Duration time.Duration

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string such as "10s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "10s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		v, err := time.ParseDuration(str)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration: want a string like \"10s\" or seconds: %w", err)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}

// ParseManifest decodes a manifest document, refusing unknown fields so
// that a misspelled limit is not silently ignored.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("manifest: %w", err)
	}
	return m, nil
}

// validPattern checks an event-name pattern as the events stream's
// subject filters read it: "Type:Action" where either half may be "*",
// with or without "oss:"; "*" alone is every event.
func validPattern(p string) error {
	p = strings.TrimPrefix(strings.TrimSpace(p), "oss:")
	if p == "" || p == "*" {
		return nil
	}
	typ, action, ok := strings.Cut(p, ":")
	if !ok || !validToken(typ) || !validToken(action) {
		return fmt.Errorf("invalid event pattern %q: want Type:Action (e.g. ObjectCreated:*), either may be *", p)
	}
	return nil
}

func validToken(t string) bool {
	if t == "*" {
		return true
	}
	if t == "" || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
