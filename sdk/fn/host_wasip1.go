//go:build wasip1

package fn

import "unsafe"

// The host calls of ABI v1 (runtime/ABI.md). Pointers are addresses in
// this module's linear memory; the Go garbage collector does not move
// objects, and passing a pointer keeps its object alive for the call.

//go:wasmimport ossflow log
func hostLog(level int32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport ossflow input_read
func hostInputRead(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport ossflow output_write
func hostOutputWrite(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport ossflow fail
func hostFail(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport ossflow last_error
func hostLastError(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport ossflow result_read
func hostResultRead(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport ossflow config_get
func hostConfigGet(key unsafe.Pointer, keyLen uint32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow object_open_read
func hostObjOpenRead(bucket unsafe.Pointer, bucketLen uint32, key unsafe.Pointer, keyLen uint32) int32

//go:wasmimport ossflow object_info
func hostObjInfo(h int32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow object_read
func hostObjRead(h int32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow object_close
func hostObjClose(h int32) int32

//go:wasmimport ossflow object_open_write
func hostObjOpenWrite(bucket unsafe.Pointer, bucketLen uint32, key unsafe.Pointer, keyLen uint32, opts unsafe.Pointer, optsLen uint32, size int64) int32

//go:wasmimport ossflow object_write
func hostObjWrite(h int32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow object_commit
func hostObjCommit(h int32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow object_abort
func hostObjAbort(h int32) int32

//go:wasmimport ossflow object_head
func hostObjHead(bucket unsafe.Pointer, bucketLen uint32, key unsafe.Pointer, keyLen uint32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow object_list
func hostObjList(req unsafe.Pointer, reqLen uint32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow object_delete
func hostObjDelete(bucket unsafe.Pointer, bucketLen uint32, key unsafe.Pointer, keyLen uint32) int32

//go:wasmimport ossflow image_process
func hostImageProcess(req unsafe.Pointer, reqLen uint32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow http_open
func hostHTTPOpen(req unsafe.Pointer, reqLen uint32, bodySize int64) int32

//go:wasmimport ossflow http_write
func hostHTTPWrite(h int32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow http_send
func hostHTTPSend(h int32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow http_read
func hostHTTPRead(h int32, buf unsafe.Pointer, bufLen uint32) int32

//go:wasmimport ossflow http_close
func hostHTTPClose(h int32) int32

// ossflowHandle is the module's entry point (ABI export ossflow_handle).
//
//go:wasmexport ossflow_handle
func ossflowHandle(inputLen int32) int32 {
	return serve(inputLen)
}
