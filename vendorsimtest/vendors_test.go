package vendorsimtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/vendorsimtest"
)

// These tests use the helper as a user's test would, one vendor each.

// do sends one request to a vendor API and decodes its JSON answer.
func do(t *testing.T, method, u string, h http.Header, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, u, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// receiver is a webhook endpoint that keeps what it receives.
func receiver(t *testing.T) (*httptest.Server, chan *http.Request) {
	got := make(chan *http.Request, 32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got <- r
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

var form = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

// Zipwhip: log in, register a webhook through the API, send a message;
// the session selects the workspace for Expect and WaitDelivery.
func TestZipwhipLoginSendAndItsWebhook(t *testing.T) {
	sb := vendorsimtest.Start(t, vendorsimtest.Manual())
	var login struct {
		Success  bool   `json:"success"`
		Response string `json:"response"`
	}
	do(t, http.MethodPost, sb.ZipwhipURL()+"/user/login", form, url.Values{"username": {"2065550190"}, "password": {"pw"}}.Encode(), &login)
	if !login.Success {
		t.Fatalf("login: %+v", login)
	}
	session := login.Response
	ws := vendorsimtest.ZipwhipSession(session)
	hook, got := receiver(t)
	var ok struct {
		Success bool `json:"success"`
	}
	do(t, http.MethodPost, sb.ZipwhipURL()+"/webhook/add", form, url.Values{"session": {session}, "type": {"message"}, "event": {"send"}, "url": {hook.URL + "/sent"}}.Encode(), &ok)
	if !ok.Success {
		t.Fatal("webhook/add failed")
	}
	do(t, http.MethodPost, sb.ZipwhipURL()+"/message/send", form, url.Values{"session": {session}, "contacts": {"+12065550191"}, "body": {"Your code is 1234"}}.Encode(), &ok)
	if !ok.Success {
		t.Fatal("message/send failed")
	}

	sb.Expect(t, ws, vendorsimtest.Exactly(1), "operation_id=messageSend", "body.contacts=+12065550191", "body.body*=code")
	d := sb.WaitDelivery(t, ws, vendorsimtest.DeliveryFilter{Vendor: "zipwhip", EventType: "message.send", State: "delivered"}, nil)
	var msg struct {
		Body             string `json:"body"`
		FinalDestination string `json:"finalDestination"`
	}
	if err := d.Decode(&msg); err != nil || msg.Body != "Your code is 1234" || msg.FinalDestination != "+12065550191" {
		t.Errorf("the delivery's body %s (%v)", d.Body, err)
	}
	select {
	case r := <-got:
		if r.URL.Path != "/sent" {
			t.Errorf("the webhook reached %s", r.URL.Path)
		}
	default:
		t.Error("the receiver got nothing")
	}
}

// Whereby: create a meeting with the API key, have a participant join
// with the room simulator (Do on the control API), wait for the event.
func TestWherebyMeetingAndARoomEvent(t *testing.T) {
	sb := vendorsimtest.Start(t, vendorsimtest.Manual())
	key := sb.NewKey()
	ws := vendorsimtest.Bearer("whereby", key)
	auth := http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"}}
	var meeting struct {
		MeetingID string `json:"meetingId"`
		RoomName  string `json:"roomName"`
	}
	if st := do(t, http.MethodPost, sb.WherebyURL()+"/meetings", auth, `{"endDate":"2099-01-01T00:00:00Z"}`, &meeting); st != http.StatusCreated {
		t.Fatalf("create meeting: %d", st)
	}
	hook, got := receiver(t)
	sb.AddWebhook(t, ws, "whereby", hook.URL, "", "room.client.joined")
	var joined struct {
		ParticipantID string `json:"participantId"`
	}
	if err := sb.Do(context.Background(), ws, http.MethodPost, "/whereby/meetings/"+meeting.MeetingID+"/participants",
		map[string]string{"displayName": "Hannah Host", "roleName": "host"}, &joined); err != nil || joined.ParticipantID == "" {
		t.Fatalf("join: %v %+v", err, joined)
	}

	sb.Expect(t, ws, vendorsimtest.Exactly(1), "operation_id=createMeeting", "body.endDate=2099-01-01T00:00:00Z")
	d := sb.WaitDelivery(t, ws, vendorsimtest.DeliveryFilter{Vendor: "whereby", EventType: "room.client.joined", Endpoint: hook.URL}, nil)
	var ev struct {
		Type string `json:"type"`
		Data struct {
			MeetingID   string `json:"meetingId"`
			DisplayName string `json:"displayName"`
		} `json:"data"`
	}
	if err := d.Decode(&ev); err != nil || ev.Type != "room.client.joined" || ev.Data.MeetingID != meeting.MeetingID || ev.Data.DisplayName != "Hannah Host" {
		t.Errorf("the delivery's body %s (%v)", d.Body, err)
	}
	if r := <-got; r.Header.Get("Whereby-Signature") == "" {
		t.Errorf("the webhook came unsigned: %v", r.Header)
	}
}

// AddFault makes the next call fail as the vendor would; Reset(All)
// removes the rule; Reset of a workspace empties its data.
func TestAddFaultAndReset(t *testing.T) {
	sb := vendorsimtest.Start(t)
	key := sb.NewKey()
	ws := vendorsimtest.WhippyKey(key)
	h := http.Header{"X-Whippy-Key": {key}, "Content-Type": {"application/json"}}
	rule := sb.AddFault(t, ws, map[string]any{"operation_id": "listContacts", "status": 503})
	if rule["id"] == nil {
		t.Fatalf("AddFault answered %v", rule)
	}
	if st := do(t, http.MethodGet, sb.WhippyURL()+"/contacts", h, "", nil); st != http.StatusServiceUnavailable {
		t.Errorf("with the fault: %d, want 503", st)
	}
	sb.Reset(t, vendorsimtest.All)
	if st := do(t, http.MethodGet, sb.WhippyURL()+"/contacts", h, "", nil); st != http.StatusOK {
		t.Errorf("after Reset(All): %d, want 200", st)
	}
	if st := do(t, http.MethodPost, sb.WhippyURL()+"/contacts", h, `{"phone":"+12065550192"}`, nil); st != http.StatusCreated {
		t.Fatalf("create contact: %d", st)
	}
	sb.Reset(t, ws)
	var list struct {
		Data []struct{ Phone string } `json:"data"`
	}
	do(t, http.MethodGet, sb.WhippyURL()+"/contacts?limit=100", h, "", &list)
	for _, c := range list.Data {
		if c.Phone == "+12065550192" {
			t.Error("Reset kept the contact")
		}
	}
}

// Flush runs what is due in manual mode: the webhook of a new contact is
// delivered by it, not before.
func TestFlush(t *testing.T) {
	sb := vendorsimtest.Start(t, vendorsimtest.Manual())
	key := sb.NewKey()
	ws := vendorsimtest.WhippyKey(key)
	hook, got := receiver(t)
	sb.AddWebhook(t, ws, "whippy", hook.URL, "", "contact.created")
	do(t, http.MethodPost, sb.WhippyURL()+"/contacts", http.Header{"X-Whippy-Key": {key}, "Content-Type": {"application/json"}}, `{"phone":"+12065550193"}`, nil)
	select {
	case <-got:
		t.Fatal("delivered before the flush in manual mode")
	default:
	}
	sb.Flush(t, ws)
	select {
	case <-got:
	default:
		t.Error("Flush did not deliver the webhook")
	}
}

// Config loads a configuration: its workspace is selected by id; an
// unknown id is an *APIError from Do.
func TestConfigWorkspaceAndAPIError(t *testing.T) {
	sb := vendorsimtest.Start(t, vendorsimtest.Config("workspaces:\n  - id: acme\n    whippy:\n      api_keys: [acme-key]\n"))
	do(t, http.MethodGet, sb.WhippyURL()+"/contacts", http.Header{"X-Whippy-Key": {"acme-key"}}, "", nil)
	if n := sb.Count(t, vendorsimtest.WorkspaceID("acme"), "operation_id=listContacts"); n != 1 {
		t.Errorf("acme's journal has %d listContacts, want 1", n)
	}
	err := sb.Do(context.Background(), vendorsimtest.WorkspaceID("nosuch"), http.MethodGet, "/clock", nil, nil)
	var ae *vendorsimtest.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound || !strings.Contains(ae.Message, "nosuch") {
		t.Errorf("Do for an unknown workspace: %v, want a 404 *APIError", err)
	}
}

// ControlToken protects the control API: the Sandbox's methods send it,
// a call without it is refused.
func TestControlToken(t *testing.T) {
	sb := vendorsimtest.Start(t, vendorsimtest.ControlToken("s3cret"))
	ws := vendorsimtest.WhippyKey(sb.NewKey())
	if n := sb.Count(t, ws); n != 0 {
		t.Errorf("a fresh workspace has %d requests", n)
	}
	if st := do(t, http.MethodGet, sb.ControlURL()+"/clock", http.Header{"X-Whippy-Key": {"x"}}, "", nil); st != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", st)
	}
}
