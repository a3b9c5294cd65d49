package imgproc

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
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

// BenchmarkThumbnail12MP: a 4000×3000 JPEG to a 400 px wide JPEG
// thumbnail (quality 85), this package against the straightforward
// image.Decode + imaging.Resize(Lanczos) + jpeg.Encode.
func BenchmarkThumbnail12MP(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, photoLike(4000, 3000), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	src := buf.Bytes()

	b.Run("ossflow", func(b *testing.B) {
		p := NewProcessor(DefaultLimits(), 1)
		pl, err := Parse("image/resize,w_400/quality,Q_85")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			res, err := p.Process(context.Background(), bytes.NewReader(src), int64(len(src)), pl, nil)
			if err != nil || res.Width != 400 || res.Height != 300 {
				b.Fatalf("%v %+v", err, res)
			}
		}
	})
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			img, _, err := image.Decode(bytes.NewReader(src))
			if err != nil {
				b.Fatal(err)
			}
			thumb := imaging.Resize(img, 400, 0, imaging.Lanczos)
			var out bytes.Buffer
			if err := jpeg.Encode(&out, thumb, &jpeg.Options{Quality: 85}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(src)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
