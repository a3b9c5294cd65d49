package httpapi

import (
	"encoding/xml"
	"net/http"

	"github.com/ossflow/ossflow/oss"
)

// deleteRequest is DeleteMultipleObjects' body.
type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName      xml.Name         `xml:"DeleteResult"`
	NS           string           `xml:"xmlns,attr,omitempty"`
	Deleted      []xmlDeleted     `xml:"Deleted"`
	Errors       []xmlDeleteError `xml:"Error"`
	EncodingType string           `xml:"EncodingType,omitempty"`
}

type xmlDeleted struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

type xmlDeleteError struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

// parseDeleteXML decodes and checks a Delete document: 1 to 1000 objects.
func parseDeleteXML(op string, data []byte) (deleteRequest, error) {
	var req deleteRequest
	if err := decodeXML(op, data, &req); err != nil {
		return req, err
	}
	if len(req.Objects) == 0 || len(req.Objects) > oss.MaxDeleteKeys {
		return req, oss.E(op, oss.MalformedXML, "The number of objects to delete must be between 1 and %d.", oss.MaxDeleteKeys)
	}
	return req, nil
}

// deleteMultipleObjects is POST /?delete. The body's integrity must be
// proven: Content-MD5 (OSS requires it), or for S3 an x-amz-checksum-*
// header, which the body reader verifies.
func deleteMultipleObjects(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if r.Header.Get("Content-Md5") == "" && !(rc.s3 && len(rc.checksums) > 0) {
		if rc.s3 {
			return oss.E(rc.op.name, oss.InvalidRequest, "Missing required header for this request: Content-MD5 or x-amz-checksum-*.")
		}
		e := oss.E(rc.op.name, oss.InvalidDigest, "Missing required header for this request: Content-MD5.")
		e.ArgumentName, e.ArgumentValue = "Content-MD5", ""
		return e
	}
	if err := validateEncodingType(rc); err != nil {
		return err
	}
	data, err := readSmallBody(rc, r, DefaultMaxXMLBody, oss.MalformedXML)
	if err != nil {
		return err
	}
	req, err := parseDeleteXML(rc.op.name, data)
	if err != nil {
		return err
	}
	ids := make([]oss.ObjectIdentifier, 0, len(req.Objects))
	var refused []oss.DeletedObject // keys the requester may not delete
	for _, o := range req.Objects {
		id := oss.ObjectIdentifier{Key: o.Key, VersionID: o.VersionID}
		if err := h.authorizeVersion(rc, opDeleteObject, rc.bucket(), o.Key, o.VersionID); err != nil {
			refused = append(refused, oss.DeletedObject{Key: o.Key, VersionID: o.VersionID, Err: err})
			continue
		}
		ids = append(ids, id)
	}
	var out []oss.DeletedObject
	if len(ids) > 0 {
		out, err = h.eng.DeleteObjects(rc.ctx, rc.bucket(), ids)
		if err != nil {
			return err
		}
	}
	out = append(out, refused...)
	enc := rc.encoder()
	res := deleteResult{NS: rc.ns(), EncodingType: enc.typ()}
	for _, d := range out {
		if d.Err != nil {
			er := toErrResponse(d.Err, rc)
			res.Errors = append(res.Errors, xmlDeleteError{Key: enc.enc(d.Key), VersionID: d.VersionID, Code: er.code, Message: er.message})
			continue
		}
		if req.Quiet {
			continue
		}
		res.Deleted = append(res.Deleted, xmlDeleted{
			Key:                   enc.enc(d.Key),
			VersionID:             d.VersionID,
			DeleteMarker:          d.DeleteMarker,
			DeleteMarkerVersionID: d.DeleteMarkerVersionID,
		})
	}
	if req.Quiet && len(res.Errors) == 0 && !rc.s3 {
		// OSS answers a quiet delete that fully succeeded without a body.
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	return writeXML(w, http.StatusOK, res)
}
