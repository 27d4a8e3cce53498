package whippy_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// fuzzTargets are the JSON request paths FuzzWhippyJSON exercises. "{id}"
// is a contact and "{object}" a custom object created before fuzzing.
var fuzzTargets = []struct{ method, path string }{
	{http.MethodPost, "/messaging/sms"},
	{http.MethodPost, "/contacts"},
	{http.MethodPost, "/contacts/upsert"},
	{http.MethodPost, "/messaging/sms/campaign"},
	{http.MethodPost, "/custom_events/bulk"},
	{http.MethodPut, "/contacts/{id}"},
	{http.MethodPost, "/messaging/email"},
	{http.MethodPost, "/custom_objects"},
	{http.MethodPost, "/custom_objects/{object}/properties"},
	{http.MethodPost, "/custom_objects/{object}/records"},
	{http.MethodPost, "/contacts/search"},
	{http.MethodPost, "/organization/integrations"},
}

// FuzzWhippyJSON posts arbitrary bodies to the JSON operations. Whatever
// the body, the answer must be declared by the spec and match its schema
// (which apptest checks), never be a 5xx (the pipeline turns panics into
// 500s, so this also catches panics), only be a success for a body that is
// one valid JSON value, and leave the server able to serve the seeded
// contact.
func FuzzWhippyJSON(f *testing.F) {
	s := newServer(f, withWorkspace("fuzz", whippy.ChannelSeed{Name: "Fuzz line", Type: "phone", Phone: phoneA},
		whippy.ChannelSeed{Name: "Fuzz inbox", Type: "email", Email: emailA}))
	c := s.Whippy("fuzz")
	seeded := post(f, c, "/contacts", M{"phone": "+13125550700", "name": "Seeded Contact"}, http.StatusCreated)
	id := field(seeded, "id")
	object := post(f, c, "/custom_objects", M{"key": "fuzz_object", "label": "Fuzz",
		"custom_properties": []M{{"key": "site", "label": "Site", "type": "text"}}}, http.StatusCreated)
	objectID := field(object, "id")
	propertyID := field(object["custom_properties"].([]any)[0].(map[string]any), "id")

	seeds := map[int][]string{
		0: {
			`{"to":"+13125550701","from":"+12065550000","body":"hello"}`,
			`{"to":"(312) 555-0702","from":"+12065550000","attachments":["https://files.example/a.png"],"schedule_at":"2030-01-01T00:00:00Z"}`,
			`{"to":"+13125550703","from":"+12065550000","body":"x","opt_in_to":[{"id":"00000000-0000-4000-8000-000000000000"}],"conversation_status":"closed"}`,
			`{"to":"+13125550704","from":"+12065550000","body":"x","opt_in_to_all_channels":true}`,
			`{"to":"+1","from":"+12065550000","body":"x"}`,
			`{"to":"+13125550705","from":"+19995550000"}`,
			`{"to":"+13125550706","from":"+12065550000","body":"x"} {}`,
			`{"to":"+13125550707","from":"+12065550000","body":"\ud800"}`,
			`{"to":"+13125550708","from":"+12065550000","body":"\ud83d\ude9a\\ud800","opt_in_to":["00000000-0000-4000-8000-000000000000"]}`,
			`{"to":"+13125550709","from":"+12065550000","body":"e\u0301\u0301"}`,
		},
		1: {
			`{"phone":"+13125550710","name":"A B","email":"a@example.com","opt_in_to":["00000000-0000-4000-8000-000000000000"]}`,
			`{"phone":"+13125550711","birth_date":{"day":31,"month":12,"year":1999},"address":{"post_code":"1"}}`,
			`{"phone":"+13125550712","opt_in_to":[{"phone":"+12065550000"}]}`,
			`{"phone":"+13125550700"}`,
			`{"phone":null}`,
			`{"phone":"+13125550713","birth_date":{"year":1e400}}`,
			`[`,
		},
		2: {
			`{"contacts":[{"phone":"+13125550720","name":"Up Sert"},{"phone":"+13125550700","email":"seeded@example.com"}]}`,
			`{"contacts":[{"phone":"+13125550721","external_id":"x"}],"opt_in_to":[{"id":"00000000-0000-4000-8000-000000000000"}]}`,
			`{"contacts":[{"phone":"+13125550722","address":{"city":null}}],"opt_in_to_all_channels":true}`,
			`{"contacts":[{}]}`,
			`{"contacts":"all"}`,
		},
		3: {
			`{"from":"+12065550000","title":"T","body":"b","to":[{"phone":"+13125550730"},{"phone":"junk"}]}`,
			`{"from":"+12065550000","body":"b","to":[{"phone":"+13125550731","first_name":"F","last_name":"L"}],"schedule_at":"2030-01-01T00:00:00+02:00"}`,
			`{"from":"+12065550000","body":"b","to":[{"phone":"junk"}]}`,
			`{"from":"+12065550000","to":[{}]}`,
		},
		4: {
			`{"events":[{"event":"a"},{"event":"b","payload":{"k":[1,2,{"x":null}]},"timestamp":"2024-01-01T00:00:00Z"}]}`,
			`{"events":[{"event":"a","associated_resources":[{"resource":"contact","id":"00000000-0000-4000-8000-000000000000"}]}]}`,
			`{"events":[{"event":" "}]}`,
			`{"events":[]}`,
		},
		5: {
			`{"name":"New Name","email":"n@example.com"}`,
			`{"first_name":"Only"}`,
			`{"phone":"+13125550740"}`,
			`{"phone":"+13125550700","address":{"postal_code":"2"},"birth_date":{"day":1}}`,
			`{"name":null}`,
			`{}`,
		},
		6: {
			`{"to":"pat@example.com","from":"` + emailA + `","subject":"s","body":"b","cc":"a@example.com, B <b@example.com>","bcc":["c@example.com"]}`,
			`{"to":"pat@example.com","from":"` + emailA + `","body":"b","cc":["nope"]}`,
			`{"to":"pat@example.com","from":"` + emailA + `","body":"b","cc":7}`,
		},
		7: {
			`{"key":"job","label":"Job","custom_properties":[{"key":"title","label":"Title","type":"text","default":[1,{"a":null}]}]}`,
			`{"key":"Bad Key","label":"x"}`,
			`{"key":"ref_holder","label":"R","properties":[{"key":"r","label":"R","type":"text","references":[{"custom_property_id":"` + propertyID + `"}]}]}`,
		},
		8: {
			`{"key":"count","label":"Count","type":"number","required":true}`,
			`{"key":"site","label":"Dup","type":"text"}`,
			`{"key":"r2","label":"R","type":"text","references":[{"custom_property_id":"00000000-0000-4000-8000-000000000000"}]}`,
		},
		9: {
			`{"external_id":"e1","properties":{"site":"x","n":[1,2]}}`,
			`{"associated_resource_id":"00000000-0000-4000-8000-000000000000","associated_resource_type":"contact","properties":{}}`,
			`{"associated_resource_type":"contact"}`,
			`{"properties":{"\udc00":1}}`,
		},
		10: {
			`{"phone":"+13125550700"}`,
			`{"name":"seed","limit":1,"offset":0}`,
			`{"limit":0}`,
		},
		11: {
			`{"integration_id":"i1","client":"hubspot","name":"H"}`,
			`{"integration_id":""}`,
		},
	}
	for target, bodies := range seeds {
		for _, b := range bodies {
			f.Add(uint8(target), []byte(b))
		}
	}
	for target := range fuzzTargets {
		for _, b := range []string{``, `null`, `{}`, `[]`, `"x"`, `{"`, `{"a":1}}`, "{\"phone\":\"\xff\"}"} {
			f.Add(uint8(target), []byte(b))
		}
	}

	f.Fuzz(func(t *testing.T, target uint8, body []byte) {
		tg := fuzzTargets[int(target)%len(fuzzTargets)]
		path := tg.path
		path = strings.ReplaceAll(strings.ReplaceAll(path, "{id}", id), "{object}", objectID)
		r := c.Do(t, tg.method, path, body) // fails the test unless the answer matches the spec
		if r.Status >= 200 && r.Status < 300 && !json.Valid(body) {
			t.Errorf("%s %s answered %d to a body that is not one JSON value: %q", tg.method, path, r.Status, body)
		}
		if r.Status >= 400 {
			wantError(t, r, r.Status)
		}
		get(t, c, "/contacts/"+id)
	})
}
