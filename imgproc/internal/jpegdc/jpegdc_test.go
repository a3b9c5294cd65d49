package jpegdc

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// blockMeans averages the full decode of a plane over 8×8 blocks (in the
// plane's own samples), the reference for the DC-only decode.
func blockMeans(pix []byte, stride, w, h int) (out []float64, ow, oh int) {
	ow, oh = (w+7)/8, (h+7)/8
	out = make([]float64, ow*oh)
	for by := 0; by < oh; by++ {
		for bx := 0; bx < ow; bx++ {
			sum, n := 0.0, 0
			for y := by * 8; y < min(by*8+8, h); y++ {
				for x := bx * 8; x < min(bx*8+8, w); x++ {
					sum += float64(pix[y*stride+x])
					n++
				}
			}
			out[by*ow+bx] = sum / float64(n)
		}
	}
	return out, ow, oh
}

// compare checks a DC plane against the block means of a full plane,
// ignoring the last row and column (partial blocks include padding).
func compare(t *testing.T, name string, dc []byte, dcStride int, full []byte, fullStride, w, h int) {
	t.Helper()
	ref, ow, oh := blockMeans(full, fullStride, w, h)
	worst := 0.0
	for y := 0; y < oh-1; y++ {
		for x := 0; x < ow-1; x++ {
			d := math.Abs(float64(dc[y*dcStride+x]) - ref[y*ow+x])
			worst = max(worst, d)
		}
	}
	// The full decode clamps and rounds per pixel; means agree closely.
	if worst > 3 {
		t.Errorf("%s: DC sample differs from the block mean by %.1f", name, worst)
	}
}

func TestAgainstFullDecode(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "image", "testdata", "video-00*.jpeg"))
	if len(files) == 0 {
		t.Skip("GOROOT test images not present")
	}
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		full, ferr := jpeg.Decode(bytes.NewReader(data))
		small, err := Decode(bytes.NewReader(data))
		switch {
		case strings.Contains(name, "cmyk") || strings.Contains(name, "rgb"):
			var ue UnsupportedError
			if !errors.As(err, &ue) {
				t.Errorf("%s: %v, want UnsupportedError", name, err)
			}
			continue
		case ferr != nil:
			if err == nil && !strings.Contains(name, "truncated") {
				t.Errorf("%s: full decode fails (%v) but DC decode succeeds", name, ferr)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", name, err)
			continue
		case strings.Contains(name, "truncated"):
			continue // the full decoder keeps partial AC data; means differ
		}
		b := full.Bounds()
		if got, want := small.Bounds(), image.Rect(0, 0, (b.Dx()+7)/8, (b.Dy()+7)/8); got != want {
			t.Errorf("%s: bounds %v, want %v", name, got, want)
			continue
		}
		switch fm := full.(type) {
		case *image.Gray:
			sm := small.(*image.Gray)
			compare(t, name, sm.Pix, sm.Stride, fm.Pix, fm.Stride, b.Dx(), b.Dy())
		case *image.YCbCr:
			sm, ok := small.(*image.YCbCr)
			if !ok || sm.SubsampleRatio != fm.SubsampleRatio {
				t.Errorf("%s: %T, want YCbCr %v", name, small, fm.SubsampleRatio)
				continue
			}
			compare(t, name+" Y", sm.Y, sm.YStride, fm.Y, fm.YStride, b.Dx(), b.Dy())
			fx, fy := map[image.YCbCrSubsampleRatio][2]int{
				image.YCbCrSubsampleRatio444: {1, 1}, image.YCbCrSubsampleRatio422: {2, 1},
				image.YCbCrSubsampleRatio420: {2, 2}, image.YCbCrSubsampleRatio440: {1, 2},
				image.YCbCrSubsampleRatio411: {4, 1}, image.YCbCrSubsampleRatio410: {4, 2},
			}[fm.SubsampleRatio][0], 0
			fy = map[image.YCbCrSubsampleRatio]int{
				image.YCbCrSubsampleRatio444: 1, image.YCbCrSubsampleRatio422: 1,
				image.YCbCrSubsampleRatio420: 2, image.YCbCrSubsampleRatio440: 2,
				image.YCbCrSubsampleRatio411: 1, image.YCbCrSubsampleRatio410: 2,
			}[fm.SubsampleRatio]
			cw, ch := (b.Dx()+fx-1)/fx, (b.Dy()+fy-1)/fy
			compare(t, name+" Cb", sm.Cb, sm.CStride, fm.Cb, fm.CStride, cw, ch)
			compare(t, name+" Cr", sm.Cr, sm.CStride, fm.Cr, fm.CStride, cw, ch)
		}
	}
}

func TestGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("\xff\xd8"), []byte("\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff\x03"), []byte("not a jpeg")} {
		if _, err := Decode(bytes.NewReader(b)); err == nil {
			t.Errorf("%q decoded", b)
		}
	}
}

// FuzzDecode checks that the forked decoder never panics and that a
// successful decode has the 1/8 size of the header.
func FuzzDecode(f *testing.F) {
	for _, q := range []int{10, 90} {
		m := image.NewYCbCr(image.Rect(0, 0, 37, 21), image.YCbCrSubsampleRatio420)
		for i := range m.Y {
			m.Y[i] = uint8(i * 7)
		}
		var b bytes.Buffer
		jpeg.Encode(&b, m, &jpeg.Options{Quality: q})
		f.Add(b.Bytes())
		g := image.NewGray(image.Rect(0, 0, 9, 17))
		b.Reset()
		jpeg.Encode(&b, g, nil)
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1<<20 {
			return
		}
		m, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		if got, want := m.Bounds(), image.Rect(0, 0, (cfg.Width+7)/8, (cfg.Height+7)/8); got != want {
			t.Fatalf("bounds %v, header says %dx%d", got, cfg.Width, cfg.Height)
		}
	})
}
