package whippy_test

import (
	"net/http"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// TestInboundOptout: the inbound simulator's answer says what the body did
// to the contact's opt-in (as the Zipwhip simulator's does), so a caller
// (the dashboard's phone) can show the opt-out.
func TestInboundOptout(t *testing.T) {
	const key = "inbound-optout-key"
	s := apptest.New(t)
	c := s.Whippy(key)
	ch := apptest.Want(t, c.Get(t, "/channels"), 200).Map(t)["data"].([]any)[0].(map[string]any)["phone"].(string)
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	tests := []struct {
		body string
		want any
	}{
		{"Is the job still open?", nil},
		{" stop ", "STOP"},
		{"UNSUBSCRIBE", "STOP"},
		{"START", "UNSTOP"},
		{"unstop", "UNSTOP"},
	}
	for _, tt := range tests {
		got := apptest.Want(t, sb.Post(t, "/whippy/inbound", map[string]any{"from": "+12065557401", "to": ch, "body": tt.body}), 201).Map(t)
		if got["optout"] != tt.want {
			t.Errorf("inbound %q: optout %v, want %v", tt.body, got["optout"], tt.want)
		}
	}
}
