package specs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/specs"
)

// ping is a fragment with a path, a component of its own and a $ref to one
// of the control API's components.
const ping = `
paths:
  /acme/ping:
    post:
      operationId: pingAcme
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/AcmePing"}
      responses:
        "204": {description: Pinged.}
        "404": {$ref: "#/components/responses/Error"}
components:
  schemas:
    AcmePing:
      type: object
      properties:
        times: {type: integer}
`

func TestLoad_MergesFragments(t *testing.T) {
	ctx := context.Background()
	doc, err := specs.Load(ctx, "sandbox", specs.Fragment{Source: "acme", YAML: []byte(ping)})
	if err != nil {
		t.Fatal(err)
	}
	item := doc.Paths.Find("/acme/ping")
	if item == nil || item.Post == nil || item.Post.OperationID != "pingAcme" {
		t.Fatalf("the fragment's path is not in the document: %+v", item)
	}
	if doc.Components.Schemas["AcmePing"] == nil {
		t.Error("the fragment's schema is not in the document")
	}
	if ref := item.Post.Responses.Status(404); ref == nil || ref.Value == nil {
		t.Error("the fragment's $ref to the document's Error response is not resolved")
	}
	if doc.Paths.Find("/health") == nil {
		t.Error("the document lost its own paths")
	}
	plain, err := specs.Load(ctx, "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if plain.Paths.Find("/acme/ping") != nil || plain.Paths.Len() != doc.Paths.Len()-1 {
		t.Errorf("a load without the fragment has %d paths (with it %d)", plain.Paths.Len(), doc.Paths.Len())
	}
}

func TestLoad_FragmentErrors(t *testing.T) {
	frag := func(source, yaml string) specs.Fragment { return specs.Fragment{Source: source, YAML: []byte(yaml)} }
	tests := []struct {
		name  string
		frags []specs.Fragment
		want  []string
	}{
		{"a path of the document", []specs.Fragment{frag("acme", "paths:\n  /health:\n    get: {operationId: h, responses: {\"200\": {description: ok}}}\n")},
			[]string{"the fragment of acme", "path /health is already defined by sandbox.yaml"}},
		{"a path of another fragment", []specs.Fragment{frag("acme", ping), frag("other", strings.Replace(ping, "AcmePing", "OtherPing", -1))},
			[]string{"the fragment of other", "path /acme/ping is already defined by the fragment of acme"}},
		{"a component of the document", []specs.Fragment{frag("acme", "paths: {}\ncomponents:\n  schemas:\n    Error: {type: object}\n")},
			[]string{"the fragment of acme", "component components.schemas.Error is already defined by sandbox.yaml"}},
		{"another key", []specs.Fragment{frag("acme", "info: {title: x}\npaths: {}\n")},
			[]string{"the fragment of acme", "info: a fragment has only paths and components"}},
		{"not YAML", []specs.Fragment{frag("acme", "paths: [\n")}, []string{"the fragment of acme"}},
		{"an invalid operation", []specs.Fragment{frag("acme", "paths:\n  /acme/x:\n    get: {operationId: x}\n")}, []string{"spec sandbox: invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := specs.Load(context.Background(), "sandbox", tt.frags...)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
