package server

import (
	"fmt"
	"strings"
	"time"

	"github.com/ossflow/ossflow/imgproc"
)

// StyleDelimiterChars are the bytes OSS allows as style delimiters.
const StyleDelimiterChars = "-_/!"

// ImagesConfig configures image processing (x-oss-process, styles,
// sys/saveas and x-oss-async-process).
type ImagesConfig struct {
	// StyleDelimiters turns on the "<key><delimiter><style>" shorthand for
	// <key>?x-oss-process=style/<style>: each byte, among '-', '_', '/'
	// and '!', is a delimiter. "" (the default) turns it off.
	StyleDelimiters string
	// Concurrency bounds the images decoded at once, by requests and
	// asynchronous jobs together; 0 means GOMAXPROCS.
	Concurrency int
	// CacheBytes bounds the derived-image cache; 0 means 64 MiB,
	// negative disables it.
	CacheBytes int64
	// Limits bound image sources and results; zero fields mean
	// imgproc.DefaultLimits.
	Limits imgproc.Limits

	// AsyncWorkers is how many asynchronous jobs this server runs at once
	// (default DefaultAsyncWorkers); negative runs none here (another
	// server on the same NATS does). Jobs are queued either way.
	AsyncWorkers int
	// NotifyMaxAge bounds how long completion notifications are kept in
	// the notifications stream (default DefaultNotifyMaxAge).
	NotifyMaxAge time.Duration
}

// Defaults of ImagesConfig.
const (
	DefaultAsyncWorkers = 2
	DefaultNotifyMaxAge = 7 * 24 * time.Hour
)

// Validate checks the configuration (New does too).
func (c ImagesConfig) Validate() error {
	for i := 0; i < len(c.StyleDelimiters); i++ {
		d := c.StyleDelimiters[i]
		if strings.IndexByte(StyleDelimiterChars, d) < 0 {
			return fmt.Errorf("server: style delimiter %q: allowed are %q", d, StyleDelimiterChars)
		}
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("server: image concurrency %d is negative", c.Concurrency)
	}
	return nil
}

func (c ImagesConfig) asyncWorkers() int {
	if c.AsyncWorkers == 0 {
		return DefaultAsyncWorkers
	}
	return c.AsyncWorkers
}

func (c ImagesConfig) notifyMaxAge() time.Duration {
	if c.NotifyMaxAge <= 0 {
		return DefaultNotifyMaxAge
	}
	return c.NotifyMaxAge
}
