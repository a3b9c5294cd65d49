package httpapi

import (
	"net/http"
	"strings"

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
	if err := ossPutConditions(rc, r); err != nil {
		return err
	}
	cond, err := s3ConditionalWrite(rc, r)
	if err != nil {
		return err
	}
	cond.apply(&in.IfMatch, &in.IfNoneMatch)
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

// ossPutConditions refuses the preconditions OSS does not implement on
// PutObject (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since)
// with NotImplemented, as OSS documents (EC 0017-00000245), instead of
// writing unconditionally. The S3 dialect implements them (s3ConditionalWrite).
func ossPutConditions(rc *reqCtx, r *http.Request) error {
	if rc.s3 {
		return nil
	}
	for _, h := range [...]string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if r.Header.Get(h) != "" {
			return oss.E(rc.op.name, oss.NotImplemented, "A header you provided implies functionality that is not implemented.")
		}
	}
	return nil
}

// s3Conditions are the preconditions of an S3 conditional write
// (PutObject, CompleteMultipartUpload), checked by the engine under the
// key lock: If-Match (the current version must have that ETag, "*": any)
// and If-None-Match: * (there must be no current version, in any
// versioning state, as S3 does).
type s3Conditions struct {
	ifMatch, ifNoneMatch string
}

// s3ConditionalWrite reads S3's conditional write headers. If-None-Match
// other than "*" is not implemented. The OSS dialect has none: PutObject
// refuses them (ossPutConditions), CompleteMultipartUpload ignores them.
func s3ConditionalWrite(rc *reqCtx, r *http.Request) (s3Conditions, error) {
	if !rc.s3 {
		return s3Conditions{}, nil
	}
	c := s3Conditions{ifMatch: strings.TrimSpace(r.Header.Get("If-Match"))}
	switch v := strings.TrimSpace(r.Header.Get("If-None-Match")); v {
	case "":
	case "*":
		c.ifNoneMatch = v
	default:
		return s3Conditions{}, oss.E(rc.op.name, oss.NotImplemented, "Conditional writes support only If-None-Match: *.")
	}
	return c, nil
}

// apply sets the conditions on an engine input's fields.
func (c s3Conditions) apply(ifMatch, ifNoneMatch *string) {
	*ifMatch, *ifNoneMatch = c.ifMatch, c.ifNoneMatch
}
