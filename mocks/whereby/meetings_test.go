package whereby_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whereby"
)

func TestCreateMeeting(t *testing.T) {
	a := newAPI(t, "meet-create", apptest.WithConfig(func(c *config.Config) { whereby.Settings(c).Subdomain = "acme" }))
	end := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	m := apptest.Want(t, a.post(t, "/meetings", map[string]any{
		"endDate": end.Format(time.RFC3339), "roomNamePrefix": "Customer 0348", "fields": []string{"hostRoomUrl"},
		"recording": map[string]any{"type": "cloud", "startTrigger": "automatic", "destination": map[string]any{"provider": "whereby"}},
	}), http.StatusCreated).Map(t)
	if !regexp.MustCompile(`^\d+$`).MatchString(str(m["meetingId"])) {
		t.Errorf("meetingId %v is not a numeric string", m["meetingId"])
	}
	name := str(m["roomName"])
	if !regexp.MustCompile(`^/customer0348-[0-9a-f-]{36}$`).MatchString(name) {
		t.Errorf("roomName %q; want /customer0348-<uuid>", name)
	}
	if m["roomUrl"] != "https://acme.whereby.com"+name {
		t.Errorf("roomUrl %v; want the subdomain's URL of the room", m["roomUrl"])
	}
	if !strings.HasPrefix(str(m["hostRoomUrl"]), str(m["roomUrl"])+"?roomKey=") {
		t.Errorf("hostRoomUrl %v", m["hostRoomUrl"])
	}
	if _, ok := m["viewerRoomUrl"]; ok {
		t.Errorf("viewerRoomUrl given without being asked for: %v", m)
	}
	if got, _ := time.Parse(time.RFC3339Nano, str(m["endDate"])); !got.Equal(end) {
		t.Errorf("endDate %v; want %v", m["endDate"], end)
	}

	// Human-short names, viewer mode's URLs.
	v := a.meeting(t, map[string]any{"roomNamePattern": "human-short", "templateType": "viewerMode"})
	if !regexp.MustCompile(`^/[a-z2-9]{6}$`).MatchString(str(v["roomName"])) {
		t.Errorf("human-short roomName %v", v["roomName"])
	}
	if v["hostRoomUrl"] == nil || v["viewerRoomUrl"] == nil {
		t.Errorf("viewer-mode meeting %v lacks host and viewer URLs", v)
	}

	// GET with and without fields.
	got := apptest.Want(t, a.get(t, "/meetings/"+str(m["meetingId"])), http.StatusOK).Map(t)
	if got["roomName"] != name || got["hostRoomUrl"] != nil {
		t.Errorf("GET %v; want the meeting without extra URLs", got)
	}
	got = apptest.Want(t, a.get(t, "/meetings/"+str(m["meetingId"])+"?fields=hostRoomUrl,viewerRoomUrl"), http.StatusOK).Map(t)
	if got["hostRoomUrl"] != m["hostRoomUrl"] || got["viewerRoomUrl"] == nil {
		t.Errorf("GET with fields %v", got)
	}
	// Another key sees nothing of it.
	apptest.Want(t, a.with("meet-create-other").get(t, "/meetings/"+str(m["meetingId"])), http.StatusNotFound)
}

func TestDeleteMeetingIsIdempotent(t *testing.T) {
	a := newAPI(t, "meet-delete")
	m := a.meeting(t, nil)
	id := str(m["meetingId"])
	apptest.Want(t, a.do(t, http.MethodDelete, "/meetings/"+id, nil), http.StatusNoContent)
	apptest.Want(t, a.do(t, http.MethodDelete, "/meetings/"+id, nil), http.StatusNoContent)
	apptest.Want(t, a.do(t, http.MethodDelete, "/meetings/424242", nil), http.StatusNoContent)
	msg := errorOf(t, apptest.Want(t, a.get(t, "/meetings/"+id), http.StatusNotFound))
	if !strings.Contains(msg, id) {
		t.Errorf("404 message %q does not name the meeting", msg)
	}
	list := apptest.Want(t, a.get(t, "/meetings"), http.StatusOK).Map(t)
	if len(list["results"].([]any)) != 0 || list["cursor"] != nil {
		t.Errorf("list after delete %v; want empty with a null cursor", list)
	}
}

func TestMeetingExpiresAnHourAfterEndDate(t *testing.T) {
	a := newAPI(t, "meet-expire")
	end := time.Now().Add(10 * time.Minute).UTC()
	m := apptest.Want(t, a.post(t, "/meetings", map[string]any{"endDate": end.Format(time.RFC3339Nano)}), http.StatusCreated).Map(t)
	id := str(m["meetingId"])
	a.advance(t, "1h")
	apptest.Want(t, a.get(t, "/meetings/"+id), http.StatusOK)
	a.advance(t, "11m")
	apptest.Want(t, a.get(t, "/meetings/"+id), http.StatusNotFound)
	list := apptest.Want(t, a.get(t, "/meetings"), http.StatusOK).Map(t)
	if len(list["results"].([]any)) != 0 {
		t.Errorf("expired meeting still listed: %v", list)
	}
	// No room events for it any more.
	apptest.Want(t, a.sandbox().Post(t, "/whereby/meetings/"+id+"/participants", map[string]any{"displayName": "Late"}), http.StatusNotFound)
}
