package monitor_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ossflow/ossflow/monitor"
)

func ExampleMetrics() {
	m, err := monitor.NewMetrics()
	if err != nil {
		panic(err)
	}
	// The HTTP layer calls this once per request.
	m.ObserveRequest("PutObject", 200, 12*time.Millisecond, 1024, 0)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "ossflow_requests_total{") || strings.HasPrefix(line, "ossflow_received_bytes_total{") {
			fmt.Println(line)
		}
	}
	// Output:
	// ossflow_received_bytes_total{operation="PutObject"} 1024
	// ossflow_requests_total{operation="PutObject",status="200"} 1
}
