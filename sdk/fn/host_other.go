//go:build !wasip1

package fn

import (
	"unsafe"

	"github.com/ossflow/ossflow/runtime/abi"
)

// This is the host-side build of the host calls: outside a wasip1 guest
// there is no ossflow host to call, so every call fails with Unavailable
// and last_error explains why. It lets programs that import fn (and their
// tests) build and vet on any platform.

const notInHost = "ossflow host calls are only available inside ossflow: build the function with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared"

const unavailable = int32(abi.Unavailable)

func hostLastError(ptr unsafe.Pointer, n uint32) int32 {
	if n > 0 && ptr != nil {
		copy(unsafe.Slice((*byte)(ptr), n), notInHost)
	}
	return int32(len(notInHost))
}

func hostLog(int32, unsafe.Pointer, uint32) int32                        { return unavailable }
func hostInputRead(unsafe.Pointer, uint32) int32                         { return unavailable }
func hostOutputWrite(unsafe.Pointer, uint32) int32                       { return unavailable }
func hostFail(unsafe.Pointer, uint32) int32                              { return unavailable }
func hostResultRead(unsafe.Pointer, uint32) int32                        { return unavailable }
func hostConfigGet(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return unavailable }
func hostObjOpenRead(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 {
	return unavailable
}
func hostObjInfo(int32, unsafe.Pointer, uint32) int32 { return unavailable }
func hostObjRead(int32, unsafe.Pointer, uint32) int32 { return unavailable }
func hostObjClose(int32) int32                        { return unavailable }
func hostObjOpenWrite(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, int64) int32 {
	return unavailable
}
func hostObjWrite(int32, unsafe.Pointer, uint32) int32  { return unavailable }
func hostObjCommit(int32, unsafe.Pointer, uint32) int32 { return unavailable }
func hostObjAbort(int32) int32                          { return unavailable }
func hostObjHead(unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 {
	return unavailable
}
func hostObjList(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32      { return unavailable }
func hostObjDelete(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32    { return unavailable }
func hostImageProcess(unsafe.Pointer, uint32, unsafe.Pointer, uint32) int32 { return unavailable }
func hostHTTPOpen(unsafe.Pointer, uint32, int64) int32                      { return unavailable }
func hostHTTPWrite(int32, unsafe.Pointer, uint32) int32                     { return unavailable }
func hostHTTPSend(int32, unsafe.Pointer, uint32) int32                      { return unavailable }
func hostHTTPRead(int32, unsafe.Pointer, uint32) int32                      { return unavailable }
func hostHTTPClose(int32) int32                                             { return unavailable }
