package whippy_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// TestExampleEvent_ShapedAsRealEvents: the example of every event type
// (what vendorsim invoke sends) is Whippy's envelope, and its data has the
// fields and JSON types of the event the server sends a real receiver:
// the events of a contact created through POST /contacts and texted, a
// lead writing in, a STOP, a campaign and a sequence. Event types the
// mock never emits are checked against the objects they carry where the
// API answers with one (a sequence and its steps), else against the
// related event's fields or the vendor's documented fields.
func TestExampleEvent_ShapedAsRealEvents(t *testing.T) {
	const key = "example-events-key"
	s, c, rc, _ := hookSetup(t, key, whippy.EventTypes)
	from := hookChannel(t, c)
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	post(t, c, "/contacts", M{"phone": "+14155552671", "name": "Dana Reyes", "email": "dana.reyes@example.com"}, http.StatusCreated)
	hookFlush(t, s, key)
	sms(t, c, from, "+14155552671", "Hi Dana, your order has shipped.")
	hookFlush(t, s, key)
	apptest.Want(t, sb.Post(t, "/whippy/inbound", M{"from": "+14155553300", "to": from, "body": "Hi, do you deliver on weekends?"}), http.StatusCreated)
	hookFlush(t, s, key)
	apptest.Want(t, sb.Post(t, "/whippy/inbound", M{"from": "+14155552671", "to": from, "body": "STOP"}), http.StatusCreated)
	hookFlush(t, s, key)
	apptest.Want(t, sb.Post(t, "/whippy/inbound", M{"from": "+14155552671", "to": from, "body": "The label",
		"attachments": []string{"https://files.example/label.jpg"}}), http.StatusCreated)
	hookFlush(t, s, key)
	post(t, c, "/messaging/sms/campaign", M{"from": from, "title": "Spring sale", "body": "20% off this week", "to": []M{{"phone": "+14155554400"}}}, http.StatusAccepted)
	hookFlush(t, s, key)
	seqs, _ := listOf(t, get(t, c, "/sequences"))
	seq := seqs[0]
	post(t, c, "/sequences/"+field(seq, "id")+"/contacts", M{"from": from, "to": []M{{"phone": "+14155555500", "name": "Sam Lee", "email": "sam@example.com"}}}, http.StatusAccepted)
	hookFlush(t, s, key)
	hookAdvance(t, s, key, "1m") // the deliveries, and the campaign completing

	real := map[string]any{} // the first event of each type
	var withAttachment any   // the first message with an attachment
	for _, ev := range rc.events(t) {
		if _, ok := real[ev.Event]; !ok {
			real[ev.Event] = ev.Data
		}
		if atts, _ := ev.Data["attachments"].([]any); ev.Event == "message.created" && len(atts) > 0 && withAttachment == nil {
			withAttachment = ev.Data
		}
	}
	emitted := []string{"message.created", "message.updated", "contact.created", "contact.updated", "conversation.created",
		"conversation.updated", "campaign.created", "campaign.updated", "sequence_run.created", "step_contact.created", "lead.new"}
	if withAttachment == nil {
		t.Fatal("no message.created with an attachment")
	}
	for _, e := range emitted {
		if real[e] == nil {
			t.Fatalf("the flow emitted no %s (got %v)", e, sortedKeys(real))
		}
	}
	if st := real["contact.updated"].(map[string]any)["communication_preferences"]; len(st.([]any)) != 1 {
		t.Fatalf("the first contact.updated is not the STOP: %v", real["contact.updated"])
	}
	if st := real["campaign.updated"].(map[string]any)["status"]; st != "completed" {
		t.Fatalf("campaign.updated status %v, want completed", st)
	}
	steps := seq["steps"].([]any)

	// Types the mock never emits: same fields and types as the API's
	// object (typed), or the same fields as a related event (paths only): a
	// call is a message with attachments.
	typed := map[string]any{"sequence.created": seq, "sequence.updated": seq, "step.created": steps[0], "step.updated": steps[0]}
	paths := map[string]any{"sequence_run.updated": real["sequence_run.created"], "step_contact.updated": real["step_contact.created"],
		"call.analyzed": withAttachment}
	// message_template.*: the fields VENDORS.md lists; no API has them.
	template := []string{"access_level", "attachments", "channel_ids", "created_at", "created_by_id", "id", "message",
		"organization_id", "title", "updated_at", "updated_by_id"}

	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	ex := whippy.New()
	for _, e := range whippy.EventTypes {
		body, err := ex.ExampleEvent(e)
		if err != nil {
			t.Errorf("%s: %v", e, err)
			continue
		}
		var env map[string]any
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("%s: not JSON: %v: %s", e, err, body)
			continue
		}
		data, isObject := env["data"].(map[string]any)
		if keys := sortedKeys(env); strings.Join(keys, " ") != "data event request_id" || env["event"] != e || !isObject ||
			!uuid.MatchString(env["request_id"].(string)) {
			t.Errorf("%s: not Whippy's envelope {data: {...}, event, request_id}: %s", e, body)
			continue
		}
		if !bytes.HasPrefix(body, []byte(`{"data":{`)) || !bytes.Equal(hookStringify(t, body), body) {
			t.Errorf("%s: body not in jsonb order as JSON.stringify writes it: %s", e, body)
		}
		switch {
		case slices.Contains(emitted, e):
			diffShapes(t, e, shapeOf(data), shapeOf(real[e]))
		case typed[e] != nil:
			diffShapes(t, e, shapeOf(data), shapeOf(typed[e]))
		case paths[e] != nil:
			diffShapes(t, e, pathsOf(data), pathsOf(paths[e]))
		case strings.HasPrefix(e, "message_template."):
			if got := sortedKeys(data); !slices.Equal(got, template) {
				t.Errorf("%s fields %v, want %v", e, got, template)
			}
		default:
			t.Errorf("%s: no check for this event type", e)
		}
	}
	if _, err := ex.ExampleEvent("contact.exploded"); err == nil {
		t.Error("an example of an event type Whippy does not have")
	}
}

// diffShapes reports the paths whose JSON types differ between an
// example's data and the reference.
func diffShapes(t *testing.T, event string, got, want map[string]string) {
	t.Helper()
	for _, p := range sortedKeys(want) {
		if got[p] != want[p] {
			t.Errorf("%s example: %s is %q, the real one %q", event, p, got[p], want[p])
		}
	}
	for _, p := range sortedKeys(got) {
		if _, ok := want[p]; !ok {
			t.Errorf("%s example: %s (%s) is not in the real one", event, p, got[p])
		}
	}
}

// pathsOf is the shape of v without the types: its field paths.
func pathsOf(v any) map[string]string {
	out := map[string]string{}
	for p := range shapeOf(v) {
		out[p] = "present"
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
