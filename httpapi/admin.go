package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/oss"
)

// The admin API manages the identity directory over HTTP on the API
// listener, under the reserved path prefix /-/admin/ (path style only:
// bucket names cannot start with '-', so the prefix is unambiguous, and a
// virtual-hosted "/-/admin/..." stays an object key). Requests are signed
// like any request (OSS V1/V4 or S3; the resource is bucket "-", key
// "admin/..."). Everything is allowed to the root account's long-term keys
// only, except POST /-/admin/sts, which any long-term key (root or
// sub-user) may call to get a session on its own behalf. STS sessions can
// use nothing here. Bodies are JSON of at most MaxAdminBody bytes;
// successes answer JSON, failures the usual OSS error XML (with RAM's codes
// EntityNotExist, EntityAlreadyExists, DeleteConflict.*, LimitExceeded).
//
//	GET    /-/admin/users                      list users
//	PUT    /-/admin/users/NAME                 create a user
//	GET    /-/admin/users/NAME                 describe a user
//	DELETE /-/admin/users/NAME                 delete a user (no keys, no policies)
//	PUT    /-/admin/users/NAME/policies/P      attach policy P
//	DELETE /-/admin/users/NAME/policies/P      detach policy P
//	GET    /-/admin/keys                       list the root account's keys
//	POST   /-/admin/keys      {"user":"NAME"}  create a key (of the root when user is "")
//	PUT    /-/admin/keys/ID   {"status":"Inactive"|"Active"}
//	DELETE /-/admin/keys/ID                    delete a key (revokes its STS tokens)
//	GET    /-/admin/policies                   list named policies
//	PUT    /-/admin/policies/P                 create or replace policy P (body: the policy)
//	GET    /-/admin/policies/P                 the policy document
//	DELETE /-/admin/policies/P                 delete policy P (not while attached)
//	POST   /-/admin/sts  {"durationSeconds":3600,"policy":{...},"sessionName":"s"}
//	POST   /-/admin/sts/revoke {"securityToken":"..."}
const adminBucket = "-"

// MaxAdminBody bounds admin request bodies.
const MaxAdminBody = 64 << 10

var opAdmin = &operation{name: "Admin", handle: serveAdmin, access: AccessAdmin, selfAuth: true}

// AdminUser is a sub-user as the admin API shows it.
type AdminUser struct {
	Name     string         `json:"name"`
	UID      string         `json:"uid"`
	Created  time.Time      `json:"created"`
	Policies []string       `json:"policies"`
	Keys     []AdminKeyInfo `json:"keys"`
}

// AdminKeyInfo describes an access key without its secret.
type AdminKeyInfo struct {
	AccessKeyID string    `json:"accessKeyId"`
	Created     time.Time `json:"created"`
	Status      string    `json:"status"`
}

// AdminKey is a newly created access key, with its secret.
type AdminKey struct {
	User            string    `json:"user,omitempty"`
	AccessKeyID     string    `json:"accessKeyId"`
	AccessKeySecret string    `json:"accessKeySecret"`
	Created         time.Time `json:"created"`
	Status          string    `json:"status"`
}

// AdminCreateKeyRequest is the body of POST /-/admin/keys.
type AdminCreateKeyRequest struct {
	User string `json:"user"`
}

// AdminKeyStatusRequest is the body of PUT /-/admin/keys/ID.
type AdminKeyStatusRequest struct {
	Status string `json:"status"`
}

// AdminSTSRequest is the body of POST /-/admin/sts.
type AdminSTSRequest struct {
	DurationSeconds int64           `json:"durationSeconds"`
	Policy          json.RawMessage `json:"policy,omitempty"`
	SessionName     string          `json:"sessionName,omitempty"`
}

// AdminRevokeRequest is the body of POST /-/admin/sts/revoke.
type AdminRevokeRequest struct {
	SecurityToken string `json:"securityToken"`
}

// AdminCredentials are temporary credentials, as POST /-/admin/sts answers.
type AdminCredentials struct {
	AccessKeyID     string    `json:"AccessKeyId"`
	AccessKeySecret string    `json:"AccessKeySecret"`
	SecurityToken   string    `json:"SecurityToken"`
	Expiration      time.Time `json:"Expiration"`
}

// adminNotFound answers paths the admin API does not have.
func adminNotFound(method, path string) error {
	return &codeError{status: http.StatusNotFound, code: "NoSuchAdminResource", message: fmt.Sprintf("No admin resource %s %s.", method, path)}
}

// ramError maps an access error to what the client sees: codes of the
// oss table go through it, RAM's codes are answered as they are.
func ramError(err error) error {
	var ae *access.Error
	if errors.As(err, &ae) {
		if _, ok := oss.CodeByName(ae.Code); !ok {
			return &codeError{status: ae.Status, code: ae.Code, message: ae.Message}
		}
	}
	return err
}

func serveAdmin(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	dir := h.cfg.Directory
	if dir == nil {
		return oss.E(rc.op.name, oss.NotImplemented, "The admin API needs an identity directory.")
	}
	res, err := h.authn.Verify(rc.ctx, r, adminBucket, rc.addr.key)
	if err != nil {
		return err
	}
	rc.auth = res
	rc.ctx = oss.WithRequestInfo(rc.ctx, oss.RequestInfo{RequestID: rc.reqID, SourceIP: sourceIP(r), PrincipalID: res.AccessKeyID})
	if res.Anonymous {
		return oss.E(rc.op.name, oss.AccessDenied, "The admin API needs a signed request.")
	}
	p, err := dir.Authenticate(rc.ctx, res.AccessKeyID, res.SecurityToken, h.now())
	if err != nil {
		return err
	}
	if p.STS {
		return oss.E(rc.op.name, oss.AccessDenied, "STS sessions cannot use the admin API.")
	}
	if err := h.wrapBody(r, rc); err != nil {
		return err
	}
	path := strings.Trim(strings.TrimPrefix(rc.addr.key, "admin"), "/")
	if rc.addr.key != "admin" && !strings.HasPrefix(rc.addr.key, "admin/") {
		return adminNotFound(r.Method, "/-/"+rc.addr.key)
	}
	parts := strings.Split(path, "/")
	if path == "" {
		parts = nil
	}
	if len(parts) >= 1 && parts[0] == "sts" && r.Method == http.MethodPost && len(parts) == 1 {
		return adminIssueToken(h, w, r, rc, res.AccessKeyID)
	}
	if !p.IsRoot {
		return oss.E(rc.op.name, oss.AccessDenied, "Only the root account may manage identities.")
	}
	return ramError(adminRoute(h, w, r, rc, parts))
}

func adminRoute(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx, parts []string) error {
	dir := h.cfg.Directory
	ctx := rc.ctx
	m := r.Method
	notFound := func() error { return adminNotFound(m, "/-/"+rc.addr.key) }
	if len(parts) == 0 {
		return notFound()
	}
	switch parts[0] {
	case "users":
		switch {
		case len(parts) == 1 && m == http.MethodGet:
			users := dir.ListUsers()
			out := make([]AdminUser, 0, len(users))
			for _, u := range users {
				out = append(out, adminUser(u))
			}
			return writeJSON(w, http.StatusOK, map[string]any{"users": out})
		case len(parts) == 2 && m == http.MethodPut:
			u, err := dir.AddUser(ctx, parts[1])
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, adminUser(u))
		case len(parts) == 2 && m == http.MethodGet:
			u, err := dir.GetUser(parts[1])
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, adminUser(u))
		case len(parts) == 2 && m == http.MethodDelete:
			if err := dir.DeleteUser(ctx, parts[1]); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		case len(parts) == 4 && parts[2] == "policies" && m == http.MethodPut:
			if err := dir.AttachPolicy(ctx, parts[1], parts[3]); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		case len(parts) == 4 && parts[2] == "policies" && m == http.MethodDelete:
			if err := dir.DetachPolicy(ctx, parts[1], parts[3]); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	case "keys":
		switch {
		case len(parts) == 1 && m == http.MethodGet:
			out := []AdminKeyInfo{}
			for _, k := range dir.RootKeys() {
				out = append(out, AdminKeyInfo{AccessKeyID: k.AccessKeyID, Created: k.Created, Status: string(k.Status)})
			}
			return writeJSON(w, http.StatusOK, map[string]any{"keys": out})
		case len(parts) == 1 && m == http.MethodPost:
			var req AdminCreateKeyRequest
			if err := readAdminJSON(rc, r, &req); err != nil {
				return err
			}
			k, err := dir.CreateKey(ctx, req.User)
			if err != nil {
				return err
			}
			return writeJSON(w, http.StatusOK, AdminKey{User: req.User, AccessKeyID: k.AccessKeyID, AccessKeySecret: k.Secret, Created: k.Created, Status: string(k.Status)})
		case len(parts) == 2 && m == http.MethodPut:
			var req AdminKeyStatusRequest
			if err := readAdminJSON(rc, r, &req); err != nil {
				return err
			}
			st := access.KeyStatus(req.Status)
			if st != access.KeyActive && st != access.KeyInactive {
				return invalidArgument(rc.op.name, "status must be Active or Inactive", "status", req.Status)
			}
			if err := dir.SetKeyStatus(ctx, parts[1], st); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		case len(parts) == 2 && m == http.MethodDelete:
			if err := dir.DeleteKey(ctx, parts[1]); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	case "policies":
		switch {
		case len(parts) == 1 && m == http.MethodGet:
			names := dir.ListNamedPolicies()
			if names == nil {
				names = []string{}
			}
			return writeJSON(w, http.StatusOK, map[string]any{"policies": names})
		case len(parts) == 2 && m == http.MethodPut:
			doc, err := readAdminBody(rc, r)
			if err != nil {
				return err
			}
			if err := dir.PutNamedPolicy(ctx, parts[1], doc); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		case len(parts) == 2 && m == http.MethodGet:
			doc, err := dir.NamedPolicy(parts[1])
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(doc)
			return nil
		case len(parts) == 2 && m == http.MethodDelete:
			if err := dir.DeleteNamedPolicy(ctx, parts[1]); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	case "sts":
		if len(parts) == 2 && parts[1] == "revoke" && m == http.MethodPost {
			var req AdminRevokeRequest
			if err := readAdminJSON(rc, r, &req); err != nil {
				return err
			}
			if err := dir.RevokeToken(ctx, req.SecurityToken); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
	return notFound()
}

func adminIssueToken(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx, issuer string) error {
	var req AdminSTSRequest
	if err := readAdminJSON(rc, r, &req); err != nil {
		return err
	}
	var sp *access.Policy
	if len(req.Policy) > 0 && string(req.Policy) != "null" {
		doc := []byte(req.Policy)
		var s string
		if json.Unmarshal(doc, &s) == nil { // the policy given as a JSON string
			doc = []byte(s)
		}
		p, err := access.ParsePolicy(doc)
		if err != nil {
			return err
		}
		sp = p
	}
	d := time.Duration(req.DurationSeconds) * time.Second
	if req.DurationSeconds == 0 {
		d = time.Hour
	}
	name := req.SessionName
	if name == "" {
		name = "ossflow-session"
	}
	creds, err := h.cfg.Directory.IssueToken(rc.ctx, issuer, sp, d, name)
	if err != nil {
		return ramError(err)
	}
	return writeJSON(w, http.StatusOK, AdminCredentials{
		AccessKeyID: creds.AccessKeyID, AccessKeySecret: creds.AccessKeySecret,
		SecurityToken: creds.SecurityToken, Expiration: creds.Expiration.UTC(),
	})
}

func adminUser(u access.User) AdminUser {
	out := AdminUser{Name: u.Name, UID: u.UID, Created: u.Created, Policies: u.Policies, Keys: []AdminKeyInfo{}}
	if out.Policies == nil {
		out.Policies = []string{}
	}
	for _, k := range u.Keys {
		out.Keys = append(out.Keys, AdminKeyInfo{AccessKeyID: k.AccessKeyID, Created: k.Created, Status: string(k.Status)})
	}
	return out
}

// readAdminBody reads an admin request body (at most MaxAdminBody bytes).
func readAdminBody(rc *reqCtx, r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rc.body, MaxAdminBody+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if len(data) > MaxAdminBody {
		return nil, oss.E(rc.op.name, oss.EntityTooLarge, "Admin request bodies are limited to %d bytes.", MaxAdminBody)
	}
	return data, nil
}

// readAdminJSON reads and decodes an admin JSON body into v.
func readAdminJSON(rc *reqCtx, r *http.Request, v any) error {
	data, err := readAdminBody(rc, r)
	if err != nil {
		return err
	}
	return decodeAdminJSON(rc.op.name, data, v)
}

// decodeAdminJSON decodes one JSON object with no unknown fields; an empty
// body is an empty object.
func decodeAdminJSON(op string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalidArgument(op, "The request body is not a valid JSON document: "+err.Error(), "body", "")
	}
	if dec.More() {
		return invalidArgument(op, "The request body holds more than one JSON document.", "body", "")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return oss.Wrap("", err)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return nil
}
