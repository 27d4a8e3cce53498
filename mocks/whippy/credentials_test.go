package whippy_test

import (
	"net/http"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// workspaceOf returns the workspace the control API selects for h.
func workspaceOf(tb testing.TB, s *apptest.Server, h http.Header, status int) string {
	tb.Helper()
	r := apptest.Want(tb, s.Sandbox(h).Get(tb, "/clock"), status)
	if status != http.StatusOK {
		return ""
	}
	return field(r.Map(tb), "workspace_id")
}

// A Whippy client that authenticates with a bearer token finds its own
// workspace through the control API; a token no vendor has used yet
// creates nothing on a guess, and X-Sandbox-Vendor names the vendor.
func TestControlAPI_BearerTokenSelectsTheVendorsWorkspace(t *testing.T) {
	s := newServer(t)
	bearer := http.Header{"Authorization": {"Bearer whippy-bearer-client"}}
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whippy/v1/contacts", Header: bearer, Body: M{"phone": "+13125550401"}})
	apptest.Want(t, r, http.StatusCreated)
	viaKey := workspaceOf(t, s, http.Header{"X-Whippy-Key": {"whippy-bearer-client"}}, http.StatusOK)
	if got := workspaceOf(t, s, bearer, http.StatusOK); got != viaKey {
		t.Errorf("control API with the bearer token selects %q, the Whippy key's workspace is %q", got, viaKey)
	}
	// Lower-case scheme (RFC 9110: schemes are case-insensitive).
	lower := http.Header{"Authorization": {"bearer whippy-bearer-client"}}
	if got := workspaceOf(t, s, lower, http.StatusOK); got != viaKey {
		t.Errorf("lower-case bearer selects %q, want %q", got, viaKey)
	}
	// A fresh token could be Whippy's or Whereby's: no guess.
	fresh := http.Header{"Authorization": {"Bearer never-used-token"}}
	workspaceOf(t, s, fresh, http.StatusNotFound)
	fresh.Set("X-Sandbox-Vendor", "whereby")
	if ws := workspaceOf(t, s, fresh, http.StatusOK); ws == "" || ws == viaKey {
		t.Errorf("X-Sandbox-Vendor: whereby selected %q", ws)
	}
}

// Whippy takes "Authorization: bearer <key>" in any case of the scheme.
func TestAuth_BearerSchemeAnyCase(t *testing.T) {
	s := newServer(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		r := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/whippy/v1/contacts", Header: http.Header{"Authorization": {scheme + " any-case-key"}}})
		apptest.Want(t, r, http.StatusOK)
	}
	r := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/whippy/v1/contacts", Header: http.Header{"Authorization": {"Basic any-case-key"}}})
	apptest.Want(t, r, http.StatusUnauthorized)
}

// A call that matches no route is journaled under the workspace of its
// key, so a test sees its own wrong calls.
func TestJournal_UnroutedCallsBelongToTheirWorkspace(t *testing.T) {
	s := newServer(t)
	key := http.Header{"X-Whippy-Key": {"journal-wrong-path"}}
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whippy/v1/messages/sms", Header: key, Body: M{"to": "+13125550402"}})
	apptest.Want(t, r, http.StatusNotFound)
	j := apptest.Want(t, s.Sandbox(key).Get(t, "/requests?path=/whippy/v1/messages/sms"), http.StatusOK).Map(t)
	if j["total"] != float64(1) {
		t.Errorf("the workspace's journal has %v entries for the wrong path, want 1: %v", j["total"], j)
	}
}
