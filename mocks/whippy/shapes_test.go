package whippy_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// shapeEntry is one fixture or sample of testdata/vendor_shapes.json: the
// JSON type(s) of every field path.
type shapeEntry struct {
	Source string            `json:"source"`
	Fields map[string]string `json:"fields"`
	// Formats is the layout of every date or timestamp field.
	Formats map[string]string `json:"formats"`
}

type vendorShapes struct {
	Responses map[string]shapeEntry `json:"responses"`
	Events    map[string]shapeEntry `json:"events"`
}

// part maps the object at prefix ("" for the whole document) of a fixture
// or sample to a kind; skip lists nested fields compared as other parts.
type part struct {
	prefix, kind string
	skip         []string
}

// responseParts and eventParts say which objects each fixture and sample
// holds.
var responseParts = map[string][]part{
	"list_contacts_fixture":               {{"data[]", "contact", nil}},
	"create_contact_fixture":              {{"data", "contact", []string{"conversations"}}, {"data.conversations[]", "conversation", nil}},
	"get_contact_fixture":                 {{"data", "contact", []string{"conversations"}}},
	"list_users_fixture":                  {{"data[]", "user", []string{"channels"}}, {"data[].channels[]", "channel", nil}},
	"list_conversations_fixture":          {{"data[]", "conversation", nil}},
	"get_conversation_fixture":            {{"data", "conversation", []string{"messages"}}, {"data.messages[]", "message", nil}},
	"get_channel_fixture":                 {{"data", "channel", nil}},
	"list_channels_fixture":               {{"data[]", "channel", nil}},
	"list_custom_objects_fixture":         {{"data[]", "custom_object", []string{"custom_properties"}}, {"data[].custom_properties[]", "custom_property", nil}},
	"create_custom_object_fixture":        {{"data", "custom_object", []string{"custom_properties"}}, {"data.custom_properties[]", "custom_property", nil}},
	"create_custom_property_fixture":      {{"data", "custom_property", nil}},
	"create_custom_object_record_fixture": {{"data", "record", nil}},
	"update_custom_object_record_fixture": {{"data", "record", nil}},
}

var eventParts = map[string][]part{
	"campaign.created":     {{"", "campaign_event", nil}},
	"campaign.updated":     {{"", "campaign_event", nil}},
	"contact.created":      {{"", "contact", nil}},
	"contact.updated":      {{"", "contact", nil}},
	"conversation.created": {{"", "conversation", nil}},
	"conversation.updated": {{"", "conversation", nil}},
	"message.created":      {{"", "message", nil}},
	"message.updated":      {{"", "message", nil}},
	"lead.new": {{"", "lead", []string{"contact", "conversation", "inbound_message"}},
		{"contact", "contact", nil}, {"conversation", "conversation", nil}, {"inbound_message", "message", nil}},
	"sequence_run.created": {{"", "sequence_run", nil}},
	"step_contact.created": {{"", "step_contact", nil}},
	// Not emitted (notEmitted), but their fields are the kind's too.
	"sequence_run.updated": {{"", "sequence_run", nil}},
	"step_contact.updated": {{"", "step_contact", nil}},
}

// notEmitted are the sampled events vendorsim does not send yet, so there
// is nothing to compare. A sample must be compared or listed here.
var notEmitted = map[string]string{
	"message_template.created": "vendorsim has no message templates",
	"message_template.updated": "vendorsim has no message templates",
	"message_template.deleted": "vendorsim has no message templates",
	"sequence.created":         "sequences are seeded, not created through the API",
	"sequence.updated":         "sequences are seeded, not changed through the API",
	"step.created":             "steps are seeded with their sequence",
	"step.updated":             "steps are seeded with their sequence",
	"sequence_run.updated":     "runs do not advance past their first step",
	"step_contact.updated":     "step contacts do not advance past their first step",
}

// extras are fields vendorsim adds that no fixture or sample of the kind
// has, each with the vendor source that backs it (the vendor notes, §1).
var extras = map[string]map[string]string{
	"message": {
		"type":    "§1.3 Message object: type is read by Whippy's Sync controller and parser (W8)",
		"subject": "email messages only: the subject sent (POST /messaging/email body, W10)",
	},
	"conversation": {
		"last_message_timestamp": "§1.3 Conversation object: the model lists it (W8)",
	},
	"channel": {
		"email": "email channels only (the address an email is sent from, §1.3 POST /messaging/email)",
	},
	"campaign_event": {},
}

// envelopeExtras are top-level fields vendorsim adds to a fixture's
// answer, with their source.
var envelopeExtras = map[string]map[string]string{
	"list_contacts_fixture": {"total": "§1.2: lists carry total (W3); the contacts fixture is taken to be incomplete"},
}

// optional are fields that are null or set by the state of the object, so
// that vendorsim may answer null where every fixture and sample of the
// kind has a value, or a value where they all have null; each with the
// state that decides it. Any other field must be null exactly where the
// vendor's are.
var optional = map[string]map[string]string{
	"contact": {
		"name":       "null until the client gives one (a lead from an unknown number has none)",
		"first_name": "null until the client gives a name",
		"email":      "null until the client gives one",
		"communication_preferences[].opt_out_date":       "null until the contact opts out of the channel",
		"communication_preferences[].last_campaign_date": "null until a campaign reaches the contact on the channel",
		"last_name":                           "null until the client gives one",
		"address.address_line_two":            "null unless the address has a second line",
		"contact_tags[].tag.created_by.phone": "the user's phone: null for a user without one (users seed without a phone unless given one)",
		"contact_tags[].tag.updated_by.phone": "the user's phone, as created_by.phone",
	},
	"conversation": {
		"last_message_date": "null until the conversation has a message",
		"assigned_user_id":  "null while no user is assigned (vendorsim assigns none unless asked)",
		"assigned_team_id":  "null while no team is assigned",
		"contact_language":  "en in the conversation fixture (W8), null in the lead.new sample: vendorsim takes it as known (en)",
	},
	"sequence_run": {
		"channel_id": "null in the sample, whose author wrote '' for nulls; the run's step contact has the channel, and vendorsim gives the run the channel it sends on",
	},
	"campaign_event": {
		"body": "null in the campaign.created sample (a campaign created before its message); vendorsim's campaigns are created by a send, with its body",
	},
	"user": {
		"phone": "null for a user without a phone (users seed without one unless given one)",
	},
	"channel": {
		"color":                     "null until set on the channel (seeded channels have none)",
		"emoji":                     "null until set on the channel",
		"description":               "null until set on the channel",
		"automatic_response_open":   "null until set on the channel",
		"automatic_response_closed": "null until set on the channel",
	},
	"message": {
		"sequence_id":         "set on a message a sequence step sent, null otherwise (the samples are of other messages)",
		"campaign_contact_id": "set on a message a campaign sent, null otherwise (the samples are of other messages)",
		"campaign_id":         "set on a message a campaign sent, null otherwise",
		"step_id":             "set on a message a sequence step sent, null otherwise",
		"step_contact_id":     "set on a message a sequence step sent, null otherwise",
	},
}

// free are paths whose contents are the client's data, not a shape.
var free = map[string][]string{
	"record":          {"properties", "custom_property_values[].value"},
	"custom_property": {"default"},
}

// TestVendorShapes compares the field sets, JSON types, nulls and
// timestamp layouts of vendorsim's answers and webhook events with those
// of every vendor fixture and sample (testdata/vendor_shapes.json): a
// field the vendor has that vendorsim leaves out, a field of another type,
// a null where the fixture or sample has a value or a value where it has
// null (unless optional names the state that decides it), a date or
// timestamp in a layout (whole seconds, microseconds, no zone) no fixture
// or sample of the kind uses, or a field vendorsim adds that neither the
// fixtures nor the samples have (unless extras backs it) fails; so does an
// optional entry no comparison needed.
func TestVendorShapes(t *testing.T) {
	raw, err := os.ReadFile("testdata/vendor_shapes.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs vendorShapes
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}

	const key = "shapes-key"
	s, c, rc, _ := hookSetup(t, key, []string{"message.created", "message.updated", "contact.created", "contact.updated",
		"conversation.created", "conversation.updated", "campaign.created", "campaign.updated", "lead.new",
		"sequence_run.created", "step_contact.created"})
	from := hookChannel(t, c)
	body := func(r *apptest.Response) any {
		var v any
		r.JSON(t, &v)
		return v
	}
	answers := map[string][]any{}
	answer := func(name string, r *apptest.Response) {
		answers[name] = append(answers[name], body(r))
	}

	// A contact with everything: address, birth date, opt-ins, a tag (from
	// a campaign) and a conversation.
	created := apptest.Want(t, c.Post(t, "/contacts", M{"phone": "+13125550950", "name": "Shape Shifter", "email": "shape@example.com",
		"external_id": "crm-1", "birth_date": M{"day": 1, "month": 2, "year": 1990}, "opt_in_to_all_channels": true,
		"address": M{"address_line_one": "1 Main St", "city": "Chicago", "country": "US", "post_code": "60601", "state": "IL"}}), 201)
	answer("create_contact_fixture", created)
	id := field(dataOf(t, created), "id")
	apptest.Want(t, c.Post(t, "/campaigns/sms", M{"from": from, "title": "Shapes", "body": "hi", "to": []M{{"phone": "+13125550950"}}}), 202)
	existing := apptest.Want(t, c.Post(t, "/contacts", M{"phone": "+13125550950"}), 200)
	if convs, _ := dataOf(t, existing)["conversations"].([]any); len(convs) != 1 {
		t.Errorf("POST /contacts for an existing phone: conversations %v, want the contact's one", dataOf(t, existing)["conversations"])
	}
	if tags, _ := dataOf(t, existing)["contact_tags"].([]any); len(tags) != 1 {
		t.Errorf("contact_tags %v, want the campaign's tag", dataOf(t, existing)["contact_tags"])
	}
	answer("create_contact_fixture", existing)
	answer("list_contacts_fixture", get(t, c, "/contacts"))
	answer("get_contact_fixture", get(t, c, "/contacts/"+id))
	if convs, ok := dataOf(t, get(t, c, "/contacts/"+field(post(t, c, "/contacts", M{"phone": "+13125550951"}, 201), "id")))["conversations"].([]any); !ok || len(convs) != 0 {
		t.Errorf("GET /contacts/{id} of a contact without conversations: conversations %v, want []", convs)
	}
	answer("list_users_fixture", get(t, c, "/users"))
	convs, _ := listOf(t, get(t, c, "/conversations"))
	answer("list_conversations_fixture", get(t, c, "/conversations"))
	answer("get_conversation_fixture", get(t, c, "/conversations/"+field(convs[0], "id")))
	chans := channelsOf(t, c)
	answer("list_channels_fixture", get(t, c, "/channels"))
	answer("get_channel_fixture", get(t, c, "/channels/"+field(chans[0], "id")))

	obj := apptest.Want(t, c.Post(t, "/custom_objects", M{"key": "address", "label": "Address", "color": "#000000", "emoji": "🏠", "description": "d",
		"custom_properties": []M{{"key": "city", "label": "City", "type": "text"}}}), 201)
	answer("create_custom_object_fixture", obj)
	objID := field(dataOf(t, obj), "id")
	city := dataOf(t, obj)["custom_properties"].([]any)[0].(map[string]any)
	answer("create_custom_property_fixture", apptest.Want(t, c.Post(t, "/custom_objects/"+objID+"/properties",
		M{"key": "zip", "label": "Zip", "type": "text", "default": "00000", "references": []M{{"custom_property_id": field(city, "id")}}}), 201))
	answer("list_custom_objects_fixture", get(t, c, "/custom_objects"))
	rec := apptest.Want(t, c.Post(t, "/custom_objects/"+objID+"/records", M{"external_id": "r1", "properties": M{"city": "Chicago"}}), 201)
	answer("create_custom_object_record_fixture", rec)
	answer("update_custom_object_record_fixture", apptest.Want(t, c.Do(t, http.MethodPut, "/custom_objects/"+objID+"/records/"+field(dataOf(t, rec), "id"),
		M{"associated_resource_id": id, "associated_resource_type": "contact", "properties": M{"city": "Evanston"}}), 200))

	// Events: an inbound message from a new number (lead.new), a
	// conversation update, a contact update, a sequence addition, and the
	// timelines run to the end.
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	apptest.Want(t, sb.Post(t, "/whippy/inbound", M{"from": "+13125550952", "to": from, "body": "hello"}), 201)
	put(t, c, "/conversations/"+field(convs[0], "id"), M{"status": "closed"})
	put(t, c, "/contacts/"+id, M{"name": "Shape Shifted"})
	seqs, _ := listOf(t, get(t, c, "/sequences"))
	post(t, c, "/sequences/"+field(seqs[0], "id")+"/contacts", M{"from": from, "to": []M{{"phone": "+13125550953", "name": "Seq Uence"}}}, 202)
	hookFlush(t, s, key)
	hookAdvance(t, s, key, "1m")
	events := map[string][]any{}
	for _, ev := range rc.events(t) {
		events[ev.Event] = append(events[ev.Event], any(ev.Data))
	}

	known := knownFields(vs)
	used := map[string]bool{} // the optional entries a comparison needed
	for name, entry := range vs.Responses {
		got := answers[name]
		if len(got) == 0 {
			t.Errorf("fixture %s: no vendorsim answer compared with it", name)
			continue
		}
		for _, g := range got {
			compareEnvelope(t, name, entry.Fields, g)
			for _, p := range responseParts[name] {
				if _, ok := shapeOf(g)[p.prefix]; p.prefix != "" && !ok {
					continue // an empty list: nothing to compare
				}
				compareObject(t, name+" "+p.kind, rebase(entry.Fields, p.prefix, p.skip), g, p, known[p.kind], used)
			}
		}
	}
	for name, entry := range vs.Events {
		got := events[name]
		if _, skip := notEmitted[name]; skip {
			if len(got) > 0 {
				t.Errorf("event %s is emitted now: compare it (eventParts) instead of listing it in notEmitted", name)
			}
			continue
		}
		if len(got) == 0 {
			t.Errorf("sample %s: vendorsim sent no such event to compare", name)
			continue
		}
		for _, g := range got {
			for _, p := range eventParts[name] {
				if _, ok := shapeOf(g)[p.prefix]; p.prefix != "" && !ok {
					continue
				}
				compareObject(t, name+" "+p.kind, rebase(entry.Fields, p.prefix, p.skip), g, p, known[p.kind], used)
			}
		}
	}
	for name := range events {
		if _, ok := vs.Events[name]; !ok {
			t.Errorf("vendorsim sent %s, which no sample shows", name)
		}
	}
	for kind, fields := range optional {
		for p := range fields {
			if !used[kind+" "+p] {
				t.Errorf("optional %s %s: no answer or event needed it; remove it", kind, p)
			}
		}
	}
}

// shapeOf returns the JSON types found at every path of v.
func shapeOf(v any) map[string]string {
	types := map[string]map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		t := "null"
		switch x := v.(type) {
		case map[string]any:
			t = "object"
			for k, e := range x {
				walk(join(path, k), e)
			}
		case []any:
			t = "array"
			for _, e := range x {
				walk(path+"[]", e)
			}
		case string:
			t = "string"
		case float64:
			t = "number"
		case bool:
			t = "boolean"
		}
		if types[path] == nil {
			types[path] = map[string]bool{}
		}
		types[path][t] = true
	}
	walk("", v)
	delete(types, "")
	out := map[string]string{}
	for p, ts := range types {
		var list []string
		for t := range ts {
			list = append(list, t)
		}
		sort.Strings(list)
		out[p] = strings.Join(list, "|")
	}
	return out
}

// timestampPattern matches a date, or a date and time with optional
// fractional seconds and Z.
var timestampPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z)?)?$`)

// formatsOf returns, for every path of v holding a date or timestamp
// string, its layouts in Go's reference-time notation, as
// testdata/vendor_shapes.json records them.
func formatsOf(v any) map[string]string {
	found := map[string]map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(join(path, k), e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		case string:
			m := timestampPattern.FindStringSubmatch(x)
			if m == nil {
				return
			}
			layout := "2006-01-02"
			if m[1] != "" {
				layout += "T15:04:05"
				if m[2] != "" {
					layout += "." + strings.Repeat("0", len(m[2])-1)
				}
				layout += m[3]
			}
			if found[path] == nil {
				found[path] = map[string]bool{}
			}
			found[path][layout] = true
		}
	}
	walk("", v)
	return joinSets(found)
}

// joinSets returns each set of strings sorted and joined by |.
func joinSets(sets map[string]map[string]bool) map[string]string {
	out := map[string]string{}
	for p, set := range sets {
		var list []string
		for s := range set {
			list = append(list, s)
		}
		sort.Strings(list)
		out[p] = strings.Join(list, "|")
	}
	return out
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// rebase returns the fields under prefix, relative to it, without the
// nested fields skip names.
func rebase(fields map[string]string, prefix string, skip []string) map[string]string {
	out := map[string]string{}
	for p, t := range fields {
		rel := p
		if prefix != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(p, prefix+"."); !ok {
				continue
			}
		}
		if under(rel, skip) {
			continue
		}
		out[rel] = t
	}
	return out
}

// under reports whether path is one of roots or inside one.
func under(path string, roots []string) bool {
	for _, r := range roots {
		if path == r || strings.HasPrefix(path, r+".") || strings.HasPrefix(path, r+"[]") {
			return true
		}
	}
	return false
}

func parent(path string) string {
	if p, ok := strings.CutSuffix(path, "[]"); ok {
		return p
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// kindFacts is what the fixtures and samples of one kind show together:
// for every field, the JSON types and the timestamp layouts it has in any
// of them.
type kindFacts struct {
	types, formats map[string]map[string]bool
}

func (k kindFacts) has(path string) bool { return k.types[path] != nil }

// knownFields gathers the facts of every kind from all the fixtures and
// samples that hold one (the users fixture's channels back the fields of
// channels, and so on).
func knownFields(vs vendorShapes) map[string]kindFacts {
	out := map[string]kindFacts{}
	addAll := func(into map[string]map[string]bool, fields map[string]string) {
		for f, list := range fields {
			if into[f] == nil {
				into[f] = map[string]bool{}
			}
			for _, x := range strings.Split(list, "|") {
				into[f][x] = true
			}
		}
	}
	add := func(parts []part, e shapeEntry) {
		for _, p := range parts {
			k, ok := out[p.kind]
			if !ok {
				k = kindFacts{types: map[string]map[string]bool{}, formats: map[string]map[string]bool{}}
				out[p.kind] = k
			}
			addAll(k.types, rebase(e.Fields, p.prefix, p.skip))
			addAll(k.formats, rebase(e.Formats, p.prefix, p.skip))
		}
	}
	for name, e := range vs.Responses {
		add(responseParts[name], e)
	}
	for name, e := range vs.Events {
		add(eventParts[name], e)
	}
	return out
}

// compareEnvelope compares the top-level fields of an answer (data,
// total, organization_id).
func compareEnvelope(t *testing.T, name string, want map[string]string, got any) {
	t.Helper()
	g := shapeOf(got)
	for p := range want {
		if !strings.ContainsAny(p, ".[") {
			if _, ok := g[p]; !ok {
				t.Errorf("%s: vendorsim's answer has no %s", name, p)
			}
		}
	}
	for p := range g {
		if !strings.ContainsAny(p, ".[") {
			if _, ok := want[p]; !ok && envelopeExtras[name][p] == "" {
				t.Errorf("%s: vendorsim's answer adds %s", name, p)
			}
		}
	}
}

// compareObject reports the fields of want (one fixture or sample) that
// gotDoc's object at p lacks, has with another type, has null where want
// has a value, or has set where want has null (unless optional says
// when); and, against everything the kind's fixtures and samples show
// (known), a field they do not have (unless extras backs it) and a date or
// timestamp in a layout none of them uses. It records in used the
// optional entries it needed. Fields under an empty array
// or a null object of got are not compared.
func compareObject(t *testing.T, where string, want map[string]string, gotDoc any, p part, known kindFacts, used map[string]bool) {
	t.Helper()
	kind := p.kind
	got := rebase(shapeOf(gotDoc), p.prefix, p.skip)
	formats := rebase(formatsOf(gotDoc), p.prefix, p.skip)
	reachable := func(p string) bool {
		if strings.HasSuffix(p, "[]") {
			_, ok := got[p]
			return ok
		}
		q := parent(p)
		return q == "" || strings.Contains(got[q], "object")
	}
	for p, wt := range want {
		if under(p, free[kind]) && !isRoot(p, free[kind]) {
			continue
		}
		if !reachable(p) {
			continue
		}
		gt, ok := got[p]
		if !ok {
			t.Errorf("%s: vendorsim leaves out %s (%s)", where, p, wt)
			continue
		}
		if under(p, free[kind]) {
			continue
		}
		allowed := strings.Split(wt, "|")
		_, opt := optional[kind][p]
		for _, g := range strings.Split(gt, "|") {
			nullDiffers := (g == "null" && !contains(allowed, "null")) || (g != "null" && wt == "null")
			if nullDiffers && opt {
				used[kind+" "+p] = true
				continue
			}
			switch {
			case g == "null" && !contains(allowed, "null"):
				t.Errorf("%s: %s is null in vendorsim, %s at the vendor", where, p, wt)
			case g != "null" && wt == "null":
				t.Errorf("%s: %s is %s in vendorsim, null at the vendor", where, p, g)
			case g != "null" && wt != "null" && !contains(allowed, g):
				t.Errorf("%s: %s is %s in vendorsim, %s at the vendor", where, p, gt, wt)
			}
		}
	}
	for p, gt := range got {
		if under(p, free[kind]) {
			continue
		}
		if !known.has(p) {
			if q := parent(p); q != "" && !known.has(q) {
				continue // reported at q
			}
			if _, ok := extras[kind][p]; !ok {
				t.Errorf("%s: vendorsim adds %s, which no fixture or sample has (back it with a source in extras, or remove it)", where, p)
			}
			continue
		}
		layouts := known.formats[p]
		if len(layouts) == 0 {
			continue
		}
		if !strings.Contains(gt, "string") {
			continue // null, per the rule above
		}
		f, ok := formats[p]
		if !ok {
			t.Errorf("%s: %s is no timestamp in vendorsim; the vendor's is %s", where, p, setString(layouts))
			continue
		}
		for _, l := range strings.Split(f, "|") {
			if !layouts[l] {
				t.Errorf("%s: %s is laid out %s in vendorsim, %s at the vendor", where, p, l, setString(layouts))
			}
		}
	}
}

func setString(set map[string]bool) string {
	return joinSets(map[string]map[string]bool{"": set})[""]
}

func isRoot(p string, roots []string) bool { return contains(roots, p) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
