// Package ui serves the web dashboard at /_sandbox/ui/: plain HTML, CSS and
// JavaScript embedded in the binary (no build step, nothing fetched at run
// time). The page reads and acts through the control API only, with fetch
// calls to /_sandbox/..., so everything it shows a script can do too. The
// package itself serves the assets and one stream of its own,
// /_sandbox/ui/events, which tells open pages that the store changed (see
// Events).
package ui

import (
	"crypto/subtle"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Prefix is where the dashboard is mounted.
const Prefix = "/_sandbox/ui/"

// TokenHeader is the header that carries the control token; the page's
// fetches send it, and the page and its event stream accept it.
const TokenHeader = "X-Sandbox-Token"

// TokenCookie carries the control token for what a browser loads without
// script-set headers (the page itself, the event stream). The page sets it
// (SameSite=Strict, path /_sandbox/ui/) when the token is typed in.
const TokenCookie = "vendorsim_token"

//go:embed assets
var assets embed.FS

// Options configure the dashboard.
type Options struct {
	// Commits returns a value that changes whenever the store commits a
	// write (store.DB.Commits); the event stream polls it. Nil disables
	// live updates (the stream only sends heartbeats).
	Commits func() uint64
	// Authorized reports whether a request may load the page and its event
	// stream; nil lets everyone in. TokenGuard builds the check that
	// matches the control API's token.
	Authorized func(r *http.Request) bool
	// Interval is how often the event stream looks at Commits (default
	// 250 ms). A look is an atomic load: no query runs until it moves.
	Interval time.Duration
	// Heartbeat is how often an idle stream sends a comment, so that
	// proxies keep it open (default 15 s).
	Heartbeat time.Duration
}

// TokenGuard returns the Authorized check for a control token: the request
// must carry token in the X-Sandbox-Token header or the vendorsim_token
// cookie. An empty token lets everyone in (nil).
func TokenGuard(token string) func(r *http.Request) bool {
	if token == "" {
		return nil
	}
	want := []byte(token)
	return func(r *http.Request) bool {
		got := r.Header.Get(TokenHeader)
		if got == "" {
			if c, err := r.Cookie(TokenCookie); err == nil {
				// The page writes the cookie with encodeURIComponent.
				if v, err := url.PathUnescape(c.Value); err == nil {
					got = v
				}
			}
		}
		return got != "" && subtle.ConstantTimeCompare([]byte(got), want) == 1
	}
}

// Handler serves the dashboard under Prefix.
type Handler struct {
	opts   Options
	static http.Handler
}

// New returns the dashboard's handler, to be mounted at Prefix.
func New(opts Options) *Handler {
	if opts.Interval <= 0 {
		opts.Interval = 250 * time.Millisecond
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return &Handler{opts: opts, static: http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(sub))}
}

// ServeHTTP serves the page (index.html for Prefix), its static assets
// and the event stream. The page and the stream are behind Authorized;
// the assets are code without data and are served to anyone, so that the
// token form can load its script.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
	switch rest {
	case "", "index.html":
		if !h.allowed(r) {
			h.serveAsset(w, r, "login.html", http.StatusUnauthorized)
			return
		}
		h.serveAsset(w, r, "index.html", http.StatusOK)
	case "events":
		if !h.allowed(r) {
			http.Error(w, "the dashboard needs the control token", http.StatusUnauthorized)
			return
		}
		h.events(w, r)
	case "login.html":
		http.NotFound(w, r)
	default:
		w.Header().Set("Cache-Control", "no-cache")
		h.static.ServeHTTP(w, r)
	}
}

func (h *Handler) allowed(r *http.Request) bool {
	return h.opts.Authorized == nil || h.opts.Authorized(r)
}

// serveAsset writes one embedded HTML file with status.
func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request, name string, status int) {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		http.Error(w, "missing asset", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}
