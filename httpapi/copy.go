package httpapi

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/ossflow/ossflow/oss"
)

// copySourceHeader is x-oss-copy-source or x-amz-copy-source.
func copySourceHeader(hd http.Header) string {
	return pick(hd, "X-Oss-Copy-Source", "X-Amz-Copy-Source")
}

// copySource is a parsed copy source.
type copySource struct {
	bucket, key, versionID string
}

// parseCopySource parses "/<bucket>/<escaped key>[?versionId=<id>]" (the
// leading '/' is optional, as S3 clients often omit it).
func parseCopySource(op, v string) (copySource, error) {
	bad := func() (copySource, error) {
		return copySource{}, invalidArgument(op, "Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.", "x-oss-copy-source", v)
	}
	path, rawQuery, _ := strings.Cut(v, "?")
	p, err := url.PathUnescape(path)
	if err != nil {
		return bad()
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !ok || !oss.ValidBucketName(bucket) || !oss.ValidObjectKey(key) {
		return bad()
	}
	src := copySource{bucket: bucket, key: key}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return bad()
		}
		src.versionID = q.Get("versionId")
	}
	return src, nil
}

// readCopySource parses the copy source of a request and checks that the
// requester may read it.
func (h *Handler) readCopySource(rc *reqCtx, r *http.Request) (copySource, error) {
	src, err := parseCopySource(rc.op.name, copySourceHeader(r.Header))
	if err != nil {
		return src, err
	}
	if err := h.authorizeVersion(rc, opGetObject, src.bucket, src.key, src.versionID); err != nil {
		return src, err
	}
	return src, nil
}

// directive reads a COPY / REPLACE directive header (case-insensitive);
// it reports whether it says REPLACE.
func directive(hd http.Header, op string, names ...string) (bool, error) {
	v := pick(hd, names...)
	switch strings.ToUpper(v) {
	case "", "COPY":
		return false, nil
	case "REPLACE":
		return true, nil
	}
	return false, invalidArgument(op, "Unknown directive: "+v, strings.ToLower(names[0]), v)
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	NS           string   `xml:"xmlns,attr,omitempty"`
	ETag         string   `xml:"ETag"`
	LastModified string   `xml:"LastModified"`
	s3Checksums
}

func copyObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	src, err := h.readCopySource(rc, r)
	if err != nil {
		return err
	}
	dest, err := parsePutInput(rc, r)
	if err != nil {
		return err
	}
	dest.ContentMD5 = nil
	in := oss.CopyObjectInput{
		SrcBucket:     src.bucket,
		SrcKey:        src.key,
		SrcVersionID:  src.versionID,
		SrcConditions: copySourceConditions(r.Header),
		Dest:          dest,
	}
	if in.ReplaceMeta, err = directive(r.Header, rc.op.name, "X-Oss-Metadata-Directive", "X-Amz-Metadata-Directive"); err != nil {
		return err
	}
	if in.ReplaceTags, err = directive(r.Header, rc.op.name, "X-Oss-Tagging-Directive", "X-Amz-Tagging-Directive"); err != nil {
		return err
	}
	out, err := h.eng.CopyObject(rc.ctx, in)
	if err != nil {
		return err
	}
	hd := w.Header()
	if out.SrcVersionID != "" {
		hd.Set(rc.dialectHeader("Copy-Source-Version-Id"), out.SrcVersionID)
	}
	rc.writeHeaders(hd, "", out.Info.CRC64, out.Info.VersionID, nil)
	rc.sseHeader(hd, out.Info.SSE)
	return writeXML(w, http.StatusOK, copyObjectResult{
		NS:           rc.ns(),
		ETag:         out.Info.ETag,
		LastModified: isoTime(out.Info.LastModified),
		s3Checksums:  rc.xmlChecksums(out.Info.Checksums),
	})
}
