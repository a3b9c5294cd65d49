package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ossv2 "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/disintegration/imaging"
	"github.com/ossflow/ossflow/httpapi"
)

// photoJPEG is a w×h JPEG (quality 90) with smooth gradients, a periodic
// texture and noise, so that it compresses roughly like a photo.
func photoJPEG(b testing.TB, w, h int) []byte {
	m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	seed := uint32(7)
	for y := range h {
		for x := range w {
			seed = seed*1664525 + 1013904223
			v := 60 + 100*float64(x)/float64(w) + 40*math.Sin(float64(x)/37)*math.Cos(float64(y)/23) + float64(seed>>28)
			m.Y[y*m.YStride+x] = uint8(min(max(v, 0), 255))
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			m.Cb[y*m.CStride+x] = uint8(128 + 40*math.Sin(float64(y)/50))
			m.Cr[y*m.CStride+x] = uint8(128 + 40*math.Cos(float64(x)/70))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// benchRun is what one concurrent benchmark run measured.
type benchRun struct {
	latency time.Duration // mean per request
	rps     float64
	peakMB  float64 // peak heap in use above the level before the run
	allocMB float64 // allocated per request
}

// runConcurrent calls fn b.N times from conc goroutines and reports mean
// latency, throughput, the peak of the heap in use (sampled every 2 ms,
// above what was in use before) and the bytes allocated per call.
func runConcurrent(b *testing.B, conc int, fn func(worker int) error) benchRun {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()

	var next atomic.Int64
	var total atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := fn(w); err != nil {
					failed.Store(err)
					return
				}
				total.Add(int64(time.Since(t0)))
			}
		})
	}
	wg.Wait()
	wall := time.Since(start)
	b.StopTimer()
	close(stop)
	<-sampled
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.HeapInuse > peak.Load() {
		peak.Store(after.HeapInuse)
	}
	r := benchRun{
		latency: time.Duration(total.Load() / int64(b.N)),
		rps:     float64(b.N) / wall.Seconds(),
		allocMB: float64(after.TotalAlloc-before.TotalAlloc) / float64(b.N) / (1 << 20),
	}
	if p := peak.Load(); p > before.HeapInuse {
		r.peakMB = float64(p-before.HeapInuse) / (1 << 20)
	}
	b.ReportMetric(float64(r.latency.Microseconds())/1000, "ms/req")
	b.ReportMetric(r.rps, "req/s")
	b.ReportMetric(r.peakMB, "peak-heap-MB")
	b.ReportMetric(r.allocMB, "alloc-MB/req")
	return r
}

// BenchmarkImageThumbnail12MP: a 4000×3000 JPEG to a 400 px wide JPEG
// thumbnail (quality 85) at concurrency 2, in the same run:
//
//   - baseline: image.Decode + imaging.Resize(Lanczos) + jpeg.Encode in
//     process, no HTTP;
//   - http-miss: GET ?x-oss-process through the real store and auth, the
//     derived-image cache off and each worker on its own copy of the
//     source (identical concurrent misses would share one decode), so
//     every request reads and decodes;
//   - http-hit: the same GET answered from the derived-image cache;
//   - interleaved-miss: baseline and http-miss alternated call by call,
//     for a ratio that holds on a loaded machine.
//
// Besides ms/req, req/s, peak-heap-MB and alloc-MB/req, the HTTP runs
// report x-latency and x-peak: the baseline's mean latency and peak heap
// divided by theirs (above 1 means better than the baseline).
func BenchmarkImageThumbnail12MP(b *testing.B) {
	const conc = 2
	src := photoJPEG(b, 4000, 3000)
	process := "image/resize,w_400/quality,Q_85"
	baseline := func(int) error {
		img, _, err := image.Decode(bytes.NewReader(src))
		if err != nil {
			return err
		}
		thumb := imaging.Resize(img, 400, 0, imaging.Lanczos)
		return jpeg.Encode(io.Discard, thumb, &jpeg.Options{Quality: 85})
	}

	var base benchRun
	b.Run("baseline-c2", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		base = runConcurrent(b, conc, baseline)
	})
	ratios := func(b *testing.B, r benchRun) {
		if base.latency > 0 && r.latency > 0 {
			b.ReportMetric(float64(base.latency)/float64(r.latency), "x-latency")
		}
		if base.peakMB > 0 && r.peakMB > 0 {
			b.ReportMetric(base.peakMB/r.peakMB, "x-peak")
		}
	}

	for _, tc := range []struct {
		name  string
		cache int64
	}{{"http-miss-c2", -1}, {"http-hit-c2", 0}, {"interleaved-miss-c2", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			get := benchImageServer(b, conc, src, process, tc.cache)
			s := get.s
			p0, _ := httpapi.ImageStats(s.h)
			b.SetBytes(int64(len(src)))
			if tc.name != "interleaved-miss-c2" {
				r := runConcurrent(b, conc, get.get)
				p1, _ := httpapi.ImageStats(s.h)
				b.ReportMetric(float64(p1-p0)/float64(b.N), "decodes/req")
				ratios(b, r)
				return
			}
			// Each call runs the baseline and then the HTTP miss, timing
			// each: both see the same machine load, so their ratio holds
			// on a busy machine.
			var tBase, tHTTP atomic.Int64
			runConcurrent(b, conc, func(w int) error {
				t0 := time.Now()
				if err := baseline(w); err != nil {
					return err
				}
				t1 := time.Now()
				if err := get.get(w); err != nil {
					return err
				}
				tBase.Add(int64(t1.Sub(t0)))
				tHTTP.Add(int64(time.Since(t1)))
				return nil
			})
			b.ReportMetric(float64(tBase.Load())/float64(b.N)/1e6, "baseline-ms/req")
			b.ReportMetric(float64(tHTTP.Load())/float64(b.N)/1e6, "http-ms/req")
			b.ReportMetric(float64(tBase.Load())/float64(tHTTP.Load()), "x-latency")
		})
	}
}

// benchGetter GETs the processed thumbnail of worker w's copy of the
// source from a server of its own.
type benchGetter struct {
	s   *imageServer
	get func(w int) error
}

func benchImageServer(b *testing.B, conc int, src []byte, process string, cache int64) benchGetter {
	s := newImageServer(b, httpapi.Config{ImageCacheBytes: cache})
	c := ossV2Client(s.testServer, rootSK, false)
	ctx := context.Background()
	_, err := c.PutBucket(ctx, &ossv2.PutBucketRequest{Bucket: ossv2.Ptr("bench"), Acl: ossv2.BucketACLPublicRead})
	if err != nil {
		b.Fatal(err)
	}
	for w := range conc {
		key := fmt.Sprintf("photo-%d.jpg", w)
		if _, err := c.PutObject(ctx, &ossv2.PutObjectRequest{Bucket: ossv2.Ptr("bench"), Key: ossv2.Ptr(key), Body: bytes.NewReader(src)}); err != nil {
			b.Fatal(err)
		}
	}
	hc := s.httpClient()
	get := func(w int) error {
		resp, err := hc.Get(fmt.Sprintf("%s/bench/photo-%d.jpg?x-oss-process=%s", s.URL, w, process))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || n == 0 {
			return fmt.Errorf("GET: %d, %d bytes, %v", resp.StatusCode, n, err)
		}
		return nil
	}
	for w := range conc { // warm the connections (and the cache)
		if err := get(w); err != nil {
			b.Fatal(err)
		}
	}
	return benchGetter{s: s, get: get}
}
