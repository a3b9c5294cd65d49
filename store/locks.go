package store

import (
	"hash/maphash"
	"sort"
	"sync"
)

// Lock order, outermost first: bucket state (RLock for object writes, Lock
// for bucket delete and configuration changes) -> upload stripe -> key
// stripes (ascending index when several) -> commitMu. Key stripes are held
// from reading the old record until the commit is durable.

const numStripes = 8192

type stripes struct {
	seed maphash.Seed
	mu   [numStripes]sync.Mutex
}

func newStripes() *stripes { return &stripes{seed: maphash.MakeSeed()} }

func (s *stripes) index(bucket, key string) int {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(bucket)
	h.WriteByte(0)
	h.WriteString(key)
	return int(h.Sum64() % numStripes)
}

// lock locks the stripe of (bucket, key) and returns its unlock.
func (s *stripes) lock(bucket, key string) func() {
	m := &s.mu[s.index(bucket, key)]
	m.Lock()
	return m.Unlock
}

// lockMany locks the stripes of all keys in ascending stripe order (no
// deadlock against other lockMany or lock callers) and returns the unlock.
func (s *stripes) lockMany(bucket string, keys []string) func() {
	idx := make([]int, 0, len(keys))
	seen := make(map[int]bool, len(keys))
	for _, k := range keys {
		i := s.index(bucket, k)
		if !seen[i] {
			seen[i] = true
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	for _, i := range idx {
		s.mu[i].Lock()
	}
	return func() {
		for j := len(idx) - 1; j >= 0; j-- {
			s.mu[idx[j]].Unlock()
		}
	}
}

// rwStripes guard multipart uploads: UploadPart holds a read lock on its
// upload's stripe, Complete and Abort a write lock.
type rwStripes struct {
	seed maphash.Seed
	mu   [256]sync.RWMutex
}

func newRWStripes() *rwStripes { return &rwStripes{seed: maphash.MakeSeed()} }

func (s *rwStripes) get(id string) *sync.RWMutex {
	return &s.mu[maphash.String(s.seed, id)%uint64(len(s.mu))]
}
