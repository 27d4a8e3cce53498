package whippy_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// hookReceiver is a webhook endpoint that records what it gets.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []hookRequest
	// status answers each request (200 when nil).
	status func(n int) int
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func newHookReceiver(tb testing.TB) *hookReceiver {
	tb.Helper()
	rc := &hookReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, hookRequest{header: r.Header.Clone(), body: b})
		n := len(rc.reqs)
		status := rc.status
		rc.mu.Unlock()
		code := http.StatusOK
		if status != nil {
			code = status(n)
		}
		w.WriteHeader(code)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) got() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRequest(nil), rc.reqs...)
}

// hookEvent is a received Whippy envelope.
type hookEvent struct {
	Data      map[string]any `json:"data"`
	Event     string         `json:"event"`
	RequestID string         `json:"request_id"`
}

func (rc *hookReceiver) events(tb testing.TB) []hookEvent {
	tb.Helper()
	var out []hookEvent
	for _, r := range rc.got() {
		var ev hookEvent
		if err := json.Unmarshal(r.body, &ev); err != nil {
			tb.Fatalf("webhook body %s: %v", r.body, err)
		}
		out = append(out, ev)
	}
	return out
}

// hookVerify checks X-Whippy-Signature the way a receiver would, written
// from the format alone: "t=<unix seconds>,v1=<unpadded base64 of
// HMAC-SHA256(api key, t + "." + body)>", fresh within five minutes.
func hookVerify(tb testing.TB, r hookRequest, key string) {
	tb.Helper()
	h := r.header.Get("X-Whippy-Signature")
	m := regexp.MustCompile(`^t=(\d+),v1=([A-Za-z0-9+/]+)$`).FindStringSubmatch(h)
	if m == nil {
		tb.Fatalf("X-Whippy-Signature %q is not t=<seconds>,v1=<unpadded base64>", h)
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(m[1]))
	mac.Write([]byte{'.'})
	mac.Write(r.body)
	if want := base64.RawStdEncoding.EncodeToString(mac.Sum(nil)); want != m[2] {
		tb.Fatalf("signature %s does not match the body (want v1=%s)", h, want)
	}
	sec, _ := strconv.ParseInt(m[1], 10, 64)
	if d := time.Since(time.Unix(sec, 0)); math.Abs(d.Seconds()) > 300 {
		tb.Fatalf("signature timestamp is %v from now", d)
	}
}

// hookStringify returns what JavaScript's JSON.stringify(JSON.parse(raw))
// produces: keys in their order, no whitespace, and only '"', '\' and
// control characters escaped in strings.
func hookStringify(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	type frame struct {
		object, expectKey bool
		n                 int
	}
	var out bytes.Buffer
	var stack []frame
	beforeValue := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if !top.object && top.n > 0 {
			out.WriteByte(',')
		}
	}
	afterValue := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		top.n++
		if top.object {
			top.expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("parse %s: %v", raw, err)
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				beforeValue()
				out.WriteByte(byte(v))
				stack = append(stack, frame{object: v == '{', expectKey: v == '{'})
			default:
				out.WriteByte(byte(v))
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			if top := len(stack) - 1; top >= 0 && stack[top].object && stack[top].expectKey {
				if stack[top].n > 0 {
					out.WriteByte(',')
				}
				hookQuote(&out, v)
				out.WriteByte(':')
				stack[top].expectKey = false
				continue
			}
			beforeValue()
			hookQuote(&out, v)
			afterValue()
		case json.Number:
			beforeValue()
			f, _ := v.Float64()
			if f == math.Trunc(f) && math.Abs(f) < 1e21 {
				out.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
			} else {
				out.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			}
			afterValue()
		case bool:
			beforeValue()
			out.WriteString(strconv.FormatBool(v))
			afterValue()
		case nil:
			beforeValue()
			out.WriteString("null")
			afterValue()
		}
	}
	return out.Bytes()
}

func hookQuote(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			out.WriteString(`\"`)
		case r == '\\':
			out.WriteString(`\\`)
		case r == '\b':
			out.WriteString(`\b`)
		case r == '\f':
			out.WriteString(`\f`)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(out, `\u%04x`, r)
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
}

// hookSetup starts a manual-mode server (webhooks go out only on flush or
// clock advance) and registers an application and endpoint for key.
func hookSetup(tb testing.TB, key string, events []string, opts ...apptest.Option) (*apptest.Server, *apptest.Client, *hookReceiver, string) {
	tb.Helper()
	opts = append([]apptest.Option{apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true })}, opts...)
	s := apptest.New(tb, opts...)
	c := s.Whippy(key)
	rc := newHookReceiver(tb)
	app := apptest.Want(tb, c.Post(tb, "/developers/applications", map[string]any{"name": "Integration"}), 201).Map(tb)
	appID := app["data"].(map[string]any)["id"].(string)
	ep := apptest.Want(tb, c.Post(tb, "/developers/endpoints", map[string]any{
		"developer_application_id": appID, "url": rc.URL + "/whippy", "event_types": events,
	}), 201).Map(tb)
	return s, c, rc, ep["data"].(map[string]any)["id"].(string)
}

func hookChannel(tb testing.TB, c *apptest.Client) string {
	tb.Helper()
	m := apptest.Want(tb, c.Get(tb, "/channels"), 200).Map(tb)
	return m["data"].([]any)[0].(map[string]any)["phone"].(string)
}

func hookFlush(tb testing.TB, s *apptest.Server, key string) map[string]any {
	tb.Helper()
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	return apptest.Want(tb, sb.Post(tb, "/deliveries/flush", nil), 200).Map(tb)
}

func hookAdvance(tb testing.TB, s *apptest.Server, key, by string) map[string]any {
	tb.Helper()
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	return apptest.Want(tb, sb.Post(tb, "/clock/advance", map[string]string{"by": by}), 200).Map(tb)
}

func TestWebhooks_SendDeliversSignedEventsInOrder(t *testing.T) {
	const key = "hook-order-key"
	s, c, rc, _ := hookSetup(t, key, []string{"message.created", "message.updated", "contact.created", "conversation.created"})
	body := "<b>Tom & Jerry</b>\u2028line two — café 😀 \"quoted\" \\ done"
	from := hookChannel(t, c)
	send := apptest.Want(t, c.Post(t, "/messaging/sms", map[string]any{"to": "+12065557000", "from": from, "body": body}), 201).Map(t)
	msgID := send["data"].(map[string]any)["id"].(string)

	hookFlush(t, s, key)
	hookAdvance(t, s, key, "10s")

	evs := rc.events(t)
	var got []string
	for _, ev := range evs {
		name := ev.Event
		if ev.Event == "message.updated" {
			name += ":" + ev.Data["delivery_status"].(string)
		}
		got = append(got, name)
	}
	want := []string{"contact.created", "conversation.created", "message.created", "message.updated:sending", "message.updated:sent", "message.updated:delivered"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events %v; want %v", got, want)
	}
	ids := map[string]bool{}
	for i, r := range rc.got() {
		hookVerify(t, r, key)
		if js := hookStringify(t, r.body); !bytes.Equal(js, r.body) {
			t.Fatalf("body %d differs from JSON.stringify(JSON.parse(body)):\n got %s\nwant %s", i, r.body, js)
		}
		if !bytes.HasPrefix(r.body, []byte(`{"data":{`)) || !bytes.Contains(r.body, []byte(`"event":"`+evs[i].Event+`","request_id":"`)) {
			t.Errorf("envelope %s is not {data, event, request_id}", r.body)
		}
		if ids[evs[i].RequestID] || !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(evs[i].RequestID) {
			t.Errorf("request_id %q is not a fresh UUID", evs[i].RequestID)
		}
		ids[evs[i].RequestID] = true
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q, want application/json", ct)
		}
	}
	created := rc.got()[2].body
	for _, raw := range []string{"<b>Tom & Jerry</b>", "\u2028", "café 😀"} {
		if !bytes.Contains(created, []byte(raw)) {
			t.Errorf("message.created body lacks %q unescaped: %s", raw, created)
		}
	}
	for _, esc := range []string{`\u003c`, `\u0026`, `\u2028`} {
		if bytes.Contains(created, []byte(esc)) {
			t.Errorf("message.created body escapes %s: %s", esc, created)
		}
	}
	if !utf8.Valid(created) {
		t.Error("body is not valid UTF-8")
	}
	msg := evs[2].Data
	if msg["id"] != msgID || msg["body"] != body || msg["direction"] != "OUTBOUND" || msg["delivery_status"] != "queued" {
		t.Errorf("message.created data %v; want the sent message, queued", msg)
	}

	// The delivery log shows each with its attempt.
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	log := apptest.Want(t, sb.Get(t, "/deliveries?event_type=message.updated"), 200).Map(t)
	ds := log["data"].([]any)
	if len(ds) != 3 || log["total"].(float64) != 3 {
		t.Fatalf("delivery log has %d message.updated deliveries; want 3", len(ds))
	}
	for _, d := range ds {
		d := d.(map[string]any)
		attempts := d["attempt_log"].([]any)
		if d["state"] != "delivered" || len(attempts) != 1 || attempts[0].(map[string]any)["status"].(float64) != 200 {
			t.Errorf("delivery %v; want delivered on one 200 attempt", d)
		}
	}
	// The conversation shows the final status.
	conv := apptest.Want(t, c.Get(t, "/conversations/"+send["data"].(map[string]any)["conversation_id"].(string)), 200).Map(t)
	if st := conv["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)["delivery_status"]; st != "delivered" {
		t.Errorf("message status %v after the timeline; want delivered", st)
	}
}

func TestWebhooks_OnlyActiveSubscribedEndpoints(t *testing.T) {
	const key = "hook-active-key"
	s, c, rc, epID := hookSetup(t, key, []string{"contact.created"})
	apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065557101"}), 201)
	apptest.Want(t, c.Post(t, "/messaging/sms", map[string]any{"to": "+12065557102", "from": hookChannel(t, c), "body": "x"}), 201)
	hookFlush(t, s, key)
	if evs := rc.events(t); len(evs) != 2 || evs[0].Event != "contact.created" || evs[1].Event != "contact.created" {
		t.Fatalf("events %v; want only the two contact.created", evs)
	}
	// A deactivated endpoint gets nothing.
	apptest.Want(t, c.Do(t, http.MethodPut, "/developers/endpoints/"+epID, map[string]any{"active": false}), 200)
	apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065557103"}), 201)
	hookFlush(t, s, key)
	if n := len(rc.got()); n != 2 {
		t.Fatalf("inactive endpoint got %d requests; want still 2", n)
	}
	// Reactivated endpoint of a deactivated application gets nothing.
	apptest.Want(t, c.Do(t, http.MethodPut, "/developers/endpoints/"+epID, map[string]any{"active": true}), 200)
	apps := apptest.Want(t, c.Get(t, "/developers/applications"), 200).Map(t)
	appID := apps["data"].([]any)[0].(map[string]any)["id"].(string)
	apptest.Want(t, c.Do(t, http.MethodPut, "/developers/applications/"+appID, map[string]any{"active": false}), 200)
	apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065557104"}), 201)
	hookFlush(t, s, key)
	if n := len(rc.got()); n != 2 {
		t.Fatalf("endpoint of an inactive application got %d requests; want still 2", n)
	}
	apptest.Want(t, c.Do(t, http.MethodPut, "/developers/applications/"+appID, map[string]any{"active": true}), 200)
	apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065557105"}), 201)
	hookFlush(t, s, key)
	if n := len(rc.got()); n != 3 {
		t.Fatalf("reactivated endpoint got %d requests; want 3", n)
	}
	// Deleted through the alias path, it gets nothing more.
	apptest.Want(t, c.Do(t, http.MethodDelete, "/webhooks/"+epID, nil), 200)
	apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065557106"}), 201)
	hookFlush(t, s, key)
	if n := len(rc.got()); n != 3 {
		t.Fatalf("deleted endpoint got %d requests; want still 3", n)
	}
	// Another workspace's events never reach this receiver.
	other := s.Whippy("hook-other-key")
	apptest.Want(t, other.Post(t, "/contacts", map[string]any{"phone": "+12065557107"}), 201)
	hookFlush(t, s, "hook-other-key")
	if n := len(rc.got()); n != 3 {
		t.Fatalf("receiver got another workspace's events (%d requests)", n)
	}
}

func TestWebhooks_InboundSimulator(t *testing.T) {
	const key = "hook-inbound-key"
	s, c, rc, _ := hookSetup(t, key, []string{"message.created", "lead.new", "contact.updated"})
	channel := hookChannel(t, c)
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	in := apptest.Want(t, sb.Post(t, "/whippy/inbound", map[string]any{"from": "(206) 555-7201", "to": channel, "body": "Hi, is the job still open?"}), 201).Map(t)
	if in["new_contact"] != true {
		t.Errorf("new_contact = %v; want true for an unknown sender", in["new_contact"])
	}
	hookFlush(t, s, key)
	evs := rc.events(t)
	if len(evs) != 2 || evs[0].Event != "message.created" || evs[1].Event != "lead.new" {
		t.Fatalf("events %v; want message.created then lead.new", evs)
	}
	msg := evs[0].Data
	if msg["direction"] != "INBOUND" || msg["delivery_status"] != "webhook_delivered" || msg["from"] != "+12065557201" || msg["to"] != channel {
		t.Errorf("inbound message %v", msg)
	}
	lead := evs[1].Data
	for _, k := range []string{"contact", "conversation", "inbound_message"} {
		if _, ok := lead[k].(map[string]any); !ok {
			t.Errorf("lead.new data lacks %s: %v", k, lead)
		}
	}
	if lead["conversation"].(map[string]any)["unread_count"].(float64) != 1 {
		t.Errorf("conversation unread_count %v; want 1", lead["conversation"].(map[string]any)["unread_count"])
	}
	// A known sender replying STOP: no lead, and the contact is opted out.
	apptest.Want(t, sb.Post(t, "/whippy/inbound", map[string]any{"from": "+12065557201", "to": channel, "body": "STOP"}), 201)
	hookFlush(t, s, key)
	evs = rc.events(t)[2:]
	if len(evs) != 2 || evs[0].Event != "message.created" || evs[1].Event != "contact.updated" {
		t.Fatalf("events after STOP %v; want message.created and contact.updated", evs)
	}
	prefs := evs[1].Data["communication_preferences"].([]any)
	if len(prefs) != 1 || prefs[0].(map[string]any)["opt_in"] != false || prefs[0].(map[string]any)["opt_out_date"] == nil {
		t.Errorf("preferences after STOP %v; want opted out of the channel", prefs)
	}
	// Bad input names the field.
	for _, tc := range []struct{ body map[string]any }{
		{map[string]any{"from": "nope", "to": channel, "body": "x"}},
		{map[string]any{"from": "+12065557201", "to": "+19995550000", "body": "x"}},
		{map[string]any{"from": "+12065557201", "to": channel}},
	} {
		r := apptest.Want(t, sb.Post(t, "/whippy/inbound", tc.body), 422).Map(t)
		if r["error"].(map[string]any)["field"] == nil {
			t.Errorf("error %v does not name the field", r)
		}
	}
}

func TestWebhooks_MagicNumberFails(t *testing.T) {
	const key = "hook-magic-key"
	s, c, rc, _ := hookSetup(t, key, []string{"message.updated"})
	send := apptest.Want(t, c.Post(t, "/messaging/sms", map[string]any{"to": "+12065550101", "from": hookChannel(t, c), "body": "x"}), 201).Map(t)
	hookAdvance(t, s, key, "1m")
	var statuses []string
	for _, ev := range rc.events(t) {
		statuses = append(statuses, ev.Data["delivery_status"].(string))
	}
	if strings.Join(statuses, ",") != "sending,failed" {
		t.Fatalf("statuses %v; want sending,failed for NXX-555-0101", statuses)
	}
	conv := apptest.Want(t, c.Get(t, "/conversations/"+send["data"].(map[string]any)["conversation_id"].(string)), 200).Map(t)
	if st := conv["data"].(map[string]any)["messages"].([]any)[0].(map[string]any)["delivery_status"]; st != "failed" {
		t.Errorf("stored status %v; want failed", st)
	}
	magic := apptest.Want(t, s.Sandbox(nil).Get(t, "/magic-numbers"), 200).Map(t)
	if len(magic["data"].([]any)) == 0 {
		t.Error("magic-number table is empty")
	}
}

func TestWebhooks_RetryAndReplayThroughControlAPI(t *testing.T) {
	const key = "hook-retry-key"
	s, c, rc, _ := hookSetup(t, key, []string{"contact.created"})
	rc.status = func(n int) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	}
	apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065557301"}), 201)
	sum := hookFlush(t, s, key)
	if sum["failed"].(float64) != 1 || sum["pending"].(float64) != 1 {
		t.Fatalf("flush %v; want one failed attempt still pending", sum)
	}
	adv := hookAdvance(t, s, key, "1m")
	if adv["ran"].(map[string]any)["delivered"].(float64) != 1 {
		t.Fatalf("advance %v; want the retry delivered", adv)
	}
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	log := apptest.Want(t, sb.Get(t, "/deliveries"), 200).Map(t)
	d := log["data"].([]any)[0].(map[string]any)
	id := int(d["id"].(float64))
	if d["state"] != "delivered" || len(d["attempt_log"].([]any)) != 2 {
		t.Fatalf("delivery %v; want delivered after 2 attempts", d)
	}
	one := apptest.Want(t, sb.Get(t, fmt.Sprintf("/deliveries/%d", id)), 200).Map(t)
	if one["id"].(float64) != float64(id) {
		t.Fatalf("GET /deliveries/%d = %v", id, one)
	}
	rep := apptest.Want(t, sb.Post(t, fmt.Sprintf("/deliveries/%d/replay", id), nil), 202).Map(t)
	if rep["replay_of"].(float64) != float64(id) || rep["event_id"] != d["event_id"] {
		t.Fatalf("replay %v; want a new delivery of the same event", rep)
	}
	hookFlush(t, s, key)
	got := rc.got()
	if len(got) != 3 || !bytes.Equal(got[2].body, got[1].body) {
		t.Fatalf("receiver got %d requests; want the replay to resend the same body", len(got))
	}
	hookVerify(t, got[2], key)
	apptest.Want(t, sb.Get(t, "/deliveries/999999"), 404)
	apptest.Want(t, sb.Post(t, "/deliveries/abc/replay", nil), 422)
	// Another workspace cannot see or replay it.
	other := s.Sandbox(http.Header{"X-Whippy-Key": {"hook-retry-other"}})
	apptest.Want(t, other.Get(t, fmt.Sprintf("/deliveries/%d", id)), 404)
}

func TestWebhooks_SandboxRegisteredAndClockPerWorkspace(t *testing.T) {
	const key = "hook-sandbox-key"
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	rc := newHookReceiver(t)
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	hook := apptest.Want(t, sb.Post(t, "/webhooks", map[string]any{"vendor": "whippy", "url": rc.URL, "events": []string{"contact.created"}}), 201).Map(t)
	// Signed with the API key (hookVerify below), which the answer does
	// not echo.
	if secret, ok := hook["secret"]; ok {
		t.Errorf("whippy sandbox webhook answered secret %v; want none (it is signed with the API key)", secret)
	}
	list := apptest.Want(t, sb.Get(t, "/webhooks"), 200).Map(t)
	if len(list["data"].([]any)) != 1 {
		t.Fatalf("webhooks %v; want the one registered", list)
	}
	c := s.Whippy(key)
	before := apptest.Want(t, sb.Get(t, "/clock"), 200).Map(t)
	hookAdvance(t, s, key, "48h")
	after := apptest.Want(t, sb.Get(t, "/clock"), 200).Map(t)
	t0, _ := time.Parse(time.RFC3339Nano, before["now"].(string))
	t1, _ := time.Parse(time.RFC3339Nano, after["now"].(string))
	if d := t1.Sub(t0); d < 48*time.Hour || d > 49*time.Hour {
		t.Errorf("virtual now moved %v; want 48h (clock %v, then %v)", d, before, after)
	}
	created := apptest.Want(t, c.Post(t, "/contacts", map[string]any{"phone": "+12065557401"}), 201).Map(t)
	at, _ := time.Parse(time.RFC3339Nano, created["data"].(map[string]any)["created_at"].(string))
	if time.Until(at) < 47*time.Hour {
		t.Errorf("contact created at %v; want the workspace's virtual time, 48h ahead", at)
	}
	otherClock := apptest.Want(t, s.Sandbox(http.Header{"X-Whippy-Key": {"hook-sandbox-other"}}).Get(t, "/clock"), 200).Map(t)
	if otherClock["offset_seconds"].(float64) != 0 {
		t.Errorf("another workspace's clock is %v; want untouched", otherClock)
	}
	hookFlush(t, s, key)
	if len(rc.got()) != 1 {
		t.Fatalf("sandbox-registered webhook got %d requests; want 1", len(rc.got()))
	}
	hookVerify(t, rc.got()[0], key)
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/webhooks/"+hook["id"].(string), nil), 204)
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/webhooks/"+hook["id"].(string), nil), 404)
	apptest.Want(t, sb.Post(t, "/clock/advance", map[string]string{"by": "soon"}), 422)
	apptest.Want(t, s.Sandbox(nil).Get(t, "/clock"), 400)
}
