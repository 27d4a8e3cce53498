package zipwhip_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// installAll registers rc for every event of the line.
func installAll(t *testing.T, s *apptest.Server, sess string, rc *receiver) {
	t.Helper()
	for _, ev := range []string{"receive", "send", "progress", "read", "delete"} {
		install(t, s, sess, rc, "message", ev, "POST")
	}
	install(t, s, sess, rc, "optout", "change", "POST")
}

func TestFlow_LoginSendWebhooksInOrder(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557000")
	rc := newReceiver(t)
	installAll(t, s, sess, rc)
	id := sendTo(t, s, sess, "+12065557001", "Hello <b>World</b> & café")
	flush(t, s, sess)
	advance(t, s, sess, "1m")
	got := strings.Join(rc.events(t), " ")
	if want := "message/send message/progress:1 message/progress:2 message/progress:4"; got != want {
		t.Fatalf("events %s; want %s", got, want)
	}
	for _, h := range rc.got() {
		if h.method != http.MethodPost || h.header.Get("Content-Type") != "application/json;charset=UTF-8" ||
			h.header.Get("User-Agent") != "Apache-HttpClient/4.5.7 (Java/1.8.0_201)" {
			t.Errorf("delivery %s %s with %v", h.method, h.path, h.header)
		}
		p := payload(t, h)
		if p["id"].(json.Number).String() != id || p["messageType"] != "MT" || p["finalSource"] != "+12065557000" ||
			p["finalDestination"] != "+12065557001" || p["address"] != "ptn:/+12065557001" || p["body"] != "Hello <b>World</b> & café" ||
			p["messageTransport"].(json.Number) != "5" || p["hasAttachment"] != false || p["bodySize"].(json.Number) != "25" {
			t.Errorf("payload %s", h.body)
		}
		if _, envelope := p["success"]; envelope || strings.Contains(string(h.body), `\u003c`) {
			t.Errorf("payload %s is not the bare, unescaped message object", h.body)
		}
	}
	sent, last := payload(t, rc.got()[0]), payload(t, rc.got()[3])
	if sent["dateDelivered"] != nil || last["dateDelivered"] == nil || last["statusCode"].(json.Number) != "4" {
		t.Errorf("dateDelivered: sent %v, delivered %v; want null, then set", sent["dateDelivered"], last["dateDelivered"])
	}
	// The stored message agrees.
	msg := success(t, s, "message/get", form("session", sess, "message", id)).(map[string]any)
	if msg["statusCode"].(json.Number) != "4" || msg["dateDelivered"] == nil {
		t.Errorf("message/get %v; want statusCode 4, delivered", msg)
	}

	// Read and delete emit their events with the same object.
	if r := success(t, s, "message/read", form("session", sess, "message", id)); r != false {
		t.Errorf("message/read answered %v; want false", r)
	}
	if r := success(t, s, "message/delete", form("session", sess, "messages", id)); r != false {
		t.Errorf("message/delete answered %v; want false", r)
	}
	flush(t, s, sess)
	evs := rc.events(t)
	if got := strings.Join(evs[4:], " "); got != "message/read message/delete" {
		t.Fatalf("events after read and delete: %s", got)
	}
	read, del := payload(t, rc.got()[4]), payload(t, rc.got()[5])
	if read["read"] != true || read["dateRead"] == nil || del["deleted"] != true || del["dateDeleted"] == nil || del["id"].(json.Number).String() != id {
		t.Errorf("read %v, delete %v", read, del)
	}
	// A deleted message leaves the list but can still be fetched.
	list := success(t, s, "message/list", form("session", sess)).([]any)
	if len(list) != 0 {
		t.Errorf("message/list after delete: %v", list)
	}
	if got := success(t, s, "message/get", form("session", sess, "message", id)).(map[string]any); got["deleted"] != true {
		t.Errorf("deleted message %v", got)
	}
}

func TestFlow_TollFreeLineReachesHandset(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "+18449479447")
	rc := newReceiver(t)
	install(t, s, sess, rc, "message", "progress", "POST")
	sendTo(t, s, sess, "2065557002", "toll-free hello")
	advance(t, s, sess, "1m")
	if got, want := strings.Join(rc.events(t), " "), "message/progress:1 message/progress:2 message/progress:4 message/progress:6"; got != want {
		t.Fatalf("events %s; want %s", got, want)
	}
	if p := payload(t, rc.got()[3]); p["finalSource"] != "+18449479447" || p["finalDestination"] != "+12065557002" {
		t.Errorf("handset receipt %v", p)
	}
}

func TestMagicNumbers(t *testing.T) {
	tests := []struct {
		suffix, area string
		// want after a minute; later after four hours more.
		want, later string
	}{
		{"00", "206", "send p:1 p:2 p:4", ""},
		{"00", "888", "send p:1 p:2 p:4 p:6", ""},
		{"01", "206", "send p:1 p:2 p:5", ""},
		{"02", "206", "send p:1 p:2 p:0", ""},
		{"03", "206", "send p:1 p:2 p:4 receive change:STOP", ""},
		{"04", "206", "send p:1 p:2 p:4 receive", ""},
		{"05", "206", "send p:1 p:-855", ""},
		{"06", "206", "send p:1 p:2", ""},
		{"07", "877", "send p:1 p:2 p:4 p:7", ""},
		{"07", "206", "send p:1 p:2 p:4", ""},
		{"08", "206", "send p:1 p:2", "p:4"},
		{"08", "800", "send p:1 p:2", "p:4 p:6"},
		{"09", "206", "send p:1 p:-801", ""},
	}
	s := manual(t)
	for i, tt := range tests {
		t.Run(tt.suffix+"_from_"+tt.area, func(t *testing.T) {
			// A line, and so a workspace, of its own.
			sess := login(t, s, fmt.Sprintf("%s555%04d", tt.area, 7100+i))
			rc := newReceiver(t)
			installAll(t, s, sess, rc)
			dest := "+131255501" + tt.suffix
			sendTo(t, s, sess, dest, "magic")
			advance(t, s, sess, "1m")
			if got := names(t, rc.got()); got != tt.want {
				t.Fatalf("to %s: events %q; want %q", dest, got, tt.want)
			}
			n := len(rc.got())
			advance(t, s, sess, "4h")
			if got := names(t, rc.got()[n:]); got != tt.later {
				t.Fatalf("to %s: events after 4h %q; want %q", dest, got, tt.later)
			}
			if tt.suffix == "03" || tt.suffix == "04" {
				in := payload(t, rc.got()[4])
				if in["messageType"] != "MO" || in["finalSource"] != dest || in["read"] != false {
					t.Errorf("reply %v", in)
				}
			}
		})
	}
	magic := apptest.Want(t, s.Sandbox(nil).Get(t, "/magic-numbers"), 200).Map(t)
	suffixes := map[string]bool{}
	for _, e := range magic["data"].([]any) {
		if e := e.(map[string]any); e["vendor"] == "zipwhip" {
			suffixes[e["suffix"].(string)] = true
		}
	}
	for _, tt := range tests {
		if !suffixes["01"+tt.suffix] && !suffixes[tt.suffix] {
			t.Errorf("GET /_sandbox/magic-numbers lacks zipwhip's %s: %v", tt.suffix, magic)
		}
	}
}

// names lists received events by short name.
func names(t *testing.T, hits []hit) string {
	t.Helper()
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = short(t, h)
	}
	return strings.Join(out, " ")
}

// short names a received event: send, receive, p:<statusCode>, change:<type>.
func short(t *testing.T, h hit) string {
	t.Helper()
	p := payload(t, h)
	switch h.path {
	case "/message/progress":
		return "p:" + string(p["statusCode"].(json.Number))
	case "/optout/change":
		return "change:" + p["type"].(string)
	}
	return strings.TrimPrefix(h.path, "/message/")
}
