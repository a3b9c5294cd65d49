package httpapi

import (
	"net/http"
	"strconv"

	"github.com/ossflow/ossflow/oss"
)

// appendObject is POST /key?append&position=N.
func appendObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ps := rc.query.Get("position")
	pos, err := strconv.ParseInt(ps, 10, 64)
	if err != nil || pos < 0 {
		return invalidArgument(rc.op.name, "Position is invalid.", "position", ps)
	}
	put, err := parsePutInput(rc, r)
	if err != nil {
		return err
	}
	if put.Size, err = dataSize(r, rc.op.name); err != nil {
		return err
	}
	if put.Size >= 0 && pos+put.Size > oss.MaxObjectSize {
		return oss.E(rc.op.name, oss.EntityTooLarge, "The appended object would exceed the maximum allowed size.")
	}
	put.Checksums = rc.checksums
	body, err := rc.dataBody(put.Size)
	if err != nil {
		return err
	}
	info, err := h.eng.AppendObject(rc.ctx, oss.AppendObjectInput{Put: put, Position: pos}, body)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set(hdrOSSNextAppendPosition, strconv.FormatInt(info.Size, 10))
	rc.writeHeaders(hd, info.ETag, info.CRC64, info.VersionID, nil)
	rc.sseHeader(hd, info.SSE)
	hd.Del("Content-Md5")
	w.WriteHeader(http.StatusOK)
	return nil
}
