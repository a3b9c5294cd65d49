package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/oss"
)

// errResponse is an error as the client sees it.
type errResponse struct {
	status  int
	code    string // protocol code, e.g. "NoSuchKey"
	ec      string // OSS EC, "" when none
	message string
	// At most one of the following groups is shown, as OSS does.
	bucket  string
	key     string
	details []auth.Detail // ArgumentName/Value, StringToSign, ...
	// Extra response headers.
	nextAppendPosition int64 // -1 when unset
	crc64              string
}

// errHeaderSent is returned by a handler whose response has started (a
// failure while streaming a body): nothing more can be written.
var errHeaderSent = errors.New("httpapi: response already started")

// toErrResponse maps err to what the client sees. Everything goes through
// the oss table: auth errors map by code name, and a name the table does
// not list falls back to AccessDenied, InvalidArgument, NotImplemented or
// InternalError by its status; their message and extra elements are kept.
func toErrResponse(err error, rc *reqCtx) errResponse {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return authErrResponse(ae, rc)
	}
	var re responseError // image processing codes outside the table
	if errors.As(err, &re) {
		return re.errResponse()
	}
	code := oss.CodeOf(err)
	if code == oss.InvalidDigest && rc.s3 && rc.md5Given {
		// A well-formed Content-MD5 that does not match: S3 says BadDigest.
		code = oss.BadDigest
		err = oss.E("", code, "The Content-MD5 you specified did not match what we received.")
	}
	out := errResponse{status: code.Status(), code: code.Name(), ec: code.EC(), message: code.DefaultMessage(), nextAppendPosition: -1}
	var oe *oss.Error
	if errors.As(err, &oe) && code != oss.InternalError {
		out.message = oe.Msg()
		out.bucket, out.key = oe.Bucket, oe.Key
		if oe.ArgumentName != "" {
			out.details = []auth.Detail{{Name: "ArgumentName", Value: oe.ArgumentName}, {Name: "ArgumentValue", Value: oe.ArgumentValue}}
		}
		if code == oss.PositionNotEqualToLength {
			out.nextAppendPosition = oe.NextAppendPosition
		}
		out.crc64 = oe.CRC64
	}
	switch code {
	case oss.NoSuchBucket, oss.BucketNotEmpty, oss.BucketAlreadyExists, oss.InvalidBucketName, oss.TooManyBuckets:
		if out.bucket == "" {
			out.bucket = rc.bucket()
		}
		out.key = ""
	case oss.NoSuchKey, oss.InvalidObjectName, oss.SymlinkTargetNotExist, oss.FileAlreadyExists,
		oss.PositionNotEqualToLength, oss.ObjectNotAppendable, oss.NoSuchVersion:
		if out.key == "" {
			out.key = rc.key()
		}
		out.bucket = ""
	default:
		out.bucket, out.key = "", ""
	}
	if out.details != nil {
		out.bucket, out.key = "", ""
	}
	return out
}

func authErrResponse(ae *auth.Error, rc *reqCtx) errResponse {
	code, ok := oss.CodeByName(ae.Code)
	if !ok {
		code = authFallback(ae.StatusCode)
	}
	out := errResponse{status: code.Status(), code: code.Name(), ec: code.EC(), message: ae.Message, nextAppendPosition: -1}
	if out.message == "" || code == oss.InternalError {
		out.message = code.DefaultMessage()
	}
	d := auth.DialectOSS
	if rc.s3 {
		d = auth.DialectS3
	}
	out.details = ae.Details(d)
	return out
}

// authFallback is the table's code for an auth error code the table does
// not list (S3's XAmzContentSHA256Mismatch, AuthorizationHeaderMalformed,
// InvalidChunkSizeError, ...), by the status the auth package chose.
func authFallback(status int) oss.Code {
	switch {
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		return oss.AccessDenied
	case status == http.StatusNotImplemented:
		return oss.NotImplemented
	case status >= 500 || status == 0:
		return oss.InternalError
	}
	return oss.InvalidArgument
}

// writeError writes err as the response, in the request's dialect. It is
// the one place that writes errors.
func (h *Handler) writeError(w *respWriter, r *http.Request, rc *reqCtx, err error) {
	if w.wroteHeader() {
		return
	}
	if rc.bodyErr != nil && !errors.Is(err, errHeaderSent) {
		// The engine failed because the body did: report the body's failure.
		err = rc.bodyErr
	}
	er := toErrResponse(err, rc)
	hd := w.Header()
	// Drop anything a handler set for a success that did not happen.
	for _, k := range []string{"Etag", "Last-Modified", "Content-Range", "Content-Length", "Content-Type", "Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires", "Accept-Ranges"} {
		hd.Del(k)
	}
	applyErrorHeaders(hd, err)
	if er.ec != "" {
		hd.Set(hdrOSSEC, er.ec)
	}
	if er.nextAppendPosition >= 0 {
		hd.Set(hdrOSSNextAppendPosition, strconv.FormatInt(er.nextAppendPosition, 10))
	}
	if er.crc64 != "" {
		hd.Set(hdrOSSCRC64, er.crc64)
	}
	if er.status == http.StatusNotModified {
		w.WriteHeader(er.status)
		return
	}
	body := h.errorXML(r, rc, er)
	if rc.head {
		if !rc.s3 {
			hd.Set(hdrOSSErr, base64.StdEncoding.EncodeToString(body))
		}
		w.WriteHeader(er.status)
		return
	}
	hd.Set("Content-Type", "application/xml")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(er.status)
	_, _ = w.Write(body)
}

// errorXML renders the error body. OSS: Code, Message, RequestId, HostId,
// then Key | BucketName | the detail elements, then EC and RecommendDoc.
// S3: Code, Message, the same middle part, Resource, RequestId, HostId.
func (h *Handler) errorXML(r *http.Request, rc *reqCtx, er errResponse) []byte {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString("<Error>")
	elem(&buf, "Code", er.code)
	elem(&buf, "Message", er.message)
	if !rc.s3 {
		elem(&buf, "RequestId", rc.reqID)
		elem(&buf, "HostId", hostOnly(r.Host))
	}
	switch {
	case er.details != nil:
		for _, d := range er.details {
			elem(&buf, d.Name, d.Value)
		}
	case er.key != "":
		elem(&buf, "Key", er.key)
	case er.bucket != "":
		elem(&buf, "BucketName", er.bucket)
	}
	if rc.s3 {
		elem(&buf, "Resource", r.URL.Path)
		elem(&buf, "RequestId", rc.reqID)
		elem(&buf, "HostId", rc.amzID2)
	} else if er.ec != "" {
		elem(&buf, "EC", er.ec)
		elem(&buf, "RecommendDoc", "https://api.aliyun.com/troubleshoot?q="+er.ec)
	}
	buf.WriteString("</Error>\n")
	return buf.Bytes()
}

func elem(w io.Writer, name, value string) {
	io.WriteString(w, "<"+name+">")
	_ = xml.EscapeText(w, []byte(value))
	io.WriteString(w, "</"+name+">")
}

// bodyError maps a failure to read the request body.
func bodyError(err error) error {
	var ae *auth.Error
	var oe *oss.Error
	switch {
	case errors.As(err, &ae), errors.As(err, &oe):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return oss.E("", oss.IncompleteBody, "")
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return oss.E("", oss.EntityTooLarge, "")
	}
	e := oss.E("", oss.RequestTimeout, "")
	e.Err = err
	return e
}
