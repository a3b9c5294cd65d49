package e2e

import (
	"io"
	"strings"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossflow/ossflow/sdk/client"
)

func clientGet(t *testing.T, c *client.Client, bucket, key string) error {
	t.Helper()
	r, _, err := c.GetObject(t.Context(), bucket, key, nil)
	if err == nil {
		_, _ = io.Copy(io.Discard, r)
		r.Close()
	}
	return err
}

// TestPolicyConditions: condition keys taken from the request (User-Agent,
// TLS, current time, request and existing object tags) and CopyObject's
// need for oss:GetObject on its source.
func TestPolicyConditions(t *testing.T) {
	e := start(t)
	e.bucket(t, "cond-bkt", "private")
	ctx := t.Context()
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	k := e.user(t, "carol", `{"Version":"1","Statement":[
	 {"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:cond-bkt/ua/*"],"Condition":{"StringLike":{"acs:UserAgent":["good-agent*"]}}},
	 {"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:cond-bkt/tls/*"],"Condition":{"Bool":{"acs:SecureTransport":["true"]}}},
	 {"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:cond-bkt/until-past/*"],"Condition":{"DateLessThan":{"acs:CurrentTime":["`+past+`"]}}},
	 {"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:cond-bkt/until-future/*"],"Condition":{"DateLessThan":{"acs:CurrentTime":["`+future+`"]}}},
	 {"Effect":"Allow","Action":["oss:PutObject","oss:PutObjectTagging"],"Resource":["acs:oss:*:*:cond-bkt/tagged/*"],"Condition":{"StringEquals":{"oss:RequestObjectTag/team":["blue"]}}},
	 {"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:cond-bkt/tagged/*"],"Condition":{"StringEquals":{"oss:ExistingObjectTag/team":["blue"]}}},
	 {"Effect":"Allow","Action":["oss:PutObject"],"Resource":["acs:oss:*:*:cond-bkt/copies/*"]},
	 {"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:cond-bkt/readable/*"]}]}`)
	for _, key := range []string{"ua/a", "tls/a", "until-past/a", "until-future/a", "readable/a", "secret/a"} {
		e.put(t, "cond-bkt", key, "x")
	}
	good := e.client(t, k.AccessKeyID, k.AccessKeySecret, client.WithUserAgent("good-agent/1.0"))
	bad := e.client(t, k.AccessKeyID, k.AccessKeySecret, client.WithUserAgent("curl/8"))

	wantOK(t, clientGet(t, good, "cond-bkt", "ua/a"))
	wantCode(t, clientGet(t, bad, "cond-bkt", "ua/a"), "AccessDenied")
	wantCode(t, clientGet(t, good, "cond-bkt", "tls/a"), "AccessDenied") // plain HTTP
	wantCode(t, clientGet(t, good, "cond-bkt", "until-past/a"), "AccessDenied")
	wantOK(t, clientGet(t, good, "cond-bkt", "until-future/a"))

	// Request tags on writes, existing tags on reads.
	_, err := good.PutObject(ctx, "cond-bkt", "tagged/blue", strings.NewReader("b"), 1, &client.PutOptions{Tags: map[string]string{"team": "blue"}})
	wantOK(t, err)
	_, err = good.PutObject(ctx, "cond-bkt", "tagged/red", strings.NewReader("r"), 1, &client.PutOptions{Tags: map[string]string{"team": "red"}})
	wantCode(t, err, "AccessDenied")
	e.put(t, "cond-bkt", "tagged/untagged", "u") // as root
	wantOK(t, clientGet(t, good, "cond-bkt", "tagged/blue"))
	wantCode(t, clientGet(t, good, "cond-bkt", "tagged/untagged"), "AccessDenied")

	// CopyObject needs oss:GetObject on the source as well.
	_, err = good.CopyObject(ctx, "cond-bkt", "readable/a", "cond-bkt", "copies/ok", nil)
	wantOK(t, err)
	_, err = good.CopyObject(ctx, "cond-bkt", "secret/a", "cond-bkt", "copies/stolen", nil)
	wantCode(t, err, "AccessDenied")
	_, err = good.CopyObject(ctx, "cond-bkt", "readable/a", "cond-bkt", "elsewhere/x", nil)
	wantCode(t, err, "AccessDenied")
	wantCode(t, firstErr(e.head(t, "cond-bkt", "copies/stolen")), "NoSuchKey")
	// UploadPartCopy likewise (with the OSS SDK v2).
	v2 := e.v2(k.AccessKeyID, k.AccessKeySecret, "")
	init, err := e.v2(e.ts.AccessKeyID, e.ts.AccessKeySecret, "").InitiateMultipartUpload(ctx, &ossv2.InitiateMultipartUploadRequest{Bucket: ossv2.Ptr("cond-bkt"), Key: ossv2.Ptr("copies/mp")})
	must(t, err)
	_, err = v2.UploadPartCopy(ctx, &ossv2.UploadPartCopyRequest{Bucket: ossv2.Ptr("cond-bkt"), Key: ossv2.Ptr("copies/mp"), UploadId: init.UploadId,
		PartNumber: 1, SourceKey: ossv2.Ptr("secret/a")})
	wantCode(t, err, "AccessDenied")
	_, err = v2.UploadPartCopy(ctx, &ossv2.UploadPartCopyRequest{Bucket: ossv2.Ptr("cond-bkt"), Key: ossv2.Ptr("copies/mp"), UploadId: init.UploadId,
		PartNumber: 1, SourceKey: ossv2.Ptr("readable/a")})
	wantOK(t, err)
}
