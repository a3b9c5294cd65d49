package httpapi

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ossflow/ossflow/oss"
)

// writeXML marshals v as the response body with status.
func writeXML(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return oss.Wrap("", err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/xml")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// decodeXML unmarshals an XML request body; anything unparsable is
// MalformedXML.
func decodeXML(op string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return oss.E(op, oss.MalformedXML, "")
	}
	if err := xml.Unmarshal(data, v); err != nil {
		e := oss.E(op, oss.MalformedXML, "")
		e.Err = err
		return e
	}
	return nil
}

// readXML reads and decodes an XML request body of at most the configured
// size (EntityTooLarge beyond).
func (h *Handler) readXML(rc *reqCtx, r *http.Request, v any) error {
	data, err := readSmallBody(rc, r, h.maxXML, oss.EntityTooLarge)
	if err != nil {
		return err
	}
	return decodeXML(rc.op.name, data, v)
}

// urlEncoder encodes listing strings when encoding-type=url was asked for.
type urlEncoder bool

func (rc *reqCtx) encoder() urlEncoder {
	return urlEncoder(rc.query.Get("encoding-type") == "url")
}

func (e urlEncoder) enc(s string) string {
	if !e || s == "" {
		return s
	}
	return url.QueryEscape(s)
}

func (e urlEncoder) typ() string {
	if e {
		return "url"
	}
	return ""
}

// xmlOwner is the Owner element.
type xmlOwner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

func ownerXML(o oss.Owner) *xmlOwner { return &xmlOwner{ID: o.ID, DisplayName: o.DisplayName} }

// commonPrefix is a CommonPrefixes element.
type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

func commonPrefixes(prefixes []string, e urlEncoder) []commonPrefix {
	out := make([]commonPrefix, len(prefixes))
	for i, p := range prefixes {
		out[i] = commonPrefix{Prefix: e.enc(p)}
	}
	return out
}

// validateEncodingType rejects an encoding-type other than "url".
func validateEncodingType(rc *reqCtx) error {
	if v, ok := rc.query["encoding-type"]; ok && len(v) > 0 && v[0] != "" && v[0] != "url" {
		return invalidArgument(rc.op.name, "The encoding-type is invalid.", "encoding-type", v[0])
	}
	return nil
}

// intParam reads an integer query parameter within [min, max]; absent
// means def.
func intParam(rc *reqCtx, name string, def, min, max int) (int, error) {
	v := rc.query.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, invalidArgument(rc.op.name, "Argument "+name+" is invalid.", name, v)
	}
	return n, nil
}
