package zipwhip_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestFlow_LoginSendWebhooksInOrder(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557000")
	rc := newReceiver(t)
	for _, ev := range []string{"receive", "send", "progress", "read", "delete"} {
		install(t, s, sess, rc, "message", ev, "POST")
	}
	install(t, s, sess, rc, "optout", "change", "POST")
	id := sendTo(t, s, sess, "+12065557001", "Hello <b>World</b> & café")
	flush(t, s, sess)
	advance(t, s, sess, "1m")
	got := strings.Join(rc.events(t), " ")
	if want := "message/send message/progress:1 message/progress:2 message/progress:4"; got != want {
		t.Fatalf("events %s; want %s", got, want)
	}
	for _, h := range rc.got() {
		if h.method != http.MethodPost || h.header.Get("Content-Type") != "application/json;charset=UTF-8" ||
			!strings.HasPrefix(h.header.Get("User-Agent"), "Apache-HttpClient/") {
			t.Errorf("delivery %s %s with %v", h.method, h.path, h.header)
		}
		p := payload(t, h)
		if p["id"].(json.Number).String() != id || p["messageType"] != "MT" || p["finalSource"] != "+12065557000" ||
			p["finalDestination"] != "+12065557001" || p["address"] != "ptn:/+12065557001" || p["body"] != "Hello <b>World</b> & café" {
			t.Errorf("payload %s", h.body)
		}
	}
	last := payload(t, rc.got()[3])
	if last["dateDelivered"] == nil {
		t.Errorf("delivered payload lacks dateDelivered: %v", last)
	}
	_ = sess
}
