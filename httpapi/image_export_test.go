package httpapi

// ImageStats reports, for the external tests, how many times h ran the
// image Processor and how many processed reads the cache answered.
func ImageStats(h *Handler) (processed, hits int64) {
	return h.img.processed.Load(), h.img.hits.Load()
}
