package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/oss"
)

// PolicyConfig configures a PolicyAuthorizer.
type PolicyConfig struct {
	// Directory authenticates principals (long-term keys and STS sessions)
	// and holds their policies. Required.
	Directory *access.Directory
	// Engine holds the buckets, their ACLs and configuration documents
	// (bucket policy, referer, public access block). Required.
	Engine Engine
	// BlockPublicAccess blocks public access server-wide: public ACLs and
	// bucket-policy statements granting everyone are ignored on every
	// bucket (a bucket can also block it for itself with ?publicAccessBlock).
	BlockPublicAccess bool
	// Region is the region of resource ARNs ("acs:oss:<region>:...").
	Region string
	// Now is the clock of token expiry and acs:CurrentTime; nil means
	// time.Now.
	Now func() time.Time
}

// PolicyAuthorizer is the Authorizer of access control: it authenticates
// the principal through the Directory (so an STS token is verified here:
// expired, revoked or tampered tokens are refused), applies hotlink
// protection to anonymous and presigned requests, and decides with
// access.Evaluate over the principal's policies, the bucket policy, the
// bucket and object ACLs and the public access block, with the request's
// condition keys (source IP, TLS, time, User-Agent, Referer, prefix and
// delimiter of listings, request and existing object tags).
//
// It never looks an object up before it is needed: the object's ACL (or
// tags) are read only when the bucket-level evaluation did not already
// decide, and a missing object then counts with the bucket's ACL, so an
// unauthorized caller learns nothing about which keys exist.
//
// Operations access.ActionFor does not know are mapped by their Access:
// reads of objects as oss:GetObject, listings as oss:ListObjects, writes as
// oss:PutObject; configuration operations it does not know are allowed to
// the bucket owner's root account only.
//
// A Handler whose Authenticator looks keys up in a Directory must use this
// Authorizer (or another that calls Directory.Authenticate):
// DefaultAuthorizer lets every signed request through, so it would not
// refuse an expired or revoked STS token.
type PolicyAuthorizer struct {
	cfg      PolicyConfig
	policies sync.Map // bucket -> *cachedPolicy
}

type cachedPolicy struct {
	raw []byte
	p   *access.Policy
}

// NewPolicyAuthorizer returns the access-control Authorizer.
func NewPolicyAuthorizer(cfg PolicyConfig) *PolicyAuthorizer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &PolicyAuthorizer{cfg: cfg}
}

// writeActionsWithExtras are the operations that also need
// oss:PutObjectTagging with x-oss-tagging and oss:PutObjectAcl with
// x-oss-object-acl.
var writeActionsWithExtras = map[string]bool{
	"PutObject": true, "PostObject": true, "CopyObject": true, "PutSymlink": true, "InitiateMultipartUpload": true,
}

// Authorize implements Authorizer.
func (a *PolicyAuthorizer) Authorize(ctx context.Context, req AccessRequest) error {
	now := a.cfg.Now()
	anon := req.Auth.Anonymous || req.Auth.AccessKeyID == ""
	var p access.Principal
	if !anon {
		var err error
		p, err = a.cfg.Directory.Authenticate(ctx, req.Auth.AccessKeyID, req.Auth.SecurityToken, now)
		if err != nil {
			return err
		}
	}
	ar := a.request(req, p, anon, now)
	if req.Bucket == "" {
		if anon {
			return denied(req, access.MsgDeniedNoPermission)
		}
		if ar.Action == "" {
			return a.ownerOnly(req, p, p.AccountUID)
		}
		return access.Evaluate(ar, p.Policies, nil).Err()
	}

	b, err := a.cfg.Engine.GetBucket(ctx, req.Bucket)
	switch {
	case err == nil:
		ar.BucketOwner, ar.BucketACL = b.Owner.ID, b.ACL
	case req.Op == "PutBucket" && oss.IsCode(err, oss.NoSuchBucket):
		// Creation: the account's root (or a user allowed oss:PutBucket).
	default:
		return err
	}
	if err == nil && (anon || req.Auth.Presigned) {
		if err := a.checkReferer(ctx, req); err != nil {
			return err
		}
	}
	if ar.Action == "" {
		return a.ownerOnly(req, p, ar.BucketOwner)
	}
	if req.Op == "DeleteMultipleObjects" && req.Key == "" {
		// Decided per key (oss:DeleteObject on each object) by the handler.
		return nil
	}
	var bucketPolicy *access.Policy
	if err == nil {
		if bucketPolicy, err = a.bucketPolicy(ctx, req.Bucket); err != nil {
			return err
		}
		block, err := loadPublicAccessBlock(ctx, a.cfg.Engine, req.Bucket)
		if err != nil {
			return err
		}
		ar.BlockPublicAccess = a.cfg.BlockPublicAccess || block
	}
	if req.Key != "" && mentionsExistingTags(p, bucketPolicy) {
		ar.ExistingObjectTags = a.existingTags(ctx, req)
	}

	d := access.Evaluate(ar, p.Policies, bucketPolicy)
	if req.Key != "" && !d.Explicit && (!d.Allowed || d.Source == access.SourceACL) && req.ACLs != nil {
		// The object's own ACL may open (or close) what the bucket's did not.
		if acl, err := req.ACLs.ObjectACL(ctx); err == nil {
			ar.ObjectACL = acl
			d = access.Evaluate(ar, p.Policies, bucketPolicy)
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if writeActionsWithExtras[req.Op] {
		extra := ar
		if pick(req.Header, "X-Oss-Tagging", "X-Amz-Tagging") != "" {
			extra.Action = "oss:PutObjectTagging"
			if err := access.Evaluate(extra, p.Policies, bucketPolicy).Err(); err != nil {
				return err
			}
		}
		if pick(req.Header, "X-Oss-Object-Acl", "X-Amz-Acl") != "" {
			extra.Action = "oss:PutObjectAcl"
			if err := access.Evaluate(extra, p.Policies, bucketPolicy).Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// request builds the evaluation request with the condition keys.
func (a *PolicyAuthorizer) request(req AccessRequest, p access.Principal, anon bool, now time.Time) access.Request {
	ar := access.Request{
		Action:    actionFor(req),
		Region:    a.cfg.Region,
		Bucket:    req.Bucket,
		Key:       req.Key,
		Principal: p,
		Anonymous: anon,
		Secure:    req.Secure,
		Now:       now,
	}
	if ip, err := netip.ParseAddr(req.SourceIP); err == nil {
		ar.SourceIP = ip.WithZone("").Unmap()
	}
	if req.Header != nil {
		ar.UserAgent = req.Header.Get("User-Agent")
		ar.Referer = req.Header.Get("Referer")
		if v := pick(req.Header, "X-Oss-Tagging", "X-Amz-Tagging"); v != "" {
			if q, err := url.ParseQuery(v); err == nil {
				ar.RequestObjectTags = make(map[string]string, len(q))
				for k := range q {
					ar.RequestObjectTags[k] = q.Get(k)
				}
			}
		}
		extra := map[string]string{}
		for _, h := range []string{"X-Oss-Object-Acl", "X-Oss-Storage-Class", "X-Oss-Forbid-Overwrite", "X-Oss-Server-Side-Encryption"} {
			if v := req.Header.Get(h); v != "" {
				extra["oss:"+strings.ToLower(h)] = v
			}
		}
		if len(extra) > 0 {
			ar.Extra = extra
		}
	}
	if req.Query != nil {
		ar.Prefix, ar.Delimiter = req.Query.Get("prefix"), req.Query.Get("delimiter")
	}
	return ar
}

// actionFor is the action of an operation, by its Access when ActionFor
// does not know it (image processing reads, ...); "" for unknown
// configuration operations.
func actionFor(req AccessRequest) string {
	if act := access.ActionFor(req.Op); act != "" {
		return act
	}
	switch req.Access {
	case AccessRead:
		if req.Key == "" {
			return "oss:ListObjects"
		}
		return "oss:GetObject"
	case AccessWrite:
		return "oss:PutObject"
	}
	return ""
}

// ownerOnly allows the owner's root account (and its sessions without a
// session policy) and denies everyone else.
func (a *PolicyAuthorizer) ownerOnly(req AccessRequest, p access.Principal, owner string) error {
	if p.IsRoot && (owner == "" || owner == p.AccountUID) && p.SessionPolicy == nil {
		return nil
	}
	return denied(req, access.MsgDeniedNoPermission)
}

func denied(req AccessRequest, msg string) error {
	e := oss.E(req.Op, oss.AccessDenied, "%s", msg)
	return e
}

// checkReferer applies the bucket's hotlink protection.
func (a *PolicyAuthorizer) checkReferer(ctx context.Context, req AccessRequest) error {
	cfg, err := loadReferer(ctx, a.cfg.Engine, req.Bucket)
	if err != nil || cfg == nil {
		return err
	}
	var ref string
	if req.Header != nil {
		ref = req.Header.Get("Referer")
	}
	if !cfg.Allows(ref) {
		return denied(req, access.MsgRefererDenied)
	}
	return nil
}

// bucketPolicy returns the parsed bucket policy, parsing a document only
// when it changed.
func (a *PolicyAuthorizer) bucketPolicy(ctx context.Context, bucket string) (*access.Policy, error) {
	data, ok, err := a.cfg.Engine.GetBucketConfig(ctx, bucket, configPolicy)
	if err != nil || !ok {
		return nil, err
	}
	if c, ok := a.policies.Load(bucket); ok && bytes.Equal(c.(*cachedPolicy).raw, data) {
		return c.(*cachedPolicy).p, nil
	}
	p, err := access.ParseBucketPolicy(data, bucket)
	if err != nil {
		return nil, oss.Wrap("", err)
	}
	a.policies.Store(bucket, &cachedPolicy{raw: data, p: p})
	return p, nil
}

// existingTags reads the object's tags (none when it cannot be read).
func (a *PolicyAuthorizer) existingTags(ctx context.Context, req AccessRequest) map[string]string {
	vid := ""
	if req.Query != nil {
		vid = req.Query.Get("versionId")
	}
	info, err := a.cfg.Engine.HeadObject(ctx, oss.GetObjectInput{Bucket: req.Bucket, Key: req.Key, VersionID: vid, NoFollow: true})
	if err != nil {
		return nil
	}
	tags := make(map[string]string, len(info.Tags))
	for _, t := range info.Tags {
		tags[t.Key] = t.Value
	}
	return tags
}

// mentionsExistingTags reports whether a policy that applies has an
// oss:ExistingObjectTag condition (only then are the object's tags read).
func mentionsExistingTags(p access.Principal, bucketPolicy *access.Policy) bool {
	ps := append([]*access.Policy{bucketPolicy, p.SessionPolicy}, p.Policies...)
	for _, pol := range ps {
		if pol == nil {
			continue
		}
		for _, st := range pol.Statements {
			for _, c := range st.Conditions {
				if strings.HasPrefix(strings.ToLower(c.Key), strings.ToLower(access.KeyExistingObjectTag)) {
					return true
				}
			}
		}
	}
	return false
}

var _ Authorizer = (*PolicyAuthorizer)(nil)

// headerOf builds a request header from PostObject form fields (for the
// condition keys the Authorizer reads).
func headerOf(r *http.Request, fields map[string]string) http.Header {
	hd := http.Header{}
	for _, k := range []string{"User-Agent", "Referer"} {
		if v := r.Header.Get(k); v != "" {
			hd.Set(k, v)
		}
	}
	for _, k := range []string{"x-oss-object-acl", "x-oss-storage-class", "x-oss-forbid-overwrite", "x-oss-server-side-encryption"} {
		if v, ok := fields[k]; ok {
			hd.Set(k, v)
		}
	}
	return hd
}
