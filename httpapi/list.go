package httpapi

import (
	"encoding/xml"
	"net/http"
	"strconv"

	"github.com/ossflow/ossflow/oss"
)

// listBucketResult is the answer of ListObjects (V1) and ListObjectsV2.
type listBucketResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	NS                    string         `xml:"xmlns,attr,omitempty"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Marker                *string        `xml:"Marker,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter"`
	IsTruncated           bool           `xml:"IsTruncated"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	KeyCount              *int           `xml:"KeyCount,omitempty"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	Contents              []xmlObject    `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

type xmlObject struct {
	Key          string    `xml:"Key"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag"`
	Type         string    `xml:"Type,omitempty"`
	Size         int64     `xml:"Size"`
	StorageClass string    `xml:"StorageClass"`
	Owner        *xmlOwner `xml:"Owner,omitempty"`
}

func (rc *reqCtx) objectXML(o oss.ObjectInfo, e urlEncoder, withOwner bool) xmlObject {
	x := xmlObject{
		Key:          e.enc(o.Key),
		LastModified: isoTime(o.LastModified),
		ETag:         o.ETag,
		Size:         o.Size,
		StorageClass: rc.storageClass(o.StorageClass),
	}
	if !rc.s3 {
		x.Type = string(o.Type)
	}
	if withOwner {
		x.Owner = ownerXML(o.Owner)
	}
	return x
}

// maxKeys reads a page size: OSS rejects values outside [1, max], S3
// clamps to max and accepts 0.
func maxKeys(rc *reqCtx, name string, def, max int) (int, error) {
	v := rc.query.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n < 0:
		return 0, invalidArgument(rc.op.name, "Argument "+name+" is invalid.", name, v)
	case rc.s3 && n > max:
		return max, nil
	case !rc.s3 && (n < 1 || n > max):
		return 0, invalidArgument(rc.op.name, "Argument "+name+" must be between 1 and "+strconv.Itoa(max)+".", name, v)
	}
	return n, nil
}

// list runs a listing, answering an S3 max-keys of 0 with an empty page.
func (h *Handler) list(rc *reqCtx, in oss.ListObjectsInput) (oss.ListObjectsOutput, error) {
	if in.MaxKeys == 0 {
		return oss.ListObjectsOutput{}, nil
	}
	return h.eng.ListObjects(rc.ctx, in)
}

func listObjects(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := validateEncodingType(rc); err != nil {
		return err
	}
	q := rc.query
	in := oss.ListObjectsInput{Bucket: rc.bucket(), Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), Marker: q.Get("marker")}
	var err error
	if in.MaxKeys, err = maxKeys(rc, "max-keys", rc.defaultMaxKeys(), oss.MaxListKeys); err != nil {
		return err
	}
	out, err := h.list(rc, in)
	if err != nil {
		return err
	}
	e := rc.encoder()
	marker := e.enc(in.Marker)
	res := listBucketResult{
		NS:           rc.ns(),
		Name:         rc.bucket(),
		Prefix:       e.enc(in.Prefix),
		Marker:       &marker,
		MaxKeys:      in.MaxKeys,
		Delimiter:    e.enc(in.Delimiter),
		IsTruncated:  out.IsTruncated,
		EncodingType: e.typ(),
	}
	if out.IsTruncated {
		res.NextMarker = e.enc(out.NextMarker)
	}
	for _, o := range out.Objects {
		res.Contents = append(res.Contents, rc.objectXML(o, e, true))
	}
	res.CommonPrefixes = commonPrefixes(out.CommonPrefixes, e)
	return writeXML(w, http.StatusOK, res)
}

func listObjectsV2(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := validateEncodingType(rc); err != nil {
		return err
	}
	q := rc.query
	in := oss.ListObjectsInput{Bucket: rc.bucket(), Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), Marker: q.Get("start-after")}
	var err error
	if in.MaxKeys, err = maxKeys(rc, "max-keys", rc.defaultMaxKeys(), oss.MaxListKeys); err != nil {
		return err
	}
	token := q.Get("continuation-token")
	if token != "" {
		if in.Marker, err = decodeToken(rc, token); err != nil {
			return err
		}
	}
	out, err := h.list(rc, in)
	if err != nil {
		return err
	}
	e := rc.encoder()
	count := len(out.Objects) + len(out.CommonPrefixes)
	res := listBucketResult{
		NS:                rc.ns(),
		Name:              rc.bucket(),
		Prefix:            e.enc(in.Prefix),
		StartAfter:        e.enc(q.Get("start-after")),
		ContinuationToken: token,
		MaxKeys:           in.MaxKeys,
		Delimiter:         e.enc(in.Delimiter),
		IsTruncated:       out.IsTruncated,
		KeyCount:          &count,
		EncodingType:      e.typ(),
	}
	if out.IsTruncated {
		res.NextContinuationToken = encodeToken(out.NextMarker)
	}
	fetchOwner := parseBool(q.Get("fetch-owner"))
	for _, o := range out.Objects {
		res.Contents = append(res.Contents, rc.objectXML(o, e, fetchOwner))
	}
	res.CommonPrefixes = commonPrefixes(out.CommonPrefixes, e)
	return writeXML(w, http.StatusOK, res)
}

// defaultMaxKeys is the page size when max-keys is absent: 100 for OSS,
// 1000 for S3.
func (rc *reqCtx) defaultMaxKeys() int {
	if rc.s3 {
		return oss.MaxListKeys
	}
	return oss.DefaultListKeys
}
