package httpapi

import (
	"net/http"

	"github.com/ossflow/ossflow/access"
	"github.com/ossflow/ossflow/oss"
)

// corsActual sets the CORS response headers of an actual (non-preflight)
// request to a bucket with a CORS configuration: Access-Control-Allow-*
// of the first rule matching the Origin and method, and "Vary: Origin"
// when the configuration asks for it. They are set before the operation
// runs, so error responses carry them too (a browser can then read the
// error). A request without Origin, to no bucket, or to a bucket without
// configuration gets none: the configuration is read only for requests
// with an Origin header, so ResponseVary's "Vary: Origin" is added to
// those only (not to same-origin requests, unlike OSS).
func (h *Handler) corsActual(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	b := rc.addr.bucket
	if b == "" || r.Method == http.MethodOptions || r.Header.Get("Origin") == "" || !oss.ValidBucketName(b) {
		return
	}
	cfg, err := loadCORS(rc.ctx, h.eng, b)
	if err != nil || cfg == nil {
		return
	}
	hdrs, _ := cfg.Actual(r.Header.Get("Origin"), r.Method)
	copyHeaders(w.Header(), hdrs)
}

// optionObject answers a CORS preflight, OPTIONS / or OPTIONS /key, without
// authentication: 200 with the Access-Control-Allow-* headers of the first
// matching rule, else 403 AccessForbidden.
func optionObject(h *Handler, w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	if err := rc.addr.validate(rc.op); err != nil {
		return err
	}
	cfg, err := loadCORS(rc.ctx, h.eng, rc.bucket())
	if err != nil {
		return err
	}
	if cfg == nil {
		return oss.E(rc.op.name, oss.AccessForbidden, "%s", access.MsgCORSNotEnabled)
	}
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	hdrs, ok := cfg.Preflight(origin, method, headerList(r.Header.Values("Access-Control-Request-Headers")))
	copyHeaders(w.Header(), hdrs)
	if !ok || origin == "" || method == "" {
		return oss.E(rc.op.name, oss.AccessForbidden, "%s", access.MsgCORSNotAllowed)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func copyHeaders(dst, src http.Header) {
	for k, vs := range src {
		dst.Del(k)
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}
