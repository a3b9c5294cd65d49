package runtime

import (
	"github.com/ossflow/ossflow/runtime/abi"
)

// hostHandle is an open stream of one invocation: an object being read or
// written, or an HTTP exchange. close releases it; for a write it aborts.
type hostHandle interface {
	close()
}

// addHandle stores h and returns its number (1-based), or a negative code
// when the invocation already holds MaxHandles.
func (in *instance) addHandle(h hostHandle) int32 {
	inv := &in.inv
	if inv.nHandles >= in.fn.limits.MaxHandles {
		h.close()
		return inv.fail(abi.Limit, "too many open handles (limit %d): close some first", in.fn.limits.MaxHandles)
	}
	inv.nHandles++
	for i, old := range inv.handles {
		if old == nil {
			inv.handles[i] = h
			return int32(i + 1)
		}
	}
	inv.handles = append(inv.handles, h)
	return int32(len(inv.handles))
}

// handle returns handle number id if it exists and has type T.
func handleOf[T hostHandle](in *instance, call string, id int32) (T, bool) {
	var zero T
	inv := &in.inv
	if id < 1 || int(id) > len(inv.handles) || inv.handles[id-1] == nil {
		inv.fail(abi.BadHandle, "%s: no open handle %d", call, id)
		return zero, false
	}
	h, ok := inv.handles[id-1].(T)
	if !ok {
		inv.fail(abi.BadHandle, "%s: handle %d is not of the right kind for this call", call, id)
		return zero, false
	}
	return h, true
}

// dropHandle forgets handle id (after its own close or commit).
func (in *instance) dropHandle(id int32) {
	inv := &in.inv
	if id >= 1 && int(id) <= len(inv.handles) && inv.handles[id-1] != nil {
		inv.handles[id-1] = nil
		inv.nHandles--
	}
}

// closeHandles releases whatever the guest left open: reads are closed,
// writes aborted, HTTP exchanges canceled.
func (inv *invocation) closeHandles() {
	for i, h := range inv.handles {
		if h != nil {
			h.close()
			inv.handles[i] = nil
		}
	}
	inv.handles = inv.handles[:0]
	inv.nHandles = 0
}
