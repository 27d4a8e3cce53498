package whippy_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// TestCustomObjects: objects, their properties and their records are
// stored as sent and read back as stored, in the fixtures' shapes, with
// references filled.
func TestCustomObjects(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("custom-objects")
	items, total := listOf(t, get(t, c, "/custom_objects"))
	if len(items) != 0 || total != 0 {
		t.Fatalf("a fresh workspace has custom objects %v", items)
	}

	job := post(t, c, "/custom_objects", M{"key": "job", "label": "Job", "color": "#112233",
		"custom_properties": []M{{"key": "title", "label": "Title", "type": "text", "required": true}}}, http.StatusCreated)
	if field(job, "key") != "job" || field(job, "label") != "Job" || field(job, "color") != "#112233" {
		t.Errorf("created object %v, want key job, label Job, color #112233", job)
	}
	props := job["custom_properties"].([]any)
	if len(props) != 1 {
		t.Fatalf("object properties %v, want the one sent", props)
	}
	title := props[0].(map[string]any)
	if field(title, "key") != "title" || field(title, "custom_object_id") != field(job, "id") || title["required"] != true || title["default"] != nil {
		t.Errorf("property %v", title)
	}
	if refs, ok := title["references"].([]any); !ok || len(refs) != 0 {
		t.Errorf("references %v, want []", title["references"])
	}

	// A second object whose property references the first one's.
	place := post(t, c, "/custom_objects", M{"key": "placement", "label": "Placement"}, http.StatusCreated)
	pid := field(place, "id")
	ref := post(t, c, "/custom_objects/"+pid+"/properties", M{"key": "job_title", "label": "Job title", "type": "text", "default": "TBD",
		"references": []M{{"custom_property_id": field(title, "id")}}}, http.StatusCreated)
	refs := ref["references"].([]any)
	if len(refs) != 1 {
		t.Fatalf("references %v, want one", ref["references"])
	}
	r0 := refs[0].(map[string]any)
	if field(r0, "custom_object_id") != field(job, "id") || field(r0, "custom_property_id") != field(title, "id") || field(r0, "type") != "one_to_many" || field(r0, "id") == "" {
		t.Errorf("reference %v, want the job's title property, one_to_many, with an id", r0)
	}
	if ref["default"] != "TBD" {
		t.Errorf("default %v, want TBD", ref["default"])
	}
	updated := put(t, c, "/custom_objects/"+pid+"/properties/"+field(ref, "id"), M{"label": "Role", "required": true})
	if field(updated, "label") != "Role" || updated["required"] != true || field(updated, "key") != "job_title" || len(updated["references"].([]any)) != 1 {
		t.Errorf("updated property %v", updated)
	}
	renamed := put(t, c, "/custom_objects/"+pid, M{"label": "Job placement", "emoji": "📋"})
	if field(renamed, "label") != "Job placement" || field(renamed, "key") != "placement" || field(renamed, "emoji") != "📋" {
		t.Errorf("updated object %v", renamed)
	}
	if ps := renamed["custom_properties"].([]any); len(ps) != 1 || field(ps[0].(map[string]any), "label") != "Role" {
		t.Errorf("object's properties %v, want the updated one", ps)
	}
	wantList(t, c, "/custom_objects", "key", "job", "placement")

	// Records: an upsert by external_id merges properties.
	contact := post(t, c, "/contacts", M{"phone": "+13125550801"}, http.StatusCreated)
	rec := post(t, c, "/custom_objects/"+pid+"/records", M{"external_id": "pl-1", "associated_resource_id": field(contact, "id"),
		"associated_resource_type": "contact", "properties": M{"job_title": "Forklift driver", "shift": "night"}}, http.StatusCreated)
	if field(rec, "key") != "placement" || field(rec, "label") != "Job placement" || field(rec, "custom_object_id") != pid ||
		field(rec, "external_id") != "pl-1" || field(rec, "associated_resource_type") != "contact" {
		t.Errorf("record %v", rec)
	}
	again := post(t, c, "/custom_objects/"+pid+"/records", M{"external_id": "pl-1", "properties": M{"shift": "day"}}, http.StatusOK)
	if field(again, "id") != field(rec, "id") || !jsonEqual(again["properties"], M{"job_title": "Forklift driver", "shift": "day"}) {
		t.Errorf("upsert of pl-1 %v, want the same record with merged properties", again)
	}
	// Without an external_id, the associated resource finds the record.
	byAssoc := post(t, c, "/custom_objects/"+pid+"/records", M{"associated_resource_id": field(contact, "id"), "associated_resource_type": "contact",
		"properties": M{"rate": 21.5}}, http.StatusOK)
	if field(byAssoc, "id") != field(rec, "id") {
		t.Errorf("upsert by associated resource made record %s, want %s", field(byAssoc, "id"), field(rec, "id"))
	}
	other := post(t, c, "/custom_objects/"+pid+"/records", M{"external_id": "pl-2", "properties": M{}}, http.StatusCreated)
	if field(other, "id") == field(rec, "id") {
		t.Error("a new external_id updated the existing record")
	}

	put1 := put(t, c, "/custom_objects/"+pid+"/records/"+field(rec, "id"), M{"external_id": "pl-1b", "properties": M{"job_title": "Loader"}})
	if field(put1, "external_id") != "pl-1b" || !jsonEqual(put1["properties"], M{"job_title": "Loader", "shift": "day", "rate": 21.5}) {
		t.Errorf("PUT record %v", put1)
	}
	vals, ok := put1["custom_property_values"].([]any)
	if !ok || len(vals) != 1 {
		t.Fatalf("custom_property_values %v, want the value of job_title", put1["custom_property_values"])
	}
	v := vals[0].(map[string]any)
	if v["value"] != "Loader" || field(v, "custom_property_id") != field(ref, "id") || field(v, "custom_object_record_id") != field(rec, "id") {
		t.Errorf("property value %v", v)
	}

	// Bad input names the field; unknown ids are 404s.
	for _, tt := range []struct {
		method, path string
		body         M
		status       int
		field        string
	}{
		{"POST", "/custom_objects", M{"key": "job", "label": "Again"}, 422, "key"},
		{"POST", "/custom_objects", M{"key": "Job Title", "label": "x"}, 422, "key"},
		{"POST", "/custom_objects", M{"key": "ok_key", "label": "x", "custom_properties": []M{{"key": "a", "label": "A"}}}, 422, "custom_properties.0.type"},
		{"POST", "/custom_objects/" + pid + "/properties", M{"key": "job_title", "label": "Dup", "type": "text"}, 422, "key"},
		{"POST", "/custom_objects/" + pid + "/properties", M{"key": "x", "label": "X", "type": "text", "references": []M{{"custom_property_id": uuid.NewString()}}}, 422, "references.0.custom_property_id"},
		{"POST", "/custom_objects/" + pid + "/records", M{"associated_resource_type": "contact"}, 422, "associated_resource_id"},
		{"PUT", "/custom_objects/" + pid + "/records/" + field(other, "id"), M{"external_id": "pl-1b"}, 422, "external_id"},
		{"PUT", "/custom_objects/" + uuid.NewString(), M{"label": "x"}, 404, "Custom object not found"},
		{"POST", "/custom_objects/" + uuid.NewString() + "/records", M{}, 404, "Custom object not found"},
		{"PUT", "/custom_objects/" + pid + "/properties/" + uuid.NewString(), M{"label": "x"}, 404, "Custom property not found"},
		{"PUT", "/custom_objects/" + pid + "/records/" + uuid.NewString(), M{}, 404, "Custom object record not found"},
		{"PUT", "/custom_objects/" + field(job, "id") + "/records/" + field(rec, "id"), M{}, 404, "Custom object record not found"},
	} {
		wantError(t, c.Do(t, tt.method, tt.path, tt.body), tt.status, tt.field)
	}
	// Another workspace sees none of it.
	wantList(t, s.Whippy("custom-objects-other"), "/custom_objects", "key")
}

// TestServedEndpoints: the endpoints the vendor notes confirm (and the
// search Whippy's own client calls) answer.
func TestServedEndpoints(t *testing.T) {
	s := newServer(t)
	c := s.Whippy("served-endpoints")
	from := defaultPhone(t, c)
	seqs, _ := listOf(t, get(t, c, "/sequences"))
	post(t, c, "/sequences/"+field(seqs[0], "id")+"/contacts", M{"from": from, "to": []M{{"phone": "+13125550901", "name": "Run Ner"}}}, http.StatusAccepted)
	runs, _ := listOf(t, get(t, c, "/sequences/runs"))
	if len(runs) != 1 {
		t.Fatalf("runs %v", runs)
	}
	if got := dataOf(t, get(t, c, "/sequences/runs/"+field(runs[0], "id"))); !jsonEqual(got, runs[0]) {
		t.Errorf("GET /sequences/runs/{id} = %v, want the listed run %v", got, runs[0])
	}
	wantError(t, c.Get(t, "/sequences/runs/"+uuid.NewString()), 404, "Sequence run not found")

	integ := post(t, c, "/organization/integrations", M{"integration_id": "int-1", "client": "hubspot", "name": "HubSpot"}, http.StatusCreated)
	org := dataOf(t, get(t, c, "/organization"))
	if field(integ, "integration_id") != "int-1" || field(integ, "client") != "hubspot" || field(integ, "organization_id") != field(org, "id") {
		t.Errorf("integration %v", integ)
	}
	again := post(t, c, "/organization/integrations", M{"integration_id": "int-1", "name": "HubSpot EU"}, http.StatusOK)
	if field(again, "id") != field(integ, "id") || field(again, "name") != "HubSpot EU" || field(again, "client") != "hubspot" {
		t.Errorf("re-registered integration %v", again)
	}
	wantError(t, c.Post(t, "/organization/integrations", M{"client": "hubspot"}), 422, "integration_id")

	post(t, c, "/contacts", M{"phone": "+13125550902", "name": "Sue Search", "email": "sue@example.com", "external_id": "crm-9"}, http.StatusCreated)
	for _, tt := range []struct {
		body M
		want []string
	}{
		{M{"phone": "(312) 555-0902"}, []string{"Sue Search"}},
		{M{"email": "SUE@example.com"}, []string{"Sue Search"}},
		{M{"name": "ner"}, []string{"Run Ner"}},
		{M{"external_id": "crm-9"}, []string{"Sue Search"}},
		{M{"external_id": "crm-0"}, nil},
		{M{}, []string{"Run Ner", "Sue Search"}},
		{M{"limit": 1, "offset": 5}, nil},
	} {
		items, total := listOf(t, apptest.Want(t, c.Post(t, "/contacts/search", tt.body), http.StatusOK))
		if got, w := pluck(items, "name"), sorted(tt.want...); !jsonEqual(got, w) {
			t.Errorf("search %v: %v, want %v", tt.body, got, w)
		}
		if tt.body["limit"] == nil && total != len(tt.want) {
			t.Errorf("search %v: total %d, want %d", tt.body, total, len(tt.want))
		}
	}
	wantError(t, c.Post(t, "/contacts/search", M{"limit": 0}), 422, "limit")
}
