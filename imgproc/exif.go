package imgproc

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// A small, bounded EXIF/TIFF reader. It never allocates more than a few
// kilobytes whatever the input, follows at most the IFD0 → Exif and GPS
// sub-IFD links (no loops), and treats every out-of-range offset as the
// end of the data.

const (
	maxIFDEntries   = 512
	maxEXIFString   = 256
	maxEXIFValues   = 16 // values of one array tag that are reported
	tagOrientation  = 0x0112
	tagExifIFD      = 0x8769
	tagGPSIFD       = 0x8825
	maxJPEGSegments = 1024
)

// exifData is what the reader extracts: the orientation (1 when absent or
// invalid) and known tags formatted for info.
type exifData struct {
	Orientation int
	Fields      map[string]string
}

// jpegMeta is what a scan of a JPEG's markers (up to the first scan)
// yields: the Exif TIFF block and the first luminance quantization table.
type jpegMeta struct {
	exif     []byte
	lumQuant []int // 64 entries or nil
}

// scanJPEG walks the JPEG marker segments before the first SOS.
func scanJPEG(b []byte) jpegMeta {
	var m jpegMeta
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return m
	}
	pos := 2
	for n := 0; n < maxJPEGSegments; n++ {
		for pos < len(b) && b[pos] != 0xFF {
			pos++ // garbage between segments
		}
		for pos < len(b) && b[pos] == 0xFF {
			pos++ // fill bytes
		}
		if pos >= len(b) {
			return m
		}
		marker := b[pos]
		pos++
		if marker == 0x01 || marker >= 0xD0 && marker <= 0xD8 {
			continue // no payload
		}
		if marker == 0xDA || marker == 0xD9 || pos+2 > len(b) {
			return m
		}
		length := be16(b[pos:])
		if length < 2 || pos+length > len(b) {
			return m
		}
		seg := b[pos+2 : pos+length]
		pos += length
		switch marker {
		case 0xE1:
			if m.exif == nil && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
				m.exif = seg[6:]
			}
		case 0xDB:
			m.lumQuant = parseDQT(seg, m.lumQuant)
		}
	}
	return m
}

// parseDQT returns table 0 of a DQT segment, or prev when it has none.
func parseDQT(seg []byte, prev []int) []int {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		size := 64
		if pq != 0 {
			size = 128
		}
		if len(seg) < 1+size {
			return prev
		}
		if tq == 0 && prev == nil {
			t := make([]int, 64)
			for i := range t {
				if pq == 0 {
					t[i] = int(seg[1+i])
				} else {
					t[i] = int(binary.BigEndian.Uint16(seg[1+2*i:]))
				}
			}
			prev = t
		}
		seg = seg[1+size:]
	}
	return prev
}

// stdLumQuant is the IJG/Annex K luminance table used at quality 50.
var stdLumQuant = [64]int{
	16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
	14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
	18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
	49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
}

// zigzag maps the zig-zag position of a DQT entry to its natural index.
var zigzag = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// estimateJPEGQuality inverts the IJG quality scaling from a luminance
// table (in the zig-zag order of the DQT segment), ignoring entries
// clamped at 1 or 255; 0 means unknown.
func estimateJPEGQuality(t []int) int {
	if len(t) != 64 {
		return 0
	}
	sum, std, low, high := 0, 0, 0, 0
	for k, v := range t {
		switch {
		case v <= 1:
			low++
		case v >= 255:
			high++
		default:
			sum += v
			std += stdLumQuant[zigzag[k]]
		}
	}
	if std == 0 {
		if high > low {
			return 1
		}
		return 100
	}
	scale := float64(sum) * 100 / float64(std)
	var q float64
	if scale <= 100 {
		q = (200 - scale) / 2
	} else {
		q = 5000 / scale
	}
	return min(max(int(q+0.5), 1), 100)
}

// tiffReader reads values of a TIFF structure with bounds checks.
type tiffReader struct {
	b     []byte
	order binary.ByteOrder
}

func (r *tiffReader) u16(off int) (int, bool) {
	if off < 0 || off+2 > len(r.b) {
		return 0, false
	}
	return int(r.order.Uint16(r.b[off:])), true
}

func (r *tiffReader) u32(off int) (uint32, bool) {
	if off < 0 || off+4 > len(r.b) {
		return 0, false
	}
	return r.order.Uint32(r.b[off:]), true
}

// parseEXIF parses a TIFF-structured block (the payload of a JPEG Exif
// APP1 after "Exif\0\0", or a whole TIFF file).
func parseEXIF(b []byte) *exifData {
	d := &exifData{Orientation: 1, Fields: map[string]string{}}
	if len(b) < 8 {
		return d
	}
	r := &tiffReader{b: b}
	switch string(b[:2]) {
	case "II":
		r.order = binary.LittleEndian
	case "MM":
		r.order = binary.BigEndian
	default:
		return d
	}
	if v, _ := r.u16(2); v != 42 {
		return d
	}
	ifd0, _ := r.u32(4)
	exifOff, gpsOff := r.readIFD(int64(ifd0), d, tiffTagNames)
	if exifOff > 0 {
		r.readIFD(exifOff, d, exifTagNames)
	}
	if gpsOff > 0 {
		r.readIFD(gpsOff, d, gpsTagNames)
	}
	if v, err := strconv.Atoi(d.Fields["Orientation"]); err == nil && v >= 1 && v <= 8 {
		d.Orientation = v
	} else {
		delete(d.Fields, "Orientation")
	}
	return d
}

// readIFD records the known tags of one IFD and returns the Exif and GPS
// sub-IFD offsets it names (0 when absent).
func (r *tiffReader) readIFD(off int64, d *exifData, names map[uint16]string) (exifOff, gpsOff int64) {
	if off < 8 || off > int64(len(r.b)) {
		return 0, 0
	}
	o := int(off)
	n, ok := r.u16(o)
	if !ok {
		return 0, 0
	}
	n = min(n, maxIFDEntries)
	for i := 0; i < n; i++ {
		e := o + 2 + 12*i
		if e+12 > len(r.b) {
			break
		}
		tag := uint16(r.order.Uint16(r.b[e:]))
		typ := int(r.order.Uint16(r.b[e+2:]))
		count := r.order.Uint32(r.b[e+4:])
		switch tag {
		case tagExifIFD:
			v, _ := r.u32(e + 8)
			exifOff = int64(v)
			continue
		case tagGPSIFD:
			v, _ := r.u32(e + 8)
			gpsOff = int64(v)
			continue
		}
		name, known := names[tag]
		if !known {
			continue
		}
		if s, ok := r.formatValue(e, typ, count); ok {
			d.Fields[name] = s
		}
	}
	return exifOff, gpsOff
}

// typeSize is the byte size of one value of a TIFF field type.
func typeSize(typ int) int {
	switch typ {
	case 1, 2, 6, 7: // BYTE ASCII SBYTE UNDEFINED
		return 1
	case 3, 8: // SHORT SSHORT
		return 2
	case 4, 9: // LONG SLONG
		return 4
	case 5, 10: // RATIONAL SRATIONAL
		return 8
	}
	return 0
}

// formatValue renders the value of the 12-byte entry at e.
func (r *tiffReader) formatValue(e, typ int, count uint32) (string, bool) {
	size := typeSize(typ)
	if size == 0 || count == 0 || count > 1<<20 {
		return "", false
	}
	total := int(count) * size
	data := e + 8
	if total > 4 {
		v, _ := r.u32(e + 8)
		if int64(v)+int64(total) > int64(len(r.b)) {
			return "", false
		}
		data = int(v)
	}
	switch typ {
	case 2: // ASCII
		s := r.b[data : data+min(total, maxEXIFString)]
		if i := strings.IndexByte(string(s), 0); i >= 0 {
			s = s[:i]
		}
		str := strings.TrimSpace(string(s))
		if str == "" || !printable(str) {
			return "", false
		}
		return str, true
	case 7: // UNDEFINED: report only short printable values (ExifVersion "0230")
		if total > 32 {
			return "", false
		}
		str := string(r.b[data : data+total])
		if !printable(str) {
			return "", false
		}
		return str, true
	}
	n := min(int(count), maxEXIFValues)
	parts := make([]string, 0, n)
	for i := 0; i < n; i++ {
		p := data + i*size
		var s string
		switch typ {
		case 1:
			s = strconv.Itoa(int(r.b[p]))
		case 6:
			s = strconv.Itoa(int(int8(r.b[p])))
		case 3:
			s = strconv.Itoa(int(r.order.Uint16(r.b[p:])))
		case 8:
			s = strconv.Itoa(int(int16(r.order.Uint16(r.b[p:]))))
		case 4:
			s = strconv.FormatUint(uint64(r.order.Uint32(r.b[p:])), 10)
		case 9:
			s = strconv.Itoa(int(int32(r.order.Uint32(r.b[p:]))))
		case 5:
			s = strconv.FormatUint(uint64(r.order.Uint32(r.b[p:])), 10) + "/" + strconv.FormatUint(uint64(r.order.Uint32(r.b[p+4:])), 10)
		case 10:
			s = strconv.Itoa(int(int32(r.order.Uint32(r.b[p:])))) + "/" + strconv.Itoa(int(int32(r.order.Uint32(r.b[p+4:]))))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", "), true
}

func printable(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 || c == 0x7F {
			return false
		}
	}
	return true
}

// Tag names reported by info, by IFD.
var tiffTagNames = map[uint16]string{
	0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x0112: "Orientation",
	0x011A: "XResolution", 0x011B: "YResolution", 0x0128: "ResolutionUnit",
	0x0131: "Software", 0x0132: "DateTime", 0x013B: "Artist", 0x8298: "Copyright",
}

var exifTagNames = map[uint16]string{
	0x829A: "ExposureTime", 0x829D: "FNumber", 0x8822: "ExposureProgram", 0x8827: "ISOSpeedRatings",
	0x9000: "ExifVersion", 0x9003: "DateTimeOriginal", 0x9004: "DateTimeDigitized",
	0x9201: "ShutterSpeedValue", 0x9202: "ApertureValue", 0x9204: "ExposureBiasValue",
	0x9207: "MeteringMode", 0x9209: "Flash", 0x920A: "FocalLength", 0xA001: "ColorSpace",
	0xA002: "PixelXDimension", 0xA003: "PixelYDimension", 0xA402: "ExposureMode",
	0xA403: "WhiteBalance", 0xA405: "FocalLengthIn35mmFilm", 0xA406: "SceneCaptureType",
	0xA434: "LensModel",
}

var gpsTagNames = map[uint16]string{
	0x0001: "GPSLatitudeRef", 0x0002: "GPSLatitude", 0x0003: "GPSLongitudeRef", 0x0004: "GPSLongitude",
	0x0005: "GPSAltitudeRef", 0x0006: "GPSAltitude", 0x0007: "GPSTimeStamp", 0x001D: "GPSDateStamp",
}
