package imgproc

import (
	"image"
	"math"
	"sync"
)

// Area ("box with exact coverage") downscaling that works on the planes of
// an *image.YCbCr or *image.Gray as the JPEG decoder returns them, so a
// thumbnail never converts the full-size image to RGBA. Each output sample
// is the coverage-weighted mean of the source samples under it, which is
// the right anti-aliasing filter for large reductions. Arithmetic is
// fixed point: weights sum to 1<<14 per output sample.

const weightBits = 14

type rectF struct{ x0, y0, x1, y1 float64 }

// axisWeights maps dst samples to runs of src samples along one axis.
type axisWeights struct {
	start []int   // first source index of output i
	n     []int   // weights actually used by output i
	taps  int     // weights per output (zero padded)
	w     []int32 // taps weights per output
	lo    int     // lowest source index used
	hi    int     // one past the highest source index used
}

// makeAxis builds weights for dstLen outputs where output i covers
// [start+i*step, start+(i+1)*step) of a source of srcLen samples.
func makeAxis(srcLen int, start, step float64, dstLen int) axisWeights {
	taps := int(math.Ceil(step)) + 1
	a := axisWeights{start: make([]int, dstLen), n: make([]int, dstLen), taps: taps, w: make([]int32, dstLen*taps), lo: srcLen, hi: 0}
	var cov [64]float64
	covs := cov[:0]
	if taps > len(cov) {
		covs = make([]float64, 0, taps)
	}
	for i := 0; i < dstLen; i++ {
		lo := start + float64(i)*step
		hi := lo + step
		lo, hi = math.Max(lo, 0), math.Min(hi, float64(srcLen))
		first := int(math.Floor(lo))
		if first >= srcLen {
			first = srcLen - 1
		}
		if hi <= lo { // degenerate: take the nearest sample
			lo, hi = float64(first), float64(first)+1
		}
		covs = covs[:0]
		total := 0.0
		for j := first; j < srcLen && float64(j) < hi && len(covs) < taps; j++ {
			c := math.Min(hi, float64(j+1)) - math.Max(lo, float64(j))
			if c < 0 {
				c = 0
			}
			covs = append(covs, c)
			total += c
		}
		a.start[i] = first
		a.n[i] = len(covs)
		a.lo = min(a.lo, first)
		a.hi = max(a.hi, first+len(covs))
		ws := a.w[i*taps : (i+1)*taps]
		sum, big := int32(0), 0
		for k, c := range covs {
			ws[k] = int32(math.Round(c / total * (1 << weightBits)))
			sum += ws[k]
			if ws[k] > ws[big] {
				big = k
			}
		}
		ws[big] += 1<<weightBits - sum
	}
	return a
}

// resamplePlane area-resamples an 8-bit plane. src is addressed as
// src[y*srcStride+x] for x in [0, sw), y in [0, sh).
//
// Rows are filtered horizontally on demand into a ring of ya.taps rows
// of 16-bit samples (8 extra bits of precision), so the working memory is
// a few output rows, not a copy of the source height.
func resamplePlane(dst []byte, dstStride, dw, dh int, src []byte, srcStride int, xa, ya *axisWeights) {
	taps := ya.taps
	ring := make([]uint16, taps*dw)
	next := ya.lo // next source row to filter horizontally
	acc := make([]uint32, dw)
	for y := 0; y < dh; y++ {
		first, n := ya.start[y], ya.n[y]
		for ; next < first+n; next++ {
			if next < first { // rows skipped by a gap (never for area weights)
				continue
			}
			srow := src[next*srcStride:]
			trow := ring[(next%taps)*dw : (next%taps+1)*dw]
			for x := range trow {
				ws := xa.w[x*xa.taps : x*xa.taps+xa.n[x]]
				s := srow[xa.start[x]:]
				s = s[:len(ws)]
				var a int32
				for k, w := range ws {
					a += int32(s[k]) * w
				}
				trow[x] = uint16((a + 1<<(weightBits-9)) >> (weightBits - 8))
			}
		}
		clear(acc)
		for k, w := range ya.w[y*taps : y*taps+n] {
			r := (first + k) % taps
			trow := ring[r*dw : (r+1)*dw]
			uw := uint32(w)
			for x, v := range trow {
				acc[x] += uint32(v) * uw
			}
		}
		drow := dst[y*dstStride : y*dstStride+dw]
		for x, a := range acc[:len(drow)] {
			drow[x] = uint8(min((a+1<<(weightBits+7))>>(weightBits+8), 255))
		}
	}
}

// subsampling returns the chroma subsampling factors of a ratio.
func subsampling(r image.YCbCrSubsampleRatio) (fx, fy int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// downscaleYCbCr resamples the src rectangle r (in luma pixels) of m to a
// dw×dh 4:2:0 image. It returns nil when m is not laid out as the JPEG
// decoder lays it out or the request is not a reduction.
func downscaleYCbCr(m *image.YCbCr, r rectF, dw, dh int) *image.YCbCr {
	fx, fy, ok := subsampling(m.SubsampleRatio)
	if !ok || m.Rect.Min != (image.Point{}) || dw < 1 || dh < 1 ||
		float64(dw) > r.x1-r.x0 || float64(dh) > r.y1-r.y0 {
		return nil
	}
	sw, sh := m.Rect.Dx(), m.Rect.Dy()
	cw, ch := (sw+fx-1)/fx, (sh+fy-1)/fy
	out := image.NewYCbCr(image.Rect(0, 0, dw, dh), image.YCbCrSubsampleRatio420)
	stepX, stepY := (r.x1-r.x0)/float64(dw), (r.y1-r.y0)/float64(dh)
	xa := makeAxis(sw, r.x0, stepX, dw)
	ya := makeAxis(sh, r.y0, stepY, dh)
	// Luma on one goroutine, chroma on this one: the planes are
	// independent and luma is about as much work as both chroma planes.
	var wg sync.WaitGroup
	wg.Go(func() { resamplePlane(out.Y, out.YStride, dw, dh, m.Y, m.YStride, &xa, &ya) })
	// Output chroma sample i covers output luma [2i, 2i+2).
	dcw, dch := (dw+1)/2, (dh+1)/2
	cxa := makeAxis(cw, r.x0/float64(fx), 2*stepX/float64(fx), dcw)
	cya := makeAxis(ch, r.y0/float64(fy), 2*stepY/float64(fy), dch)
	resamplePlane(out.Cb, out.CStride, dcw, dch, m.Cb, m.CStride, &cxa, &cya)
	resamplePlane(out.Cr, out.CStride, dcw, dch, m.Cr, m.CStride, &cxa, &cya)
	wg.Wait()
	return out
}

// downscaleGray is downscaleYCbCr for grayscale JPEGs.
func downscaleGray(m *image.Gray, r rectF, dw, dh int) *image.Gray {
	if m.Rect.Min != (image.Point{}) || dw < 1 || dh < 1 ||
		float64(dw) > r.x1-r.x0 || float64(dh) > r.y1-r.y0 {
		return nil
	}
	out := image.NewGray(image.Rect(0, 0, dw, dh))
	xa := makeAxis(m.Rect.Dx(), r.x0, (r.x1-r.x0)/float64(dw), dw)
	ya := makeAxis(m.Rect.Dy(), r.y0, (r.y1-r.y0)/float64(dh), dh)
	resamplePlane(out.Pix, out.Stride, dw, dh, m.Pix, m.Stride, &xa, &ya)
	return out
}
