package runtime

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"time"

	"github.com/ossflow/ossflow/oss"
)

// Objects is the object store as a function sees it. The functions
// platform adapts the engine to it. Every call receives the invocation's
// context, which carries its deadline and an oss.RequestInfo whose Origin
// is "function:<name>" (for loop guards and audits).
type Objects interface {
	// Get opens an object for reading. The runtime closes the reader.
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, oss.ObjectInfo, error)
	// Put stores r as bucket/key. size is the body length or -1 when
	// unknown. If r fails (the guest aborted, or the invocation ended),
	// nothing must be stored.
	Put(ctx context.Context, bucket, key string, r io.Reader, size int64, meta oss.Metadata) (oss.ObjectInfo, error)
	Head(ctx context.Context, bucket, key string) (oss.ObjectInfo, error)
	List(ctx context.Context, in oss.ListObjectsInput) (oss.ListObjectsOutput, error)
	Delete(ctx context.Context, bucket, key string) error
}

// Images runs an image process (an OSS "image/..." process string, as
// parsed by package imgproc) natively from a source object to a
// destination object, so no pixel data crosses guest memory.
type Images interface {
	Process(ctx context.Context, srcBucket, srcKey, process, dstBucket, dstKey string) (oss.ObjectInfo, error)
}

// HTTPDoer sends an outbound HTTP request (*http.Client satisfies it).
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// LogFunc receives log lines: level is "debug", "info", "warn" or "error".
type LogFunc func(level, msg string)

// Env is what one invocation may use besides its input. A nil capability
// makes the matching host calls fail with the Unavailable code and a
// message naming the capability.
type Env struct {
	Objects Objects
	Images  Images
	// HTTP, when set, replaces the function's own HTTP client. The runtime
	// still enforces the allow-list on the URL and the body limits, but the
	// address checks (no private, loopback, link-local or unspecified
	// addresses; re-checked at connect time) live in the function's own
	// client, so a replacement takes that responsibility.
	HTTP HTTPDoer
	// Config holds the function's configuration values (config_get).
	Config map[string]string
	// Log receives the guest's log lines and its stdout/stderr output, one
	// line per call. Nil discards them.
	Log LogFunc
}

// Resolver resolves host names for the outbound HTTP guard
// (*net.Resolver satisfies it).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Observer receives one call per finished invocation (for metrics). It is
// called synchronously at the end of Invoke and must be fast.
type Observer interface {
	ObserveInvocation(s InvocationStats)
}

// InvocationStats describes one invocation.
type InvocationStats struct {
	Function string
	// Cold is true when the invocation had to instantiate the module.
	Cold bool
	// QueueWait is the time spent waiting for a free instance slot.
	QueueWait time.Duration
	// Duration is the time from getting a slot to the end of the call
	// (instantiation included when Cold).
	Duration    time.Duration
	InputBytes  int
	OutputBytes int
	// Err is nil on success; otherwise a *Error, whose Kind is ErrKind
	// (ErrKind means nothing when Err is nil).
	Err     error
	ErrKind Kind
}
