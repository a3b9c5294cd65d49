package runtime

import "github.com/tetratelabs/wazero/experimental"

// cappedMemory backs one instance's linear memory and enforces
// Limits.MaxMemory.
//
// Why not only wazero's WithMemoryLimitPages? That limit is applied when
// the module is decoded, and a memory.grow past it simply returns -1 to
// the guest: the host cannot tell "the guest died because it ran out of
// its memory cap" from any other trap, and Kind MemoryLimit would be a
// guess. The allocator sees every growth request, refuses the ones past
// the cap in exactly the same way (memory.grow returns -1, the guest
// decides what to do), and records that it did, so a guest that then
// dies is reported as MemoryLimit with the size it asked for.
// wazero's own limit stays at the 4 GiB of wasm32 as a backstop; the
// module's declared minimum is checked against the cap at Load.
type cappedMemory struct {
	buf   []byte
	limit uint64
	// refused is the largest size (bytes) a refused growth asked for; 0
	// if none was refused.
	refused uint64
}

func (m *cappedMemory) allocator() experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(capHint, _ uint64) experimental.LinearMemory {
		if capHint > m.limit {
			capHint = m.limit
		}
		m.buf = make([]byte, 0, capHint)
		return m
	})
}

// Reallocate implements experimental.LinearMemory. Memory only grows; the
// bytes past the old length are zero (fresh from make, never exposed).
func (m *cappedMemory) Reallocate(size uint64) []byte {
	if size > m.limit {
		m.refused = max(m.refused, size)
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	// Grow by at least a quarter, to amortize copies, within the cap.
	newCap := max(size, uint64(cap(m.buf))+uint64(cap(m.buf))/4)
	newCap = min(newCap, m.limit)
	nb := make([]byte, size, newCap)
	copy(nb, m.buf)
	m.buf = nb
	return nb
}

// Free implements experimental.LinearMemory.
func (m *cappedMemory) Free() { m.buf = nil }
