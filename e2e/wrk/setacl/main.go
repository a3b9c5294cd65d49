// Command setacl sets a bucket's canned ACL on a local ossflow (for
// e2e/wrk/run.sh): setacl BUCKET ACL, credentials and endpoint from the
// OSSFLOW_* environment variables.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/ossflow/ossflow/auth"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: setacl BUCKET ACL")
		os.Exit(2)
	}
	bucket, acl := os.Args[1], os.Args[2]
	r, err := http.NewRequest(http.MethodPut, os.Getenv("OSSFLOW_ENDPOINT")+"/"+bucket+"/?acl", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r.Header.Set("x-oss-acl", acl)
	auth.SignOSSV4(r, os.Getenv("OSSFLOW_ACCESS_KEY_ID"), os.Getenv("OSSFLOW_ACCESS_KEY_SECRET"), "cn-hangzhou", bucket, "", time.Now())
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "setacl:", resp.Status)
		os.Exit(1)
	}
}
