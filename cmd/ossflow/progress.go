package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progressBar draws a one-line transfer progress on a terminal.
type progressBar struct {
	w     io.Writer
	label string
	start time.Time

	mu   sync.Mutex
	last time.Time
	done int64
	tot  int64
}

// newProgressBar returns a bar on stderr, or nil when stderr is not a
// terminal or the output is JSON: a bar is for people only.
func newProgressBar(e *env, cf *clientFlags, label string) *progressBar {
	if cf.json || !isTerminal(e.stderr) {
		return nil
	}
	return &progressBar{w: e.stderr, label: label, start: time.Now()}
}

// update is a client.UploadOptions.Progress callback. A nil bar ignores it.
func (p *progressBar) update(done, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.tot = done, total
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.draw()
	}
}

// callback returns update as a func, or nil for a nil bar.
func (p *progressBar) callback() func(done, total int64) {
	if p == nil {
		return nil
	}
	return p.update
}

func (p *progressBar) draw() {
	elapsed := time.Since(p.start).Seconds()
	rate := ""
	if elapsed > 0 {
		rate = humanBytes(int64(float64(p.done)/elapsed)) + "/s"
	}
	if p.tot > 0 {
		const width = 30
		frac := float64(p.done) / float64(p.tot)
		frac = min(max(frac, 0), 1)
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%% %s/%s %s\x1b[K", p.label,
			strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, humanBytes(p.done), humanBytes(p.tot), rate)
		return
	}
	fmt.Fprintf(p.w, "\r%s %s %s\x1b[K", p.label, humanBytes(p.done), rate)
}

// finish clears the bar's line.
func (p *progressBar) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
}

// progressWriter counts bytes written through it into a bar.
type progressWriter struct {
	w     io.Writer
	bar   *progressBar
	n     int64
	total int64
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.n += int64(n)
	pw.bar.update(pw.n, pw.total)
	return n, err
}
