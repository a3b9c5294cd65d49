package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// The admin API of an ossflow server (not of OSS): identities under the
// reserved path /-/admin/, signed like any request. Everything but
// IssueToken needs the root account's credentials; IssueToken works for
// any long-term key and issues a session on its own behalf.

// adminBucket is the reserved first path segment of the admin API.
const adminBucket = "-"

// maxAdminResponse bounds an admin response body.
const maxAdminResponse = 16 << 20

// AdminUser is a sub-user.
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

// AdminKey is a newly created access key with its secret (shown only once).
type AdminKey struct {
	User            string    `json:"user,omitempty"`
	AccessKeyID     string    `json:"accessKeyId"`
	AccessKeySecret string    `json:"accessKeySecret"`
	Created         time.Time `json:"created"`
	Status          string    `json:"status"`
}

// STSOptions are the options of IssueToken.
type STSOptions struct {
	// Duration is the session's lifetime (15 minutes to 12 hours); zero
	// means one hour.
	Duration time.Duration
	// Policy, when set, is a session policy (JSON) that narrows the
	// session's permissions.
	Policy []byte
	// SessionName names the session (2 to 64 of letters, digits, ".@_-").
	SessionName string
}

// STSCredentials are temporary credentials: pass all three to an SDK.
type STSCredentials struct {
	AccessKeyID     string    `json:"AccessKeyId"`
	AccessKeySecret string    `json:"AccessKeySecret"`
	SecurityToken   string    `json:"SecurityToken"`
	Expiration      time.Time `json:"Expiration"`
}

// admin sends an admin request and decodes a JSON answer into out (when
// not nil).
func (c *Client) admin(ctx context.Context, method, path string, body any, out any) error {
	rq := &request{method: method, bucket: adminBucket, key: "admin/" + path, header: http.Header{}}
	if body != nil {
		var doc []byte
		switch b := body.(type) {
		case []byte:
			doc = b
		default:
			var err error
			if doc, err = json.Marshal(body); err != nil {
				return fmt.Errorf("client: admin %s: %w", path, err)
			}
		}
		rq.body, rq.size = bytes.NewReader(doc), int64(len(doc))
		rq.header.Set("Content-Type", "application/json")
	}
	resp, err := c.do(ctx, rq)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminResponse))
	if err != nil {
		return fmt.Errorf("client: admin %s: %w", path, err)
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("client: admin %s: decode answer: %w", path, err)
	}
	return nil
}

// AddUser creates a sub-user (no keys, no permissions).
func (c *Client) AddUser(ctx context.Context, name string) (AdminUser, error) {
	var u AdminUser
	err := c.admin(ctx, http.MethodPut, "users/"+name, nil, &u)
	return u, err
}

// GetUser describes a sub-user.
func (c *Client) GetUser(ctx context.Context, name string) (AdminUser, error) {
	var u AdminUser
	err := c.admin(ctx, http.MethodGet, "users/"+name, nil, &u)
	return u, err
}

// ListUsers lists the sub-users.
func (c *Client) ListUsers(ctx context.Context) ([]AdminUser, error) {
	var res struct {
		Users []AdminUser `json:"users"`
	}
	err := c.admin(ctx, http.MethodGet, "users", nil, &res)
	return res.Users, err
}

// DeleteUser deletes a sub-user; it must have no keys and no policies.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	return c.admin(ctx, http.MethodDelete, "users/"+name, nil, nil)
}

// CreateKey creates an access key for user, or for the root account when
// user is "".
func (c *Client) CreateKey(ctx context.Context, user string) (AdminKey, error) {
	var k AdminKey
	err := c.admin(ctx, http.MethodPost, "keys", map[string]string{"user": user}, &k)
	return k, err
}

// DeleteKey deletes an access key (and so every STS token it issued).
func (c *Client) DeleteKey(ctx context.Context, accessKeyID string) error {
	return c.admin(ctx, http.MethodDelete, "keys/"+accessKeyID, nil, nil)
}

// SetKeyStatus sets a key "Active" or "Inactive".
func (c *Client) SetKeyStatus(ctx context.Context, accessKeyID, status string) error {
	return c.admin(ctx, http.MethodPut, "keys/"+accessKeyID, map[string]string{"status": status}, nil)
}

// ListRootKeys lists the root account's keys (without secrets).
func (c *Client) ListRootKeys(ctx context.Context) ([]AdminKeyInfo, error) {
	var res struct {
		Keys []AdminKeyInfo `json:"keys"`
	}
	err := c.admin(ctx, http.MethodGet, "keys", nil, &res)
	return res.Keys, err
}

// PutPolicy creates or replaces the named policy (a RAM-style JSON
// document).
func (c *Client) PutPolicy(ctx context.Context, name string, doc []byte) error {
	if doc == nil {
		doc = []byte{}
	}
	return c.admin(ctx, http.MethodPut, "policies/"+name, doc, nil)
}

// GetPolicy returns the named policy's document.
func (c *Client) GetPolicy(ctx context.Context, name string) ([]byte, error) {
	var doc []byte
	err := c.admin(ctx, http.MethodGet, "policies/"+name, nil, &doc)
	return doc, err
}

// DeletePolicy deletes the named policy; it must not be attached.
func (c *Client) DeletePolicy(ctx context.Context, name string) error {
	return c.admin(ctx, http.MethodDelete, "policies/"+name, nil, nil)
}

// ListPolicies lists the named policies.
func (c *Client) ListPolicies(ctx context.Context) ([]string, error) {
	var res struct {
		Policies []string `json:"policies"`
	}
	err := c.admin(ctx, http.MethodGet, "policies", nil, &res)
	return res.Policies, err
}

// AttachPolicy attaches the named policy to a sub-user.
func (c *Client) AttachPolicy(ctx context.Context, user, policy string) error {
	return c.admin(ctx, http.MethodPut, "users/"+user+"/policies/"+policy, nil, nil)
}

// DetachPolicy detaches the named policy from a sub-user.
func (c *Client) DetachPolicy(ctx context.Context, user, policy string) error {
	return c.admin(ctx, http.MethodDelete, "users/"+user+"/policies/"+policy, nil, nil)
}

// IssueToken issues temporary credentials on behalf of the client's own
// (long-term) key.
func (c *Client) IssueToken(ctx context.Context, opts STSOptions) (STSCredentials, error) {
	req := struct {
		DurationSeconds int64           `json:"durationSeconds,omitempty"`
		Policy          json.RawMessage `json:"policy,omitempty"`
		SessionName     string          `json:"sessionName,omitempty"`
	}{DurationSeconds: int64(opts.Duration / time.Second), SessionName: opts.SessionName}
	if len(opts.Policy) > 0 {
		if !json.Valid(opts.Policy) {
			return STSCredentials{}, fmt.Errorf("client: IssueToken: the session policy is not valid JSON")
		}
		req.Policy = opts.Policy
	}
	var creds STSCredentials
	err := c.admin(ctx, http.MethodPost, "sts", req, &creds)
	return creds, err
}

// RevokeToken revokes an STS security token.
func (c *Client) RevokeToken(ctx context.Context, securityToken string) error {
	return c.admin(ctx, http.MethodPost, "sts/revoke", map[string]string{"securityToken": securityToken}, nil)
}
