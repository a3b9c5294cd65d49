package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ossflow/ossflow/imgproc"
	"github.com/ossflow/ossflow/oss"
)

// maxProcessBody bounds the body of a ProcessObject request.
const maxProcessBody = 64 << 10

// processForm finds param in a ProcessObject body, "x-oss-process=<value>"
// (possibly among other &-separated fields). The SDKs send the value
// unescaped, with base64 '=' padding, so the value runs from the first '='
// to the next '&'; a value with '%' escapes is unescaped, and '+' stays
// '+' (a process string has no spaces). ok is false when the field is
// absent or its escapes are malformed.
func processForm(body []byte, param string) (value string, ok bool) {
	s := strings.TrimSpace(string(body))
	for s != "" {
		var field string
		field, s, _ = strings.Cut(s, "&")
		k, v, _ := strings.Cut(field, "=")
		if uk, err := url.PathUnescape(k); err == nil {
			k = uk
		}
		if k != param {
			continue
		}
		if strings.Contains(v, "%") {
			uv, err := url.PathUnescape(v)
			if err != nil {
				return "", false
			}
			v = uv
		}
		return strings.TrimSpace(v), true
	}
	return "", false
}

// processObjectResult is the JSON answer of ProcessObject.
type processObjectResult struct {
	Bucket   string `json:"bucket"`
	FileSize int    `json:"fileSize"`
	Object   string `json:"object"`
	Status   string `json:"status"`
}

// processObject is POST /key?x-oss-process with the body
// "x-oss-process=<image/…|style/…>|sys/saveas,o_<b64url key>[,b_<b64url bucket>]":
// it processes the object and writes the result as an object (through
// the engine's PutObject, so the write has its own event). It is
// authorized as ProcessObject on the source, plus GetObject on the source
// version and PutObject on the destination.
func processObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	op := rc.op.name
	data, err := readSmallBody(rc, r, maxProcessBody, oss.EntityTooLarge)
	if err != nil {
		return err
	}
	v, ok := processForm(data, "x-oss-process")
	if !ok {
		return oss.E(op, oss.MissingArgument, "The request body must be x-oss-process=<process>|sys/saveas,o_<object>[,b_<bucket>].")
	}
	pl, err := parseProcess(op, v)
	if err != nil {
		return err
	}
	if pl.SaveAs == nil {
		return oss.E(op, oss.InvalidArgument, "ProcessObject needs sys/saveas,o_<object>.")
	}
	versionID := rc.query.Get("versionId")
	destBucket, destKey, err := h.saveAsTarget(rc, pl, versionID)
	if err != nil {
		return err
	}
	if pl, err = h.resolveStyle(rc, rc.bucket(), pl); err != nil {
		return err
	}
	in := oss.GetObjectInput{Bucket: rc.bucket(), Key: rc.key(), VersionID: versionID}
	_, res, err := h.imageResult(rc, in, pl)
	if err != nil {
		return err
	}
	if _, err := saveResult(rc.ctx, h.eng, destBucket, destKey, res.body, res.contentType); err != nil {
		return err
	}
	out, err := json.Marshal(processObjectResult{Bucket: destBucket, FileSize: len(res.body), Object: destKey, Status: "OK"})
	if err != nil {
		return oss.Wrap(op, err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}

// saveAsTarget checks pl's sys/saveas target (in the request's bucket
// when it names none) and authorizes the requester to read the source
// version and to write the target.
func (h *Handler) saveAsTarget(rc *reqCtx, pl *imgproc.Pipeline, versionID string) (bucket, key string, err error) {
	op := rc.op.name
	bucket, key = pl.SaveAs.Bucket, pl.SaveAs.Object
	if bucket == "" {
		bucket = rc.bucket()
	}
	if !oss.ValidBucketName(bucket) {
		return "", "", invalidArgument(op, "The saveas bucket name is invalid.", "b", bucket)
	}
	if !oss.ValidObjectKey(key) {
		return "", "", invalidArgument(op, "The saveas object name is invalid.", "o", key)
	}
	if err := h.authorizeVersion(rc, opReadSource, rc.bucket(), rc.key(), versionID); err != nil {
		return "", "", err
	}
	if err := h.authorizeVersion(rc, opPutObject, bucket, key, ""); err != nil {
		return "", "", err
	}
	return bucket, key, nil
}

// saveResult writes a processed image as bucket/key through the engine's
// PutObject, so the write has its own event (with ctx's request info).
func saveResult(ctx context.Context, eng Engine, bucket, key string, body []byte, contentType string) (oss.ObjectInfo, error) {
	put := oss.PutObjectInput{
		Bucket: bucket,
		Key:    key,
		Meta:   oss.Metadata{ContentType: contentType},
		Size:   int64(len(body)),
	}
	return eng.PutObject(ctx, put, bytes.NewReader(body))
}
