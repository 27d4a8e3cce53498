package specs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorsim/vendorsim/specs"
)

// whippyOperations is every operationId the Go code joins on, with its
// method and path. The document must declare exactly these.
var whippyOperations = map[string]string{
	"sendSms":                       "POST /messaging/sms",
	"getSequenceRun":                "GET /sequences/runs/{id}",
	"createOrganizationIntegration": "POST /organization/integrations",
	"searchContacts":                "POST /contacts/search",
	"updateCustomProperty":          "PUT /custom_objects/{id}/properties/{property_id}",
	"updateCustomObjectRecord":      "PUT /custom_objects/{id}/records/{record_id}",
	"sendEmail":                     "POST /messaging/email",
	"sendFax":                       "POST /messaging/fax",
	"sendNote":                      "POST /messaging/note",
	"sendCampaign":                  "POST /messaging/sms/campaign",
	"sendSmsCampaign":               "POST /campaigns/sms",
	"listContacts":                  "GET /contacts",
	"createContact":                 "POST /contacts",
	"getContact":                    "GET /contacts/{id}",
	"updateContact":                 "PUT /contacts/{id}",
	"deleteContact":                 "DELETE /contacts/{id}",
	"upsertContacts":                "POST /contacts/upsert",
	"listContactSequences":          "POST /contacts/{id}/sequences",
	"listConversations":             "GET /conversations",
	"getConversation":               "GET /conversations/{id}",
	"updateConversation":            "PUT /conversations/{id}",
	"listCampaigns":                 "GET /campaigns",
	"getCampaign":                   "GET /campaigns/{id}",
	"listCampaignContacts":          "GET /campaigns/{id}/contacts",
	"listSequences":                 "GET /sequences",
	"getSequence":                   "GET /sequences/{id}",
	"addSequenceContacts":           "POST /sequences/{id}/contacts",
	"listSequenceContacts":          "GET /sequences/{id}/contacts",
	"listSequenceRuns":              "GET /sequences/runs",
	"listChannels":                  "GET /channels",
	"getChannel":                    "GET /channels/{id}",
	"listUsers":                     "GET /users",
	"getOrganization":               "GET /organization",
	"createCustomEvent":             "POST /custom_events",
	"createCustomEventsBulk":        "POST /custom_events/bulk",
	"createDeveloperApplication":    "POST /developers/applications",
	"listDeveloperApplications":     "GET /developers/applications",
	"getDeveloperApplication":       "GET /developers/applications/{id}",
	"updateDeveloperApplication":    "PUT /developers/applications/{id}",
	"createDeveloperEndpoint":       "POST /developers/endpoints",
	"listDeveloperEndpoints":        "GET /developers/endpoints",
	"getDeveloperEndpoint":          "GET /developers/endpoints/{id}",
	"updateDeveloperEndpoint":       "PUT /developers/endpoints/{id}",
	"deleteDeveloperEndpoint":       "DELETE /developers/endpoints/{id}",
	"deleteWebhook":                 "DELETE /webhooks/{id}",
	"listAutomationTemplates":       "GET /automations/templates",
	"listCustomObjects":             "GET /custom_objects",
	"createCustomObject":            "POST /custom_objects",
	"updateCustomObject":            "PUT /custom_objects/{id}",
	"createCustomProperty":          "POST /custom_objects/{id}/properties",
	"upsertCustomObjectRecord":      "POST /custom_objects/{id}/records",
}

func loadWhippy(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := specs.Load(context.Background(), "whippy")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// exampleFormats checks the formats kin-openapi leaves unchecked by default,
// so that example ids are real UUIDs and URLs are absolute.
var exampleFormats = openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
	"uuid":  openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562),
	"email": openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail),
	"uri": openapi3.NewCallbackValidator(func(s string) error {
		u, err := url.Parse(s)
		if err != nil {
			return err
		}
		if u.Scheme == "" || u.Host == "" {
			return errors.New("not an absolute URL")
		}
		return nil
	}),
})

// checkExample validates value against schema after a JSON round trip, the
// way a server would see it on the wire.
func checkExample(schema *openapi3.SchemaRef, value any, opts ...openapi3.SchemaValidationOption) error {
	if schema == nil || schema.Value == nil {
		return errors.New("no schema")
	}
	b, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("marshal example: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("unmarshal example: %w", err)
	}
	opts = append(opts, exampleFormats, openapi3.MultiErrors())
	return schema.Value.VisitJSON(v, opts...)
}

// checkContentExamples validates the example(s) of every media type.
func checkContentExamples(t *testing.T, where string, content openapi3.Content, opt openapi3.SchemaValidationOption) {
	t.Helper()
	for mt, media := range content {
		if media == nil {
			continue
		}
		if media.Example != nil {
			if err := checkExample(media.Schema, media.Example, opt); err != nil {
				t.Errorf("%s %s example: %v", where, mt, err)
			}
		}
		for name, ex := range media.Examples {
			if ex == nil || ex.Value == nil {
				continue
			}
			if err := checkExample(media.Schema, ex.Value.Value, opt); err != nil {
				t.Errorf("%s %s examples[%s]: %v", where, mt, name, err)
			}
		}
	}
}

// walkSchemas calls fn on every schema reachable from ref, each once.
func walkSchemas(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool, fn func(*openapi3.SchemaRef)) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	seen[ref.Value] = true
	fn(ref)
	s := ref.Value
	for _, p := range s.Properties {
		walkSchemas(p, seen, fn)
	}
	walkSchemas(s.Items, seen, fn)
	walkSchemas(s.Not, seen, fn)
	if s.AdditionalProperties.Schema != nil {
		walkSchemas(s.AdditionalProperties.Schema, seen, fn)
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, sub := range group {
			walkSchemas(sub, seen, fn)
		}
	}
}

func TestWhippyOperationIDs(t *testing.T) {
	doc := loadWhippy(t)
	got := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			got[op.OperationID] = method + " " + path
		}
	}
	for id, want := range whippyOperations {
		if got[id] != want {
			t.Errorf("operationId %s: got %q, want %q", id, got[id], want)
		}
	}
	for id, at := range got {
		if _, ok := whippyOperations[id]; !ok {
			t.Errorf("unexpected operationId %s at %s", id, at)
		}
	}
}

func TestWhippyBasics(t *testing.T) {
	doc := loadWhippy(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "https://api.whippy.co/v1" {
		t.Errorf("servers = %+v, want one, https://api.whippy.co/v1", doc.Servers)
	}
	ss := doc.Components.SecuritySchemes["WhippyKey"]
	if ss == nil || ss.Value == nil || ss.Value.Type != "apiKey" || ss.Value.In != "header" || ss.Value.Name != "X-WHIPPY-KEY" {
		t.Errorf("securitySchemes.WhippyKey is not apiKey in header X-WHIPPY-KEY: %+v", ss)
	}
	if len(doc.Security) != 1 {
		t.Errorf("global security = %+v, want [{WhippyKey: []}]", doc.Security)
	} else if _, ok := doc.Security[0]["WhippyKey"]; !ok {
		t.Errorf("global security = %+v, want [{WhippyKey: []}]", doc.Security)
	}
	tmr := doc.Components.Responses["TooManyRequests"]
	if tmr == nil || tmr.Value == nil || tmr.Value.Headers["X-RateLimit-Remaining-Interval-Milliseconds"] == nil {
		t.Error("TooManyRequests response lacks the X-RateLimit-Remaining-Interval-Milliseconds header")
	}
}

// TestWhippyResponses checks the error responses each operation must declare
// and that every 2xx JSON response carries an example.
func TestWhippyResponses(t *testing.T) {
	doc := loadWhippy(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			hasQuery := false
			for _, p := range params {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
					hasQuery = true
				}
			}
			hasBody := op.RequestBody != nil
			want := []string{"401", "429"}
			if hasBody || hasQuery {
				want = append(want, "422")
			}
			if strings.Contains(path, "{id}") {
				want = append(want, "404")
			}
			if hasBody {
				want = append(want, "413")
			}
			for _, code := range want {
				if op.Responses.Value(code) == nil {
					t.Errorf("%s: no %s response", where, code)
				}
			}
			success := 0
			for code, resp := range op.Responses.Map() {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				success++
				if resp.Value == nil {
					continue
				}
				media := resp.Value.Content.Get("application/json")
				if media == nil {
					t.Errorf("%s %s: no application/json content", where, code)
					continue
				}
				if media.Example == nil {
					t.Errorf("%s %s: application/json has no example", where, code)
				}
			}
			if success == 0 {
				t.Errorf("%s: no 2xx response", where)
			}
		}
	}
}

// TestWhippyExamples validates every example in the document against its
// schema: media-type examples of request bodies and responses, parameter
// examples, and schema-level examples.
func TestWhippyExamples(t *testing.T) {
	doc := loadWhippy(t)
	seen := map[*openapi3.Schema]bool{}
	checkSchemaExamples := func(where string, ref *openapi3.SchemaRef) {
		walkSchemas(ref, seen, func(s *openapi3.SchemaRef) {
			if s.Value.Example != nil {
				if err := checkExample(s, s.Value.Example); err != nil {
					t.Errorf("%s: schema example: %v", where, err)
				}
			}
		})
	}
	checkParams := func(where string, params openapi3.Parameters) {
		for _, p := range params {
			if p.Value == nil {
				continue
			}
			pw := where + " parameter " + p.Value.Name
			if p.Value.Schema == nil {
				t.Errorf("%s: no schema", pw)
				continue
			}
			if p.Value.Example != nil {
				if err := checkExample(p.Value.Schema, p.Value.Example); err != nil {
					t.Errorf("%s example: %v", pw, err)
				}
			}
			for name, ex := range p.Value.Examples {
				if ex != nil && ex.Value != nil {
					if err := checkExample(p.Value.Schema, ex.Value.Value); err != nil {
						t.Errorf("%s examples[%s]: %v", pw, name, err)
					}
				}
			}
			checkSchemaExamples(pw, p.Value.Schema)
		}
	}

	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		checkParams(path, item.Parameters)
		for method, op := range item.Operations() {
			where := method + " " + path
			checkParams(where, op.Parameters)
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				checkContentExamples(t, where+" request", rb.Value.Content, openapi3.VisitAsRequest())
				for _, media := range rb.Value.Content {
					checkSchemaExamples(where+" request", media.Schema)
				}
			}
			for code, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				rw := where + " " + code
				checkContentExamples(t, rw, resp.Value.Content, openapi3.VisitAsResponse())
				for _, media := range resp.Value.Content {
					checkSchemaExamples(rw, media.Schema)
				}
				for name, h := range resp.Value.Headers {
					if h.Value != nil && h.Value.Example != nil {
						if err := checkExample(h.Value.Schema, h.Value.Example); err != nil {
							t.Errorf("%s header %s example: %v", rw, name, err)
						}
					}
				}
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		checkSchemaExamples("components.schemas."+name, s)
	}
	for name, r := range doc.Components.Responses {
		if r.Value != nil {
			checkContentExamples(t, "components.responses."+name, r.Value.Content, openapi3.VisitAsResponse())
		}
	}
}

// TestWhippyOpenSchemas checks that no schema forbids unknown properties:
// clients may send fields vendorsim does not model, and responses may grow.
func TestWhippyOpenSchemas(t *testing.T) {
	doc := loadWhippy(t)
	seen := map[*openapi3.Schema]bool{}
	for name, s := range doc.Components.Schemas {
		walkSchemas(s, seen, func(ref *openapi3.SchemaRef) {
			if has := ref.Value.AdditionalProperties.Has; has != nil && !*has {
				t.Errorf("components.schemas.%s: a schema sets additionalProperties: false", name)
			}
		})
	}
}

// TestWhippyExampleCheckerCatchesErrors makes sure the example checks above
// would notice a wrong example.
func TestWhippyExampleCheckerCatchesErrors(t *testing.T) {
	doc := loadWhippy(t)
	receipt := doc.Components.Schemas["MessageReceipt"]
	bad := []map[string]any{
		{"id": "not-a-uuid", "contact_id": "0cd006af-a8b5-4760-ac5c-ecfd2be325ea", "conversation_id": "cfe4ffee-31c0-4f30-8605-8224760712da", "delivery_status": "queued"},
		{"id": "d9d0141b-2da3-4410-83eb-b1f0069b9dfd", "contact_id": "0cd006af-a8b5-4760-ac5c-ecfd2be325ea", "conversation_id": "cfe4ffee-31c0-4f30-8605-8224760712da"},
	}
	for i, v := range bad {
		if err := checkExample(receipt, v); err == nil {
			t.Errorf("bad receipt %d passed validation", i)
		}
	}
	conv := doc.Components.Schemas["Conversation"]
	if err := checkExample(conv, map[string]any{
		"id": "cfe4ffee-31c0-4f30-8605-8224760712da", "status": "open",
		"channel_id": "46043678-d04a-4065-af94-4181b6427d0e", "channel_type": "phone",
		"contact_id": "0cd006af-a8b5-4760-ac5c-ecfd2be325ea", "unread_count": 0,
		"created_at": "2024-03-20 15:14:38", "updated_at": "2024-03-20T15:14:38.278896Z",
	}); err == nil {
		t.Error("conversation with a non-RFC 3339 created_at passed validation")
	}
}
