package imgproc

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/disintegration/imaging"
)

// operation is a validated action. plan predicts the size it produces
// (used to refuse oversized work before decoding); apply performs it.
type operation interface {
	plan(s *planState) error
	apply(s *execState) error
}

// planState carries the image size through a pipeline without pixels.
type planState struct {
	w, h         int
	orientation  int // EXIF orientation of the source, 1..8
	mainW, mainH int // main image size, for a watermark's resize,P_
	lim          Limits
}

// --- resize ---------------------------------------------------------------

type resizeOp struct {
	mode       string // lfit mfit fill pad fixed
	w, h, l, s int
	p          int // percent of the image itself
	pMain      int // percent of the main image (watermark images only)
	limit      bool
	color      color.NRGBA // pad background
}

// resizeGeom is what a resize does to a sw×sh image: scale the whole
// image to scaleW×scaleH, then (fill) crop it centred to outW×outH or
// (pad) centre it on an outW×outH canvas.
type resizeGeom struct {
	noop           bool
	scaleW, scaleH int
	outW, outH     int
}

func scaleDim(v int, r float64) int { return max(1, int(math.Round(float64(v)*r))) }

func (r *resizeOp) geometry(sw, sh, mainW, mainH int) resizeGeom {
	var g resizeGeom
	switch {
	case r.p > 0:
		ratio := float64(r.p) / 100
		g.scaleW, g.scaleH = scaleDim(sw, ratio), scaleDim(sh, ratio)
	case r.pMain > 0:
		bw, bh := max(1, mainW*r.pMain/100), max(1, mainH*r.pMain/100)
		ratio := math.Min(float64(bw)/float64(sw), float64(bh)/float64(sh))
		g.scaleW, g.scaleH = scaleDim(sw, ratio), scaleDim(sh, ratio)
	default:
		W, H := r.w, r.h
		if r.l > 0 || r.s > 0 {
			long, short := r.l, r.s
			if sw >= sh {
				W, H = long, short
			} else {
				W, H = short, long
			}
		}
		rw, rh := float64(W)/float64(sw), float64(H)/float64(sh)
		var ratio float64
		switch r.mode {
		case "lfit", "mfit":
			switch {
			case W == 0:
				ratio = rh
			case H == 0:
				ratio = rw
			case r.mode == "lfit":
				ratio = math.Min(rw, rh)
			default:
				ratio = math.Max(rw, rh)
			}
			g.scaleW, g.scaleH = scaleDim(sw, ratio), scaleDim(sh, ratio)
			if r.limit && ratio > 1 {
				g.noop = true
			}
		default: // fill pad fixed: a missing side equals the given one
			if W == 0 {
				W, rw = H, float64(H)/float64(sw)
			}
			if H == 0 {
				H, rh = W, float64(W)/float64(sh)
			}
			g.outW, g.outH = W, H
			switch r.mode {
			case "fixed":
				g.scaleW, g.scaleH = W, H
				if r.limit && (W > sw || H > sh) {
					g.noop = true
				}
			case "fill":
				ratio = math.Max(rw, rh)
				g.scaleW, g.scaleH = max(W, scaleDim(sw, ratio)), max(H, scaleDim(sh, ratio))
				if r.limit && ratio > 1 {
					g.noop = true
				}
			case "pad":
				ratio = math.Min(rw, rh)
				g.scaleW, g.scaleH = min(W, scaleDim(sw, ratio)), min(H, scaleDim(sh, ratio))
				if r.limit && ratio > 1 {
					g.noop = true
				}
			}
			if g.noop {
				g.outW, g.outH = sw, sh
			}
			return g
		}
	}
	if g.noop {
		g.scaleW, g.scaleH = sw, sh
	}
	g.outW, g.outH = g.scaleW, g.scaleH
	return g
}

func (r *resizeOp) plan(s *planState) error {
	if r.pMain > 0 && s.mainW == 0 {
		return invalidf("resize: parameter P needs a main image")
	}
	g := r.geometry(s.w, s.h, s.mainW, s.mainH)
	s.w, s.h = g.outW, g.outH
	return nil
}

func (r *resizeOp) apply(s *execState) error {
	b := s.img.Bounds()
	g := r.geometry(b.Dx(), b.Dy(), s.mainW, s.mainH)
	if g.noop || (g.scaleW == b.Dx() && g.scaleH == b.Dy() && g.outW == g.scaleW && g.outH == g.scaleH) {
		return nil
	}
	scaled := resizeImage(s.img, g.scaleW, g.scaleH)
	s.img = r.finish(scaled, g)
	return nil
}

// finish applies the fill crop or the pad canvas to a scaled image.
func (r *resizeOp) finish(scaled image.Image, g resizeGeom) image.Image {
	switch {
	case r.mode == "fill" && r.pMain == 0 && r.p == 0 && (g.outW != g.scaleW || g.outH != g.scaleH):
		x0, y0 := (g.scaleW-g.outW)/2, (g.scaleH-g.outH)/2
		return imaging.Crop(scaled, image.Rect(x0, y0, x0+g.outW, y0+g.outH))
	case r.mode == "pad" && r.pMain == 0 && r.p == 0 && (g.outW != g.scaleW || g.outH != g.scaleH):
		canvas := imaging.New(g.outW, g.outH, r.color)
		pos := image.Pt((g.outW-g.scaleW)/2, (g.outH-g.scaleH)/2)
		draw.Draw(canvas, image.Rectangle{pos, pos.Add(image.Pt(g.scaleW, g.scaleH))}, scaled, scaled.Bounds().Min, draw.Over)
		return canvas
	}
	return scaled
}

// resizeImage scales img to w×h: planar JPEG images are downscaled with
// the area filter without leaving YCbCr; everything else uses Lanczos.
func resizeImage(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	if w <= b.Dx() && h <= b.Dy() {
		switch m := img.(type) {
		case *image.YCbCr:
			if out := downscaleYCbCr(m, rectF{0, 0, float64(b.Dx()), float64(b.Dy())}, w, h); out != nil {
				return out
			}
		case *image.Gray:
			if out := downscaleGray(m, rectF{0, 0, float64(b.Dx()), float64(b.Dy())}, w, h); out != nil {
				return out
			}
		}
	}
	return imaging.Resize(img, w, h, imaging.Lanczos)
}

// --- crop / indexcrop -----------------------------------------------------

type cropOp struct {
	w, h, x, y int
	g          string
}

// rect computes the crop rectangle in a w×h image (OSS: the gravity
// places a w×h box at one of nine anchors; x, y shift it).
func (c *cropOp) rect(W, H int) (image.Rectangle, error) {
	cw, ch := c.w, c.h
	if cw == 0 || cw > W {
		cw = W
	}
	if ch == 0 || ch > H {
		ch = H
	}
	var ax, ay int
	switch c.g {
	case "north", "center", "south":
		ax = W/2 - cw/2
	case "ne", "east", "se":
		ax = W - cw
	}
	switch c.g {
	case "west", "center", "east":
		ay = H/2 - ch/2
	case "sw", "south", "se":
		ay = H - ch
	}
	ox, oy := ax+c.x, ay+c.y
	if ox >= W || oy >= H {
		return image.Rectangle{}, errf(CodeBadRequest, "Advance cut's position is out of image. (crop: origin (%d,%d) lies outside the %dx%d image)", ox, oy, W, H)
	}
	return image.Rect(ox, oy, min(ox+cw, W), min(oy+ch, H)), nil
}

func (c *cropOp) plan(s *planState) error {
	r, err := c.rect(s.w, s.h)
	s.w, s.h = r.Dx(), r.Dy()
	return err
}

func (c *cropOp) apply(s *execState) error {
	b := s.img.Bounds()
	r, err := c.rect(b.Dx(), b.Dy())
	if err != nil {
		return err
	}
	if r.Dx() != b.Dx() || r.Dy() != b.Dy() {
		s.img = imaging.Crop(s.img, r.Add(b.Min))
	}
	return nil
}

type indexCropOp struct {
	vertical bool // slices along y (parameter y) instead of x
	size     int
	index    int
}

// rect returns the slice; an index past the last slice yields the whole
// image, as OSS does.
func (c *indexCropOp) rect(W, H int) image.Rectangle {
	if c.vertical {
		y0 := c.index * c.size
		if y0 >= H {
			return image.Rect(0, 0, W, H)
		}
		return image.Rect(0, y0, W, min(y0+c.size, H))
	}
	x0 := c.index * c.size
	if x0 >= W {
		return image.Rect(0, 0, W, H)
	}
	return image.Rect(x0, 0, min(x0+c.size, W), H)
}

func (c *indexCropOp) plan(s *planState) error {
	r := c.rect(s.w, s.h)
	s.w, s.h = r.Dx(), r.Dy()
	return nil
}

func (c *indexCropOp) apply(s *execState) error {
	b := s.img.Bounds()
	r := c.rect(b.Dx(), b.Dy())
	if r.Dx() != b.Dx() || r.Dy() != b.Dy() {
		s.img = imaging.Crop(s.img, r.Add(b.Min))
	}
	return nil
}

// --- circle / rounded-corners ---------------------------------------------

type circleOp struct{ r int }

func (c *circleOp) radius(W, H int) int { return min(c.r, min(W, H)/2) }

func (c *circleOp) plan(s *planState) error {
	r := c.radius(s.w, s.h)
	if r < 1 {
		return invalidf("circle: the image (%dx%d) is too small for a circle", s.w, s.h)
	}
	s.w, s.h = 2*r, 2*r
	return nil
}

// apply crops a centred 2r×2r square and makes everything outside the
// circle transparent (white once encoded as JPEG), antialiasing the edge.
func (c *circleOp) apply(s *execState) error {
	b := s.img.Bounds()
	r := c.radius(b.Dx(), b.Dy())
	if r < 1 {
		return invalidf("circle: the image (%dx%d) is too small for a circle", b.Dx(), b.Dy())
	}
	cx, cy := b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()/2
	sq := imaging.Crop(s.img, image.Rect(cx-r, cy-r, cx+r, cy+r))
	maskRounded(sq, float64(r))
	s.img = sq
	return nil
}

type roundedOp struct{ r int }

func (c *roundedOp) plan(s *planState) error { return nil }

func (c *roundedOp) apply(s *execState) error {
	b := s.img.Bounds()
	r := min(c.r, min(b.Dx(), b.Dy())/2)
	if r < 1 {
		return nil
	}
	m := toNRGBA(s.img)
	maskRounded(m, float64(r))
	s.img = m
	return nil
}

// maskRounded scales the alpha of m outside a rounded rectangle with
// corner radius r (a circle when r is half the side), with a one-pixel
// antialiased edge.
func maskRounded(m *image.NRGBA, r float64) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	for y := 0; y < h; y++ {
		py := float64(y) + 0.5
		var dy float64
		switch {
		case py < r:
			dy = r - py
		case py > float64(h)-r:
			dy = py - (float64(h) - r)
		default:
			continue
		}
		row := m.Pix[y*m.Stride:]
		for x := 0; x < w; x++ {
			px := float64(x) + 0.5
			var dx float64
			switch {
			case px < r:
				dx = r - px
			case px > float64(w)-r:
				dx = px - (float64(w) - r)
			default:
				continue
			}
			cov := r + 0.5 - math.Sqrt(dx*dx+dy*dy)
			if cov >= 1 {
				continue
			}
			if cov < 0 {
				cov = 0
			}
			row[4*x+3] = uint8(float64(row[4*x+3])*cov + 0.5)
		}
	}
}

// --- rotate / auto-orient -------------------------------------------------

type rotateOp struct{ deg int }

// maxRotateSide is OSS's limit on the source of a rotation.
const maxRotateSide = 4096

func rotatedSize(w, h int, deg int) (int, int) {
	switch deg % 360 {
	case 0, 180:
		return w, h
	case 90, 270:
		return h, w
	}
	sin, cos := math.Sincos(float64(deg) * math.Pi / 180)
	fw := math.Abs(float64(w)*cos) + math.Abs(float64(h)*sin)
	fh := math.Abs(float64(w)*sin) + math.Abs(float64(h)*cos)
	return int(math.Ceil(fw - 1e-9)), int(math.Ceil(fh - 1e-9))
}

func (r *rotateOp) plan(s *planState) error {
	if r.deg%90 != 0 && (s.w > maxRotateSide || s.h > maxRotateSide) {
		return errf(CodeImageTooLarge, "rotate: the image is %dx%d; rotation needs one of at most %dx%d", s.w, s.h, maxRotateSide, maxRotateSide)
	}
	s.w, s.h = rotatedSize(s.w, s.h, r.deg)
	s.w, s.h = s.w+2, s.h+2 // imaging may round up by a pixel or two
	return nil
}

// apply rotates clockwise; corners uncovered by an arbitrary angle are
// transparent (white in JPEG output).
func (r *rotateOp) apply(s *execState) error {
	switch r.deg % 360 {
	case 0:
	case 90:
		s.img = imaging.Rotate270(s.img)
	case 180:
		s.img = imaging.Rotate180(s.img)
	case 270:
		s.img = imaging.Rotate90(s.img)
	default:
		s.img = imaging.Rotate(s.img, float64(360-r.deg), color.Transparent)
	}
	return nil
}

type autoOrientOp struct{ on bool }

func (a *autoOrientOp) plan(s *planState) error {
	if a.on && s.orientation >= 5 {
		s.w, s.h = s.h, s.w
	}
	if a.on {
		s.orientation = 1
	}
	return nil
}

func (a *autoOrientOp) apply(s *execState) error {
	if a.on {
		s.img = orient(s.img, s.orientation)
		s.orientation = 1
	}
	return nil
}

// orient applies an EXIF orientation so the image displays upright.
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}

// toNRGBA returns img as an *image.NRGBA at the origin, copying only when
// it is not one already.
func toNRGBA(img image.Image) *image.NRGBA {
	if m, ok := img.(*image.NRGBA); ok && m.Rect.Min == (image.Point{}) {
		return m
	}
	return imaging.Clone(img)
}
