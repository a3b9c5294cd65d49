package httpapi

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/ossflow/ossflow/oss"
)

// reservedBucketNames are valid names ossflow keeps for itself: the
// composition root serves GET /metrics in front of the Handler.
var reservedBucketNames = map[string]bool{"metrics": true}

// location is the OSS location name of the region, "oss-<region>".
func (h *Handler) location() string {
	if strings.HasPrefix(h.cfg.Region, "oss-") {
		return h.cfg.Region
	}
	return "oss-" + h.cfg.Region
}

// endpoint is the host clients reach the service at: the first configured
// domain, else the Host of the request.
func (h *Handler) endpoint(r *http.Request) string {
	if len(h.domains) > 0 {
		return h.domains[0]
	}
	return r.Host
}

func listBuckets(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	q := rc.query
	in := oss.ListBucketsInput{Prefix: q.Get("prefix"), Marker: q.Get("marker")}
	var err error
	if rc.s3 {
		if in.MaxKeys, err = intParam(rc, "max-buckets", oss.MaxListKeys, 1, 10000); err != nil {
			return err
		}
		if tok := q.Get("continuation-token"); tok != "" {
			if in.Marker, err = decodeToken(rc, tok); err != nil {
				return err
			}
		}
	} else if in.MaxKeys, err = intParam(rc, "max-keys", oss.DefaultListKeys, 1, oss.MaxListKeys); err != nil {
		return err
	}
	out, err := h.eng.ListBuckets(rc.ctx, in)
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{NS: rc.ns()}
	owner := oss.Owner{ID: rc.auth.AccessKeyID, DisplayName: rc.auth.AccessKeyID}
	if len(out.Buckets) > 0 {
		owner = out.Buckets[0].Owner
	}
	res.Owner = ownerXML(owner)
	ep := h.endpoint(r)
	for _, b := range out.Buckets {
		xb := xmlBucket{Name: b.Name, CreationDate: isoTime(b.CreatedAt)}
		if rc.s3 {
			xb.BucketRegion = h.cfg.Region
		} else {
			xb.Location = h.location()
			xb.Region = h.cfg.Region
			xb.ExtranetEndpoint, xb.IntranetEndpoint = ep, ep
			xb.StorageClass = rc.storageClass(b.StorageClass)
			xb.ResourceGroupID = b.ResourceGroupID
		}
		res.Buckets = append(res.Buckets, xb)
	}
	if rc.s3 {
		if out.IsTruncated {
			res.ContinuationToken = encodeToken(out.NextMarker)
		}
		res.Prefix = in.Prefix
	} else {
		res.Prefix, res.Marker = in.Prefix, in.Marker
		if q.Has("max-keys") || q.Has("prefix") || q.Has("marker") || out.IsTruncated {
			res.MaxKeys = in.MaxKeys
			res.IsTruncated = &out.IsTruncated
		}
		if out.IsTruncated {
			res.NextMarker = out.NextMarker
		}
	}
	return writeXML(w, http.StatusOK, res)
}

func putBucket(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	name := rc.bucket()
	if reservedBucketNames[name] {
		e := oss.E(rc.op.name, oss.InvalidBucketName, "The bucket name %q is reserved.", name)
		e.Bucket = name
		return e
	}
	acl, err := parseBucketACL(r.Header, rc.op.name)
	if err != nil {
		return err
	}
	b := oss.Bucket{
		Name:            name,
		Region:          h.cfg.Region,
		ACL:             acl,
		ResourceGroupID: r.Header.Get("X-Oss-Resource-Group-Id"),
	}
	data, err := readSmallBody(rc, r, h.maxXML, oss.EntityTooLarge)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) > 0 {
		var cfg createBucketConfiguration
		if err := decodeXML(rc.op.name, data, &cfg); err != nil {
			return err
		}
		if cfg.StorageClass != "" {
			sc, ok := storageClassFromWire(cfg.StorageClass)
			if !ok {
				return invalidArgument(rc.op.name, "The storage class you specified is not valid.", "StorageClass", cfg.StorageClass)
			}
			b.StorageClass = sc
		}
		switch cfg.DataRedundancyType {
		case "", "LRS", "ZRS":
			b.DataRedundancy = cfg.DataRedundancyType
		default:
			return invalidArgument(rc.op.name, "The data redundancy type you specified is not valid.", "DataRedundancyType", cfg.DataRedundancyType)
		}
		if lc := cfg.LocationConstraint; lc != "" && lc != h.cfg.Region && lc != h.location() {
			return oss.E(rc.op.name, oss.InvalidLocationConstraint, "The specified location-constraint is not valid.")
		}
	}
	if _, err := h.eng.CreateBucket(rc.ctx, b); err != nil {
		return err
	}
	w.Header().Set("Location", "/"+name)
	w.WriteHeader(http.StatusOK)
	return nil
}

func deleteBucket(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := h.eng.DeleteBucket(rc.ctx, rc.bucket()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func headBucket(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	b, err := h.eng.GetBucket(rc.ctx, rc.bucket())
	if err != nil {
		return err
	}
	region := b.Region
	if region == "" {
		region = h.cfg.Region
	}
	w.Header().Set(rc.dialectHeader("Bucket-Region"), region)
	w.WriteHeader(http.StatusOK)
	return nil
}

func getBucketInfo(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	b, err := h.eng.GetBucket(rc.ctx, rc.bucket())
	if err != nil {
		return err
	}
	ep := h.endpoint(r)
	sse := b.ServerSideEncryp
	if sse == "" {
		sse = "None"
	}
	acl := b.ACL
	if acl == "" {
		acl = oss.ACLPrivate
	}
	redundancy := b.DataRedundancy
	if redundancy == "" {
		redundancy = "LRS"
	}
	info := xmlBucketInfo{
		AccessMonitor:          "Disabled",
		CreationDate:           isoTime(b.CreatedAt),
		ExtranetEndpoint:       ep,
		IntranetEndpoint:       ep,
		Location:               h.location(),
		StorageClass:           rc.storageClass(b.StorageClass),
		TransferAcceleration:   "Disabled",
		CrossRegionReplication: "Disabled",
		Name:                   b.Name,
		ResourceGroupID:        b.ResourceGroupID,
		Owner:                  ownerXML(b.Owner),
		Grant:                  string(acl),
		DataRedundancyType:     redundancy,
		SSEAlgorithm:           sse,
		Versioning:             string(b.Versioning),
	}
	return writeXML(w, http.StatusOK, bucketInfoResult{Bucket: info})
}

func getBucketLocation(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if _, err := h.eng.GetBucket(rc.ctx, rc.bucket()); err != nil {
		return err
	}
	loc := h.location()
	if rc.s3 {
		loc = h.cfg.Region
	}
	return writeXML(w, http.StatusOK, locationConstraint{NS: rc.ns(), Value: loc})
}

func getBucketStat(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	st, err := h.eng.BucketStat(rc.ctx, rc.bucket())
	if err != nil {
		return err
	}
	res := bucketStatResult{
		Storage:              st.Storage,
		ObjectCount:          st.ObjectCount,
		MultipartUploadCount: st.MultipartUploadCount,
		StandardStorage:      st.Storage,
		StandardObjectCount:  st.ObjectCount,
	}
	if !st.LastModified.IsZero() {
		res.LastModifiedTime = st.LastModified.Unix()
	}
	return writeXML(w, http.StatusOK, res)
}

func putBucketVersioning(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	var cfg versioningConfiguration
	if err := h.readXML(rc, r, &cfg); err != nil {
		return err
	}
	status := oss.VersioningStatus(cfg.Status)
	if status != oss.VersioningEnabled && status != oss.VersioningSuspended {
		return oss.E(rc.op.name, oss.MalformedXML, "")
	}
	if err := h.eng.PutBucketVersioning(rc.ctx, rc.bucket(), status); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func getBucketVersioning(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	b, err := h.eng.GetBucket(rc.ctx, rc.bucket())
	if err != nil {
		return err
	}
	return writeXML(w, http.StatusOK, versioningConfiguration{NS: rc.ns(), Status: string(b.Versioning)})
}

// encodeToken makes an opaque continuation token of a marker: URL-safe
// base64, which survives the SDKs' URL-decoding of listing results.
func encodeToken(marker string) string {
	if marker == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(marker))
}

func decodeToken(rc *reqCtx, tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", invalidArgument(rc.op.name, "The continuation token provided is incorrect.", "continuation-token", tok)
	}
	return string(b), nil
}
