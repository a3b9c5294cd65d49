package httpapi

import (
	"encoding/xml"
	"net/http"

	"github.com/ossflow/ossflow/oss"
)

// s3LifecycleShadow captures the S3 spellings of a lifecycle document that
// oss.LifecycleConfiguration does not have: a rule's prefix and tags inside
// <Filter> (or <Filter><And>), and <Date> for a date.
type s3LifecycleShadow struct {
	Rules []struct {
		Filter *struct {
			Prefix *string            `xml:"Prefix"`
			Tag    []oss.LifecycleTag `xml:"Tag"`
			And    *struct {
				Prefix *string            `xml:"Prefix"`
				Tags   []oss.LifecycleTag `xml:"Tag"`
			} `xml:"And"`
		} `xml:"Filter"`
		Expiration *struct {
			Date string `xml:"Date"`
		} `xml:"Expiration"`
	} `xml:"Rule"`
}

// parseLifecycleXML decodes a PutBucketLifecycle body. The engine
// validates the rules; here a document that does not parse, or that
// names a rule's prefix twice in conflicting ways, is MalformedXML.
func parseLifecycleXML(op string, data []byte) (oss.LifecycleConfiguration, error) {
	var cfg oss.LifecycleConfiguration
	if err := decodeXML(op, data, &cfg); err != nil {
		return cfg, err
	}
	var shadow s3LifecycleShadow
	if err := xml.Unmarshal(data, &shadow); err != nil || len(shadow.Rules) != len(cfg.Rules) {
		return cfg, oss.E(op, oss.MalformedXML, "")
	}
	for i := range cfg.Rules {
		rule := &cfg.Rules[i]
		sh := shadow.Rules[i]
		if f := sh.Filter; f != nil {
			prefix, tags := f.Prefix, f.Tag
			if f.And != nil {
				if prefix != nil && f.And.Prefix != nil {
					return cfg, oss.E(op, oss.MalformedXML, "")
				}
				if f.And.Prefix != nil {
					prefix = f.And.Prefix
				}
				tags = append(tags, f.And.Tags...)
			}
			if prefix != nil {
				if rule.Prefix != "" && rule.Prefix != *prefix {
					return cfg, oss.E(op, oss.MalformedXML, "")
				}
				rule.Prefix = *prefix
			}
			rule.Tags = append(rule.Tags, tags...)
		}
		if e := sh.Expiration; e != nil && e.Date != "" && rule.Expiration != nil && rule.Expiration.CreatedBeforeDate == "" {
			rule.Expiration.CreatedBeforeDate = e.Date
		}
	}
	return cfg, nil
}

func putBucketLifecycle(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	data, err := readSmallBody(rc, r, h.maxXML, oss.EntityTooLarge)
	if err != nil {
		return err
	}
	cfg, err := parseLifecycleXML(rc.op.name, data)
	if err != nil {
		return err
	}
	if err := h.eng.PutBucketLifecycle(rc.ctx, rc.bucket(), cfg); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func getBucketLifecycle(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	cfg, err := h.eng.GetBucketLifecycle(rc.ctx, rc.bucket())
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, cfg)
}

func deleteBucketLifecycle(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := h.eng.DeleteBucketLifecycle(rc.ctx, rc.bucket()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
