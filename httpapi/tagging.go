package httpapi

import (
	"encoding/xml"
	"net/http"

	"github.com/ossflow/ossflow/oss"
)

// tagging is the object tagging document.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	TagSet  tagSet   `xml:"TagSet"`
}

type tagSet struct {
	Tags []xmlTag `xml:"Tag"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// parseTaggingXML decodes and validates a Tagging document.
func parseTaggingXML(op string, data []byte) ([]oss.Tag, error) {
	var doc tagging
	if err := decodeXML(op, data, &doc); err != nil {
		return nil, err
	}
	tags := make([]oss.Tag, len(doc.TagSet.Tags))
	for i, t := range doc.TagSet.Tags {
		tags[i] = oss.Tag{Key: t.Key, Value: t.Value}
	}
	if err := validateTags(tags, op); err != nil {
		return nil, err
	}
	return tags, nil
}

func putObjectTagging(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	data, err := readSmallBody(rc, r, h.maxXML, oss.EntityTooLarge)
	if err != nil {
		return err
	}
	tags, err := parseTaggingXML(rc.op.name, data)
	if err != nil {
		return err
	}
	info, err := h.eng.PutObjectTagging(rc.ctx, rc.bucket(), rc.key(), rc.query.Get("versionId"), tags)
	if err != nil {
		return err
	}
	rc.versionHeader(w.Header(), info.VersionID)
	w.WriteHeader(http.StatusOK)
	return nil
}

func getObjectTagging(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	info, err := h.eng.GetObjectTagging(rc.ctx, rc.bucket(), rc.key(), rc.query.Get("versionId"))
	if err != nil {
		return err
	}
	doc := tagging{NS: rc.ns()}
	for _, t := range info.Tags {
		doc.TagSet.Tags = append(doc.TagSet.Tags, xmlTag{Key: t.Key, Value: t.Value})
	}
	rc.versionHeader(w.Header(), info.VersionID)
	return writeXML(w, http.StatusOK, doc)
}

func deleteObjectTagging(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	info, err := h.eng.DeleteObjectTagging(rc.ctx, rc.bucket(), rc.key(), rc.query.Get("versionId"))
	if err != nil {
		return err
	}
	rc.versionHeader(w.Header(), info.VersionID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
