package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
)

// Config configures a Handler.
type Config struct {
	// Region is the region ossflow runs as, e.g. "cn-hangzhou";
	// GetBucketLocation answers "oss-" + Region.
	Region string
	// Domains are the base domains of virtual-hosted addressing
	// ("<bucket>.<domain>"); path style always works.
	Domains []string
	// Now is the clock of the Date header; nil means time.Now.
	Now func() time.Time
	// MaxXMLBody bounds XML request bodies; zero means 2 MiB.
	MaxXMLBody int64
	// Authorizer decides whether an authenticated (or anonymous) request may
	// proceed; nil means the default rules: any authenticated key may do
	// anything, anonymous requests only what a bucket or object ACL grants.
	Authorizer Authorizer
	// Directory is the account's identities: it enables the admin API under
	// /-/admin/, STS sessions and signed PostObject forms (see access_*.go).
	// Nil: no admin API, and PostObject accepts only anonymous forms.
	Directory *access.Directory

	// StyleDelimiters enables the "<key><delimiter><style>" shorthand for
	// key?x-oss-process=style/<style> (OSS allows '-', '_', '/' and '!'):
	// each byte is a delimiter. "" (the default) turns it off.
	StyleDelimiters string
	// ImageConcurrency bounds the images decoded at once; zero means
	// GOMAXPROCS. Further requests queue.
	ImageConcurrency int
	// ImageCacheBytes bounds the derived-image cache; zero means
	// DefaultImageCacheBytes (64 MiB), negative disables it.
	ImageCacheBytes int64
	// ImageLimits bounds image sources and results; zero fields mean
	// imgproc.DefaultLimits.
	ImageLimits imgproc.Limits
	// AsyncProcessor queues x-oss-async-process jobs (see
	// asyncprocess.go); nil answers them NotImplemented.
	AsyncProcessor AsyncProcessor
}

// DefaultMaxXMLBody is the default bound of XML request bodies, and the
// bound OSS applies to DeleteMultipleObjects.
const DefaultMaxXMLBody = 2 << 20

// Engine is the method set of *store.Store that the HTTP layer uses.
type Engine interface {
	CreateBucket(ctx context.Context, b oss.Bucket) (oss.Bucket, error)
	DeleteBucket(ctx context.Context, name string) error
	GetBucket(ctx context.Context, name string) (oss.Bucket, error)
	ListBuckets(ctx context.Context, in oss.ListBucketsInput) (oss.ListBucketsOutput, error)
	PutBucketACL(ctx context.Context, name string, acl oss.ACL) error
	PutBucketVersioning(ctx context.Context, name string, status oss.VersioningStatus) error
	BucketStat(ctx context.Context, name string) (oss.BucketStat, error)
	PutBucketLifecycle(ctx context.Context, name string, cfg oss.LifecycleConfiguration) error
	GetBucketLifecycle(ctx context.Context, name string) (oss.LifecycleConfiguration, error)
	DeleteBucketLifecycle(ctx context.Context, name string) error
	PutBucketConfig(ctx context.Context, bucket, name string, data []byte) error
	GetBucketConfig(ctx context.Context, bucket, name string) (data []byte, ok bool, err error)
	DeleteBucketConfig(ctx context.Context, bucket, name string) error

	PutObject(ctx context.Context, in oss.PutObjectInput, body io.Reader) (oss.ObjectInfo, error)
	GetObject(ctx context.Context, in oss.GetObjectInput) (*oss.GetObjectOutput, error)
	HeadObject(ctx context.Context, in oss.GetObjectInput) (oss.ObjectInfo, error)
	DeleteObject(ctx context.Context, in oss.DeleteObjectInput) (oss.DeletedObject, error)
	DeleteObjects(ctx context.Context, bucket string, objs []oss.ObjectIdentifier) ([]oss.DeletedObject, error)
	CopyObject(ctx context.Context, in oss.CopyObjectInput) (oss.CopyObjectOutput, error)
	AppendObject(ctx context.Context, in oss.AppendObjectInput, body io.Reader) (oss.ObjectInfo, error)
	PutSymlink(ctx context.Context, in oss.PutSymlinkInput) (oss.ObjectInfo, error)
	GetSymlink(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error)
	PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags []oss.Tag) (oss.ObjectInfo, error)
	GetObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error)
	DeleteObjectTagging(ctx context.Context, bucket, key, versionID string) (oss.ObjectInfo, error)
	PutObjectACL(ctx context.Context, bucket, key, versionID string, acl oss.ACL) (oss.ObjectInfo, error)

	InitiateMultipartUpload(ctx context.Context, in oss.PutObjectInput) (oss.MultipartUpload, error)
	UploadPart(ctx context.Context, in oss.UploadPartInput, body io.Reader) (oss.Part, error)
	UploadPartCopy(ctx context.Context, in oss.UploadPartCopyInput) (oss.Part, error)
	CompleteMultipartUpload(ctx context.Context, in oss.CompleteMultipartInput) (oss.ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListParts(ctx context.Context, in oss.ListPartsInput) (oss.ListPartsOutput, error)
	ListMultipartUploads(ctx context.Context, in oss.ListUploadsInput) (oss.ListUploadsOutput, error)

	ListObjects(ctx context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error)
	ListObjectVersions(ctx context.Context, in oss.ListVersionsInput) (oss.ListVersionsOutput, error)
}

// Authenticator verifies a request's signature; *auth.Verifier satisfies it.
type Authenticator interface {
	Verify(ctx context.Context, r *http.Request, bucket, key string) (auth.Result, error)
}

// Observer receives one call per request (monitor.Metrics implements it).
// op is the OSS operation name, status the HTTP status answered, bytesIn
// the request body bytes read from the connection and bytesOut the response
// body bytes written.
type Observer interface {
	ObserveRequest(op string, status int, d time.Duration, bytesIn, bytesOut int64)
}

// Handler is the http.Handler of both dialects.
type Handler struct {
	cfg     Config
	eng     Engine
	authn   Authenticator
	authz   Authorizer
	obs     Observer
	now     func() time.Time
	domains []string // lowercased, without trailing dot
	maxXML  int64
	ids     idGen
	img     *imageService
}

// New returns the Handler serving eng. authn authenticates every request;
// obs may be nil.
func New(cfg Config, eng Engine, authn Authenticator, obs Observer) *Handler {
	h := &Handler{cfg: cfg, eng: eng, authn: authn, authz: cfg.Authorizer, obs: obs, now: cfg.Now, maxXML: cfg.MaxXMLBody}
	if h.now == nil {
		h.now = time.Now
	}
	if h.authz == nil {
		h.authz = DefaultAuthorizer{}
	}
	if h.maxXML <= 0 {
		h.maxXML = DefaultMaxXMLBody
	}
	for _, d := range cfg.Domains {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if d != "" {
			h.domains = append(h.domains, d)
		}
	}
	h.ids.init()
	h.img = newImageService(cfg)
	return h
}

// reqCtx is what a handler knows about the request being served.
type reqCtx struct {
	ctx    context.Context
	op     *operation
	reqID  string
	amzID2 string
	addr   address
	query  url.Values
	hdr    http.Header // request header
	s3     bool        // answer in the S3 dialect
	head   bool
	secure bool // the request came over TLS
	auth   auth.Result

	// body is the request body, verified as it is read (nil before
	// authentication); in counts the raw bytes read off the connection.
	body      io.Reader
	in        *countingReader
	bodyErr   error             // first failure of body (not io.EOF)
	checksums map[string]string // S3 x-amz-checksum-* values, complete at body EOF
	md5Given  bool              // a well-formed Content-MD5 came with the request
}

func (rc *reqCtx) bucket() string { return rc.addr.bucket }
func (rc *reqCtx) key() string    { return rc.addr.key }

// ServeHTTP serves one request of either dialect.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rc := &reqCtx{ctx: r.Context(), query: r.URL.Query(), hdr: r.Header, head: r.Method == http.MethodHead, secure: r.TLS != nil}
	rc.reqID = h.ids.next(h.now())
	rc.amzID2 = amzID2(rc.reqID)
	rc.s3 = guessS3(r)
	rc.addr = h.resolve(r.Host, r.URL.Path)
	rc.op = route(r.Method, rc.addr, rc.query, r.Header)
	rw := &respWriter{w: w, before: func(hd http.Header) { h.commonHeaders(hd, rc) }}
	h.corsActual(rw, r, rc)

	if err := h.serveRecover(rw, r, rc); err != nil {
		h.writeError(rw, r, rc, err)
	}
	var in int64
	if rc.in != nil {
		in = rc.in.n
	}
	if h.obs != nil {
		h.obs.ObserveRequest(rc.op.name, rw.statusCode(), time.Since(start), in, rw.n)
	}
}

// serveRecover runs serve, turning a panic into an InternalError (the
// client gets a 500 and the Observer its call; the server goes on).
// http.ErrAbortHandler keeps its meaning.
func (h *Handler) serveRecover(w http.ResponseWriter, r *http.Request, rc *reqCtx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err = oss.Wrap(rc.op.name, fmt.Errorf("panic: %v", p))
		}
	}()
	return h.serve(w, r, rc)
}

// serve authenticates and authorizes the request and runs its operation.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if rc.op.handle == nil {
		return oss.E(rc.op.name, rc.op.fail, "")
	}
	if rc.op.selfAuth {
		return h.serveSelfAuth(w, r, rc)
	}
	if err := rc.addr.validate(rc.op); err != nil {
		return err
	}
	res, err := h.authn.Verify(rc.ctx, r, rc.bucket(), rc.key())
	if res.Scheme != auth.SchemeAnonymous || res.Dialect == auth.DialectS3 {
		rc.s3 = res.Dialect == auth.DialectS3
	}
	if err != nil {
		return err
	}
	rc.auth = res
	rc.ctx = oss.WithRequestInfo(rc.ctx, oss.RequestInfo{
		RequestID:   rc.reqID,
		SourceIP:    sourceIP(r),
		PrincipalID: res.AccessKeyID,
		Origin:      requestOrigin(r, res),
	})
	if err := h.authorize(rc, rc.op, rc.bucket(), rc.key()); err != nil {
		return err
	}
	if err := h.wrapBody(r, rc); err != nil {
		return err
	}
	return rc.op.handle(h, w, r, rc)
}

// commonHeaders are set on every response, success or error.
func (h *Handler) commonHeaders(hd http.Header, rc *reqCtx) {
	hd.Set("Server", "AliyunOSS")
	hd.Set("Date", h.now().UTC().Format(http.TimeFormat))
	hd.Set(hdrOSSRequestID, rc.reqID)
	if rc.s3 {
		hd.Set("X-Amz-Request-Id", rc.reqID)
		hd.Set("X-Amz-Id-2", rc.amzID2)
	}
}

// guessS3 tells, before authentication, whether the request speaks S3.
func guessS3(r *http.Request) bool {
	a := r.Header.Get("Authorization")
	if strings.HasPrefix(a, "AWS4-") || strings.HasPrefix(a, "AWS ") {
		return true
	}
	if a != "" {
		return false
	}
	q := r.URL.RawQuery
	if strings.Contains(q, "X-Amz-Algorithm=") || strings.Contains(q, "AWSAccessKeyId=") {
		return true
	}
	for k := range r.Header {
		if strings.HasPrefix(k, "X-Amz-") {
			return true
		}
	}
	return false
}

// requestOrigin is the X-Ossflow-Origin header of an authenticated
// request (a remote function worker marks its writes "function:<name>"),
// recorded in the writes' events for the functions' loop guard.
func requestOrigin(r *http.Request, res auth.Result) string {
	if o := r.Header.Get("X-Ossflow-Origin"); !res.Anonymous && len(o) <= 128 {
		return o
	}
	return ""
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// idGen makes request ids: 24 upper-hex digits, unique per process (a
// random per-process part and a counter) and roughly time ordered.
type idGen struct {
	prefix [4]byte
	n      atomic.Uint32
}

func (g *idGen) init() { _, _ = rand.Read(g.prefix[:]) }

func (g *idGen) next(now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(now.Unix()))
	copy(b[4:8], g.prefix[:])
	binary.BigEndian.PutUint32(b[8:12], g.n.Add(1))
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// amzID2 is the x-amz-id-2 value: an opaque token derived from the id.
func amzID2(reqID string) string {
	return "ossflow/" + reqID
}

// respWriter records the status and body bytes of a response and runs a
// hook once, just before the header goes out.
type respWriter struct {
	w      http.ResponseWriter
	before func(http.Header)
	status int
	n      int64
}

func (w *respWriter) Header() http.Header { return w.w.Header() }

func (w *respWriter) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	if w.before != nil {
		w.before(w.w.Header())
	}
	w.w.WriteHeader(status)
}

func (w *respWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.w.Write(p)
	w.n += int64(n)
	return n, err
}

// ReadFrom lets io.Copy use the connection's ReadFrom (sendfile for files).
func (w *respWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	var n int64
	var err error
	if rf, ok := w.w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{w.w}, src)
	}
	w.n += n
	return n, err
}

// Unwrap supports http.ResponseController.
func (w *respWriter) Unwrap() http.ResponseWriter { return w.w }

func (w *respWriter) wroteHeader() bool { return w.status != 0 }

func (w *respWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
