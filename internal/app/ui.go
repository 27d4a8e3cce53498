package app

import (
	"net/http"
	"strings"

	"github.com/vendorsim/vendorsim/internal/ui"
)

// withUI serves the dashboard (package ui) at /_sandbox/ui/ beside h, the
// pipeline of every API. The control API's pipeline mounts only the
// operations of specs/sandbox.yaml, so the dashboard, which is not an API
// operation, is routed here before it: any plain http.Handler mounted
// under the control API's prefix goes the same way.
//
// The dashboard sits behind the same control token as the control API
// (server.control_token): the page and its event stream need it (header
// or cookie, ui.TokenGuard), and every call the page makes to the control
// API carries it in X-Sandbox-Token, where h's own check (sandbox.Guard)
// applies.
func (a *App) withUI(h http.Handler) http.Handler {
	dash := ui.New(ui.Options{Commits: a.DB.Commits, Authorized: ui.TokenGuard(a.cfg.Server.ControlToken)})
	root := strings.TrimSuffix(ui.Prefix, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == root || strings.HasPrefix(p, ui.Prefix) {
			dash.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
