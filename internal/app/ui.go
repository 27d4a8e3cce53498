package app

import (
	"net/http"
	"strings"

	"vendorsim/internal/ui"
)

// withUI serves the dashboard (package ui) at /_sandbox/ui/ beside h, the
// pipeline of every API. The control API's pipeline mounts only the
// operations of specs/sandbox.yaml, so the dashboard, which is not an API
// operation, is routed here before it: any plain http.Handler mounted
// under the control API's prefix goes the same way.
//
// The dashboard's own guard is ui.Options.Authorized. With a control
// token, wire ui.TokenGuard(token): the page and its event stream then
// need the token (header or cookie), and every call the page makes to the
// control API carries it in X-Sandbox-Token, where h's own check applies.
func (a *App) withUI(h http.Handler) http.Handler {
	dash := ui.New(ui.Options{Commits: a.DB.Commits, Authorized: a.uiGuard})
	root := strings.TrimSuffix(ui.Prefix, "/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == root || strings.HasPrefix(p, ui.Prefix) {
			dash.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
