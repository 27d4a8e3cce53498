package zipwhip_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// inbound posts a text from a phone to the session's line.
func inbound(t *testing.T, s *apptest.Server, sess string, body map[string]any, want int) map[string]any {
	t.Helper()
	return apptest.Want(t, sandboxDo(t, s, sess, http.MethodPost, "/zipwhip/inbound", body), want).Map(t)
}

func TestOptOut_StopThenSendFailsUnstopDelivers(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557200")
	rc := newReceiver(t)
	installAll(t, s, sess, rc)

	in := inbound(t, s, sess, map[string]any{"from": "(206) 555-7201", "body": "  Stop "}, 201)
	if in["optout"] != "STOP" {
		t.Fatalf("inbound STOP answered %v", in)
	}
	flush(t, s, sess)
	hits := rc.got()
	if got := names(t, hits); got != "receive change:STOP" {
		t.Fatalf("events %q; want receive then change:STOP", got)
	}
	recv := payload(t, hits[0])
	// Field for field, in the vendor's order, with messageId a string
	// and eventDate at +00:00.
	re := regexp.MustCompile(`^\{"messageBody":"  Stop ","line":"\+12065557200","contact":"\+12065557201","messageId":"(\d+)","type":"STOP","eventDate":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"\}$`)
	m := re.FindStringSubmatch(string(hits[1].body))
	if m == nil {
		t.Fatalf("optout payload %s does not have the vendor's shape", hits[1].body)
	}
	if m[1] != recv["id"].(json.Number).String() {
		t.Errorf("optout messageId %s; want the STOP message's id %s", m[1], recv["id"])
	}
	if hits[1].path != "/optout/change" || hits[1].header.Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Errorf("optout delivery %s %v", hits[1].path, hits[1].header)
	}

	// A send to the opted-out number ends with -1234.
	sendTo(t, s, sess, "+12065557201", "are you there?")
	advance(t, s, sess, "1m")
	if got := names(t, rc.got()[2:]); got != "send p:1 p:-1234" {
		t.Fatalf("send after STOP: %q; want send p:1 p:-1234", got)
	}
	// START opts back in (type UNSTOP); sends deliver again.
	in = inbound(t, s, sess, map[string]any{"line": "2065557200", "from": "+12065557201", "body": "start"}, 201)
	if in["optout"] != "UNSTOP" {
		t.Fatalf("inbound START answered %v", in)
	}
	flush(t, s, sess)
	n := len(rc.got())
	if last := rc.got()[n-1]; !strings.Contains(string(last.body), `"type":"UNSTOP"`) || !strings.Contains(string(last.body), `"messageBody":"start"`) {
		t.Fatalf("opt-in payload %s", last.body)
	}
	sendTo(t, s, sess, "2065557201", "welcome back")
	advance(t, s, sess, "1m")
	if got := names(t, rc.got()[n:]); got != "send p:1 p:2 p:4" {
		t.Fatalf("send after START: %q; want delivered", got)
	}
}

func TestOptOut_Keywords(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557210")
	tests := []struct{ body, want string }{
		{"STOP", "STOP"}, {"stopall", "STOP"}, {" Unsubscribe", "STOP"}, {"CANCEL", "STOP"}, {"end", "STOP"}, {"Quit ", "STOP"},
		{"UNSTOP", "UNSTOP"}, {"Start", "UNSTOP"},
		{"stop it", ""}, {"please STOP", ""}, {"STOP.", ""},
	}
	for _, tt := range tests {
		in := inbound(t, s, sess, map[string]any{"from": "+12065557211", "body": tt.body}, 201)
		got, _ := in["optout"].(string)
		if got != tt.want {
			t.Errorf("body %q: optout %q; want %q", tt.body, got, tt.want)
		}
	}
	// Bad simulator input names the field.
	for _, body := range []map[string]any{
		{"from": "nope", "body": "x"},
		{"from": "+12065557211", "body": " "},
		{"from": "+12065557211", "body": "x", "line": "+19995550000"},
	} {
		r := sandboxDo(t, s, sess, http.MethodPost, "/zipwhip/inbound", body)
		if r.Status != 422 || !strings.Contains(string(r.Body), "field") {
			t.Errorf("inbound %v: %d %s; want 422 naming the field", body, r.Status, r.Body)
		}
	}
}
