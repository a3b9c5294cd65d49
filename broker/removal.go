package broker

import (
	"context"
	"fmt"
	"time"
)

// removeLoop removes published entries from the outbox once their
// durability hold has passed.
func (r *relay) removeLoop(ctx context.Context) {
	type mark struct {
		seq uint64
		at  time.Time
	}
	hold := r.cfg.DurabilityHold
	// Marks closer than coalesce share one; the hold is lengthened by as
	// much so no entry is removed early.
	coalesce := max(hold/8, time.Millisecond)
	if hold > 0 {
		hold += coalesce
	}
	var (
		marks   []mark
		last    uint64
		removed uint64
		retry   bool
	)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		final := false
		select {
		case <-ctx.Done():
			final = true
		case <-r.progress:
		case <-timer.C:
		}
		r.removeMu.Lock()
		if rw := r.rewoundTo.Swap(0); rw > 0 {
			// The stream lost events above rw-1: they are republished and
			// held again from their new PubAck, so forget their marks.
			to := rw - 1
			for len(marks) > 0 && marks[len(marks)-1].seq > to {
				marks = marks[:len(marks)-1]
			}
			last = min(last, to)
		}
		now := time.Now()
		if s := r.published.Load(); s > last {
			if n := len(marks); n > 0 && now.Sub(marks[n-1].at) < coalesce {
				marks[n-1].seq = s
			} else {
				marks = append(marks, mark{s, now})
			}
			last = s
		}
		var upto uint64
		i := 0
		for i < len(marks) && now.Sub(marks[i].at) >= hold {
			upto = marks[i].seq
			i++
		}
		if upto > removed {
			actx := ctx
			if final {
				var cancel context.CancelFunc
				actx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
			}
			if err := r.ob.OutboxAck(actx, upto); err != nil {
				r.m.errors.WithLabelValues(stageRemove).Inc()
				r.log.Warn("event outbox: removing published events failed; will retry", "upto", upto, "err", err)
				i = 0
				if len(marks) > 0 {
					marks[0].seq = max(marks[0].seq, upto)
				}
				retry = true
			} else {
				removed, retry = upto, false
				r.removed.Store(upto)
			}
		}
		marks = append(marks[:0], marks[i:]...)
		r.removeMu.Unlock()
		if final {
			return
		}
		switch {
		case retry:
			timer.Reset(100 * time.Millisecond)
		case len(marks) > 0:
			timer.Reset(max(marks[0].at.Add(hold).Sub(now), 0))
		}
	}
}

// watchFill warns while the outbox is above half its bound.
func (r *relay) watchFill(ctx context.Context) {
	t := time.NewTicker(r.cfg.WarnInterval)
	defer t.Stop()
	warned := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := r.cfg.OutboxStats()
		frac := float64(st.Depth) / float64(r.cfg.OutboxLimit)
		switch {
		case frac >= 0.5:
			warned = true
			r.log.Warn("event outbox filling: at its limit, writes fail with 503 SlowDown until the relay catches up",
				"depth", st.Depth, "limit", r.cfg.OutboxLimit, "fill", fmt.Sprintf("%.0f%%", 100*frac),
				"oldest_age", time.Since(st.OldestTime).Round(time.Second), "published_seq", r.published.Load())
		case warned && frac < 0.25:
			warned = false
			r.log.Info("event outbox drained below a quarter of its limit", "depth", st.Depth, "limit", r.cfg.OutboxLimit)
		}
	}
}

// lagEvents is how many committed events the stream has not acknowledged.
func (r *relay) lagEvents(st OutboxStats) uint64 {
	base := max(r.published.Load(), st.LastSeq-min(st.Depth, st.LastSeq))
	if st.LastSeq <= base {
		return 0
	}
	return st.LastSeq - base
}

// lagSeconds is the age of the oldest committed event not in the stream.
func (r *relay) lagSeconds(now time.Time) float64 {
	o := r.oldest.Load()
	if o == 0 {
		return 0
	}
	return max(now.Sub(time.Unix(0, o)).Seconds(), 0)
}
