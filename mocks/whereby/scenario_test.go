package whereby_test

import (
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// TestMeetingScenario plays the built-in whole-call scenario on a real
// receiver: the events arrive in order and verify, and the recording,
// transcriptions, summary and insights reflect the session.
func TestMeetingScenario(t *testing.T) {
	const secret = "whsec-meeting"
	a := newAPI(t, "scenario-meeting")
	rc := newReceiver(t)
	subscribe(t, a, rc, secret)
	mt := a.meeting(t, map[string]any{"isLocked": true, "roomNamePrefix": "demo"})
	id, room := str(mt["meetingId"]), str(mt["roomName"])
	apptest.Want(t, a.sandbox().Post(t, "/scenarios/whereby.meeting/run", map[string]any{"params": map[string]string{"meeting_id": id}}), http.StatusAccepted)
	a.advance(t, "2h")

	evs := rc.events(t)
	want := []string{
		"room.client.joined", "room.client.knocked", "room.client.joined", "room.session.started", "transcription.started",
		"room.client.left", "room.client.left", "room.session.ended", "recording.finished", "transcription.finished",
	}
	if got := types(evs); !slices.Equal(got, want) {
		t.Fatalf("events %v\nwant %v", got, want)
	}
	ids := map[string]bool{}
	var last time.Time
	for i, r := range rc.got() {
		verify(t, r, secret)
		ev := evs[i]
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(ev.ID) || ids[ev.ID] {
			t.Errorf("event id %q is not a fresh 64-hex id", ev.ID)
		}
		ids[ev.ID] = true
		if ev.APIVersion != "1.0" {
			t.Errorf("apiVersion %q", ev.APIVersion)
		}
		at, err := time.Parse(time.RFC3339Nano, ev.CreatedAt)
		if err != nil || at.Before(last) {
			t.Errorf("createdAt %q of %s is not a time after the previous event's", ev.CreatedAt, ev.Type)
		}
		last = at
		if r.header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
		}
	}
	hostJoin, knock, guestJoin, started := evs[0].Data, evs[1].Data, evs[2].Data, evs[3].Data
	session := str(hostJoin["roomSessionId"])
	for _, d := range []map[string]any{hostJoin, guestJoin, evs[5].Data, evs[6].Data} {
		if d["meetingId"] != id || d["roomName"] != room || d["subdomain"] != "vendorsim" || d["roomSessionId"] != session || d["isDialIn"] != false {
			t.Errorf("client event data %v; want the meeting's room and session", d)
		}
	}
	if hostJoin["roleName"] != "host" || hostJoin["displayName"] != "Hannah Host" || hostJoin["numClients"] != 1.0 || hostJoin["externalId"] != "host-1" {
		t.Errorf("host joined %v", hostJoin)
	}
	if n := guestJoin["numClientsByRoleName"].(map[string]any); guestJoin["numClients"] != 2.0 || n["host"] != 1.0 || n["visitor"] != 1.0 {
		t.Errorf("guest joined %v; want 2 clients, a host and a visitor", guestJoin)
	}
	if guestJoin["participantId"] != knock["participantId"] {
		t.Errorf("the admitted knocker joined as %v, knocked as %v", guestJoin["participantId"], knock["participantId"])
	}
	for _, k := range []string{"roleName", "numClients", "numClientsByRoleName"} {
		if _, ok := knock[k]; ok {
			t.Errorf("knocked data has %s: %v", k, knock)
		}
	}
	if knock["displayName"] != "Gus Guest" || knock["roomSessionId"] != session {
		t.Errorf("knocked %v", knock)
	}
	if evs[6].Data["numClients"] != 0.0 || len(evs[6].Data["numClientsByRoleName"].(map[string]any)) != 0 {
		t.Errorf("last left %v; want nobody left", evs[6].Data)
	}
	for _, d := range []map[string]any{started, evs[7].Data} {
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if strings.Join(keys, ",") != "meetingId,roomName,roomSessionId,subdomain" || d["roomSessionId"] != session {
			t.Errorf("session event data %v", d)
		}
	}

	// The recording.
	rec := evs[8].Data
	if rec["status"] != "completed" || rec["roomName"] != room || !strings.HasSuffix(str(rec["filename"]), ".mp4") {
		t.Errorf("recording.finished %v", rec)
	}
	recs := apptest.Want(t, a.get(t, "/recordings?roomName="+room), http.StatusOK).Map(t)
	if len(recs["results"].([]any)) != 1 || recs["cursor"] != nil {
		t.Fatalf("recordings %v; want the one", recs)
	}
	r0 := recs["results"].([]any)[0].(map[string]any)
	rs, _ := time.Parse(time.RFC3339Nano, str(r0["startDate"]))
	re, _ := time.Parse(time.RFC3339Nano, str(r0["endDate"]))
	if r0["recordingId"] != rec["recordingId"] || r0["roomSessionId"] != session || math.Abs((re.Sub(rs)-30*time.Minute).Seconds()) > 1 || r0["sizeInMegaBytes"].(float64) <= 0 {
		t.Errorf("recording %v; want 30 minutes of the session", r0)
	}
	linkResp := apptest.Want(t, a.get(t, "/recordings/"+str(rec["recordingId"])+"/access-link?validForSeconds=600"), http.StatusOK)
	if strings.Contains(string(linkResp.Body), `\u0026`) {
		t.Errorf("access link body %s escapes &", linkResp.Body)
	}
	link := linkResp.Map(t)
	clock := apptest.Want(t, a.sandbox().Get(t, "/clock"), http.StatusOK).Map(t)
	now, _ := time.Parse(time.RFC3339Nano, str(clock["now"]))
	if exp := int64(link["expires"].(float64)); math.Abs(float64(exp-now.Add(10*time.Minute).UnixMilli())) > 5000 {
		t.Errorf("access link expires %d; want 10 minutes after the virtual now (%d) in ms", exp, now.Add(10*time.Minute).UnixMilli())
	}

	// The live transcription.
	tr := evs[9].Data
	if tr["status"] != "ready" || tr["type"] != "LIVE_TRANSCRIPTION" || tr["roomSessionId"] != session || math.Abs(tr["durationInSeconds"].(float64)-1800) > 1 ||
		tr["storageType"] != "WHEREBY_HOSTED" || !strings.HasSuffix(str(tr["filename"]), ".md") || tr["transcriptionId"] != evs[4].Data["transcriptionId"] {
		t.Errorf("transcription.finished %v", tr)
	}
	if _, ok := tr["recordingId"]; ok {
		t.Errorf("a live transcription's event names a recording: %v", tr)
	}
	got := apptest.Want(t, a.get(t, "/transcriptions/"+str(tr["transcriptionId"])), http.StatusOK).Map(t)
	if got["state"] != "ready" || got["type"] != "LIVE_TRANSCRIPTION" {
		t.Errorf("transcription %v", got)
	}

	// A transcription of the recording, then its summary.
	created := apptest.Want(t, a.post(t, "/transcriptions", map[string]any{"recordingId": rec["recordingId"]}), http.StatusCreated).Map(t)
	a.advance(t, "5m")
	evs = rc.events(t)[10:]
	if got := types(evs); !slices.Equal(got, []string{"transcription.started", "transcription.finished"}) {
		t.Fatalf("events after POST /transcriptions %v", got)
	}
	if d := evs[1].Data; d["transcriptionId"] != created["transcriptionId"] || d["type"] != "RECORDING_TRANSCRIPTION" || d["recordingId"] != rec["recordingId"] || d["status"] != "ready" {
		t.Errorf("recording transcription.finished %v", d)
	}
	list := apptest.Want(t, a.get(t, "/transcriptions?sortBy=createdAt:asc"), http.StatusOK).Map(t)
	if rs := list["results"].([]any); len(rs) != 2 || rs[0].(map[string]any)["type"] != "LIVE_TRANSCRIPTION" {
		t.Errorf("transcriptions %v; want the live one, then the recording's", list)
	}
	sum := apptest.Want(t, a.post(t, "/summaries", map[string]any{"transcriptionId": tr["transcriptionId"], "template": "SOAP"}), http.StatusCreated).Map(t)
	s := apptest.Want(t, a.get(t, "/summaries/"+str(sum["summaryId"])), http.StatusOK).Map(t)
	text := str(s["summary"].(map[string]any)["summary"])
	if s["state"] != "completed" || s["template"] != "SOAP" || s["roomSessionId"] != session || !strings.Contains(text, "Hannah Host") || !strings.Contains(text, "Gus Guest") {
		t.Errorf("summary %v", s)
	}

	// Insights.
	ps := apptest.Want(t, a.get(t, "/insights/participants?roomSessionId="+session), http.StatusOK).Map(t)
	parts := ps["results"].([]any)
	if len(parts) != 2 {
		t.Fatalf("participants %v; want host and guest", ps)
	}
	minutes := 0
	for i, p := range parts {
		p := p.(map[string]any)
		j, _ := time.Parse(time.RFC3339Nano, str(p["joinedAt"]))
		l, _ := time.Parse(time.RFC3339Nano, str(p["leftAt"]))
		minutes += int(math.Ceil(l.Sub(j).Minutes()))
		if wantName := []string{"Hannah Host", "Gus Guest"}[i]; p["displayName"] != wantName || l.Sub(j) < 30*time.Minute {
			t.Errorf("participant %d %v; want %s, in for over 30 minutes", i, p, wantName)
		}
	}
	rooms := apptest.Want(t, a.get(t, "/insights/rooms?roomName[exact]="+room), http.StatusOK).Map(t)
	ri := rooms["results"].([]any)[0].(map[string]any)
	if ri["totalSessions"] != 1.0 || ri["totalUniqueParticipants"] != 2.0 || ri["totalParticipantMinutes"] != float64(minutes) || (ri["totalRecorderMinutes"] != 30.0 && ri["totalRecorderMinutes"] != 31.0) {
		t.Errorf("room insight %v; want 1 session, 2 participants, %d participant minutes, 30 recorder minutes", ri, minutes)
	}
	sessions := apptest.Want(t, a.get(t, "/insights/room-sessions?roomName="+room), http.StatusOK).Map(t)
	if ss := sessions["results"].([]any); len(ss) != 1 || ss[0].(map[string]any)["roomSessionId"] != session || ss[0].(map[string]any)["endedAt"] == nil {
		t.Errorf("room sessions %v", sessions)
	}
	pid := str(parts[0].(map[string]any)["participantId"])
	detail := apptest.Want(t, a.get(t, "/insights/participant?roomSessionId="+session+"&participantId="+pid), http.StatusOK)
	var ds []map[string]any
	detail.JSON(t, &ds)
	if len(ds) != 1 || ds[0]["userRole"] != "host" || len(ds[0]["samples"].(map[string]any)["bitrateSend"].([]any)) == 0 {
		t.Errorf("participant detail %s", detail.Body)
	}
}

// TestNoShowScenario: nobody joins; the meeting expires with no events,
// and insights show its room with no session.
func TestNoShowScenario(t *testing.T) {
	a := newAPI(t, "scenario-noshow")
	rc := newReceiver(t)
	subscribe(t, a, rc, "s")
	mt := a.meeting(t, nil)
	id := str(mt["meetingId"])
	apptest.Want(t, a.sandbox().Post(t, "/scenarios/whereby.meeting.no_show/run", map[string]any{"params": map[string]string{"meeting_id": id}}), http.StatusAccepted)
	a.advance(t, "1m")
	if evs := rc.events(t); len(evs) != 0 {
		t.Errorf("events %v; want none", types(evs))
	}
	apptest.Want(t, a.get(t, "/meetings/"+id), http.StatusNotFound)
	rooms := apptest.Want(t, a.get(t, "/insights/rooms"), http.StatusOK).Map(t)
	ri := rooms["results"].([]any)
	if len(ri) != 1 || ri[0].(map[string]any)["totalSessions"] != 0.0 || ri[0].(map[string]any)["firstSessionStartedAt"] != nil {
		t.Errorf("room insights %v; want the room, no sessions", rooms)
	}
	// A scenario about a meeting that is gone is refused up front.
	apptest.Want(t, a.sandbox().Post(t, "/scenarios/whereby.meeting/run", map[string]any{"params": map[string]string{"meeting_id": id}}), http.StatusUnprocessableEntity)
}

// TestFailureScenarios: a failed recording leaves no Recording and no
// recording.finished; a failed live transcription ends in
// transcription.failed.
func TestFailureScenarios(t *testing.T) {
	a := newAPI(t, "scenario-failures")
	rc := newReceiver(t)
	subscribe(t, a, rc, "s")
	m1 := a.meeting(t, nil)
	apptest.Want(t, a.sandbox().Post(t, "/scenarios/whereby.meeting.recording_failed/run", map[string]any{"params": map[string]string{"meeting_id": str(m1["meetingId"])}}), http.StatusAccepted)
	a.advance(t, "1h")
	want := []string{"room.client.joined", "room.client.joined", "room.session.started", "room.client.left", "room.client.left", "room.session.ended"}
	if got := types(rc.events(t)); !slices.Equal(got, want) {
		t.Errorf("failed recording: events %v; want %v", got, want)
	}
	if recs := apptest.Want(t, a.get(t, "/recordings"), http.StatusOK).Map(t); len(recs["results"].([]any)) != 0 {
		t.Errorf("recordings %v; want none from a failed recording", recs)
	}

	m2 := a.meeting(t, nil)
	apptest.Want(t, a.sandbox().Post(t, "/scenarios/whereby.meeting.transcription_failed/run", map[string]any{"params": map[string]string{"meeting_id": str(m2["meetingId"])}}), http.StatusAccepted)
	a.advance(t, "1h")
	evs := rc.events(t)[len(want):]
	want = []string{"room.client.joined", "room.client.joined", "room.session.started", "transcription.started", "room.client.left", "room.client.left", "room.session.ended", "transcription.failed"}
	if got := types(evs); !slices.Equal(got, want) {
		t.Fatalf("failed transcription: events %v; want %v", got, want)
	}
	failed := evs[len(evs)-1].Data
	if failed["status"] != "failed" || failed["error"] == nil || failed["transcriptionId"] != evs[3].Data["transcriptionId"] {
		t.Errorf("transcription.failed %v", failed)
	}
	got := apptest.Want(t, a.get(t, "/transcriptions/"+str(failed["transcriptionId"])), http.StatusOK).Map(t)
	if got["state"] != "failed" {
		t.Errorf("transcription %v; want failed", got)
	}
	// A failed transcription has no file and cannot be summarised.
	apptest.Want(t, a.get(t, "/transcriptions/"+str(failed["transcriptionId"])+"/access-link"), http.StatusBadRequest)
	apptest.Want(t, a.post(t, "/summaries", map[string]any{"transcriptionId": failed["transcriptionId"]}), http.StatusBadRequest)
}
