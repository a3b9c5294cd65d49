package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
)

// Image processing on read: GET/HEAD /key?x-oss-process=image/… (or
// style/<name>, or the key<delimiter><style> shorthand) answers the
// processed image; POST /key?x-oss-process with a sys/saveas body writes it
// as an object (saveas.go); styles live in one bucket configuration
// document (style.go).
//
// Reads are authorized as GetObject / HeadObject on the source (the
// operation is named so, and a bucket policy granting oss:GetObject grants
// processing). Watermark images are read from the same bucket and are
// authorized as GetObject for the same requester: a watermark cannot reveal
// an object the requester may not read.

// DefaultImageCacheBytes is the default bound of the derived-image cache.
const DefaultImageCacheBytes = 64 << 20

// imageAdmission is how many requests per decode slot may hold their
// source bytes in memory at once (the one decoding and the next in line);
// the rest wait before reading their source.
const imageAdmission = 2

// The image operations.
var (
	opGetImage      = op("GetObject", AccessRead, getImage)
	opHeadImage     = op("HeadObject", AccessRead, getImage)
	opProcessObject = op("ProcessObject", AccessWrite, processObject)

	// opReadSource authorizes reading a source or watermark object: it is
	// GetObject (opGetObject itself would make an initialization cycle).
	opReadSource = &operation{name: "GetObject", access: AccessRead}
)

// imageService is a Handler's image processing state: one Processor with
// bounded decodes, the admission gate in front of it, the derived-image
// cache and its in-flight table.
type imageService struct {
	proc   *imgproc.Processor
	cache  *imageCache
	flight flightGroup
	admit  chan struct{}
	delims string

	stylesMu sync.Mutex // serializes style document read-modify-write

	// processed counts Processor.Process calls, hits cache hits.
	processed atomic.Int64
	hits      atomic.Int64
}

func newImageService(cfg Config) *imageService {
	n := cfg.ImageConcurrency
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	size := cfg.ImageCacheBytes
	if size == 0 {
		size = DefaultImageCacheBytes
	}
	return &imageService{
		proc:   imgproc.NewProcessor(cfg.ImageLimits, n),
		cache:  newImageCache(size),
		admit:  make(chan struct{}, n*imageAdmission),
		delims: cfg.StyleDelimiters,
	}
}

// getImage serves GET and HEAD with x-oss-process.
func getImage(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	pl, err := parseProcess(rc.op.name, rc.query.Get("x-oss-process"))
	if err != nil {
		return err
	}
	if pl.SaveAs != nil {
		return oss.E(rc.op.name, oss.InvalidArgument, "sys/saveas is only allowed in a POST request (ProcessObject).")
	}
	if pl, err = h.resolveStyle(rc, rc.bucket(), pl); err != nil {
		return err
	}
	return h.serveImage(w, r, rc, rc.key(), pl)
}

// parseProcess parses an x-oss-process value, mapping its errors.
func parseProcess(op, v string) (*imgproc.Pipeline, error) {
	pl, err := imgproc.Parse(v)
	if err != nil {
		return nil, imageError(op, err)
	}
	return pl, nil
}

// serveImage answers the result of pl on key (the request's version) of
// the request's bucket.
func (h *Handler) serveImage(w http.ResponseWriter, r *http.Request, rc *reqCtx, key string, pl *imgproc.Pipeline) error {
	in := oss.GetObjectInput{
		Bucket:     rc.bucket(),
		Key:        key,
		VersionID:  rc.query.Get("versionId"),
		Conditions: parseConditions(r.Header),
	}
	info, res, err := h.imageResult(rc, in, pl)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", res.contentType)
	if !info.LastModified.IsZero() {
		hd.Set("Last-Modified", httpTime(info.LastModified))
	}
	rc.applyResponseOverrides(hd)
	hd.Set(hdrOSSCRC64, checksum.FormatCRC64(res.crc64))
	hd.Set("Content-Length", strconv.Itoa(len(res.body)))
	w.WriteHeader(http.StatusOK)
	if rc.head {
		return nil
	}
	if _, err := w.Write(res.body); err != nil {
		return fmt.Errorf("%w: %v", errHeaderSent, err)
	}
	return nil
}

// imageResult returns the source's description and the result of pl on
// it, from the cache when it holds this exact source version and
// pipeline. in's conditions apply to the source.
func (h *Handler) imageResult(rc *reqCtx, in oss.GetObjectInput, pl *imgproc.Pipeline) (oss.ObjectInfo, *imageResult, error) {
	info, err := h.eng.HeadObject(rc.ctx, in)
	if err != nil {
		return info, nil, err
	}
	is := h.img
	spec := pl.String()
	key := imageCacheKey(in.Bucket, in.Key, info, spec)
	for attempt := 0; ; attempt++ {
		if res, ok := is.cache.get(key); ok {
			fresh, err := h.checkDeps(rc, in.Bucket, res.deps)
			if err != nil {
				return info, nil, err
			}
			if fresh {
				is.hits.Add(1)
				return info, res, nil
			}
			is.cache.remove(key)
		}
		res, shared, err := is.flight.do(rc.ctx, key, func() (*imageResult, error) {
			return h.processSource(rc, in, info, pl, spec)
		})
		if err != nil {
			return info, nil, err
		}
		if !shared {
			return info, res, nil
		}
		// Another request computed it, for its requester: check the
		// watermarks for this one (and their freshness).
		fresh, err := h.checkDeps(rc, in.Bucket, res.deps)
		if err != nil {
			return info, nil, err
		}
		if fresh || attempt > 0 {
			return info, res, nil
		}
	}
}

// processSource reads the source and runs pl on it, within the admission
// gate and the Processor's decode slots, and caches the result.
func (h *Handler) processSource(rc *reqCtx, in oss.GetObjectInput, info oss.ObjectInfo, pl *imgproc.Pipeline, spec string) (*imageResult, error) {
	is := h.img
	select {
	case is.admit <- struct{}{}:
	case <-rc.ctx.Done():
		return nil, rc.ctx.Err()
	}
	defer func() { <-is.admit }()

	// Read the version that was described, whatever happened since.
	get := oss.GetObjectInput{Bucket: in.Bucket, Key: in.Key, VersionID: in.VersionID}
	if info.VersionID != "" {
		get.VersionID = info.VersionID
	}
	fetch := &watermarkFetcher{h: h, rc: rc, bucket: in.Bucket}
	r, srcInfo, err := is.run(rc.ctx, h.eng, rc.op.name, get, pl, fetch)
	if err != nil {
		return nil, err
	}
	body := r.Body
	if cap(body)-len(body) > len(body)/8 {
		// Encoders grow their buffer by doubling: keep only what is
		// charged to the cache.
		body = append(make([]byte, 0, len(body)), body...)
	}
	res := &imageResult{body: body, contentType: r.ContentType, format: r.Format, width: r.Width, height: r.Height,
		crc64: checksum.CRC64(body), deps: fetch.deps}
	// The object may have changed between HeadObject and GetObject: cache
	// under what was actually read.
	is.cache.add(imageCacheKey(in.Bucket, in.Key, srcInfo, spec), res)
	return res, nil
}

// run reads the source get names and runs pl on it with the Processor
// (within its decode slots; admission is the caller's): the execution
// every image request shares, synchronous or queued. Image errors are
// mapped for op; context errors are returned as they are.
func (is *imageService) run(ctx context.Context, eng Engine, op string, get oss.GetObjectInput, pl *imgproc.Pipeline, fetch imgproc.WatermarkFetcher) (*imgproc.Result, oss.ObjectInfo, error) {
	out, err := eng.GetObject(ctx, get)
	if err != nil {
		return nil, oss.ObjectInfo{}, err
	}
	defer out.Body.Close()
	is.processed.Add(1)
	r, err := is.proc.Process(ctx, out.Body, out.Info.Size, pl, fetch)
	if err != nil {
		if isContextErr(err) {
			return nil, out.Info, err
		}
		return nil, out.Info, imageError(op, err)
	}
	return r, out.Info, nil
}

// imageCacheKey names a source version and a normalized pipeline.
func imageCacheKey(bucket, key string, info oss.ObjectInfo, spec string) string {
	var b strings.Builder
	b.Grow(len(bucket) + len(key) + len(info.VersionID) + len(info.ETag) + len(spec) + 64)
	for _, s := range []string{bucket, key, info.VersionID, info.ETag,
		strconv.FormatInt(info.Size, 10), strconv.FormatUint(info.CRC64, 16),
		strconv.FormatInt(info.LastModified.UnixNano(), 10), spec} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.String()
}

// checkDeps tells whether every watermark a result used is unchanged, and
// fails when the requester may not read one of them (as processing would).
func (h *Handler) checkDeps(rc *reqCtx, bucket string, deps []imageDep) (bool, error) {
	for _, d := range deps {
		if err := h.authorizeVersion(rc, opReadSource, bucket, d.key, ""); err != nil {
			return false, imageError(rc.op.name, &imgproc.Error{Code: imgproc.CodeWatermarkError,
				Message: fmt.Sprintf("watermark: cannot read image %q: %s", d.key, publicMessage(err))})
		}
		info, err := h.eng.HeadObject(rc.ctx, oss.GetObjectInput{Bucket: bucket, Key: d.key})
		if err != nil || info.ETag != d.etag || info.LastModified.UnixNano() != d.modNano {
			return false, nil
		}
	}
	return true, nil
}

// watermarkFetcher reads watermark images from the source's bucket, as
// the requester, and records what it read.
type watermarkFetcher struct {
	h      *Handler
	rc     *reqCtx
	bucket string
	mu     sync.Mutex
	deps   []imageDep
}

func (f *watermarkFetcher) Fetch(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	if !oss.ValidObjectKey(key) {
		return nil, 0, errors.New("invalid object name")
	}
	if err := f.h.authorizeVersion(f.rc, opReadSource, f.bucket, key, ""); err != nil {
		return nil, 0, errors.New(publicMessage(err))
	}
	out, err := f.h.eng.GetObject(ctx, oss.GetObjectInput{Bucket: f.bucket, Key: key})
	if err != nil {
		return nil, 0, errors.New(publicMessage(err))
	}
	f.mu.Lock()
	f.deps = append(f.deps, imageDep{key: key, etag: out.Info.ETag, modNano: out.Info.LastModified.UnixNano()})
	f.mu.Unlock()
	return out.Body, out.Info.Size, nil
}

// publicMessage is what a client may see of err: its code and message,
// never an internal cause.
func publicMessage(err error) string {
	code := oss.CodeOf(err)
	var oe *oss.Error
	if code != oss.InternalError && errors.As(err, &oe) {
		return code.Name() + ": " + oe.Msg()
	}
	var re responseError
	if errors.As(err, &re) {
		er := re.errResponse()
		return er.code + ": " + er.message
	}
	return code.Name()
}

// imageError maps an image processing failure to what the client sees.
// imgproc's codes that the oss table lists with the status OSS answers
// for image errors become *oss.Error; the others (ImageTooLarge,
// WatermarkError, and NotImplemented, which image processing answers with
// 400) keep their code through *processError. Errors that are not
// *imgproc.Error are internal.
func imageError(op string, err error) error {
	var ie *imgproc.Error
	if !errors.As(err, &ie) {
		return oss.Wrap(op, err)
	}
	switch ie.Code {
	case imgproc.CodeInvalidArgument:
		return oss.E(op, oss.InvalidArgument, "%s", ie.Message)
	case imgproc.CodeBadRequest:
		return oss.E(op, oss.BadRequest, "%s", ie.Message)
	case imgproc.CodeMissingArgument:
		return oss.E(op, oss.MissingArgument, "%s", ie.Message)
	case imgproc.CodeNotImplemented:
		return &processError{code: ie.Code, status: http.StatusBadRequest, ec: oss.NotImplemented.EC(), message: ie.Message}
	case imgproc.CodeImageTooLarge, imgproc.CodeWatermarkError:
		return &processError{code: ie.Code, status: http.StatusBadRequest, message: ie.Message}
	}
	return oss.E(op, oss.InvalidArgument, "%s", ie.Message)
}

// responseError is an error that knows how the client sees it; the one
// error writer (toErrResponse) uses it as is.
type responseError interface {
	error
	errResponse() errResponse
}

// processError is an image processing error whose code is not in the oss
// table, or is answered with another status than the table's.
type processError struct {
	code    string
	status  int
	ec      string
	message string
}

func (e *processError) Error() string { return e.code + ": " + e.message }

func (e *processError) errResponse() errResponse {
	return errResponse{status: e.status, code: e.code, ec: e.ec, message: e.message, nextAppendPosition: -1}
}

// getObjectOrStyle serves GetObject and HeadObject. With style delimiters
// configured, a key that does not exist and contains one may name
// "<key><delimiter><style>": see styleShorthand.
func getObjectOrStyle(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	err := getObject(h, w, r, rc)
	if err == nil || h.img.delims == "" || !oss.IsCode(err, oss.NoSuchKey) {
		return err
	}
	if rw, ok := w.(*respWriter); ok && rw.wroteHeader() {
		return err
	}
	return h.styleShorthand(w, r, rc, err)
}
