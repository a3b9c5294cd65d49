package imgproc

import (
	"image"
	"image/color"
	"testing"
)

// changed counts pixels of b that differ from a by more than tol within r.
func changed(a, b image.Image, r image.Rectangle, tol int) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !near(a.At(x, y), b.At(x, y), tol) {
				n++
			}
		}
	}
	return n
}

func flat(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		copy(m.Pix[i:], []byte{c.R, c.G, c.B, c.A})
	}
	return m
}

func TestTextWatermark(t *testing.T) {
	base := flat(300, 200, white)
	src := encodePNG(t, base)
	text := encodeB64URL("Hello")
	_, img := mustRun(t, src, "image/watermark,text_"+text+",size_40,color_FF0000", nil)
	// Default gravity se with 10 px margins: the text lies in the
	// bottom-right corner, nothing elsewhere.
	if n := changed(base, img, image.Rect(150, 100, 300, 200), 10); n < 100 {
		t.Errorf("se: only %d pixels changed in the bottom-right", n)
	}
	if n := changed(base, img, image.Rect(0, 0, 150, 200), 10); n != 0 {
		t.Errorf("se: %d pixels changed on the left", n)
	}
	if n := changed(base, img, image.Rect(290, 0, 300, 200), 10); n != 0 {
		t.Errorf("se: %d pixels changed inside the 10 px margin", n)
	}
	// Some changed pixel is red.
	foundRed := false
	for y := 100; y < 200 && !foundRed; y++ {
		for x := 150; x < 300; x++ {
			if near(img.At(x, y), red, 30) {
				foundRed = true
				break
			}
		}
	}
	if !foundRed {
		t.Error("no red text pixel")
	}

	_, img = mustRun(t, src, "image/watermark,text_"+text+",g_nw,x_0,y_0", nil)
	if n := changed(base, img, image.Rect(0, 0, 150, 60), 10); n < 100 {
		t.Errorf("nw: only %d pixels changed", n)
	}
	if n := changed(base, img, image.Rect(150, 60, 300, 200), 10); n != 0 {
		t.Errorf("nw: %d pixels changed elsewhere", n)
	}
	// Transparency t_0 changes nothing.
	_, img = mustRun(t, src, "image/watermark,text_"+text+",t_0", nil)
	if n := changed(base, img, base.Rect, 0); n != 0 {
		t.Errorf("t_0: %d pixels changed", n)
	}
	// Fill tiles the text over the whole image.
	_, img = mustRun(t, src, "image/watermark,text_"+text+",fill_1,size_20", nil)
	for _, q := range []image.Rectangle{image.Rect(0, 0, 150, 100), image.Rect(150, 100, 300, 200)} {
		if n := changed(base, img, q, 10); n < 50 {
			t.Errorf("fill: only %d pixels changed in %v", n, q)
		}
	}
	// Shadow, rotation, fonts, centre with voffset: smoke.
	for _, p := range []string{
		",shadow_80,rotate_30",
		",type_" + encodeB64URL("fangzhengheiti") + ",g_center,voffset_50",
		",type_" + encodeB64URL("wqy-zenhei") + ",g_east,size_1000",
	} {
		if _, err := run(t, src, "image/watermark,text_"+text+p, nil); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	// A JPEG source keeps its format.
	if res, _ := mustRun(t, encodeJPEG(t, base, 90), "image/watermark,text_"+text, nil); res.Format != "jpg" {
		t.Errorf("format %s", res.Format)
	}
}

func TestImageWatermark(t *testing.T) {
	base := flat(400, 300, white)
	src := encodePNG(t, base)
	logo := encodePNG(t, flat(50, 40, blue))
	fetch := memFetcher{"logo.png": logo, "bad.png": []byte("not an image")}

	key := encodeB64URL("logo.png")
	_, img := mustRun(t, src, "image/watermark,image_"+key, fetch)
	// se, 10 px margins: the logo covers [340,390)×[250,290).
	assertColor(t, img, 365, 270, blue, 0)
	assertColor(t, img, 335, 270, white, 0)
	assertColor(t, img, 395, 270, white, 0)
	if n := changed(base, img, base.Rect, 0); n != 50*40 {
		t.Errorf("%d pixels changed, want %d", n, 50*40)
	}
	// Opacity 50: half blue over white.
	_, img = mustRun(t, src, "image/watermark,image_"+key+",t_50,g_nw", fetch)
	assertColor(t, img, 30, 30, color.NRGBA{127, 127, 255, 255}, 3)

	// The watermark's own process, with P relative to the main image:
	// resize,P_50 fits the logo in 200×150, i.e. 188×150.
	key = encodeB64URL("logo.png?x-oss-process=image/resize,P_50")
	_, img = mustRun(t, src, "image/watermark,image_"+key+",g_center", fetch)
	if n := changed(base, img, base.Rect, 0); n < 180*140 || n > 190*152 {
		t.Errorf("resize,P_50 watermark covers %d pixels", n)
	}
	// P on the watermark action itself.
	key = encodeB64URL("logo.png")
	_, img = mustRun(t, src, "image/watermark,image_"+key+",P_25,g_nw,x_0,y_0", fetch)
	assertColor(t, img, 90, 70, blue, 0) // 100×75 box: 94×75 logo
	assertColor(t, img, 98, 70, white, 0)

	// Text and image together, text first, centred.
	_, img = mustRun(t, src, "image/watermark,image_"+key+",text_"+encodeB64URL("AB")+",order_1,align_1,interval_10,g_nw", fetch)
	if n := changed(base, img, base.Rect, 0); n < 50*40 {
		t.Errorf("combined watermark: %d pixels changed", n)
	}

	// Errors.
	if _, err := run(t, src, "image/watermark,image_"+encodeB64URL("missing.png"), fetch); errCode(err) != CodeWatermarkError {
		t.Errorf("missing watermark: %v", err)
	}
	if _, err := run(t, src, "image/watermark,image_"+encodeB64URL("bad.png"), fetch); errCode(err) != CodeWatermarkError {
		t.Errorf("undecodable watermark: %v", err)
	}
	if _, err := run(t, src, "image/watermark,image_"+key, nil); errCode(err) != CodeWatermarkError {
		t.Errorf("no fetcher: %v", err)
	}
}
