package imgproc

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Limits bounds what a Processor accepts and produces. A zero field means
// the DefaultLimits value.
type Limits struct {
	MaxSourceBytes  int64 // source object size
	MaxSide         int   // source width or height
	MaxPixels       int64 // source width×height (×frames for GIF)
	MaxOutputSide   int   // result width or height
	MaxOutputPixels int64 // result width×height
}

// DefaultLimits returns the OSS limits: 20 MiB sources, sides up to 30000
// px, 250 M px (GIF frames counted), results up to 16384 px a side and
// 16777216 px.
func DefaultLimits() Limits {
	return Limits{
		MaxSourceBytes:  20 << 20,
		MaxSide:         30000,
		MaxPixels:       250_000_000,
		MaxOutputSide:   16384,
		MaxOutputPixels: 16_777_216,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxSourceBytes <= 0 {
		l.MaxSourceBytes = d.MaxSourceBytes
	}
	if l.MaxSide <= 0 {
		l.MaxSide = d.MaxSide
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = d.MaxPixels
	}
	if l.MaxOutputSide <= 0 {
		l.MaxOutputSide = d.MaxOutputSide
	}
	if l.MaxOutputPixels <= 0 {
		l.MaxOutputPixels = d.MaxOutputPixels
	}
	return l
}

// Source formats, named as OSS names them in info's Format.
const (
	fmtJPEG = "jpg"
	fmtPNG  = "png"
	fmtGIF  = "gif"
	fmtBMP  = "bmp"
	fmtTIFF = "tiff"
	fmtWebP = "webp"
)

// sniffFormat identifies a supported image by its magic bytes.
func sniffFormat(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return fmtJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return fmtPNG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return fmtGIF
	case bytes.HasPrefix(b, []byte("BM")):
		return fmtBMP
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return fmtTIFF
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return fmtWebP
	}
	return ""
}

// decodeConfig reads only the header of an image of the given format.
func decodeConfig(format string, b []byte) (image.Config, error) {
	r := bytes.NewReader(b)
	switch format {
	case fmtJPEG:
		return jpeg.DecodeConfig(r)
	case fmtPNG:
		return png.DecodeConfig(r)
	case fmtGIF:
		return gif.DecodeConfig(r)
	case fmtBMP:
		return bmp.DecodeConfig(r)
	case fmtTIFF:
		return tiff.DecodeConfig(r)
	case fmtWebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, invalidf("unsupported source format")
}

// decodeImage decodes the first frame of an image.
func decodeImage(format string, b []byte) (image.Image, error) {
	r := bytes.NewReader(b)
	switch format {
	case fmtJPEG:
		return jpeg.Decode(r)
	case fmtPNG:
		return png.Decode(r)
	case fmtGIF:
		return gif.Decode(r)
	case fmtBMP:
		return bmp.Decode(r)
	case fmtTIFF:
		return tiff.Decode(r)
	case fmtWebP:
		return webp.Decode(r)
	}
	return nil, invalidf("unsupported source format")
}

// srcHeader is what is known about a source before it is decoded.
type srcHeader struct {
	format string
	width  int
	height int
	frames int // GIF frames; 1 otherwise
}

// checkSource applies the image-bomb guard: it reads only headers and
// refuses sources whose declared size exceeds the limits, before any
// pixel buffer is allocated.
func (l Limits) checkSource(b []byte) (srcHeader, error) {
	h := srcHeader{format: sniffFormat(b), frames: 1}
	if h.format == "" {
		return h, invalidf("the source is not a supported image (jpg, png, gif, bmp, tiff, webp)")
	}
	cfg, err := decodeConfig(h.format, b)
	if err != nil {
		return h, invalidf("the source %s image header cannot be read: %v", h.format, err)
	}
	h.width, h.height = cfg.Width, cfg.Height
	if h.width <= 0 || h.height <= 0 {
		return h, invalidf("the source image has no pixels (%dx%d)", h.width, h.height)
	}
	if h.width > l.MaxSide || h.height > l.MaxSide {
		return h, errf(CodeImageTooLarge, "the source image is %dx%d; each side must be at most %d px", h.width, h.height, l.MaxSide)
	}
	if h.format == fmtGIF {
		h.frames = gifFrameCount(b)
		if h.frames < 1 {
			h.frames = 1
		}
	}
	px := int64(h.width) * int64(h.height)
	if px*int64(h.frames) > l.MaxPixels {
		if h.frames > 1 {
			return h, errf(CodeImageTooLarge, "the source GIF is %dx%d with %d frames (%d px); at most %d px are allowed", h.width, h.height, h.frames, px*int64(h.frames), l.MaxPixels)
		}
		return h, errf(CodeImageTooLarge, "the source image is %dx%d (%d px); at most %d px are allowed", h.width, h.height, px, l.MaxPixels)
	}
	return h, nil
}

// checkOutput refuses results beyond the output limits.
func (l Limits) checkOutput(w, h int) error {
	if w > l.MaxOutputSide || h > l.MaxOutputSide {
		return errf(CodeImageTooLarge, "the result would be %dx%d; each side must be at most %d px", w, h, l.MaxOutputSide)
	}
	if int64(w)*int64(h) > l.MaxOutputPixels {
		return errf(CodeImageTooLarge, "the result would be %dx%d (%d px); at most %d px are allowed", w, h, int64(w)*int64(h), l.MaxOutputPixels)
	}
	return nil
}

// checkIntermediate bounds an image between two actions: it may be as
// large as the source or as the output limit, whichever is larger, so an
// enlarging step followed by a shrinking one cannot exhaust memory.
func (l Limits) checkIntermediate(action string, w, h int, src srcHeader) error {
	maxSide := max(l.MaxOutputSide, src.width, src.height)
	maxPx := max(l.MaxOutputPixels, int64(src.width)*int64(src.height))
	if w > maxSide || h > maxSide || int64(w)*int64(h) > maxPx {
		return errf(CodeImageTooLarge, "%s: the image would become %dx%d, beyond the limit of %d px a side and %d px", action, w, h, maxSide, maxPx)
	}
	if w < 1 || h < 1 {
		return invalidf("%s: the image would become empty (%dx%d)", action, w, h)
	}
	return nil
}

// gifFrameCount counts the image descriptors of a GIF by walking its
// block structure without decompressing anything. It stops at the
// trailer, at the end of the data, or at a malformed block.
func gifFrameCount(b []byte) int {
	if len(b) < 13 {
		return 0
	}
	pos := 13
	if b[10]&0x80 != 0 {
		pos += 3 << (int(b[10]&7) + 1)
	}
	frames := 0
	skipSubBlocks := func(p int) int {
		for p < len(b) {
			n := int(b[p])
			p++
			if n == 0 {
				return p
			}
			p += n
		}
		return -1
	}
	for pos < len(b) {
		switch b[pos] {
		case 0x21: // extension: label, then sub-blocks
			if pos+2 > len(b) {
				return frames
			}
			if pos = skipSubBlocks(pos + 2); pos < 0 {
				return frames
			}
		case 0x2C: // image descriptor
			frames++
			if pos+10 > len(b) {
				return frames
			}
			flags := b[pos+9]
			pos += 10
			if flags&0x80 != 0 {
				pos += 3 << (int(flags&7) + 1)
			}
			pos++ // LZW minimum code size
			if pos > len(b) {
				return frames
			}
			if pos = skipSubBlocks(pos); pos < 0 {
				return frames
			}
		default: // 0x3B trailer or garbage
			return frames
		}
	}
	return frames
}

// be16 and friends read big-endian values; callers check bounds.
func be16(b []byte) int { return int(binary.BigEndian.Uint16(b)) }
