package imgproc

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"strconv"
	"testing"

	"github.com/disintegration/imaging"
)

// photoLike builds a w×h YCbCr 4:2:0 image with smooth gradients, a
// periodic texture and noise, so it compresses roughly like a photo.
func photoLike(w, h int) *image.YCbCr {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	seed := uint32(7)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			seed = seed*1664525 + 1013904223
			v := 60 + 100*float64(x)/float64(w) + 40*math.Sin(float64(x)/37)*math.Cos(float64(y)/23) + float64(seed>>28)
			m.Y[y*m.YStride+x] = uint8(min(max(v, 0), 255))
		}
	}
	for y := 0; y < (h+1)/2; y++ {
		for x := 0; x < (w+1)/2; x++ {
			m.Cb[y*m.CStride+x] = uint8(128 + 40*math.Sin(float64(y)/50))
			m.Cr[y*m.CStride+x] = uint8(128 + 40*math.Cos(float64(x)/70))
		}
	}
	return m
}

// BenchmarkThumbnail12MP: a 4000×3000 JPEG to a 400 px (and a 1000 px)
// wide JPEG thumbnail at quality 85, this package against the
// straightforward image.Decode + imaging.Resize(Lanczos) + jpeg.Encode,
// plus image/jpeg's decode alone for reference. Compare ns/op, B/op and
// allocs/op of ossflow-wN with baseline-wN.
func BenchmarkThumbnail12MP(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(4000, 3000), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	src := buf.Bytes()

	// w_400 is a 10× reduction (DCT-domain 1/8 decode + area filter);
	// w_1000 a 4× one (full decode + area filter on the YCbCr planes).
	for _, width := range []int{400, 1000} {
		name := strconv.Itoa(width)
		b.Run("ossflow-w"+name, func(b *testing.B) {
			p := NewProcessor(DefaultLimits(), 1)
			pl, err := Parse("image/resize,w_" + name + "/quality,Q_85")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				res, err := p.Process(context.Background(), bytes.NewReader(src), int64(len(src)), pl, nil)
				if err != nil || res.Width != width {
					b.Fatalf("%v %+v", err, res)
				}
			}
		})
		b.Run("baseline-w"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				img, _, err := image.Decode(bytes.NewReader(src))
				if err != nil {
					b.Fatal(err)
				}
				thumb := imaging.Resize(img, width, 0, imaging.Lanczos)
				var out bytes.Buffer
				if err := jpeg.Encode(&out, thumb, &jpeg.Options{Quality: 85}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("decode-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(src)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
