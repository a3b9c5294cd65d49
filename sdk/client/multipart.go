package client

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/ossflow/ossflow/checksum"
)

// Multipart limits, as OSS.
const (
	MinPartSize     = 100 << 10
	MaxPartSize     = 5 << 30
	MaxParts        = 10000
	DefaultPartSize = 8 << 20
	// DefaultConcurrency is the number of parts Upload sends at once.
	DefaultConcurrency = 4
)

// Part is one uploaded part of a multipart upload.
type Part struct {
	PartNumber int
	ETag       string
	Size       int64
	CRC64      uint64
}

type initiateResult struct {
	UploadID string `xml:"UploadId"`
}

// InitiateMultipartUpload starts a multipart upload of bucket/key and
// returns its upload id.
func (c *Client) InitiateMultipartUpload(ctx context.Context, bucket, key string, opts *PutOptions) (string, error) {
	var res initiateResult
	rq := &request{method: http.MethodPost, bucket: bucket, key: key, query: url.Values{"uploads": {""}}, header: opts.header()}
	if err := c.getXML(ctx, rq, &res); err != nil {
		return "", err
	}
	if res.UploadID == "" {
		return "", fmt.Errorf("client: InitiateMultipartUpload %s: answer has no UploadId", describe(bucket, key))
	}
	return res.UploadID, nil
}

// UploadPart uploads size bytes of r as part partNumber (1..10000). The
// part's CRC-64 is checked against the server's.
func (c *Client) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, r io.Reader, size int64) (Part, error) {
	cr := &crcReader{r: r}
	rq := &request{
		method: http.MethodPut, bucket: bucket, key: key,
		query: url.Values{"partNumber": {strconv.Itoa(partNumber)}, "uploadId": {uploadID}},
		body:  cr, size: size,
	}
	h, err := c.doDiscard(ctx, rq)
	if err != nil {
		return Part{}, err
	}
	info := objectInfoFromHeader(bucket, key, h, cr.n)
	if err := checkCRC(fmt.Sprintf("client: UploadPart %d", partNumber), info, cr.crc); err != nil {
		return Part{}, err
	}
	return Part{PartNumber: partNumber, ETag: h.Get("ETag"), Size: cr.n, CRC64: cr.crc}, nil
}

type completeXML struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []completePart `xml:"Part"`
}

type completePart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

type completeResult struct {
	ETag string `xml:"ETag"`
}

// CompleteMultipartUpload assembles parts (in any order; they are sorted)
// into the object. When every part carries its CRC-64 the object's CRC-64
// is checked against the server's.
func (c *Client) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []Part, opts *PutOptions) (ObjectInfo, error) {
	parts = append([]Part(nil), parts...)
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	doc := completeXML{}
	var size int64
	var crc uint64
	for i, p := range parts {
		doc.Parts = append(doc.Parts, completePart{p.PartNumber, p.ETag})
		if i == 0 {
			crc = p.CRC64
		} else {
			crc = checksum.CombineCRC64(crc, p.CRC64, p.Size)
		}
		size += p.Size
	}
	body, err := xml.Marshal(doc)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("client: CompleteMultipartUpload: %w", err)
	}
	h := http.Header{"Content-Type": {"application/xml"}}
	if opts != nil && opts.ForbidOverwrite {
		h.Set("x-oss-forbid-overwrite", "true")
	}
	rq := &request{method: http.MethodPost, bucket: bucket, key: key, query: url.Values{"uploadId": {uploadID}}, header: h}
	rq.body, rq.size = xmlBody(body)
	resp, err := c.do(ctx, rq)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer resp.Body.Close()
	var res completeResult
	if err := xml.NewDecoder(io.LimitReader(resp.Body, maxXMLResponse)).Decode(&res); err != nil {
		return ObjectInfo{}, fmt.Errorf("client: CompleteMultipartUpload %s: decode answer: %w", describe(bucket, key), err)
	}
	info := objectInfoFromHeader(bucket, key, resp.Header, size)
	info.Size = size
	if res.ETag != "" {
		info.ETag = res.ETag
	}
	if len(parts) > 0 {
		if err := checkCRC("client: CompleteMultipartUpload", info, crc); err != nil {
			return info, err
		}
	}
	return info, nil
}

// AbortMultipartUpload discards an upload and its parts.
func (c *Client) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	_, err := c.doDiscard(ctx, &request{method: http.MethodDelete, bucket: bucket, key: key, query: url.Values{"uploadId": {uploadID}}})
	return err
}

// UploadOptions control Upload.
type UploadOptions struct {
	Put PutOptions
	// PartSize is the size of each part (default 8 MiB, at least 100 KiB);
	// it grows when a known size would need more than 10000 parts. Objects
	// no larger than one part are sent with a single PutObject.
	PartSize int64
	// Concurrency is the number of parts in flight (default 4).
	Concurrency int
	// Progress, if set, is called with the bytes sent so far and the total
	// (-1 when unknown). Calls are serialized.
	Progress func(done, total int64)
}

// Upload writes r to bucket/key, as one PutObject when it fits in a part
// and as a parallel multipart upload otherwise. size is the length of r, or
// -1 when unknown (r is then read part by part into memory; at most
// Concurrency+1 parts are buffered). When r is an io.ReaderAt and size is
// known, parts are read in place without buffering. A failed multipart
// upload is aborted.
func (c *Client) Upload(ctx context.Context, bucket, key string, r io.Reader, size int64, opts *UploadOptions) (ObjectInfo, error) {
	var o UploadOptions
	if opts != nil {
		o = *opts
	}
	if o.PartSize <= 0 {
		o.PartSize = DefaultPartSize
	}
	o.PartSize = max(o.PartSize, MinPartSize)
	if size > 0 && (size+o.PartSize-1)/o.PartSize > MaxParts {
		o.PartSize = ((size+MaxParts-1)/MaxParts + 1<<20 - 1) &^ (1<<20 - 1)
	}
	o.PartSize = min(o.PartSize, MaxPartSize)
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	prog := &progress{fn: o.Progress, total: size}

	if size >= 0 && size <= o.PartSize {
		return c.PutObject(ctx, bucket, key, prog.reader(r), size, &o.Put)
	}
	u := &uploader{c: c, bucket: bucket, key: key, opts: o, prog: prog, size: size}
	ra, isRA := r.(io.ReaderAt)
	if !isRA || size < 0 {
		// Read the first part: a stream that fits in one is a plain put.
		buf := make([]byte, o.PartSize)
		n, err := io.ReadFull(r, buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return c.PutObject(ctx, bucket, key, prog.reader(bytes.NewReader(buf[:n])), int64(n), &o.Put)
		case err != nil:
			return ObjectInfo{}, fmt.Errorf("client: Upload %s: read: %w", describe(bucket, key), err)
		}
		u.first = buf
		ra = nil
	}
	return u.run(ctx, r, ra)
}

// uploader runs one parallel multipart upload.
type uploader struct {
	c           *Client
	bucket, key string
	opts        UploadOptions
	prog        *progress
	size        int64
	first       []byte // the already read first part of a stream

	mu       sync.Mutex
	parts    []Part
	firstErr error
	cancel   context.CancelFunc
}

type partJob struct {
	num     int
	body    io.ReadSeeker
	size    int64
	release func()
}

func (u *uploader) fail(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.firstErr == nil {
		u.firstErr = err
		u.cancel()
	}
}

func (u *uploader) run(parent context.Context, r io.Reader, ra io.ReaderAt) (ObjectInfo, error) {
	uploadID, err := u.c.InitiateMultipartUpload(parent, u.bucket, u.key, &u.opts.Put)
	if err != nil {
		return ObjectInfo{}, err
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	u.cancel = cancel

	jobs := make(chan partJob)
	var wg sync.WaitGroup
	for range u.opts.Concurrency {
		wg.Go(func() {
			for job := range jobs {
				if ctx.Err() == nil {
					p, err := u.sendPart(ctx, uploadID, job)
					if err != nil {
						u.fail(err)
					} else {
						u.mu.Lock()
						u.parts = append(u.parts, p)
						u.mu.Unlock()
					}
				}
				job.release()
			}
		})
	}

	bufs := newBufPool(u.opts.Concurrency+1, u.opts.PartSize)
	for num := 1; ctx.Err() == nil; num++ {
		if num > MaxParts {
			u.fail(fmt.Errorf("client: Upload %s: more than %d parts of %d bytes", describe(u.bucket, u.key), MaxParts, u.opts.PartSize))
			break
		}
		var job partJob
		last := false
		if ra != nil {
			off := int64(num-1) * u.opts.PartSize
			if off >= u.size {
				break
			}
			n := min(u.opts.PartSize, u.size-off)
			job = partJob{num: num, body: io.NewSectionReader(ra, off, n), size: n, release: func() {}}
		} else {
			var buf []byte
			var n int
			if num == 1 {
				buf, n = u.first, len(u.first)
				u.first = nil
			} else {
				if buf = bufs.get(ctx); buf == nil {
					break
				}
				var err error
				n, err = io.ReadFull(r, buf)
				switch {
				case err == io.EOF:
					bufs.put(buf)
					last = true
				case err == io.ErrUnexpectedEOF:
					last = true
				case err != nil:
					bufs.put(buf)
					u.fail(fmt.Errorf("client: Upload %s: read: %w", describe(u.bucket, u.key), err))
				}
				if n == 0 || u.firstErr != nil {
					break
				}
			}
			job = partJob{num: num, body: bytes.NewReader(buf[:n]), size: int64(n), release: func() { bufs.put(buf) }}
		}
		select {
		case jobs <- job:
		case <-ctx.Done():
			job.release()
		}
		if last {
			break
		}
	}
	close(jobs)
	wg.Wait()

	if err := u.err(parent); err != nil {
		actx, acancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
		defer acancel()
		_ = u.c.AbortMultipartUpload(actx, u.bucket, u.key, uploadID)
		return ObjectInfo{}, err
	}
	info, err := u.c.CompleteMultipartUpload(parent, u.bucket, u.key, uploadID, u.parts, &u.opts.Put)
	if err != nil && !IsCode(err, "NoSuchUpload") {
		actx, acancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
		defer acancel()
		_ = u.c.AbortMultipartUpload(actx, u.bucket, u.key, uploadID)
	}
	return info, err
}

func (u *uploader) err(parent context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.firstErr != nil {
		return u.firstErr
	}
	if err := parent.Err(); err != nil {
		return fmt.Errorf("client: Upload %s: %w", describe(u.bucket, u.key), err)
	}
	return nil
}

// sendPart uploads one part, retrying transient failures.
func (u *uploader) sendPart(ctx context.Context, uploadID string, job partJob) (Part, error) {
	const attempts = 3
	var err error
	for attempt := range attempts {
		if attempt > 0 {
			select {
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			case <-ctx.Done():
				return Part{}, err
			}
			if _, serr := job.body.Seek(0, io.SeekStart); serr != nil {
				return Part{}, fmt.Errorf("client: UploadPart %d: rewind: %w", job.num, serr)
			}
		}
		pr := u.prog.reader(job.body)
		var p Part
		p, err = u.c.UploadPart(ctx, u.bucket, u.key, uploadID, job.num, pr, job.size)
		if err == nil {
			return p, nil
		}
		u.prog.add(-pr.(*progressReader).n)
		if !transient(err) || ctx.Err() != nil {
			return Part{}, err
		}
	}
	return Part{}, err
}

// transient reports whether a failed request may succeed when repeated.
func transient(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode >= 500 || e.Code == "RequestTimeout"
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, ErrChecksumMismatch)
}

// bufPool hands out at most limit part buffers.
type bufPool struct {
	free      chan []byte
	mu        sync.Mutex
	allocated int
	limit     int
	size      int64
}

func newBufPool(limit int, size int64) *bufPool {
	return &bufPool{free: make(chan []byte, limit), limit: limit, size: size}
}

func (p *bufPool) get(ctx context.Context) []byte {
	select {
	case b := <-p.free:
		return b
	default:
	}
	p.mu.Lock()
	if p.allocated < p.limit {
		p.allocated++
		p.mu.Unlock()
		return make([]byte, p.size)
	}
	p.mu.Unlock()
	select {
	case b := <-p.free:
		return b
	case <-ctx.Done():
		return nil
	}
}

func (p *bufPool) put(b []byte) {
	if int64(cap(b)) < p.size {
		return
	}
	select {
	case p.free <- b[:p.size]:
	default:
	}
}

// progress reports transferred bytes to a callback.
type progress struct {
	mu    sync.Mutex
	fn    func(done, total int64)
	done  int64
	total int64
}

func (p *progress) add(n int64) {
	if p.fn == nil || n == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.fn(p.done, p.total)
}

func (p *progress) reader(r io.Reader) io.Reader { return &progressReader{r: r, p: p} }

type progressReader struct {
	r io.Reader
	p *progress
	n int64
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.n += int64(n)
	pr.p.add(int64(n))
	return n, err
}
