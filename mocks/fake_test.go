package mocks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vendorsim/vendorsim/mocks"
	"github.com/vendorsim/vendorsim/specs"
)

// fakeSchemas exercises the keywords Faker handles.
const fakeSchemas = `
openapi: 3.0.3
info: {title: fake, version: "1"}
paths: {}
components:
  schemas:
    Uuid: {type: string, format: uuid}
    DateTime: {type: string, format: date-time}
    Date: {type: string, format: date}
    Email: {type: string, format: email}
    Uri: {type: string, format: uri}
    Ipv4: {type: string, format: ipv4}
    Hostname: {type: string, format: hostname}
    Bounded: {type: string, minLength: 30, maxLength: 40}
    Short: {type: string, maxLength: 3}
    Pattern: {type: string, pattern: '^[A-Z]{2}-[0-9]{4}$'}
    PatternAlt: {type: string, pattern: '^(sms|mms|email)_[a-f0-9]{8}$'}
    Enum: {type: string, enum: [open, closed, automated]}
    IntEnum: {type: integer, enum: [10, 20, 30]}
    Int: {type: integer, minimum: 1, maximum: 500}
    IntExclusive: {type: integer, minimum: 0, maximum: 3, exclusiveMinimum: true, exclusiveMaximum: true}
    IntMultiple: {type: integer, minimum: 7, maximum: 100, multipleOf: 5}
    Int32: {type: integer, format: int32}
    Number: {type: number, minimum: 0.5, maximum: 0.75}
    NumberMultiple: {type: number, minimum: 0, maximum: 1, multipleOf: 0.25, exclusiveMinimum: true}
    Negative: {type: number, maximum: -10}
    Bool: {type: boolean}
    NullableString: {type: string, nullable: true}
    Untyped: {}
    Tags:
      type: array
      items: {type: string, enum: [a, b, c]}
      uniqueItems: true
      minItems: 3
    Matrix:
      type: array
      minItems: 1
      maxItems: 1
      items:
        type: array
        minItems: 4
        items: {type: integer, minimum: -3, maximum: 3}
    Contact:
      type: object
      required: [id, phone]
      properties:
        id: {type: string, format: uuid}
        phone: {type: string}
        first_name: {type: string}
        lastName: {type: string}
        displayName: {type: string, maxLength: 8}
        email: {type: string}
        title: {type: string}
        body: {type: string, maxLength: 1000}
        url: {type: string}
        city: {type: string}
        state: {type: string, maxLength: 2}
        country: {type: string}
        postal_code: {type: string}
        color: {type: string, pattern: '^#[0-9a-f]{6}$'}
        timezone: {type: string}
        emoji: {type: string}
        created_at: {type: string}
        dueDate: {type: string}
        channel_id: {type: string}
        contactId: {type: string}
        from: {type: string, pattern: '^\+[1-9][0-9]{6,14}$'}
        to: {type: string}
        zip: {type: string, pattern: '^[0-9]{5}$'}
        secret: {type: string, writeOnly: true}
        opt_in: {type: boolean, nullable: true}
        score: {type: number, nullable: true}
    Timestamped:
      type: object
      required: [created_at]
      properties:
        created_at: {type: string, format: date-time}
        updated_at: {type: integer}
    Message:
      allOf:
        - $ref: '#/components/schemas/Timestamped'
        - type: object
          required: [id, body, direction]
          properties:
            id: {type: string, format: uuid}
            body: {type: string, minLength: 1, maxLength: 20}
            direction: {type: string, enum: [INBOUND, OUTBOUND]}
            contact: {$ref: '#/components/schemas/Contact'}
    Page:
      type: object
      properties:
        data:
          type: array
          items: {$ref: '#/components/schemas/Message'}
        total: {type: integer, minimum: 0}
    Pet:
      oneOf:
        - $ref: '#/components/schemas/Cat'
        - $ref: '#/components/schemas/Dog'
      discriminator:
        propertyName: kind
        mapping:
          cat: '#/components/schemas/Cat'
          dog: '#/components/schemas/Dog'
    Cat:
      type: object
      required: [kind, lives]
      properties:
        kind: {type: string}
        lives: {type: integer, minimum: 1, maximum: 9}
    Dog:
      type: object
      required: [kind, bark]
      properties:
        kind: {type: string}
        bark: {type: string}
    StringOrInteger:
      oneOf:
        - {type: string, format: uuid}
        - {type: integer}
    AnyOf:
      anyOf:
        - {type: integer, minimum: 100}
        - {type: string}
    Tree:
      type: object
      required: [name]
      properties:
        name: {type: string}
        parent: {$ref: '#/components/schemas/Tree'}
        children:
          type: array
          items: {$ref: '#/components/schemas/Tree'}
    Limits:
      type: object
      minProperties: 2
      maxProperties: 3
      required: [a]
      properties:
        a: {type: string}
        b: {type: string}
        c: {type: string}
        d: {type: string}
    Map:
      type: object
      additionalProperties: {type: integer}
`

// loadSchemas loads the components of a YAML document.
func loadSchemas(t *testing.T, src string) openapi3.Schemas {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return doc.Components.Schemas
}

// strictFormats validates the formats that kin-openapi leaves unchecked by default.
func strictFormats() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{
		openapi3.VisitAsResponse(),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122)),
		openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
		openapi3.WithStringFormatValidator("ipv4", openapi3.NewIPValidator(true)),
	}
}

// roundTrip returns v as encoding/json decodes it.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFakerDeterministic(t *testing.T) {
	schemas := loadSchemas(t, fakeSchemas)
	tests := []struct {
		name   string
		schema string
	}{
		{name: "uuid", schema: "Uuid"},
		{name: "object", schema: "Contact"},
		{name: "allOf", schema: "Message"},
		{name: "nested", schema: "Page"},
		{name: "oneOf", schema: "Pet"},
		{name: "number", schema: "Number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := schemas[tt.schema]
			got := mocks.NewFaker(42).Value("k", s)
			want := mocks.NewFaker(42).Value("k", s)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}

	uuid := schemas["Uuid"]
	f := mocks.NewFaker(42)
	if a, b := f.Value("a", uuid), f.Value("b", uuid); a == b {
		t.Errorf("keys a and b: got %v for both, want different values", a)
	}
	if a, b := f.Value("a", uuid), mocks.NewFaker(43).Value("a", uuid); a == b {
		t.Errorf("seeds 42 and 43: got %v for both, want different values", a)
	}
	if a, b := mocks.NewFaker(0).Value("a", uuid), mocks.NewFaker(1).Value("a", uuid); a != b {
		t.Errorf("seed 0: got %v, want %v as for seed 1", a, b)
	}
}

func TestFakerConcurrent(t *testing.T) {
	s := loadSchemas(t, fakeSchemas)["Page"]
	f := mocks.NewFaker(7)
	want := f.Value("page", s)
	var wg sync.WaitGroup
	got := make([]any, 8)
	for i := range got {
		wg.Go(func() { got[i] = f.Value("page", s) })
	}
	wg.Wait()
	for i, g := range got {
		if !reflect.DeepEqual(g, want) {
			t.Errorf("goroutine %d: got %#v, want %#v", i, g, want)
		}
	}
}

func TestFakerValueValidates(t *testing.T) {
	schemas := loadSchemas(t, fakeSchemas)
	names := make([]string, 0, len(schemas))
	for name := range schemas {
		names = append(names, name)
	}
	sort.Strings(names)
	opts := strictFormats()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s := schemas[name]
			for seed := int64(1); seed <= 3; seed++ {
				f := mocks.NewFaker(seed)
				for i := range 20 {
					key := fmt.Sprintf("%s/%d", name, i)
					v := roundTrip(t, f.Value(key, s))
					if err := s.Value.VisitJSON(v, opts...); err != nil {
						t.Fatalf("seed %d key %s: value %#v does not validate: %v", seed, key, v, err)
					}
				}
			}
		})
	}
}

// valueOf returns the value Faker generates for the named schema.
func valueOf(t *testing.T, schemas openapi3.Schemas, name, key string) any {
	t.Helper()
	return roundTrip(t, mocks.NewFaker(1).Value(key, schemas[name]))
}

func TestFakerShapes(t *testing.T) {
	schemas := loadSchemas(t, fakeSchemas)
	dateTime := regexp.MustCompile(`^202[45]-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
	e164 := regexp.MustCompile(`^\+1[2-9]\d\d[2-9]\d{6}$`)
	for i := range 50 {
		key := fmt.Sprint(i)
		contact := valueOf(t, schemas, "Contact", key).(map[string]any)
		for _, p := range []string{"from", "to", "phone"} {
			v := contact[p].(string)
			if !e164.MatchString(v) || strings.Contains(v[5:], "55501") {
				t.Errorf("%s: got %q, want a US E.164 number outside 555-01xx", p, v)
			}
		}
		for _, p := range []string{"created_at", "dueDate"} {
			if v := contact[p].(string); !dateTime.MatchString(v) {
				t.Errorf("%s: got %q, want an RFC 3339 date-time in 2024-2025 with microseconds", p, v)
			}
		}
		if v := valueOf(t, schemas, "DateTime", key).(string); !dateTime.MatchString(v) {
			t.Errorf("date-time: got %q, want an RFC 3339 date-time in 2024-2025 with microseconds", v)
		}
		for _, p := range []string{"channel_id", "contactId"} {
			if v := contact[p].(string); !regexp.MustCompile(openapi3.FormatOfStringForUUIDOfRFC4122).MatchString(v) {
				t.Errorf("%s: got %q, want a UUID", p, v)
			}
		}
		if v := contact["email"].(string); !strings.Contains(v, "@") {
			t.Errorf("email: got %q, want an email address", v)
		}
		if v := contact["timezone"].(string); !strings.Contains(v, "/") {
			t.Errorf("timezone: got %q, want an IANA zone", v)
		} else if _, err := time.LoadLocation(v); err != nil && !strings.HasPrefix(v, "Etc/") {
			t.Logf("timezone %q not in this system's database: %v", v, err)
		}
		if v := contact["url"].(string); !strings.HasPrefix(v, "http") {
			t.Errorf("url: got %q, want a URL", v)
		}
		if _, ok := contact["secret"]; ok {
			t.Errorf("writeOnly property secret: got present, want absent")
		}
		for _, p := range []string{"opt_in", "score"} {
			if contact[p] == nil {
				t.Errorf("nullable %s: got nil, want a value", p)
			}
		}
		if v := valueOf(t, schemas, "NullableString", key); v == nil {
			t.Errorf("nullable string: got nil, want a value")
		}
	}

	contact := valueOf(t, schemas, "Contact", "all").(map[string]any)
	var missing []string
	for name, p := range schemas["Contact"].Value.Properties {
		if _, ok := contact[name]; !ok && !p.Value.WriteOnly {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("optional properties %v: got absent, want present", missing)
	}

	message := valueOf(t, schemas, "Message", "m").(map[string]any)
	for _, p := range []string{"id", "body", "direction", "created_at", "updated_at", "contact"} {
		if _, ok := message[p]; !ok {
			t.Errorf("allOf property %s: got absent, want present", p)
		}
	}

	for i := range 20 {
		arr := valueOf(t, schemas, "Page", fmt.Sprint(i)).(map[string]any)["data"].([]any)
		if len(arr) > 2 {
			t.Errorf("array without minItems: got %d items, want at most 2", len(arr))
		}
		if n := len(valueOf(t, schemas, "Tags", fmt.Sprint(i)).([]any)); n != 3 {
			t.Errorf("array with minItems 3: got %d items, want 3", n)
		}
	}

	for i := range 20 {
		pet := valueOf(t, schemas, "Pet", fmt.Sprint(i)).(map[string]any)
		if pet["kind"] != "cat" {
			t.Errorf("oneOf with discriminator: got kind %v, want cat (the first)", pet["kind"])
		}
	}
}

func TestFakerBody(t *testing.T) {
	const src = `
openapi: 3.0.3
info: {title: body, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              example: {id: from-example}
  /b:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              examples:
                zeta: {value: {id: from-zeta}}
                alpha: {value: {id: from-alpha}}
  /c:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
  /d:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Plain'}
components:
  schemas:
    Thing:
      type: object
      properties:
        id: {type: string}
      example: {id: from-component}
    Plain:
      type: object
      required: [id]
      properties:
        id: {type: string, format: uuid}
`
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	media := func(path string) *openapi3.MediaType {
		return doc.Paths.Find(path).Get.Responses.Status(200).Value.Content.Get("application/json")
	}
	f := mocks.NewFaker(1)
	tests := []struct {
		name string
		path string
		want any
	}{
		{name: "media type example", path: "/a", want: map[string]any{"id": "from-example"}},
		{name: "first named example", path: "/b", want: map[string]any{"id": "from-alpha"}},
		{name: "component example", path: "/c", want: map[string]any{"id": "from-component"}},
		{name: "generated", path: "/d", want: f.Value("key", media("/d").Schema)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.Body("key", media(tt.path)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	got := f.Body("key", media("/a")).(map[string]any)
	got["id"] = "changed"
	if again := f.Body("key", media("/a")).(map[string]any); again["id"] != "from-example" {
		t.Errorf("after modifying a body: got id %v, want from-example", again["id"])
	}
	if got := f.Body("key", nil); got != nil {
		t.Errorf("nil media type: got %#v, want nil", got)
	}
}

// TestFakerSpecResponses checks the body of every 2xx JSON response of every
// embedded spec against its schema.
func TestFakerSpecResponses(t *testing.T) {
	ctx := context.Background()
	for _, name := range specs.Names() {
		t.Run(name, func(t *testing.T) {
			doc, err := specs.Load(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			opts := []openapi3.SchemaValidationOption{openapi3.VisitAsResponse()}
			if doc.IsOpenAPI31OrLater() {
				opts = append(opts, openapi3.EnableJSONSchema2020())
			}
			f := mocks.NewFaker(1)
			for path, item := range doc.Paths.Map() {
				for method, op := range item.Operations() {
					if op.Responses == nil {
						continue
					}
					for code, resp := range op.Responses.Map() {
						if !strings.HasPrefix(code, "2") || resp.Value == nil {
							continue
						}
						for ct, mt := range resp.Value.Content {
							if !strings.Contains(ct, "json") || mt.Schema == nil || mt.Schema.Value == nil {
								continue
							}
							for i := range 3 {
								key := fmt.Sprintf("%s %s %s/%d", method, path, code, i)
								v := roundTrip(t, f.Body(key, mt))
								if err := mt.Schema.Value.VisitJSON(v, opts...); err != nil {
									t.Errorf("%s %s %s %s: body %#v does not validate: %v", method, path, code, ct, v, err)
								}
							}
						}
					}
				}
			}
		})
	}
}
