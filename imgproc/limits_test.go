package imgproc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// pngWithSize returns a real PNG whose IHDR claims w×h (CRC fixed up).
func pngWithSize(t *testing.T, w, h int) []byte {
	b := encodePNG(t, gradient(8, 8))
	// Signature (8) + length (4) + "IHDR" (4): width at 16, height at 20.
	binary.BigEndian.PutUint32(b[16:], uint32(w))
	binary.BigEndian.PutUint32(b[20:], uint32(h))
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// jpegWithSize returns a real JPEG whose SOF0 claims w×h.
func jpegWithSize(t *testing.T, w, h int) []byte {
	b := encodeJPEG(t, gradient(16, 16), 80)
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	binary.BigEndian.PutUint16(b[i+5:], uint16(h))
	binary.BigEndian.PutUint16(b[i+7:], uint16(w))
	return b
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestImageBombRefusedBeforeDecoding(t *testing.T) {
	for name, src := range map[string][]byte{
		"png 50000x50000":  pngWithSize(t, 50000, 50000),
		"jpeg 50000x50000": jpegWithSize(t, 50000, 50000),
		"png 30001x1":      pngWithSize(t, 30001, 1),
		"png 20000x20000":  pngWithSize(t, 20000, 20000), // sides fine, 400 M px
	} {
		var err error
		n := allocated(func() { _, err = run(t, src, "image/resize,w_100", nil) })
		if errCode(err) != CodeImageTooLarge {
			t.Errorf("%s: %v, want ImageTooLarge", name, err)
		}
		if n > 4<<20 {
			t.Errorf("%s: %d bytes allocated before refusing", name, n)
		}
		// info reads only the header, but the source limits hold for it too.
		if _, err := run(t, src, "image/info", nil); errCode(err) != CodeImageTooLarge {
			t.Errorf("%s info: %v", name, err)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("must not be read") }

func TestSourceSizeLimits(t *testing.T) {
	p := NewProcessor(Limits{MaxSourceBytes: 1000}, 1)
	pl, _ := Parse("image/info")
	if _, err := p.Process(t.Context(), failingReader{}, 1001, pl, nil); errCode(err) != CodeImageTooLarge {
		t.Errorf("declared size over the limit: %v", err)
	}
	big := encodePNG(t, noise(100, 100, 1))
	if len(big) <= 1000 {
		t.Fatalf("test image only %d bytes", len(big))
	}
	if _, err := p.Process(t.Context(), bytes.NewReader(big), -1, pl, nil); errCode(err) != CodeImageTooLarge {
		t.Errorf("undeclared size over the limit: %v", err)
	}
	if _, err := p.Process(t.Context(), io.MultiReader(bytes.NewReader(big[:10]), failingReader{}), -1, pl, nil); err == nil || errCode(err) == CodeImageTooLarge {
		t.Errorf("read error: %v", err)
	}
}

func TestOutputAndIntermediateLimits(t *testing.T) {
	src := encodePNG(t, gradient(300, 300))
	for _, c := range []struct{ process, code string }{
		{"image/resize,m_fixed,w_16384,h_16384,limit_0", CodeImageTooLarge},  // 268 M px
		{"image/resize,m_fixed,w_16384,h_1025,limit_0", CodeImageTooLarge},   // 16384×1025 > 16 M px
		{"image/resize,p_1000/resize,p_1000/resize,w_10", CodeImageTooLarge}, // 30000² intermediate
		{"image/resize,p_300/resize,w_10", ""},                               // 900² is fine
	} {
		_, err := run(t, src, c.process, nil)
		if errCode(err) != c.code {
			t.Errorf("%s: %v, want %q", c.process, err, c.code)
		}
	}
	// The exact boundary, with small limits to keep the test fast.
	small := NewProcessor(Limits{MaxOutputSide: 400, MaxOutputPixels: 400 * 100}, 1)
	for process, code := range map[string]string{
		"image/resize,m_fixed,w_400,h_100,limit_0": "",
		"image/resize,m_fixed,w_400,h_101,limit_0": CodeImageTooLarge,
		"image/resize,m_fixed,w_401,h_10,limit_0":  CodeImageTooLarge,
	} {
		pl, _ := Parse(process)
		if _, err := small.Process(t.Context(), bytes.NewReader(src), -1, pl, nil); errCode(err) != code {
			t.Errorf("%s: %v, want %q", process, err, code)
		}
	}
	// A large source may be processed, but not returned as is.
	lim := Limits{MaxOutputSide: 200}
	p := NewProcessor(lim, 1)
	for process, code := range map[string]string{"image/format,png": CodeImageTooLarge, "image/resize,w_200": "", "image/average-hue": "", "image/info": ""} {
		pl, _ := Parse(process)
		_, err := p.Process(t.Context(), bytes.NewReader(src), int64(len(src)), pl, nil)
		if errCode(err) != code {
			t.Errorf("%s with MaxOutputSide 200: %v, want %q", process, err, code)
		}
	}
}

func TestBadSources(t *testing.T) {
	if _, err := run(t, []byte("hello, not an image"), "image/resize,w_10", nil); errCode(err) != CodeInvalidArgument {
		t.Errorf("not an image: %v", err)
	}
	src := encodeJPEG(t, gradient(64, 64), 90)
	trunc := src[:len(src)/2]
	if _, err := run(t, trunc, "image/resize,w_10", nil); errCode(err) != CodeInvalidArgument {
		t.Errorf("truncated JPEG: %v", err)
	}
	if _, err := run(t, pngWithSize(t, 0, 10), "image/info", nil); errCode(err) != CodeInvalidArgument {
		t.Errorf("zero-width PNG: %v", err)
	}
	p := NewProcessor(DefaultLimits(), 1)
	if _, err := p.Process(t.Context(), bytes.NewReader(src), -1, &Pipeline{Actions: []Action{{Name: "resize"}}}, nil); errCode(err) != CodeInvalidArgument {
		t.Errorf("hand-made pipeline: %v", err)
	}
	style, _ := Parse("style/x")
	if _, err := p.Process(t.Context(), bytes.NewReader(src), -1, style, nil); errCode(err) != CodeInvalidArgument {
		t.Errorf("unresolved style: %v", err)
	}
}

func TestDecodeSlots(t *testing.T) {
	p := NewProcessor(DefaultLimits(), 1)
	src := encodeJPEG(t, gradient(64, 64), 90)
	pl, _ := Parse("image/resize,w_10")

	p.sem <- struct{}{} // occupy the only slot
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Process(ctx, bytes.NewReader(src), -1, pl, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued past its deadline: %v", err)
	}
	// A queued request proceeds once the slot frees.
	done := make(chan error, 1)
	go func() {
		_, err := p.Process(t.Context(), bytes.NewReader(src), -1, pl, nil)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("ran while the slot was taken: %v", err)
	default:
	}
	<-p.sem
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Many concurrent requests share the slots.
	p = NewProcessor(DefaultLimits(), 2)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Process(t.Context(), bytes.NewReader(src), -1, pl, nil)
			if err == nil && res.Width != 10 {
				err = errors.New("wrong width")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// The zero Processor works too.
	var zero Processor
	if _, err := zero.Process(t.Context(), bytes.NewReader(src), -1, pl, nil); err != nil {
		t.Error(err)
	}
}

func TestSniffAndConfig(t *testing.T) {
	for _, c := range []struct {
		data   []byte
		format string
	}{
		{encodePNG(t, gradient(3, 2)), "png"},
		{encodeJPEG(t, gradient(3, 2), 80), "jpg"},
		{[]byte("GIF89a"), "gif"},
		{[]byte("BM...."), "bmp"},
		{[]byte("II*\x00...."), "tiff"},
		{[]byte("MM\x00*...."), "tiff"},
		{[]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "webp"},
		{[]byte("RIFF\x00\x00\x00\x00WAVE"), ""},
		{nil, ""},
	} {
		if got := sniffFormat(c.data); got != c.format {
			t.Errorf("sniff %q = %q, want %q", truncate(string(c.data), 10), got, c.format)
		}
	}
	_ = image.Point{}
	if !strings.Contains(errMessage(errors.New("x")), "x") {
		t.Error("errMessage")
	}
}
