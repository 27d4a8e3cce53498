// Package sandbox serves vendorsim's own control API under /_sandbox:
// readiness, workspaces and reset, the request journal, webhook deliveries,
// the virtual clock, scenarios and vendor-side simulators. It is described
// by specs/sandbox.yaml and served by the same pipeline as the vendor APIs.
package sandbox

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"vendorsim/mocks"
	"vendorsim/scenarios"
	"vendorsim/store"
)

// Deps are what the control API needs.
type Deps struct {
	DB         *store.DB
	Workspaces *mocks.Workspaces
	Journal    *mocks.Journal
	Version    string
	// Engine runs deliveries and scenarios; nil disables those endpoints.
	Engine *scenarios.Engine
	// Simulators are vendor-side simulations by operationId (inbound
	// messages, room participants...), supplied by the vendor packages.
	Simulators map[string]mocks.Handler
	// EventTypes lists, by vendor, the webhook event types a subscription
	// through the control API may name; a vendor not listed has no webhooks
	// to subscribe to.
	EventTypes map[string][]string
}

// Sandbox is the control API.
type Sandbox struct {
	d       Deps
	started time.Time
	ready   atomic.Bool
}

// New returns the control API. It reports "starting" until SetReady.
func New(d Deps) *Sandbox {
	return &Sandbox{d: d, started: time.Now()}
}

// SetReady marks the server ready (migrations and seed done).
func (s *Sandbox) SetReady() { s.ready.Store(true) }

// API describes the control API for the pipeline, mounted at prefix.
func (s *Sandbox) API(doc *openapi3.T, prefix string) *mocks.API {
	h := map[string]mocks.Handler{
		"getHealth":       s.health,
		"reset":           s.reset,
		"listWorkspaces":  s.listWorkspaces,
		"createWorkspace": s.createWorkspace,
		"getWorkspace":    s.getWorkspace,
		"resetWorkspace":  s.resetWorkspace,
		"listRequests":    s.listRequests,
		"countRequests":   s.countRequests,
		"deleteRequests":  s.deleteRequests,
	}
	if s.d.Engine != nil {
		for id, fn := range s.engineHandlers() {
			h[id] = fn
		}
	}
	for id, fn := range s.d.Simulators {
		h[id] = s.requireWorkspace(fn)
	}
	return &mocks.API{
		Name:             "sandbox",
		Doc:              doc,
		Prefix:           prefix,
		Authenticate:     s.selectWorkspace,
		Handlers:         h,
		WriteError:       writeError,
		ValidationStatus: http.StatusUnprocessableEntity,
		NoJournal:        true,
	}
}

// selectWorkspace picks the workspace a control call is about, from
// X-Sandbox-Workspace or a vendor credential; "" when none is given.
func (s *Sandbox) selectWorkspace(r *http.Request) (string, error) {
	ctx := r.Context()
	if id := strings.TrimSpace(r.Header.Get("X-Sandbox-Workspace")); id != "" {
		if _, err := s.d.DB.GetWorkspace(ctx, id); errors.Is(err, store.ErrNotFound) {
			return "", mocks.Errorf(http.StatusNotFound, "no workspace %q", id)
		} else if err != nil {
			return "", err
		}
		return id, nil
	}
	if key := strings.TrimSpace(r.Header.Get("X-Whippy-Key")); key != "" {
		return s.resolve(ctx, "whippy", key)
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		return s.resolve(ctx, "whereby", strings.TrimSpace(strings.TrimPrefix(auth, "Bearer ")))
	}
	if session := r.URL.Query().Get("session"); session != "" {
		if ws, ok := s.d.DB.Resolve("zipwhip", session); ok {
			return ws, nil
		}
		return "", mocks.Errorf(http.StatusNotFound, "no workspace has that Zipwhip session")
	}
	return "", nil
}

func (s *Sandbox) resolve(ctx context.Context, vendor, credential string) (string, error) {
	ws, err := s.d.Workspaces.Resolve(ctx, vendor, credential)
	if errors.Is(err, mocks.ErrUnknownCredential) {
		return "", mocks.Errorf(http.StatusNotFound, "no workspace has that %s credential", vendor)
	}
	return ws, err
}

// requireWorkspace answers 400 when no workspace is selected.
func (s *Sandbox) requireWorkspace(h mocks.Handler) mocks.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if mocks.Workspace(r.Context()) == "" {
			return mocks.Errorf(http.StatusBadRequest, "select a workspace with X-Sandbox-Workspace or a vendor credential")
		}
		return h(w, r)
	}
}

// writeError writes {"error":{"code","message","field"}}. A field of a
// workspace definition is written as the config file's keys are
// (whippy.users[1].id), whether the schema or the config rules found it.
func writeError(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
	field, msg := e.Field, e.Message
	if field != "" && mocks.OperationID(r.Context()) == "createWorkspace" {
		if key := configKey(field); key != field {
			field, msg = key, strings.Replace(msg, e.Field, key, 1)
		}
	}
	body := map[string]string{"code": code(e.Status), "message": msg}
	if field != "" {
		body["field"] = field
	}
	mocks.WriteJSON(w, e.Status, map[string]any{"error": body})
}

// configKey writes a dotted body path (whippy.users.1.id) with indexes in
// brackets (whippy.users[1].id).
func configKey(field string) string {
	parts := strings.Split(field, ".")
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i > 0 && p != "" && strings.Trim(p, "0123456789") == "":
			b.WriteString("[" + p + "]")
		case i > 0:
			b.WriteString("." + p)
		default:
			b.WriteString(p)
		}
	}
	return b.String()
}

func code(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

// timeLayout is how the control API writes times.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}
