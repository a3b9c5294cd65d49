package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/oss"
)

// Access is the kind of access an operation needs.
type Access int

const (
	// AccessRead reads an object or lists a bucket.
	AccessRead Access = iota
	// AccessWrite creates, changes or deletes objects.
	AccessWrite
	// AccessAdmin reads or changes service- and bucket-level configuration
	// or ACLs: the owner's business.
	AccessAdmin
)

func (a Access) String() string {
	switch a {
	case AccessRead:
		return "read"
	case AccessWrite:
		return "write"
	}
	return "admin"
}

// AccessRequest is what an Authorizer decides on.
type AccessRequest struct {
	// Op is the OSS operation name, e.g. "GetObject". A copy is authorized
	// twice: as its own operation on the destination, and as "GetObject"
	// on the source.
	Op     string
	Access Access
	Bucket string // "" for service-level operations
	Key    string // "" for bucket-level operations
	// Auth is the authentication result (Anonymous, AccessKeyID, ...).
	Auth     auth.Result
	SourceIP string
	// ACLs resolves the canned ACLs of the bucket and the object, lazily,
	// so that an Authorizer that does not need them costs nothing.
	ACLs ACLSource
	// Header and Query are the request's (for policy conditions: User-Agent,
	// Referer, x-oss-tagging, x-oss-object-acl, prefix, delimiter); Secure
	// tells that it came over TLS. Header and Query may be nil.
	Header http.Header
	Query  url.Values
	Secure bool
}

// ACLSource resolves canned ACLs for an AccessRequest.
type ACLSource interface {
	// BucketACL is the bucket's ACL (NoSuchBucket when it does not exist).
	BucketACL(ctx context.Context) (oss.ACL, error)
	// ObjectACL is the object's effective ACL: its own, or the bucket's
	// when it has none ("default") or does not exist.
	ObjectACL(ctx context.Context) (oss.ACL, error)
}

// Authorizer decides whether a request may proceed. It returns nil to allow
// it, or the error to answer with (typically AccessDenied).
type Authorizer interface {
	Authorize(ctx context.Context, req AccessRequest) error
}

// DefaultAuthorizer implements the default rules: an authenticated request
// may do anything; an anonymous one may read what a public-read or
// public-read-write bucket or object ACL opens, and write (objects only)
// where a public-read-write ACL allows it.
type DefaultAuthorizer struct{}

// Authorize implements Authorizer.
func (DefaultAuthorizer) Authorize(ctx context.Context, req AccessRequest) error {
	if !req.Auth.Anonymous {
		return nil
	}
	denied := func() error {
		e := oss.E(req.Op, oss.AccessDenied, "You have no right to access this object because of bucket acl.")
		e.Bucket, e.Key = req.Bucket, req.Key
		return e
	}
	if req.Bucket == "" || req.Access == AccessAdmin || req.ACLs == nil {
		return denied()
	}
	var acl oss.ACL
	var err error
	if req.Key != "" {
		acl, err = req.ACLs.ObjectACL(ctx)
	} else {
		acl, err = req.ACLs.BucketACL(ctx)
	}
	if err != nil {
		return err
	}
	switch {
	case acl == oss.ACLPublicReadWrite:
		return nil
	case acl == oss.ACLPublicRead && req.Access == AccessRead:
		return nil
	}
	return denied()
}

// authorize asks the Authorizer about op on bucket/key (the version the
// request names).
func (h *Handler) authorize(rc *reqCtx, op *operation, bucket, key string) error {
	return h.authorizeVersion(rc, op, bucket, key, rc.query.Get("versionId"))
}

// authorizeVersion asks the Authorizer about op on a version of bucket/key.
func (h *Handler) authorizeVersion(rc *reqCtx, op *operation, bucket, key, versionID string) error {
	return h.authz.Authorize(rc.ctx, AccessRequest{
		Op:       op.name,
		Access:   op.access,
		Bucket:   bucket,
		Key:      key,
		Auth:     rc.auth,
		SourceIP: oss.RequestInfoFrom(rc.ctx).SourceIP,
		ACLs:     &aclSource{eng: h.eng, bucket: bucket, key: key, versionID: versionID},
		Header:   rc.hdr,
		Query:    rc.query,
		Secure:   rc.secure,
	})
}

// aclSource resolves ACLs through the engine, once each.
type aclSource struct {
	eng         Engine
	bucket, key string
	versionID   string
	bucketACL   oss.ACL
	bucketErr   error
	bucketDone  bool
	objectACL   oss.ACL
	objectErr   error
	objectDone  bool
}

func (s *aclSource) BucketACL(ctx context.Context) (oss.ACL, error) {
	if !s.bucketDone {
		s.bucketDone = true
		b, err := s.eng.GetBucket(ctx, s.bucket)
		s.bucketACL, s.bucketErr = b.ACL, err
	}
	return s.bucketACL, s.bucketErr
}

func (s *aclSource) ObjectACL(ctx context.Context) (oss.ACL, error) {
	if s.objectDone {
		return s.objectACL, s.objectErr
	}
	s.objectDone = true
	bucketACL, err := s.BucketACL(ctx)
	if err != nil {
		s.objectErr = err
		return "", err
	}
	s.objectACL = bucketACL
	if s.key == "" {
		return s.objectACL, nil
	}
	info, err := s.eng.HeadObject(ctx, oss.GetObjectInput{Bucket: s.bucket, Key: s.key, VersionID: s.versionID, NoFollow: true})
	if err == nil && info.ACL != "" && info.ACL != oss.ACLDefault {
		s.objectACL = info.ACL
	}
	return s.objectACL, nil
}
