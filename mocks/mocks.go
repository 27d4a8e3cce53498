// Package mocks is the request pipeline shared by every API vendorsim serves.
//
// Routes come from an OpenAPI document: every operation becomes a gorilla/mux
// route under the API's prefix, without being listed by hand. A request
// passes, in order, through request-id → recover → host routing → route match
// (the vendor's 404/405) → body limit (413) → authentication (the workspace)
// → request validation with openapi3filter (the vendor's 4xx, naming the
// field) → the handler for its operationId, or, when no stateful handler
// exists, an answer built from the spec's example or from schema-shaped fake
// data → the request journal.
//
// Vendor packages supply an API: their document, their credential check,
// their handlers keyed by operationId and the one function that turns an
// error into their error envelope.
package mocks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gorilla/mux"

	"vendorsim/store"
)

// Handler serves one operation. A returned error is turned into the API's
// error envelope in one place; a handler that returns an error must not have
// written to w.
type Handler func(w http.ResponseWriter, r *http.Request) error

// API is one served API.
type API struct {
	// Name identifies the API in logs, the journal and the control API:
	// "whippy", "zipwhip", "whereby" or "sandbox".
	Name string
	Doc  *openapi3.T
	// Prefix is where the API is mounted locally, e.g. "/whippy/v1".
	Prefix string
	// Hosts are Host header values (without port) routed to this API with
	// the vendor's own paths; HostPrefix is the path prefix on those hosts
	// (e.g. "/v1"), replaced by Prefix.
	Hosts      []string
	HostPrefix string
	// Authenticate returns the workspace of the request, or an error
	// (typically *Error with status 401). Nil means no authentication.
	Authenticate func(r *http.Request) (string, error)
	// Handlers maps operationIds to stateful handlers.
	Handlers map[string]Handler
	// WriteError writes e in the API's error envelope.
	WriteError func(w http.ResponseWriter, r *http.Request, e *Error)
	// ValidationStatus is the status of a request that fails validation.
	ValidationStatus int
	// Wrap, when set, wraps every operation's handler (stateful or not);
	// rate limiting uses it.
	Wrap func(operationID string, h Handler) Handler
	// Cacheable lists read operations whose answers depend only on the
	// request and the workspace's stored data; they are served from memory
	// while the workspace sees no write (Options.Generation).
	Cacheable map[string]bool
	// NoJournal keeps this API's requests out of the journal.
	NoJournal bool
	// MaxBodyBytes overrides the server's body limit for this API.
	MaxBodyBytes int64
	// PathParam, when set, canonicalises a path parameter's value before
	// validation and the handler see it (Whippy's ids are UUIDs, which
	// PostgreSQL reads in any case).
	PathParam func(name, value string) string
	// Default marks the API whose error shape answers requests that no
	// API's prefix claims.
	Default bool
	// MethodNotAllowedStatus answers a path the API has with a method it
	// lacks: 0 or 405 is a 405 with Allow; 404 is the API's 404, as a
	// router that matches path and method together answers (Phoenix).
	MethodNotAllowedStatus int
}

// Options configure a Server.
type Options struct {
	Logger       *slog.Logger
	Faker        *Faker
	Journal      *Journal
	MaxBodyBytes int64
	// Intercept, when set, runs after authentication and validation and may
	// answer the request itself (fault injection); it returns true when it
	// did.
	Intercept func(w http.ResponseWriter, r *http.Request) bool
	// Generation, when set, enables the read cache: it must change whenever
	// a workspace's stored data may have changed (store.DB.Generation).
	Generation func(workspace string) uint64
}

// Server routes requests to APIs. It implements http.Handler.
type Server struct {
	opts   Options
	log    *slog.Logger
	router *mux.Router
	apis   []*API
	hosts  map[string]*API
	cache  *readCache
	// literal holds the mounted paths without parameters: a request for
	// one of them with a method it lacks is a 405, even when a templated
	// path (GET /deliveries/{id} for POST /deliveries/flush) would match.
	literal map[string]bool
}

// NewServer builds the routes of every API from its document. It fails when
// a handler names an operationId that the document does not have, so that
// code and spec cannot drift apart silently.
func NewServer(opts Options, apis ...*API) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Faker == nil {
		opts.Faker = NewFaker(1)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	s := &Server{
		opts:    opts,
		log:     opts.Logger.With("component", "http"),
		router:  mux.NewRouter(),
		hosts:   map[string]*API{},
		cache:   newReadCache(1024),
		literal: map[string]bool{},
	}
	// Vendor paths may legitimately hold "//" (Whereby room names start
	// with "/"): keep paths as sent.
	s.router.SkipClean(true)
	s.router.UseEncodedPath()
	s.router.NotFoundHandler = http.HandlerFunc(s.notFound)
	s.router.MethodNotAllowedHandler = http.HandlerFunc(s.methodNotAllowed)
	// Longest prefix first so that prefix lookups find the most specific API.
	sorted := append([]*API(nil), apis...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i].Prefix) > len(sorted[j].Prefix) })
	s.apis = sorted
	for _, api := range apis {
		if err := s.mount(api); err != nil {
			return nil, fmt.Errorf("mount %s: %w", api.Name, err)
		}
		for _, h := range api.Hosts {
			s.hosts[strings.ToLower(h)] = api
		}
	}
	return s, nil
}

// Routes lists "METHOD /path" for every mounted operation, for tests.
func (s *Server) Routes() []string {
	var out []string
	s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, _ := route.GetPathTemplate()
		methods, _ := route.GetMethods()
		for _, m := range methods {
			out = append(out, m+" "+tpl)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// op is one mounted operation.
type op struct {
	api     *API
	id      string
	route   *routers.Route
	handler Handler
	hasBody bool
}

func (s *Server) mount(api *API) error {
	if api.WriteError == nil {
		return errors.New("no WriteError")
	}
	if api.ValidationStatus == 0 {
		api.ValidationStatus = http.StatusUnprocessableEntity
	}
	ops := map[string]bool{}
	for _, path := range api.Doc.Paths.InMatchingOrder() {
		item := api.Doc.Paths.Value(path)
		methods := item.Operations()
		names := make([]string, 0, len(methods))
		for m := range methods {
			names = append(names, m)
		}
		sort.Strings(names)
		for _, method := range names {
			operation := methods[method]
			if operation.OperationID == "" {
				return fmt.Errorf("%s %s: no operationId", method, path)
			}
			ops[operation.OperationID] = true
			o := &op{
				api: api,
				id:  operation.OperationID,
				route: &routers.Route{
					Spec: api.Doc, Path: path, PathItem: item, Method: method, Operation: operation,
				},
				hasBody: operation.RequestBody != nil,
			}
			h := api.Handlers[o.id]
			if h == nil {
				fb, err := s.fallback(o)
				if err != nil {
					return fmt.Errorf("%s: %w", o.id, err)
				}
				h = fb
			}
			if api.Cacheable[o.id] && s.opts.Generation != nil {
				h = s.cached(o.id, h)
			}
			if api.Wrap != nil {
				h = api.Wrap(o.id, h)
			}
			o.handler = h
			// Path before method: mux 1.8.1 forgets a method mismatch when a
			// later route matches the method first, turning 405s into 404s.
			s.router.Path(api.Prefix + path).Methods(method).Handler(o)
			if !strings.Contains(path, "{") {
				s.literal[api.Prefix+path] = true
			}
		}
	}
	for id := range api.Handlers {
		if !ops[id] {
			return fmt.Errorf("handler for %q: no such operationId in the spec", id)
		}
	}
	return nil
}

// requestInfo travels in the request context.
type requestInfo struct {
	api       *API
	op        string
	workspace string
	requestID string
	body      []byte
	start     time.Time
	// vars are the path parameters of the matched route.
	vars map[string]string
	// head is set for a HEAD request, served as a GET without a body.
	head bool
}

type ctxKey struct{}

func info(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(ctxKey{}).(*requestInfo)
	if ri == nil {
		return &requestInfo{}
	}
	return ri
}

// Workspace returns the workspace that authenticated the request, or "".
func Workspace(ctx context.Context) string { return info(ctx).workspace }

// OperationID returns the operationId the request was routed to.
func OperationID(ctx context.Context) string { return info(ctx).op }

// RequestID returns the request's id (echoed in X-Request-Id).
func RequestID(ctx context.Context) string { return info(ctx).requestID }

// Body returns the raw request body, already read and size-checked.
func Body(r *http.Request) []byte { return info(r.Context()).body }

// PathParam returns the path parameter name of the matched route.
func PathParam(r *http.Request, name string) string {
	v := pathVars(r)[name]
	if strings.Contains(v, "%") {
		// Routes use encoded paths so that "%2F" stays inside one segment.
		if u, err := url.PathUnescape(v); err == nil {
			return u
		}
	}
	return v
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := &requestInfo{start: time.Now(), requestID: r.Header.Get("X-Request-Id")}
	if ri.requestID == "" || len(ri.requestID) > 128 {
		ri.requestID = newRequestID()
	}
	w.Header().Set("X-Request-Id", ri.requestID)
	if host := hostOnly(r.Host); host != "" {
		if api, ok := s.hosts[host]; ok {
			p := r.URL.Path
			if rest, ok := strings.CutPrefix(p, api.HostPrefix); ok && (rest == "" || rest[0] == '/') {
				p = api.Prefix + rest
			} else {
				// Not under the vendor's base path: let routing answer 404
				// in the vendor's shape.
				p = api.Prefix + "/__outside_base_path__" + p
			}
			r.URL.Path = p
			r.URL.RawPath = ""
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
	rec := &recorder{ResponseWriter: w, limit: s.bodyLimit(), srv: s}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "operation", ri.op, "panic", v, "stack", string(debug.Stack()))
			if !rec.wroteHeader {
				s.writeError(rec, r, &Error{Status: http.StatusInternalServerError, Message: "internal server error"})
			}
		}
		s.finish(rec, r, ri)
	}()
	s.route(rec, r, ri)
}

// route hands r to the handler of its route. It is mux.Router.ServeHTTP
// (the router skips path cleaning) without the two request copies mux makes
// to carry the match: the path parameters travel in the request's info.
func (s *Server) route(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	if r.Method == http.MethodHead {
		// HEAD is GET without the body (RFC 9110 §9.3.2); net/http drops
		// what the handler writes and keeps Content-Length.
		ri.head, r.Method = true, http.MethodGet
		defer func() { r.Method = http.MethodHead }()
	}
	var match mux.RouteMatch
	var h http.Handler
	if s.router.Match(r, &match) {
		h, ri.vars = match.Handler, match.Vars
		if len(match.Vars) > 0 && s.literal[r.URL.EscapedPath()] {
			// A literal path wins over a template (OpenAPI's matching
			// order), so the method it lacks is not allowed.
			h, ri.vars = http.HandlerFunc(s.methodNotAllowed), nil
		}
	}
	if h == nil && match.MatchErr == mux.ErrMethodMismatch {
		h = http.HandlerFunc(s.methodNotAllowed)
	}
	if h == nil {
		h = http.HandlerFunc(s.notFound)
	}
	h.ServeHTTP(w, r)
}

// pathVars returns the path parameters of r's route.
func pathVars(r *http.Request) map[string]string {
	if ri, _ := r.Context().Value(ctxKey{}).(*requestInfo); ri != nil && ri.vars != nil {
		return ri.vars
	}
	return mux.Vars(r)
}

func (s *Server) bodyLimit() int {
	if s.opts.Journal == nil {
		return 0
	}
	return s.opts.Journal.responseLimit
}

// ServeHTTP serves one operation.
func (o *op) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := info(r.Context())
	ri.api, ri.op = o.api, o.id
	srv := serverFrom(w)
	if err := o.serve(w, r, ri, srv); err != nil {
		srv.writeError(w, r, AsError(err))
	}
}

func (o *op) serve(w http.ResponseWriter, r *http.Request, ri *requestInfo, srv *Server) error {
	limit := srv.opts.MaxBodyBytes
	if o.api.MaxBodyBytes > 0 {
		limit = o.api.MaxBodyBytes
	}
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
			}
			return &Error{Status: http.StatusBadRequest, Message: "request body could not be read"}
		}
		ri.body = body
	}
	r.Body = io.NopCloser(bytes.NewReader(ri.body))
	if err := checkQuery(r.URL.RawQuery); err != nil {
		err.Status = o.api.ValidationStatus
		return err
	}
	if o.api.PathParam != nil {
		for k, v := range ri.vars {
			ri.vars[k] = o.api.PathParam(k, v)
		}
	}
	if o.api.Authenticate != nil {
		ws, err := o.api.Authenticate(r)
		if err != nil {
			return err
		}
		ri.workspace = ws
	}
	if err := o.validate(r, ri); err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(ri.body))
	if srv.opts.Intercept != nil && srv.opts.Intercept(w, r) {
		return nil
	}
	return o.handler(w, r)
}

var validationOptions = &openapi3filter.Options{
	MultiError:          false,
	SkipSettingDefaults: true,
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122)),
		openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
	},
}

func (o *op) validate(r *http.Request, ri *requestInfo) error {
	if o.hasBody && len(ri.body) > 0 && r.Header.Get("Content-Type") == "" {
		// Clients that omit the header still mean JSON (curl -d sends
		// form encoding explicitly, so this is only the bare case).
		if ct := o.defaultContentType(); ct != "" {
			r.Header.Set("Content-Type", ct)
		}
	}
	// openapi3filter decodes only the first JSON value of a body, so
	// `{"a":1} {"a":2}` would pass validation and reach the handler.
	if o.hasBody && len(ri.body) > 0 && isJSON(r.Header.Get("Content-Type")) {
		if msg, field := checkJSON(ri.body); msg != "" {
			return &Error{Status: o.api.ValidationStatus, Message: msg, Field: field}
		}
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathVars(r),
		Route:      o.route,
		Options:    validationOptions,
	}
	if err := openapi3filter.ValidateRequest(r.Context(), input); err != nil {
		fe := DescribeRequestError(err)
		return &Error{Status: o.api.ValidationStatus, Message: fe.Message, Field: fe.Field, Err: err}
	}
	return nil
}

func (o *op) defaultContentType() string {
	rb := o.route.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		return ""
	}
	if rb.Value.Content.Get("application/json") != nil {
		return "application/json"
	}
	for ct := range rb.Value.Content {
		return ct
	}
	return ""
}

// fallback answers an operation from its spec: the success response's
// example, or fake data shaped by its schema.
func (s *Server) fallback(o *op) (Handler, error) {
	status, mt := successResponse(o.route.Operation)
	if status == 0 {
		return func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}, nil
	}
	var body []byte
	if mt != nil {
		v := s.opts.Faker.Body(o.api.Name+"/"+o.id, mt)
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode fallback body: %w", err)
		}
		body = b
	}
	hasID := strings.Contains(o.route.Path, "{id}")
	return func(w http.ResponseWriter, r *http.Request) error {
		out := body
		if hasID && out != nil {
			out = withID(out, PathParam(r, "id"))
		}
		if out == nil {
			w.WriteHeader(status)
			return nil
		}
		writeBody(w, status, "application/json", out)
		return nil
	}, nil
}

// withID sets "id" of the body, or of its "data" object, to id, so that a
// generated answer for GET /things/{id} names the thing asked for.
func withID(body []byte, id string) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	target := m
	if d, ok := m["data"].(map[string]any); ok {
		target = d
	}
	if _, ok := target["id"].(string); !ok {
		return body
	}
	target["id"] = id
	b, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return b
}

// successResponse returns the lowest 2xx status of an operation and its JSON
// media type (nil when it has no body). Status 0 means none is declared.
func successResponse(op *openapi3.Operation) (int, *openapi3.MediaType) {
	best := 0
	var mt *openapi3.MediaType
	for code, ref := range op.Responses.Map() {
		var n int
		if _, err := fmt.Sscanf(code, "%d", &n); err != nil || n < 200 || n > 299 {
			continue
		}
		if best != 0 && n > best {
			continue
		}
		best = n
		mt = nil
		if ref.Value != nil {
			mt = ref.Value.Content.Get("application/json")
		}
	}
	return best, mt
}

// apiFor returns the API a path belongs to, for the shape of its error: the
// API whose prefix it is under, else the one whose first prefix segment it
// shares (/whippy/v2/x is still Whippy's to answer), else the default API.
func (s *Server) apiFor(path string) *API {
	for _, api := range s.apis {
		if strings.HasPrefix(path, api.Prefix) && (len(path) == len(api.Prefix) || path[len(api.Prefix)] == '/') {
			return api
		}
	}
	first := func(p string) string {
		seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		return seg
	}
	var def *API
	for _, api := range s.apis {
		if seg := first(api.Prefix); seg != "" && seg == first(path) {
			return api
		}
		if api.Default {
			def = api
		}
	}
	return def
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	ri := info(r.Context())
	ri.api = s.apiFor(r.URL.Path)
	s.writeError(w, r, &Error{Status: http.StatusNotFound, Message: "Not found"})
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	ri := info(r.Context())
	ri.api = s.apiFor(r.URL.Path)
	if ri.api != nil && ri.api.MethodNotAllowedStatus == http.StatusNotFound {
		s.notFound(w, r)
		return
	}
	var allowed []string
	literal := s.literal[r.URL.EscapedPath()]
	s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if tpl, _ := route.GetPathTemplate(); literal && strings.Contains(tpl, "{") {
			return nil
		}
		var m mux.RouteMatch
		probe := r.Clone(r.Context())
		methods, _ := route.GetMethods()
		for _, method := range methods {
			probe.Method = method
			if route.Match(probe, &m) {
				allowed = append(allowed, method)
			}
		}
		return nil
	})
	if slices.Contains(allowed, http.MethodGet) && !slices.Contains(allowed, http.MethodHead) {
		allowed = append(allowed, http.MethodHead)
	}
	sort.Strings(allowed)
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
	}
	method := r.Method
	if ri.head {
		method = http.MethodHead
	}
	s.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Message: fmt.Sprintf("Method %s is not allowed here", method)})
}

// writeError writes e in the shape of the request's API, logging the cause
// of server errors (never sent).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	ri := info(r.Context())
	if e.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "operation", ri.op, "status", e.Status, "err", e.Err)
	}
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if ri.api == nil || ri.api.WriteError == nil {
		WriteJSON(w, e.Status, map[string]any{"error": e.Message})
		return
	}
	ri.api.WriteError(w, r, e)
}

func (s *Server) finish(rec *recorder, r *http.Request, ri *requestInfo) {
	d := time.Since(ri.start)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	api := ""
	if ri.api != nil {
		api = ri.api.Name
	}
	method := r.Method
	if ri.head {
		method = http.MethodHead
	}
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.Debug("request", "api", api, "method", method, "path", r.URL.Path, "operation", ri.op,
			"status", status, "duration", d, "workspace", ri.workspace, "request_id", ri.requestID)
	}
	if s.opts.Journal == nil || ri.api == nil || ri.api.NoJournal {
		return
	}
	s.opts.Journal.Record(store.JournalEntry{
		At:             ri.start,
		WorkspaceID:    ri.workspace,
		Vendor:         api,
		OperationID:    ri.op,
		Method:         method,
		Path:           r.URL.Path,
		Query:          r.URL.RawQuery,
		Status:         status,
		Duration:       d,
		RequestID:      ri.requestID,
		RequestHeaders: headerJSON(r.Header),
		RequestBody:    clip(ri.body, s.opts.Journal.bodyLimit),
		ResponseBody:   rec.body,
	})
}

// recorder captures the status and the first bytes of a response. It
// carries the server so that operation handlers reach it without globals.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	limit       int
	body        []byte // the first limit bytes of the answer
	srv         *Server
}

func (rec *recorder) WriteHeader(code int) {
	if rec.wroteHeader {
		return
	}
	rec.wroteHeader = true
	rec.status = code
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if !rec.wroteHeader {
		rec.WriteHeader(http.StatusOK)
	}
	rec.keep(b, false)
	return rec.ResponseWriter.Write(b)
}

// keep records the start of b. An answer that is never changed once
// written (frozen) and not much larger than the limit is kept by
// reference rather than copied.
func (rec *recorder) keep(b []byte, frozen bool) {
	room := rec.limit - len(rec.body)
	if room <= 0 || len(b) == 0 {
		return
	}
	n := min(room, len(b))
	if frozen && len(rec.body) == 0 && len(b) <= 4*rec.limit {
		rec.body = b[:n:n] // a later append copies
		return
	}
	rec.body = append(rec.body, b[:n]...)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func serverFrom(w http.ResponseWriter) *Server {
	if rec, ok := w.(*recorder); ok && rec.srv != nil {
		return rec.srv
	}
	return nil
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	WriteRaw(w, status, b)
}

// WriteRaw writes an already-encoded JSON body with status. The body must
// not be changed afterwards: the journal may keep it by reference.
func WriteRaw(w http.ResponseWriter, status int, body []byte) {
	writeBody(w, status, "application/json; charset=utf-8", body)
}

// writeBody writes a whole answer. A known Content-Length spares the
// chunked encoding, and with it a second write to the connection for
// answers of a few kilobytes.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	if status == http.StatusNoContent || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if rec, ok := w.(*recorder); ok {
		// Bodies given here are not changed afterwards.
		rec.keep(body, true)
		rec.ResponseWriter.Write(body)
		return
	}
	w.Write(body)
}

// DecodeJSON decodes the request body into v. The body has already passed
// validation, so a failure here means the spec is looser than the handler;
// it is reported as a validation error naming the field when there is one.
//
// JSON Schema counts 2.0 and 2e0 as integers, so a body the spec accepts
// may hold them where the handler has an int: they are decoded as the
// integers they are.
func DecodeJSON(r *http.Request, v any) error {
	body := Body(r)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
		if b, ok := integralNumbers(body); ok && json.Unmarshal(b, v) == nil {
			return nil
		}
	}
	if err == nil {
		return nil
	}
	status := http.StatusUnprocessableEntity
	if api := info(r.Context()).api; api != nil {
		status = api.ValidationStatus
	}
	e := &Error{Status: status, Message: "request body does not match the expected shape", Err: err}
	if errors.As(err, &te) && te.Field != "" {
		e.Field, e.Message = te.Field, te.Field+" has the wrong type"
		if strings.HasPrefix(te.Value, "number") {
			e.Message = te.Field + " is out of range"
		}
	}
	return e
}

// integralNumbers rewrites the numbers of a JSON document that are whole
// but written with a fraction or an exponent (2.0, 2e0) as integers. It
// reports false when the document has none.
func integralNumbers(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil, false
	}
	changed := false
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				v[k] = walk(x)
			}
		case []any:
			for i, x := range v {
				v[i] = walk(x)
			}
		case json.Number:
			if !strings.ContainsAny(string(v), ".eE") {
				return v
			}
			f, _, err := big.ParseFloat(string(v), 10, 256, big.ToNearestEven)
			if err != nil || !f.IsInt() {
				return v
			}
			i, acc := f.Int64()
			if acc != big.Exact {
				return v
			}
			changed = true
			return json.Number(strconv.FormatInt(i, 10))
		}
		return v
	}
	doc = walk(doc)
	if !changed {
		return nil, false
	}
	b, err := json.Marshal(doc)
	return b, err == nil
}

func hostOnly(hostport string) string {
	if hostport == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.ToLower(h)
	}
	return strings.ToLower(hostport)
}

func headerJSON(h http.Header) []byte {
	keys := make([]string, 0, len(h))
	size := 2
	for k, vs := range h {
		keys = append(keys, k)
		size += len(k) + 6
		for _, v := range vs {
			size += len(v) + 3
		}
	}
	sort.Strings(keys)
	b := make([]byte, 0, size+16)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':', '[')
		secret := strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "X-Whippy-Key")
		for j, v := range h[k] {
			if j > 0 {
				b = append(b, ',')
			}
			if secret {
				v = redact(v)
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string, as encoding/json would
// without HTML escaping: invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// redact keeps enough of a credential to tell keys apart in the journal:
// its first and last four characters, after the scheme of an Authorization
// value ("Bearer …"). Keys of eight characters or fewer, which only tests
// use, are kept whole.
func redact(s string) string {
	scheme := ""
	if sp := strings.IndexByte(s, ' '); sp > 0 {
		scheme, s = s[:sp+1], s[sp+1:]
	}
	if len(s) <= 8 {
		return scheme + s
	}
	return scheme + s[:4] + "…" + s[len(s)-4:]
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
