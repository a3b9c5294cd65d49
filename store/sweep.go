package store

import (
	"context"
	"os"
	"path/filepath"
)

// SweepBlobs deletes blob files that no committed record references and
// that no write of this process has in flight: the leftovers of writes
// interrupted before their commit, and of commits interrupted before the
// unlink of the files they dropped. It runs in the background at Open and
// may be called at any time; it returns the number of files removed.
//
// Order matters: a file is checked for being in flight before its ref key
// is read. A writer marks its file in flight before creating it and clears
// the mark only after the commit that adds the ref is visible, so a file
// seen not in flight either has a visible ref or never will.
func (s *Store) SweepBlobs(ctx context.Context) int {
	dirs, err := os.ReadDir(s.blobs.root)
	if err != nil {
		return 0
	}
	removed := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(s.blobs.root, d.Name()))
		if err != nil {
			continue
		}
		for _, f := range files {
			select {
			case <-s.closeCh:
				return removed
			case <-ctx.Done():
				return removed
			default:
			}
			id, ok := parseBlobName(f.Name())
			if !ok || s.blobs.inFlight(id) {
				continue
			}
			_, ok, err := s.get(refKey(id))
			if err != nil || ok {
				continue
			}
			if s.blobs.inFlight(id) { // re-created under the same id meanwhile
				continue
			}
			if os.Remove(filepath.Join(s.blobs.root, d.Name(), f.Name())) == nil {
				removed++
			}
		}
	}
	return removed
}
