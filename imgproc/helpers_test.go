package imgproc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"
	"testing"
)

// gradient is a smooth synthetic test image: red grows with x, green
// with y, blue is constant.
func gradient(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / max(1, w-1)), uint8(y * 255 / max(1, h-1)), 128, 255})
		}
	}
	return m
}

// quadrants is a w×h image whose four quadrants are red, green, blue and
// white (nw, ne, sw, se).
func quadrants(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.NRGBA
			switch {
			case x < w/2 && y < h/2:
				c = color.NRGBA{255, 0, 0, 255}
			case y < h/2:
				c = color.NRGBA{0, 255, 0, 255}
			case x < w/2:
				c = color.NRGBA{0, 0, 255, 255}
			default:
				c = color.NRGBA{255, 255, 255, 255}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tiffEntry is one IFD entry for buildEXIF.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // raw bytes, inline if ≤4
}

// buildEXIF builds a big-endian TIFF block with one IFD0 and optionally
// an Exif sub-IFD.
func buildEXIF(ifd0 []tiffEntry, exifIFD []tiffEntry) []byte {
	var b bytes.Buffer
	b.WriteString("MM\x00\x2a")
	binary.Write(&b, binary.BigEndian, uint32(8))
	if len(exifIFD) > 0 {
		ifd0 = append(ifd0, tiffEntry{tag: tagExifIFD, typ: 4, count: 1})
	}
	// Layout: IFD0 at 8, then its data, then the Exif IFD and its data.
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	dataSize := func(es []tiffEntry) int {
		n := 0
		for _, e := range es {
			if len(e.value) > 4 {
				n += len(e.value)
			}
		}
		return n
	}
	exifOff := 8 + ifdSize(len(ifd0)) + dataSize(ifd0)
	write := func(es []tiffEntry, base int) {
		data := base + ifdSize(len(es))
		binary.Write(&b, binary.BigEndian, uint16(len(es)))
		var blob []byte
		for _, e := range es {
			binary.Write(&b, binary.BigEndian, e.tag)
			binary.Write(&b, binary.BigEndian, e.typ)
			binary.Write(&b, binary.BigEndian, e.count)
			switch {
			case e.tag == tagExifIFD:
				binary.Write(&b, binary.BigEndian, uint32(exifOff))
			case len(e.value) <= 4:
				v := make([]byte, 4)
				copy(v, e.value)
				b.Write(v)
			default:
				binary.Write(&b, binary.BigEndian, uint32(data+len(blob)))
				blob = append(blob, e.value...)
			}
		}
		binary.Write(&b, binary.BigEndian, uint32(0))
		b.Write(blob)
	}
	write(ifd0, 8)
	if len(exifIFD) > 0 {
		write(exifIFD, exifOff)
	}
	return b.Bytes()
}

func shortEntry(tag uint16, v uint16) tiffEntry {
	return tiffEntry{tag: tag, typ: 3, count: 1, value: []byte{byte(v >> 8), byte(v)}}
}

func asciiEntry(tag uint16, s string) tiffEntry {
	v := append([]byte(s), 0)
	return tiffEntry{tag: tag, typ: 2, count: uint32(len(v)), value: v}
}

// withEXIF inserts an Exif APP1 segment right after a JPEG's SOI.
func withEXIF(jpg, tiff []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

func orientationEXIF(o uint16) []byte {
	return buildEXIF([]tiffEntry{shortEntry(tagOrientation, o), asciiEntry(0x0132, "2016:01:02 03:04:05")}, nil)
}

// run parses process and runs it on src with a default processor.
func run(t testing.TB, src []byte, process string, fetch WatermarkFetcher) (*Result, error) {
	t.Helper()
	pl, err := Parse(process)
	if err != nil {
		return nil, err
	}
	return NewProcessor(DefaultLimits(), 2).Process(context.Background(), bytes.NewReader(src), int64(len(src)), pl, fetch)
}

func mustRun(t testing.TB, src []byte, process string, fetch WatermarkFetcher) (*Result, image.Image) {
	t.Helper()
	res, err := run(t, src, process, fetch)
	if err != nil {
		t.Fatalf("%s: %v", process, err)
	}
	if res.Format == "json" {
		return res, nil
	}
	img, _, err := image.Decode(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatalf("%s: result does not decode: %v", process, err)
	}
	if b := img.Bounds(); b.Dx() != res.Width || b.Dy() != res.Height {
		t.Fatalf("%s: Result says %dx%d, image is %dx%d", process, res.Width, res.Height, b.Dx(), b.Dy())
	}
	return res, img
}

func errCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "other:" + err.Error()
}

// near reports whether two colours are within tol on each channel.
func near(a, b color.Color, tol int) bool {
	x := color.NRGBAModel.Convert(a).(color.NRGBA)
	y := color.NRGBAModel.Convert(b).(color.NRGBA)
	if x.A == 0 && y.A == 0 {
		return true
	}
	d := func(p, q uint8) bool { v := int(p) - int(q); return v <= tol && v >= -tol }
	return d(x.R, y.R) && d(x.G, y.G) && d(x.B, y.B) && d(x.A, y.A)
}

func assertColor(t *testing.T, img image.Image, x, y int, want color.Color, tol int) {
	t.Helper()
	b := img.Bounds()
	got := img.At(b.Min.X+x, b.Min.Y+y)
	if !near(got, want, tol) {
		t.Errorf("pixel (%d,%d) = %v, want %v ±%d", x, y, color.NRGBAModel.Convert(got), want, tol)
	}
}

// memFetcher serves watermark images from a map.
type memFetcher map[string][]byte

func (m memFetcher) Fetch(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	b, ok := m[key]
	if !ok {
		return nil, 0, errors.New("NoSuchKey")
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func itoa(v int) string { return strconv.Itoa(v) }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func fmtSscanf(s string, r, g, b *int) (int, error) { return fmt.Sscanf(s, "0x%02x%02x%02x", r, g, b) }

// noise is an incompressible test image.
func noise(w, h int, seed uint32) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		seed = seed*1664525 + 1013904223
		m.Pix[i] = uint8(seed >> 24)
		if i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	return m
}
