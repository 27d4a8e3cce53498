// Package mocks is the request pipeline shared by every API vendorsim
// serves, and the seam through which vendors plug in (Vendor).
//
// Routes come from an OpenAPI document: every operation becomes a gorilla/mux
// route under the API's prefix, without being listed by hand. A request
// passes through these stages, in order, each in a file of its own:
//
//  1. request id, panic recovery and the response recorder (server.go, record.go)
//  2. host routing: a vendor host alias gets the vendor's own paths, and an
//     API may rewrite its escaped paths (API.RoutePath) (host.go)
//  3. route match: the operation, or the API's 404 / 405 (route.go)
//  4. body: read whole, up to the body limit, or 413 (body.go); every later
//     stage reads it through Body and Params, never from the request
//  5. query string read whole or refused (input.go); path ids canonicalised
//  6. authentication: the workspace, from the vendor's credential (auth.go)
//  7. request validation against the spec, JSON and form bodies alike,
//     errors naming the field (validate.go, form.go, reqerr.go)
//  8. faults: a rule may answer instead, in the API's shape (fault.go)
//  9. the handler for the operationId, through the read cache for reads
//     (cache.go), or an answer built from the spec (fallback.go)
//  10. the journal, with the API's credentials redacted (record.go, redact.go)
//
// A handler returns an *Error (a Code, a message, the field); the API's
// WriteError is the one place it becomes the vendor's status and body.
// Vendor packages supply their API through the Vendor interface.
package mocks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gorilla/mux"

	"github.com/vendorsim/vendorsim/store"
)

// Handler serves one operation. A returned error is turned into the API's
// error envelope in one place; a handler that returns an error must not have
// written to w.
type Handler func(w http.ResponseWriter, r *http.Request) error

// API is one served API.
type API struct {
	// Name identifies the API in logs, the journal and the control API: a
	// vendor's name, or "sandbox".
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
	// (typically EUNAUTHENTICATED). Nil means no authentication.
	Authenticate func(r *http.Request) (string, error)
	// Credentials are where the API's requests carry credentials: the
	// journal redacts them, and files a request that fails before or at
	// authentication under the workspace its credential names.
	Credentials []CredentialSource
	// Secrets name more query or form body parameters that the journal
	// redacts (a password), without being credentials.
	Secrets []string
	// RedactAnswer, when set, returns the journaled answer of an
	// operation with its secrets redacted (a login's session key), or body
	// itself when it holds none. It must not change body, which may be
	// shared (the read cache's answers), and gets only its journaled start.
	RedactAnswer func(operationID string, body []byte) []byte
	// Identify, when set, returns the workspace a credential names without
	// creating one (for the journal of failed requests).
	Identify func(r *http.Request) string
	// Handlers maps operationIds to stateful handlers.
	Handlers map[string]Handler
	// WriteError writes e in the API's error envelope, choosing the status
	// from e's code (Error.HTTPStatus).
	WriteError func(w http.ResponseWriter, r *http.Request, e *Error)
	// Wrap, when set, wraps every operation's handler (stateful or not);
	// rate limiting uses it.
	Wrap func(operationID string, h Handler) Handler
	// Cacheable lists read operations whose answers depend only on the
	// request and the workspace's stored data; they are served from memory
	// while the workspace sees no write (Options.Generation).
	Cacheable map[string]bool
	// NoJournal keeps this API's requests out of the journal, but those
	// of the operations Journaled names.
	NoJournal bool
	Journaled map[string]bool
	// MaxBodyBytes overrides the server's body limit for this API.
	MaxBodyBytes int64
	// PathParam, when set, canonicalises a path parameter's value before
	// validation and the handler see it (Whippy's ids are UUIDs, which
	// PostgreSQL reads in any case).
	PathParam func(name, value string) string
	// RoutePath, when set, rewrites the escaped path of a request under
	// the API's prefix before routing: a vendor whose path parameters may
	// hold a raw "/" (names that start with one) encodes it so
	// that the parameter stays one segment.
	RoutePath func(escapedPath string) string
	// FormParams marks an API whose parameters come as a form body, a query
	// string or both: they are merged (see Params) and validated as the
	// operation's application/x-www-form-urlencoded body.
	FormParams bool
	// MethodNotAllowed, when set, is the code of a request whose path exists
	// without its method (a framework that answers 404 there); by default
	// EMETHOD, a 405 with Allow.
	MethodNotAllowed Code
	// Default marks the API whose error shape answers requests that no
	// API's prefix claims.
	Default bool

	// secretHeaders (lower case) and secretParams are where Credentials
	// (and Secrets) are, redacted in the journal.
	secretHeaders, secretParams map[string]bool
	// headers remembers the JSON of a header set for the journal
	// (requestHeaders); headerMisses counts the sets unlike it, bodyMisses
	// the bodies.
	headers      atomic.Pointer[headerMemo]
	headerMisses atomic.Uint64
	// answers remembers the JSON of an answer's header set the same way
	// (responseHeaders).
	answers      atomic.Pointer[headerMemo]
	answerMisses atomic.Uint64
	// body remembers the redaction of a form body (redactedBody).
	body       atomic.Pointer[bodyMemo]
	bodyMisses atomic.Uint64
}

// Options configure a Server.
type Options struct {
	Logger       *slog.Logger
	Faker        *Faker
	Journal      *Journal
	MaxBodyBytes int64
	// Fault, when set, runs after authentication and validation (see
	// fault.go).
	Fault Fault
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
	// valid remembers reads that passed validation (validate.go).
	valid *validMemo
	// literal holds the mounted paths without parameters: a request for
	// one of them with a method it lacks is a 405, even when a templated
	// path (GET /deliveries/{id} for POST /deliveries/flush) would match.
	literal map[string]bool
	// direct maps a method and a mounted path without parameters to its
	// operation, where the router agrees (route.go).
	direct map[routeKey]*op
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
		valid:   &validMemo{max: 4096},
		literal: map[string]bool{},
		direct:  map[routeKey]*op{},
	}
	// Vendor paths may legitimately hold "//" (Whereby room names start
	// with "/"): keep paths as sent.
	s.router.SkipClean(true)
	s.router.UseEncodedPath()
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
	s.checkDirect()
	return s, nil
}

// APIs returns the mounted APIs, longest prefix first (the order in which
// a path finds its API). Their documents are the ones served: a caller must
// not change them.
func (s *Server) APIs() []*API { return append([]*API(nil), s.apis...) }

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
	// memoable marks a read whose validation depends only on its path,
	// query, content type and body (validate.go).
	memoable bool
}

func (s *Server) mount(api *API) error {
	if api.WriteError == nil {
		return errors.New("no WriteError")
	}
	api.secretHeaders, api.secretParams = map[string]bool{}, map[string]bool{}
	for _, c := range api.Credentials {
		if c.Header != "" {
			api.secretHeaders[strings.ToLower(c.Header)] = true
		}
		if c.Param != "" {
			api.secretParams[c.Param] = true
		}
	}
	for _, p := range api.Secrets {
		api.secretParams[p] = true
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
			o.memoable = api.Cacheable[o.id] && !hasHeaderParams(item, operation)
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
				if k := (routeKey{method, api.Prefix + path}); s.direct[k] == nil {
					s.direct[k] = o
				}
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

// ServeHTTP implements http.Handler: stages 1 to 3 and 10 (see the package
// documentation); the operation runs the others (op.ServeHTTP).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := &requestInfo{start: time.Now(), requestID: r.Header.Get("X-Request-Id"), srv: s}
	if ri.requestID == "" || len(ri.requestID) > 128 {
		ri.requestID = newRequestID()
	}
	// The header's value slice lives in ri, allocated anyway.
	ri.idHeader[0] = ri.requestID
	w.Header()["X-Request-Id"] = ri.idHeader[:1:1]
	s.rewriteHost(r)
	ctx := context.WithValue(r.Context(), ctxKey{}, ri)
	if api := s.rewritePath(r); api != nil && !api.NoJournal {
		// A vendor request (the control API journals only its
		// simulators): the deliveries of the events its updates emit
		// name it, as the journal does.
		ctx = store.WithRequestID(ctx, ri.requestID)
	}
	r = r.WithContext(ctx)
	// The recorder and the operation's call live in ri: one allocation.
	rec := &ri.rec
	*rec = recorder{ResponseWriter: w, limit: s.bodyLimit()}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				// An answer cut short on purpose (a fault): still journaled.
				s.finish(rec, r, ri)
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "operation", ri.op, "panic", v, "stack", string(debug.Stack()))
			if !rec.wroteHeader {
				s.writeError(rec, r, &Error{Code: EINTERNAL, Message: "internal server error"})
			}
		}
		s.finish(rec, r, ri)
	}()
	s.route(rec, r, ri)
}

// stage is one step of serving an operation: it passes (nil) or ends the
// request with an error, written in the API's shape.
type stage func(c *call) error

// call is one request on its way through an operation's stages.
type call struct {
	w   http.ResponseWriter
	r   *http.Request
	ri  *requestInfo
	op  *op
	srv *Server
	// done is set by a stage that answered the request itself.
	done bool
}

// stages are stages 4 to 9, in order (see the package documentation).
var stages = []stage{
	readBody,     // body.go
	checkRequest, // input.go
	authenticate, // auth.go
	validate,     // validate.go
	applyFault,   // fault.go
	handle,       // the handler (through cache.go) or fallback.go
}

// ServeHTTP serves one operation through its stages.
func (o *op) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := info(r.Context())
	ri.api, ri.op = o.api, o.id
	c := &ri.call
	*c = call{w: w, r: r, ri: ri, op: o, srv: ri.srv}
	defer func() {
		if f, ok := c.w.(interface{ Finish() }); ok {
			f.Finish()
		}
	}()
	for _, st := range stages {
		if err := st(c); err != nil {
			c.srv.writeError(c.w, r, AsError(err))
			return
		}
		if c.done {
			return
		}
	}
}

// handle runs the operation's handler.
func handle(c *call) error {
	resetBody(c.r, c.ri)
	c.done = true
	return c.op.handler(c.w, c.r)
}

// writeError writes e in the shape of the request's API, logging the cause
// of internal errors (never sent).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	ri := info(r.Context())
	if e.Code == "" {
		e.Code = codeOf(e.Status)
	}
	switch {
	case ri.fault != "":
		// An answer a fault rule asked for is no failure of the server.
		s.log.Debug("fault answered", "method", r.Method, "path", r.URL.Path, "operation", ri.op, "fault", ri.fault, "code", e.Code)
	case e.Code == EINTERNAL || e.Status >= 500:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "operation", ri.op, "code", e.Code, "err", e.Err)
	}
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if ri.api == nil || ri.api.WriteError == nil {
		WriteJSON(w, e.HTTPStatus(nil), map[string]any{"error": e.Message})
		return
	}
	ri.api.WriteError(w, r, e)
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hasHeaderParams reports whether an operation (or its path) declares
// header or cookie parameters.
func hasHeaderParams(item *openapi3.PathItem, operation *openapi3.Operation) bool {
	for _, ps := range []openapi3.Parameters{item.Parameters, operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && (p.Value.In == openapi3.ParameterInHeader || p.Value.In == openapi3.ParameterInCookie) {
				return true
			}
		}
	}
	return false
}
