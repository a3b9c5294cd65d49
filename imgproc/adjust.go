package imgproc

import (
	"image"
	"math"

	"github.com/disintegration/imaging"
)

// --- blur -----------------------------------------------------------------

type blurOp struct{ r, s int }

// plan bounds the blur's cost: its input may be no larger than the
// output pixel limit (a blur of r=50 costs ~400 multiply-adds a pixel).
func (b *blurOp) plan(s *planState) error {
	if int64(s.w)*int64(s.h) > s.lim.MaxOutputPixels {
		return errf(CodeImageTooLarge, "blur: the image is %dx%d; blur needs one of at most %d px (resize first)", s.w, s.h, s.lim.MaxOutputPixels)
	}
	return nil
}

// apply is a separable Gaussian with radius r and standard deviation s,
// computed on premultiplied colour so transparent pixels do not bleed.
func (b *blurOp) apply(s *execState) error {
	s.img = gaussianBlur(toNRGBA(s.img), b.r, float64(b.s))
	return nil
}

func gaussianKernel(r int, sigma float64) []int32 {
	k := make([]int32, 2*r+1)
	f := make([]float64, 2*r+1)
	sum := 0.0
	for i := -r; i <= r; i++ {
		f[i+r] = math.Exp(-float64(i*i) / (2 * sigma * sigma))
		sum += f[i+r]
	}
	tot := int32(0)
	for i := range f {
		k[i] = int32(math.Round(f[i] / sum * (1 << weightBits)))
		tot += k[i]
	}
	k[r] += 1<<weightBits - tot
	return k
}

func gaussianBlur(src *image.NRGBA, r int, sigma float64) *image.NRGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	k := gaussianKernel(r, sigma)
	// Premultiply into a 16-bit buffer (value<<8 precision is not needed:
	// the two passes round once each).
	pm := make([]uint16, w*h*4)
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride:]
		for x := 0; x < w; x++ {
			a := uint32(row[4*x+3])
			i := (y*w + x) * 4
			pm[i] = uint16(uint32(row[4*x]) * a / 255)
			pm[i+1] = uint16(uint32(row[4*x+1]) * a / 255)
			pm[i+2] = uint16(uint32(row[4*x+2]) * a / 255)
			pm[i+3] = uint16(a)
		}
	}
	tmp := make([]uint16, w*h*4)
	conv := func(dst, src []uint16, n, stride int, count, cstride int) {
		for c := 0; c < count; c++ {
			base := c * cstride
			for i := 0; i < n; i++ {
				var acc [4]int32
				for j := -r; j <= r; j++ {
					p := min(max(i+j, 0), n-1)
					o := base + p*stride
					kw := k[j+r]
					acc[0] += int32(src[o]) * kw
					acc[1] += int32(src[o+1]) * kw
					acc[2] += int32(src[o+2]) * kw
					acc[3] += int32(src[o+3]) * kw
				}
				o := base + i*stride
				for ch := 0; ch < 4; ch++ {
					dst[o+ch] = uint16((acc[ch] + 1<<(weightBits-1)) >> weightBits)
				}
			}
		}
	}
	conv(tmp, pm, w, 4, h, w*4) // rows
	conv(pm, tmp, h, w*4, w, 4) // columns
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		a := uint32(pm[4*i+3])
		o := out.Pix[4*i : 4*i+4 : 4*i+4]
		o[3] = uint8(a)
		if a == 0 {
			continue
		}
		for ch := 0; ch < 3; ch++ {
			o[ch] = uint8(min(uint32(pm[4*i+ch])*255/a, 255))
		}
	}
	return out
}

// --- bright / contrast / sharpen ------------------------------------------

type brightOp struct{ v int }

func (b *brightOp) plan(s *planState) error { return nil }

// apply adds v% of full scale to every channel.
func (b *brightOp) apply(s *execState) error {
	if b.v != 0 {
		s.img = imaging.AdjustBrightness(s.img, float64(b.v))
	}
	return nil
}

type contrastOp struct{ v int }

func (c *contrastOp) plan(s *planState) error { return nil }

// apply stretches (v > 0) or compresses (v < 0) values around mid-grey.
func (c *contrastOp) apply(s *execState) error {
	if c.v != 0 {
		s.img = imaging.AdjustContrast(s.img, float64(c.v))
	}
	return nil
}

type sharpenOp struct{ v int }

func (sh *sharpenOp) plan(s *planState) error { return nil }

// apply is an unsharp mask: out = in + v/100 × (in − gauss(in, σ=1)).
// OSS recommends 100; 50..399 is the allowed range.
func (sh *sharpenOp) apply(s *execState) error {
	src := toNRGBA(s.img)
	blurred := gaussianBlur(src, 2, 1)
	amount := int32(sh.v) * 256 / 100
	out := image.NewNRGBA(src.Rect)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := 0; y < h; y++ {
		srow := src.Pix[y*src.Stride : y*src.Stride+4*w]
		brow := blurred.Pix[y*blurred.Stride:]
		orow := out.Pix[y*out.Stride:]
		for x := 0; x < 4*w; x++ {
			if x&3 == 3 {
				orow[x] = srow[x]
				continue
			}
			v := int32(srow[x]) + (amount*(int32(srow[x])-int32(brow[x]))+128)>>8
			orow[x] = uint8(min(max(v, 0), 255))
		}
	}
	s.img = out
	return nil
}
