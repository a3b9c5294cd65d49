package httpapi

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/ossflow/ossflow/oss"
)

// Bucket default server-side encryption: PUT|GET|DELETE /?encryption with
// OSS's <ServerSideEncryptionRule> (or S3's
// <ServerSideEncryptionConfiguration>). The default is the bucket's
// ServerSideEncryp, set through an engine that implements
// BucketEncryptionEngine (the store does); the engine encrypts writes that
// name no algorithm with it.
var (
	opPutBucketEncryption    = op("PutBucketEncryption", AccessAdmin, putBucketEncryption)
	opGetBucketEncryption    = op("GetBucketEncryption", AccessAdmin, getBucketEncryption)
	opDeleteBucketEncryption = op("DeleteBucketEncryption", AccessAdmin, deleteBucketEncryption)
)

// BucketEncryptionEngine is the optional engine method behind the
// bucket encryption operations: set ("" removes) a bucket's default
// server-side encryption algorithm ("AES256", "KMS", "SM4"); the engine
// refuses what it does not implement.
type BucketEncryptionEngine interface {
	PutBucketEncryption(ctx context.Context, bucket, algorithm string) error
}

// routeEncryptionBucket routes ?encryption, or returns nil.
func routeEncryptionBucket(method string, has func(string) bool) *operation {
	if !has("encryption") {
		return nil
	}
	switch method {
	case http.MethodPut:
		return opPutBucketEncryption
	case http.MethodGet:
		return opGetBucketEncryption
	case http.MethodDelete:
		return opDeleteBucketEncryption
	}
	return nil
}

// xmlSSERuleIn accepts both dialects' documents (the root element's name
// is not checked).
type xmlSSERuleIn struct {
	OSS string `xml:"ApplyServerSideEncryptionByDefault>SSEAlgorithm"`
	S3  string `xml:"Rule>ApplyServerSideEncryptionByDefault>SSEAlgorithm"`
}

type xmlSSERule struct {
	XMLName      xml.Name `xml:"ServerSideEncryptionRule"`
	SSEAlgorithm string   `xml:"ApplyServerSideEncryptionByDefault>SSEAlgorithm"`
}

type xmlSSEConfiguration struct {
	XMLName      xml.Name `xml:"ServerSideEncryptionConfiguration"`
	NS           string   `xml:"xmlns,attr,omitempty"`
	SSEAlgorithm string   `xml:"Rule>ApplyServerSideEncryptionByDefault>SSEAlgorithm"`
}

func encryptionEngine(h *Handler, op string) (BucketEncryptionEngine, error) {
	ee, ok := h.eng.(BucketEncryptionEngine)
	if !ok {
		return nil, oss.E(op, oss.NotImplemented, "Bucket encryption is not implemented by this engine.")
	}
	return ee, nil
}

func putBucketEncryption(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ee, err := encryptionEngine(h, rc.op.name)
	if err != nil {
		return err
	}
	var in xmlSSERuleIn
	if err := h.readXML(rc, r, &in); err != nil {
		return err
	}
	v := strings.TrimSpace(in.OSS)
	if v == "" {
		v = strings.TrimSpace(in.S3)
	}
	var algo string
	switch strings.ToUpper(v) {
	case "":
		return oss.E(rc.op.name, oss.MalformedXML, "The SSEAlgorithm is missing.")
	case "AES256":
		algo = "AES256"
	case "KMS", "AWS:KMS", "AWS:KMS:DSSE":
		algo = "KMS"
	case "SM4":
		algo = "SM4"
	default:
		e := oss.E(rc.op.name, oss.InvalidEncryptionAlgorithm, "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4.")
		e.ArgumentName, e.ArgumentValue = "SSEAlgorithm", v
		return e
	}
	if err := ee.PutBucketEncryption(rc.ctx, rc.bucket(), algo); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func getBucketEncryption(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	b, err := h.eng.GetBucket(rc.ctx, rc.bucket())
	if err != nil {
		return err
	}
	if b.ServerSideEncryp == "" {
		if rc.s3 {
			return &codeError{status: http.StatusNotFound, code: "ServerSideEncryptionConfigurationNotFoundError",
				message: "The server side encryption configuration was not found"}
		}
		e := oss.E(rc.op.name, oss.NoSuchServerSideEncryptionRule, "The server side encryption configuration was not found.")
		e.Bucket = rc.bucket()
		return e
	}
	if rc.s3 {
		return writeXML(w, http.StatusOK, xmlSSEConfiguration{NS: rc.ns(), SSEAlgorithm: rc.sseName(b.ServerSideEncryp)})
	}
	return writeXML(w, http.StatusOK, xmlSSERule{SSEAlgorithm: b.ServerSideEncryp})
}

func deleteBucketEncryption(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ee, err := encryptionEngine(h, rc.op.name)
	if err != nil {
		return err
	}
	if err := ee.PutBucketEncryption(rc.ctx, rc.bucket(), ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sseHeader reports the server-side encryption of a written object.
func (rc *reqCtx) sseHeader(hd http.Header, sse string) {
	if sse != "" {
		hd.Set(rc.dialectHeader("Server-Side-Encryption"), rc.sseName(sse))
	}
}
