package httpapi

import (
	"container/list"
	"context"
	"errors"
	"sync"
)

// imageResult is a processed image (or info / average-hue JSON) as served
// and cached.
type imageResult struct {
	body        []byte
	contentType string
	format      string
	width       int
	height      int
	crc64       uint64 // of body, sent as x-oss-hash-crc64ecma
	// deps are the watermark objects the result was made with: a cached
	// result is served only while each still has the same ETag and
	// modification time, and only to a requester allowed to read it.
	deps []imageDep
}

// imageDep is a watermark object a result depends on.
type imageDep struct {
	key     string
	etag    string
	modNano int64
}

// imageCacheEntryOverhead is charged per entry on top of the body and key
// bytes: the list element, map entry and result struct.
const imageCacheEntryOverhead = 256

// imageCache is an LRU of derived images bounded in bytes. A key names
// the exact source version (bucket, key, version id, ETag, size, CRC-64,
// modification time) and the normalized pipeline, so an entry for an
// overwritten object is never looked up again; it ages out.
type imageCache struct {
	mu    sync.Mutex
	max   int64 // bound in bytes; <= 0 disables the cache
	used  int64
	ll    *list.List // front = most recently used; values *cacheEntry
	items map[string]*list.Element
}

type cacheEntry struct {
	key  string
	res  *imageResult
	cost int64
}

func newImageCache(maxBytes int64) *imageCache {
	return &imageCache{max: maxBytes, ll: list.New(), items: map[string]*list.Element{}}
}

func entryCost(key string, res *imageResult) int64 {
	n := int64(len(key)+len(res.body)+len(res.contentType)+len(res.format)) + imageCacheEntryOverhead
	for _, d := range res.deps {
		n += int64(len(d.key) + len(d.etag) + 32)
	}
	return n
}

// get returns the entry of key and marks it recently used.
func (c *imageCache) get(key string) (*imageResult, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*cacheEntry).res, true
}

// add stores res under key, evicting the least recently used entries to
// stay within the bound. An entry larger than a quarter of the bound is
// not kept: one huge result must not flush every hot thumbnail.
func (c *imageCache) add(key string, res *imageResult) {
	cost := entryCost(key, res)
	if c.max <= 0 || cost > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*cacheEntry)
		c.used += cost - e.cost
		e.res, e.cost = res, cost
		c.ll.MoveToFront(el)
	} else {
		c.items[key] = c.ll.PushFront(&cacheEntry{key: key, res: res, cost: cost})
		c.used += cost
	}
	for c.used > c.max {
		el := c.ll.Back()
		e := el.Value.(*cacheEntry)
		c.ll.Remove(el)
		delete(c.items, e.key)
		c.used -= e.cost
	}
}

// remove drops key (a stale entry).
func (c *imageCache) remove(key string) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.used -= el.Value.(*cacheEntry).cost
		c.ll.Remove(el)
		delete(c.items, key)
	}
}

// stats returns the number of entries and the bytes charged.
func (c *imageCache) stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len(), c.used
}

// flightGroup makes concurrent identical misses compute once: the first
// caller of a key runs fn, the others wait for its result. A waiter whose
// leader failed because the leader's own request ended (its context) runs
// fn itself rather than inheriting someone else's cancellation.
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	done chan struct{}
	res  *imageResult
	err  error
}

// do runs fn for key unless a call for key is in flight, in which case it
// waits for that call (or for ctx). shared reports that the result came
// from another caller's fn.
func (g *flightGroup) do(ctx context.Context, key string, fn func() (*imageResult, error)) (res *imageResult, shared bool, err error) {
	for {
		g.mu.Lock()
		if g.calls == nil {
			g.calls = map[string]*flightCall{}
		}
		if c, ok := g.calls[key]; ok {
			g.mu.Unlock()
			select {
			case <-c.done:
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
			if c.err != nil && isContextErr(c.err) && ctx.Err() == nil {
				continue // the leader's client went away; try again
			}
			return c.res, true, c.err
		}
		// errFlightAborted stays when fn panics: the waiters fail too.
		c := &flightCall{done: make(chan struct{}), err: errFlightAborted}
		g.calls[key] = c
		g.mu.Unlock()

		func() {
			defer func() {
				g.mu.Lock()
				delete(g.calls, key)
				g.mu.Unlock()
				close(c.done)
			}()
			c.res, c.err = fn()
		}()
		return c.res, false, c.err
	}
}

var errFlightAborted = errors.New("httpapi: image processing aborted")

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
