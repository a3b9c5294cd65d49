package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ossflow/ossflow/oss"
)

// The symlink target travels URL-encoded (the V1 SDK query-escapes it);
// a value that does not decode is taken as is. It is answered with every
// byte but the unreserved ones and '/' percent-encoded (never '+'), which
// the V1 SDK query-unescapes and which is the plain name for the common
// names the V2 SDK passes through.
func decodeSymlinkTarget(v string) string {
	if s, err := url.QueryUnescape(v); err == nil {
		return s
	}
	return v
}

func encodeSymlinkTarget(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' || c == '-' || c == '_' || c == '.' || c == '~' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func putSymlink(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	raw := r.Header.Get(hdrOSSSymlinkTarget)
	if raw == "" {
		return invalidArgument(rc.op.name, "The symlink target is missing.", "x-oss-symlink-target", "")
	}
	target := decodeSymlinkTarget(raw)
	if err := oss.CheckObjectKey(rc.op.name, target); err != nil {
		return invalidArgument(rc.op.name, "The symlink target is invalid.", "x-oss-symlink-target", raw)
	}
	put, err := parsePutInput(rc, r)
	if err != nil {
		return err
	}
	info, err := h.eng.PutSymlink(rc.ctx, oss.PutSymlinkInput{
		Bucket:          rc.bucket(),
		Key:             rc.key(),
		Target:          target,
		Meta:            put.Meta,
		ACL:             put.ACL,
		StorageClass:    put.StorageClass,
		ForbidOverwrite: put.ForbidOverwrite,
	})
	if err != nil {
		return err
	}
	hd := w.Header()
	if info.ETag != "" {
		hd.Set("ETag", info.ETag)
	}
	rc.versionHeader(hd, info.VersionID)
	w.WriteHeader(http.StatusOK)
	return nil
}

func getSymlink(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	info, err := h.eng.GetSymlink(rc.ctx, rc.bucket(), rc.key(), rc.query.Get("versionId"))
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set(hdrOSSSymlinkTarget, encodeSymlinkTarget(info.SymlinkTarget))
	if info.ETag != "" {
		hd.Set("ETag", info.ETag)
	}
	hd.Set("Last-Modified", httpTime(info.LastModified))
	rc.versionHeader(hd, info.VersionID)
	for k, v := range info.Meta.User {
		hd.Set("X-Oss-Meta-"+k, v)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
