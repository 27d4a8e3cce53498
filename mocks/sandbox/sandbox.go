// Package sandbox serves vendorsim's own control API under /_sandbox:
// readiness, workspaces and reset, the request journal, webhook deliveries,
// the virtual clock, scenarios and vendor-side simulators. It is described
// by specs/sandbox.yaml, with the vendors' simulator paths merged in
// (mocks.Vendor.SimulatorSpec), and served by the same pipeline as the
// vendor APIs.
package sandbox

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/mocks/faults"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/scenarios/chaos"
	"github.com/vendorsim/vendorsim/store"
)

// Deps are what the control API needs.
type Deps struct {
	DB         *store.DB
	Workspaces *mocks.Workspaces
	Journal    *mocks.Journal
	Version    string
	// Engine runs deliveries and scenarios; nil disables those endpoints.
	Engine *scenarios.Engine
	// Faults holds the request fault rules; nil disables /faults.
	Faults *faults.Set
	// Chaos holds the webhook chaos rules; nil disables /chaos.
	Chaos *chaos.Set
	// Vendors are the emulated vendors: their credentials select a
	// workspace, and their simulators (inbound messages, room
	// participants...) serve operations of the control API.
	Vendors []mocks.Vendor
}

// Sandbox is the control API.
type Sandbox struct {
	d       Deps
	started time.Time
	ready   atomic.Bool
}

// New returns the control API. It reports "starting" until SetReady.
func New(d Deps) *Sandbox {
	yamlOnce.Do(func() {
		// A scenario upload is validated by the scenario loader, which
		// names the line and field of an error: the spec's validator
		// passes YAML through as text.
		for _, ct := range []string{"application/yaml", "application/x-yaml"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
		}
	})
	return &Sandbox{d: d, started: time.Now()}
}

var yamlOnce sync.Once

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
	for id, fn := range s.toolingHandlers() {
		h[id] = fn
	}
	if s.d.Engine != nil {
		for id, fn := range s.engineHandlers() {
			h[id] = fn
		}
	}
	if s.d.Faults != nil {
		for id, fn := range s.faultHandlers() {
			h[id] = fn
		}
	}
	if s.d.Chaos != nil {
		for id, fn := range s.chaosHandlers() {
			h[id] = fn
		}
	}
	// The simulators play the other side of a vendor (a phone texting a
	// line, a participant joining a room): their calls are journaled, as
	// vendor "sandbox", so that what a script made the other side do can
	// be read back (the dashboard's phone shows the contact's texts so).
	journaled := map[string]bool{}
	for _, v := range s.d.Vendors {
		for id, fn := range v.Simulators() {
			h[id] = s.requireWorkspace(fn)
			journaled[id] = true
		}
	}
	return &mocks.API{
		Name:         "sandbox",
		Doc:          doc,
		Prefix:       prefix,
		Authenticate: s.selectWorkspace,
		Handlers:     h,
		Credentials:  s.credentials(),
		WriteError:   writeError,
		NoJournal:    true,
		Journaled:    journaled,
	}
}

// selectWorkspace picks the workspace a control call is about: the one
// X-Sandbox-Workspace names, else the one of the vendor credential the
// request carries, carried as that vendor carries it; "" when none is
// given. X-Sandbox-Vendor narrows the vendors considered.
//
// A credential at a place several vendors read (Authorization: Bearer)
// is the vendor's whose workspace it already names; when it names none,
// no workspace is created on a guess (a wrong one would be another,
// empty workspace): the caller is asked to name the vendor.
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
	only := strings.TrimSpace(r.Header.Get("X-Sandbox-Vendor"))
	if only != "" && !slices.ContainsFunc(s.d.Vendors, func(v mocks.Vendor) bool { return v.Name() == only }) {
		return "", mocks.Errorf(http.StatusNotFound, "X-Sandbox-Vendor: no vendor %q", only)
	}
	type candidate struct {
		vendor string
		src    mocks.CredentialSource
		value  string
	}
	var cands []candidate
	for _, v := range s.d.Vendors {
		if only != "" && v.Name() != only {
			continue
		}
		for _, src := range v.Credentials() {
			if val := src.Read(r); val != "" {
				cands = append(cands, candidate{v.Name(), src, val})
				break
			}
		}
	}
	if len(cands) == 0 {
		return "", nil
	}
	found := map[string]string{} // workspace -> vendor
	for _, c := range cands {
		if ws, ok := s.d.DB.Resolve(c.vendor, c.value); ok {
			found[ws] = c.vendor
		}
	}
	switch len(found) {
	case 1:
		for ws := range found {
			return ws, nil
		}
	case 0:
	default:
		return "", mocks.Errorf(http.StatusConflict, "the request's credentials name workspaces of several vendors; name one with X-Sandbox-Vendor")
	}
	// Nothing exists yet: create for the one vendor whose credential is
	// at a place no other vendor reads.
	var own []candidate
	for _, c := range cands {
		if !s.shared(c.vendor, c.src) {
			own = append(own, c)
		}
	}
	if len(own) == 0 && len(cands) == 1 {
		own = cands
	}
	if len(own) == 0 {
		names := make([]string, len(cands))
		for i, c := range cands {
			names[i] = c.vendor
		}
		return "", mocks.Errorf(http.StatusNotFound, "no workspace has that credential yet, and it may be any of %s's: name the vendor with X-Sandbox-Vendor", strings.Join(names, ", "))
	}
	c := own[0]
	if c.src.Existing {
		return "", mocks.Errorf(http.StatusNotFound, "no workspace has that %s credential", c.vendor)
	}
	ws, err := s.d.Workspaces.Resolve(ctx, c.vendor, c.value)
	if errors.Is(err, mocks.ErrUnknownCredential) {
		return "", mocks.Errorf(http.StatusNotFound, "no workspace has that %s credential", c.vendor)
	}
	return ws, err
}

// shared reports whether another vendor reads credentials where vendor's
// src is.
func (s *Sandbox) shared(vendor string, src mocks.CredentialSource) bool {
	for _, v := range s.d.Vendors {
		if v.Name() == vendor {
			continue
		}
		for _, o := range v.Credentials() {
			if src.Shared(o) {
				return true
			}
		}
	}
	return false
}

// credentials are every vendor's credential places (the control API reads
// them all).
func (s *Sandbox) credentials() []mocks.CredentialSource {
	var out []mocks.CredentialSource
	for _, v := range s.d.Vendors {
		out = append(out, v.Credentials()...)
	}
	return out
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
	status := e.HTTPStatus(nil)
	body := map[string]string{"code": code(status), "message": msg}
	if field != "" {
		body["field"] = field
	}
	mocks.WriteJSON(w, status, map[string]any{"error": body})
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
	case http.StatusUnauthorized:
		return "unauthenticated"
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
