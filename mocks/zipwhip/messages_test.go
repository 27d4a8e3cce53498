package zipwhip_test

import (
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

func TestSend_IdsTypedAsDocumented(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557600")
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/message/send",
		Body:   form("session", sess, "contacts", "ptn:/+12065557601, 2065557602,+12065557601", "body", "two of you").Encode(),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	raw := string(r.Body)
	// root and message are strings, contact and device numbers.
	re := regexp.MustCompile(`^\{"success":true,"response":\{"fingerprint":null,"root":"(\d+)","tokens":\[` +
		`\{"contact":(\d+),"device":(\d+),"fingerprint":"(\d+)","message":"(\d+)"\},` +
		`\{"contact":(\d+),"device":(\d+),"fingerprint":"(\d+)","message":"(\d+)"\}\]\}\}$`)
	m := re.FindStringSubmatch(raw)
	if m == nil {
		t.Fatalf("message/send answered %s", raw)
	}
	limit := new(big.Int).Lsh(big.NewInt(1), 53)
	for _, id := range []string{m[1], m[5], m[9]} {
		n, _ := new(big.Int).SetString(id, 10)
		if n.Cmp(limit) <= 0 {
			t.Errorf("id %s is not beyond 2^53", id)
		}
	}
	if m[5] == m[9] || m[1] == m[5] || m[2] == m[6] || m[3] != m[7] || m[4] == m[8] {
		t.Errorf("tokens %v; want distinct messages, contacts, fingerprints; one device", m[1:])
	}
	if dev := strings.Split(sess, ":")[1]; m[3] != dev {
		t.Errorf("device %s; want the session's %s", m[3], dev)
	}
	// message/get writes the id as a JSON number, exactly.
	g := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/zipwhip/message/get?" + form("session", sess, "message", m[5]).Encode()})
	if !strings.Contains(string(g.Body), `"id":`+m[5]+`,`) || !strings.Contains(string(g.Body), `"contactId":`+m[2]+`,`) {
		t.Errorf("message/get %s; want id %s as a number", g.Body, m[5])
	}
	// One contact: the fingerprint is the conversation's.
	one := success(t, s, "message/send", form("session", sess, "contacts", "+12065557601", "body", "just you")).(map[string]any)
	fp := one["fingerprint"].(string)
	if fp != m[4] {
		t.Errorf("fingerprint %s; want the conversation's %s", fp, m[4])
	}
	conv := success(t, s, "conversation/get", form("session", sess, "fingerprint", fp)).(map[string]any)
	msgs := conv["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["body"] != "just you" || conv["conversation"].(map[string]any)["lastMessageBody"] != "just you" {
		t.Errorf("conversation/get %v", conv)
	}
}

func TestSend_ScheduledWaitsForTheClock(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557610")
	rc := newReceiver(t)
	installAll(t, s, sess, rc)
	clock := apptest.Want(t, sandboxDo(t, s, sess, http.MethodGet, "/clock", nil), 200).Map(t)
	now, _ := time.Parse(time.RFC3339Nano, clock["now"].(string))
	at := now.Add(2 * time.Hour)
	id := success(t, s, "message/send", form("session", sess, "contacts", "2065557611", "body", "later",
		"scheduledDate", strconv.FormatInt(at.UnixMilli(), 10))).(map[string]any)["tokens"].([]any)[0].(map[string]any)["message"].(string)
	msg := success(t, s, "message/get", form("session", sess, "message", id)).(map[string]any)
	if msg["scheduledDate"] != at.UTC().Format("2006-01-02T15:04:05Z") {
		t.Errorf("scheduledDate %v; want %v", msg["scheduledDate"], at)
	}
	flush(t, s, sess)
	advance(t, s, sess, "1h")
	if n := len(rc.got()); n != 0 {
		t.Fatalf("%d events before the scheduled time: %v", n, rc.events(t))
	}
	advance(t, s, sess, "1h1m")
	if got := names(t, rc.got()); got != "send p:1 p:2 p:4" {
		t.Fatalf("events after the scheduled time %q", got)
	}
	// A date in the past sends now.
	success(t, s, "message/send", form("session", sess, "contacts", "2065557611", "body", "now", "scheduledDate", "1000"))
	flush(t, s, sess)
	if got := names(t, rc.got()[4:]); got != "send" {
		t.Errorf("a past scheduledDate: %q; want sent at once", got)
	}
}

func TestLongBodyBecomesAttachment(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557620")
	rc := newReceiver(t)
	install(t, s, sess, rc, "message", "receive", "POST")
	text := strings.Repeat("All work and no play. ", 30) + "😀 end"
	in := inbound(t, s, sess, map[string]any{"from": "2065557621", "body": text}, 201)
	flush(t, s, sess)
	p := payload(t, rc.got()[0])
	body := p["body"].(string)
	if p["hasAttachment"] != true || len([]rune(body)) != 160 || !strings.HasPrefix(text, body) {
		t.Fatalf("long inbound: hasAttachment %v, body %q", p["hasAttachment"], body)
	}
	id := string(p["id"].(json.Number))
	if got := in["message"].(map[string]any)["id"].(float64); got < 1e18 {
		t.Errorf("simulator answered id %v", got)
	}
	atts := success(t, s, "messageAttachment/list", form("session", sess, "messageId", id)).([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments %v", atts)
	}
	a := atts[0].(map[string]any)
	if a["mimeType"] != "text/plain" || !strings.HasSuffix(a["fileName"].(string), ".txt") || a["messageId"].(json.Number).String() != id {
		t.Errorf("attachment %v", a)
	}
	r, err := http.Get(s.URL + "/zipwhip/hostedContent/get?" + form("session", sess, "storageKey", a["storageKey"].(string)).Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	got, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || string(got) != text || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("hostedContent/get: %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), got)
	}
	// A short send has no attachment; the list says so.
	short := sendTo(t, s, sess, "2065557621", "short")
	if atts := success(t, s, "messageAttachment/list", form("session", sess, "messageId", short)).([]any); len(atts) != 0 {
		t.Errorf("short message attachments %v", atts)
	}
	// 600 UTF-16 units fit; an emoji counts two.
	success(t, s, "message/send", form("session", sess, "contacts", "2065557621", "body", strings.Repeat("x", 598)+"😀"))
	if msg := failure(t, s, "message/send", form("session", sess, "contacts", "2065557621", "body", strings.Repeat("x", 599)+"😀")); !strings.Contains(msg, "-394") {
		t.Errorf("601 units: %q", msg)
	}
}

func TestContactsAndConversations(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557630")
	c := success(t, s, "contact/save", form("session", sess, "address", "ptn:/2065557631", "firstName", "Grace", "lastName", "Hopper", "city", "Arlington")).(map[string]any)
	if c["address"] != "ptn:/+12065557631" || c["mobileNumber"] != "+12065557631" || c["firstName"] != "Grace" || c["email"] != nil {
		t.Fatalf("contact/save %v", c)
	}
	id := c["id"].(json.Number).String()
	again := success(t, s, "contact/save", form("session", sess, "address", "+12065557631", "email", "grace@example.com")).(map[string]any)
	if again["id"].(json.Number).String() != id || again["firstName"] != "Grace" || again["email"] != "grace@example.com" {
		t.Errorf("second save %v; want the same contact updated", again)
	}
	got := success(t, s, "contact/get", form("session", sess, "contact", id)).(map[string]any)
	if got["lastName"] != "Hopper" {
		t.Errorf("contact/get %v", got)
	}
	_, page := call(t, s, "contact/list", form("session", sess, "page", "1", "pageSize", "10"))
	if page["total"].(json.Number) != "1" || page["page"].(json.Number) != "1" || page["pages"].(json.Number) != "1" {
		t.Errorf("contact/list %v", page)
	}

	// Inbound texts count as unread until read.
	inbound(t, s, sess, map[string]any{"from": "2065557631", "body": "one"}, 201)
	inbound(t, s, sess, map[string]any{"from": "2065557631", "body": "two"}, 201)
	_, list := call(t, s, "conversation/list", form("session", sess))
	convs := list["response"].([]any)
	if len(convs) != 1 || list["total"].(json.Number) != "1" {
		t.Fatalf("conversation/list %v", list)
	}
	conv := convs[0].(map[string]any)
	if conv["unreadCount"].(json.Number) != "2" || conv["lastMessageBody"] != "two" || conv["lastContactFirstName"] != "Grace" || conv["address"] != "ptn:/+12065557631" {
		t.Errorf("conversation %v", conv)
	}
	fp := conv["fingerprint"].(string)
	msgs := success(t, s, "conversation/get", form("session", sess, "fingerprint", fp, "limit", "1")).(map[string]any)["messages"].([]any)
	if len(msgs) != 1 || msgs[0].(map[string]any)["body"] != "two" {
		t.Fatalf("conversation/get limit 1: %v", msgs)
	}
	two := msgs[0].(map[string]any)["id"].(json.Number).String()
	success(t, s, "message/read", form("session", sess, "message", two))
	conv = success(t, s, "conversation/get", form("session", sess, "fingerprint", fp)).(map[string]any)["conversation"].(map[string]any)
	if conv["unreadCount"].(json.Number) != "1" {
		t.Errorf("unreadCount after one read: %v", conv["unreadCount"])
	}
	if r := success(t, s, "conversation/delete", form("session", sess, "fingerprint", fp)); r != true {
		t.Errorf("conversation/delete answered %v", r)
	}
	_, list = call(t, s, "conversation/list", form("session", sess))
	_, ml := call(t, s, "message/list", form("session", sess))
	if list["total"].(json.Number) != "0" || ml["total"].(json.Number) != "0" {
		t.Errorf("after conversation/delete: %v %v", list, ml)
	}
	if r := success(t, s, "contact/delete", form("session", sess, "contact", id)); r != false {
		t.Errorf("contact/delete answered %v", r)
	}
	failure(t, s, "contact/get", form("session", sess, "contact", id))
}

func TestWebhooks_CRUDAndMethods(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557640")
	rc := newReceiver(t)
	// install and its older name both answer an array, webhookId a number.
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/webhook/install",
		Body:   form("session", sess, "type", "message", "event", "send", "url", rc.URL+"/hook").Encode(),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	if !regexp.MustCompile(`^\{"success":true,"response":\[\{"webhookId":\d+,"type":"message","event":"send","url":"` + regexp.QuoteMeta(rc.URL) + `/hook","method":"POST"\}\]\}$`).Match(r.Body) {
		t.Fatalf("webhook/install answered %s", r.Body)
	}
	add := success(t, s, "webhook/add", form("session", sess, "type", "optout", "event", "change", "url", rc.URL+"/optout", "method", "put")).([]any)
	if h := add[0].(map[string]any); h["method"] != "PUT" || h["type"] != "optout" {
		t.Errorf("webhook/add %v", h)
	}
	list := success(t, s, "webhook/list", form("session", sess)).([]any)
	if len(list) != 2 {
		t.Fatalf("webhook/list %v", list)
	}
	id := list[0].(map[string]any)["webhookId"].(json.Number).String()
	up := success(t, s, "webhook/update", form("session", sess, "webhookId", id, "method", "GET")).([]any)
	if h := up[0].(map[string]any); h["method"] != "GET" || h["url"] != rc.URL+"/hook" || h["webhookId"].(json.Number).String() != id {
		t.Errorf("webhook/update %v", h)
	}
	// A GET webhook gets the same JSON body with the GET.
	sendTo(t, s, sess, "2065557641", "get me")
	inbound(t, s, sess, map[string]any{"from": "2065557641", "body": "STOP"}, 201)
	flush(t, s, sess)
	hits := rc.got()
	if len(hits) != 2 || hits[0].method != http.MethodGet || hits[0].query != "" || !strings.Contains(string(hits[0].body), `"body":"get me"`) ||
		hits[1].method != http.MethodPut || !strings.Contains(string(hits[1].body), `"type":"STOP"`) {
		t.Fatalf("deliveries %+v", hits)
	}
	if del := success(t, s, "webhook/delete", form("session", sess, "webhookId", id)).([]any); len(del) != 0 {
		t.Errorf("webhook/delete answered %v", del)
	}
	sendTo(t, s, sess, "2065557641", "nobody listens")
	flush(t, s, sess)
	if len(rc.got()) != 2 {
		t.Errorf("a deleted webhook got %d requests", len(rc.got()))
	}
	if list := success(t, s, "webhook/list", form("session", sess)).([]any); len(list) != 1 {
		t.Errorf("webhook/list after delete %v", list)
	}
}
