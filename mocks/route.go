package mocks

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/gorilla/mux"
)

// route hands r to the operation of its route, or answers the API's 404 or
// 405. It is mux.Router.ServeHTTP (the router skips path cleaning) without
// the two request copies mux makes to carry the match: the path parameters
// travel in the request's info.
func (s *Server) route(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	if r.Method == http.MethodHead {
		// HEAD is GET without the body (RFC 9110 §9.3.2); net/http drops
		// what the handler writes and keeps Content-Length.
		ri.head, r.Method = true, http.MethodGet
		defer func() { r.Method = http.MethodHead }()
	}
	if o := s.direct[routeKey{r.Method, r.URL.EscapedPath()}]; o != nil {
		o.ServeHTTP(w, r)
		return
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

// routeKey is a method and an escaped path.
type routeKey struct{ method, path string }

// checkDirect keeps in s.direct only the paths that the router itself
// routes to the same operation, so that the map is only a shortcut: the
// router tries every route in turn, with a regular expression each.
func (s *Server) checkDirect() {
	for k, o := range s.direct {
		u := &url.URL{Path: k.path}
		var match mux.RouteMatch
		if u.EscapedPath() != k.path || !s.router.Match(&http.Request{Method: k.method, URL: u}, &match) || match.Handler != http.Handler(o) {
			delete(s.direct, k)
		}
	}
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

// unrouted prepares the answer to a request no operation takes: the API
// whose shape it gets, and the workspace its credential names, so that the
// journal files it with the workspace's other requests. The body is read
// (within the body limit) for the journal and for a credential sent in a
// form body (a Zipwhip session); one over the limit is left unread.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) *requestInfo {
	ri := info(r.Context())
	ri.api = s.apiFor(r.URL.Path)
	if r.Body != nil && r.Body != http.NoBody && ri.body == nil {
		limit := s.opts.MaxBodyBytes
		if ri.api != nil && ri.api.MaxBodyBytes > 0 {
			limit = ri.api.MaxBodyBytes
		}
		if body, err := readAll(w, r, limit); err == nil {
			ri.body, ri.params = body, nil
		}
		r.Body.Close()
		resetBody(r, ri)
	}
	if ri.api != nil && ri.api.Identify != nil {
		ri.workspace = ri.api.Identify(r)
	}
	return ri
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.unrouted(w, r)
	s.writeError(w, r, &Error{Code: ENOTFOUND, Message: "Not found"})
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	ri := s.unrouted(w, r)
	if ri.api != nil && ri.api.MethodNotAllowed != "" && ri.api.MethodNotAllowed != EMETHOD {
		// The vendor's framework does not tell a missing method from a
		// missing path.
		s.writeError(w, r, &Error{Code: ri.api.MethodNotAllowed, Message: "Not found"})
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
	s.writeError(w, r, &Error{Code: EMETHOD, Message: fmt.Sprintf("Method %s is not allowed here", method)})
}
