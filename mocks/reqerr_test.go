package mocks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/vendorsim/vendorsim/mocks"
)

// reqerrSpec is a document whose operations exercise every kind of request
// defect. The {{...}} placeholders differ between OpenAPI 3.0 and 3.1.
const reqerrSpec = `
openapi: {{version}}
info: {title: reqerr, version: "1"}
paths:
  /messages:
    post:
      operationId: sendMessage
      parameters:
        - {name: X-Request-Id, in: header, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/SendMessage'}
      responses: {"201": {description: created}}
    get:
      operationId: listMessages
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 500}}
        - {name: status, in: query, schema: {type: string, enum: [open, closed, automated]}}
        - {name: ids, in: query, schema: {type: array, maxItems: 3, items: {type: integer}}}
        - {name: 'channels[][id]', in: query, schema: {type: array, items: {type: integer}}}
        - {name: 'created_at[before]', in: query, schema: {type: string, format: date-time}}
        - name: messages
          in: query
          style: deepObject
          explode: true
          schema: {type: object, properties: {limit: {type: integer, maximum: 50}}}
        - {name: X-Page-Size, in: header, schema: {type: integer}}
      responses: {"200": {description: ok}}
  /contacts/{id}:
    get:
      operationId: getContact
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
        - {name: include_archived, in: query, required: true, schema: {type: boolean}}
      responses: {"200": {description: ok}}
components:
  schemas:
    SendMessage:
      type: object
      required: [to, body]
      properties:
        id: {type: string, readOnly: true}
        to: {type: string, pattern: '^\+[1-9][0-9]{1,14}$'}
        body: {type: string, minLength: 1, maxLength: 1000}
        subject: {{nullableString}}
        status: {type: string, enum: [open, closed, automated]}
        priority: {type: integer, minimum: 1, maximum: 5}
        score: {{positiveNumber}}
        quantity: {type: integer, multipleOf: 5}
        send_at: {type: string, format: date-time}
        channel_id: {type: string, format: uuid}
        email: {type: string, format: email}
        archived: {type: boolean}
        tags: {type: array, minItems: 1, maxItems: 3, uniqueItems: true, items: {type: string}}
        contact: {$ref: '#/components/schemas/Contact'}
        contacts: {type: array, items: {$ref: '#/components/schemas/Contact'}}
        options:
          type: object
          additionalProperties: false
          properties:
            track_links: {type: boolean}
        attachment:
          oneOf:
            - {type: string}
            - {type: integer}
        reference:
          anyOf:
            - {type: string}
            - {type: integer}
        pet:
          oneOf:
            - $ref: '#/components/schemas/Cat'
            - $ref: '#/components/schemas/Dog'
          discriminator:
            propertyName: kind
            mapping: {cat: '#/components/schemas/Cat', dog: '#/components/schemas/Dog'}
        meta:
          allOf:
            - $ref: '#/components/schemas/Base'
            - type: object
              properties: {n: {type: integer, maximum: 3}}
    Cat:
      type: object
      required: [kind, lives]
      properties: {kind: {type: string}, lives: {type: integer, maximum: 9}}
    Dog:
      type: object
      required: [kind, bark]
      properties: {kind: {type: string}, bark: {type: string}}
    Base:
      type: object
      required: [id]
      properties: {id: {type: string, format: date}}
    Contact:
      type: object
      required: [phone]
      properties:
        phone: {type: string}
        name: {type: string}
`

// versions are the OpenAPI versions whose validators DescribeRequestError handles.
var versions = []struct {
	name     string
	replacer *strings.Replacer
}{
	{name: "3.0", replacer: strings.NewReplacer(
		"{{version}}", "3.0.3",
		"{{nullableString}}", "{type: string, minLength: 3, nullable: true}",
		"{{positiveNumber}}", "{type: number, minimum: 0, exclusiveMinimum: true}",
	)},
	{name: "3.1", replacer: strings.NewReplacer(
		"{{version}}", "3.1.0",
		"{{nullableString}}", "{type: [string, 'null'], minLength: 3}",
		"{{positiveNumber}}", "{type: number, exclusiveMinimum: 0}",
	)},
}

// reqerrRouter loads the test document for one OpenAPI version.
func reqerrRouter(t *testing.T, r *strings.Replacer) routers.Router {
	t.Helper()
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(r.Replace(reqerrSpec)))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

// validate runs the request validation vendorsim uses.
func validate(t *testing.T, router routers.Router, method, target, contentType, body string, header map[string]string) error {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:          false,
			SkipSettingDefaults: true,
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122)),
				openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
			},
		},
	})
}

// leaks are fragments of kin-openapi's own messages that must not reach clients.
var leaks = []string{"doesn't match", "Schema", "schema", "Value:", "openapi3", "interface {}", "jsonschema", "Error at", "%!", "\n"}

func TestDescribeRequestError(t *testing.T) {
	const valid = `"to":"+14155550123","body":"hi"`
	const uuid = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
	hdr := map[string]string{"X-Request-Id": "req-1"}
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		header      map[string]string
		only30      bool // kin-openapi checks readOnly only with its 3.0 validator
		wantField   string
		wantMessage string
	}{
		{name: "missing required property", body: `{"body":"hi"}`, wantField: "to", wantMessage: "to is required"},
		{name: "missing nested property", body: `{` + valid + `,"contact":{}}`, wantField: "contact.phone", wantMessage: "contact.phone is required"},
		{name: "missing property in array item", body: `{` + valid + `,"contacts":[{"phone":"1"},{}]}`, wantField: "contacts.1.phone", wantMessage: "contacts.1.phone is required"},
		{name: "string given number", body: `{"to":5,"body":"hi"}`, wantField: "to", wantMessage: "to must be a string"},
		{name: "integer given fraction", body: `{` + valid + `,"priority":1.5}`, wantField: "priority", wantMessage: "priority must be an integer"},
		{name: "integer given string", body: `{` + valid + `,"priority":"high"}`, wantField: "priority", wantMessage: "priority must be an integer"},
		{name: "number given string", body: `{` + valid + `,"score":"high"}`, wantField: "score", wantMessage: "score must be a number"},
		{name: "array given string", body: `{` + valid + `,"tags":"a"}`, wantField: "tags", wantMessage: "tags must be an array"},
		{name: "object given string", body: `{` + valid + `,"contact":"x"}`, wantField: "contact", wantMessage: "contact must be an object"},
		{name: "boolean given string", body: `{` + valid + `,"archived":"yes"}`, wantField: "archived", wantMessage: "archived must be a boolean"},
		{name: "null for non-nullable", body: `{"to":"+14155550123","body":null}`, wantField: "body", wantMessage: "body must be a string"},
		{name: "nested type", body: `{` + valid + `,"contacts":[{"phone":7}]}`, wantField: "contacts.0.phone", wantMessage: "contacts.0.phone must be a string"},
		{name: "enum", body: `{` + valid + `,"status":"nope"}`, wantField: "status", wantMessage: "status must be one of open, closed, automated"},
		{name: "empty string", body: `{"to":"+14155550123","body":""}`, wantField: "body", wantMessage: "body must not be empty"},
		{name: "minLength", body: `{` + valid + `,"subject":"hi"}`, wantField: "subject", wantMessage: "subject must be at least 3 characters"},
		{name: "maxLength", body: `{"to":"+14155550123","body":"` + strings.Repeat("x", 1001) + `"}`, wantField: "body", wantMessage: "body must be at most 1000 characters"},
		{name: "minimum", body: `{` + valid + `,"priority":0}`, wantField: "priority", wantMessage: "priority must be at least 1"},
		{name: "maximum", body: `{` + valid + `,"priority":9}`, wantField: "priority", wantMessage: "priority must be at most 5"},
		{name: "exclusive minimum", body: `{` + valid + `,"score":0}`, wantField: "score", wantMessage: "score must be greater than 0"},
		{name: "multipleOf", body: `{` + valid + `,"quantity":7}`, wantField: "quantity", wantMessage: "quantity must be a multiple of 5"},
		{name: "minItems", body: `{` + valid + `,"tags":[]}`, wantField: "tags", wantMessage: "tags must contain at least 1 item"},
		{name: "maxItems", body: `{` + valid + `,"tags":["a","b","c","d"]}`, wantField: "tags", wantMessage: "tags must contain at most 3 items"},
		{name: "uniqueItems", body: `{` + valid + `,"tags":["a","a"]}`, wantField: "tags", wantMessage: "tags must not contain duplicate items"},
		{name: "pattern", body: `{"to":"abc","body":"hi"}`, wantField: "to", wantMessage: `to must match pattern ^\+[1-9][0-9]{1,14}$`},
		{name: "date-time format", body: `{` + valid + `,"send_at":"yesterday"}`, wantField: "send_at", wantMessage: "send_at must be a valid date-time"},
		{name: "uuid format", body: `{` + valid + `,"channel_id":"42"}`, wantField: "channel_id", wantMessage: "channel_id must be a valid UUID"},
		{name: "email format", body: `{` + valid + `,"email":"nobody"}`, wantField: "email", wantMessage: "email must be a valid email address"},
		{name: "oneOf of types", body: `{` + valid + `,"attachment":true}`, wantField: "attachment", wantMessage: "attachment must be a string or an integer"},
		{name: "anyOf of types", body: `{` + valid + `,"reference":null}`, wantField: "reference", wantMessage: "reference must be a string or an integer"},
		{name: "oneOf alternative property", body: `{` + valid + `,"pet":{"kind":"cat","lives":"x"}}`, wantField: "pet.lives", wantMessage: "pet.lives must be an integer"},
		{name: "discriminator value", body: `{` + valid + `,"pet":{"kind":"cow"}}`, wantField: "pet.kind", wantMessage: "pet.kind must be one of cat, dog"},
		{name: "discriminator missing", body: `{` + valid + `,"pet":{"lives":1}}`, wantField: "pet.kind", wantMessage: "pet.kind is required"},
		{name: "allOf required", body: `{` + valid + `,"meta":{"n":1}}`, wantField: "meta.id", wantMessage: "meta.id is required"},
		{name: "allOf maximum", body: `{` + valid + `,"meta":{"id":"2024-01-01","n":4}}`, wantField: "meta.n", wantMessage: "meta.n must be at most 3"},
		{name: "unknown property", body: `{` + valid + `,"options":{"track_clicks":true}}`, wantField: "options.track_clicks", wantMessage: "options.track_clicks is not allowed"},
		{name: "readOnly property", body: `{` + valid + `,"id":"m1"}`, only30: true, wantField: "id", wantMessage: "id is read-only"},
		{name: "malformed JSON", body: `{"to":`, wantField: "", wantMessage: "request body is not valid JSON"},
		{name: "body not an object", body: `[1]`, wantField: "", wantMessage: "request body must be a JSON object"},
		{name: "missing body", body: "", wantField: "", wantMessage: "request body is required"},
		{name: "wrong content type", contentType: "text/plain", body: `hi`, wantField: "", wantMessage: "request body must be JSON"},
		{name: "missing required header", body: `{` + valid + `}`, header: map[string]string{}, wantField: "X-Request-Id", wantMessage: "X-Request-Id header is required"},
		{name: "query integer unparsable", method: "GET", target: "/messages?limit=abc", wantField: "limit", wantMessage: "limit must be an integer"},
		{name: "query maximum", method: "GET", target: "/messages?limit=501", wantField: "limit", wantMessage: "limit must be at most 500"},
		{name: "query minimum", method: "GET", target: "/messages?limit=0", wantField: "limit", wantMessage: "limit must be at least 1"},
		{name: "query empty", method: "GET", target: "/messages?limit=", wantField: "limit", wantMessage: "limit must not be empty"},
		{name: "query enum", method: "GET", target: "/messages?status=pending", wantField: "status", wantMessage: "status must be one of open, closed, automated"},
		{name: "query array item", method: "GET", target: "/messages?ids=1&ids=x", wantField: "ids", wantMessage: "each value of ids must be an integer"},
		{name: "query maxItems", method: "GET", target: "/messages?ids=1&ids=2&ids=3&ids=4", wantField: "ids", wantMessage: "ids must contain at most 3 items"},
		{name: "rails array name", method: "GET", target: "/messages?channels%5B%5D%5Bid%5D=x", wantField: "channels[][id]", wantMessage: "each value of channels[][id] must be an integer"},
		{name: "rails bracket name", method: "GET", target: "/messages?created_at%5Bbefore%5D=soon", wantField: "created_at[before]", wantMessage: "created_at[before] must be a valid date-time"},
		{name: "deepObject unparsable", method: "GET", target: "/messages?messages%5Blimit%5D=x", wantField: "messages[limit]", wantMessage: "messages[limit] must be an integer"},
		{name: "deepObject maximum", method: "GET", target: "/messages?messages%5Blimit%5D=99", wantField: "messages[limit]", wantMessage: "messages[limit] must be at most 50"},
		{name: "header integer", method: "GET", target: "/messages", header: map[string]string{"X-Page-Size": "ten"}, wantField: "X-Page-Size", wantMessage: "X-Page-Size header must be an integer"},
		{name: "missing required query", method: "GET", target: "/contacts/" + uuid, wantField: "include_archived", wantMessage: "include_archived is required"},
		{name: "query boolean", method: "GET", target: "/contacts/" + uuid + "?include_archived=maybe", wantField: "include_archived", wantMessage: "include_archived must be true or false"},
		{name: "path format", method: "GET", target: "/contacts/42?include_archived=true", wantField: "id", wantMessage: "id must be a valid UUID"},
	}
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			router := reqerrRouter(t, v.replacer)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if tt.only30 && v.name != "3.0" {
						return
					}
					method, target, ct, header := tt.method, tt.target, tt.contentType, tt.header
					if method == "" {
						method, target = "POST", "/messages"
						if ct == "" {
							ct = "application/json"
						}
						if header == nil {
							header = hdr
						}
					}
					err := validate(t, router, method, target, ct, tt.body, header)
					if err == nil {
						t.Fatal("ValidateRequest: got nil error, want an error")
					}
					got := mocks.DescribeRequestError(err)
					if got == nil {
						t.Fatalf("DescribeRequestError(%v): got nil, want a FieldError", err)
					}
					if got.Field != tt.wantField {
						t.Errorf("Field: got %q, want %q (error %q)", got.Field, tt.wantField, err)
					}
					if got.Message != tt.wantMessage {
						t.Errorf("Message: got %q, want %q (error %q)", got.Message, tt.wantMessage, err)
					}
					if got.Error() != got.Message {
						t.Errorf("Error(): got %q, want %q", got.Error(), got.Message)
					}
					for _, leak := range leaks {
						if strings.Contains(got.Message, leak) {
							t.Errorf("Message %q: contains %q", got.Message, leak)
						}
					}
					wrapped := mocks.DescribeRequestError(fmt.Errorf("validate: %w", err))
					if *wrapped != *got {
						t.Errorf("wrapped error: got %+v, want %+v", *wrapped, *got)
					}
				})
			}
		})
	}
}

// TestDescribeMissingPathParameter validates a request whose path
// parameters were not extracted, as a caller routing requests itself might.
func TestDescribeMissingPathParameter(t *testing.T) {
	router := reqerrRouter(t, versions[0].replacer)
	req := httptest.NewRequest("GET", "/contacts/1b4e28ba-2fa1-41d2-883f-0016d3cca427?include_archived=true", nil)
	route, _, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   route,
		Options: &openapi3filter.Options{SkipSettingDefaults: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
	got := mocks.DescribeRequestError(err)
	if got == nil {
		t.Fatalf("DescribeRequestError(%v): got nil, want a FieldError", err)
	}
	if want := (mocks.FieldError{Field: "id", Message: "id is required"}); *got != want {
		t.Errorf("got %+v, want %+v", *got, want)
	}
}

func TestDescribeRequestErrorOther(t *testing.T) {
	router := reqerrRouter(t, versions[0].replacer)
	multi := validate(t, router, "GET", "/messages?limit=abc&status=x", "", "", nil)
	tests := []struct {
		name        string
		err         error
		wantField   string
		wantMessage string
	}{
		{name: "multi error", err: openapi3.MultiError{nil, multi}, wantField: "limit", wantMessage: "limit must be an integer"},
		{name: "empty multi error", err: openapi3.MultiError{}, wantField: "", wantMessage: "request is invalid"},
		{name: "unrelated error", err: errors.New("boom"), wantField: "", wantMessage: "request is invalid"},
		{name: "security", err: &openapi3filter.SecurityRequirementsError{Errors: []error{errors.New("no key")}}, wantField: "", wantMessage: "request credentials are missing or invalid"},
		{name: "body not allowed", err: &openapi3filter.RequestError{Err: errors.New("request body not allowed for this request")}, wantField: "", wantMessage: "request body is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mocks.DescribeRequestError(tt.err)
			if got == nil {
				t.Fatal("got nil, want a FieldError")
			}
			if got.Field != tt.wantField || got.Message != tt.wantMessage {
				t.Errorf("got %q %q, want %q %q", got.Field, got.Message, tt.wantField, tt.wantMessage)
			}
		})
	}
	if got := mocks.DescribeRequestError(nil); got != nil {
		t.Errorf("nil error: got %+v, want nil", got)
	}
}
