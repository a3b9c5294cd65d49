package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
)

// blobStore manages the blob files dir/blobs/<2 hex>/<16 hex id>. A file
// is "in flight" from its creation until the commit that references it (or
// the abort that discards it) ends; the sweep never touches in-flight files.
type blobStore struct {
	root   string
	mu     sync.Mutex
	flight map[uint64]struct{}
	dirOK  [256]atomic.Bool
}

func newBlobStore(root string) *blobStore {
	return &blobStore{root: root, flight: make(map[uint64]struct{})}
}

// dirOf spreads ids (whose high bits are time) over 256 directories.
func dirOf(id uint64) int { return int((id * 0x9E3779B97F4A7C15) >> 56) }

func (b *blobStore) dir(id uint64) string {
	return filepath.Join(b.root, fmt.Sprintf("%02x", dirOf(id)))
}

func (b *blobStore) path(id uint64) string {
	return filepath.Join(b.dir(id), fmt.Sprintf("%016x", id))
}

func parseBlobName(name string) (uint64, bool) {
	if len(name) != 16 {
		return 0, false
	}
	id, err := strconv.ParseUint(name, 16, 64)
	return id, err == nil
}

func (b *blobStore) acquire(id uint64) {
	b.mu.Lock()
	b.flight[id] = struct{}{}
	b.mu.Unlock()
}

func (b *blobStore) release(id uint64) {
	b.mu.Lock()
	delete(b.flight, id)
	b.mu.Unlock()
}

func (b *blobStore) inFlight(id uint64) bool {
	b.mu.Lock()
	_, ok := b.flight[id]
	b.mu.Unlock()
	return ok
}

// ensureDir creates (durably, once per process) the directory of id.
func (b *blobStore) ensureDir(id uint64) error {
	d := dirOf(id)
	if b.dirOK[d].Load() {
		return nil
	}
	if err := os.MkdirAll(b.dir(id), 0o755); err != nil {
		return err
	}
	if err := syncDir(b.root); err != nil {
		return err
	}
	b.dirOK[d].Store(true)
	return nil
}

// create makes a new blob file with a fresh id from next, in flight.
func (b *blobStore) create(next func() uint64) (uint64, *os.File, error) {
	for {
		id := next()
		if err := b.ensureDir(id); err != nil {
			return 0, nil, err
		}
		b.acquire(id)
		f, err := os.OpenFile(b.path(id), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
		if errors.Is(err, fs.ErrExist) {
			b.release(id)
			continue
		}
		if err != nil {
			b.release(id)
			return 0, nil, err
		}
		return id, f, nil
	}
}

// seal makes a written blob durable: the file's data and its directory
// entry.
func (b *blobStore) seal(id uint64, f *os.File) error {
	if err := f.Sync(); err != nil {
		return err
	}
	return syncDir(b.dir(id))
}

func (b *blobStore) open(id uint64) (*os.File, error) { return os.Open(b.path(id)) }

func (b *blobStore) remove(id uint64) {
	_ = os.Remove(b.path(id))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
