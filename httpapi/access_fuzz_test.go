package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/oss"
)

const fuzzBoundary = "fuzzboundary"

// fuzzForm builds a well-formed form as a seed.
func fuzzForm(fields [][2]string, file string) []byte {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.SetBoundary(fuzzBoundary)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if file != "" {
		w, _ := mw.CreateFormFile("file", "a.txt")
		_, _ = io.WriteString(w, file)
	}
	_ = mw.Close()
	return buf.Bytes()
}

// FuzzPostObjectForm feeds arbitrary bodies to the PostObject form reader:
// it never panics, fails only with the form's error codes, keeps every
// field within the limits, and when it finds the file, the file reads to
// its end.
func FuzzPostObjectForm(f *testing.F) {
	f.Add(fuzzForm([][2]string{{"key", "a/${filename}"}, {"policy", "e30="}, {"Signature", "x"}}, "data"))
	f.Add(fuzzForm([][2]string{{"KEY", "a"}, {"key", "b"}}, "data"))
	f.Add(fuzzForm([][2]string{{"key", "a"}}, ""))
	f.Add([]byte("--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--" + fuzzBoundary + "--\r\n"))
	f.Add([]byte("--" + fuzzBoundary + "\r\nContent-Disposition: attachment\r\n\r\nx\r\n--" + fuzzBoundary + "--\r\n"))
	f.Add([]byte("not a form"))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := readPostForm("PostObject", bytes.NewReader(body), fuzzBoundary)
		if err != nil {
			switch oss.CodeOf(err) {
			case oss.MalformedPOSTRequest, oss.IncorrectNumberOfFilesInPOSTRequest, oss.FieldItemTooLong:
			default:
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		total := 0
		for k, v := range form.fields {
			if k != strings.ToLower(k) || len(k) > access.MaxPostFieldNameBytes || len(v) > access.MaxPostFieldValueBytes {
				t.Fatalf("field %q (%d bytes) out of bounds", k, len(v))
			}
			total += len(k) + len(v)
		}
		if total > maxPostFieldsBytes || len(form.fields) > maxPostFields {
			t.Fatalf("%d fields, %d bytes", len(form.fields), total)
		}
		rc := &reqCtx{op: opPostObject}
		r := &postFileReader{rc: rc, form: form}
		_, err = io.Copy(io.Discard, r)
		if err != nil && !errors.Is(err, rc.bodyErr) {
			t.Fatalf("file read failed (%v) without recording it", err)
		}
	})
}

// FuzzAdminJSON feeds arbitrary bodies to the admin API's JSON decoder
// for each request type: it never panics and accepts only one JSON value
// with known fields.
func FuzzAdminJSON(f *testing.F) {
	f.Add([]byte(`{"user":"alice"}`))
	f.Add([]byte(`{"status":"Inactive"}`))
	f.Add([]byte(`{"durationSeconds":3600,"policy":{"Version":"1","Statement":[]},"sessionName":"s"}`))
	f.Add([]byte(`{"securityToken":"abc"}`))
	f.Add([]byte(`{"user":"a"}{"user":"b"}`))
	f.Add([]byte(`{"nope":1}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&AdminCreateKeyRequest{}, &AdminKeyStatusRequest{}, &AdminSTSRequest{}, &AdminRevokeRequest{}} {
			err := decodeAdminJSON("Admin", body, v)
			if err == nil {
				if len(bytes.TrimSpace(body)) > 0 && !json.Valid(bytes.TrimSpace(body)) {
					// Decode accepted a prefix: only whitespace may follow.
					t.Fatalf("accepted invalid JSON %q", body)
				}
				continue
			}
			if oss.CodeOf(err) != oss.InvalidArgument {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}
