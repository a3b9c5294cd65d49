package main

import (
	"flag"
	"strings"

	"github.com/ossflow/ossflow/server"
)

// Environment variables of "ossflow server"'s image flags.
const (
	envStyleDelimiters  = "OSSFLOW_STYLE_DELIMITERS"
	envImageConcurrency = "OSSFLOW_IMAGE_CONCURRENCY"
	envImageCache       = "OSSFLOW_IMAGE_CACHE"
)

// defaultImageCache is --image-cache's default (httpapi's).
const defaultImageCache = "64MiB"

// imageFlags are the image processing flags of "ossflow server".
type imageFlags struct {
	styleDelimiters string
	concurrency     int
	cache           string
	envErr          error // a malformed integer environment variable
}

func addImageFlags(fs *flag.FlagSet, e *env) *imageFlags {
	f := &imageFlags{}
	fs.StringVar(&f.styleDelimiters, "style-delimiters", envOr(e, envStyleDelimiters, ""),
		"characters among "+server.StyleDelimiterChars+" that turn on GET /<bucket>/<key><delimiter><style>, e.g. '!' (env "+envStyleDelimiters+")")
	n, err := envInt(e, envImageConcurrency, 0)
	f.envErr = err
	fs.IntVar(&f.concurrency, "image-concurrency", n, "images decoded at once; 0 = the number of CPUs (env "+envImageConcurrency+")")
	fs.StringVar(&f.cache, "image-cache", envOr(e, envImageCache, defaultImageCache), "bound of the derived-image cache, e.g. 64MiB; 0 turns it off (env "+envImageCache+")")
	return f
}

// config is the server's ImagesConfig.
func (f *imageFlags) config() (server.ImagesConfig, error) {
	if f.envErr != nil {
		return server.ImagesConfig{}, f.envErr
	}
	size, err := parseSize(f.cache)
	if err != nil {
		return server.ImagesConfig{}, usagef("--image-cache: %v", err)
	}
	if size == 0 {
		size = -1 // off (0 would mean the default)
	}
	if f.concurrency < 0 {
		return server.ImagesConfig{}, usagef("--image-concurrency: %d is negative", f.concurrency)
	}
	c := server.ImagesConfig{StyleDelimiters: f.styleDelimiters, Concurrency: f.concurrency, CacheBytes: size}
	if err := c.Validate(); err != nil {
		return server.ImagesConfig{}, usagef("--style-delimiters: %s", strings.TrimPrefix(err.Error(), "server: "))
	}
	return c, nil
}
