package monitor

import (
	"context"
	"testing"
)

func TestStartProfilingDisabled(t *testing.T) {
	stop, err := StartProfiling(context.Background(), ProfilingConfig{})
	if err != nil {
		t.Fatalf("disabled profiling: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
}

func TestStartProfilingBadURL(t *testing.T) {
	for _, addr := range []string{"::not a url", "localhost:4040", "ftp://host:4040", "http://"} {
		t.Run(addr, func(t *testing.T) {
			stop, err := StartProfiling(context.Background(), ProfilingConfig{ServerAddress: addr})
			if err == nil {
				_ = stop()
				t.Fatalf("StartProfiling(%q) succeeded, want error", addr)
			}
		})
	}
}
