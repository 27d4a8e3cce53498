package apptest_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/store"
)

// acmeSpec is the API of acme, a vendor of this test only: GET /ping
// answers {"ok": true}, or with ?bad=1 an answer its spec refuses.
const acmeSpec = `
openapi: 3.0.3
info: {title: acme, version: "1"}
paths:
  /ping:
    get:
      operationId: ping
      parameters: [{name: bad, in: query, schema: {type: string}}]
      responses:
        "200":
          description: Pong.
          content:
            application/json:
              schema:
                type: object
                required: [ok]
                properties: {ok: {type: boolean}}
`

// acmeSimulator is acme's control-API path.
const acmeSimulator = `
paths:
  /acme/poke:
    post:
      operationId: pokeAcme
      parameters:
        - $ref: "#/components/parameters/Workspace"
        - {name: bad, in: query, schema: {type: string}}
      responses:
        "200":
          description: Poked.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/AcmePoked"}
        "400": {$ref: "#/components/responses/Error"}
components:
  schemas:
    AcmePoked:
      type: object
      required: [workspace]
      properties: {workspace: {type: string}}
`

// acme is a whole vendor in one type: everything the seam asks, most of it
// empty.
type acme struct{ simulator string }

func (acme) Name() string                                                    { return "acme" }
func (acme) DecodeSettings(*config.Section) (any, error)                     { return nil, nil }
func (acme) ValidateSettings(any) error                                      { return nil }
func (acme) DecodeWorkspace(*config.Section) (config.VendorWorkspace, error) { return nil, nil }
func (acme) Open(mocks.Deps) error                                           { return nil }
func (acme) Credentials() []mocks.CredentialSource                           { return nil }
func (acme) AutoWorkspace(string, string) config.VendorWorkspace             { return nil }
func (acme) Seed(*store.Tx, config.Workspace) error                          { return nil }
func (acme) Actions() map[string]mocks.ActionSpec                            { return nil }
func (acme) MagicNumbers() []mocks.MagicNumber                               { return nil }
func (acme) Delivery() mocks.DeliveryPolicy                                  { return mocks.DeliveryPolicy{} }
func (acme) EventTypes() []string                                            { return nil }
func (a acme) SimulatorSpec() []byte                                         { return []byte(a.simulator) }

func (acme) Scenarios() fs.FS {
	return fstest.MapFS{"acme.yaml": {Data: []byte("name: acme.hello\nvendor: acme\nemits: []\nsteps:\n  - {wait: 1s}\n")}}
}

func (acme) API(doc *openapi3.T) *mocks.API {
	if doc != nil {
		panic("specs holds a document named acme")
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(acmeSpec))
	if err != nil {
		panic(err)
	}
	return &mocks.API{
		Name: "acme", Doc: doc, Prefix: "/acme/v1",
		Handlers: map[string]mocks.Handler{"ping": func(w http.ResponseWriter, r *http.Request) error {
			if r.URL.Query().Get("bad") != "" {
				mocks.WriteJSON(w, http.StatusOK, map[string]string{"ok": "yes"})
				return nil
			}
			mocks.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
			return nil
		}},
		WriteError: func(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
			mocks.WriteJSON(w, e.HTTPStatus(nil), map[string]string{"error": e.Message})
		},
	}
}

func (acme) Simulators() map[string]mocks.Handler {
	return map[string]mocks.Handler{"pokeAcme": func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Query().Get("bad") != "" {
			mocks.WriteJSON(w, http.StatusOK, map[string]int{"workspace": 1})
			return nil
		}
		mocks.WriteJSON(w, http.StatusOK, map[string]string{"workspace": mocks.Workspace(r.Context())})
		return nil
	}}
}

// raw calls s without validating the answer.
func raw(t *testing.T, s *apptest.Server, method, path string, h http.Header) (*http.Request, *apptest.Response) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return req, &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// A vendor added to the list is served, and its answers, its simulators'
// and its scenario files are there and checked against its own documents,
// with no change to apptest, the pipeline, the control API or the engine.
func TestVendorSeam_ANewVendorIsValidated(t *testing.T) {
	s := apptest.New(t, apptest.WithVendors(acme{simulator: acmeSimulator}), apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = append(c.Workspaces, config.Workspace{ID: "w1"})
	}))
	if r := apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/acme/v1/ping"}), 200); !bytes.Equal(r.Body, []byte(`{"ok":true}`)) {
		t.Errorf("ping answered %s", r.Body)
	}
	req, resp := raw(t, s, http.MethodGet, "/acme/v1/ping?bad=1", nil)
	if err := s.Validate(req, resp); err == nil || !strings.Contains(err.Error(), "ok") {
		t.Errorf("an answer against acme's spec (%d %s) passed validation: %v", resp.Status, resp.Body, err)
	}

	ws := http.Header{"X-Sandbox-Workspace": {"w1"}}
	r := apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/_sandbox/acme/poke", Header: ws}), 200)
	if string(r.Body) != `{"workspace":"w1"}` {
		t.Errorf("the simulator answered %s", r.Body)
	}
	req, resp = raw(t, s, http.MethodPost, "/_sandbox/acme/poke?bad=1", ws)
	if err := s.Validate(req, resp); err == nil || !strings.Contains(err.Error(), "workspace") {
		t.Errorf("a simulator answer against its fragment (%d %s) passed validation: %v", resp.Status, resp.Body, err)
	}

	var list struct {
		Data []struct{ Name, Source string } `json:"data"`
	}
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/_sandbox/scenarios"}), 200).JSON(t, &list)
	found := false
	for _, sc := range list.Data {
		found = found || sc.Name == "acme.hello" && sc.Source == "builtin/acme.yaml"
	}
	if !found {
		t.Errorf("acme's scenario file is not in the library: %+v", list.Data)
	}
}

// A vendor whose simulator path is already the control API's stops the
// start, naming both.
func TestVendorSeam_ClashingSimulatorPath(t *testing.T) {
	clash := strings.Replace(acmeSimulator, "/acme/poke", "/health", 1)
	cfg := app.DefaultConfig()
	cfg.Server.DB = ":memory:"
	a := app.New(app.Options{Config: cfg, Vendors: append(app.Vendors(), acme{simulator: clash})})
	err := a.Open(context.Background())
	if err == nil {
		a.Close(context.Background())
		t.Fatal("started")
	}
	if !strings.Contains(err.Error(), "the fragment of acme") || !strings.Contains(err.Error(), "path /health is already defined by sandbox.yaml") {
		t.Errorf("start error %q does not name the vendor and the path", err)
	}
}
