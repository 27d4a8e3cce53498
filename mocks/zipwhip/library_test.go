package zipwhip_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/zipwhip"
	"github.com/vendorsim/vendorsim/scenarios"
)

// libSecret signs the library test's deliveries: Zipwhip itself does not
// sign, so the test turns zipwhip.signature on and registers its endpoints
// with a secret through the control API.
const libSecret = "zipwhip-library-secret"

// signedServer is a manual server whose Zipwhip deliveries are signed.
func signedServer(tb testing.TB) *apptest.Server {
	tb.Helper()
	return manual(tb, apptest.WithConfig(func(c *config.Config) { zipwhip.Settings(c).Signature.Disabled = false }))
}

// subscribeSigned registers rc for every Zipwhip event of the session's
// workspace at /<type>/<event> (as webhook/install URLs tell events
// apart), signed with libSecret.
func subscribeSigned(tb testing.TB, s *apptest.Server, sess string, rc *receiver) {
	tb.Helper()
	for _, ev := range zipwhip.EventTypes {
		body := map[string]any{"vendor": "zipwhip", "url": rc.URL + "/" + strings.ReplaceAll(ev, ".", "/"), "events": []string{ev}, "secret": libSecret, "method": "POST"}
		apptest.Want(tb, sandboxDo(tb, s, sess, http.MethodPost, "/webhooks", body), http.StatusCreated)
	}
}

// verifySigned checks X-Zipwhip-Signature as a receiver would, written
// from the documented scheme alone: "t=<unix seconds>,v1=<lower-case hex
// HMAC-SHA256(secret, t + "." + raw body)>", fresh within a minute.
func verifySigned(tb testing.TB, h hit) {
	tb.Helper()
	v := h.header.Get("X-Zipwhip-Signature")
	m := regexp.MustCompile(`^t=(\d+),v1=([0-9a-f]{64})$`).FindStringSubmatch(v)
	if m == nil {
		tb.Fatalf("X-Zipwhip-Signature %q of %s is not t=<seconds>,v1=<64 hex>", v, h.path)
	}
	mac := hmac.New(sha256.New, []byte(libSecret))
	mac.Write([]byte(m[1] + "." + string(h.body)))
	if want := hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(want), []byte(m[2])) {
		tb.Fatalf("signature %s of %s does not match its body %s", v, h.path, h.body)
	}
	sec, _ := strconv.ParseInt(m[1], 10, 64)
	if d := time.Since(time.Unix(sec, 0)); d > time.Minute || d < -time.Minute {
		tb.Fatalf("signature timestamp is %v from now", d)
	}
}

// eventType is a received delivery's event type, from its URL path.
func eventType(h hit) string { return strings.ReplaceAll(strings.TrimPrefix(h.path, "/"), "/", ".") }

// Every built-in Zipwhip scenario emits, at a real receiver, the events its
// file documents (emits), in order, signed, with the statusCodes, bodies
// and opt-out changes its steps set; driven by clock advances only. Each
// plays from a 10-digit line, and those with toll-free-only steps also
// from a toll-free line (which adds those steps' progress events).
func TestLibrary_EveryScenarioEmitsItsDocumentedEvents(t *testing.T) {
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	magic := map[string]string{}
	for _, m := range lib.Magic() {
		if m.Vendor == zipwhip.Vendor && m.Trigger == "sms" {
			magic[m.Scenario] = m.Suffix
		}
	}
	s := signedServer(t)
	n, line := 0, 0
	for _, sc := range lib.All() {
		if sc.Vendor != zipwhip.Vendor {
			continue
		}
		n++
		lines := []string{"206"}
		if slices.ContainsFunc(sc.Flat(), func(st scenarios.Step) bool { return st.With["only"] == "tollfree" }) {
			lines = append(lines, "844")
		}
		for _, area := range lines {
			line++
			number := fmt.Sprintf("%s555%04d", area, 7500+line)
			t.Run(sc.Name+"/from_"+area, func(t *testing.T) {
				if sc.Emits == nil || len(sc.Expected()) == 0 {
					t.Fatalf("%s documents no events (emits)", sc.Name)
				}
				playScenario(t, s, sc, magic[sc.Name], number)
			})
		}
	}
	if n < 15 {
		t.Fatalf("%d Zipwhip scenarios; want the whole library (15 or more)", n)
	}
}

// playScenario plays sc in a workspace of its own (the line number's) and
// checks what the receiver gets.
func playScenario(t *testing.T, s *apptest.Server, sc *scenarios.Scenario, suffix, number string) {
	sess := login(t, s, number)
	line := "+1" + number
	tollFree := strings.HasPrefix(number, "844")
	rc := newReceiver(t)
	subscribeSigned(t, s, sess, rc)
	var total time.Duration
	for _, st := range sc.Flat() {
		total += time.Duration(st.After)
	}
	total += 10 * time.Minute
	if sc.Name == "zipwhip.webhook.outage" {
		// The refused events wait for their next retry after the outage.
		total += 2 * time.Hour
	}
	p := play{sc: sc, line: line, tollFree: tollFree, contact: "+12065557399"}
	switch {
	case sc.Name == "zipwhip.sms.scheduled":
		// message/send with a scheduledDate an hour ahead starts it.
		clock := apptest.Want(t, sandboxDo(t, s, sess, http.MethodGet, "/clock", nil), http.StatusOK).Map(t)
		now, err := time.Parse(time.RFC3339Nano, fmt.Sprint(clock["now"]))
		if err != nil {
			t.Fatalf("clock %v: %v", clock, err)
		}
		at := strconv.FormatInt(now.Add(time.Hour).UnixMilli(), 10)
		res := success(t, s, "message/send", form("session", sess, "contacts", p.contact, "body", "Later", "scheduledDate", at)).(map[string]any)
		p.messageID = res["tokens"].([]any)[0].(map[string]any)["message"].(string)
		advance(t, s, sess, "59m")
		if got := rc.got(); len(got) != 0 {
			t.Fatalf("before its scheduledDate the message emitted %v", names(t, got))
		}
		p.statuses = []string{"1", "2", "4"} // the default timeline it goes on to
		if tollFree {
			p.statuses = append(p.statuses, "6")
		}
		advance(t, s, sess, "2h")
	case suffix != "":
		// The magic number plays the scenario from the send.
		p.contact = "+1312555" + "01" + suffix
		p.magic = true
		p.messageID = sendTo(t, s, sess, p.contact, "Hello from the library test")
		advance(t, s, sess, total.String())
	case slices.Contains(sc.Params, "message_id"):
		p.messageID = sendTo(t, s, sess, p.contact, "Hello from the library test")
		// The send's own timeline plays out first.
		advance(t, s, sess, "1m")
		p.before = len(rc.got())
		run := apptest.Want(t, sandboxDo(t, s, sess, http.MethodPost, "/scenarios/"+sc.Name+"/run",
			map[string]any{"params": map[string]string{"message_id": p.messageID}}), http.StatusAccepted).Map(t)
		advance(t, s, sess, total.String())
		checkRunDone(t, s, sess, run)
	case sc.Internal:
		t.Fatalf("internal scenario %s: the test does not know what plays it", sc.Name)
	default:
		params := map[string]string{}
		if slices.Contains(sc.Params, "line") {
			params["line"] = number
		}
		for _, prm := range sc.Parameters {
			if prm.Name == "from" {
				p.contact = prm.Default
			}
		}
		run := apptest.Want(t, sandboxDo(t, s, sess, http.MethodPost, "/scenarios/"+sc.Name+"/run",
			map[string]any{"params": params}), http.StatusAccepted).Map(t)
		advance(t, s, sess, total.String())
		checkRunDone(t, s, sess, run)
	}
	p.check(t, rc, s, sess)
}

// checkRunDone fails unless the run ended with every step done.
func checkRunDone(t *testing.T, s *apptest.Server, sess string, run map[string]any) {
	t.Helper()
	got := apptest.Want(t, sandboxDo(t, s, sess, http.MethodGet, "/scenarios/runs/"+fmt.Sprint(run["id"]), nil), http.StatusOK).Map(t)
	if got["state"] != "done" {
		t.Fatalf("run %v; want done", got)
	}
}

// play is one play of a scenario and what its steps set.
type play struct {
	sc        *scenarios.Scenario
	line      string
	tollFree  bool
	magic     bool
	contact   string
	messageID string
	// before is how many deliveries came before the scenario's.
	before int
	// statuses overrides the steps' statusCodes (a scenario that starts
	// another timeline).
	statuses []string
}

// check compares what rc got with what the scenario documents and sets.
func (p play) check(t *testing.T, rc *receiver, s *apptest.Server, sess string) {
	t.Helper()
	hits := rc.got()[p.before:]
	for _, h := range hits {
		verifySigned(t, h)
		if h.method != http.MethodPost || h.header.Get("Content-Type") != "application/json;charset=UTF-8" {
			t.Errorf("delivery %s %s with Content-Type %q", h.method, h.path, h.header.Get("Content-Type"))
		}
	}
	if p.magic {
		// message/send's own event comes first.
		if len(hits) == 0 || eventType(hits[0]) != "message.send" {
			t.Fatalf("events %s; want message.send first", names(t, hits))
		}
		if sent := payload(t, hits[0]); sent["messageType"] != "MT" || sent["finalDestination"] != p.contact || sent["finalSource"] != p.line {
			t.Errorf("send event %s", hits[0].body)
		}
		hits = hits[1:]
	}

	// What the steps set: the progress statusCodes (toll-free-only steps
	// from a toll-free line), the replies' and inbound messages' bodies.
	statuses, bodies, extra := p.statuses, []string(nil), 0
	for _, st := range p.sc.Flat() {
		switch st.Action {
		case "zipwhip.message.progress":
			if st.With["only"] == "tollfree" {
				if !p.tollFree {
					continue
				}
				extra++
			}
			if p.statuses == nil {
				statuses = append(statuses, st.With["status"])
			}
		case "zipwhip.message.reply", "zipwhip.inbound":
			bodies = append(bodies, strings.ReplaceAll(st.With["body"], "{{body}}", "Burst message"))
		}
	}
	if p.statuses != nil && p.tollFree {
		extra = 1 // the default timeline's handset receipt
	}

	var got []string
	for _, h := range hits {
		got = append(got, eventType(h))
	}
	want := p.sc.Expected()
	if !p.tollFree {
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("received %d events %v; want %d %v", len(got), clip(got), len(want), clip(want))
		}
	} else {
		// A toll-free line adds the toll-free-only steps' progress
		// events; the rest is as documented, in order.
		other := func(evs []string) []string {
			return slices.DeleteFunc(slices.Clone(evs), func(e string) bool { return e == "message.progress" })
		}
		if len(got) != len(want)+extra || strings.Join(other(got), " ") != strings.Join(other(want), " ") {
			t.Fatalf("received %d events %v from a toll-free line; want %d: %v and %d more progress", len(got), clip(got), len(want)+extra, clip(want), extra)
		}
	}

	// Payloads, in order: each progress its step's statusCode, of the
	// message; each receive an MO message with its step's body from the
	// contact; after a STOP or UNSTOP word, the opt-out change field for
	// field.
	var gotStatuses, gotBodies []string
	for i, h := range hits {
		b := payload(t, h)
		switch eventType(h) {
		case "message.progress":
			gotStatuses = append(gotStatuses, string(b["statusCode"].(json.Number)))
			if b["id"].(json.Number).String() != p.messageID || b["messageType"] != "MT" || b["finalSource"] != p.line || b["finalDestination"] != p.contact {
				t.Errorf("progress %s; want message %s from %s to %s", h.body, p.messageID, p.line, p.contact)
			}
		case "message.send":
			if b["id"].(json.Number).String() != p.messageID || b["messageType"] != "MT" {
				t.Errorf("send %s; want message %s", h.body, p.messageID)
			}
		case "message.receive":
			gotBodies = append(gotBodies, fmt.Sprint(b["body"]))
			if b["messageType"] != "MO" || b["finalSource"] != p.contact || b["finalDestination"] != p.line || b["read"] != false {
				t.Errorf("receive %s; want an unread MO message from %s to %s", h.body, p.contact, p.line)
			}
			word := strings.ToUpper(strings.TrimSpace(fmt.Sprint(b["body"])))
			typ := map[string]string{"STOP": "STOP", "UNSTOP": "UNSTOP"}[word]
			if typ == "" {
				continue
			}
			if i+1 >= len(hits) || eventType(hits[i+1]) != "optout.change" {
				t.Fatalf("%s is not followed by optout.change", word)
			}
			re := regexp.MustCompile(`^\{"messageBody":"` + regexp.QuoteMeta(fmt.Sprint(b["body"])) + `","line":"` + regexp.QuoteMeta(p.line) +
				`","contact":"` + regexp.QuoteMeta(p.contact) + `","messageId":"` + b["id"].(json.Number).String() + `","type":"` + typ +
				`","eventDate":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"\}$`)
			if !re.Match(hits[i+1].body) {
				t.Errorf("opt-out change %s; want the vendor's payload for %s from %s (message %s)", hits[i+1].body, typ, p.contact, b["id"])
			}
		}
	}
	if strings.Join(gotStatuses, " ") != strings.Join(statuses, " ") {
		t.Errorf("statusCodes %v; want %v", gotStatuses, statuses)
	}
	if strings.Join(gotBodies, "|") != strings.Join(bodies, "|") {
		t.Errorf("bodies %v; want %v", clip(gotBodies), clip(bodies))
	}
	if p.sc.Name == "zipwhip.webhook.outage" {
		checkZipwhipOutage(t, s, sess, rc, p.before)
	}
}

// checkZipwhipOutage: the two progress events of the outage were refused
// while the endpoint was down (every attempt then marked endpoint down),
// retried by Zipwhip's back-off and delivered after it came back, so they
// arrived after the third.
func checkZipwhipOutage(t *testing.T, s *apptest.Server, sess string, rc *receiver, before int) {
	t.Helper()
	var outage []map[string]any
	for _, d := range deliveries(t, s, sess, "?event_type=message.progress") {
		if log := d["attempt_log"].([]any); len(log) > 1 {
			outage = append(outage, d)
		}
	}
	if len(outage) != 2 {
		t.Fatalf("%d progress deliveries were retried; want the two of the outage", len(outage))
	}
	for _, d := range outage {
		log := d["attempt_log"].([]any)
		if d["state"] != "delivered" {
			t.Errorf("outage delivery %v; want delivered once the endpoint is back", d["state"])
		}
		first, _ := time.Parse(time.RFC3339Nano, log[0].(map[string]any)["virtual_at"].(string))
		last, _ := time.Parse(time.RFC3339Nano, log[len(log)-1].(map[string]any)["virtual_at"].(string))
		if last.Sub(first) < time.Hour-time.Minute {
			t.Errorf("delivered %v after the first attempt; want after the hour-long outage", last.Sub(first))
		}
		for i, a := range log {
			chaos, _ := a.(map[string]any)["chaos"].(string)
			if down := strings.Contains(chaos, "endpoint down"); down != (i < len(log)-1) {
				t.Errorf("attempt %d of %d: chaos %q; want endpoint down on all but the last", i+1, len(log), chaos)
			}
		}
		if g := gaps(t, d); len(g) < 5 || g[len(g)-1] <= g[0] {
			t.Errorf("retry gaps %v; want Zipwhip's growing back-off", g)
		}
	}
	// In arrival order the delivered-at-once third comes first.
	rc.mu.Lock()
	arrived := slices.Clone(rc.reqs)
	rc.mu.Unlock()
	var codes []string
	for _, h := range arrived {
		if deliveryID(h) > 0 && eventType(h) == "message.progress" {
			codes = append(codes, string(payload(t, h)["statusCode"].(json.Number)))
		}
	}
	// (The send's own timeline came before; the two retried ones may
	// arrive in either order, their jitter decides.)
	if len(codes) < 3 || codes[len(codes)-3] != "4" || !slices.Contains(codes[len(codes)-2:], "1") || !slices.Contains(codes[len(codes)-2:], "2") {
		t.Errorf("progress arrivals %v; want the outage's 1 and 2 after its 4", codes)
	}
}

func clip(s []string) []string {
	if len(s) > 12 {
		return append(append(slices.Clone(s[:6]), "..."), s[len(s)-4:]...)
	}
	return s
}

// The magic-number table and the library are one definition: every number
// Zipwhip lists plays the scenario whose file declares it, every number a
// Zipwhip scenario declares is in Zipwhip's table, and the served table has
// them.
func TestLibrary_MagicNumbersAgree(t *testing.T) {
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	var fromLib, fromVendor []string
	for _, m := range lib.Magic() {
		if m.Vendor == zipwhip.Vendor {
			fromLib = append(fromLib, m.Trigger+" "+m.Suffix+" "+m.Scenario)
		}
	}
	for _, m := range zipwhip.New().MagicNumbers() {
		fromVendor = append(fromVendor, m.Trigger+" "+m.Suffix+" "+m.Scenario)
		if sc, ok := lib.Get(m.Scenario); !ok || sc.Vendor != zipwhip.Vendor {
			t.Errorf("magic %s plays %s, which is not a Zipwhip scenario of the library", m.Suffix, m.Scenario)
		}
	}
	slices.Sort(fromLib)
	slices.Sort(fromVendor)
	if len(fromLib) < 10 || strings.Join(fromLib, "\n") != strings.Join(fromVendor, "\n") {
		t.Fatalf("library declares\n%s\nZipwhip lists\n%s", strings.Join(fromLib, "\n"), strings.Join(fromVendor, "\n"))
	}
	s := manual(t)
	var body struct {
		Data []struct{ Suffix, Vendor, Scenario string }
	}
	apptest.Want(t, s.Sandbox(nil).Get(t, "/magic-numbers"), http.StatusOK).JSON(t, &body)
	var served []string
	for _, m := range body.Data {
		if m.Vendor == zipwhip.Vendor {
			served = append(served, "sms "+strings.TrimPrefix(m.Suffix, "01")+" "+m.Scenario)
		}
	}
	slices.Sort(served)
	if strings.Join(served, "\n") != strings.Join(fromLib, "\n") {
		t.Errorf("served Zipwhip magic numbers\n%s\nwant\n%s", strings.Join(served, "\n"), strings.Join(fromLib, "\n"))
	}
}

// GET /_sandbox/scenarios lists every Zipwhip scenario with its parameters
// and the events it emits, as the library has them.
func TestLibrary_ListShowsParamsAndEmits(t *testing.T) {
	s := manual(t)
	var body struct {
		Data []struct {
			Name       string
			Vendor     string
			Internal   bool
			Emits      []string
			Parameters []struct{ Name, Type string }
		}
	}
	apptest.Want(t, s.Sandbox(nil).Get(t, "/scenarios"), http.StatusOK).JSON(t, &body)
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range body.Data {
		if v.Vendor != zipwhip.Vendor {
			continue
		}
		n++
		sc, ok := lib.Get(v.Name)
		if !ok {
			t.Fatalf("listed %s is not in the library", v.Name)
		}
		if strings.Join(v.Emits, ",") != strings.Join(sc.Emits, ",") || len(v.Emits) == 0 || v.Internal != sc.Internal {
			t.Errorf("%s listed with emits %v (internal %v); want %v (%v)", v.Name, v.Emits, v.Internal, sc.Emits, sc.Internal)
		}
		if len(v.Parameters) != len(sc.Parameters) || len(v.Parameters) == 0 {
			t.Errorf("%s listed with parameters %v; want %v", v.Name, v.Parameters, sc.Parameters)
		}
	}
	if n < 15 {
		t.Errorf("%d Zipwhip scenarios listed", n)
	}
	// The burst is shown as a repeated group.
	for _, v := range body.Data {
		if v.Name == "zipwhip.inbound.burst" && strings.Join(v.Emits, ",") != "(message.receive) x1000" {
			t.Errorf("burst emits %v", v.Emits)
		}
	}
}

// A burst run names a line the workspace does not have: refused up front.
func TestLibrary_BurstChecksItsLine(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557490")
	r := sandboxDo(t, s, sess, http.MethodPost, "/scenarios/zipwhip.inbound.burst/run", map[string]any{"params": map[string]string{"line": "+12065557491"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "line") {
		t.Fatalf("burst to another line: %d %s; want 422 naming line", r.Status, r.Body)
	}
}

// BenchmarkBurst1000 plays zipwhip.inbound.burst (1,000 inbound messages)
// through to delivered webhooks at a real receiver, the clock advanced:
// the time of one op is the real time the whole scenario takes.
func BenchmarkBurst1000(b *testing.B) {
	s := manual(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sess := login(b, s, fmt.Sprintf("206556%04d", i%10000))
		rc := newReceiver(b)
		install(b, s, sess, rc, "message", "receive", "POST")
		b.StartTimer()
		apptest.Want(b, sandboxDo(b, s, sess, http.MethodPost, "/scenarios/zipwhip.inbound.burst/run", map[string]any{"params": map[string]string{}}), http.StatusAccepted)
		advance(b, s, sess, "1m")
		b.StopTimer()
		if n := len(rc.got()); n != 1000 {
			b.Fatalf("received %d webhooks; want 1,000", n)
		}
	}
}
