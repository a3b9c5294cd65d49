package imgproc

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"

	"github.com/ossflow/ossflow/imgproc/internal/jpegdc"
)

// WatermarkFetcher reads watermark images. The caller implements it,
// typically over objects of the same bucket; key is the decoded image_
// key without any "?x-oss-process=…" suffix (that is applied here).
type WatermarkFetcher interface {
	Fetch(ctx context.Context, key string) (io.ReadCloser, int64, error)
}

// Result is the outcome of Process: an encoded image, or a JSON document
// for info and average-hue (ContentType "application/json", Format
// "json").
type Result struct {
	Body        []byte
	ContentType string
	Format      string // jpg png gif bmp tiff, or json
	Width       int    // 0 for JSON results
	Height      int
}

// Processor executes pipelines. Its zero value works with DefaultLimits
// and no bound on concurrent decodes; NewProcessor sets both.
type Processor struct {
	Limits Limits
	sem    chan struct{} // decode slots; nil = unbounded
	fonts  fontCache
}

// NewProcessor returns a Processor that decodes and transforms at most
// maxConcurrentDecodes images at once (at least 1); further requests
// queue until a slot frees or their context ends.
func NewProcessor(limits Limits, maxConcurrentDecodes int) *Processor {
	return &Processor{Limits: limits, sem: make(chan struct{}, max(1, maxConcurrentDecodes))}
}

func (p *Processor) acquire(ctx context.Context) (func(), error) {
	if p.sem == nil {
		return func() {}, ctx.Err()
	}
	select {
	case p.sem <- struct{}{}:
		return func() { <-p.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// execState is the image and encoding settings flowing through a
// pipeline.
type execState struct {
	ctx         context.Context
	lim         Limits
	img         image.Image
	hdr         srcHeader
	orientation int
	mainW       int // main image size for a watermark's resize,P_
	mainH       int
	srcQuality  int // estimated JPEG quality of the source, 0 if unknown
	outFormat   string
	relQ, absQ  int
	interlace   bool
	json        []byte
	wmData      map[string][]byte
	fonts       *fontCache
}

type srcMeta struct {
	exif    *exifData
	quality int
}

// readMeta reads EXIF (JPEG APP1, or a TIFF's own IFD) and the JPEG
// quality estimate.
func readMeta(format string, data []byte) srcMeta {
	switch format {
	case fmtJPEG:
		jm := scanJPEG(data)
		return srcMeta{exif: parseEXIF(jm.exif), quality: estimateJPEGQuality(jm.lumQuant)}
	case fmtTIFF:
		return srcMeta{exif: parseEXIF(data)}
	}
	return srcMeta{exif: &exifData{Orientation: 1, Fields: map[string]string{}}}
}

// readSource reads at most max bytes, refusing larger inputs.
func readSource(r io.Reader, size, limit int64, what string) ([]byte, error) {
	if size > limit {
		return nil, errf(CodeImageTooLarge, "the %s is %d bytes; at most %d are allowed", what, size, limit)
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, errf(CodeImageTooLarge, "the %s is larger than %d bytes", what, limit)
	}
	return buf.Bytes(), nil
}

func errMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Process runs pl on the image read from src (srcSize is its length, or
// -1 if unknown). It reads the whole source (at most
// Limits.MaxSourceBytes), checks the declared size against the limits
// before decoding anything, plans every action's output size, then
// decodes and transforms while holding one of the Processor's decode
// slots. fetch supplies watermark images and may be nil when pl has
// none.
func (p *Processor) Process(ctx context.Context, src io.Reader, srcSize int64, pl *Pipeline, fetch WatermarkFetcher) (*Result, error) {
	if pl == nil {
		return nil, invalidf("no pipeline")
	}
	if pl.Style != "" {
		return nil, invalidf("style %q must be resolved (Pipeline.WithStyle) before processing", pl.Style)
	}
	if len(pl.Actions) == 0 {
		return nil, errf(CodeMissingArgument, "the pipeline has no actions")
	}
	for _, a := range pl.Actions {
		if a.op == nil {
			return nil, invalidf("action %q was not produced by Parse", a.Name)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lim := p.Limits.withDefaults()
	data, err := readSource(src, srcSize, lim.MaxSourceBytes, "source image")
	if err != nil {
		return nil, err
	}
	hdr, err := lim.checkSource(data)
	if err != nil {
		return nil, err
	}
	meta := readMeta(hdr.format, data)
	acts := pl.Actions
	last := acts[len(acts)-1].Name

	// Plan: predict every intermediate size without pixels.
	ps := planState{w: hdr.width, h: hdr.height, orientation: meta.exif.Orientation, lim: lim}
	for _, a := range acts {
		if err := a.op.plan(&ps); err != nil {
			return nil, err
		}
		if err := lim.checkIntermediate(a.Name, ps.w, ps.h, hdr); err != nil {
			return nil, err
		}
	}
	if len(acts) == 1 && last == "info" {
		return jsonResult(infoJSON(len(data), hdr.format, hdr.width, hdr.height, meta.exif)), nil
	}
	if last != "average-hue" {
		if err := lim.checkOutput(ps.w, ps.h); err != nil {
			return nil, err
		}
	}
	if res := gifPassThrough(data, hdr, acts); res != nil {
		return res, nil
	}

	st := &execState{
		ctx: ctx, lim: lim, hdr: hdr, orientation: meta.exif.Orientation,
		srcQuality: meta.quality, fonts: &p.fonts,
	}
	if st.wmData, err = prefetchWatermarks(ctx, acts, fetch, lim); err != nil {
		return nil, err
	}

	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()

	start, err := st.decode(data, acts)
	if err != nil {
		return nil, err
	}
	for _, a := range acts[start:] {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if a.Name == "info" {
			break
		}
		st.mainW, st.mainH = st.img.Bounds().Dx(), st.img.Bounds().Dy()
		if err := a.op.apply(st); err != nil {
			return nil, err
		}
		if st.json != nil {
			return jsonResult(st.json), nil
		}
		b := st.img.Bounds()
		if err := lim.checkIntermediate(a.Name, b.Dx(), b.Dy(), hdr); err != nil {
			return nil, err
		}
	}
	b := st.img.Bounds()
	if err := lim.checkOutput(b.Dx(), b.Dy()); err != nil {
		return nil, err
	}
	format, quality := st.output()
	body, err := encode(st.img, format, quality)
	if err != nil {
		return nil, err
	}
	if last == "info" {
		return jsonResult(infoJSON(len(body), format, b.Dx(), b.Dy(), nil)), nil
	}
	return &Result{Body: body, ContentType: contentType(format), Format: format, Width: b.Dx(), Height: b.Dy()}, nil
}

func jsonResult(body []byte) *Result {
	return &Result{Body: body, ContentType: "application/json", Format: "json"}
}

// output picks the output format and JPEG quality. Without format, the
// source format is kept, except WebP (no encoder): PNG when the result
// has transparency, else JPEG.
func (s *execState) output() (string, int) {
	format := s.outFormat
	if format == "" {
		format = s.hdr.format
		if format == fmtWebP {
			format = fmtJPEG
			if !isOpaque(s.img) {
				format = fmtPNG
			}
		}
	}
	q := defaultJPEGQuality
	if s.srcQuality > 0 {
		q = min(s.srcQuality, maxDefaultQuality)
	}
	switch {
	case s.absQ > 0:
		q = s.absQ
	case s.relQ > 0 && s.hdr.format == fmtJPEG && s.srcQuality > 0:
		q = max(1, (s.srcQuality*s.relQ+50)/100)
	case s.relQ > 0:
		q = s.relQ
	}
	return format, q
}

// gifPassThrough returns an animated GIF unchanged when the pipeline only
// sets GIF output options, so all frames survive (see doc.go).
func gifPassThrough(data []byte, hdr srcHeader, acts []Action) *Result {
	if hdr.format != fmtGIF || hdr.frames < 2 {
		return nil
	}
	for _, a := range acts {
		switch op := a.op.(type) {
		case *formatOp:
			if op.format != fmtGIF {
				return nil
			}
		case *qualityOp, *interlaceOp:
		default:
			return nil
		}
	}
	return &Result{Body: data, ContentType: contentType(fmtGIF), Format: fmtGIF, Width: hdr.width, Height: hdr.height}
}

// prefetchWatermarks reads every watermark image before a decode slot is
// taken, so slow storage does not hold one.
func prefetchWatermarks(ctx context.Context, acts []Action, fetch WatermarkFetcher, lim Limits) (map[string][]byte, error) {
	var out map[string][]byte
	for _, a := range acts {
		w, ok := a.op.(*watermarkOp)
		if !ok || w.imageKey == "" {
			continue
		}
		if _, done := out[w.imageKey]; done {
			continue
		}
		if fetch == nil {
			return nil, wmErr("watermark: image watermarks are not available here (no fetcher)")
		}
		rc, size, err := fetch.Fetch(ctx, w.imageKey)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, wmErr("watermark: cannot read image %q: %v", w.imageKey, errMessage(err))
		}
		data, err := readSource(rc, size, lim.MaxSourceBytes, "watermark image")
		rc.Close()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, wmErr("watermark: image %q: %s", w.imageKey, errMessage(err))
		}
		if out == nil {
			out = map[string][]byte{}
		}
		out[w.imageKey] = data
	}
	return out, nil
}

// decode decodes the source. When the pipeline starts with a reducing
// resize (optionally after auto-orient) of a JPEG, the resize runs on the
// decoder's YCbCr planes, and when it reduces by 8 or more the JPEG is
// decoded at 1/8 scale in the DCT domain (internal/jpegdc) first. decode
// returns the index of the first action still to run.
func (s *execState) decode(data []byte, acts []Action) (int, error) {
	if _, hue := acts[0].op.(*averageHueOp); hue && s.hdr.format == fmtJPEG {
		// The mean of the block means is the image's mean colour.
		if m, err := jpegdc.Decode(bytes.NewReader(data)); err == nil {
			s.img = m
			return 0, nil
		}
	}
	fp, ok := s.planFastResize(acts)
	var img image.Image
	if ok && float64(fp.tw*8) <= fp.src.x1-fp.src.x0 && float64(fp.th*8) <= fp.src.y1-fp.src.y0 {
		if m, err := jpegdc.Decode(bytes.NewReader(data)); err == nil {
			img = m
			fp.src = rectF{fp.src.x0 / 8, fp.src.y0 / 8, fp.src.x1 / 8, fp.src.y1 / 8}
		} // else: unsupported (CMYK, RGB) or corrupt; the full decoder decides
	}
	if img == nil {
		var err error
		if img, err = decodeImage(s.hdr.format, data); err != nil {
			return 0, invalidf("the source %s image cannot be decoded: %v", s.hdr.format, err)
		}
	}
	s.img = img
	if !ok {
		return 0, nil
	}
	var small image.Image
	switch m := img.(type) {
	case *image.YCbCr:
		if out := downscaleYCbCr(m, fp.src, fp.tw, fp.th); out != nil {
			small = out
		}
	case *image.Gray:
		if out := downscaleGray(m, fp.src, fp.tw, fp.th); out != nil {
			small = out
		}
	}
	if small == nil {
		if img.Bounds().Dx() != s.hdr.width { // 1/8 image but no plane path
			if s.img, _ = decodeImage(s.hdr.format, data); s.img == nil {
				return 0, invalidf("the source %s image cannot be decoded", s.hdr.format)
			}
		}
		return 0, nil
	}
	if fp.orientation != 1 {
		small = orient(small, fp.orientation)
	}
	if fp.oriented {
		s.orientation = 1
	}
	if !fp.fillCrop {
		small = fp.op.finish(small, fp.geom)
	}
	s.img = small
	return fp.next, nil
}

// fastResize is a leading resize to be done on the decoder's planes.
type fastResize struct {
	op          *resizeOp
	geom        resizeGeom
	src         rectF // source rectangle, stored orientation
	tw, th      int   // resampled size, stored orientation
	orientation int   // EXIF orientation to apply afterwards
	oriented    bool  // a leading auto-orient,1 is consumed
	fillCrop    bool  // src is already the fill crop
	next        int   // first action after the resize
}

func (s *execState) planFastResize(acts []Action) (fastResize, bool) {
	var fp fastResize
	if s.hdr.format != fmtJPEG {
		return fp, false
	}
	i, o := 0, 1
	if ao, ok := acts[0].op.(*autoOrientOp); ok {
		i = 1
		if ao.on {
			o, fp.oriented = s.orientation, true
		}
	}
	if i >= len(acts) {
		return fp, false
	}
	r, ok := acts[i].op.(*resizeOp)
	if !ok || r.pMain > 0 {
		return fp, false
	}
	ow, oh := s.hdr.width, s.hdr.height // size as displayed after orientation
	if o >= 5 {
		ow, oh = oh, ow
	}
	g := r.geometry(ow, oh, 0, 0)
	if g.noop || g.scaleW > ow || g.scaleH > oh || (g.scaleW == ow && g.scaleH == oh) {
		return fp, false
	}
	src := rectF{0, 0, float64(ow), float64(oh)}
	tw, th := g.scaleW, g.scaleH
	fp.fillCrop = r.mode == "fill" && r.p == 0 && (g.outW != g.scaleW || g.outH != g.scaleH)
	if fp.fillCrop { // resample only the centred part that survives the crop
		cw := float64(ow) * float64(g.outW) / float64(g.scaleW)
		ch := float64(oh) * float64(g.outH) / float64(g.scaleH)
		src = rectF{(float64(ow) - cw) / 2, (float64(oh) - ch) / 2, (float64(ow) + cw) / 2, (float64(oh) + ch) / 2}
		tw, th = g.outW, g.outH
	}
	if o >= 5 { // back to stored orientation (the rectangle is centred)
		src = rectF{src.y0, src.x0, src.y1, src.x1}
		tw, th = th, tw
	}
	fp.op, fp.geom, fp.src, fp.tw, fp.th, fp.orientation, fp.next = r, g, src, tw, th, o, i+1
	return fp, true
}
