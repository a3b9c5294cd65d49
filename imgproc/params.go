package imgproc

import (
	"image/color"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parameter ranges from the OSS image-processing documentation.
const (
	maxResizeSide  = 16384 // w, h, l, s of resize
	maxResizePct   = 1000  // p of resize
	maxCoord       = 30000 // crop/indexcrop sizes and offsets (a source side is at most 30000)
	maxRadius      = 4096  // circle, rounded-corners
	maxWMOffset    = 4096  // watermark x, y
	maxWMTextRunes = 64    // watermark text length
)

// paramSet collects an action's raw parameters and, as the action's
// builder asks for them in canonical order, their canonical form.
type paramSet struct {
	action  string
	raw     []Param
	used    []bool
	asked   []string
	bare    string
	hasBare bool
	out     []Param
}

func (ps *paramSet) lookup(key string) (string, bool) {
	ps.asked = append(ps.asked, key)
	if ps.used == nil {
		ps.used = make([]bool, len(ps.raw))
	}
	for i, p := range ps.raw {
		if p.Key == key {
			ps.used[i] = true
			return p.Value, true
		}
	}
	return "", false
}

// finish reports a parameter the action does not know.
func (ps *paramSet) finish() error {
	for i, p := range ps.raw {
		if ps.used == nil || !ps.used[i] {
			if len(ps.asked) == 0 {
				return invalidf("%s: takes no parameters, got %q", ps.action, p.Key)
			}
			return invalidf("%s: unknown parameter %q (allowed: %s)", ps.action, p.Key, strings.Join(ps.asked, ", "))
		}
	}
	if ps.hasBare && !bareValued(ps.action) {
		return invalidf("%s: unexpected value %q", ps.action, ps.bare)
	}
	return nil
}

// parseIntStrict accepts an optional '-' (when neg) and 1 to 6 digits.
func parseIntStrict(s string, neg bool) (int, bool) {
	digits := s
	if neg && strings.HasPrefix(s, "-") {
		digits = s[1:]
	}
	if digits == "" || len(digits) > 6 {
		return 0, false
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}

func (ps *paramSet) rangeErr(key, raw string, lo, hi int) error {
	name := "parameter " + key
	if key == "" {
		name = "value"
	}
	return invalidf("%s: %s must be an integer in [%d, %d], got %q", ps.action, name, lo, hi, truncate(raw, 20))
}

// int returns the integer parameter key, checked against [lo, hi].
func (ps *paramSet) int(key string, lo, hi int) (int, bool, error) {
	raw, ok := ps.lookup(key)
	if !ok {
		return 0, false, nil
	}
	v, good := parseIntStrict(raw, lo < 0)
	if !good || v < lo || v > hi {
		return 0, false, ps.rangeErr(key, raw, lo, hi)
	}
	ps.out = append(ps.out, Param{key, strconv.Itoa(v)})
	return v, true, nil
}

func (ps *paramSet) requiredInt(key string, lo, hi int) (int, error) {
	v, ok, err := ps.int(key, lo, hi)
	if err == nil && !ok {
		err = errf(CodeMissingArgument, "%s: parameter %s is required (an integer in [%d, %d])", ps.action, key, lo, hi)
	}
	return v, err
}

// bareInt returns the bare value of a bare-valued action.
func (ps *paramSet) bareInt(lo, hi int) (int, error) {
	if !ps.hasBare {
		return 0, errf(CodeMissingArgument, "%s: a value in [%d, %d] is required, e.g. %s,%d", ps.action, lo, hi, ps.action, hi)
	}
	v, good := parseIntStrict(ps.bare, lo < 0)
	if !good || v < lo || v > hi {
		return 0, ps.rangeErr("", ps.bare, lo, hi)
	}
	ps.out = append(ps.out, Param{"", strconv.Itoa(v)})
	return v, nil
}

// enum returns the parameter key, which must be one of allowed.
func (ps *paramSet) enum(key string, allowed ...string) (string, bool, error) {
	raw, ok := ps.lookup(key)
	if !ok {
		return "", false, nil
	}
	v := strings.ToLower(raw)
	for _, a := range allowed {
		if v == a {
			ps.out = append(ps.out, Param{key, v})
			return v, true, nil
		}
	}
	return "", false, invalidf("%s: parameter %s must be one of %s, got %q", ps.action, key, strings.Join(allowed, ", "), truncate(raw, 20))
}

// color returns an RRGGBB parameter.
func (ps *paramSet) color(key string) (color.NRGBA, bool, error) {
	raw, ok := ps.lookup(key)
	if !ok {
		return color.NRGBA{}, false, nil
	}
	c, good := parseHexColor(raw)
	if !good {
		return c, false, invalidf("%s: parameter %s must be a hexadecimal RRGGBB colour such as FF0000, got %q", ps.action, key, truncate(raw, 20))
	}
	ps.out = append(ps.out, Param{key, strings.ToUpper(raw)})
	return c, true, nil
}

func parseHexColor(s string) (color.NRGBA, bool) {
	if len(s) != 6 {
		return color.NRGBA{}, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return color.NRGBA{}, false
	}
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}, true
}

// b64 returns the decoded URL-safe base64 parameter key.
func (ps *paramSet) b64(key string) (string, bool, error) {
	raw, ok := ps.lookup(key)
	if !ok {
		return "", false, nil
	}
	v, err := decodeB64URL(raw)
	if err != nil {
		return "", false, err
	}
	ps.out = append(ps.out, Param{key, encodeB64URL(v)})
	return v, true, nil
}

// buildOp validates the parameters of action name and returns its
// operation. inWatermark allows the watermark-only resize parameter P and
// forbids actions that make no sense inside a watermark image's process.
func buildOp(name string, ps *paramSet, inWatermark bool) (operation, error) {
	if inWatermark {
		switch name {
		case "watermark", "info", "average-hue", "format", "quality", "interlace":
			return nil, invalidf("watermark image: action %s is not allowed in a watermark's process", name)
		}
	}
	switch name {
	case "resize":
		return buildResize(ps, inWatermark)
	case "crop":
		return buildCrop(ps)
	case "indexcrop":
		return buildIndexCrop(ps)
	case "circle":
		r, err := ps.requiredInt("r", 1, maxRadius)
		return &circleOp{r: r}, err
	case "rounded-corners":
		r, err := ps.requiredInt("r", 1, maxRadius)
		return &roundedOp{r: r}, err
	case "rotate":
		v, err := ps.bareInt(0, 360)
		return &rotateOp{deg: v}, err
	case "auto-orient":
		v, err := ps.bareInt(0, 1)
		return &autoOrientOp{on: v == 1}, err
	case "blur":
		r, err := ps.requiredInt("r", 1, 50)
		if err != nil {
			return nil, err
		}
		s, err := ps.requiredInt("s", 1, 50)
		return &blurOp{r: r, s: s}, err
	case "bright":
		v, err := ps.bareInt(-100, 100)
		return &brightOp{v: v}, err
	case "contrast":
		v, err := ps.bareInt(-100, 100)
		return &contrastOp{v: v}, err
	case "sharpen":
		v, err := ps.bareInt(50, 399)
		return &sharpenOp{v: v}, err
	case "format":
		return buildFormat(ps)
	case "quality":
		return buildQuality(ps)
	case "interlace":
		v, err := ps.bareInt(0, 1)
		return &interlaceOp{on: v == 1}, err
	case "watermark":
		return buildWatermark(ps)
	case "info":
		return &infoOp{}, nil
	case "average-hue":
		return &averageHueOp{}, nil
	}
	return nil, invalidf("unknown image action %q (supported: resize, crop, indexcrop, circle, rounded-corners, rotate, auto-orient, blur, bright, contrast, sharpen, format, quality, interlace, watermark, info, average-hue)", truncate(name, 32))
}

func buildResize(ps *paramSet, inWatermark bool) (operation, error) {
	op := &resizeOp{mode: "lfit", limit: true, color: color.NRGBA{255, 255, 255, 255}}
	var err error
	var has [6]bool
	if m, ok, e := ps.enum("m", "lfit", "mfit", "fill", "pad", "fixed"); e != nil {
		return nil, e
	} else if ok {
		op.mode = m
	}
	if op.w, has[0], err = ps.int("w", 1, maxResizeSide); err != nil {
		return nil, err
	}
	if op.h, has[1], err = ps.int("h", 1, maxResizeSide); err != nil {
		return nil, err
	}
	if op.l, has[2], err = ps.int("l", 1, maxResizeSide); err != nil {
		return nil, err
	}
	if op.s, has[3], err = ps.int("s", 1, maxResizeSide); err != nil {
		return nil, err
	}
	if op.p, has[4], err = ps.int("p", 1, maxResizePct); err != nil {
		return nil, err
	}
	if inWatermark {
		if op.pMain, has[5], err = ps.int("P", 1, 100); err != nil {
			return nil, err
		}
	} else if _, ok := ps.lookup("P"); ok {
		return nil, invalidf("resize: parameter P (percent of the main image) is only valid in a watermark image's process; use p")
	}
	if lim, ok, e := ps.enum("limit", "0", "1"); e != nil {
		return nil, e
	} else if ok {
		op.limit = lim == "1"
	}
	if c, ok, e := ps.color("color"); e != nil {
		return nil, e
	} else if ok {
		op.color = c
	}
	byWH, byLS := has[0] || has[1], has[2] || has[3]
	switch {
	case !byWH && !byLS && !has[4] && !has[5]:
		return nil, errf(CodeMissingArgument, "resize: one of w, h, l, s or p is required")
	case (byWH || byLS) && (has[4] || has[5]):
		return nil, invalidf("resize: p/P cannot be combined with w, h, l or s")
	case has[4] && has[5]:
		return nil, invalidf("resize: p and P cannot be combined")
	case byWH && byLS:
		return nil, invalidf("resize: w/h cannot be combined with l/s")
	}
	return op, nil
}

func buildCrop(ps *paramSet) (operation, error) {
	op := &cropOp{g: "nw"}
	var err error
	if op.w, _, err = ps.int("w", 0, maxCoord); err != nil {
		return nil, err
	}
	if op.h, _, err = ps.int("h", 0, maxCoord); err != nil {
		return nil, err
	}
	if op.x, _, err = ps.int("x", 0, maxCoord); err != nil {
		return nil, err
	}
	if op.y, _, err = ps.int("y", 0, maxCoord); err != nil {
		return nil, err
	}
	if g, ok, e := ps.enum("g", gravities...); e != nil {
		return nil, e
	} else if ok {
		op.g = g
	}
	return op, nil
}

// gravities are the nine positions of crop and watermark.
var gravities = []string{"nw", "north", "ne", "west", "center", "east", "sw", "south", "se"}

func buildIndexCrop(ps *paramSet) (operation, error) {
	op := &indexCropOp{}
	x, hasX, err := ps.int("x", 1, maxCoord)
	if err != nil {
		return nil, err
	}
	y, hasY, err := ps.int("y", 1, maxCoord)
	if err != nil {
		return nil, err
	}
	switch {
	case hasX && hasY:
		return nil, invalidf("indexcrop: give either x or y, not both")
	case hasX:
		op.vertical, op.size = false, x
	case hasY:
		op.vertical, op.size = true, y
	default:
		return nil, errf(CodeMissingArgument, "indexcrop: parameter x or y (slice size in [1, %d]) is required", maxCoord)
	}
	if op.index, _, err = ps.int("i", 0, maxCoord); err != nil {
		return nil, err
	}
	return op, nil
}

func buildFormat(ps *paramSet) (operation, error) {
	if !ps.hasBare {
		return nil, errf(CodeMissingArgument, "format: a target format is required (jpg, png, gif, bmp, tiff)")
	}
	v := strings.ToLower(ps.bare)
	switch v {
	case "jpeg":
		v = "jpg"
	case "tif":
		v = "tiff"
	}
	switch v {
	case "jpg", "png", "gif", "bmp", "tiff":
	case "webp":
		return nil, errf(CodeNotImplemented, "format: webp output is not supported by this server (no sound pure-Go WebP encoder); use jpg, png, gif, bmp or tiff")
	case "heif", "heic", "avif":
		return nil, errf(CodeNotImplemented, "format: %s output is not supported by this server; use jpg, png, gif, bmp or tiff", v)
	default:
		return nil, invalidf("format: unknown format %q (allowed: jpg, png, gif, bmp, tiff)", truncate(ps.bare, 20))
	}
	ps.out = append(ps.out, Param{"", v})
	return &formatOp{format: v}, nil
}

func buildQuality(ps *paramSet) (operation, error) {
	op := &qualityOp{}
	var err error
	var hq, hQ bool
	if op.rel, hq, err = ps.int("q", 1, 100); err != nil {
		return nil, err
	}
	if op.abs, hQ, err = ps.int("Q", 1, 100); err != nil {
		return nil, err
	}
	if !hq && !hQ {
		return nil, errf(CodeMissingArgument, "quality: parameter q (relative) or Q (absolute), in [1, 100], is required")
	}
	return op, nil
}

func buildWatermark(ps *paramSet) (operation, error) {
	op := &watermarkOp{t: 100, g: "se", x: 10, y: 10, size: 40, color: color.NRGBA{0, 0, 0, 255}}
	var err error
	var hasText, hasImage bool
	if op.text, hasText, err = ps.b64("text"); err != nil {
		return nil, err
	}
	if hasText {
		if op.text == "" || !utf8.ValidString(op.text) {
			return nil, invalidf("watermark: parameter text must be non-empty UTF-8 text")
		}
		if n := utf8.RuneCountInString(op.text); n > maxWMTextRunes {
			return nil, invalidf("watermark: text is %d characters long, at most %d are allowed", n, maxWMTextRunes)
		}
	}
	fontName, hasFont, err := ps.b64("type")
	if err != nil {
		return nil, err
	}
	if hasFont {
		if op.font, err = mapFont(fontName); err != nil {
			return nil, err
		}
	}
	if c, ok, e := ps.color("color"); e != nil {
		return nil, e
	} else if ok {
		op.color = c
	}
	if v, ok, e := ps.int("size", 1, 1000); e != nil {
		return nil, e
	} else if ok {
		op.size = v
	}
	if op.shadow, _, err = ps.int("shadow", 0, 100); err != nil {
		return nil, err
	}
	if op.rotate, _, err = ps.int("rotate", 0, 360); err != nil {
		return nil, err
	}
	if f, _, e := ps.enum("fill", "0", "1"); e != nil {
		return nil, e
	} else {
		op.fill = f == "1"
	}
	key, hasImage, err := ps.b64("image")
	if err != nil {
		return nil, err
	}
	if hasImage {
		if err := op.setImage(key); err != nil {
			return nil, err
		}
	}
	if op.pct, _, err = ps.int("P", 1, 100); err != nil {
		return nil, err
	}
	if v, ok, e := ps.int("t", 0, 100); e != nil {
		return nil, e
	} else if ok {
		op.t = v
	}
	if g, ok, e := ps.enum("g", gravities...); e != nil {
		return nil, e
	} else if ok {
		op.g = g
	}
	if v, ok, e := ps.int("x", 0, maxWMOffset); e != nil {
		return nil, e
	} else if ok {
		op.x = v
	}
	if v, ok, e := ps.int("y", 0, maxWMOffset); e != nil {
		return nil, e
	} else if ok {
		op.y = v
	}
	if op.voffset, _, err = ps.int("voffset", -1000, 1000); err != nil {
		return nil, err
	}
	if o, _, e := ps.enum("order", "0", "1"); e != nil {
		return nil, e
	} else {
		op.textFirst = o == "1"
	}
	if a, _, e := ps.enum("align", "0", "1", "2"); e != nil {
		return nil, e
	} else if a != "" {
		op.align = int(a[0] - '0')
	}
	if op.interval, _, err = ps.int("interval", 0, 1000); err != nil {
		return nil, err
	}
	if !hasText && !hasImage {
		return nil, errf(CodeMissingArgument, "watermark: parameter text or image (URL-safe base64) is required")
	}
	if hasText && !hasImage && op.pct != 0 {
		return nil, invalidf("watermark: parameter P applies only to image watermarks")
	}
	return op, nil
}

// setImage validates an image watermark key, optionally carrying
// "?x-oss-process=image/…" for the watermark image itself.
func (op *watermarkOp) setImage(key string) error {
	k, q, hasQ := strings.Cut(key, "?")
	if k == "" || len(k) > maxObjectKeyBytes {
		return errf(CodeWatermarkError, "watermark: image object name must be 1 to %d bytes long", maxObjectKeyBytes)
	}
	op.imageKey = k
	if hasQ {
		proc, ok := strings.CutPrefix(q, "x-oss-process=")
		if !ok {
			return invalidf("watermark: the image key may only carry ?x-oss-process=image/…, got %q", truncate(q, 40))
		}
		pl, err := parse(proc, true)
		if err != nil {
			return err
		}
		op.imageProc = pl
	}
	return nil
}
