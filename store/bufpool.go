package store

import (
	"math/bits"
	"sync"
)

// Size classes of bufPool: powers of two from 512 B to 64 KiB (the
// default inline threshold).
const (
	bufPoolMinShift = 9
	bufPoolMaxShift = 16
)

// bufPool recycles the buffers that inline bodies are read into: their
// bytes are copied into the commit's pebble batch, so the buffer is free
// again once the body is attached. A 4 KiB PUT otherwise allocates its
// size once more per request, the largest share of the engine's garbage
// (see "Why pool inline body buffers?" in DESIGN.md).
type bufPool struct {
	classes [bufPoolMaxShift - bufPoolMinShift + 1]sync.Pool
}

// class is the index of the smallest class holding n bytes, or -1 when n
// is larger than the largest class.
func (p *bufPool) class(n int) int {
	if n <= 1<<bufPoolMinShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - bufPoolMinShift
	if c >= len(p.classes) {
		return -1
	}
	return c
}

// get returns a buffer of length n (its contents are undefined).
func (p *bufPool) get(n int) []byte {
	c := p.class(n)
	if c < 0 {
		return make([]byte, n)
	}
	if b, ok := p.classes[c].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, 1<<(c+bufPoolMinShift))
}

// put returns b, which the caller no longer uses, to the pool. Buffers
// whose capacity is not exactly a class size are left to the collector.
func (p *bufPool) put(b []byte) {
	c := p.class(cap(b))
	if c < 0 || cap(b) != 1<<(c+bufPoolMinShift) {
		return
	}
	b = b[:0]
	p.classes[c].Put(&b)
}
