package access

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/ossflow/ossflow/oss"
)

// Principal is an authenticated identity: the root account, a sub-user, or
// an STS session issued by one of them.
type Principal struct {
	// AccountUID is the account the identity belongs to.
	AccountUID string
	// UserName is the sub-user's name; empty for the root account.
	UserName string
	// UserUID is the sub-user's UID; for the root account it equals
	// AccountUID. For an STS session both describe the issuer.
	UserUID string
	// AccessKeyID is the key the request was signed with (an "STS." id for
	// sessions).
	AccessKeyID string
	// IsRoot is true for the root account (and sessions it issued).
	IsRoot bool

	// STS is true for a temporary session; the fields below describe it.
	STS               bool
	SessionName       string
	SessionPolicy     *Policy // nil: the session has all of its issuer's permissions
	TokenID           string
	IssuerAccessKeyID string
	Expiration        time.Time

	// Policies are the identity's attached policies when it was looked up
	// (for a session: its issuer's). Pass them to Evaluate as userPolicies.
	Policies []*Policy
}

// Request is what Evaluate decides on.
type Request struct {
	// Action is the OSS action, e.g. "oss:GetObject" (see ActionFor).
	Action string
	// Region names the region in the resource ARN ("" matches only "*"
	// region patterns).
	Region string
	// Bucket and Key name the resource; Key is empty for bucket-level and
	// Bucket for service-level actions.
	Bucket, Key string
	// Principal is the caller; ignored when Anonymous.
	Principal Principal
	Anonymous bool

	SourceIP  netip.Addr
	SourceVPC string
	Secure    bool
	Now       time.Time
	UserAgent string
	Referer   string
	// Prefix and Delimiter are the listing parameters; the oss:Prefix and
	// oss:Delimiter keys are present (possibly empty) for list actions only.
	Prefix, Delimiter  string
	ExistingObjectTags map[string]string
	RequestObjectTags  map[string]string
	// Extra supplies further condition keys (lowercased, e.g.
	// "oss:x-oss-object-acl"); keys not found anywhere are absent.
	Extra map[string]string

	// BucketOwner is the owning account's UID; empty when the bucket does
	// not exist yet (PutBucket), in which case the account's root may act.
	BucketOwner string
	BucketACL   oss.ACL
	// ObjectACL is the object's own ACL; "" or "default" inherits BucketACL.
	ObjectACL oss.ACL
	// BlockPublicAccess is the effective "block public access" switch
	// (server-wide OR per bucket): public ACLs and public bucket-policy
	// Allow statements are then ignored.
	BlockPublicAccess bool
}

// Source names the layer that decided.
type Source int

const (
	SourceNone Source = iota
	SourceSessionPolicy
	SourceUserPolicy
	SourceBucketPolicy
	SourceOwner
	SourceACL
)

func (s Source) String() string {
	switch s {
	case SourceSessionPolicy:
		return "session policy"
	case SourceUserPolicy:
		return "RAM policy"
	case SourceBucketPolicy:
		return "bucket policy"
	case SourceOwner:
		return "owner"
	case SourceACL:
		return "ACL"
	}
	return "none"
}

// Decision is Evaluate's answer.
type Decision struct {
	Allowed bool
	// Explicit is true when a Deny statement matched.
	Explicit bool
	Source   Source
	// Sid is the Sid of the deciding statement, if any.
	Sid string
	// Reason is the client-visible message for a denial.
	Reason string
}

// Err returns nil for an allowed decision and an AccessDenied *Error
// carrying the reason otherwise.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return accessDenied(d.Reason)
}

// Evaluate decides req. userPolicies are the caller's identity policies
// (Principal.Policies); bucketPolicy may be nil. The order is OSS's:
//
//  1. An explicit Deny in the session policy, a user policy or the bucket
//     policy denies. Bucket-policy statements whose Principal is "*" and that
//     have no Condition do not apply to the bucket owner's root account;
//     with a Condition, or naming the owner's UID, they do (OSS's rule).
//  2. An STS session with a session policy is capped by it: without an Allow
//     there the request is denied (a token never grants more than its
//     issuer, and its session policy narrows further).
//  3. The bucket owner's root account (and the account root for
//     service-level actions and bucket creation) is allowed.
//  4. An Allow in a user policy or the bucket policy allows (public
//     bucket-policy statements do not count under BlockPublicAccess).
//  5. The ACL: the object's own ACL unless "default", else the bucket's;
//     public-read grants read actions to everyone, public-read-write also
//     writes (not under BlockPublicAccess). See ACLGrants.
//  6. Otherwise the request is implicitly denied.
func Evaluate(req Request, userPolicies []*Policy, bucketPolicy *Policy) Decision {
	ev := evaluator{req: &req}
	p := &req.Principal
	authn := !req.Anonymous
	session := authn && p.STS && p.SessionPolicy != nil

	// 1. Explicit denies.
	if session {
		if st := ev.match(p.SessionPolicy, Deny, false); st != nil {
			return Decision{Explicit: true, Source: SourceSessionPolicy, Sid: st.Sid, Reason: MsgDeniedBySession}
		}
	}
	if authn {
		for _, up := range userPolicies {
			if st := ev.match(up, Deny, false); st != nil {
				return Decision{Explicit: true, Source: SourceUserPolicy, Sid: st.Sid, Reason: MsgDeniedByRAMPolicy}
			}
		}
	}
	if st := ev.match(bucketPolicy, Deny, true); st != nil {
		return Decision{Explicit: true, Source: SourceBucketPolicy, Sid: st.Sid, Reason: MsgDeniedByBucketPolicy}
	}
	// 2. Session cap.
	if session && ev.match(p.SessionPolicy, Allow, false) == nil {
		return Decision{Source: SourceSessionPolicy, Reason: MsgDeniedBySession}
	}
	// 3. Owner.
	if authn && p.IsRoot && (req.BucketOwner == "" || req.BucketOwner == p.AccountUID) {
		return Decision{Allowed: true, Source: SourceOwner}
	}
	// 4. Allows.
	if authn {
		for _, up := range userPolicies {
			if st := ev.match(up, Allow, false); st != nil {
				return Decision{Allowed: true, Source: SourceUserPolicy, Sid: st.Sid}
			}
		}
	}
	if st := ev.match(bucketPolicy, Allow, true); st != nil {
		return Decision{Allowed: true, Source: SourceBucketPolicy, Sid: st.Sid}
	}
	// 5. ACL.
	if req.Bucket != "" && !req.BlockPublicAccess {
		acl := req.BucketACL
		if req.Key != "" && req.ObjectACL != "" && req.ObjectACL != oss.ACLDefault {
			acl = req.ObjectACL
		}
		if ACLGrants(acl, req.Action) {
			return Decision{Allowed: true, Source: SourceACL}
		}
	}
	// 6. Implicit deny.
	switch {
	case req.Bucket == "":
		return Decision{Reason: MsgDeniedNoPermission}
	case authn && p.IsRoot:
		return Decision{Reason: MsgNotBucketOwner}
	}
	return Decision{Reason: MsgDeniedByACL}
}

// ACLGrants reports whether a canned ACL grants action to everyone.
// public-read grants oss:GetObject (GetObject, HeadObject, GetObjectMeta,
// GetSymlink), oss:ListObjects and oss:ListObjectVersions; public-read-write
// adds oss:PutObject (PutObject, PostObject, AppendObject, PutSymlink,
// CopyObject's destination, multipart writes), oss:DeleteObject,
// oss:AbortMultipartUpload, oss:ListParts and oss:ListMultipartUploads.
// ACLs never grant configuration, tagging or ACL changes.
func ACLGrants(acl oss.ACL, action string) bool {
	a := strings.ToLower(action)
	read := a == "oss:getobject" || a == "oss:listobjects" || a == "oss:listobjectversions"
	write := a == "oss:putobject" || a == "oss:deleteobject" || a == "oss:abortmultipartupload" ||
		a == "oss:listparts" || a == "oss:listmultipartuploads"
	switch acl {
	case oss.ACLPublicRead:
		return read
	case oss.ACLPublicReadWrite:
		return read || write
	}
	return false
}

type evaluator struct {
	req *Request
	// res is the request's resource name, built on first use (requests
	// decided without a policy never need it).
	res    string
	hasRes bool
}

// resource returns the request's resource name.
func (ev *evaluator) resource() string {
	if !ev.hasRes {
		ev.res, ev.hasRes = ev.req.resource(), true
	}
	return ev.res
}

// resource is the request's resource name:
// acs:oss:<region>:<owner>:<bucket>[/<key>], or acs:oss:<region>:<uid>:*
// for service-level actions.
func (r *Request) resource() string {
	if r.Bucket == "" {
		return "acs:oss:" + r.Region + ":" + r.Principal.AccountUID + ":*"
	}
	s := "acs:oss:" + r.Region + ":" + r.BucketOwner + ":" + r.Bucket
	if r.Key != "" {
		s += "/" + r.Key
	}
	return s
}

// match returns the first statement of p with effect e that applies to the
// request, or nil.
func (ev *evaluator) match(p *Policy, e Effect, bucketPolicy bool) *Statement {
	if p == nil || (e == Allow && ev.req.Action == "") {
		// An unknown operation (ActionFor "") is never allowed by a policy.
		return nil
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != e {
			continue
		}
		if bucketPolicy {
			if !ev.principalApplies(st) {
				continue
			}
			if e == Allow && ev.req.BlockPublicAccess && statementIsPublic(st) {
				continue
			}
		}
		if !st.matchesAction(ev.req.Action) || !st.matchesResource(ev.resource()) {
			continue
		}
		if !ev.conditionsHold(st) {
			continue
		}
		return st
	}
	return nil
}

func (ev *evaluator) conditionsHold(st *Statement) bool {
	for i := range st.Conditions {
		// The value is looked up on the concrete *Request, not through
		// conditionContext: an interface would move every Request that
		// Evaluate sees to the heap.
		c := &st.Conditions[i]
		if !c.matchesValue(ev.req.conditionValue(c.key)) {
			return false
		}
	}
	return true
}

func (st *Statement) matchesAction(action string) bool {
	if st.NotAction != nil {
		for _, a := range st.NotAction {
			if wildcardMatchFold(a, action) {
				return false
			}
		}
		return true
	}
	for _, a := range st.Action {
		if wildcardMatchFold(a, action) {
			return true
		}
	}
	return false
}

func (st *Statement) matchesResource(res string) bool {
	if st.NotResource != nil {
		for _, r := range st.NotResource {
			if wildcardMatch(r, res) {
				return false
			}
		}
		return true
	}
	for _, r := range st.Resource {
		if wildcardMatch(r, res) {
			return true
		}
	}
	return false
}

// principalApplies reports whether a bucket-policy statement names the
// caller, applying OSS's owner rule for "*" statements without conditions.
func (ev *evaluator) principalApplies(st *Statement) bool {
	req := ev.req
	p := &req.Principal
	public := isPublicPrincipal(st.Principal)
	if public {
		owner := !req.Anonymous && p.IsRoot && !p.STS && req.BucketOwner != "" && p.AccountUID == req.BucketOwner
		return !(owner && len(st.Conditions) == 0)
	}
	if req.Anonymous {
		return false
	}
	arn := ""
	if p.STS {
		issuer := p.UserName
		if p.IsRoot {
			issuer = "root"
		}
		arn = "arn:sts::" + p.AccountUID + ":assumed-role/" + issuer + "/" + p.SessionName
	}
	for _, want := range st.Principal {
		switch {
		case p.IsRoot && want == p.AccountUID:
			return true
		case !p.IsRoot && p.UserUID != "" && want == p.UserUID:
			return true
		case arn != "" && strings.HasPrefix(want, "arn:sts::") && wildcardMatch(want, arn):
			return true
		}
	}
	return false
}

func isPublicPrincipal(list []string) bool {
	for _, p := range list {
		if p == "*" {
			return true
		}
	}
	return false
}

// statementIsPublic: Principal "*" and no condition that narrows the
// audience (a source IP range other than the whole internet, a VPC or an
// access key id).
func statementIsPublic(st *Statement) bool {
	if !isPublicPrincipal(st.Principal) {
		return false
	}
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.op.negate {
			continue
		}
		switch c.key {
		case "acs:sourceip":
			whole := false
			for _, p := range c.prefixes {
				if p.Bits() == 0 {
					whole = true
				}
			}
			if !whole {
				return false
			}
		case "acs:sourcevpc", "acs:accessid":
			if !(c.op.cmp == cmpLike && containsStar(c.Values)) {
				return false
			}
		}
	}
	return true
}

// containsStar reports whether some pattern is "*", matching any value.
func containsStar(vals []string) bool {
	for _, v := range vals {
		if v == "*" {
			return true
		}
	}
	return false
}

// IsPublic reports whether a bucket policy grants access to everyone: some
// Allow statement has Principal "*" (or []) and no condition restricting the
// source IP (to less than 0.0.0.0/0 or ::/0), the VPC or the access key id.
// GetBucketPolicyStatus answers it as <IsPublic>.
func IsPublic(p *Policy) bool {
	if p == nil {
		return false
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect == Allow && statementIsPublic(st) {
			return true
		}
	}
	return false
}

// conditionValue implements conditionContext.
func (r *Request) conditionValue(key string) (string, bool) {
	switch key {
	case "acs:sourceip":
		if !r.SourceIP.IsValid() {
			return "", false
		}
		return r.SourceIP.Unmap().String(), true
	case "acs:useragent":
		return r.UserAgent, r.UserAgent != ""
	case "acs:referer":
		return r.Referer, r.Referer != ""
	case "acs:currenttime":
		if r.Now.IsZero() {
			return "", false
		}
		return r.Now.UTC().Format(time.RFC3339Nano), true
	case "acs:securetransport":
		if r.Secure {
			return "true", true
		}
		return "false", true
	case "acs:accessid":
		if r.Anonymous || r.Principal.AccessKeyID == "" {
			return "", false
		}
		return r.Principal.AccessKeyID, true
	case "acs:mfapresent":
		return "false", true
	case "acs:sourcevpc":
		return r.SourceVPC, r.SourceVPC != ""
	case "oss:prefix":
		return r.Prefix, isListAction(r.Action)
	case "oss:delimiter":
		return r.Delimiter, isListAction(r.Action)
	}
	if tag, ok := strings.CutPrefix(key, keyExistingTagLower); ok {
		v, present := r.ExistingObjectTags[tag]
		return v, present
	}
	if tag, ok := strings.CutPrefix(key, keyRequestTagLower); ok {
		v, present := r.RequestObjectTags[tag]
		return v, present
	}
	v, ok := r.Extra[key]
	return v, ok
}

func isListAction(a string) bool {
	switch strings.ToLower(a) {
	case "oss:listobjects", "oss:listobjectversions", "oss:listmultipartuploads":
		return true
	}
	return false
}

// ActionFor maps an OSS operation name to the action a policy must allow,
// or "" for an operation it does not know (deny those, or treat them as the
// owner's business). Some operations need more than one action, which the
// caller evaluates separately:
//
//   - CopyObject and UploadPartCopy also need oss:GetObject on the source
//     object (evaluate a second Request for the source bucket/key);
//   - PutObject, PostObject, CopyObject, PutSymlink and
//     InitiateMultipartUpload with an x-oss-tagging header also need
//     oss:PutObjectTagging, and with x-oss-object-acl also oss:PutObjectAcl.
//
// PostObject, AppendObject, PutSymlink and every multipart write but abort
// are oss:PutObject; HeadObject, GetObjectMeta and GetSymlink are
// oss:GetObject; DeleteMultipleObjects is oss:DeleteObject per key;
// ListObjectsV2 is oss:ListObjects. HeadBucket (S3 dialect) is
// oss:ListObjects, as S3's HeadBucket needs s3:ListBucket.
func ActionFor(op string) string {
	switch op {
	case "PutObject", "PostObject", "AppendObject", "CopyObject", "PutSymlink",
		"InitiateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload":
		return "oss:PutObject"
	case "GetObject", "HeadObject", "GetObjectMeta", "GetSymlink":
		return "oss:GetObject"
	case "DeleteObject", "DeleteMultipleObjects":
		return "oss:DeleteObject"
	case "PutObjectTagging", "GetObjectTagging", "DeleteObjectTagging",
		"PutObjectAcl", "GetObjectAcl",
		"AbortMultipartUpload", "ListParts", "ListMultipartUploads",
		"PutBucket", "DeleteBucket", "ListBuckets", "ListObjectVersions",
		"GetBucketInfo", "GetBucketLocation", "GetBucketStat",
		"PutBucketAcl", "GetBucketAcl",
		"PutBucketVersioning", "GetBucketVersioning",
		"PutBucketLifecycle", "GetBucketLifecycle", "DeleteBucketLifecycle",
		"PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus",
		"PutBucketCors", "GetBucketCors", "DeleteBucketCors",
		"PutBucketReferer", "GetBucketReferer",
		"PutBucketEncryption", "GetBucketEncryption", "DeleteBucketEncryption":
		return "oss:" + op
	case "ListObjects", "ListObjectsV2", "HeadBucket":
		return "oss:ListObjects"
	}
	return ""
}

// DeniedStatus is the HTTP status of every denial Evaluate produces.
const DeniedStatus = http.StatusForbidden
