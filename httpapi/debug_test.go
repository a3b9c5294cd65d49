package httpapi_test

import (
	"fmt"
	"net/http"
	"os"
)

type dumpHandler struct{ h http.Handler }

func (d dumpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if os.Getenv("DUMP") != "" {
		fmt.Println(r.Method, r.URL.String(), r.Header)
	}
	d.h.ServeHTTP(w, r)
}
