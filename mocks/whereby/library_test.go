package whereby_test

import (
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/mocks/whereby"
	"github.com/vendorsim/vendorsim/scenarios"
)

const libSecret = "whsec-library"

// Every built-in Whereby scenario a test or a person runs emits, at a real
// receiver, the events its file documents (emits), in order, with valid
// signatures (checked by the test's own HMAC), and with the room, session,
// participant, recording and transcription fields its steps set; driven by
// clock advances only. The internal timelines (the vendor's own: session
// check, sweep, processing) are played by the vendor inside those runs:
// the events they document must be among those received.
func TestLibrary_EveryScenarioEmitsItsDocumentedEvents(t *testing.T) {
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	a := newAPI(t, "lib-whereby")
	seen := map[string]bool{}
	var internal []*scenarios.Scenario
	n := 0
	for _, sc := range lib.All() {
		if sc.Vendor != whereby.Vendor {
			continue
		}
		n++
		if sc.Emits == nil {
			t.Errorf("%s documents no events (emits; emits: [] for none)", sc.Name)
			continue
		}
		if sc.Internal {
			internal = append(internal, sc)
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			for _, typ := range playMeeting(t, a.with("lib-"+strings.ReplaceAll(sc.Name, ".", "-")), sc) {
				seen[typ] = true
			}
		})
	}
	if n < 11 {
		t.Fatalf("%d Whereby scenarios; want the whole library (11 or more)", n)
	}
	if len(internal) < 4 {
		t.Errorf("%d internal Whereby scenarios; want the session check, sweep and processing timelines", len(internal))
	}
	for _, sc := range internal {
		for _, typ := range sc.Expected() {
			if !slices.Contains(whereby.EventTypes, typ) || !seen[typ] {
				t.Errorf("internal %s documents %s, which no run of the library delivered", sc.Name, typ)
			}
		}
	}
}

// clientWant is a room.client.* event the steps make.
type clientWant struct {
	typ, name, role, externalID string
	num                         int
}

// roomPlay is what a scenario's steps do to a room, worked out from the
// steps alone.
type roomPlay struct {
	clients []clientWant
	// recording and transcription started (and whether they fail); their
	// lengths run from their start to when fewer than two remain.
	recording, recordingFails         bool
	transcription, transcriptionFails bool
	recordingFor, transcriptionFor    time.Duration
	total                             time.Duration
}

func walk(sc *scenarios.Scenario) roomPlay {
	type person struct{ name, role, ext string }
	var p roomPlay
	people := map[string]person{}
	num := 0
	var at, recAt, trAt time.Duration
	down := false
	for _, st := range sc.Flat() {
		at += time.Duration(st.After)
		w := st.With
		who := person{w["display_name"], w["role_name"], w["external_id"]}
		if who.role == "" {
			who.role = "visitor"
		}
		add := func(typ string, x person) {
			if !down {
				p.clients = append(p.clients, clientWant{typ, x.name, x.role, x.ext, num})
			}
		}
		switch st.Action {
		case scenarios.ActionEndpointDown:
			down = true
		case scenarios.ActionEndpointUp:
			down = false
		case "whereby.participant.join":
			people[w["participant"]] = who
			num++
			add("room.client.joined", who)
		case "whereby.knock":
			people[w["participant"]] = who
			add("room.client.knocked", who)
		case "whereby.knock.admit":
			num++
			add("room.client.joined", people[w["participant"]])
		case "whereby.knock.cancel":
			add("room.client.knockCancelled", people[w["participant"]])
		case "whereby.participant.leave":
			num--
			add("room.client.left", people[w["participant"]])
			if num == 1 {
				p.recordingFor, p.transcriptionFor = at-recAt, at-trAt
			}
		case "whereby.recording.start":
			p.recording, recAt = true, at
		case "whereby.recording.fail":
			p.recordingFails = true
		case "whereby.transcription.start":
			p.transcription, trAt = true, at
		case "whereby.transcription.fail":
			p.transcriptionFails = true
		}
	}
	p.total = at
	return p
}

// playMeeting runs sc on a new plain meeting of a's workspace and checks
// what the receiver gets; it returns the event types received.
func playMeeting(t *testing.T, a *api, sc *scenarios.Scenario) []string {
	rc := newReceiver(t)
	subscribe(t, a, rc, libSecret)
	mt := a.meeting(t, nil)
	id, room := str(mt["meetingId"]), str(mt["roomName"])
	run := apptest.Want(t, a.sandbox().Post(t, "/scenarios/"+sc.Name+"/run", map[string]any{"params": map[string]string{"meeting_id": id}}), http.StatusAccepted).Map(t)
	p := walk(sc)
	a.advance(t, (p.total + 10*time.Minute).String())
	if got := apptest.Want(t, a.sandbox().Get(t, "/scenarios/runs/"+str(run["id"])), http.StatusOK).Map(t); got["state"] != "done" {
		t.Fatalf("run %v; want done", got)
	}

	for _, r := range rc.got() {
		verify(t, r, libSecret)
	}
	evs := rc.events(t)
	if sc.Name == "whereby.webhook.duplicated" {
		// Each event arrives twice, the same event (one id), and the
		// rest of the checks see it once.
		var once []event
		copies := map[string]int{}
		for _, ev := range evs {
			if copies[ev.ID]++; copies[ev.ID] == 1 {
				once = append(once, ev)
			}
		}
		for _, ev := range once {
			if copies[ev.ID] != 2 {
				t.Errorf("%s %s arrived %d times; want twice", ev.Type, ev.ID, copies[ev.ID])
			}
		}
		evs = once
	}
	want := sc.Expected()
	if sc.Name == "whereby.webhook.outage" {
		// The three events of the outage are refused; Whereby gives up
		// on them after two retries.
		want = want[3:]
		checkWherebyOutage(t, a)
	}
	got := types(evs)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("received %d events %v\nwant %d %v", len(got), got, len(want), want)
	}

	// Every room event is of the meeting's room and its one session.
	session := ""
	var clients []event
	for _, ev := range evs {
		d := ev.Data
		if strings.HasPrefix(ev.Type, "room.") {
			if d["meetingId"] != id || d["roomName"] != room || d["subdomain"] != "vendorsim" {
				t.Errorf("%s data %v; want meeting %s, room %s", ev.Type, d, id, room)
			}
			if session == "" {
				session = str(d["roomSessionId"])
			}
		}
		if s, ok := d["roomSessionId"]; ok && str(s) != session {
			t.Errorf("%s of session %v; want the one session %s", ev.Type, s, session)
		}
		switch {
		case strings.HasPrefix(ev.Type, "room.client."):
			clients = append(clients, ev)
		case strings.HasPrefix(ev.Type, "room.session."):
			keys := make([]string, 0, len(d))
			for k := range d {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, ",") != "meetingId,roomName,roomSessionId,subdomain" {
				t.Errorf("%s data %v", ev.Type, d)
			}
		}
	}

	// The participants, as the steps bring them in and out.
	if len(clients) != len(p.clients) {
		t.Fatalf("%d client events; the steps make %d", len(clients), len(p.clients))
	}
	pids := map[string]string{}
	for i, ev := range clients {
		w, d := p.clients[i], ev.Data
		if ev.Type != w.typ || d["displayName"] != w.name {
			t.Errorf("client event %d: %s of %v; want %s of %s", i, ev.Type, d["displayName"], w.typ, w.name)
		}
		if w.externalID != "" && d["externalId"] != w.externalID {
			t.Errorf("%s of %s: externalId %v; want %s", ev.Type, w.name, d["externalId"], w.externalID)
		}
		if prev, ok := pids[w.name]; ok && prev != d["participantId"] {
			t.Errorf("%s is participant %v, earlier %v", w.name, d["participantId"], prev)
		}
		pids[w.name] = str(d["participantId"])
		if ev.Type == "room.client.joined" || ev.Type == "room.client.left" {
			byRole, _ := d["numClientsByRoleName"].(map[string]any)
			total := 0.0
			for _, v := range byRole {
				total += v.(float64)
			}
			if d["roleName"] != w.role || d["numClients"] != float64(w.num) || total != float64(w.num) {
				t.Errorf("%s of %s: role %v, numClients %v (%v); want %s, %d", ev.Type, w.name, d["roleName"], d["numClients"], byRole, w.role, w.num)
			}
		}
	}

	// The recording: a Recording of the session as long as the call, or
	// none when it fails (or never started).
	recs := apptest.Want(t, a.get(t, "/recordings?roomName="+room), http.StatusOK).Map(t)["results"].([]any)
	if wantRec := p.recording && !p.recordingFails; !wantRec {
		if len(recs) != 0 {
			t.Errorf("recordings %v; want none", recs)
		}
	} else {
		var fin map[string]any
		for _, ev := range evs {
			if ev.Type == "recording.finished" {
				fin = ev.Data
			}
		}
		if len(recs) != 1 || fin == nil {
			t.Fatalf("recordings %v, recording.finished %v; want one", recs, fin)
		}
		r0 := recs[0].(map[string]any)
		start, _ := time.Parse(time.RFC3339Nano, str(r0["startDate"]))
		end, _ := time.Parse(time.RFC3339Nano, str(r0["endDate"]))
		if fin["status"] != "completed" || fin["roomName"] != room || fin["recordingId"] != r0["recordingId"] || r0["roomSessionId"] != session ||
			!strings.HasSuffix(str(fin["filename"]), ".mp4") || math.Abs((end.Sub(start)-p.recordingFor).Seconds()) > 1 {
			t.Errorf("recording.finished %v, recording %v; want the session's, %v long", fin, r0, p.recordingFor)
		}
	}

	// The live transcription: started, then finished (ready, as long as
	// the call) or failed.
	var trs []map[string]any
	for _, ev := range evs {
		if strings.HasPrefix(ev.Type, "transcription.") {
			trs = append(trs, ev.Data)
			if ev.Data["transcriptionId"] != trs[0]["transcriptionId"] || ev.Data["type"] != "LIVE_TRANSCRIPTION" || ev.Data["roomName"] != room {
				t.Errorf("%s %v; want the room's one live transcription", ev.Type, ev.Data)
			}
		}
	}
	if p.transcription {
		if len(trs) != 2 {
			t.Fatalf("transcription events %v; want started and its end", trs)
		}
		end := trs[1]
		if p.transcriptionFails {
			if end["status"] != "failed" || end["error"] == nil {
				t.Errorf("transcription.failed %v", end)
			}
		} else if end["status"] != "ready" || math.Abs(end["durationInSeconds"].(float64)-p.transcriptionFor.Seconds()) > 1 {
			t.Errorf("transcription.finished %v; want ready, %v long", end, p.transcriptionFor)
		}
		tr := apptest.Want(t, a.get(t, "/transcriptions/"+str(end["transcriptionId"])), http.StatusOK).Map(t)
		if wantState := map[bool]string{true: "failed", false: "ready"}[p.transcriptionFails]; tr["state"] != wantState {
			t.Errorf("transcription %v; want %s", tr, wantState)
		}
	} else if len(trs) != 0 {
		t.Errorf("transcription events %v; want none", trs)
	}

	if sc.Name == "whereby.meeting.no_show" {
		apptest.Want(t, a.get(t, "/meetings/"+id), http.StatusNotFound)
	}
	return got
}

// checkWherebyOutage finds the three deliveries of the outage dead, each
// tried three times (once and two retries, Whereby's policy), every
// attempt marked as the endpoint being down.
func checkWherebyOutage(t *testing.T, a *api) {
	t.Helper()
	var body struct {
		Data []struct {
			EventType  string `json:"event_type"`
			AttemptLog []struct {
				Chaos string `json:"chaos"`
			} `json:"attempt_log"`
		}
	}
	apptest.Want(t, a.sandbox().Get(t, "/deliveries?state=dead"), http.StatusOK).JSON(t, &body)
	var dead []string
	for _, d := range body.Data {
		dead = append(dead, d.EventType)
		if len(d.AttemptLog) != 3 {
			t.Errorf("%s: %d attempts; want Whereby's 1 + 2 retries", d.EventType, len(d.AttemptLog))
		}
		for _, at := range d.AttemptLog {
			if !strings.Contains(at.Chaos, "endpoint down") {
				t.Errorf("attempt chaos %q; want endpoint down", at.Chaos)
			}
		}
	}
	slices.Sort(dead)
	if strings.Join(dead, " ") != "room.client.joined room.client.joined room.session.started" {
		t.Errorf("dead deliveries %v; want the three events of the outage", dead)
	}
}

// GET /_sandbox/scenarios lists every Whereby scenario with its parameters,
// the events it emits and whether it is internal, as the library has them.
func TestLibrary_ListShowsParamsAndEmits(t *testing.T) {
	a := newAPI(t, "lib-list")
	var body struct {
		Data []struct {
			Name       string
			Vendor     string
			Internal   bool
			Emits      []string
			Parameters []struct{ Name, Type string }
		}
	}
	apptest.Want(t, a.sandbox().Get(t, "/scenarios"), http.StatusOK).JSON(t, &body)
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range body.Data {
		if v.Vendor != whereby.Vendor {
			continue
		}
		n++
		sc, ok := lib.Get(v.Name)
		if !ok {
			t.Fatalf("listed %s is not in the library", v.Name)
		}
		if strings.Join(v.Emits, ",") != strings.Join(sc.Emits, ",") || v.Internal != sc.Internal || len(v.Parameters) != len(sc.Parameters) {
			t.Errorf("%s listed as %+v; the library has emits %v, internal %v, %d parameters", v.Name, v, sc.Emits, sc.Internal, len(sc.Parameters))
		}
		if !v.Internal && (len(v.Parameters) != 1 || v.Parameters[0].Name != "meeting_id" || v.Parameters[0].Type != "meeting_id") {
			t.Errorf("%s parameters %v; want meeting_id", v.Name, v.Parameters)
		}
	}
	if n < 11 {
		t.Errorf("%d Whereby scenarios listed", n)
	}
}
