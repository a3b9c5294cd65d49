package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ossflow/ossflow/oss"
)

func TestBufPoolClasses(t *testing.T) {
	var p bufPool
	tests := []struct {
		n, class, capacity int
	}{
		{0, 0, 512},
		{1, 0, 512},
		{512, 0, 512},
		{513, 1, 1024},
		{4096, 3, 4096},
		{4097, 4, 8192},
		{64 << 10, 7, 64 << 10},
		{64<<10 + 1, -1, 64<<10 + 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			if c := p.class(tc.n); c != tc.class {
				t.Fatalf("class(%d) = %d, want %d", tc.n, c, tc.class)
			}
			b := p.get(tc.n)
			if len(b) != tc.n || cap(b) != tc.capacity {
				t.Fatalf("get(%d): len %d cap %d, want cap %d", tc.n, len(b), cap(b), tc.capacity)
			}
		})
	}
	// A buffer put back is handed out again for its class (sync.Pool may
	// drop it at a GC, so try a few times); odd capacities are not kept.
	reused := false
	for range 10 {
		b := p.get(3000)
		b[0] = 0xA5
		p.put(b)
		if c := p.get(4000); cap(c) == 4096 && &c[0] == &b[0] {
			reused = true
			break
		}
	}
	if !reused {
		t.Error("a returned 4 KiB buffer was never reused")
	}
	p.put(make([]byte, 100, 700)) // not a class size: ignored
	if b := p.get(600); cap(b) != 1024 {
		t.Fatalf("get(600) cap %d after putting a 700-byte buffer, want 1024", cap(b))
	}
}

// TestInlineBodiesDoNotShareBuffers writes inline objects of many sizes
// from several goroutines (the body buffers are pooled and reused) and
// reads every one back.
func TestInlineBodiesDoNotShareBuffers(t *testing.T) {
	e := newEnv(t, Options{})
	e.bucket("bkt")
	const writers, each = 8, 60
	want := make([][]byte, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range each {
				n := w*each + i
				data := make([]byte, 1+rng.IntN(64<<10))
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				want[n] = data
				if _, err := e.s.PutObject(bg, oss.PutObjectInput{Bucket: "bkt", Key: fmt.Sprint(n), Size: int64(len(data))}, bytes.NewReader(data)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for n, data := range want {
		if got, _ := e.get("bkt", fmt.Sprint(n), ""); !bytes.Equal(got, data) {
			t.Fatalf("object %d: %d bytes read back differ from the %d written", n, len(got), len(data))
		}
	}
}
