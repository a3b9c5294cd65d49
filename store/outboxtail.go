package store

import "sync"

// Bounds of the in-memory outbox tail: the newest entries, up to this many
// and this many bytes (a relay that keeps up reads within a few hundred).
const (
	outboxTailEntries = 4096
	outboxTailBytes   = 8 << 20
)

// outboxTail holds the newest committed outbox values in Seq order, so
// that a relay keeping up with the writers reads them from memory instead
// of seeking a pebble iterator through every sstable that holds events
// (see "Why an in-memory outbox tail?" in DESIGN.md). Values are appended
// under commitMu after the batch is applied, so the tail holds exactly the
// committed entries, dense in Seq; readers still bound themselves by the
// durable Seq. A value is never modified after it is appended, so a reader
// may use it after releasing the lock (eviction only drops the reference).
type outboxTail struct {
	mu       sync.Mutex
	vals     [][]byte // ring of capacity maxN
	head     int      // index of the oldest value
	n        int
	first    uint64 // Seq of the oldest value (valid when n > 0)
	bytes    int
	maxBytes int
}

func newOutboxTail(entries, maxBytes int) *outboxTail {
	return &outboxTail{vals: make([][]byte, entries), maxBytes: maxBytes}
}

// add appends the value of event seq. A seq that does not follow the
// newest value (cannot happen: commits are dense) restarts the tail.
func (t *outboxTail) add(seq uint64, v []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n > 0 && seq != t.first+uint64(t.n) {
		clear(t.vals)
		t.head, t.n, t.bytes = 0, 0, 0
	}
	if t.n == 0 {
		t.first = seq
	}
	for t.n > 0 && (t.n == len(t.vals) || t.bytes+cap(v) > t.maxBytes) {
		t.bytes -= cap(t.vals[t.head])
		t.vals[t.head] = nil
		t.head = (t.head + 1) % len(t.vals)
		t.n--
		t.first++
	}
	t.vals[(t.head+t.n)%len(t.vals)] = v
	t.n++
	t.bytes += cap(v)
}

// read appends to dst the values of Seq from..upto (at most max of them)
// and reports whether the tail holds from; when it does not (evicted, or
// never added since Open), dst is returned unchanged and the caller reads
// pebble.
func (t *outboxTail) read(dst [][]byte, from, upto uint64, max int) ([][]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 || from < t.first || from >= t.first+uint64(t.n) {
		return dst, false
	}
	last := min(upto, t.first+uint64(t.n)-1)
	for seq := from; seq <= last && max > 0; seq++ {
		dst = append(dst, t.vals[(t.head+int(seq-t.first))%len(t.vals)])
		max--
	}
	return dst, true
}
