package imgproc

import (
	"encoding/base64"
	"strings"
)

// Parser bounds. They keep a hostile query string from turning into
// unbounded work before any image is touched.
const (
	maxProcessLen     = 8192 // bytes of the whole x-oss-process value
	maxActions        = 32   // actions in one pipeline
	maxParamsPerAct   = 32   // parameters in one action
	maxWatermarks     = 3    // watermark actions in one pipeline
	maxStyleNameLen   = 64
	maxObjectKeyBytes = 1023
	maxBucketNameLen  = 63
)

// Pipeline is a parsed x-oss-process value. Exactly one of Style and
// Actions is set. Pipelines are only meaningful when produced by Parse (or
// WithStyle): the validated operations they carry are unexported.
type Pipeline struct {
	// Style is the style name of a "style/<name>" value; the caller looks
	// the style up (NoSuchStyle is the caller's error) and calls WithStyle
	// with its content.
	Style string
	// Actions are the image actions in the order they are applied.
	Actions []Action
	// SaveAs is set by the persistent form "…|sys/saveas,o_<b64>,b_<b64>".
	SaveAs *SaveAs
}

// Action is one validated image action.
type Action struct {
	// Name is the lower-case action name, e.g. "resize".
	Name string
	// Params are the given parameters in canonical order with canonical
	// values. Bare-valued actions (rotate,90) have one Param with an empty
	// Key.
	Params []Param
	op     operation
}

// Param is one action parameter.
type Param struct {
	Key   string
	Value string
}

// SaveAs is the target of "sys/saveas". Bucket is empty when the request
// did not name one (the source bucket is meant).
type SaveAs struct {
	Object string
	Bucket string
}

// Parse parses the value of x-oss-process (the part after
// "x-oss-process="): "image/<action>[,<k>_<v>|,<v>]…[/<action>…]" or
// "style/<name>", optionally followed by "|sys/saveas,o_<b64url>[,b_<b64url>]".
// Errors are *Error with an OSS code.
func Parse(process string) (*Pipeline, error) {
	return parse(process, false)
}

// WithStyle returns the pipeline described by a style's content (for
// example "image/resize,p_50"), keeping pl's SaveAs. pl must be a style
// pipeline. A style's content may not itself name a style.
func (pl *Pipeline) WithStyle(content string) (*Pipeline, error) {
	if pl == nil || pl.Style == "" {
		return nil, invalidf("WithStyle: pipeline does not name a style")
	}
	if strings.Contains(content, "|") {
		return nil, invalidf("style %q: style content may not contain '|'", pl.Style)
	}
	np, err := parse(content, false)
	if err != nil {
		return nil, err
	}
	if np.Style != "" {
		return nil, invalidf("style %q: style content may not refer to another style", pl.Style)
	}
	np.SaveAs = pl.SaveAs
	return np, nil
}

func parse(process string, inWatermark bool) (*Pipeline, error) {
	if len(process) > maxProcessLen {
		return nil, invalidf("x-oss-process is %d bytes long, at most %d are allowed", len(process), maxProcessLen)
	}
	ops := process
	var saveAs *SaveAs
	if i := strings.IndexByte(process, '|'); i >= 0 {
		if inWatermark {
			return nil, invalidf("watermark image: sys/saveas is not allowed in a watermark's process")
		}
		var err error
		if saveAs, err = ParseSaveAs(process[i+1:]); err != nil {
			return nil, err
		}
		ops = process[:i]
	}
	category, rest, _ := strings.Cut(ops, "/")
	switch strings.ToLower(category) {
	case "image":
	case "style":
		if inWatermark {
			return nil, invalidf("watermark image: styles are not allowed in a watermark's process")
		}
		if err := checkStyleName(rest); err != nil {
			return nil, err
		}
		return &Pipeline{Style: rest, SaveAs: saveAs}, nil
	case "video", "doc", "audio":
		return nil, errf(CodeNotImplemented, "x-oss-process category %q is not supported; only image/ and style/ are", category)
	case "":
		return nil, errf(CodeMissingArgument, "x-oss-process is empty; expected image/<action>… or style/<name>")
	default:
		return nil, invalidf("x-oss-process must start with image/ or style/, got %q", category)
	}
	pl := &Pipeline{SaveAs: saveAs}
	watermarks := 0
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "" {
			continue // tolerate "image/resize,w_1/" and "//"
		}
		if len(pl.Actions) == maxActions {
			return nil, invalidf("too many actions: at most %d are allowed", maxActions)
		}
		a, err := parseAction(seg, inWatermark)
		if err != nil {
			return nil, err
		}
		if a.Name == "watermark" {
			watermarks++
			if watermarks > maxWatermarks {
				return nil, invalidf("watermark: at most %d watermark actions are allowed", maxWatermarks)
			}
		}
		pl.Actions = append(pl.Actions, a)
	}
	if len(pl.Actions) == 0 {
		return nil, errf(CodeMissingArgument, "x-oss-process names no image action after image/")
	}
	for i, a := range pl.Actions {
		if (a.Name == "info" || a.Name == "average-hue") && i != len(pl.Actions)-1 {
			return nil, invalidf("%s: must be the last action", a.Name)
		}
	}
	return pl, nil
}

// bareValued lists the actions whose single parameter is a bare value
// ("rotate,90") rather than key_value.
func bareValued(name string) bool {
	switch name {
	case "rotate", "bright", "contrast", "sharpen", "auto-orient", "interlace", "format":
		return true
	}
	return false
}

func parseAction(seg string, inWatermark bool) (Action, error) {
	tokens := strings.Split(seg, ",")
	name := strings.ToLower(tokens[0])
	if name == "" {
		return Action{}, invalidf("empty action name in %q", seg)
	}
	if len(tokens)-1 > maxParamsPerAct {
		return Action{}, invalidf("%s: too many parameters (at most %d)", name, maxParamsPerAct)
	}
	ps := &paramSet{action: name}
	bare := bareValued(name)
	for _, tok := range tokens[1:] {
		if tok == "" {
			continue
		}
		if bare {
			if ps.hasBare {
				return Action{}, invalidf("%s: takes a single value, got %q", name, seg)
			}
			ps.bare, ps.hasBare = tok, true
			continue
		}
		k, v, ok := strings.Cut(tok, "_")
		if !ok || k == "" {
			return Action{}, invalidf("%s: parameter %q is not of the form key_value", name, tok)
		}
		for _, p := range ps.raw {
			if p.Key == k {
				return Action{}, invalidf("%s: parameter %s is given more than once", name, k)
			}
		}
		ps.raw = append(ps.raw, Param{Key: k, Value: v})
	}
	op, err := buildOp(name, ps, inWatermark)
	if err != nil {
		return Action{}, err
	}
	if err := ps.finish(); err != nil {
		return Action{}, err
	}
	return Action{Name: name, Params: ps.out, op: op}, nil
}

func checkStyleName(name string) error {
	if name == "" {
		return errf(CodeMissingArgument, "style: style name is empty")
	}
	if len(name) > maxStyleNameLen {
		return invalidf("style: style name is longer than %d characters", maxStyleNameLen)
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return invalidf("style: style name %q may contain only letters, digits, '_', '-' and '.'", name)
		}
	}
	return nil
}

// ParseSaveAs parses "sys/saveas,o_<b64url(object)>[,b_<b64url(bucket)>]",
// the part after '|' in a persistent process request.
func ParseSaveAs(s string) (*SaveAs, error) {
	rest, ok := strings.CutPrefix(s, "sys/saveas")
	if !ok {
		return nil, invalidf("expected sys/saveas after '|', got %q", truncate(s, 40))
	}
	sa := &SaveAs{}
	var haveO bool
	for tok := range strings.SplitSeq(rest, ",") {
		if tok == "" {
			continue
		}
		k, v, ok := strings.Cut(tok, "_")
		if !ok {
			return nil, invalidf("sys/saveas: parameter %q is not of the form key_value", tok)
		}
		dec, err := decodeB64URL(v)
		if err != nil {
			return nil, err
		}
		switch k {
		case "o":
			if haveO {
				return nil, invalidf("sys/saveas: parameter o is given more than once")
			}
			if dec == "" || len(dec) > maxObjectKeyBytes {
				return nil, invalidf("sys/saveas: object name must be 1 to %d bytes long", maxObjectKeyBytes)
			}
			sa.Object, haveO = dec, true
		case "b":
			if sa.Bucket != "" {
				return nil, invalidf("sys/saveas: parameter b is given more than once")
			}
			if dec == "" || len(dec) > maxBucketNameLen {
				return nil, invalidf("sys/saveas: bucket name must be 1 to %d characters long", maxBucketNameLen)
			}
			sa.Bucket = dec
		default:
			return nil, invalidf("sys/saveas: unknown parameter %q (allowed: o, b)", k)
		}
	}
	if !haveO {
		return nil, errf(CodeMissingArgument, "sys/saveas: parameter o (target object, URL-safe base64) is required")
	}
	return sa, nil
}

// decodeB64URL decodes OSS's URL-safe base64 ('+'→'-', '/'→'_'), with
// '=' padding optional.
func decodeB64URL(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return "", errf(CodeBadRequest, msgNotBase64)
	}
	return string(b), nil
}

func encodeB64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// String returns the normalized form of the pipeline: lower-case action
// names, parameters in a fixed order with canonical values, base64 values
// re-encoded without padding. Equal strings mean equal processing, so it
// can serve as a cache key; Parse(pl.String()) yields the same string.
func (pl *Pipeline) String() string {
	if pl == nil {
		return ""
	}
	var b strings.Builder
	if pl.Style != "" {
		b.WriteString("style/")
		b.WriteString(pl.Style)
	} else {
		b.WriteString("image")
		for _, a := range pl.Actions {
			b.WriteByte('/')
			b.WriteString(a.Name)
			for _, p := range a.Params {
				b.WriteByte(',')
				if p.Key != "" {
					b.WriteString(p.Key)
					b.WriteByte('_')
				}
				b.WriteString(p.Value)
			}
		}
	}
	if pl.SaveAs != nil {
		b.WriteString("|sys/saveas,o_")
		b.WriteString(encodeB64URL(pl.SaveAs.Object))
		if pl.SaveAs.Bucket != "" {
			b.WriteString(",b_")
			b.WriteString(encodeB64URL(pl.SaveAs.Bucket))
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
