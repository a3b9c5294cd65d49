package httpapi

import (
	"net/http"

	"github.com/ossflow/ossflow/oss"
)

func putBucketACL(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	acl, err := parseBucketACL(r.Header, rc.op.name)
	if err != nil {
		return err
	}
	if acl == "" {
		if r.ContentLength > 0 {
			return oss.E(rc.op.name, oss.NotImplemented, "ACL documents are not implemented; use the x-oss-acl (x-amz-acl) header.")
		}
		return invalidArgument(rc.op.name, "no such bucket access control exists", "x-oss-acl", "")
	}
	if err := h.eng.PutBucketACL(rc.ctx, rc.bucket(), acl); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func getBucketACL(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	b, err := h.eng.GetBucket(rc.ctx, rc.bucket())
	if err != nil {
		return err
	}
	return writeACL(w, rc, b.Owner, b.ACL)
}

func putObjectACL(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	acl, err := parseObjectACL(r.Header, rc.op.name)
	if err != nil {
		return err
	}
	if acl == "" {
		if r.ContentLength > 0 {
			return oss.E(rc.op.name, oss.NotImplemented, "ACL documents are not implemented; use the x-oss-object-acl (x-amz-acl) header.")
		}
		return invalidArgument(rc.op.name, "no such object access control exists", "x-oss-object-acl", "")
	}
	info, err := h.eng.PutObjectACL(rc.ctx, rc.bucket(), rc.key(), rc.query.Get("versionId"), acl)
	if err != nil {
		return err
	}
	rc.versionHeader(w.Header(), info.VersionID)
	w.WriteHeader(http.StatusOK)
	return nil
}

func getObjectACL(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	info, err := h.eng.HeadObject(rc.ctx, oss.GetObjectInput{Bucket: rc.bucket(), Key: rc.key(), VersionID: rc.query.Get("versionId"), NoFollow: true})
	if err != nil {
		return err
	}
	acl := info.ACL
	if acl == "" {
		acl = oss.ACLDefault
	}
	rc.versionHeader(w.Header(), info.VersionID)
	return writeACL(w, rc, info.Owner, acl)
}

// writeACL answers an ACL read: OSS's canned Grant, or S3's explicit
// grants (owner FULL_CONTROL, AllUsers READ / WRITE for the public ACLs).
func writeACL(w http.ResponseWriter, rc *reqCtx, owner oss.Owner, acl oss.ACL) error {
	if acl == "" {
		acl = oss.ACLPrivate
	}
	if !rc.s3 {
		return writeXML(w, http.StatusOK, accessControlPolicy{Owner: *ownerXML(owner), Grant: string(acl)})
	}
	const xsi = "http://www.w3.org/2001/XMLSchema-instance"
	const allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
	res := s3AccessControlPolicy{NS: s3NS, Owner: *ownerXML(owner)}
	res.Grants = append(res.Grants, s3Grant{
		Grantee:    s3Grantee{XSI: xsi, Type: "CanonicalUser", ID: owner.ID, DisplayName: owner.DisplayName},
		Permission: "FULL_CONTROL",
	})
	if acl == oss.ACLPublicRead || acl == oss.ACLPublicReadWrite {
		res.Grants = append(res.Grants, s3Grant{Grantee: s3Grantee{XSI: xsi, Type: "Group", URI: allUsers}, Permission: "READ"})
	}
	if acl == oss.ACLPublicReadWrite {
		res.Grants = append(res.Grants, s3Grant{Grantee: s3Grantee{XSI: xsi, Type: "Group", URI: allUsers}, Permission: "WRITE"})
	}
	return writeXML(w, http.StatusOK, res)
}
