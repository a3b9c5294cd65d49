package httpapi

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/oss"
)

// PostObject limits beyond access's per-field ones.
const (
	// maxPostFields bounds the number of form fields before the file.
	maxPostFields = 1000
	// maxPostFieldsBytes bounds the bytes of all fields before the file
	// (names and values), so that a form cannot make the server hold much
	// more than one large field in memory.
	maxPostFieldsBytes = 8 << 20
)

// postForm is a PostObject form read up to its file part.
type postForm struct {
	// fields maps lowercased field names to values (the first of
	// duplicated names wins).
	fields map[string]string
	// file is the file part, positioned at its first byte.
	file *multipart.Part
	mr   *multipart.Reader
}

// readPostForm reads the form fields of a PostObject body up to the file
// part. Field names are case-insensitive; every name is at most
// access.MaxPostFieldNameBytes and every value at most
// access.MaxPostFieldValueBytes (FieldItemTooLong); a form without a file
// part is IncorrectNumberOfFilesInPOSTRequest; anything that is not
// well-formed multipart/form-data is MalformedPOSTRequest.
func readPostForm(op string, body io.Reader, boundary string) (*postForm, error) {
	mr := multipart.NewReader(body, boundary)
	f := &postForm{fields: map[string]string{}, mr: mr}
	total := 0
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, oss.E(op, oss.IncorrectNumberOfFilesInPOSTRequest, "POST requires exactly one file upload per request.")
		}
		if err != nil {
			return nil, malformedPost(op, err)
		}
		if n >= maxPostFields {
			return nil, oss.E(op, oss.MalformedPOSTRequest, "The form has more than %d fields.", maxPostFields)
		}
		name := part.FormName()
		if name == "" {
			return nil, oss.E(op, oss.MalformedPOSTRequest, "A part of the form has no form-data name.")
		}
		if len(name) > access.MaxPostFieldNameBytes {
			return nil, fieldTooLong(op, name[:64])
		}
		name = strings.ToLower(name)
		if name == "file" {
			f.file = part
			return f, nil
		}
		val, err := io.ReadAll(io.LimitReader(part, access.MaxPostFieldValueBytes+1))
		if err != nil {
			return nil, malformedPost(op, err)
		}
		if len(val) > access.MaxPostFieldValueBytes {
			return nil, fieldTooLong(op, name)
		}
		total += len(name) + len(val)
		if total > maxPostFieldsBytes {
			return nil, fieldTooLong(op, name)
		}
		if _, dup := f.fields[name]; !dup {
			f.fields[name] = string(val)
		}
	}
}

func malformedPost(op string, err error) error {
	e := oss.E(op, oss.MalformedPOSTRequest, "The body of your POST request is not well-formed multipart/form-data.")
	e.Err = err
	return e
}

func fieldTooLong(op, name string) error {
	e := oss.E(op, oss.FieldItemTooLong, "%s", access.MsgFieldItemTooLong)
	e.ArgumentName, e.ArgumentValue = "FieldName", name
	return e
}

// postFileReader streams the file part into the engine: it counts the
// bytes, fails as soon as they exceed the limit (the policy's
// content-length-range maximum, and 5 GB), checks the minimum at the end,
// and reports io.EOF only once the form is seen to end right after the
// file. Any failure is recorded in rc.bodyErr, so the engine stores
// nothing and the client gets that error.
type postFileReader struct {
	rc    *reqCtx
	form  *postForm
	check func(int64) error // nil when the form has no size condition
	n     int64
	done  bool
}

func (p *postFileReader) fail(err error) (int, error) {
	if p.rc.bodyErr == nil {
		p.rc.bodyErr = err
	}
	return 0, p.rc.bodyErr
}

func (p *postFileReader) Read(b []byte) (int, error) {
	if p.rc.bodyErr != nil {
		return 0, p.rc.bodyErr
	}
	if p.done {
		return 0, io.EOF
	}
	n, err := p.form.file.Read(b)
	p.n += int64(n)
	if p.n > oss.MaxObjectSize {
		return p.fail(oss.E(p.rc.op.name, oss.EntityTooLarge, "%s", access.MsgEntityTooLarge))
	}
	if p.check != nil && n > 0 {
		if cerr := p.check(p.n); cerr != nil && oss.IsCode(cerr, oss.EntityTooLarge) {
			return p.fail(cerr)
		}
	}
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, io.EOF) {
		return p.fail(malformedPost(p.rc.op.name, err))
	}
	if p.check != nil {
		if cerr := p.check(p.n); cerr != nil {
			return p.fail(cerr)
		}
	}
	// The file must be the last part: the form must end here.
	next, nerr := p.form.mr.NextPart()
	switch {
	case errors.Is(nerr, io.EOF):
	case nerr != nil:
		return p.fail(malformedPost(p.rc.op.name, nerr))
	case strings.EqualFold(next.FormName(), "file"):
		return p.fail(oss.E(p.rc.op.name, oss.IncorrectNumberOfFilesInPOSTRequest, "POST requires exactly one file upload per request."))
	default:
		return p.fail(oss.E(p.rc.op.name, oss.MalformedPOSTRequest, "The file must be the last field of the form."))
	}
	p.done = true
	return n, io.EOF
}

// noIdentities authenticates nobody (a Handler without a Directory).
type noIdentities struct{}

func (noIdentities) SecretFor(_ context.Context, ak string) (string, error) {
	return "", fmt.Errorf("%w: %s", auth.ErrUnknownAccessKey, ak)
}

func (noIdentities) Authenticate(_ context.Context, ak, _ string, _ time.Time) (access.Principal, error) {
	return access.Principal{}, fmt.Errorf("%w: %s", auth.ErrUnknownAccessKey, ak)
}

type postResponseXML struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Bucket   string   `xml:"Bucket"`
	Location string   `xml:"Location"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postObject is PostObject: POST / on a bucket with a multipart/form-data
// body (browser uploads). Header and URL signatures are ignored: the form
// authenticates itself with a V1 or V4 signed policy (or not at all: then
// only a public-read-write bucket accepts it). The file part is streamed
// into the engine, never buffered.
//
// success_action_redirect answers 303 with "bucket", "key" and "etag"
// appended to the redirect URL's query, as S3 does (OSS documents the
// redirect but not its query); otherwise success_action_status 200 or 201
// (with a PostResponse document) or, by default, 204.
func postObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	op := rc.op.name
	if err := rc.addr.validate(rc.op); err != nil {
		return err
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return oss.E(op, oss.MalformedPOSTRequest, "The body of your POST request is not well-formed multipart/form-data.")
	}
	rc.in = &countingReader{r: r.Body}
	form, err := readPostForm(op, rc.in, params["boundary"])
	if err != nil {
		return err
	}
	var creds access.PostAuthenticator = noIdentities{}
	if h.cfg.Directory != nil {
		creds = h.cfg.Directory
	}
	pa, err := access.VerifyPostPolicy(rc.ctx, creds, form.fields, rc.bucket(), -1, h.now())
	if err != nil {
		return err
	}
	key := strings.ReplaceAll(form.fields["key"], "${filename}", form.file.FileName())
	if err := oss.CheckObjectKey(op, key); err != nil {
		return err
	}
	rc.addr.key = key
	res := auth.Result{Anonymous: pa.Anonymous, AccessKeyID: pa.AccessKeyID, SecurityToken: form.fields["x-oss-security-token"]}
	if !pa.Anonymous {
		res.Scheme = auth.SchemeOSSV1
		if pa.SignatureVersion == 4 {
			res.Scheme = auth.SchemeOSSV4
		}
	}
	rc.auth = res
	rc.ctx = oss.WithRequestInfo(rc.ctx, oss.RequestInfo{RequestID: rc.reqID, SourceIP: sourceIP(r), PrincipalID: res.AccessKeyID})
	if err := h.authz.Authorize(rc.ctx, AccessRequest{
		Op:       op,
		Access:   AccessWrite,
		Bucket:   rc.bucket(),
		Key:      key,
		Auth:     res,
		SourceIP: sourceIP(r),
		ACLs:     &aclSource{eng: h.eng, bucket: rc.bucket(), key: key},
		Header:   headerOf(r, form.fields),
		Secure:   rc.secure,
	}); err != nil {
		return err
	}
	in, err := postPutInput(op, rc.bucket(), key, form)
	if err != nil {
		return err
	}
	var check func(int64) error
	for _, c := range pa.Conditions {
		if c.Op == "content-length-range" {
			check = pa.CheckSize
		}
	}
	body := &postFileReader{rc: rc, form: form, check: check}
	info, err := h.eng.PutObject(rc.ctx, in, body)
	if err != nil {
		return err
	}
	return writePostResult(w, r, rc, form.fields, info)
}

// postPutInput turns the form fields into the PutObject input.
func postPutInput(op, bucket, key string, form *postForm) (oss.PutObjectInput, error) {
	in := oss.PutObjectInput{Bucket: bucket, Key: key, Size: -1, EventName: oss.ObjectCreatedPost}
	hd := http.Header{}
	for name, v := range form.fields {
		switch {
		case strings.HasPrefix(name, "x-oss-meta-"),
			name == "cache-control", name == "content-type", name == "content-disposition",
			name == "content-encoding", name == "content-language", name == "expires",
			name == "x-oss-object-acl", name == "x-oss-storage-class",
			name == "x-oss-server-side-encryption", name == "x-oss-server-side-encryption-key-id":
			hd.Set(name, v)
		}
	}
	if v, ok := form.fields["x-oss-content-type"]; ok {
		hd.Set("Content-Type", v)
	}
	if hd.Get("Content-Type") == "" {
		if ct := form.file.Header.Get("Content-Type"); ct != "" {
			hd.Set("Content-Type", ct)
		}
	}
	var err error
	if in.Meta, err = parseMetadata(hd, op); err != nil {
		return in, err
	}
	if in.ACL, err = parseObjectACL(hd, op); err != nil {
		return in, err
	}
	if in.StorageClass, err = parseStorageClass(hd, op); err != nil {
		return in, err
	}
	if in.SSE, err = parseSSE(hd, op); err != nil {
		return in, err
	}
	in.ForbidOverwrite = parseBool(form.fields["x-oss-forbid-overwrite"])
	if form.fields["callback"] != "" {
		return in, oss.E(op, oss.NotImplemented, "Upload callbacks are not implemented.")
	}
	if form.fields["x-oss-tagging"] != "" {
		return in, invalidArgument(op, "PostObject does not support x-oss-tagging.", "x-oss-tagging", form.fields["x-oss-tagging"])
	}
	return in, nil
}

// writePostResult answers a successful PostObject.
func writePostResult(w http.ResponseWriter, r *http.Request, rc *reqCtx, fields map[string]string, info oss.ObjectInfo) error {
	hd := w.Header()
	rc.writeHeaders(hd, info.ETag, info.CRC64, info.VersionID, nil)
	rc.sseHeader(hd, info.SSE)
	location := postLocation(r, rc, info.Key)
	hd.Set("Location", location)
	if redirect := fields["success_action_redirect"]; redirect != "" {
		if u, err := url.Parse(redirect); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			q := u.Query()
			q.Set("bucket", rc.bucket())
			q.Set("key", info.Key)
			q.Set("etag", info.ETag)
			u.RawQuery = q.Encode()
			hd.Set("Location", u.String())
			w.WriteHeader(http.StatusSeeOther)
			return nil
		}
	}
	switch fields["success_action_status"] {
	case "200":
		w.WriteHeader(http.StatusOK)
		return nil
	case "201":
		return writeXML(w, http.StatusCreated, postResponseXML{Bucket: rc.bucket(), Location: location, Key: info.Key, ETag: info.ETag})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postLocation is the URL of the uploaded object.
func postLocation(r *http.Request, rc *reqCtx, key string) string {
	scheme := "http"
	if rc.secure {
		scheme = "https"
	}
	esc := (&url.URL{Path: key}).EscapedPath()
	if rc.addr.virtual {
		return scheme + "://" + r.Host + "/" + esc
	}
	return scheme + "://" + r.Host + "/" + rc.bucket() + "/" + esc
}
