package httpapi

import (
	"errors"
	"net/http"

	"github.com/ossflow/ossflow/oss"
)

// headerError is an error that carries response headers the protocol sends
// with it: a 304 keeps the object's ETag and Last-Modified (RFC 9110
// 15.4.5), and a 404 caused by a delete marker says so with
// x-oss-delete-marker and the marker's version id, as OSS does.
type headerError struct {
	err error
	hdr http.Header
}

func (e *headerError) Error() string { return e.err.Error() }
func (e *headerError) Unwrap() error { return e.err }

// readError decorates a read's error with the headers of info (which the
// engine fills for NotModified, PreconditionFailed and delete markers).
func (rc *reqCtx) readError(err error, info oss.ObjectInfo) error {
	hdr := http.Header{}
	switch {
	case oss.IsCode(err, oss.NotModified) && info.ETag != "":
		hdr.Set("ETag", info.ETag)
		hdr.Set("Last-Modified", httpTime(info.LastModified))
	case info.DeleteMarker:
		hdr.Set(rc.dialectHeader("Delete-Marker"), "true")
		rc.versionHeader(hdr, info.VersionID)
	}
	if len(hdr) == 0 {
		return err
	}
	return &headerError{err: err, hdr: hdr}
}

// applyErrorHeaders copies the headers an error carries into hd.
func applyErrorHeaders(hd http.Header, err error) {
	var he *headerError
	if errors.As(err, &he) {
		for k, v := range he.hdr {
			hd[k] = v
		}
	}
}
