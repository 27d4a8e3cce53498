// Package apptest runs a whole vendorsim on an httptest server with an
// in-memory store, and gives tests a client that validates every response
// against the spec of the API that answered it.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/coalesce"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
)

// Server is a running vendorsim.
type Server struct {
	*httptest.Server
	App *app.App
	tb  testing.TB
	// apis maps local prefixes to the spec routers that validate answers.
	apis []apiSpec
	stop sync.Once
}

type apiSpec struct {
	name   string
	prefix string
	doc    *openapi3.T
	router routers.Router
	// fallback marks the API whose errors paths of no API get.
	fallback bool
}

// Option changes how a test server is made.
type Option func(*options)

type options struct {
	cfg     config.Config
	log     *slog.Logger
	vendors []mocks.Vendor
}

// WithConfig applies fn to the configuration.
func WithConfig(fn func(*config.Config)) Option { return func(o *options) { fn(&o.cfg) } }

// WithVendors adds vendors to the app's list (app.Vendors), as a new
// vendor is added there: a test's own vendor.
func WithVendors(vs ...mocks.Vendor) Option {
	return func(o *options) { o.vendors = append(o.vendors, vs...) }
}

// WithLogger gives the server log (default: none).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// New starts a vendorsim with an in-memory database and the default
// configuration changed by opts. It is closed when the test ends.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	o := options{cfg: app.DefaultConfig()}
	o.cfg.Server.DB = ":memory:"
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.cfg.Validate(app.Owners()...); err != nil {
		tb.Fatalf("config: %v", err)
	}
	ao := app.Options{Config: o.cfg, Version: "test", Logger: o.log}
	if len(o.vendors) > 0 {
		ao.Vendors = append(app.Vendors(), o.vendors...)
	}
	a := app.New(ao)
	if err := a.Open(context.Background()); err != nil {
		tb.Fatalf("open app: %v", err)
	}
	// The listener is the binary's: its connections coalesce writes.
	hs := httptest.NewUnstartedServer(a.Handler())
	hs.Listener = coalesce.Listener(hs.Listener, 0)
	hs.Start()
	s := &Server{Server: hs, App: a, tb: tb}
	tb.Cleanup(s.Stop)
	// Every API the app serves, with the document it serves (a vendor's
	// spec as its configuration adjusted it, the control API's with the
	// vendors' simulator paths): a vendor added to app.Vendors is
	// validated without a change here.
	for _, api := range a.Server.APIs() {
		doc := *api.Doc // the served document, with this server's URL
		doc.Servers = openapi3.Servers{{URL: s.URL + api.Prefix}}
		r, err := gorillamux.NewRouter(&doc)
		if err != nil {
			tb.Fatalf("router for %s: %v", api.Name, err)
		}
		s.apis = append(s.apis, apiSpec{name: api.Name, prefix: api.Prefix, doc: &doc, router: r, fallback: api.Default})
	}
	return s
}

// Stop closes the server and its app, as a stop of the process does
// (counters saved, database closed), so that a test can start another on
// the same database file. It runs when the test ends; stopping again does
// nothing.
func (s *Server) Stop() {
	s.stop.Do(func() {
		s.Server.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.App.Close(ctx)
	})
}

// Response is an answer that passed spec validation.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// Request describes a call.
type Request struct {
	Method string
	Path   string
	Header http.Header
	// Body is sent as is when it is a string or []byte, else as JSON.
	Body any
}

// Do sends req and validates the answer against the spec of the API it
// was sent to; a response that does not match fails the test.
func (s *Server) Do(tb testing.TB, req Request) *Response {
	tb.Helper()
	var body io.Reader
	var raw []byte
	switch b := req.Body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			tb.Fatal(err)
		}
	}
	if raw != nil {
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequest(req.Method, s.URL+req.Path, body)
	if err != nil {
		tb.Fatal(err)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	if raw != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client().Do(hr)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	out := &Response{Status: resp.StatusCode, Header: resp.Header}
	if out.Body, err = io.ReadAll(resp.Body); err != nil {
		tb.Fatal(err)
	}
	// Validate against a request rebuilt with the same inputs (the body was
	// consumed by the client).
	vr, _ := http.NewRequest(req.Method, s.URL+req.Path, bytes.NewReader(raw))
	vr.Header = hr.Header.Clone()
	if err := s.Validate(vr, out); err != nil {
		tb.Fatalf("%s %s answered %d %s\nwhich does not match the spec: %v", req.Method, req.Path, out.Status, clip(out.Body), err)
	}
	return out
}

// Validate checks a response to req against the spec: the operation's
// declared statuses, headers and body schema; for requests that match no
// operation (404, 405), the API's error schema.
func (s *Server) Validate(req *http.Request, resp *Response) error {
	if resp.Status >= 500 {
		return fmt.Errorf("server error %d", resp.Status)
	}
	api := s.apiFor(req.URL.Path)
	if api == nil {
		return fmt.Errorf("no API serves %s", req.URL.Path)
	}
	opts := responseOptions
	if req.Method == http.MethodHead {
		// HEAD is answered as GET without a body: the status and headers
		// are the GET operation's.
		if len(resp.Body) != 0 {
			return fmt.Errorf("HEAD %s answered %d bytes of body", req.URL.Path, len(resp.Body))
		}
		get := req.Clone(req.Context())
		get.Method = http.MethodGet
		route, _, err := api.router.FindRoute(get)
		if err != nil {
			if resp.Status != http.StatusNotFound && resp.Status != http.StatusMethodNotAllowed {
				return fmt.Errorf("no GET operation for HEAD %s, yet status %d", req.URL.Path, resp.Status)
			}
			return nil
		}
		if route.Operation.Responses.Status(resp.Status) == nil && route.Operation.Responses.Default() == nil {
			return fmt.Errorf("HEAD %s: status %d is not declared for GET", req.URL.Path, resp.Status)
		}
		return nil
	}
	route, params, err := api.router.FindRoute(req)
	if err != nil {
		if resp.Status != http.StatusNotFound && resp.Status != http.StatusMethodNotAllowed {
			return fmt.Errorf("no operation for %s %s, yet status %d", req.Method, req.URL.Path, resp.Status)
		}
		return validateError(api.doc, resp.Body)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 resp.Status,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(resp.Body)),
		Options:                opts,
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// responseOptions validate answers, with UUID formats checked.
var responseOptions = &openapi3filter.Options{
	IncludeResponseStatus: true,
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122)),
	},
}

// validateError checks body against the document's Error schema.
func validateError(doc *openapi3.T, body []byte) error {
	ref := doc.Components.Schemas["Error"]
	if ref == nil {
		return fmt.Errorf("spec has no Error schema")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	return ref.Value.VisitJSON(v)
}

// apiFor returns the API whose errors a path gets, as the server picks it:
// by prefix, then by the prefix's first segment, else the control API.
func (s *Server) apiFor(path string) *apiSpec {
	for i := range s.apis {
		if strings.HasPrefix(path, s.apis[i].prefix+"/") || path == s.apis[i].prefix {
			return &s.apis[i]
		}
	}
	first := func(p string) string {
		seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		return seg
	}
	var def *apiSpec
	for i := range s.apis {
		if first(s.apis[i].prefix) == first(path) {
			return &s.apis[i]
		}
		if s.apis[i].fallback {
			def = &s.apis[i]
		}
	}
	return def
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// Whippy returns a client for the Whippy API with its own API key, and so
// its own workspace.
func (s *Server) Whippy(key string) *Client {
	return &Client{s: s, prefix: "/whippy/v1", header: http.Header{"X-Whippy-Key": {key}}}
}

// Sandbox returns a client for the control API acting on the workspace of
// the given header (or on all workspaces with no header).
func (s *Server) Sandbox(header http.Header) *Client {
	return &Client{s: s, prefix: "/_sandbox", header: header}
}

// Client calls one API with fixed headers.
type Client struct {
	s      *Server
	prefix string
	header http.Header
}

// Header returns the client's headers.
func (c *Client) Header() http.Header { return c.header }

// Do sends a request under the client's prefix with its headers.
func (c *Client) Do(tb testing.TB, method, path string, body any) *Response {
	tb.Helper()
	return c.s.Do(tb, Request{Method: method, Path: c.prefix + path, Header: c.header.Clone(), Body: body})
}

// Get sends a GET.
func (c *Client) Get(tb testing.TB, path string) *Response {
	tb.Helper()
	return c.Do(tb, http.MethodGet, path, nil)
}

// Post sends a POST with a JSON body.
func (c *Client) Post(tb testing.TB, path string, body any) *Response {
	tb.Helper()
	return c.Do(tb, http.MethodPost, path, body)
}

// Want fails the test unless r has status want.
func Want(tb testing.TB, r *Response, want int) *Response {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("status %d, want %d; body %s", r.Status, want, clip(r.Body))
	}
	return r
}
