package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ossflow/ossflow/server"
	"github.com/ossflow/ossflow/server/servertest"
)

func TestHeaderLimits(t *testing.T) {
	ts := servertest.Start(t)
	tests := []struct {
		name   string
		size   int
		status int
	}{
		{"normal headers pass", 4 << 10, http.StatusForbidden}, // reaches the API: anonymous ListBuckets
		{"oversized headers refused", server.DefaultMaxHeaderBytes + 8<<10, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, ts.Endpoint+"/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Padding", strings.Repeat("a", tt.size))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	ts := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.ReadHeaderTimeout = 200 * time.Millisecond }))
	conn, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n"); err != nil { // never finished
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	_, err = bufio.NewReader(conn).ReadString('\n')
	if err == nil {
		// Go may answer 408 before closing; either way the connection ends.
		_, err = io.Copy(io.Discard, conn)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("server kept a connection with unfinished headers open for 10s")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("connection closed only after %v", d)
	}
}
