package mocks

import (
	"net"
	"net/http"
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
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, api.HostPrefix); ok && (rest == "" || rest[0] == '/') {
		p = api.Prefix + rest
	} else {
		// Not under the vendor's base path: let routing answer 404 in the
		// vendor's shape.
		p = api.Prefix + "/__outside_base_path__" + p
	}
	r.URL.Path = p
	r.URL.RawPath = ""
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
