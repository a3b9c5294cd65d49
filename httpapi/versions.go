package httpapi

import (
	"encoding/xml"
	"net/http"

	"github.com/ossflow/ossflow/oss"
)

type listVersionsResult struct {
	XMLName             xml.Name          `xml:"ListVersionsResult"`
	NS                  string            `xml:"xmlns,attr,omitempty"`
	Name                string            `xml:"Name"`
	Prefix              string            `xml:"Prefix"`
	KeyMarker           string            `xml:"KeyMarker"`
	VersionIDMarker     string            `xml:"VersionIdMarker"`
	MaxKeys             int               `xml:"MaxKeys"`
	Delimiter           string            `xml:"Delimiter"`
	IsTruncated         bool              `xml:"IsTruncated"`
	NextKeyMarker       string            `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string            `xml:"NextVersionIdMarker,omitempty"`
	EncodingType        string            `xml:"EncodingType,omitempty"`
	Entries             []xmlVersionEntry // <Version> and <DeleteMarker>, in listing order
	CommonPrefixes      []commonPrefix    `xml:"CommonPrefixes"`
}

// xmlVersionEntry is a <Version> or a <DeleteMarker> (XMLName says which).
type xmlVersionEntry struct {
	XMLName      xml.Name
	Key          string    `xml:"Key"`
	VersionID    string    `xml:"VersionId"`
	IsLatest     bool      `xml:"IsLatest"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag,omitempty"`
	Type         string    `xml:"Type,omitempty"`
	Size         *int64    `xml:"Size,omitempty"`
	StorageClass string    `xml:"StorageClass,omitempty"`
	Owner        *xmlOwner `xml:"Owner"`
}

func listObjectVersions(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := validateEncodingType(rc); err != nil {
		return err
	}
	q := rc.query
	in := oss.ListVersionsInput{
		Bucket:          rc.bucket(),
		Prefix:          q.Get("prefix"),
		Delimiter:       q.Get("delimiter"),
		KeyMarker:       q.Get("key-marker"),
		VersionIDMarker: q.Get("version-id-marker"),
	}
	var err error
	if in.MaxKeys, err = maxKeys(rc, "max-keys", rc.defaultMaxKeys(), oss.MaxListKeys); err != nil {
		return err
	}
	var out oss.ListVersionsOutput
	if in.MaxKeys > 0 {
		if out, err = h.eng.ListObjectVersions(rc.ctx, in); err != nil {
			return err
		}
	}
	e := rc.encoder()
	res := listVersionsResult{
		NS:              rc.ns(),
		Name:            rc.bucket(),
		Prefix:          e.enc(in.Prefix),
		KeyMarker:       e.enc(in.KeyMarker),
		VersionIDMarker: in.VersionIDMarker,
		MaxKeys:         in.MaxKeys,
		Delimiter:       e.enc(in.Delimiter),
		IsTruncated:     out.IsTruncated,
		EncodingType:    e.typ(),
	}
	if out.IsTruncated {
		res.NextKeyMarker = e.enc(out.NextKeyMarker)
		res.NextVersionIDMarker = out.NextVersionIDMarker
	}
	for _, v := range out.Versions {
		vid := v.VersionID
		if vid == "" {
			vid = oss.NullVersionID
		}
		x := xmlVersionEntry{
			Key:          e.enc(v.Key),
			VersionID:    vid,
			IsLatest:     v.IsLatest,
			LastModified: isoTime(v.LastModified),
			Owner:        ownerXML(v.Owner),
		}
		if v.DeleteMarker {
			x.XMLName.Local = "DeleteMarker"
		} else {
			size := v.Size
			x.XMLName.Local = "Version"
			x.ETag, x.Size, x.StorageClass = v.ETag, &size, rc.storageClass(v.StorageClass)
			if !rc.s3 {
				x.Type = string(v.Type)
			}
		}
		res.Entries = append(res.Entries, x)
	}
	res.CommonPrefixes = commonPrefixes(out.CommonPrefixes, e)
	return writeXML(w, http.StatusOK, res)
}
