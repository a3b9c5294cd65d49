package client

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrChecksumMismatch is wrapped by the errors returned when the CRC-64 the
// server reports differs from the one computed over the bytes sent or
// received.
var ErrChecksumMismatch = errors.New("client: crc64 checksum mismatch")

// Error is a failure reported by the server.
type Error struct {
	StatusCode int    // HTTP status
	Code       string // OSS error code, e.g. "NoSuchBucket"
	Message    string
	RequestID  string
	HostID     string
	EC         string // OSS diagnostic code, e.g. "0015-00000101"
	// Bucket and Key name the resource, when the server reports them.
	Bucket string
	Key    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oss: ")
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		b.WriteString(http.StatusText(e.StatusCode))
	}
	fmt.Fprintf(&b, " (%d)", e.StatusCode)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" [RequestId: ")
		b.WriteString(e.RequestID)
		if e.EC != "" {
			b.WriteString(", EC: ")
			b.WriteString(e.EC)
		}
		b.WriteString("]")
	}
	return b.String()
}

// IsCode reports whether err is an *Error with the given Code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

type errorXML struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	RequestID  string   `xml:"RequestId"`
	HostID     string   `xml:"HostId"`
	EC         string   `xml:"EC"`
	BucketName string   `xml:"BucketName"`
	Key        string   `xml:"Key"`
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// parseError builds the *Error of a failed response and closes its body.
// The XML comes from the body, or for HEAD from the base64 x-oss-err header.
func parseError(resp *http.Response) *Error {
	defer resp.Body.Close()
	e := &Error{
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("x-oss-request-id"),
		EC:         resp.Header.Get("x-oss-ec"),
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if len(body) == 0 {
		if h := resp.Header.Get("x-oss-err"); h != "" {
			if dec, err := base64.StdEncoding.DecodeString(h); err == nil {
				body = dec
			}
		}
	}
	var x errorXML
	if len(body) > 0 && xml.Unmarshal(body, &x) == nil {
		e.Code, e.Message, e.HostID = x.Code, x.Message, x.HostID
		e.Bucket, e.Key = x.BucketName, x.Key
		if x.RequestID != "" {
			e.RequestID = x.RequestID
		}
		if x.EC != "" {
			e.EC = x.EC
		}
	}
	if e.Code == "" {
		e.Code = codeForStatus(resp.StatusCode)
	}
	return e
}

// codeForStatus names a body-less failure (a HEAD without x-oss-err).
func codeForStatus(status int) string {
	switch status {
	case http.StatusNotModified:
		return "NotModified"
	case http.StatusNotFound:
		return "NotFound"
	case http.StatusForbidden:
		return "AccessDenied"
	case http.StatusPreconditionFailed:
		return "PreconditionFailed"
	}
	return ""
}
