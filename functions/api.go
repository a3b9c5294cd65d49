package functions

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ossflow/ossflow/functions/fnapi"
	"github.com/ossflow/ossflow/runtime"
)

// HeaderManifest carries the manifest (base64 of its JSON) of a deploy
// whose body is the module itself.
const HeaderManifest = "X-Ossflow-Manifest"

// HeaderErrorKindResp is set on a failed invocation's answer: the
// runtime's error kind (Timeout, MemoryLimit, Trap, Denied, ...).
const HeaderErrorKindResp = "X-Ossflow-Error-Kind"

// APIPrefix is where the management API is mounted.
const APIPrefix = "/-/functions/"

// APIConfig configures the management API.
type APIConfig struct {
	Host *Host
	// Dispatcher is the in-process worker (nil when disabled).
	Dispatcher *Dispatcher
	// JetStream reaches the event plane (nil when it is disabled: no
	// event triggers, logs or dead letters then).
	JetStream             jetstream.JetStream
	Stream, SubjectPrefix string
	// Authorize checks that r is signed by the root account. It is
	// called for every request but the invocations of public functions.
	Authorize func(r *http.Request) error
	// MaxInvokeBody bounds an HTTP invocation's request body (default
	// 6 MiB).
	MaxInvokeBody int64
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// API serves the functions management API under APIPrefix:
//
//	GET    /-/functions/                        list
//	PUT    /-/functions/<name>                  deploy: body = module, X-Ossflow-Manifest = base64(manifest JSON);
//	                                            or multipart/form-data with parts "manifest" and "module"
//	GET    /-/functions/<name>                  get
//	DELETE /-/functions/<name>                  delete (every version)
//	GET    /-/functions/<name>/versions         versions
//	POST   /-/functions/<name>/rollback[?to=N]  rollback (default: the previous version)
//	*      /-/functions/<name>/invoke[/path]    invoke synchronously (HTTP form of the ABI)
//	GET    /-/functions/<name>/logs[?follow=1&since=10m]  records as JSON lines
//	GET    /-/functions/<name>/dlq              dead letters
//	POST   /-/functions/<name>/dlq/replay?id=EVENTID | ?all=1
//	GET    /-/functions/-/trail/<event id>      the records of one event
//
// Requests are signed as bucket "-" with the rest of the path as the key.
// Everything needs the root account, except invoking a function whose
// manifest has triggers.http.public.
type API struct {
	cfg APIConfig
}

// NewAPI returns the management API handler.
func NewAPI(cfg APIConfig) *API {
	if cfg.MaxInvokeBody <= 0 {
		cfg.MaxInvokeBody = 6 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &API{cfg: cfg}
}

// apiError is an error with an HTTP status and an OSS-style code.
type apiError struct {
	status int
	code   string
	msg    string
	kind   string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

func (a *API) fail(w http.ResponseWriter, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, ErrNotFound):
		ae = errorf(http.StatusNotFound, "NoSuchFunction", "%s", err.Error())
	case errors.Is(err, fnapi.ErrOverlap):
		ae = errorf(http.StatusBadRequest, "InvalidArgument", "%s", err.Error())
	default:
		var re *runtime.Error
		if errors.As(err, &re) {
			status := http.StatusBadGateway
			switch re.Kind {
			case runtime.Timeout:
				status = http.StatusGatewayTimeout
			case runtime.InputTooLarge:
				status = http.StatusRequestEntityTooLarge
			}
			ae = &apiError{status: status, code: "FunctionFailed", msg: err.Error(), kind: KindName(re.Kind)}
		} else {
			ae = errorf(http.StatusInternalServerError, "InternalError", "%s", err.Error())
		}
	}
	doc, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
		Message string   `xml:"Message"`
	}{Code: ae.code, Message: ae.msg})
	if ae.kind != "" {
		w.Header().Set(HeaderErrorKindResp, ae.kind)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)+len(xml.Header)))
	w.WriteHeader(ae.status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(doc)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

var errDenied = errorf(http.StatusForbidden, "AccessDenied", "only the root account may manage functions")

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, APIPrefix)
	if !ok {
		a.fail(w, errorf(http.StatusNotFound, "NotFound", "not found"))
		return
	}
	name, sub, _ := strings.Cut(rest, "/")
	// Invocations of public functions need no signature.
	if sub == "invoke" || strings.HasPrefix(sub, "invoke/") {
		a.invoke(w, r, name, strings.TrimPrefix(sub, "invoke"))
		return
	}
	if err := a.cfg.Authorize(r); err != nil {
		a.fail(w, errorf(http.StatusForbidden, "AccessDenied", "%s", err.Error()))
		return
	}
	ctx := r.Context()
	if name == "-" {
		if id, ok := strings.CutPrefix(sub, "trail/"); ok && r.Method == http.MethodGet {
			a.trail(w, r, id)
			return
		}
		a.fail(w, errorf(http.StatusNotFound, "NotFound", "not found"))
		return
	}
	if name == "" {
		if r.Method != http.MethodGet {
			a.fail(w, errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET to list functions"))
			return
		}
		list, err := a.cfg.Host.Registry().List(ctx)
		if err != nil {
			a.fail(w, err)
			return
		}
		if list == nil {
			list = []fnapi.FunctionInfo{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"functions": list})
		return
	}
	if !fnapi.ValidName(name) {
		a.fail(w, errorf(http.StatusBadRequest, "InvalidArgument", "invalid function name %q", name))
		return
	}
	switch {
	case sub == "" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		a.deploy(w, r, name)
	case sub == "" && r.Method == http.MethodGet:
		fi, err := a.cfg.Host.Registry().Get(ctx, name)
		if err != nil {
			a.fail(w, notFound(err, name))
			return
		}
		writeJSON(w, http.StatusOK, fi)
	case sub == "" && r.Method == http.MethodDelete:
		a.delete(w, r, name)
	case sub == "versions" && r.Method == http.MethodGet:
		vs, err := a.cfg.Host.Registry().Versions(ctx, name)
		if err != nil {
			a.fail(w, notFound(err, name))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"name": name, "versions": vs})
	case sub == "rollback" && r.Method == http.MethodPost:
		a.rollback(w, r, name)
	case sub == "logs" && r.Method == http.MethodGet:
		a.logs(w, r, name)
	case sub == "dlq" && r.Method == http.MethodGet:
		if a.cfg.JetStream == nil {
			a.fail(w, errNoEvents)
			return
		}
		list, err := DeadLetters(ctx, a.cfg.JetStream, name)
		if err != nil {
			a.fail(w, err)
			return
		}
		if list == nil {
			list = []fnapi.DLQEntry{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"name": name, "deadLetters": list})
	case sub == "dlq/replay" && r.Method == http.MethodPost:
		a.replay(w, r, name)
	default:
		a.fail(w, errorf(http.StatusNotFound, "NotFound", "no such endpoint: %s %s", r.Method, r.URL.Path))
	}
}

var errNoEvents = errorf(http.StatusServiceUnavailable, "EventsDisabled", "the event plane is disabled on this server")

func notFound(err error, name string) error {
	if errors.Is(err, ErrNotFound) {
		return errorf(http.StatusNotFound, "NoSuchFunction", "function %s does not exist", name)
	}
	return err
}

// readDeploy reads the manifest and module of a deploy request.
func readDeploy(r *http.Request, name string) (fnapi.Manifest, []byte, error) {
	var mdoc, wasm []byte
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := http.MaxBytesReader(nil, r.Body, maxModule+(1<<20))
	if ct == "multipart/form-data" {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fnapi.Manifest{}, nil, errorf(http.StatusBadRequest, "InvalidArgument", "multipart body: %v", err)
			}
			b, err := io.ReadAll(io.LimitReader(p, maxModule+1))
			if err != nil {
				return fnapi.Manifest{}, nil, errorf(http.StatusBadRequest, "InvalidArgument", "multipart body: %v", err)
			}
			switch p.FormName() {
			case "manifest":
				mdoc = b
			case "module":
				wasm = b
			}
		}
	} else {
		h := r.Header.Get(HeaderManifest)
		if h != "" {
			var err error
			if mdoc, err = base64.StdEncoding.DecodeString(h); err != nil {
				return fnapi.Manifest{}, nil, errorf(http.StatusBadRequest, "InvalidArgument", "%s: not base64: %v", HeaderManifest, err)
			}
		}
		var err error
		if wasm, err = io.ReadAll(body); err != nil {
			return fnapi.Manifest{}, nil, errorf(http.StatusBadRequest, "InvalidArgument", "module: %v", err)
		}
	}
	if len(wasm) == 0 {
		return fnapi.Manifest{}, nil, errorf(http.StatusBadRequest, "InvalidArgument", "the deploy has no module")
	}
	if len(wasm) > maxModule {
		return fnapi.Manifest{}, nil, errorf(http.StatusRequestEntityTooLarge, "EntityTooLarge", "a module may not exceed %d bytes", maxModule)
	}
	m := fnapi.Manifest{Name: name}
	if len(mdoc) > 0 {
		var err error
		if m, err = fnapi.ParseManifest(mdoc); err != nil {
			return m, nil, errorf(http.StatusBadRequest, "InvalidArgument", "%v", err)
		}
		if m.Name == "" {
			m.Name = name
		}
	}
	if m.Name != name {
		return m, nil, errorf(http.StatusBadRequest, "InvalidArgument", "the manifest names function %q, the path %q", m.Name, name)
	}
	if err := m.Validate(); err != nil {
		if errors.Is(err, fnapi.ErrOverlap) {
			return m, nil, err
		}
		return m, nil, errorf(http.StatusBadRequest, "InvalidArgument", "manifest: %v", err)
	}
	return m, wasm, nil
}

func (a *API) deploy(w http.ResponseWriter, r *http.Request, name string) {
	start := time.Now()
	m, wasm, err := readDeploy(r, name)
	if err != nil {
		a.fail(w, err)
		return
	}
	if len(m.Triggers.Events) > 0 && a.cfg.JetStream == nil {
		a.fail(w, errorf(http.StatusBadRequest, "EventsDisabled", "event triggers need the event plane, which is disabled on this server"))
		return
	}
	ctx := r.Context()
	host := a.cfg.Host
	var loaded *Loaded
	version, previous, err := host.Registry().Deploy(ctx, m, wasm, func(others []fnapi.Manifest) error {
		if err := fnapi.CheckOverlap(&m, others); err != nil {
			return err
		}
		l, err := host.Compile(ctx, &m, wasm, 0)
		if err != nil {
			return errorf(http.StatusBadRequest, "InvalidModule", "the module cannot run: %v", err)
		}
		loaded = l
		return nil
	})
	if err != nil {
		if loaded != nil {
			_ = loaded.Function.Close(context.WithoutCancel(ctx))
		}
		a.fail(w, err)
		return
	}
	loaded.Version = version
	host.Install(loaded)
	if err := a.activate(ctx, &m); err != nil {
		a.fail(w, fmt.Errorf("deployed %s v%d, but activating it failed: %w", name, version, err))
		return
	}
	writeJSON(w, http.StatusOK, fnapi.DeployResult{Name: name, Version: version, Previous: previous,
		ReadyMillis: float64(time.Since(start).Microseconds()) / 1000})
}

// activate puts the consumers of m's triggers in place and starts the
// local worker's loops.
func (a *API) activate(ctx context.Context, m *fnapi.Manifest) error {
	if a.cfg.JetStream != nil {
		if err := EnsureConsumers(ctx, a.cfg.JetStream, a.cfg.Stream, a.cfg.SubjectPrefix, m); err != nil {
			return err
		}
	}
	if a.cfg.Dispatcher != nil {
		return a.cfg.Dispatcher.Sync(ctx, m.Name)
	}
	return nil
}

func (a *API) rollback(w http.ResponseWriter, r *http.Request, name string) {
	start := time.Now()
	ctx := r.Context()
	to := 0
	if v := r.URL.Query().Get("to"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "v"))
		if err != nil || n <= 0 {
			a.fail(w, errorf(http.StatusBadRequest, "InvalidArgument", "to: want a version number, got %q", v))
			return
		}
		to = n
	}
	version, previous, err := a.cfg.Host.Registry().Rollback(ctx, name, to, func(target fnapi.Manifest, others []fnapi.Manifest) error {
		return fnapi.CheckOverlap(&target, others)
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) && to == 0 {
			err = notFound(err, name)
		}
		if !errors.Is(err, ErrNotFound) && !errors.Is(err, fnapi.ErrOverlap) {
			var ae *apiError
			if !errors.As(err, &ae) {
				err = errorf(http.StatusBadRequest, "InvalidArgument", "%v", err)
			}
		}
		a.fail(w, err)
		return
	}
	l, err := a.cfg.Host.Sync(ctx, name)
	if err != nil {
		a.fail(w, err)
		return
	}
	if l != nil {
		if err := a.activate(ctx, &l.Manifest); err != nil {
			a.fail(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, fnapi.DeployResult{Name: name, Version: version, Previous: previous,
		ReadyMillis: float64(time.Since(start).Microseconds()) / 1000})
}

func (a *API) delete(w http.ResponseWriter, r *http.Request, name string) {
	ctx := r.Context()
	if err := a.cfg.Host.Registry().Delete(ctx, name); err != nil {
		a.fail(w, notFound(err, name))
		return
	}
	if a.cfg.Dispatcher != nil {
		_ = a.cfg.Dispatcher.Sync(ctx, name)
	}
	a.cfg.Host.Unload(name)
	if a.cfg.JetStream != nil {
		if err := DeleteConsumers(ctx, a.cfg.JetStream, a.cfg.Stream, name); err != nil {
			a.fail(w, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// invoke runs a function on an HTTP request: the request (method, the
// path after /invoke, header, body) is the guest's input in the ABI's
// HTTP form, and the guest's HTTPResponse document is the answer. A guest
// whose output is not such a document answers 200 with its raw output.
func (a *API) invoke(w http.ResponseWriter, r *http.Request, name, rest string) {
	ctx := r.Context()
	if !fnapi.ValidName(name) {
		a.fail(w, errorf(http.StatusNotFound, "NoSuchFunction", "invalid function name %q", name))
		return
	}
	l, err := a.cfg.Host.Get(ctx, name)
	if err != nil {
		// Do not tell anonymous callers which functions exist.
		if aerr := a.cfg.Authorize(r); aerr != nil {
			a.fail(w, errDenied)
			return
		}
		a.fail(w, notFound(err, name))
		return
	}
	public := l.Manifest.Triggers.HTTP != nil && l.Manifest.Triggers.HTTP.Public
	if !public {
		if err := a.cfg.Authorize(r); err != nil {
			a.fail(w, errorf(http.StatusForbidden, "AccessDenied", "%s", err.Error()))
			return
		}
	}
	// The guest sees the path after /invoke and none of the caller's
	// credentials.
	gr := r.Clone(ctx)
	gr.Body = r.Body
	if rest == "" {
		rest = "/"
	}
	gr.URL.Path, gr.URL.RawPath = rest, ""
	gr.RequestURI = gr.URL.RequestURI()
	for k := range gr.Header {
		lk := strings.ToLower(k)
		if lk == "authorization" || strings.HasPrefix(lk, "x-oss-") || strings.HasPrefix(lk, "x-amz-") {
			gr.Header.Del(k)
		}
	}
	input, err := runtime.EncodeHTTPRequest(gr, a.cfg.MaxInvokeBody)
	if err != nil {
		a.fail(w, err)
		return
	}
	out, err := a.cfg.Host.Invoke(ctx, l, input, &Invocation{Trigger: "http"})
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("X-Ossflow-Function-Version", strconv.Itoa(l.Version))
	if runtime.WriteHTTPResponse(w, out) != nil {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
	}
}

// parseSince reads "10m" (that long ago), an RFC 3339 time, or "".
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("since: want a duration like 10m or an RFC 3339 time, got %q", s)
	}
	return t, nil
}

func (a *API) logs(w http.ResponseWriter, r *http.Request, name string) {
	if a.cfg.JetStream == nil {
		a.fail(w, errNoEvents)
		return
	}
	q := r.URL.Query()
	since, err := parseSince(q.Get("since"), a.cfg.Now())
	if err != nil {
		a.fail(w, errorf(http.StatusBadRequest, "InvalidArgument", "%v", err))
		return
	}
	follow := q.Get("follow") == "1" || q.Get("follow") == "true"
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	_ = ReadStream(r.Context(), a.cfg.JetStream, LogStream, LogSubjectPrefix+"."+name+".>", since, follow, func(m jetstream.Msg) error {
		if _, err := w.Write(append(bytes.TrimSpace(m.Data()), '\n')); err != nil {
			return err
		}
		if fl != nil {
			fl.Flush()
		}
		return nil
	})
}

func (a *API) trail(w http.ResponseWriter, r *http.Request, id string) {
	if a.cfg.JetStream == nil {
		a.fail(w, errNoEvents)
		return
	}
	if id == "" || len(id) > 128 {
		a.fail(w, errorf(http.StatusBadRequest, "InvalidArgument", "want /-/functions/-/trail/<event id>"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	recs, err := Trail(ctx, a.cfg.JetStream, id)
	if err != nil {
		a.fail(w, err)
		return
	}
	if recs == nil {
		recs = []fnapi.Record{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"eventId": id, "records": recs})
}

func (a *API) replay(w http.ResponseWriter, r *http.Request, name string) {
	if a.cfg.JetStream == nil {
		a.fail(w, errNoEvents)
		return
	}
	q := r.URL.Query()
	id := q.Get("id")
	if id == "" && q.Get("all") != "1" && q.Get("all") != "true" {
		a.fail(w, errorf(http.StatusBadRequest, "InvalidArgument", "name the dead letter with id=<event id>, or all=1"))
		return
	}
	res, err := Replay(r.Context(), a.cfg.JetStream, a.cfg.Host, name, id)
	if err != nil {
		a.fail(w, err)
		return
	}
	if res.Results == nil {
		res.Results = []fnapi.ReplayOutcome{}
	}
	writeJSON(w, http.StatusOK, res)
}
