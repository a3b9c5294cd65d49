package httpapi

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ossflow/ossflow/checksum"
	"github.com/ossflow/ossflow/oss"
)

type initiateMultipartUploadResult struct {
	XMLName      xml.Name `xml:"InitiateMultipartUploadResult"`
	NS           string   `xml:"xmlns,attr,omitempty"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	UploadID     string   `xml:"UploadId"`
	EncodingType string   `xml:"EncodingType,omitempty"`
}

// completeMultipartDoc is CompleteMultipartUpload's body. S3 parts may
// also carry checksums, which are ignored.
type completeMultipartDoc struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeMultipartUploadResult struct {
	XMLName      xml.Name `xml:"CompleteMultipartUploadResult"`
	NS           string   `xml:"xmlns,attr,omitempty"`
	EncodingType string   `xml:"EncodingType,omitempty"`
	Location     string   `xml:"Location"`
	Bucket       string   `xml:"Bucket"`
	Key          string   `xml:"Key"`
	ETag         string   `xml:"ETag"`
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	NS           string   `xml:"xmlns,attr,omitempty"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	s3Checksums
}

type listPartsResult struct {
	XMLName              xml.Name  `xml:"ListPartsResult"`
	NS                   string    `xml:"xmlns,attr,omitempty"`
	Bucket               string    `xml:"Bucket"`
	EncodingType         string    `xml:"EncodingType,omitempty"`
	Key                  string    `xml:"Key"`
	UploadID             string    `xml:"UploadId"`
	StorageClass         string    `xml:"StorageClass"`
	PartNumberMarker     int       `xml:"PartNumberMarker"`
	NextPartNumberMarker int       `xml:"NextPartNumberMarker"`
	MaxParts             int       `xml:"MaxParts"`
	IsTruncated          bool      `xml:"IsTruncated"`
	Parts                []xmlPart `xml:"Part"`
}

type xmlPart struct {
	PartNumber    int    `xml:"PartNumber"`
	LastModified  string `xml:"LastModified"`
	ETag          string `xml:"ETag"`
	Size          int64  `xml:"Size"`
	HashCrc64ecma string `xml:"HashCrc64ecma,omitempty"`
	s3Checksums
}

type listMultipartUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	NS                 string         `xml:"xmlns,attr,omitempty"`
	Bucket             string         `xml:"Bucket"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Delimiter          string         `xml:"Delimiter"`
	Prefix             string         `xml:"Prefix"`
	MaxUploads         int            `xml:"MaxUploads"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []xmlUpload    `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type xmlUpload struct {
	Key          string `xml:"Key"`
	UploadID     string `xml:"UploadId"`
	StorageClass string `xml:"StorageClass,omitempty"`
	Initiated    string `xml:"Initiated"`
}

func initiateMultipartUpload(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := validateEncodingType(rc); err != nil {
		return err
	}
	in, err := parsePutInput(rc, r)
	if err != nil {
		return err
	}
	in.ContentMD5 = nil
	up, err := h.eng.InitiateMultipartUpload(rc.ctx, in)
	if err != nil {
		return err
	}
	if alg := r.Header.Get("X-Amz-Checksum-Algorithm"); rc.s3 && alg != "" {
		w.Header().Set("X-Amz-Checksum-Algorithm", alg)
	}
	e := rc.encoder()
	return writeXML(w, http.StatusOK, initiateMultipartUploadResult{
		NS:           rc.ns(),
		Bucket:       up.Bucket,
		Key:          e.enc(up.Key),
		UploadID:     up.UploadID,
		EncodingType: e.typ(),
	})
}

// partTarget reads uploadId and partNumber (1 to 10000).
func partTarget(rc *reqCtx) (oss.UploadPartInput, error) {
	in := oss.UploadPartInput{Bucket: rc.bucket(), Key: rc.key(), UploadID: rc.query.Get("uploadId")}
	if in.UploadID == "" {
		return in, invalidArgument(rc.op.name, "The uploadId is missing.", "uploadId", "")
	}
	ps := rc.query.Get("partNumber")
	n, err := strconv.Atoi(ps)
	if err != nil || n < oss.MinPartNumber || n > oss.MaxPartNumber {
		return in, invalidArgument(rc.op.name, "Part number must be an integer between 1 and 10000, inclusive.", "partNumber", ps)
	}
	in.PartNumber = n
	return in, nil
}

func uploadPart(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	in, err := partTarget(rc)
	if err != nil {
		return err
	}
	if in.Size, err = dataSize(r, rc.op.name); err != nil {
		return err
	}
	if in.ContentMD5, err = parseContentMD5(r.Header, rc); err != nil {
		return err
	}
	in.Checksums = rc.checksums
	body, err := rc.dataBody(in.Size)
	if err != nil {
		return err
	}
	part, err := h.eng.UploadPart(rc.ctx, in, body)
	if err != nil {
		return err
	}
	rc.writeHeaders(w.Header(), part.ETag, part.CRC64, "", rc.checksums)
	w.WriteHeader(http.StatusOK)
	return nil
}

func uploadPartCopy(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	part, err := partTarget(rc)
	if err != nil {
		return err
	}
	src, err := h.readCopySource(rc, r)
	if err != nil {
		return err
	}
	in := oss.UploadPartCopyInput{
		Part:          part,
		SrcBucket:     src.bucket,
		SrcKey:        src.key,
		SrcVersionID:  src.versionID,
		SrcConditions: copySourceConditions(r.Header),
	}
	if v := pick(r.Header, "X-Oss-Copy-Source-Range", "X-Amz-Copy-Source-Range"); v != "" {
		if in.SrcRange = oss.ParseRange(v, true); in.SrcRange == nil {
			return invalidArgument(rc.op.name, "The x-oss-copy-source-range is invalid.", "x-oss-copy-source-range", v)
		}
	}
	p, err := h.eng.UploadPartCopy(rc.ctx, in)
	if err != nil {
		return err
	}
	hd := w.Header()
	if src.versionID != "" {
		hd.Set(rc.dialectHeader("Copy-Source-Version-Id"), src.versionID)
	}
	hd.Set(hdrOSSCRC64, checksum.FormatCRC64(p.CRC64))
	return writeXML(w, http.StatusOK, copyPartResult{
		NS:           rc.ns(),
		LastModified: isoTime(p.LastModified),
		ETag:         p.ETag,
		s3Checksums:  rc.xmlChecksums(p.Checksums),
	})
}

// parseCompleteXML decodes a CompleteMultipartUpload document: at least
// one part, numbers within 1..10000 (their order is the engine's check).
func parseCompleteXML(op string, data []byte) ([]oss.CompletePart, error) {
	var doc completeMultipartDoc
	if err := decodeXML(op, data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Parts) == 0 || len(doc.Parts) > oss.MaxPartNumber {
		return nil, oss.E(op, oss.MalformedXML, "")
	}
	parts := make([]oss.CompletePart, len(doc.Parts))
	for i, p := range doc.Parts {
		if p.PartNumber < oss.MinPartNumber || p.PartNumber > oss.MaxPartNumber {
			return nil, invalidArgument(op, "Part number must be an integer between 1 and 10000, inclusive.", "PartNumber", strconv.Itoa(p.PartNumber))
		}
		parts[i] = oss.CompletePart{PartNumber: p.PartNumber, ETag: strings.TrimSpace(p.ETag)}
	}
	return parts, nil
}

func completeMultipartUpload(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := validateEncodingType(rc); err != nil {
		return err
	}
	if r.Header.Get("X-Oss-Callback") != "" {
		return oss.E(rc.op.name, oss.NotImplemented, "Upload callbacks are not implemented.")
	}
	in := oss.CompleteMultipartInput{
		Bucket:          rc.bucket(),
		Key:             rc.key(),
		UploadID:        rc.query.Get("uploadId"),
		ForbidOverwrite: parseBool(r.Header.Get(hdrOSSForbidOverwrite)),
	}
	data, err := readSmallBody(rc, r, h.maxXML, oss.EntityTooLarge)
	if err != nil {
		return err
	}
	completeAll := strings.EqualFold(strings.TrimSpace(r.Header.Get(hdrOSSCompleteAll)), "yes")
	empty := len(strings.TrimSpace(string(data))) == 0
	switch {
	case completeAll && !empty:
		return invalidArgument(rc.op.name, "Should not specify both complete-all header and http body.", "x-oss-complete-all", r.Header.Get(hdrOSSCompleteAll))
	case completeAll:
		in.CompleteAll = true
	default:
		if in.Parts, err = parseCompleteXML(rc.op.name, data); err != nil {
			return err
		}
	}
	cond, err := s3ConditionalWrite(rc, r)
	if err != nil {
		return err
	}
	cond.apply(&in.IfMatch, &in.IfNoneMatch)
	info, err := h.eng.CompleteMultipartUpload(rc.ctx, in)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set(hdrOSSCRC64, checksum.FormatCRC64(info.CRC64))
	rc.versionHeader(hd, info.VersionID)
	rc.sseHeader(hd, info.SSE)
	e := rc.encoder()
	return writeXML(w, http.StatusOK, completeMultipartUploadResult{
		NS:           rc.ns(),
		EncodingType: e.typ(),
		Location:     h.objectURL(r, rc),
		Bucket:       rc.bucket(),
		Key:          e.enc(rc.key()),
		ETag:         info.ETag,
	})
}

// objectURL is the URL of the addressed object, as the client addressed it.
func (h *Handler) objectURL(r *http.Request, rc *reqCtx) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	key := strings.ReplaceAll(url.PathEscape(rc.key()), "%2F", "/")
	if rc.addr.virtual {
		return scheme + "://" + r.Host + "/" + key
	}
	return scheme + "://" + r.Host + "/" + rc.bucket() + "/" + key
}

func abortMultipartUpload(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := h.eng.AbortMultipartUpload(rc.ctx, rc.bucket(), rc.key(), rc.query.Get("uploadId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func listParts(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := validateEncodingType(rc); err != nil {
		return err
	}
	in := oss.ListPartsInput{Bucket: rc.bucket(), Key: rc.key(), UploadID: rc.query.Get("uploadId")}
	var err error
	if in.MaxParts, err = maxKeys(rc, "max-parts", oss.MaxListKeys, oss.MaxListKeys); err != nil {
		return err
	}
	if in.PartNumberMarker, err = intParam(rc, "part-number-marker", 0, 0, oss.MaxPartNumber); err != nil {
		return err
	}
	out, err := h.eng.ListParts(rc.ctx, in)
	if err != nil {
		return err
	}
	e := rc.encoder()
	res := listPartsResult{
		NS:                   rc.ns(),
		Bucket:               rc.bucket(),
		EncodingType:         e.typ(),
		Key:                  e.enc(rc.key()),
		UploadID:             in.UploadID,
		StorageClass:         rc.storageClass(out.StorageClass),
		PartNumberMarker:     in.PartNumberMarker,
		NextPartNumberMarker: out.NextPartNumberMarker,
		MaxParts:             in.MaxParts,
		IsTruncated:          out.IsTruncated,
	}
	for _, p := range out.Parts {
		x := xmlPart{
			PartNumber:   p.PartNumber,
			LastModified: isoTime(p.LastModified),
			ETag:         p.ETag,
			Size:         p.Size,
			s3Checksums:  rc.xmlChecksums(p.Checksums),
		}
		if !rc.s3 {
			x.HashCrc64ecma = checksum.FormatCRC64(p.CRC64)
		}
		res.Parts = append(res.Parts, x)
	}
	return writeXML(w, http.StatusOK, res)
}

func listMultipartUploads(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := validateEncodingType(rc); err != nil {
		return err
	}
	q := rc.query
	in := oss.ListUploadsInput{
		Bucket:         rc.bucket(),
		Prefix:         q.Get("prefix"),
		Delimiter:      q.Get("delimiter"),
		KeyMarker:      q.Get("key-marker"),
		UploadIDMarker: q.Get("upload-id-marker"),
	}
	var err error
	if in.MaxUploads, err = maxKeys(rc, "max-uploads", oss.MaxListKeys, oss.MaxListKeys); err != nil {
		return err
	}
	var out oss.ListUploadsOutput
	if in.MaxUploads > 0 {
		if out, err = h.eng.ListMultipartUploads(rc.ctx, in); err != nil {
			return err
		}
	}
	e := rc.encoder()
	res := listMultipartUploadsResult{
		NS:             rc.ns(),
		Bucket:         rc.bucket(),
		EncodingType:   e.typ(),
		KeyMarker:      e.enc(in.KeyMarker),
		UploadIDMarker: in.UploadIDMarker,
		Delimiter:      e.enc(in.Delimiter),
		Prefix:         e.enc(in.Prefix),
		MaxUploads:     in.MaxUploads,
		IsTruncated:    out.IsTruncated,
	}
	if out.IsTruncated {
		res.NextKeyMarker = e.enc(out.NextKeyMarker)
		res.NextUploadIDMarker = out.NextUploadIDMarker
	}
	for _, u := range out.Uploads {
		res.Uploads = append(res.Uploads, xmlUpload{Key: e.enc(u.Key), UploadID: u.UploadID, Initiated: isoTime(u.Initiated)})
	}
	res.CommonPrefixes = commonPrefixes(out.CommonPrefixes, e)
	return writeXML(w, http.StatusOK, res)
}
