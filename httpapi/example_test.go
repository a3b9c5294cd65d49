package httpapi_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/ossflow/ossflow/auth"
	"github.com/ossflow/ossflow/httpapi"
	"github.com/ossflow/ossflow/store"
)

// Example serves a store over HTTP with the OSS and S3 dialects, then
// creates a bucket and an object with OSS V4 signed requests and reads the
// object back; an anonymous read of the private object is denied.
func Example() {
	dir, _ := os.MkdirTemp("", "ossflow-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(context.Background(), dir, store.Options{})
	if err != nil {
		panic(err)
	}
	defer st.Close()

	creds := staticCreds{"AKExample": "SKExample"}
	h := httpapi.New(httpapi.Config{Region: "cn-hangzhou"}, st, &auth.Verifier{Creds: creds, Region: "cn-hangzhou"}, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()

	send := func(method, bucket, key, body string, sign bool) *http.Response {
		r, _ := http.NewRequest(method, srv.URL+"/"+bucket+"/"+key, strings.NewReader(body))
		if sign {
			auth.SignOSSV4(r, "AKExample", "SKExample", "cn-hangzhou", bucket, key, time.Now())
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			panic(err)
		}
		return resp
	}

	resp := send("PUT", "example-bucket", "", "", true)
	fmt.Println("PutBucket:", resp.StatusCode, resp.Header.Get("Server"))
	resp = send("PUT", "example-bucket", "hello.txt", "hi oss", true)
	fmt.Println("PutObject:", resp.StatusCode, "crc64", resp.Header.Get("x-oss-hash-crc64ecma"))
	resp = send("GET", "example-bucket", "hello.txt", "", true)
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("GetObject: %d %q\n", resp.StatusCode, body)
	resp = send("GET", "example-bucket", "hello.txt", "", false)
	var e struct{ Code, EC string }
	data, _ := io.ReadAll(resp.Body)
	_ = xml.Unmarshal(data, &e)
	fmt.Println("anonymous GetObject:", resp.StatusCode, e.Code, e.EC)
	// Output:
	// PutBucket: 200 AliyunOSS
	// PutObject: 200 crc64 8707180448768400016
	// GetObject: 200 "hi oss"
	// anonymous GetObject: 403 AccessDenied 0003-00000001
}
