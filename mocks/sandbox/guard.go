package sandbox

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/vendorsim/vendorsim/mocks"
)

// TokenHeader carries the control token (Guard).
const TokenHeader = "X-Sandbox-Token"

// HealthPath is the control API's health check, which Guard leaves open
// so that container health checks need no secret.
const HealthPath = "/_sandbox/health"

// isControl reports whether path is under the control API's prefix.
func isControl(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// Guard protects the control API (mounted at prefix) of h, the server of
// every API. With a token, every control call but the health check must
// carry it in X-Sandbox-Token, or gets a 401 in the control API's error
// shape; the vendor APIs are not touched. Without one, h is returned as
// is. A refused request never reaches the pipeline, so it is not
// journaled, and the token is never logged.
func Guard(h http.Handler, prefix, token string) http.Handler {
	if token == "" {
		return h
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isControl(r.URL.Path, prefix) && r.URL.Path != HealthPath {
			got := r.Header.Get(TokenHeader)
			if got == "" {
				writeGuardError(w, http.StatusUnauthorized, "the control API needs its token in "+TokenHeader)
				return
			}
			if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
				writeGuardError(w, http.StatusUnauthorized, "wrong "+TokenHeader)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// Split serves h without its control API (but its health check), for the
// main listener when the control API has its own (Only).
func Split(h http.Handler, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isControl(r.URL.Path, prefix) && r.URL.Path != HealthPath {
			writeGuardError(w, http.StatusNotFound, "the control API is served on its own address (server.control_addr)")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Only serves h's control API alone, for a listener of its own.
func Only(h http.Handler, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isControl(r.URL.Path, prefix) {
			writeGuardError(w, http.StatusNotFound, "this address serves the control API only ("+prefix+"/...)")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func writeGuardError(w http.ResponseWriter, status int, msg string) {
	mocks.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code(status), "message": msg}})
}
