package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ossflow/ossflow/auth"
)

// keyring is a minimal CredentialLookup.
type keyring map[string]string

func (k keyring) SecretFor(_ context.Context, ak string) (string, error) {
	if sk, ok := k[ak]; ok {
		return sk, nil
	}
	return "", auth.ErrUnknownAccessKey
}

func ExampleVerifier_Verify() {
	signedAt := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
	v := &auth.Verifier{
		Creds: keyring{"LTAI5tExample": "secret"},
		Now:   func() time.Time { return signedAt.Add(time.Minute) },
	}

	// A client uploads an object, signed with OSS V4.
	r, _ := http.NewRequest(http.MethodPut, "http://photos.oss-cn-hangzhou.aliyuncs.com/2024/cat.jpg", strings.NewReader("jpeg bytes"))
	r.Header.Set("Content-Type", "image/jpeg")
	auth.SignOSSV4(r, "LTAI5tExample", "secret", "cn-hangzhou", "photos", "2024/cat.jpg", signedAt)

	// The server, having resolved bucket and key from the Host and path:
	res, err := v.Verify(context.Background(), r, "photos", "2024/cat.jpg")
	if err != nil {
		var e *auth.Error
		errors.As(err, &e)
		fmt.Println(e.StatusCode, e.Code)
		return
	}
	body, err := res.Body(r.Body, r.Header) // checks what the signature promised about the body
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := io.ReadAll(body)
	fmt.Println(res.Scheme, res.Dialect, res.AccessKeyID, res.Region, string(data))

	// The same request with the wrong key name fails.
	_, err = v.Verify(context.Background(), r, "photos", "2024/dog.jpg")
	var e *auth.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Code)
	}
	// Output:
	// OSS4-HMAC-SHA256 OSS LTAI5tExample cn-hangzhou jpeg bytes
	// 403 SignatureDoesNotMatch
}

func ExampleSignOSSV4() {
	r, _ := http.NewRequest(http.MethodGet, "http://bucket.oss-cn-hangzhou.aliyuncs.com/notes/today.txt", nil)
	auth.SignOSSV4(r, "ak", "sk", "cn-hangzhou", "bucket", "notes/today.txt", time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC))
	fmt.Println(r.Header.Get("x-oss-date"))
	fmt.Println(r.Header.Get("x-oss-content-sha256"))
	cred, sig, _ := strings.Cut(r.Header.Get("Authorization"), ",Signature=")
	fmt.Println(cred)
	fmt.Println(len(sig), "hex digits of signature")
	// Output:
	// 20240601T080000Z
	// UNSIGNED-PAYLOAD
	// OSS4-HMAC-SHA256 Credential=ak/20240601/cn-hangzhou/oss/aliyun_v4_request
	// 64 hex digits of signature
}

func ExamplePresignOSSV4() {
	r, _ := http.NewRequest(http.MethodGet, "http://bucket.oss-cn-hangzhou.aliyuncs.com/report.pdf", nil)
	u := auth.PresignOSSV4(r, "ak", "sk", "cn-hangzhou", "bucket", "report.pdf", time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC), time.Hour)
	fmt.Println(u[:strings.Index(u, "&x-oss-signature=")])
	// Output:
	// http://bucket.oss-cn-hangzhou.aliyuncs.com/report.pdf?x-oss-credential=ak%2F20240601%2Fcn-hangzhou%2Foss%2Faliyun_v4_request&x-oss-date=20240601T080000Z&x-oss-expires=3600
}

func ExampleNewChunkedReader() {
	// An anonymous aws-chunked upload with a trailing CRC32 (as the AWS SDKs
	// send over TLS), decoded back into its payload.
	body := "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"
	hdr := http.Header{}
	hdr.Set("Content-Encoding", "aws-chunked")
	hdr.Set("X-Amz-Content-Sha256", auth.StreamingUnsignedPayloadTrailer)
	hdr.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	hdr.Set("X-Amz-Decoded-Content-Length", "5")
	cr, err := auth.NewChunkedReader(strings.NewReader(body), auth.Result{Anonymous: true}, hdr)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := io.ReadAll(cr)
	fmt.Println(string(data), err, cr.Trailers().Get("x-amz-checksum-crc32"))
	// Output:
	// hello <nil> NhCmhg==
}
