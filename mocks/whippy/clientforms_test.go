package whippy_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestSend_ClientForms: what Whippy's own client sends is accepted in
// both forms: opt_in_to as channel ids or as objects on POST
// /messaging/sms (as contacts take it), and cc/bcc as one string or as a
// list on POST /messaging/email.
func TestSend_ClientForms(t *testing.T) {
	s := newServer(t, withWorkspace("client-forms", twoPhonesAndEmail...))
	c := s.Whippy("client-forms")
	chA, chB := channelByPhone(t, c, phoneA), channelByPhone(t, c, phoneB)

	optedIn := func(t *testing.T, contactID string) []string {
		t.Helper()
		var out []string
		for _, p := range dataOf(t, get(t, c, "/contacts/"+contactID))["communication_preferences"].([]any) {
			p := p.(map[string]any)
			if p["opt_in"] == true {
				out = append(out, p["channel_id"].(string))
			}
		}
		return sorted(out...)
	}
	for _, tt := range []struct {
		name, to string
		optInTo  any
		want     []string
	}{
		{"IDs", "+13125550701", []string{field(chB, "id")}, []string{field(chB, "id")}},
		{"Objects", "+13125550702", []M{{"id": field(chB, "id")}}, []string{field(chB, "id")}},
		{"Mixed", "+13125550703", []any{field(chB, "id"), M{"phone": phoneA}}, []string{field(chA, "id"), field(chB, "id")}},
	} {
		t.Run("OptInTo"+tt.name, func(t *testing.T) {
			r := post(t, c, "/messaging/sms", M{"from": phoneA, "to": tt.to, "body": "hi", "opt_in_to": tt.optInTo}, http.StatusCreated)
			// The send opts the new contact in to these channels (the
			// from channel only through them).
			if got, want := optedIn(t, field(r, "contact_id")), sorted(tt.want...); !slices.Equal(got, want) {
				t.Errorf("opted in to %v, want %v", got, want)
			}
		})
	}
	wantError(t, c.Post(t, "/messaging/sms", M{"from": phoneA, "to": "+13125550704", "body": "hi", "opt_in_to": []string{"not-a-channel"}}), 422, "opt_in_to")
	wantError(t, c.Post(t, "/messaging/sms", M{"from": phoneA, "to": "+13125550704", "body": "hi", "opt_in_to": []any{5}}), 422, "opt_in_to")

	for _, tt := range []struct {
		name    string
		cc, bcc any
	}{
		{"Strings", "boss@example.com", "audit@example.com"},
		{"StringWithSeveral", "boss@example.com, Ops <ops@example.com>", nil},
		{"Lists", []string{"boss@example.com"}, []string{"audit@example.com", "ops@example.com"}},
	} {
		t.Run("CC"+tt.name, func(t *testing.T) {
			body := M{"from": emailA, "to": "pat@example.com", "subject": "s", "body": "b", "cc": tt.cc}
			if tt.bcc != nil {
				body["bcc"] = tt.bcc
			}
			post(t, c, "/messaging/email", body, http.StatusCreated)
		})
	}
	wantError(t, c.Post(t, "/messaging/email", M{"from": emailA, "to": "pat@example.com", "body": "b", "cc": "not an address"}), 422, "cc")
	wantError(t, c.Post(t, "/messaging/email", M{"from": emailA, "to": "pat@example.com", "body": "b", "bcc": []string{"ok@example.com", "nope"}}), 422, "bcc.1")
	wantError(t, c.Post(t, "/messaging/email", M{"from": emailA, "to": "pat@example.com", "body": "b", "cc": 5}), 422, "cc")
}
