// Command thumbnail is an ossflow function: when an object is created
// under images/, it writes a thumbnail of it to thumbs/<key> in the same
// bucket, its longest side scaled to 256 px. The image work happens in
// the host (package imgproc): no pixel passes through this module.
//
// Build and deploy:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o thumbnail.wasm ./examples/thumbnail
//
// Grants: Read "<bucket>/images/", Write "<bucket>/thumbs/".
// Configuration (optional): "process" overrides the image process string.
package main

import (
	"fmt"
	"strings"

	"github.com/ossflow/ossflow/sdk/fn"
)

// DefaultProcess scales the longest side to 256 px, keeping proportions.
const DefaultProcess = "image/resize,l_256"

// A reactor module never runs main: register the handler at initialization.
func init() { fn.HandleEvent(thumbnail) }

func main() {}

func thumbnail(ctx fn.Context, ev fn.EventRecord) error {
	// thumbs/ is outside images/, so the function's own writes do not
	// trigger it again.
	if !ev.Created() || !strings.HasPrefix(ev.Key(), "images/") {
		return nil
	}
	process, ok := ctx.Config("process")
	if !ok {
		process = DefaultProcess
	}
	req := fn.ImageRequest{
		SrcBucket: ev.Bucket(),
		SrcKey:    ev.Key(),
		Process:   process,
		DstBucket: ev.Bucket(),
		DstKey:    "thumbs/" + ev.Key(),
	}
	info, err := fn.ProcessImage(ctx, req)
	if err != nil {
		return fmt.Errorf("thumbnail of %s/%s: %w", req.SrcBucket, req.SrcKey, err)
	}
	ctx.Infof("wrote %s/%s (%d bytes)", info.Bucket, info.Key, info.Size)
	return nil
}
