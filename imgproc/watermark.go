package imgproc

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
	"sync"

	"github.com/disintegration/imaging"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

type watermarkOp struct {
	// text watermark
	text   string
	font   string // Go font id, see mapFont
	color  color.NRGBA
	size   int
	shadow int
	rotate int
	fill   bool
	// image watermark
	imageKey  string
	imageProc *Pipeline
	pct       int // P: percent of the main image
	// common
	t         int // opacity, percent
	g         string
	x, y      int
	voffset   int
	textFirst bool // order_1
	align     int  // 0 top, 1 centre, 2 bottom
	interval  int
}

// mapFont maps an OSS font name (type_) to one of the Go fonts, which are
// the only fonts this server ships. The Go fonts cover Latin, Greek and
// Cyrillic; CJK text renders as missing-glyph boxes.
func mapFont(name string) (string, error) {
	switch strings.ToLower(name) {
	case "wqy-zenhei", "wqy-microhei", "fangzhengshusong", "fangzhengfangsong", "droidsansfallback", "goregular":
		return "goregular", nil
	case "fangzhengheiti", "gobold":
		return "gobold", nil
	case "fangzhengkaiti", "goitalic":
		return "goitalic", nil
	case "gomedium":
		return "gomedium", nil
	case "gomono":
		return "gomono", nil
	}
	return "", invalidf("watermark: unknown font %q (type_ must be the URL-safe base64 of wqy-zenhei, wqy-microhei, fangzhengshusong, fangzhengkaiti, fangzhengheiti, fangzhengfangsong, droidsansfallback, goregular, gobold, goitalic, gomedium or gomono)", truncate(name, 32))
}

// fontCache parses each Go font once per Processor.
type fontCache struct {
	mu sync.Mutex
	m  map[string]*opentype.Font
}

func (c *fontCache) get(id string) (*opentype.Font, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.m[id]; ok {
		return f, nil
	}
	var ttf []byte
	switch id {
	case "gobold":
		ttf = gobold.TTF
	case "goitalic":
		ttf = goitalic.TTF
	case "gomedium":
		ttf = gomedium.TTF
	case "gomono":
		ttf = gomono.TTF
	default:
		ttf = goregular.TTF
	}
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*opentype.Font{}
	}
	c.m[id] = f
	return f, nil
}

func (w *watermarkOp) plan(s *planState) error { return nil }

func (w *watermarkOp) apply(s *execState) error {
	main := toNRGBA(s.img)
	W, H := main.Rect.Dx(), main.Rect.Dy()
	var parts []*image.NRGBA
	var textTile, imageTile *image.NRGBA
	var err error
	if w.imageKey != "" {
		if imageTile, err = w.imageTile(s, W, H); err != nil {
			return err
		}
	}
	if w.text != "" {
		if textTile, err = w.textTile(s); err != nil {
			return err
		}
	}
	if w.textFirst {
		parts = []*image.NRGBA{textTile, imageTile}
	} else {
		parts = []*image.NRGBA{imageTile, textTile}
	}
	tile := w.combine(parts)
	if tile == nil {
		return nil
	}
	if w.fill {
		tw, th := tile.Rect.Dx(), tile.Rect.Dy()
		for y := 0; y < H; y += th + max(w.y, 1) {
			for x := 0; x < W; x += tw + max(w.x, 1) {
				blendOver(main, tile, image.Pt(x, y), w.t)
			}
		}
	} else {
		blendOver(main, tile, w.position(W, H, tile.Rect.Dx(), tile.Rect.Dy()), w.t)
	}
	s.img = main
	return nil
}

// position places a tw×th watermark: x is the margin from the left or
// right edge, y from the top or bottom edge; on the middle row y is
// ignored and voffset moves the watermark up (positive) or down.
func (w *watermarkOp) position(W, H, tw, th int) image.Point {
	var p image.Point
	switch w.g {
	case "nw", "west", "sw":
		p.X = w.x
	case "north", "center", "south":
		p.X = (W - tw) / 2
	default:
		p.X = W - tw - w.x
	}
	switch w.g {
	case "nw", "north", "ne":
		p.Y = w.y
	case "west", "center", "east":
		p.Y = (H-th)/2 - w.voffset
	default:
		p.Y = H - th - w.y
	}
	return p
}

// combine lays the image and text parts side by side, interval pixels
// apart, aligned top (0), centre (1) or bottom (2).
func (w *watermarkOp) combine(parts []*image.NRGBA) *image.NRGBA {
	var present []*image.NRGBA
	for _, p := range parts {
		if p != nil {
			present = append(present, p)
		}
	}
	switch len(present) {
	case 0:
		return nil
	case 1:
		return present[0]
	}
	a, b := present[0], present[1]
	cw := a.Rect.Dx() + w.interval + b.Rect.Dx()
	ch := max(a.Rect.Dy(), b.Rect.Dy())
	out := image.NewNRGBA(image.Rect(0, 0, cw, ch))
	place := func(m *image.NRGBA, x int) {
		y := 0
		switch w.align {
		case 1:
			y = (ch - m.Rect.Dy()) / 2
		case 2:
			y = ch - m.Rect.Dy()
		}
		draw.Draw(out, image.Rect(x, y, x+m.Rect.Dx(), y+m.Rect.Dy()), m, m.Rect.Min, draw.Src)
	}
	place(a, 0)
	place(b, a.Rect.Dx()+w.interval)
	return out
}

func wmErr(format string, args ...any) *Error { return errf(CodeWatermarkError, format, args...) }

// imageTile decodes the prefetched watermark object, runs its own process
// and applies P.
func (w *watermarkOp) imageTile(s *execState, W, H int) (*image.NRGBA, error) {
	data, ok := s.wmData[w.imageKey]
	if !ok {
		return nil, wmErr("watermark: image %q was not fetched", w.imageKey)
	}
	hdr, err := s.lim.checkSource(data)
	if err != nil {
		return nil, wmErr("watermark: image %q: %s", w.imageKey, errMessage(err))
	}
	img, err := decodeImage(hdr.format, data)
	if err != nil {
		return nil, wmErr("watermark: image %q cannot be decoded: %v", w.imageKey, err)
	}
	sub := &execState{ctx: s.ctx, lim: s.lim, img: img, hdr: hdr, orientation: readMeta(hdr.format, data).exif.Orientation, mainW: W, mainH: H}
	if w.imageProc != nil {
		ps := planState{w: hdr.width, h: hdr.height, orientation: sub.orientation, mainW: W, mainH: H, lim: s.lim}
		for _, a := range w.imageProc.Actions {
			if err := a.op.plan(&ps); err != nil {
				return nil, err
			}
			if err := s.lim.checkIntermediate(a.Name, ps.w, ps.h, hdr); err != nil {
				return nil, err
			}
		}
		for _, a := range w.imageProc.Actions {
			if err := a.op.apply(sub); err != nil {
				return nil, err
			}
		}
	}
	tile := sub.img
	if w.pct > 0 {
		b := tile.Bounds()
		bw, bh := max(1, W*w.pct/100), max(1, H*w.pct/100)
		r := math.Min(float64(bw)/float64(b.Dx()), float64(bh)/float64(b.Dy()))
		tile = resizeImage(tile, scaleDim(b.Dx(), r), scaleDim(b.Dy(), r))
	}
	return toNRGBA(tile), nil
}

// textTile renders the text with an optional shadow and rotation.
func (w *watermarkOp) textTile(s *execState) (*image.NRGBA, error) {
	f, err := s.fonts.get(w.font)
	if err != nil {
		return nil, wmErr("watermark: font %s cannot be loaded: %v", w.font, err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(w.size), DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, wmErr("watermark: font %s at size %d: %v", w.font, w.size, err)
	}
	defer face.Close()
	m := face.Metrics()
	ascent, descent := m.Ascent.Ceil(), m.Descent.Ceil()
	adv := font.MeasureString(face, w.text).Ceil()
	so := 0
	if w.shadow > 0 {
		so = max(1, w.size/20)
	}
	tw, th := adv+so+1, ascent+descent+so
	if tw > s.lim.MaxOutputSide || int64(tw)*int64(th) > s.lim.MaxOutputPixels {
		return nil, wmErr("watermark: the text would be %dx%d px, too large to render", tw, th)
	}
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	if so > 0 {
		d := font.Drawer{Dst: dst, Src: image.NewUniform(color.NRGBA{0, 0, 0, uint8(w.shadow * 255 / 100)}), Face: face, Dot: fixed.P(so, ascent+so)}
		d.DrawString(w.text)
	}
	d := font.Drawer{Dst: dst, Src: image.NewUniform(w.color), Face: face, Dot: fixed.P(0, ascent)}
	d.DrawString(w.text)
	tile := imaging.Clone(dst)
	if w.rotate%360 != 0 {
		tile = imaging.Rotate(tile, float64(360-w.rotate), color.Transparent)
	}
	return tile, nil
}

// blendOver composites src onto dst at p with src's alpha scaled by
// opacity percent, clipping to dst.
func blendOver(dst, src *image.NRGBA, p image.Point, opacity int) {
	r := image.Rectangle{p, p.Add(src.Rect.Size())}.Intersect(dst.Rect)
	if r.Empty() || opacity <= 0 {
		return
	}
	op := uint32(opacity * 255 / 100)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		d := dst.Pix[dst.PixOffset(r.Min.X, y):dst.PixOffset(r.Max.X, y)]
		sOff := src.PixOffset(src.Rect.Min.X+r.Min.X-p.X, src.Rect.Min.Y+y-p.Y)
		sp := src.Pix[sOff : sOff+len(d)]
		for i := 0; i < len(d); i += 4 {
			sa := uint32(sp[i+3]) * op / 255
			if sa == 0 {
				continue
			}
			da := uint32(d[i+3])
			// out = s·sa + d·da·(1−sa), all over 255.
			dw := da * (255 - sa) / 255
			oa := sa + dw
			for c := 0; c < 3; c++ {
				d[i+c] = uint8((uint32(sp[i+c])*sa + uint32(d[i+c])*dw + oa/2) / oa)
			}
			d[i+3] = uint8(oa)
		}
	}
}
