package imgproc

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestParseEXIF(t *testing.T) {
	rational := tiffEntry{tag: 0x011A, typ: 5, count: 1, value: []byte{0, 0, 0, 72, 0, 0, 0, 1}}
	gpsless := buildEXIF(
		[]tiffEntry{shortEntry(tagOrientation, 8), asciiEntry(0x0110, "Model X"), rational, asciiEntry(0x0131, "\x01bad")},
		[]tiffEntry{asciiEntry(0x9003, "2020:02:02 02:02:02"), {tag: 0x9000, typ: 7, count: 4, value: []byte("0230")}, {tag: 0x8827, typ: 3, count: 2, value: []byte{0, 100, 0, 200}}},
	)
	d := parseEXIF(gpsless)
	want := map[string]string{
		"Orientation": "8", "Model": "Model X", "XResolution": "72/1",
		"DateTimeOriginal": "2020:02:02 02:02:02", "ExifVersion": "0230", "ISOSpeedRatings": "100, 200",
	}
	if d.Orientation != 8 {
		t.Errorf("orientation %d", d.Orientation)
	}
	for k, v := range want {
		if d.Fields[k] != v {
			t.Errorf("%s = %q, want %q", k, d.Fields[k], v)
		}
	}
	if _, ok := d.Fields["Software"]; ok {
		t.Error("unprintable ASCII value reported")
	}
	// Little-endian, via a JPEG.
	le := []byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00")
	jm := scanJPEG(withEXIF(encodeJPEG(t, gradient(8, 8), 75), le))
	if d := parseEXIF(jm.exif); d.Orientation != 6 {
		t.Errorf("little-endian orientation %d", d.Orientation)
	}
	// Invalid orientations fall back to 1.
	for _, o := range []uint16{0, 9, 65535} {
		if d := parseEXIF(orientationEXIF(o)); d.Orientation != 1 || d.Fields["Orientation"] != "" {
			t.Errorf("orientation %d: got %d %q", o, d.Orientation, d.Fields["Orientation"])
		}
	}
	// Garbage never panics and yields orientation 1.
	for _, b := range [][]byte{nil, []byte("MM"), []byte("MM\x00\x2a\xff\xff\xff\xff"), []byte("XX\x00\x2a\x00\x00\x00\x08")} {
		if d := parseEXIF(b); d.Orientation != 1 {
			t.Errorf("garbage %q: orientation %d", b, d.Orientation)
		}
	}
}

func TestEXIFSelfReferenceIsBounded(t *testing.T) {
	// An Exif IFD pointer that points back at IFD0 must not loop.
	var b bytes.Buffer
	b.WriteString("MM\x00\x2a\x00\x00\x00\x08")
	binary.Write(&b, binary.BigEndian, uint16(2))
	for _, e := range [][3]uint32{{tagExifIFD, 4, 8}, {tagGPSIFD, 4, 8}} {
		binary.Write(&b, binary.BigEndian, uint16(e[0]))
		binary.Write(&b, binary.BigEndian, uint16(e[1]))
		binary.Write(&b, binary.BigEndian, uint32(1))
		binary.Write(&b, binary.BigEndian, e[2])
	}
	if d := parseEXIF(b.Bytes()); d.Orientation != 1 {
		t.Errorf("orientation %d", d.Orientation)
	}
}

func TestJPEGQualityEstimate(t *testing.T) {
	for _, q := range []int{10, 30, 50, 75, 90, 100} {
		jm := scanJPEG(encodeJPEG(t, gradient(16, 16), q))
		if got := estimateJPEGQuality(jm.lumQuant); abs(got-q) > 1 {
			t.Errorf("quality %d estimated as %d", q, got)
		}
	}
	if estimateJPEGQuality(nil) != 0 {
		t.Error("unknown table")
	}
}

// FuzzEXIF feeds arbitrary bytes to the JPEG marker scan and the TIFF
// reader, both as a JPEG body and as a bare TIFF block.
func FuzzEXIF(f *testing.F) {
	f.Add(orientationEXIF(6))
	f.Add(buildEXIF([]tiffEntry{asciiEntry(0x010F, "Make")}, []tiffEntry{asciiEntry(0x9003, "x")}))
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\xff\xff"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := parseEXIF(b)
		if d.Orientation < 1 || d.Orientation > 8 {
			t.Fatalf("orientation %d", d.Orientation)
		}
		for k, v := range d.Fields {
			if len(v) > 16*24 || !printable(v) {
				t.Fatalf("field %s = %q", k, v)
			}
		}
		jpg := append([]byte{0xFF, 0xD8}, b...)
		jm := scanJPEG(jpg)
		parseEXIF(jm.exif)
		if q := estimateJPEGQuality(jm.lumQuant); q < 0 || q > 100 {
			t.Fatalf("quality %d", q)
		}
		gifFrameCount(append([]byte("GIF89a"), b...))
	})
}
