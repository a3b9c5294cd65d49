package httpapi

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/oss"
)

// Bucket configuration documents of access control, stored with the
// engine's PutBucketConfig under these names: the bucket policy (its JSON
// exactly as given), the referer and CORS configurations (normalized XML)
// and the public access block (XML).
const (
	configPolicy            = "policy"
	configReferer           = "referer"
	configCORS              = "cors"
	configPublicAccessBlock = "publicAccessBlock"
)

// The access-control bucket operations: the owner's business (AccessAdmin);
// a sub-user needs the matching oss: action in a policy
// (oss:PutBucketPolicy, ...), the public access block is the root's only.
var (
	opPutBucketPolicy       = op("PutBucketPolicy", AccessAdmin, putBucketPolicy)
	opGetBucketPolicy       = op("GetBucketPolicy", AccessAdmin, getBucketPolicy)
	opDeleteBucketPolicy    = op("DeleteBucketPolicy", AccessAdmin, deleteBucketPolicy)
	opGetBucketPolicyStatus = op("GetBucketPolicyStatus", AccessAdmin, getBucketPolicyStatus)
	opPutBucketReferer      = op("PutBucketReferer", AccessAdmin, putBucketReferer)
	opGetBucketReferer      = op("GetBucketReferer", AccessAdmin, getBucketReferer)
	opPutBucketCors         = op("PutBucketCors", AccessAdmin, putBucketCors)
	opGetBucketCors         = op("GetBucketCors", AccessAdmin, getBucketCors)
	opDeleteBucketCors      = op("DeleteBucketCors", AccessAdmin, deleteBucketCors)
	opPutPublicAccessBlock  = op("PutBucketPublicAccessBlock", AccessAdmin, putPublicAccessBlock)
	opGetPublicAccessBlock  = op("GetBucketPublicAccessBlock", AccessAdmin, getPublicAccessBlock)
	opDelPublicAccessBlock  = op("DeleteBucketPublicAccessBlock", AccessAdmin, deletePublicAccessBlock)

	// opOptionObject is a CORS preflight (OPTIONS / or OPTIONS /key): never
	// authenticated, as browsers send no credentials with it.
	opOptionObject = &operation{name: "OptionObject", handle: optionObject, access: AccessRead, selfAuth: true}
	// opPostObject is a browser form upload (POST / with multipart/form-data):
	// the form carries its own authentication.
	opPostObject = &operation{name: "PostObject", handle: postObject, access: AccessWrite, selfAuth: true}
)

// routeAccessBucket routes the bucket operations of access control, or
// returns nil.
func routeAccessBucket(method string, has func(string) bool) *operation {
	switch method {
	case http.MethodOptions:
		return opOptionObject
	case http.MethodGet:
		switch {
		case has("policyStatus"):
			return opGetBucketPolicyStatus
		case has("policy"):
			return opGetBucketPolicy
		case has("referer"):
			return opGetBucketReferer
		case has("cors"):
			return opGetBucketCors
		case has("publicAccessBlock"):
			return opGetPublicAccessBlock
		}
	case http.MethodPut:
		switch {
		case has("policy"):
			return opPutBucketPolicy
		case has("referer"):
			return opPutBucketReferer
		case has("cors"):
			return opPutBucketCors
		case has("publicAccessBlock"):
			return opPutPublicAccessBlock
		}
	case http.MethodDelete:
		switch {
		case has("policy"):
			return opDeleteBucketPolicy
		case has("cors"):
			return opDeleteBucketCors
		case has("publicAccessBlock"):
			return opDelPublicAccessBlock
		}
	}
	return nil
}

// serveSelfAuth runs an operation that authenticates itself.
func (h *Handler) serveSelfAuth(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	rc.ctx = oss.WithRequestInfo(rc.ctx, oss.RequestInfo{RequestID: rc.reqID, SourceIP: sourceIP(r)})
	return rc.op.handle(h, w, r, rc)
}

// codeError is an error answered with a code the oss table does not list
// (NoSuchCORSConfiguration, RAM codes of the admin API).
type codeError struct {
	status  int
	code    string
	message string
}

func (e *codeError) Error() string { return e.code + ": " + e.message }

func (e *codeError) errResponse() errResponse {
	return errResponse{status: e.status, code: e.code, message: e.message, nextAppendPosition: -1}
}

var _ responseError = (*codeError)(nil)

// ---- bucket policy ----

func putBucketPolicy(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	data, err := readSmallBody(rc, r, access.MaxPolicyBytes, oss.InvalidPolicyDocument)
	if err != nil {
		return err
	}
	if _, err := access.ParseBucketPolicy(data, rc.bucket()); err != nil {
		return err
	}
	if err := h.eng.PutBucketConfig(rc.ctx, rc.bucket(), configPolicy, data); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func getBucketPolicy(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	data, ok, err := h.eng.GetBucketConfig(rc.ctx, rc.bucket(), configPolicy)
	if err != nil {
		return err
	}
	if !ok {
		return oss.E(rc.op.name, oss.NoSuchBucketPolicy, "The bucket policy does not exist.")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}

func deleteBucketPolicy(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if _, err := h.eng.GetBucket(rc.ctx, rc.bucket()); err != nil {
		return err
	}
	if err := h.eng.DeleteBucketConfig(rc.ctx, rc.bucket(), configPolicy); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type policyStatusXML struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	IsPublic bool     `xml:"IsPublic"`
}

func getBucketPolicyStatus(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	p, err := loadBucketPolicy(rc.ctx, h.eng, rc.bucket())
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, policyStatusXML{IsPublic: p != nil && access.IsPublic(p)})
}

// loadBucketPolicy reads and parses a bucket's policy (nil when none).
func loadBucketPolicy(ctx context.Context, eng Engine, bucket string) (*access.Policy, error) {
	data, ok, err := eng.GetBucketConfig(ctx, bucket, configPolicy)
	if err != nil || !ok {
		return nil, err
	}
	return access.ParseBucketPolicy(data, bucket)
}

// ---- referer ----

func putBucketReferer(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	data, err := readSmallBody(rc, r, h.maxXML, oss.MalformedXML)
	if err != nil {
		return err
	}
	cfg, err := access.ParseRefererConfig(data)
	if err != nil {
		return err
	}
	doc, err := xml.Marshal(cfg)
	if err != nil {
		return oss.Wrap(rc.op.name, err)
	}
	if err := h.eng.PutBucketConfig(rc.ctx, rc.bucket(), configReferer, doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func getBucketReferer(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	cfg, err := loadReferer(rc.ctx, h.eng, rc.bucket())
	if err != nil {
		return err
	}
	if cfg == nil {
		cfg = access.DefaultRefererConfig()
	}
	return writeXML(w, http.StatusOK, cfg)
}

// loadReferer reads a bucket's referer configuration (nil when none).
func loadReferer(ctx context.Context, eng Engine, bucket string) (*access.RefererConfig, error) {
	data, ok, err := eng.GetBucketConfig(ctx, bucket, configReferer)
	if err != nil || !ok {
		return nil, err
	}
	return access.ParseRefererConfig(data)
}

// ---- CORS ----

func putBucketCors(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	data, err := readSmallBody(rc, r, access.MaxCORSConfigBytes, oss.MalformedXML)
	if err != nil {
		return err
	}
	cfg, err := access.ParseCORSConfig(data)
	if err != nil {
		return err
	}
	doc, err := xml.Marshal(cfg)
	if err != nil {
		return oss.Wrap(rc.op.name, err)
	}
	if err := h.eng.PutBucketConfig(rc.ctx, rc.bucket(), configCORS, doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func getBucketCors(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	cfg, err := loadCORS(rc.ctx, h.eng, rc.bucket())
	if err != nil {
		return err
	}
	if cfg == nil {
		return &codeError{status: http.StatusNotFound, code: "NoSuchCORSConfiguration", message: "The CORS configuration does not exist."}
	}
	return writeXML(w, http.StatusOK, cfg)
}

func deleteBucketCors(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if _, err := h.eng.GetBucket(rc.ctx, rc.bucket()); err != nil {
		return err
	}
	if err := h.eng.DeleteBucketConfig(rc.ctx, rc.bucket(), configCORS); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// loadCORS reads a bucket's CORS configuration (nil when none).
func loadCORS(ctx context.Context, eng Engine, bucket string) (*access.CORSConfiguration, error) {
	data, ok, err := eng.GetBucketConfig(ctx, bucket, configCORS)
	if err != nil || !ok {
		return nil, err
	}
	return access.ParseCORSConfig(data)
}

// ---- public access block ----

type publicAccessBlockXML struct {
	XMLName           xml.Name `xml:"PublicAccessBlockConfiguration"`
	BlockPublicAccess bool     `xml:"BlockPublicAccess"`
}

func putPublicAccessBlock(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	var cfg publicAccessBlockXML
	if err := h.readXML(rc, r, &cfg); err != nil {
		return err
	}
	doc, err := xml.Marshal(cfg)
	if err != nil {
		return oss.Wrap(rc.op.name, err)
	}
	if err := h.eng.PutBucketConfig(rc.ctx, rc.bucket(), configPublicAccessBlock, doc); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func getPublicAccessBlock(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	block, err := loadPublicAccessBlock(rc.ctx, h.eng, rc.bucket())
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, publicAccessBlockXML{BlockPublicAccess: block})
}

func deletePublicAccessBlock(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if _, err := h.eng.GetBucket(rc.ctx, rc.bucket()); err != nil {
		return err
	}
	if err := h.eng.DeleteBucketConfig(rc.ctx, rc.bucket(), configPublicAccessBlock); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// loadPublicAccessBlock reads a bucket's BlockPublicAccess switch.
func loadPublicAccessBlock(ctx context.Context, eng Engine, bucket string) (bool, error) {
	data, ok, err := eng.GetBucketConfig(ctx, bucket, configPublicAccessBlock)
	if err != nil || !ok {
		return false, err
	}
	var cfg publicAccessBlockXML
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&cfg); err != nil {
		return false, oss.Wrap("", err)
	}
	return cfg.BlockPublicAccess, nil
}

// headerList splits comma-separated header values.
func headerList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
