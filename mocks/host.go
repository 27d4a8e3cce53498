package mocks

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// rewriteHost gives a request for a vendor host alias (api.whippy.co) the
// local path of the vendor's API: the vendor's base path becomes the API's
// prefix. The control API is not served on vendor hosts.
func (s *Server) rewriteHost(r *http.Request) {
	host := hostOnly(r.Host)
	if host == "" {
		return
	}
	api, ok := s.hosts[host]
	if !ok {
		return
	}
	// The escaped path, so that an encoded slash ("%2F") stays inside its
	// segment (routes match encoded paths).
	p := r.URL.EscapedPath()
	if rest, ok := strings.CutPrefix(p, api.HostPrefix); ok && (rest == "" || rest[0] == '/') {
		p = api.Prefix + rest
	} else {
		// Not under the vendor's base path: let routing answer 404 in the
		// vendor's shape.
		p = api.Prefix + "/__outside_base_path__" + p
	}
	setEscapedPath(r, p)
}

// rewritePath lets the API of the request's path rewrite it before routing
// (API.RoutePath), and returns that API (nil for none).
func (s *Server) rewritePath(r *http.Request) *API {
	esc := r.URL.EscapedPath()
	api := s.apiFor(esc)
	if api == nil || api.RoutePath == nil {
		return api
	}
	if p := api.RoutePath(esc); p != esc {
		setEscapedPath(r, p)
	}
	return api
}

// setEscapedPath gives r the escaped path p.
func setEscapedPath(r *http.Request, p string) {
	path, err := url.PathUnescape(p)
	if err != nil {
		r.URL.Path, r.URL.RawPath = p, ""
		return
	}
	r.URL.Path, r.URL.RawPath = path, p
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
