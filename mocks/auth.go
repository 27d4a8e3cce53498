package mocks

import (
	"errors"
	"net/http"
)

// authenticate finds the request's workspace with the API's Authenticate.
// A request that fails is still filed under the workspace its credential
// names (API.Identify), so that a test sees its own wrong calls.
func authenticate(c *call) error {
	api := c.op.api
	if api.Authenticate == nil {
		return nil
	}
	ws, err := api.Authenticate(c.r)
	if err != nil {
		if api.Identify != nil {
			c.ri.workspace = api.Identify(c.r)
		}
		return err
	}
	c.ri.workspace = ws
	return nil
}

// ErrUnauthenticated is the error of a request without a credential the
// vendor accepts.
var ErrUnauthenticated = &Error{Code: EUNAUTHENTICATED, Message: "Not authenticated"}

// Authenticator returns an API's Authenticate and Identify for a vendor
// whose requests carry their credential at sources: the first source that
// holds one decides. An unknown credential gets a workspace of its own
// unless its source is Existing or authentication is strict.
func (w *Workspaces) Authenticator(vendor string, sources []CredentialSource) (auth func(*http.Request) (string, error), identify func(*http.Request) string) {
	auth = func(r *http.Request) (string, error) {
		for _, src := range sources {
			v := src.Read(r)
			if v == "" {
				continue
			}
			if src.Existing {
				if ws, ok := w.DB.Resolve(vendor, v); ok {
					return ws, nil
				}
				return "", ErrUnauthenticated
			}
			ws, err := w.Resolve(r.Context(), vendor, v)
			if errors.Is(err, ErrUnknownCredential) {
				return "", ErrUnauthenticated
			}
			return ws, err
		}
		return "", ErrUnauthenticated
	}
	identify = func(r *http.Request) string {
		for _, src := range sources {
			if v := src.Read(r); v != "" {
				return w.Identify(vendor, v, !src.Existing)
			}
		}
		return ""
	}
	return auth, identify
}
