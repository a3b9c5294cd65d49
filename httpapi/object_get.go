package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

// readInput is what GetObject and HeadObject take from a request: the
// version, the range (RFC 7233 "standard" behaviour for S3 and with
// x-oss-range-behavior: standard) and the If-* preconditions.
func readInput(rc *reqCtx, r *http.Request) oss.GetObjectInput {
	standard := rc.s3 || strings.EqualFold(r.Header.Get(hdrOSSRangeBehavior), "standard")
	return oss.GetObjectInput{
		Bucket:     rc.bucket(),
		Key:        rc.key(),
		VersionID:  rc.query.Get("versionId"),
		Range:      oss.ParseRange(r.Header.Get("Range"), standard),
		Conditions: parseConditions(r.Header),
	}
}

// getObject serves GetObject and HeadObject.
func getObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	in := readInput(rc, r)
	if rc.head {
		info, err := h.eng.HeadObject(rc.ctx, in)
		if err != nil {
			return rc.readError(err, info)
		}
		rng, err := in.Range.Resolve(info.Size)
		if err != nil {
			return err
		}
		rc.sendObjectHeaders(w, info, rng)
		return nil
	}
	out, err := h.eng.GetObject(rc.ctx, in)
	if err != nil {
		if out != nil {
			return rc.readError(err, out.Info)
		}
		return err
	}
	defer out.Body.Close()
	rc.sendObjectHeaders(w, out.Info, out.Range)
	if _, err := io.Copy(w, out.Body); err != nil {
		return fmt.Errorf("%w: %v", errHeaderSent, err)
	}
	return nil
}

// sendObjectHeaders writes the status and headers of a read: 200 for the
// whole object, 206 with Content-Range for a range.
func (rc *reqCtx) sendObjectHeaders(w http.ResponseWriter, info oss.ObjectInfo, rng *oss.Range) {
	hd := w.Header()
	rc.objectHeaders(hd, info, rng == nil)
	rc.applyResponseOverrides(hd)
	hd.Set("Accept-Ranges", "bytes")
	status, length := http.StatusOK, info.Size
	if rng != nil {
		status, length = http.StatusPartialContent, rng.Length
		hd.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rng.Start, rng.Start+rng.Length-1, info.Size))
	}
	hd.Set("Content-Length", strconv.FormatInt(length, 10))
	w.WriteHeader(status)
}

// getObjectMeta is HEAD ?objectMeta: the object's basic metadata only.
func getObjectMeta(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	info, err := h.eng.HeadObject(rc.ctx, oss.GetObjectInput{Bucket: rc.bucket(), Key: rc.key(), VersionID: rc.query.Get("versionId")})
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	hd.Set("ETag", info.ETag)
	hd.Set("Last-Modified", httpTime(info.LastModified))
	hd.Set(hdrOSSCRC64, checksum.FormatCRC64(info.CRC64))
	rc.versionHeader(hd, info.VersionID)
	w.WriteHeader(http.StatusOK)
	return nil
}
