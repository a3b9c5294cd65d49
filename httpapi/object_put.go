package httpapi

import (
	"net/http"

	"github.com/ossflow/ossflow/oss"
)

func putObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	in, err := parsePutInput(rc, r)
	if err != nil {
		return err
	}
	if in.Size, err = dataSize(r, rc.op.name); err != nil {
		return err
	}
	in.Checksums = rc.checksums
	body, err := rc.dataBody(in.Size)
	if err != nil {
		return err
	}
	info, err := h.eng.PutObject(rc.ctx, in, body)
	if err != nil {
		return err
	}
	rc.writeHeaders(w.Header(), info.ETag, info.CRC64, info.VersionID, rc.checksums)
	w.WriteHeader(http.StatusOK)
	return nil
}

func deleteObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	out, err := h.eng.DeleteObject(rc.ctx, oss.DeleteObjectInput{Bucket: rc.bucket(), Key: rc.key(), VersionID: rc.query.Get("versionId")})
	if err != nil {
		return err
	}
	hd := w.Header()
	if out.DeleteMarker {
		hd.Set(rc.dialectHeader("Delete-Marker"), "true")
	}
	vid := out.VersionID
	if out.DeleteMarker && out.DeleteMarkerVersionID != "" {
		vid = out.DeleteMarkerVersionID
	}
	rc.versionHeader(hd, vid)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
