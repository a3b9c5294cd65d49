// Package imgproc parses, validates and executes OSS image-processing
// requests (the x-oss-process query parameter and persistent
// "…|sys/saveas" bodies). It is a leaf package: it knows nothing of HTTP
// or storage, keeps no global state and logs nothing.
//
// # Use
//
//	pl, err := imgproc.Parse("image/resize,w_400/quality,q_80")
//	if pl.Style != "" { // "style/<name>": the caller resolves the style
//		pl, err = pl.WithStyle(content) // content like "image/resize,p_50"
//	}
//	res, err := proc.Process(ctx, body, size, pl, fetcher)
//	// res.Body, res.ContentType, res.Format ("jpg", "png", …, or "json")
//
// Pipeline.String is a normalized form (lower-case actions, parameters in
// a fixed order, canonical values) suitable as a cache key. Errors are
// *Error whose Code is the exact OSS code: InvalidArgument, BadRequest
// ("Input is not base64 decoding." for bad URL-safe base64, and OSS's
// "Advance cut's position is out of image." plus the details for a crop
// origin outside the image), MissingArgument, ImageTooLarge, WatermarkError,
// NotImplemented. NoSuchStyle is the caller's. Other errors (context
// cancellation, encoder failures) are internal.
//
// # Limits and the image-bomb guard
//
// Process reads at most Limits.MaxSourceBytes, then reads only the image
// header (the format's DecodeConfig, plus a walk of a GIF's blocks to
// count frames) and refuses sources beyond MaxSide or MaxPixels (GIF:
// width×height×frames) before any pixel buffer exists. It then predicts
// every action's output size without pixels: intermediates may not exceed
// the larger of the source and the output limits, and the result may not
// exceed MaxOutputSide / MaxOutputPixels (ImageTooLarge). Decoding and
// transforming happen while holding one of the Processor's decode slots;
// further requests wait for a slot or for their context to end.
// Watermark images are fetched before a slot is taken. blur, the costliest
// per pixel, accepts at most MaxOutputPixels of input; arbitrary-angle
// rotate, as in OSS, at most 4096×4096.
//
// # Performance
//
// When a JPEG pipeline starts with a reducing resize (optionally after
// auto-orient), the resize runs on the decoder's *image.YCbCr planes with
// an exact-coverage area filter, only the part a fill crop keeps is
// resampled, and the small YCbCr result goes straight to the JPEG
// encoder's fast path: the full-size image is never converted to RGBA.
// When that resize reduces by 8 or more in both directions, the JPEG is
// first decoded at 1/8 scale in the DCT domain (internal/jpegdc, a fork
// of image/jpeg that keeps each block's DC coefficient, the exact block
// mean, runs no inverse DCT and skips progressive AC scans), so neither
// the IDCT nor the full-size pixel buffer is paid for; CMYK and RGB JPEGs
// fall back to image/jpeg. Other resizes use Lanczos (imaging).
// BenchmarkThumbnail12MP measures a 4000×3000 JPEG to a 400 px thumbnail
// against image.Decode + imaging.Resize(Lanczos) + jpeg.Encode.
//
// # Semantics chosen where OSS leaves room
//
//   - resize: with only w or h, lfit/mfit scale proportionally and
//     fill/pad/fixed use the given side for both. l/s map to the long and
//     short side of the source. limit_1 (default) returns the image
//     unchanged when the resize would enlarge it; p ignores limit (an
//     explicit percentage). P (percent of the main image) is accepted only
//     inside a watermark image's own process, e.g. image/resize,P_30.
//   - crop: the gravity places the w×h box at one of nine anchors (nw at
//     0,0; se at W−w,H−h; …) and x, y shift it; the box is clipped to the
//     image. indexcrop past the last slice returns the whole image.
//   - circle crops a centred 2r×2r square (r clamped to half the short
//     side); circle and rounded-corners leave transparency outside the
//     shape, which becomes white in JPEG (and any format without alpha).
//   - rotate is clockwise; uncovered corners are transparent (white in
//     JPEG). auto-orient,1 applies the EXIF orientation read by this
//     package's own bounded EXIF/TIFF reader (JPEG APP1, or a TIFF's IFD0).
//     Without auto-orient the pixels keep their stored orientation; EXIF
//     is not copied to the output.
//   - bright adds v% of full scale; contrast is imaging's contrast;
//     sharpen is an unsharp mask, out = in + v/100·(in − gauss(σ=1)).
//     blur is a Gaussian of radius r and standard deviation s.
//   - quality: Q is absolute and wins over q; q is relative to the
//     source's quality (estimated from its luminance quantization table)
//     for JPEG sources, absolute otherwise. Without either, JPEG output
//     keeps the source's estimated quality capped at 90, or uses 85.
//   - Output format defaults to the source's. WebP sources are decoded
//     (golang.org/x/image/webp) but WebP output is NotImplemented: the
//     only pure-Go WebP encoder available to this module panicked on
//     ordinary images in testing, so a WebP source without format,… is
//     returned as JPEG (PNG if it has transparency). heif/avif output is
//     NotImplemented too.
//   - interlace,1 is accepted but has no effect: Go's encoders write only
//     baseline JPEG (and non-interlaced GIF/PNG). The output is a valid,
//     complete image that merely does not load progressively; refusing a
//     common CDN parameter over a presentational property would break
//     more clients than it helps.
//   - watermark: x is the margin from the left or right edge and y from
//     the top or bottom edge; on the middle row (west, center, east) y is
//     ignored and voffset moves the mark up (positive) or down. order_0
//     puts the image before the text, order_1 the text first; align
//     0/1/2 aligns them top/centre/bottom, interval pixels apart; t is
//     opacity. fill_1 tiles the mark across the image, x and y pixels
//     apart. P scales an image watermark to fit P% of the main image.
//     Text uses the Go fonts (golang.org/x/image/font/gofont), the only
//     fonts shipped: wqy-zenhei, wqy-microhei, fangzhengshusong,
//     fangzhengfangsong and droidsansfallback map to Go Regular,
//     fangzhengheiti to Go Bold, fangzhengkaiti to Go Italic (goregular,
//     gobold, goitalic, gomedium and gomono are accepted by name). The Go
//     fonts have no CJK glyphs; such text renders as missing-glyph boxes.
//     At most 3 watermark actions per request.
//   - info must be the last action. Alone it reads only the header and
//     EXIF (no decode): FileSize, Format, ImageHeight, ImageWidth and the
//     known EXIF/GPS tags present (Orientation, DateTime, Make, Model,
//     XResolution as "72/1", GPSLatitude as "31/1, 14/1, 543/100", …),
//     each as {"value": "…"}, keys sorted. After other actions it
//     describes the encoded result. average-hue (last action) returns
//     {"RGB":"0xrrggbb"}, the alpha-weighted mean colour.
//
// # Animated GIF
//
// A GIF's frames all count against MaxPixels. When the pipeline only sets
// output options (format,gif, quality, interlace), the original bytes are
// returned, so animation survives at no cost. Any transform works on the
// first frame and yields a still image: scaling and re-quantizing every
// frame (with disposal and offsets) multiplies cost by the frame count,
// which the decode slots are meant to bound.
package imgproc
