package fn

import (
	"context"
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/ossflow/ossflow/runtime/abi"
)

// ImageRequest names a source object, an OSS image process string (e.g.
// "image/resize,m_lfit,w_256,h_256") and a destination object.
type ImageRequest = abi.ImageRequest

// ProcessImage runs req natively in the host: the source is decoded,
// processed and encoded there, and the result stored as the destination.
// No pixel data passes through the guest. The function needs Read on the
// source and Write on the destination.
func ProcessImage(ctx context.Context, req ImageRequest) (ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return ObjectInfo{}, err
	}
	b, err := withResult(func(buf unsafe.Pointer, n uint32) int32 {
		return hostImageProcess(bytesPtr(body), uint32(len(body)), buf, n)
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	var info ObjectInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return ObjectInfo{}, fmt.Errorf("fn: decode object info: %w", err)
	}
	return info, nil
}
