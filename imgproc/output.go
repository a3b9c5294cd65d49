package imgproc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strconv"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Default JPEG quality when neither q nor Q is given: the source's own
// (estimated) quality for JPEG sources, capped, else this value.
const (
	defaultJPEGQuality = 85
	maxDefaultQuality  = 90
)

type formatOp struct{ format string }

func (f *formatOp) plan(s *planState) error { return nil }
func (f *formatOp) apply(s *execState) error {
	s.outFormat = f.format
	return nil
}

type qualityOp struct{ rel, abs int }

func (q *qualityOp) plan(s *planState) error { return nil }
func (q *qualityOp) apply(s *execState) error {
	if q.rel > 0 {
		s.relQ = q.rel
	}
	if q.abs > 0 {
		s.absQ = q.abs
	}
	return nil
}

// interlaceOp is accepted and recorded, but Go's encoders write only
// baseline JPEG and non-interlaced GIF/PNG; see doc.go.
type interlaceOp struct{ on bool }

func (i *interlaceOp) plan(s *planState) error { return nil }
func (i *interlaceOp) apply(s *execState) error {
	s.interlace = i.on
	return nil
}

type infoOp struct{}

func (infoOp) plan(s *planState) error  { return nil }
func (infoOp) apply(s *execState) error { return nil } // handled by Process

type averageHueOp struct{}

func (averageHueOp) plan(s *planState) error { return nil }
func (averageHueOp) apply(s *execState) error {
	r, g, b := averageColor(s.img)
	body, _ := json.Marshal(map[string]string{"RGB": fmt.Sprintf("0x%02x%02x%02x", r, g, b)})
	s.json = body
	return nil
}

// averageColor is the alpha-weighted mean colour of img.
func averageColor(img image.Image) (r, g, b uint8) {
	bnd := img.Bounds()
	var sr, sg, sb, sa uint64
	switch m := img.(type) {
	case *image.YCbCr:
		// The YCbCr→RGB map is affine, so averaging planes first is exact
		// up to clamping.
		var sy, scb, scr uint64
		for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
			for x := bnd.Min.X; x < bnd.Max.X; x++ {
				sy += uint64(m.Y[m.YOffset(x, y)])
				ci := m.COffset(x, y)
				scb += uint64(m.Cb[ci])
				scr += uint64(m.Cr[ci])
			}
		}
		n := uint64(bnd.Dx() * bnd.Dy())
		return color.YCbCrToRGB(uint8((sy+n/2)/n), uint8((scb+n/2)/n), uint8((scr+n/2)/n))
	case *image.NRGBA:
		for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
			row := m.Pix[m.PixOffset(bnd.Min.X, y):m.PixOffset(bnd.Max.X, y)]
			for i := 0; i < len(row); i += 4 {
				a := uint64(row[i+3])
				sr += uint64(row[i]) * a
				sg += uint64(row[i+1]) * a
				sb += uint64(row[i+2]) * a
				sa += a
			}
		}
	default:
		for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
			for x := bnd.Min.X; x < bnd.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				a := uint64(c.A)
				sr += uint64(c.R) * a
				sg += uint64(c.G) * a
				sb += uint64(c.B) * a
				sa += a
			}
		}
	}
	if sa == 0 {
		return 0, 0, 0
	}
	return uint8((sr + sa/2) / sa), uint8((sg + sa/2) / sa), uint8((sb + sa/2) / sa)
}

// infoJSON renders OSS's info document: FileSize, Format, ImageHeight,
// ImageWidth and the EXIF fields found, each as {"value": "…"}, keys in
// alphabetical order.
func infoJSON(size int, format string, w, h int, ex *exifData) []byte {
	type val struct {
		Value string `json:"value"`
	}
	m := map[string]val{
		"FileSize":    {strconv.Itoa(size)},
		"Format":      {format},
		"ImageHeight": {strconv.Itoa(h)},
		"ImageWidth":  {strconv.Itoa(w)},
	}
	if ex != nil {
		for k, v := range ex.Fields {
			if _, taken := m[k]; !taken {
				m[k] = val{v}
			}
		}
	}
	body, _ := json.Marshal(m)
	return body
}

// contentTypes maps output formats to MIME types.
func contentType(format string) string {
	switch format {
	case fmtJPEG:
		return "image/jpeg"
	case fmtPNG:
		return "image/png"
	case fmtGIF:
		return "image/gif"
	case fmtBMP:
		return "image/bmp"
	case fmtTIFF:
		return "image/tiff"
	case fmtWebP:
		return "image/webp"
	}
	return "application/json"
}

// encode writes img in format at quality (JPEG only).
func encode(img image.Image, format string, quality int) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch format {
	case fmtJPEG:
		err = jpeg.Encode(&buf, jpegReady(img), &jpeg.Options{Quality: quality})
	case fmtPNG:
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, pngReady(img))
	case fmtGIF:
		err = gif.Encode(&buf, img, &gif.Options{NumColors: 256})
	case fmtBMP:
		err = bmp.Encode(&buf, pngReady(img))
	case fmtTIFF:
		err = tiff.Encode(&buf, pngReady(img), &tiff.Options{Compression: tiff.Deflate, Predictor: true})
	default:
		return nil, fmt.Errorf("imgproc: no encoder for %q", format)
	}
	if err != nil {
		return nil, fmt.Errorf("imgproc: encoding %s: %w", format, err)
	}
	return buf.Bytes(), nil
}

// jpegReady returns an image the JPEG encoder takes through a fast path
// (*image.YCbCr, *image.Gray or *image.RGBA), flattening transparency
// onto white as OSS does for JPEG output.
func jpegReady(img image.Image) image.Image {
	switch m := img.(type) {
	case *image.YCbCr, *image.Gray:
		return m
	case *image.NRGBA:
		return nrgbaOverWhite(m)
	}
	return nrgbaOverWhite(toNRGBA(img))
}

func nrgbaOverWhite(m *image.NRGBA) *image.RGBA {
	b := m.Rect
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		src := m.Pix[y*m.Stride : y*m.Stride+4*b.Dx()]
		dst := out.Pix[y*out.Stride:]
		for i := 0; i < len(src); i += 4 {
			a := uint32(src[i+3])
			if a == 255 {
				dst[i], dst[i+1], dst[i+2], dst[i+3] = src[i], src[i+1], src[i+2], 255
				continue
			}
			inv := (255 - a) * 255
			dst[i] = uint8((uint32(src[i])*a + inv + 127) / 255)
			dst[i+1] = uint8((uint32(src[i+1])*a + inv + 127) / 255)
			dst[i+2] = uint8((uint32(src[i+2])*a + inv + 127) / 255)
			dst[i+3] = 255
		}
	}
	return out
}

// pngReady converts planar images, which the PNG, BMP and TIFF encoders
// only read pixel by pixel, to NRGBA.
func pngReady(img image.Image) image.Image {
	switch img.(type) {
	case *image.YCbCr, *image.CMYK:
		return toNRGBA(img)
	}
	return img
}

// isOpaque reports whether img has no transparent pixel.
func isOpaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}
