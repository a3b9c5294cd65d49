package httpapi

import (
	"net/http"
	"net/url"

	"github.com/ossflow/ossflow/oss"
)

// handlerFunc serves one operation. An error it returns is written by the
// Handler in the request's dialect, unless the response has started.
type handlerFunc func(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error

// operation is one entry of the routing table.
type operation struct {
	name   string      // OSS operation name (metrics, errors, authorization)
	handle handlerFunc // nil: answer fail
	access Access
	fail   oss.Code // NotImplemented or MethodNotAllowed when handle is nil
	// selfAuth: the handler authenticates and authorizes the request itself
	// (PostObject's form, CORS preflights, the admin API).
	selfAuth bool
}

func op(name string, access Access, fn handlerFunc) *operation {
	return &operation{name: name, handle: fn, access: access}
}

// The operations.
var (
	opListBuckets = op("ListBuckets", AccessAdmin, listBuckets)

	opPutBucket             = op("PutBucket", AccessAdmin, putBucket)
	opDeleteBucket          = op("DeleteBucket", AccessAdmin, deleteBucket)
	opHeadBucket            = op("HeadBucket", AccessRead, headBucket)
	opGetBucketInfo         = op("GetBucketInfo", AccessAdmin, getBucketInfo)
	opGetBucketLocation     = op("GetBucketLocation", AccessAdmin, getBucketLocation)
	opGetBucketStat         = op("GetBucketStat", AccessAdmin, getBucketStat)
	opPutBucketACL          = op("PutBucketAcl", AccessAdmin, putBucketACL)
	opGetBucketACL          = op("GetBucketAcl", AccessAdmin, getBucketACL)
	opPutBucketVersioning   = op("PutBucketVersioning", AccessAdmin, putBucketVersioning)
	opGetBucketVersioning   = op("GetBucketVersioning", AccessAdmin, getBucketVersioning)
	opPutBucketLifecycle    = op("PutBucketLifecycle", AccessAdmin, putBucketLifecycle)
	opGetBucketLifecycle    = op("GetBucketLifecycle", AccessAdmin, getBucketLifecycle)
	opDeleteBucketLifecycle = op("DeleteBucketLifecycle", AccessAdmin, deleteBucketLifecycle)
	opListObjects           = op("ListObjects", AccessRead, listObjects)
	opListObjectsV2         = op("ListObjectsV2", AccessRead, listObjectsV2)
	opListObjectVersions    = op("ListObjectVersions", AccessRead, listObjectVersions)
	opListMultipartUploads  = op("ListMultipartUploads", AccessRead, listMultipartUploads)
	opDeleteMultipleObjects = op("DeleteMultipleObjects", AccessWrite, deleteMultipleObjects)

	opPutObject           = op("PutObject", AccessWrite, putObject)
	opGetObject           = op("GetObject", AccessRead, getObjectOrStyle)
	opHeadObject          = op("HeadObject", AccessRead, getObjectOrStyle)
	opGetObjectMeta       = op("GetObjectMeta", AccessRead, getObjectMeta)
	opDeleteObject        = op("DeleteObject", AccessWrite, deleteObject)
	opCopyObject          = op("CopyObject", AccessWrite, copyObject)
	opAppendObject        = op("AppendObject", AccessWrite, appendObject)
	opPutSymlink          = op("PutSymlink", AccessWrite, putSymlink)
	opGetSymlink          = op("GetSymlink", AccessRead, getSymlink)
	opPutObjectTagging    = op("PutObjectTagging", AccessWrite, putObjectTagging)
	opGetObjectTagging    = op("GetObjectTagging", AccessRead, getObjectTagging)
	opDeleteObjectTagging = op("DeleteObjectTagging", AccessWrite, deleteObjectTagging)
	opPutObjectACL        = op("PutObjectAcl", AccessAdmin, putObjectACL)
	opGetObjectACL        = op("GetObjectAcl", AccessAdmin, getObjectACL)

	opInitiateMultipartUpload = op("InitiateMultipartUpload", AccessWrite, initiateMultipartUpload)
	opUploadPart              = op("UploadPart", AccessWrite, uploadPart)
	opUploadPartCopy          = op("UploadPartCopy", AccessWrite, uploadPartCopy)
	opCompleteMultipartUpload = op("CompleteMultipartUpload", AccessWrite, completeMultipartUpload)
	opAbortMultipartUpload    = op("AbortMultipartUpload", AccessWrite, abortMultipartUpload)
	opListParts               = op("ListParts", AccessWrite, listParts)
)

// notImplemented names an operation OSS (or S3) knows and ossflow does not
// implement; methodNotAllowed one that exists nowhere.
func notImplemented(name string) *operation {
	return &operation{name: name, access: AccessAdmin, fail: oss.NotImplemented}
}

func methodNotAllowed(name string) *operation {
	return &operation{name: name, access: AccessAdmin, fail: oss.MethodNotAllowed}
}

// Sub-resources of buckets and objects that OSS or S3 define and ossflow
// answers with 501 NotImplemented, with the operation name reported.
var bucketNotImplemented = []struct{ param, name string }{
	{"cors", "BucketCors"},
	{"referer", "BucketReferer"},
	{"policyStatus", "GetBucketPolicyStatus"},
	{"policy", "BucketPolicy"},
	{"website", "BucketWebsite"},
	{"logging", "BucketLogging"},
	{"encryption", "BucketEncryption"},
	{"tagging", "BucketTags"},
	{"replication", "BucketReplication"},
	{"replicationLocation", "GetBucketReplicationLocation"},
	{"replicationProgress", "GetBucketReplicationProgress"},
	{"inventory", "BucketInventory"},
	{"worm", "BucketWorm"},
	{"wormId", "BucketWorm"},
	{"wormExtend", "BucketWorm"},
	{"style", "BucketStyle"},
	{"cname", "BucketCname"},
	{"requestPayment", "BucketRequestPayment"},
	{"transferAcceleration", "BucketTransferAcceleration"},
	{"accelerate", "BucketAccelerate"},
	{"qos", "BucketQoS"},
	{"qosInfo", "BucketQoSInfo"},
	{"resourceGroup", "BucketResourceGroup"},
	{"metaQuery", "MetaQuery"},
	{"asyncFetch", "AsyncFetch"},
	{"accessPoint", "AccessPoint"},
	{"publicAccessBlock", "PublicAccessBlock"},
	{"httpsConfig", "BucketHttpsConfig"},
	{"responseHeader", "BucketResponseHeader"},
	{"notification", "BucketNotification"},
	{"ownershipControls", "BucketOwnershipControls"},
	{"object-lock", "ObjectLockConfiguration"},
	{"analytics", "BucketAnalytics"},
	{"metrics", "BucketMetrics"},
	{"intelligent-tiering", "BucketIntelligentTiering"},
	{"live", "LiveChannel"},
	{"dataRedundancyTransition", "BucketDataRedundancyTransition"},
	{"archiveDirectRead", "BucketArchiveDirectRead"},
	{"overwriteConfig", "BucketOverwriteConfig"},
}

var objectNotImplemented = []struct{ param, name string }{
	{"x-oss-process", "ProcessObject"},
	{"x-oss-async-process", "AsyncProcessObject"},
	{"restore", "RestoreObject"},
	{"cleanRestoredObject", "CleanRestoredObject"},
	{"select", "SelectObject"},
	{"attributes", "GetObjectAttributes"},
	{"retention", "ObjectRetention"},
	{"legal-hold", "ObjectLegalHold"},
	{"torrent", "GetObjectTorrent"},
	{"live", "LiveChannel"},
	{"callback", "Callback"},
}

func firstParam(q url.Values, list []struct{ param, name string }) string {
	for _, e := range list {
		if _, ok := q[e.param]; ok {
			return e.name
		}
	}
	return ""
}

// route selects the operation of a request from its method, what it
// addresses and its sub-resource query parameters.
func route(method string, a address, q url.Values, hdr http.Header) *operation {
	has := func(p string) bool { _, ok := q[p]; return ok }
	if !a.virtual && a.bucket == adminBucket {
		return opAdmin
	}
	switch {
	case a.bucket == "":
		switch method {
		case http.MethodGet:
			if has("regionList") {
				return notImplemented("DescribeRegions")
			}
			return opListBuckets
		case http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodHead, http.MethodOptions:
			return methodNotAllowed("Service")
		}
	case a.key == "":
		return routeBucket(method, q, has)
	default:
		return routeObject(method, q, hdr, has)
	}
	return methodNotAllowed("Unknown")
}

func routeBucket(method string, q url.Values, has func(string) bool) *operation {
	if o := routeAccessBucket(method, has); o != nil {
		return o
	}
	if o := routeEncryptionBucket(method, has); o != nil {
		return o
	}
	switch method {
	case http.MethodGet:
		switch {
		case has("acl"):
			return opGetBucketACL
		case has("versioning"):
			return opGetBucketVersioning
		case has("lifecycle"):
			return opGetBucketLifecycle
		case has("bucketInfo"):
			return opGetBucketInfo
		case has("location"):
			return opGetBucketLocation
		case has("stat"):
			return opGetBucketStat
		case has("versions"):
			return opListObjectVersions
		case has("uploads"):
			return opListMultipartUploads
		case has("style") && has("styleName"):
			return opGetStyle
		case has("style"):
			return opListStyle
		}
		if name := firstParam(q, bucketNotImplemented); name != "" {
			return notImplemented("Get" + name)
		}
		if q.Get("list-type") == "2" {
			return opListObjectsV2
		}
		return opListObjects
	case http.MethodPut:
		switch {
		case has("acl"):
			return opPutBucketACL
		case has("versioning"):
			return opPutBucketVersioning
		case has("lifecycle"):
			return opPutBucketLifecycle
		case has("style"):
			return opPutStyle
		}
		if name := firstParam(q, bucketNotImplemented); name != "" {
			return notImplemented("Put" + name)
		}
		return opPutBucket
	case http.MethodDelete:
		if has("lifecycle") {
			return opDeleteBucketLifecycle
		}
		if has("style") {
			return opDeleteStyle
		}
		if name := firstParam(q, bucketNotImplemented); name != "" {
			return notImplemented("Delete" + name)
		}
		return opDeleteBucket
	case http.MethodHead:
		return opHeadBucket
	case http.MethodPost:
		if has("delete") {
			return opDeleteMultipleObjects
		}
		if name := firstParam(q, bucketNotImplemented); name != "" {
			return notImplemented("Post" + name)
		}
		return opPostObject
	case http.MethodOptions:
		return notImplemented("OptionObject")
	}
	return methodNotAllowed("Unknown")
}

func routeObject(method string, q url.Values, hdr http.Header, has func(string) bool) *operation {
	if method == http.MethodOptions {
		return opOptionObject
	}
	copySource := copySourceHeader(hdr) != ""
	switch method {
	case http.MethodGet:
		switch {
		case has("symlink"):
			return opGetSymlink
		case has("tagging"):
			return opGetObjectTagging
		case has("acl"):
			return opGetObjectACL
		case has("uploadId"):
			return opListParts
		case has("x-oss-process"):
			return opGetImage
		}
		if name := firstParam(q, objectNotImplemented); name != "" {
			return notImplemented(name)
		}
		if has("partNumber") {
			return notImplemented("GetObjectPart")
		}
		return opGetObject
	case http.MethodHead:
		switch {
		case has("objectMeta"):
			return opGetObjectMeta
		case has("partNumber"):
			return notImplemented("HeadObjectPart")
		case has("x-oss-process"):
			return opHeadImage
		}
		return opHeadObject
	case http.MethodPut:
		switch {
		case has("symlink"):
			return opPutSymlink
		case has("tagging"):
			return opPutObjectTagging
		case has("acl"):
			return opPutObjectACL
		case has("uploadId") || has("partNumber"):
			if copySource {
				return opUploadPartCopy
			}
			return opUploadPart
		}
		if name := firstParam(q, objectNotImplemented); name != "" {
			return notImplemented("Put" + name)
		}
		if copySource {
			return opCopyObject
		}
		return opPutObject
	case http.MethodDelete:
		switch {
		case has("tagging"):
			return opDeleteObjectTagging
		case has("uploadId"):
			return opAbortMultipartUpload
		}
		if name := firstParam(q, objectNotImplemented); name != "" {
			return notImplemented("Delete" + name)
		}
		return opDeleteObject
	case http.MethodPost:
		switch {
		case has("uploads"):
			return opInitiateMultipartUpload
		case has("uploadId"):
			return opCompleteMultipartUpload
		case has("append"):
			return opAppendObject
		case has("x-oss-process"):
			return opProcessObject
		case has("x-oss-async-process"):
			return opAsyncProcessObject
		}
		if name := firstParam(q, objectNotImplemented); name != "" {
			return notImplemented(name)
		}
		return methodNotAllowed("PostObject")
	case http.MethodOptions:
		return notImplemented("OptionObject")
	}
	return methodNotAllowed("Unknown")
}
