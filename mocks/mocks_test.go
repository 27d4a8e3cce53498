package mocks_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/specs"
)

type operation struct {
	spec, prefix string
	method, path string // path as in the spec, with {params}
	op           *openapi3.Operation
}

// operations are those of the specs of the APIs s serves, loaded afresh
// (the control API's with the vendors' simulator paths), each under the
// prefix it is mounted at.
func operations(tb testing.TB, s *apptest.Server) []operation {
	tb.Helper()
	var out []operation
	for _, api := range s.App.Server.APIs() {
		var frags []specs.Fragment
		if api.Name == "sandbox" {
			frags = app.SimulatorSpecs()
		}
		doc, err := specs.Load(context.Background(), api.Name, frags...)
		if err != nil {
			tb.Fatal(err)
		}
		for _, path := range doc.Paths.InMatchingOrder() {
			for method, op := range doc.Paths.Value(path).Operations() {
				out = append(out, operation{spec: api.Name, prefix: api.Prefix, method: method, path: path, op: op})
			}
		}
	}
	if len(out) < 40 {
		tb.Fatalf("found only %d operations", len(out))
	}
	return out
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestEveryOperationIsRouted sends one request to every operation of every
// mounted spec, with the path parameters filled and a body shaped by the
// spec, and checks that the operation itself answered: not the router's
// 404 for unknown paths, nor its 405.
func TestEveryOperationIsRouted(t *testing.T) {
	s := apptest.New(t)
	faker := mocks.NewFaker(7)
	const key = "routing-key"
	journal := s.Sandbox(http.Header{"X-Whippy-Key": {key}})

	for _, o := range operations(t, s) {
		t.Run(o.spec+"/"+o.op.OperationID, func(t *testing.T) {
			path := pathParam.ReplaceAllStringFunc(o.path, func(string) string { return uuid.NewString() })
			// Control calls select the workspace of the Whippy key too:
			// several of them need one.
			req := apptest.Request{Method: o.method, Path: o.prefix + path, Header: http.Header{"X-Whippy-Key": {key}}}
			if rb := o.op.RequestBody; rb != nil && rb.Value != nil {
				if mt := rb.Value.Content.Get("application/json"); mt != nil {
					req.Body = faker.Body("request/"+o.op.OperationID, mt)
				}
			}
			r := s.Do(t, req) // also checks that the answer is declared by the spec
			if r.Status == http.StatusMethodNotAllowed {
				t.Fatalf("%s %s answered 405: %s", o.method, req.Path, r.Body)
			}
			switch o.spec {
			case "whippy":
				// The journal names the operation a request reached; the
				// router's own 404 names none.
				var entries struct {
					Data []struct {
						Method, Path string
						Operation    string `json:"operation_id"`
					} `json:"data"`
				}
				q := url.Values{"operation_id": {o.op.OperationID}}
				apptest.Want(t, journal.Get(t, "/requests?"+q.Encode()), http.StatusOK).JSON(t, &entries)
				if len(entries.Data) != 1 || entries.Data[0].Path != req.Path || entries.Data[0].Method != o.method {
					t.Errorf("%s %s (status %d) is not journaled as %s: %+v", o.method, req.Path, r.Status, o.op.OperationID, entries.Data)
				}
			case "sandbox":
				var e struct {
					Error struct{ Message string } `json:"error"`
				}
				if r.Status == http.StatusNotFound {
					r.JSON(t, &e)
					if e.Error.Message == "Not found" {
						t.Errorf("%s %s got the router's 404", o.method, req.Path)
					}
				}
			}
		})
	}

	t.Run("RouterMissesAreTellable", func(t *testing.T) {
		// The checks above can fail: an unknown path is journaled without
		// an operation, and the control API's router 404 says "Not found".
		r := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/whippy/v1/no/such/path", Header: http.Header{"X-Whippy-Key": {key}}})
		apptest.Want(t, r, http.StatusNotFound)
		var entries struct {
			Data []struct {
				Operation string `json:"operation_id"`
			} `json:"data"`
		}
		// It is journaled without a workspace too (authentication comes
		// after routing), so look in every workspace's journal.
		apptest.Want(t, s.Sandbox(nil).Get(t, "/requests?path=/whippy/v1/no/such/path"), http.StatusOK).JSON(t, &entries)
		if len(entries.Data) != 1 || entries.Data[0].Operation != "" {
			t.Errorf("router miss journaled as %+v, want one entry without an operation", entries.Data)
		}
		sr := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/_sandbox/no/such/path"})
		apptest.Want(t, sr, http.StatusNotFound)
		if !strings.Contains(string(sr.Body), `"message":"Not found"`) {
			t.Errorf("control API router 404 %s does not say Not found", sr.Body)
		}
	})
}

// TestRoutesMatchSpecs checks that the server mounts exactly the operations
// of the specs.
func TestRoutesMatchSpecs(t *testing.T) {
	s := apptest.New(t)
	var want []string
	for _, o := range operations(t, s) {
		want = append(want, o.method+" "+o.prefix+o.path)
	}
	sort.Strings(want)
	if got := s.App.Server.Routes(); !slices.Equal(got, want) {
		t.Errorf("routes differ from the specs' operations:\ngot  %q\nwant %q", got, want)
	}
}

func TestNewServer_OperationIDs(t *testing.T) {
	doc, err := specs.Load(context.Background(), "whippy")
	if err != nil {
		t.Fatal(err)
	}
	h := func(w http.ResponseWriter, r *http.Request) error { return nil }
	writeError := func(w http.ResponseWriter, r *http.Request, e *mocks.Error) {}
	tests := []struct {
		name       string
		handlers   map[string]mocks.Handler
		writeError func(http.ResponseWriter, *http.Request, *mocks.Error)
		wantErr    string // "" for success
	}{
		{"Known", map[string]mocks.Handler{"listContacts": h, "sendSms": h}, writeError, ""},
		{"None", nil, writeError, ""},
		{"Unknown", map[string]mocks.Handler{"listContacts": h, "sendCarrierPigeon": h}, writeError, `"sendCarrierPigeon"`},
		{"CaseMatters", map[string]mocks.Handler{"ListContacts": h}, writeError, `"ListContacts"`},
		{"NoWriteError", map[string]mocks.Handler{"listContacts": h}, nil, "WriteError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &mocks.API{Name: "whippy", Doc: doc, Prefix: "/whippy/v1", Handlers: tt.handlers, WriteError: tt.writeError}
			srv, err := mocks.NewServer(mocks.Options{}, api)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewServer: %v", err)
			case tt.wantErr == "" && srv == nil:
				t.Fatal("NewServer returned no server")
			case tt.wantErr != "" && err == nil:
				t.Fatalf("NewServer accepted handlers %v", tt.handlers)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q does not name %s", err, tt.wantErr)
			}
		})
	}
}

// thingSpec is a one-operation API for testing the pipeline itself.
const thingSpec = `
openapi: 3.0.3
info: {title: things, version: "1"}
paths:
  /things:
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                count: {type: integer}
                sizes: {type: array, items: {type: integer}}
                name: {type: string}
      responses:
        "200": {description: The thing as decoded.}
        "422": {description: Invalid.}
`

// pickyName refuses the name "bad", standing for a handler type stricter
// than the spec in a way that is not about JSON types.
type pickyName string

func (n *pickyName) UnmarshalJSON(b []byte) error {
	if string(b) == `"bad"` {
		return errors.New("bad name")
	}
	return json.Unmarshal(b, (*string)(n))
}

func TestPipeline_JSONBodies(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(thingSpec))
	if err != nil {
		t.Fatal(err)
	}
	api := &mocks.API{
		Name: "things", Doc: doc, Prefix: "/t",
		Handlers: map[string]mocks.Handler{"createThing": func(w http.ResponseWriter, r *http.Request) error {
			var in struct {
				Count int       `json:"count"`
				Sizes []int     `json:"sizes"`
				Name  pickyName `json:"name"`
			}
			if err := mocks.DecodeJSON(r, &in); err != nil {
				return err
			}
			mocks.WriteJSON(w, http.StatusOK, in)
			return nil
		}},
		WriteError: func(w http.ResponseWriter, r *http.Request, e *mocks.Error) {
			mocks.WriteJSON(w, e.HTTPStatus(nil), map[string]string{"message": e.Message, "field": e.Field})
		},
	}
	srv, err := mocks.NewServer(mocks.Options{}, api)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		body   string
		status int
		want   string // the answer must contain it
	}{
		{"Plain", `{"count":2,"sizes":[1,2],"name":"x"}`, 200, `{"count":2,"sizes":[1,2],"name":"x"}`},
		{"WholeWithFraction", `{"count":2.0,"sizes":[1e0,2.50e1]}`, 200, `"count":2,"sizes":[1,25]`},
		{"Fraction", `{"count":2.5}`, 422, `"field":"count"`},
		{"OutOfRange", `{"count":1e30}`, 422, `"message":"count is out of range"`},
		{"OutOfRangeInArray", `{"sizes":[1,1e30]}`, 422, `"field":"sizes"`},
		{"HandlerStricter", `{"name":"bad"}`, 422, `"message":"request body does not match the expected shape"`},
		{"TwoValues", `{"count":1} {"count":2}`, 422, `"message":"request body is not valid JSON"`},
		{"TrailingBrace", `{"count":1}}`, 422, `"message":"request body is not valid JSON"`},
		{"TrailingSpace", "{\"count\":1}\n  ", 200, `"count":1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/t/things", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Errorf("got %d %s, want %d with %s", rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
}
