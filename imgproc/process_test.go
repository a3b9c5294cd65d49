package imgproc

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"
)

var (
	red         = color.NRGBA{255, 0, 0, 255}
	green       = color.NRGBA{0, 255, 0, 255}
	blue        = color.NRGBA{0, 0, 255, 255}
	white       = color.NRGBA{255, 255, 255, 255}
	transparent = color.NRGBA{0, 0, 0, 0}
)

func TestResizeDimensions(t *testing.T) {
	png := encodePNG(t, gradient(400, 200))
	jpg := encodeJPEG(t, gradient(400, 200), 90)
	cases := []struct {
		process string
		w, h    int
	}{
		{"image/resize,w_100", 100, 50},
		{"image/resize,h_100", 200, 100},
		{"image/resize,w_100,h_100", 100, 50},          // lfit
		{"image/resize,m_mfit,w_100,h_100", 200, 100},  // covers the box
		{"image/resize,m_fill,w_100,h_100", 100, 100},  // covers then crops
		{"image/resize,m_pad,w_100,h_100", 100, 100},   // fits then pads
		{"image/resize,m_fixed,w_100,h_30", 100, 30},   // distorts
		{"image/resize,m_fixed,w_100", 100, 100},       // missing side = given side
		{"image/resize,m_fill,h_60", 60, 60},           // idem
		{"image/resize,l_100", 100, 50},                // long side
		{"image/resize,s_100", 200, 100},               // short side
		{"image/resize,l_100,s_20", 40, 20},            // both: lfit
		{"image/resize,p_50", 200, 100},                // percent
		{"image/resize,p_150", 600, 300},               // p enlarges regardless of limit
		{"image/resize,w_800", 400, 200},               // limit_1: no enlarging
		{"image/resize,w_800,limit_0", 800, 400},       // limit_0 enlarges
		{"image/resize,m_fixed,w_800,h_100", 400, 200}, // fixed enlarging one side: unchanged
		{"image/resize,m_pad,w_100,h_100,color_FF0000", 100, 100},
		{"image/resize,w_1,h_1", 1, 1},
	}
	for _, src := range [][]byte{png, jpg} {
		for _, c := range cases {
			res, _ := mustRun(t, src, c.process, nil)
			if res.Width != c.w || res.Height != c.h {
				t.Errorf("%s on %s: %dx%d, want %dx%d", c.process, sniffFormat(src), res.Width, res.Height, c.w, c.h)
			}
		}
	}
}

func TestResizePixels(t *testing.T) {
	q := quadrants(400, 200)
	for _, src := range [][]byte{encodePNG(t, q), encodeJPEG(t, q, 95)} {
		f := sniffFormat(src)
		_, img := mustRun(t, src, "image/resize,w_100/format,png", nil)
		assertColor(t, img, 10, 10, red, 40)
		assertColor(t, img, 90, 10, green, 40)
		assertColor(t, img, 10, 40, blue, 40)
		assertColor(t, img, 90, 40, white, 40)

		// pad: a 100×100 canvas with the 100×50 image centred on red.
		_, img = mustRun(t, src, "image/resize,m_pad,w_100,h_100,color_FF0000/format,png", nil)
		assertColor(t, img, 50, 5, red, 10)
		assertColor(t, img, 50, 95, red, 10)
		assertColor(t, img, 10, 35, red, 40) // nw quadrant, red anyway
		assertColor(t, img, 90, 35, green, 40)
		assertColor(t, img, 90, 65, white, 40)

		// fill: the central 200×200 of the source, so nw is red at the
		// top left and se white at the bottom right.
		_, img = mustRun(t, src, "image/resize,m_fill,w_50,h_50/format,png", nil)
		assertColor(t, img, 5, 5, red, 40)
		assertColor(t, img, 45, 5, green, 40)
		assertColor(t, img, 5, 45, blue, 40)
		assertColor(t, img, 45, 45, white, 40)
		if t.Failed() {
			t.Fatalf("source %s", f)
		}
	}
}

func TestFastPathMatchesGeneric(t *testing.T) {
	// The YCbCr fast path (JPEG + leading resize; DCT-domain 1/8 decode
	// from a reduction of 8 on) and the generic path (resize after
	// another action) must agree closely.
	src := encodeJPEG(t, gradient(1280, 960), 95)
	for _, c := range []struct {
		resize string
		tol    int
	}{
		{"resize,w_640", 6},                        // 2×: full decode + area filter
		{"resize,w_160", 6},                        // 8×: DC decode
		{"resize,w_100,h_100,m_fill", 6},           // DC decode of the centre
		{"resize,w_50,h_50,m_pad,color_00FF00", 6}, // DC decode, then pad
		{"resize,p_5", 6},
	} {
		fast, fimg := mustRun(t, src, "image/"+c.resize+"/format,png", nil)
		slow, simg := mustRun(t, src, "image/bright,0/"+c.resize+"/format,png", nil)
		if fast.Width != slow.Width || fast.Height != slow.Height {
			t.Fatalf("%s: %dx%d vs %dx%d", c.resize, fast.Width, fast.Height, slow.Width, slow.Height)
		}
		w, h := fast.Width, fast.Height
		bad := 0
		for y := 1; y < h-1; y++ {
			for x := 1; x < w-1; x++ {
				if !near(fimg.At(x, y), simg.At(x, y), c.tol) {
					bad++
					if bad < 3 {
						t.Errorf("%s (%d,%d): fast %v generic %v", c.resize, x, y, fimg.At(x, y), simg.At(x, y))
					}
				}
			}
		}
	}
}

func TestCrop(t *testing.T) {
	src := encodePNG(t, quadrants(300, 300))
	cases := []struct {
		process string
		w, h    int
		at      color.NRGBA // colour at the centre of the result
	}{
		{"image/crop,w_100,h_100", 100, 100, red},
		{"image/crop,w_100,h_100,g_ne", 100, 100, green},
		{"image/crop,w_100,h_100,g_sw", 100, 100, blue},
		{"image/crop,w_100,h_100,g_se", 100, 100, white},
		{"image/crop,w_100,h_100,x_160,y_160", 100, 100, white},
		{"image/crop,w_50,h_50,g_se,x_10,y_10", 40, 40, white}, // clipped at the edge
		{"image/crop,x_200", 100, 300, white},                  // w defaults to the rest
		{"image/crop,w_1000,h_1000", 300, 300, white},          // centre of the whole
		{"image/crop,w_10,h_10,g_center", 10, 10, white},
		{"image/crop,w_10,h_300,g_north", 10, 300, white},
	}
	for _, c := range cases {
		res, img := mustRun(t, src, c.process, nil)
		if res.Width != c.w || res.Height != c.h {
			t.Errorf("%s: %dx%d, want %dx%d", c.process, res.Width, res.Height, c.w, c.h)
			continue
		}
		assertColor(t, img, c.w/2, c.h/2, c.at, 0)
	}
	if _, err := run(t, src, "image/crop,x_300", nil); errCode(err) != CodeBadRequest {
		t.Errorf("crop origin outside: %v", err)
	}
}

func TestIndexCrop(t *testing.T) {
	src := encodePNG(t, quadrants(300, 200))
	cases := []struct {
		process string
		w, h    int
		at      color.NRGBA
	}{
		{"image/indexcrop,x_100,i_0", 100, 200, red},
		{"image/indexcrop,x_100,i_2", 100, 200, green},
		{"image/indexcrop,x_120,i_2", 60, 200, green},  // last partial slice
		{"image/indexcrop,x_100,i_5", 300, 200, green}, // past the end: whole image
		{"image/indexcrop,y_50,i_3", 300, 50, white},
	}
	for _, c := range cases {
		res, img := mustRun(t, src, c.process, nil)
		if res.Width != c.w || res.Height != c.h {
			t.Errorf("%s: %dx%d, want %dx%d", c.process, res.Width, res.Height, c.w, c.h)
			continue
		}
		assertColor(t, img, c.w/2, c.h/4, c.at, 0)
	}
}

func TestCircleAndRoundedCorners(t *testing.T) {
	src := encodePNG(t, quadrants(200, 100))
	res, img := mustRun(t, src, "image/circle,r_40", nil)
	if res.Width != 80 || res.Height != 80 || res.Format != "png" {
		t.Fatalf("circle: %dx%d %s", res.Width, res.Height, res.Format)
	}
	assertColor(t, img, 0, 0, transparent, 0)
	assertColor(t, img, 79, 79, transparent, 0)
	assertColor(t, img, 30, 10, red, 0) // inside the circle: opaque
	assertColor(t, img, 25, 25, red, 0)
	// Radius larger than half the short side is clamped.
	if res, _ := mustRun(t, src, "image/circle,r_1000", nil); res.Width != 100 {
		t.Errorf("clamped circle: %d", res.Width)
	}
	// JPEG output: outside the circle is white.
	_, img = mustRun(t, src, "image/circle,r_40/format,jpg", nil)
	assertColor(t, img, 1, 1, white, 8)

	res, img = mustRun(t, src, "image/rounded-corners,r_20", nil)
	if res.Width != 200 || res.Height != 100 {
		t.Fatalf("rounded: %dx%d", res.Width, res.Height)
	}
	assertColor(t, img, 0, 0, transparent, 0)
	assertColor(t, img, 199, 99, transparent, 0)
	assertColor(t, img, 20, 0, red, 0)
	assertColor(t, img, 10, 10, red, 10)
}

func TestRotate(t *testing.T) {
	src := encodePNG(t, quadrants(200, 100))
	res, img := mustRun(t, src, "image/rotate,90", nil)
	if res.Width != 100 || res.Height != 200 {
		t.Fatalf("rotate 90: %dx%d", res.Width, res.Height)
	}
	// Clockwise: the nw (red) quadrant moves to the ne corner.
	assertColor(t, img, 75, 25, red, 0)
	assertColor(t, img, 25, 25, blue, 0)
	assertColor(t, img, 25, 175, white, 0)
	_, img = mustRun(t, src, "image/rotate,180", nil)
	assertColor(t, img, 25, 25, white, 0)
	res, img = mustRun(t, src, "image/rotate,270", nil)
	assertColor(t, img, 25, 175, red, 0)
	res, img = mustRun(t, src, "image/rotate,45", nil)
	if res.Width < 210 || res.Width > 214 || res.Height < 210 || res.Height > 214 {
		t.Errorf("rotate 45: %dx%d", res.Width, res.Height)
	}
	assertColor(t, img, 0, 0, transparent, 0)
	if _, _, _, a := img.At(res.Width/2, res.Height/2).RGBA(); a != 0xffff {
		t.Errorf("rotate 45: centre is not opaque")
	}
	big := encodePNG(t, image.NewGray(image.Rect(0, 0, 4097, 10)))
	if _, err := run(t, big, "image/rotate,30", nil); errCode(err) != CodeImageTooLarge {
		t.Errorf("rotate of a 4097 px wide image: %v", err)
	}
	if _, err := run(t, big, "image/rotate,90", nil); err != nil {
		t.Errorf("rotate 90 of a 4097 px wide image: %v", err)
	}
}

func TestAutoOrient(t *testing.T) {
	q := quadrants(200, 100)
	for o, want := range map[uint16][4]color.NRGBA{ // nw ne sw se of the result
		1: {red, green, blue, white},
		3: {white, blue, green, red},
		6: {blue, red, white, green},
		8: {green, white, red, blue},
		2: {green, red, white, blue},
	} {
		src := withEXIF(encodeJPEG(t, q, 95), orientationEXIF(o))
		for _, process := range []string{"image/auto-orient,1/format,png", "image/auto-orient,1/resize,w_12/format,png", "image/auto-orient,1/resize,w_50/format,png", "image/auto-orient,1/bright,0/resize,w_50/format,png"} {
			res, img := mustRun(t, src, process, nil)
			w, h := res.Width, res.Height
			if o >= 5 && h < w || o < 5 && w < h {
				t.Errorf("orientation %d %s: %dx%d", o, process, w, h)
				continue
			}
			assertColor(t, img, w/4, h/4, want[0], 40)
			assertColor(t, img, 3*w/4, h/4, want[1], 40)
			assertColor(t, img, w/4, 3*h/4, want[2], 40)
			assertColor(t, img, 3*w/4, 3*h/4, want[3], 40)
		}
	}
	// Without auto-orient the stored orientation is kept.
	src := withEXIF(encodeJPEG(t, q, 95), orientationEXIF(6))
	if res, _ := mustRun(t, src, "image/resize,w_100", nil); res.Height != 50 {
		t.Errorf("no auto-orient: %dx%d", res.Width, res.Height)
	}
	// auto-orient,1 then fill on a rotated source.
	res, img := mustRun(t, src, "image/auto-orient,1/resize,m_fill,w_40,h_20/format,png", nil)
	if res.Width != 40 || res.Height != 20 {
		t.Fatalf("orient+fill: %dx%d", res.Width, res.Height)
	}
	_ = img
}

func TestAdjustments(t *testing.T) {
	grey := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for i := range grey.Pix {
		grey.Pix[i] = 100
		if i%4 == 3 {
			grey.Pix[i] = 255
		}
	}
	src := encodePNG(t, grey)
	_, img := mustRun(t, src, "image/bright,50", nil)
	if c := color.GrayModel.Convert(img.At(20, 20)).(color.Gray); c.Y < 180 {
		t.Errorf("bright,50: %v", c)
	}
	_, img = mustRun(t, src, "image/bright,-50", nil)
	if c := color.GrayModel.Convert(img.At(20, 20)).(color.Gray); c.Y > 40 {
		t.Errorf("bright,-50: %v", c)
	}
	_, img = mustRun(t, src, "image/contrast,80", nil)
	if c := color.GrayModel.Convert(img.At(20, 20)).(color.Gray); c.Y > 80 {
		t.Errorf("contrast,80 on a dark grey should darken: %v", c)
	}
	// Blur keeps a flat image flat and softens a hard edge.
	_, img = mustRun(t, src, "image/blur,r_5,s_3", nil)
	assertColor(t, img, 0, 0, color.NRGBA{100, 100, 100, 255}, 1)
	q := encodePNG(t, quadrants(40, 40))
	_, img = mustRun(t, q, "image/blur,r_5,s_3", nil)
	c := color.NRGBAModel.Convert(img.At(19, 5)).(color.NRGBA)
	if c.R > 240 || c.G < 15 {
		t.Errorf("blur did not mix red and green at the edge: %v", c)
	}
	assertColor(t, img, 2, 2, red, 2)
	// Sharpen increases the step at an edge and keeps flat areas.
	_, img = mustRun(t, q, "image/sharpen,200", nil)
	assertColor(t, img, 5, 5, red, 0)
	if c := color.NRGBAModel.Convert(img.At(19, 5)).(color.NRGBA); c.G != 0 || c.R != 255 {
		t.Errorf("sharpen edge pixel %v", c)
	}
	_, img = mustRun(t, encodePNG(t, gradient(40, 40)), "image/sharpen,399", nil)
	_ = img
}

func TestFormatsAndQuality(t *testing.T) {
	q := quadrants(64, 48)
	src := encodePNG(t, q)
	for _, f := range []struct{ format, ct string }{
		{"jpg", "image/jpeg"}, {"png", "image/png"}, {"gif", "image/gif"}, {"bmp", "image/bmp"}, {"tiff", "image/tiff"},
	} {
		res, img := mustRun(t, src, "image/format,"+f.format, nil)
		if res.Format != f.format || res.ContentType != f.ct || sniffFormat(res.Body) != f.format {
			t.Errorf("format %s: got %s %s (sniffed %q)", f.format, res.Format, res.ContentType, sniffFormat(res.Body))
		}
		assertColor(t, img, 5, 5, red, 30)
		assertColor(t, img, 60, 40, white, 30)
	}
	// The source format is kept by default.
	jpg := encodeJPEG(t, gradient(200, 100), 90)
	if res, _ := mustRun(t, jpg, "image/resize,w_50", nil); res.Format != "jpg" {
		t.Errorf("default format: %s", res.Format)
	}
	// Quality: Q wins over q; lower quality, smaller file.
	hi, _ := mustRun(t, jpg, "image/quality,Q_95", nil)
	lo, _ := mustRun(t, jpg, "image/quality,Q_20", nil)
	both, _ := mustRun(t, jpg, "image/quality,q_100,Q_20", nil)
	if len(lo.Body) >= len(hi.Body) || len(both.Body) != len(lo.Body) {
		t.Errorf("quality sizes: Q95 %d, Q20 %d, q100+Q20 %d", len(hi.Body), len(lo.Body), len(both.Body))
	}
	// Relative q: 50% of a quality-90 source is about quality 45.
	rel, _ := mustRun(t, jpg, "image/quality,q_50", nil)
	abs45, _ := mustRun(t, jpg, "image/quality,Q_45", nil)
	if len(rel.Body) != len(abs45.Body) {
		t.Errorf("q_50 of a q90 JPEG: %d bytes, Q_45: %d bytes", len(rel.Body), len(abs45.Body))
	}
	// interlace is accepted; output stays a decodable baseline JPEG.
	if res, _ := mustRun(t, jpg, "image/interlace,1", nil); res.Format != "jpg" {
		t.Errorf("interlace: %s", res.Format)
	}
}

func TestInfoAndAverageHue(t *testing.T) {
	exif := buildEXIF([]tiffEntry{
		shortEntry(tagOrientation, 6),
		asciiEntry(0x0132, "2016:01:02 03:04:05"),
		asciiEntry(0x010F, "Camera Maker"),
	}, []tiffEntry{asciiEntry(0x9003, "2015:12:31 23:59:59")})
	src := withEXIF(encodeJPEG(t, gradient(120, 80), 90), exif)
	res, _ := mustRun(t, src, "image/info", nil)
	if res.ContentType != "application/json" {
		t.Fatalf("content type %s", res.ContentType)
	}
	var info map[string]struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(res.Body, &info); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"FileSize": itoa(len(src)), "Format": "jpg", "ImageWidth": "120", "ImageHeight": "80",
		"Orientation": "6", "DateTime": "2016:01:02 03:04:05", "Make": "Camera Maker", "DateTimeOriginal": "2015:12:31 23:59:59",
	}
	for k, v := range want {
		if info[k].Value != v {
			t.Errorf("info %s = %q, want %q (%s)", k, info[k].Value, v, res.Body)
		}
	}
	if !strings.HasPrefix(string(res.Body), `{"DateTime":`) {
		t.Errorf("keys are not sorted: %s", res.Body)
	}
	// info after a transform describes the result.
	res, _ = mustRun(t, src, "image/resize,w_60/format,png/info", nil)
	json.Unmarshal(res.Body, &info)
	if info["ImageWidth"].Value != "60" || info["Format"].Value != "png" {
		t.Errorf("info after resize: %s", res.Body)
	}

	flat := image.NewNRGBA(image.Rect(0, 0, 30, 30))
	for i := 0; i < len(flat.Pix); i += 4 {
		copy(flat.Pix[i:], []byte{0x5c, 0x78, 0x3b, 255})
	}
	res, _ = mustRun(t, encodePNG(t, flat), "image/average-hue", nil)
	if string(res.Body) != `{"RGB":"0x5c783b"}` {
		t.Errorf("average-hue: %s", res.Body)
	}
	res, _ = mustRun(t, encodeJPEG(t, flat, 100), "image/average-hue", nil)
	var hue map[string]string
	json.Unmarshal(res.Body, &hue)
	if !strings.HasPrefix(hue["RGB"], "0x") || len(hue["RGB"]) != 8 {
		t.Errorf("average-hue of a JPEG: %s", res.Body)
	}
	var r, g, b int
	if _, err := fmtSscanf(hue["RGB"], &r, &g, &b); err != nil || abs(r-0x5c) > 4 || abs(g-0x78) > 4 || abs(b-0x3b) > 4 {
		t.Errorf("average-hue of a JPEG: %s", res.Body)
	}
}

func TestAnimatedGIF(t *testing.T) {
	pal := []color.Color{color.Black, color.White, red}
	anim := &gif.GIF{}
	for i := 0; i < 3; i++ {
		f := image.NewPaletted(image.Rect(0, 0, 20, 10), pal)
		for j := range f.Pix {
			f.Pix[j] = uint8(i)
		}
		anim.Image = append(anim.Image, f)
		anim.Delay = append(anim.Delay, 10)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	src := buf.Bytes()
	if n := gifFrameCount(src); n != 3 {
		t.Fatalf("gifFrameCount = %d", n)
	}
	// Output options only: all frames kept, bytes unchanged.
	res, _ := mustRun(t, src, "image/format,gif", nil)
	if !bytes.Equal(res.Body, src) {
		t.Errorf("animated GIF with format,gif was re-encoded")
	}
	// A transform uses the first frame.
	res, img := mustRun(t, src, "image/resize,w_10", nil)
	if res.Format != "gif" || res.Width != 10 {
		t.Errorf("resized GIF: %s %dx%d", res.Format, res.Width, res.Height)
	}
	assertColor(t, img, 5, 2, color.Black, 0)
	// The frame count enters the pixel limit.
	p := NewProcessor(Limits{MaxPixels: 500}, 1)
	pl, _ := Parse("image/format,png")
	if _, err := p.Process(t.Context(), bytes.NewReader(src), -1, pl, nil); errCode(err) != CodeImageTooLarge {
		t.Errorf("3 frames of 200 px with MaxPixels 500: %v", err)
	}
}

func TestWebPSourceFallsBackToJPEG(t *testing.T) {
	// A minimal lossless WebP (1×1, opaque black) from the VP8L spec.
	webp := []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
	if sniffFormat(webp) != "webp" {
		t.Fatal("sniff")
	}
	res, err := run(t, webp, "image/info", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Body), `"Format":{"value":"webp"}`) {
		t.Errorf("info: %s", res.Body)
	}
	res, err = run(t, webp, "image/resize,p_200", nil)
	if err != nil {
		t.Skipf("this WebP sample does not decode here: %v", err)
	}
	img, f, err := image.Decode(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	// No WebP encoder: JPEG when opaque, PNG otherwise.
	if want := map[bool]string{true: "jpeg", false: "png"}[isOpaque(img)]; f != want || res.Format != map[string]string{"jpeg": "jpg", "png": "png"}[f] {
		t.Errorf("webp source output: %s (decoded as %s, want %s)", res.Format, f, want)
	}
}
