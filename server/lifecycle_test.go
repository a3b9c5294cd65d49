package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossflow/ossflow/oss"
	"github.com/ossflow/ossflow/store"
)

type fakeLifecycle struct {
	calls atomic.Int32
	rep   store.LifecycleReport
	err   error
}

func (f *fakeLifecycle) ApplyLifecycle(ctx context.Context, now time.Time) (store.LifecycleReport, error) {
	f.calls.Add(1)
	return f.rep, f.err
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFor(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLifecycleLoop(t *testing.T) {
	tests := []struct {
		name    string
		fake    *fakeLifecycle
		wantLog string
	}{
		{"report logged", &fakeLifecycle{rep: store.LifecycleReport{Expired: 2}}, "expired=2"},
		{"failure logged", &fakeLifecycle{err: errors.New("disk on fire")}, "disk on fire"},
		{"not implemented is quiet", &fakeLifecycle{err: oss.E("ApplyLifecycle", oss.NotImplemented, "")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			ctx := context.Background()
			s, err := New(ctx, Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), LifecycleInterval: time.Millisecond},
				slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
			if err != nil {
				t.Fatal(err)
			}
			s.lifecycle = tt.fake
			if err := s.Start(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() error {
				if n := tt.fake.calls.Load(); n < 3 {
					return fmt.Errorf("%d lifecycle passes", n)
				}
				return nil
			})
			if err := s.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			// Shutdown waited for the loop: it cannot run again.
			after := tt.fake.calls.Load()
			if n := tt.fake.calls.Load(); n != after {
				t.Fatalf("lifecycle ran %d times after Shutdown", n-after)
			}
			out := logs.String()
			if tt.wantLog != "" && !strings.Contains(out, tt.wantLog) {
				t.Fatalf("logs lack %q:\n%s", tt.wantLog, out)
			}
			if tt.wantLog == "" && strings.Contains(out, "lifecycle") {
				t.Fatalf("unexpected lifecycle log at info level:\n%s", out)
			}
		})
	}
}
