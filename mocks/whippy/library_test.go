package whippy_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/mocks/whippy"
	"github.com/vendorsim/vendorsim/scenarios"
)

// Every built-in Whippy scenario emits, at a real receiver, the events its
// file documents (emits), in order, with the statuses and bodies its steps
// set, signed; driven by clock advances only.
func TestLibrary_EveryScenarioEmitsItsDocumentedEvents(t *testing.T) {
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	magic := map[string]string{}
	for _, m := range lib.Magic() {
		if m.Vendor == whippy.Vendor && m.Trigger == "sms" {
			magic[m.Scenario] = m.Suffix
		}
	}
	n := 0
	for _, sc := range lib.All() {
		if sc.Vendor != whippy.Vendor {
			continue
		}
		n++
		t.Run(sc.Name, func(t *testing.T) {
			if len(sc.Expected()) == 0 {
				t.Fatalf("%s documents no events (emits)", sc.Name)
			}
			testScenario(t, sc, magic[sc.Name])
		})
	}
	if n < 13 {
		t.Fatalf("%d Whippy scenarios; want the whole library", n)
	}
}

func testScenario(t *testing.T, sc *scenarios.Scenario, suffix string) {
	key := "lib-" + strings.ReplaceAll(sc.Name, ".", "-")
	events := append(slices.Clone(sc.Expected()), "message.created", "conversation.updated", "conversation.created", "lead.new")
	slices.Sort(events)
	s, c, rc, _ := hookSetup(t, key, slices.Compact(events))
	sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
	channel := hookChannel(t, c)
	var total time.Duration
	for _, st := range sc.Flat() {
		total += time.Duration(st.After)
	}
	if suffix != "" {
		// The magic number plays the scenario from the send.
		sms(t, c, channel, "+1206555"+"01"+suffix, "Hello from the library test")
		hookFlush(t, s, key)
	} else {
		params := map[string]string{"channel": channel}
		if slices.Contains(sc.Params, "message_id") {
			msg := sms(t, c, channel, "+12065550300", "Hello from the library test")
			params["message_id"] = messageID(msg)
			// The send's own timeline plays out first.
			hookAdvance(t, s, key, "1m")
		}
		hookFlush(t, s, key)
		before := len(rc.got())
		apptest.Want(t, sb.Post(t, "/scenarios/"+sc.Name+"/run", M{"params": params}), http.StatusAccepted)
		defer checkEvents(t, sc, key, rc, before, s)
		hookAdvance(t, s, key, (total + 10*time.Minute).String())
		return
	}
	before := len(rc.got())
	hookAdvance(t, s, key, (total + 10*time.Minute).String())
	checkEvents(t, sc, key, rc, before, s)
}

// checkEvents compares what rc got after the first before requests with
// what sc documents.
func checkEvents(t *testing.T, sc *scenarios.Scenario, key string, rc *hookReceiver, before int, s *apptest.Server) {
	t.Helper()
	reqs := rc.got()[before:]
	for _, r := range reqs {
		hookVerify(t, r, key)
	}
	evs := (&hookReceiver{reqs: reqs}).events(t)
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Event)
	}
	want := sc.Expected()
	if sc.Name == "whippy.webhook.outage" {
		// While the endpoint is down the first two events are refused
		// until Whippy's retries give up; the last one arrives.
		want = want[2:]
		checkOutage(t, s, key)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("received %d events %v; want %d %v", len(got), clipList(got), len(want), clipList(want))
	}
	// Payloads: each status step's message.updated carries its status, in
	// order; each reply or inbound message is an INBOUND message.created
	// with the step's body.
	var statuses, bodies []string
	for _, st := range sc.Flat() {
		switch st.Action {
		case "whippy.message.status":
			statuses = append(statuses, st.With["status"])
		case "whippy.message.reply", "whippy.inbound":
			bodies = append(bodies, strings.ReplaceAll(st.With["body"], "{{body}}", "Burst message"))
		}
	}
	if sc.Name == "whippy.webhook.outage" {
		statuses = statuses[2:]
	}
	var gotStatuses, gotBodies []string
	for _, ev := range evs {
		switch ev.Event {
		case "message.updated":
			gotStatuses = append(gotStatuses, fmt.Sprint(ev.Data["delivery_status"]))
		case "message.created":
			if ev.Data["direction"] != "INBOUND" {
				t.Errorf("message.created %v is not INBOUND", ev.Data)
			}
			gotBodies = append(gotBodies, fmt.Sprint(ev.Data["body"]))
		}
	}
	if strings.Join(gotStatuses, " ") != strings.Join(statuses, " ") {
		t.Errorf("statuses %v; want %v", gotStatuses, statuses)
	}
	if strings.Join(gotBodies, "|") != strings.Join(bodies, "|") {
		t.Errorf("bodies %v; want %v", clipList(gotBodies), clipList(bodies))
	}
}

// checkOutage finds the two deliveries refused during the outage dead,
// every attempt marked as the endpoint being down.
func checkOutage(t *testing.T, s *apptest.Server, key string) {
	t.Helper()
	var body struct {
		Data []struct {
			State      string `json:"state"`
			AttemptLog []struct {
				Chaos string `json:"chaos"`
			} `json:"attempt_log"`
		}
	}
	apptest.Want(t, s.Sandbox(http.Header{"X-Whippy-Key": {key}}).Get(t, "/deliveries?state=dead"), http.StatusOK).JSON(t, &body)
	if len(body.Data) != 2 {
		t.Fatalf("%d dead deliveries; want the two events of the outage", len(body.Data))
	}
	for _, d := range body.Data {
		if len(d.AttemptLog) != 4 {
			t.Errorf("%d attempts; want Whippy's 1 + 3 retries", len(d.AttemptLog))
		}
		for _, a := range d.AttemptLog {
			if !strings.Contains(a.Chaos, "endpoint down") {
				t.Errorf("attempt chaos %q; want endpoint down", a.Chaos)
			}
		}
	}
}

func clipList(s []string) []string {
	if len(s) > 12 {
		return append(append(slices.Clone(s[:6]), "..."), s[len(s)-4:]...)
	}
	return s
}

// The magic-number table and the library are one definition: every
// number Whippy lists plays the scenario whose file declares it, and
// every number a Whippy scenario declares is in Whippy's table.
func TestLibrary_MagicNumbersAgree(t *testing.T) {
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	var fromLib, fromVendor []string
	for _, m := range lib.Magic() {
		if m.Vendor == whippy.Vendor {
			fromLib = append(fromLib, m.Trigger+" "+m.Suffix+" "+m.Scenario)
		}
	}
	for _, m := range whippy.New().MagicNumbers() {
		fromVendor = append(fromVendor, m.Trigger+" "+m.Suffix+" "+m.Scenario)
		if _, ok := lib.Get(m.Scenario); !ok {
			t.Errorf("magic %s plays %s, which is not in the library", m.Suffix, m.Scenario)
		}
	}
	slices.Sort(fromLib)
	slices.Sort(fromVendor)
	if strings.Join(fromLib, "\n") != strings.Join(fromVendor, "\n") {
		t.Fatalf("library declares\n%s\nWhippy lists\n%s", strings.Join(fromLib, "\n"), strings.Join(fromVendor, "\n"))
	}
	// The served table has them all, 0100 to 0108.
	s := newServer(t)
	var body struct {
		Data []struct{ Suffix, Vendor, Scenario string }
	}
	apptest.Want(t, s.Sandbox(nil).Get(t, "/magic-numbers"), http.StatusOK).JSON(t, &body)
	var served []string
	for _, m := range body.Data {
		if m.Vendor == whippy.Vendor {
			served = append(served, m.Suffix)
		}
	}
	slices.Sort(served)
	if strings.Join(served, " ") != "0100 0101 0102 0103 0104 0105 0106 0107 0108" {
		t.Errorf("served Whippy suffixes %v", served)
	}
}

// messageID is the id of the message a send receipt names.
func messageID(receipt M) string {
	for _, k := range []string{"id", "message_id"} {
		if v := field(receipt, k); v != "" {
			return v
		}
	}
	return ""
}

// BenchmarkBurst1000 plays whippy.inbound.burst (1,000 inbound messages)
// through to delivered webhooks at a real receiver, the clock advanced:
// the time of one op is the real time the whole scenario takes.
func BenchmarkBurst1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		key := fmt.Sprintf("bench-burst-%d", i)
		s, c, rc, _ := hookSetup(b, key, []string{"message.created", "conversation.updated", "conversation.created", "lead.new"})
		sb := s.Sandbox(http.Header{"X-Whippy-Key": {key}})
		channel := hookChannel(b, c)
		b.StartTimer()
		apptest.Want(b, sb.Post(b, "/scenarios/whippy.inbound.burst/run", M{"params": M{"channel": channel}}), http.StatusAccepted)
		hookAdvance(b, s, key, "1m")
		b.StopTimer()
		if n := len(rc.got()); n != 2002 {
			b.Fatalf("received %d webhooks; want 2,002", n)
		}
	}
}
