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
	conditional, err := s3ConditionalWrite(rc, r)
	if err != nil {
		return err
	}
	in.ForbidOverwrite = in.ForbidOverwrite || conditional
	in.Checksums = rc.checksums
	body, err := rc.dataBody(in.Size)
	if err != nil {
		return err
	}
	info, err := h.eng.PutObject(rc.ctx, in, body)
	if err != nil {
		return conditionalWriteErr(conditional, err)
	}
	rc.writeHeaders(w.Header(), info.ETag, info.CRC64, info.VersionID, rc.checksums)
	rc.sseHeader(w.Header(), info.SSE)
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

// s3ConditionalWrite reads S3's conditional write: If-None-Match: * makes
// the write fail when the key exists (x-oss-forbid-overwrite's meaning,
// answered 412 as S3 does). If-Match on a write is not implemented.
func s3ConditionalWrite(rc *reqCtx, r *http.Request) (bool, error) {
	if !rc.s3 {
		return false, nil
	}
	if r.Header.Get("If-Match") != "" {
		return false, oss.E(rc.op.name, oss.NotImplemented, "Conditional writes with If-Match are not implemented.")
	}
	switch v := r.Header.Get("If-None-Match"); v {
	case "":
		return false, nil
	case "*":
		return true, nil
	default:
		return false, oss.E(rc.op.name, oss.NotImplemented, "Conditional writes support only If-None-Match: *.")
	}
}

func conditionalWriteErr(conditional bool, err error) error {
	if conditional && oss.IsCode(err, oss.FileAlreadyExists) {
		return oss.E("", oss.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.")
	}
	return err
}
