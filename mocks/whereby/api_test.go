package whereby_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whereby"
	"github.com/vendorsim/vendorsim/specs"
)

// fixture is a workspace with a meeting that was recorded and transcribed,
// and a summary.
type fixture struct {
	meetingID, roomName, session, participant string
	recordingID, transcriptionID, summaryID   string
}

func newFixture(tb testing.TB, a *api) fixture {
	tb.Helper()
	mt := a.meeting(tb, nil)
	f := fixture{meetingID: str(mt["meetingId"]), roomName: str(mt["roomName"])}
	sb := a.sandbox()
	base := "/whereby/meetings/" + f.meetingID
	p1 := apptest.Want(tb, sb.Post(tb, base+"/participants", map[string]any{"displayName": "A", "roleName": "host", "externalId": "ext-a"}), http.StatusCreated).Map(tb)
	p2 := apptest.Want(tb, sb.Post(tb, base+"/participants", map[string]any{"displayName": "B"}), http.StatusCreated).Map(tb)
	f.session, f.participant = str(p1["roomSessionId"]), str(p1["participantId"])
	rec := apptest.Want(tb, sb.Post(tb, base+"/recording", nil), http.StatusCreated).Map(tb)
	tr := apptest.Want(tb, sb.Post(tb, base+"/transcription", nil), http.StatusCreated).Map(tb)
	f.recordingID, f.transcriptionID = str(rec["recordingId"]), str(tr["transcriptionId"])
	a.advance(tb, "10m")
	apptest.Want(tb, sb.Do(tb, http.MethodDelete, base+"/participants/"+str(p2["participantId"]), nil), http.StatusNoContent)
	apptest.Want(tb, sb.Do(tb, http.MethodDelete, base+"/participants/"+f.participant, nil), http.StatusNoContent)
	a.advance(tb, "5m")
	s := apptest.Want(tb, a.post(tb, "/summaries", map[string]any{"transcriptionId": f.transcriptionID}), http.StatusCreated).Map(tb)
	f.summaryID = str(s["summaryId"])
	return f
}

// multipartBody is a theme upload of a small PNG-ish image.
func multipartBody(tb testing.TB, field string) (string, []byte) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, "logo.png")
	if err != nil {
		tb.Fatal(err)
	}
	fw.Write([]byte("\x89PNG\r\n\x1a\nnot really an image"))
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// TestEveryOperationAnswers calls each operation of specs/whereby.yaml with
// good input; every answer is validated against the spec.
func TestEveryOperationAnswers(t *testing.T) {
	a := newAPI(t, "every-op")
	f := newFixture(t, a)
	room := url.PathEscape(f.roomName)
	ct, logo := multipartBody(t, "image")
	calls := []struct {
		op, method, path string
		body             any
		header           http.Header
		want             int
	}{
		{"createMeeting", "POST", "/meetings", map[string]any{"endDate": "2099-01-01T00:00:00Z", "fields": []string{"viewerRoomUrl"}}, nil, 201},
		{"listMeetings", "GET", "/meetings?limit=5&fields=hostRoomUrl&roomName[startsWith]=/", nil, nil, 200},
		{"getMeeting", "GET", "/meetings/" + f.meetingID + "?fields=viewerRoomUrl", nil, nil, 200},
		{"listRecordings", "GET", "/recordings?sortBy=sizeInMegaBytes:desc&limit=1", nil, nil, 200},
		{"getRecording", "GET", "/recordings/" + f.recordingID, nil, nil, 200},
		{"getRecordingAccessLink", "GET", "/recordings/" + f.recordingID + "/access-link", nil, nil, 200},
		{"createTranscription", "POST", "/transcriptions", map[string]any{"recordingId": f.recordingID}, nil, 201},
		{"listTranscriptions", "GET", "/transcriptions?roomName=" + url.QueryEscape(f.roomName), nil, nil, 200},
		{"getTranscription", "GET", "/transcriptions/" + f.transcriptionID, nil, nil, 200},
		{"getTranscriptionAccessLink", "GET", "/transcriptions/" + f.transcriptionID + "/access-link?validForSeconds=60", nil, nil, 200},
		{"createSummary", "POST", "/summaries", map[string]any{"transcriptionId": f.transcriptionID, "template": "General Bulleted"}, nil, 201},
		{"listSummaries", "GET", "/summaries?sortBy=createdAt:asc", nil, nil, 200},
		{"getSummary", "GET", "/summaries/" + f.summaryID, nil, nil, 200},
		{"setRoomThemeTokens", "PUT", "/rooms/" + room + "/theme/tokens", map[string]any{"tokensPreset": "custom", "tokens": map[string]any{"colors": map[string]any{"primary": "#112233"}}}, nil, 204},
		{"setRoomThemeLogo", "PUT", "/rooms/" + room + "/theme/logo", logo, http.Header{"Content-Type": {ct}}, 204},
		{"setRoomBackground", "PUT", "/rooms/" + room + "/theme/room-background", map[string]any{"palette": "grey", "theme": "rocks"}, nil, 204},
		{"setRoomKnockPageBackground", "PUT", "/rooms/" + room + "/theme/room-knock-page-background", map[string]any{"theme": "default"}, nil, 204},
		{"listRoomInsights", "GET", "/insights/rooms?sortBy=totalSessions:desc&createdAt[from]=2000-01-01T00:00:00Z", nil, nil, 200},
		{"listRoomSessionInsights", "GET", "/insights/room-sessions?roomName=" + url.QueryEscape(f.roomName), nil, nil, 200},
		{"listParticipantInsights", "GET", "/insights/participants?externalId=ext-a", nil, nil, 200},
		{"getParticipantInsights", "GET", "/insights/participant?roomSessionId=" + f.session + "&participantId=" + f.participant, nil, nil, 200},
		{"bulkDeleteTranscriptions", "POST", "/transcriptions/bulk-delete", map[string]any{"transcriptionIds": []string{"nope"}}, nil, 204},
		{"bulkDeleteRecordings", "POST", "/recordings/bulk-delete", map[string]any{"recordingIds": []string{"nope"}}, nil, 204},
		{"deleteSummary", "DELETE", "/summaries/" + f.summaryID, nil, nil, 204},
		{"deleteTranscription", "DELETE", "/transcriptions/" + f.transcriptionID, nil, nil, 204},
		{"deleteRecording", "DELETE", "/recordings/" + f.recordingID, nil, nil, 204},
		{"deleteMeeting", "DELETE", "/meetings/" + f.meetingID, nil, nil, 204},
	}
	seen := map[string]bool{}
	for _, c := range calls {
		h := a.header()
		for k, v := range c.header {
			h[k] = v
		}
		r := a.s.Do(t, apptest.Request{Method: c.method, Path: "/whereby/v1" + c.path, Header: h, Body: c.body})
		if r.Status != c.want {
			t.Errorf("%s: %s %s answered %d %s; want %d", c.op, c.method, c.path, r.Status, r.Body, c.want)
		}
		seen[c.op] = true
	}
	doc, err := specs.Load(context.Background(), "whereby")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if !seen[op.OperationID] {
				missing = append(missing, op.OperationID)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations not called: %v", missing)
	}
	// Deleted is gone.
	for _, p := range []string{"/summaries/" + f.summaryID, "/transcriptions/" + f.transcriptionID, "/recordings/" + f.recordingID, "/meetings/" + f.meetingID} {
		apptest.Want(t, a.get(t, p), http.StatusNotFound)
	}
}

// rawDo sends a request exactly as given (path included) and validates the
// answer against the request validate names.
func rawDo(tb testing.TB, a *api, method, target, host string, header http.Header, body []byte, validate string) *apptest.Response {
	tb.Helper()
	req, err := http.NewRequest(method, a.s.URL, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.URL.Opaque = target // sent as is, "//" and "%2F" kept
	if host != "" {
		req.Host = host
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.s.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out := &apptest.Response{Status: resp.StatusCode, Header: resp.Header}
	out.Body, _ = io.ReadAll(resp.Body)
	vr, _ := http.NewRequest(method, a.s.URL+validate, bytes.NewReader(body))
	vr.Header = req.Header.Clone()
	if err := a.s.Validate(vr, out); err != nil {
		tb.Fatalf("%s %s answered %d %s, which does not match the spec: %v", method, target, out.Status, out.Body, err)
	}
	return out
}

// TestRoomThemes: a room name is accepted with its slash raw or encoded,
// uploads are multipart, resets JSON, and any other content type is a 400.
func TestRoomThemes(t *testing.T) {
	a := newAPI(t, "themes")
	mt := a.meeting(t, nil)
	name := str(mt["roomName"])
	enc := "/whereby/v1/rooms/" + url.PathEscape(name)
	ct, logo := multipartBody(t, "image")
	auth := a.header()
	for _, target := range []string{"/whereby/v1/rooms/" + name, enc} {
		h := auth.Clone()
		h.Set("Content-Type", ct)
		if r := rawDo(t, a, http.MethodPut, target+"/theme/logo", "", h, logo, enc+"/theme/logo"); r.Status != http.StatusNoContent {
			t.Errorf("PUT %s/theme/logo answered %d %s; want 204", target, r.Status, r.Body)
		}
	}
	// By the vendor's host and base path, with the raw slash.
	h := auth.Clone()
	h.Set("Content-Type", "application/json")
	if r := rawDo(t, a, http.MethodPut, "/v1/rooms/"+name+"/theme/tokens", "api.whereby.dev", h, []byte(`{"tokensPreset":"default"}`), enc+"/theme/tokens"); r.Status != http.StatusNoContent {
		t.Errorf("PUT on api.whereby.dev answered %d %s", r.Status, r.Body)
	}
	if r := rawDo(t, a, http.MethodPut, "/v1/rooms/"+url.PathEscape(name)+"/theme/tokens", "api.whereby.dev", h, []byte(`{"tokensPreset":"default"}`), enc+"/theme/tokens"); r.Status != http.StatusNoContent {
		t.Errorf("PUT %%2F on api.whereby.dev answered %d %s", r.Status, r.Body)
	}
	// The JSON reset forms.
	apptest.Want(t, a.do(t, http.MethodPut, "/rooms/"+url.PathEscape(name)+"/theme/logo", map[string]any{"theme": "default"}), http.StatusNoContent)
	apptest.Want(t, a.do(t, http.MethodPut, "/rooms/"+url.PathEscape(name)+"/theme/room-knock-page-background", map[string]any{"palette": "purple"}), http.StatusNoContent)
	// Wrong content types and bodies.
	for _, tc := range []struct {
		path, ct string
		body     []byte
	}{
		{"/theme/logo", "text/plain", []byte("hello")},
		{"/theme/room-background", "image/png", logo},
		{"/theme/tokens", ct, logo},
		{"/theme/logo", "application/json", []byte(`{"theme":"fancy"}`)},
		{"/theme/tokens", "application/json", []byte(`{"tokens":{"colors":{"primary":"red"}}}`)},
	} {
		h := auth.Clone()
		h.Set("Content-Type", tc.ct)
		r := a.s.Do(t, apptest.Request{Method: http.MethodPut, Path: enc + tc.path, Header: h, Body: tc.body})
		if r.Status != http.StatusBadRequest {
			t.Errorf("PUT %s as %s answered %d %s; want 400", tc.path, tc.ct, r.Status, r.Body)
			continue
		}
		errorOf(t, r)
	}
	// A multipart body without the image names it.
	ct2, noImage := multipartBody(t, "picture")
	h = auth.Clone()
	h.Set("Content-Type", ct2)
	r := a.s.Do(t, apptest.Request{Method: http.MethodPut, Path: enc + "/theme/room-background", Header: h, Body: noImage})
	if r.Status != http.StatusBadRequest || !strings.Contains(errorOf(t, r), "image") {
		t.Errorf("upload without image answered %d %s; want a 400 naming image", r.Status, r.Body)
	}
}

// TestHostAlias: a client written for api.whereby.dev/v1 works with only
// its base URL changed, or with the Host header.
func TestHostAlias(t *testing.T) {
	a := newAPI(t, "host-alias")
	a.meeting(t, nil)
	r := rawDo(t, a, http.MethodGet, "/v1/meetings?limit=1", "api.whereby.dev", a.header(), nil, "/whereby/v1/meetings?limit=1")
	if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"results":[{"meetingId"`)) {
		t.Errorf("GET api.whereby.dev/v1/meetings answered %d %s", r.Status, r.Body)
	}
}

// TestCursorWalk walks 250 meetings in pages of 100 while more are
// created: none is seen twice, none is missed.
func TestCursorWalk(t *testing.T) {
	a := newAPI(t, "cursor-walk")
	var want []string
	create := func(n int) {
		for range n {
			want = append(want, str(a.meeting(t, nil)["meetingId"]))
		}
	}
	create(250)
	seen := map[string]bool{}
	var order []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the walk does not end")
		}
		path := "/meetings?limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		page := apptest.Want(t, a.get(t, path), http.StatusOK).Map(t)
		for _, m := range page["results"].([]any) {
			id := str(m.(map[string]any)["meetingId"])
			if seen[id] {
				t.Fatalf("meeting %s seen twice", id)
			}
			seen[id] = true
			order = append(order, id)
		}
		if page["cursor"] == nil {
			break
		}
		cursor = str(page["cursor"])
		if pages < 2 {
			create(20) // more while walking
		}
	}
	if len(order) != len(want) {
		t.Fatalf("walk saw %d meetings; want all %d", len(order), len(want))
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("meeting %d is %s; want %s (oldest first)", i, order[i], want[i])
		}
	}
}

// TestRoomNameFilter: roomName[startsWith] selects by prefix.
func TestRoomNameFilter(t *testing.T) {
	a := newAPI(t, "room-filter")
	for i := range 5 {
		a.meeting(t, map[string]any{"roomNamePrefix": "vip"})
		if i < 3 {
			a.meeting(t, map[string]any{"roomNamePrefix": "basic"})
		}
	}
	var names []string
	cursor := ""
	for {
		path := "/meetings?limit=2&roomName[startsWith]=/vip-"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		page := apptest.Want(t, a.get(t, path), http.StatusOK).Map(t)
		for _, m := range page["results"].([]any) {
			names = append(names, str(m.(map[string]any)["roomName"]))
		}
		if page["cursor"] == nil {
			break
		}
		cursor = str(page["cursor"])
	}
	if len(names) != 5 {
		t.Fatalf("filtered walk found %v; want the 5 vip rooms", names)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "/vip-") {
			t.Errorf("room %s does not start with /vip-", n)
		}
	}
}

// TestWorkspaceSubdomainAndStrictAuth: a configured workspace's subdomain
// is in its room URLs; with strict auth an unknown key is a 401.
func TestWorkspaceSubdomainAndStrictAuth(t *testing.T) {
	a := newAPI(t, "configured-key", apptest.WithConfig(func(c *config.Config) {
		c.Server.StrictAuth = true
		c.Workspaces = append(c.Workspaces, config.Workspace{ID: "acme", Name: "Acme", Vendors: map[string]config.VendorWorkspace{
			"whereby": &whereby.WorkspaceConfig{APIKeys: []string{"configured-key"}, Subdomain: "acme-inc"},
		}})
	}))
	m := a.meeting(t, nil)
	if !strings.HasPrefix(str(m["roomUrl"]), "https://acme-inc.whereby.com/") {
		t.Errorf("roomUrl %v; want the workspace's subdomain", m["roomUrl"])
	}
	r := apptest.Want(t, a.with("unknown-key").get(t, "/meetings"), http.StatusUnauthorized)
	errorOf(t, r)
}

// TestRateLimit: over the points budget a request is a 429 with msLeft and
// the rate-limit headers, until the minute is over.
func TestRateLimit(t *testing.T) {
	a := newAPI(t, "rate-limit", apptest.WithConfig(func(c *config.Config) { whereby.Settings(c).RateLimit.PointsPerMinute = 5 }))
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	a.s.App.Vendor("whereby").(*whereby.Mock).SetRateLimitClock(func() time.Time { return now })
	a.meeting(t, nil) // 3 points
	r := apptest.Want(t, a.get(t, "/meetings"), http.StatusOK)
	if r.Header.Get("X-RateLimit-Remaining") != "1" || r.Header.Get("X-RateLimit-Limit") != "5" {
		t.Errorf("headers %v; want 1 of 5 points remaining", r.Header)
	}
	apptest.Want(t, a.get(t, "/meetings"), http.StatusOK)
	now = now.Add(20 * time.Second)
	r = apptest.Want(t, a.get(t, "/meetings"), http.StatusTooManyRequests)
	m := r.Map(t)
	if m["data"].(map[string]any)["msLeft"] != 40000.0 || errorOf(t, r) == "" {
		t.Errorf("429 body %s; want msLeft 40000", r.Body)
	}
	if r.Header.Get("Retry-After") != "40" || r.Header.Get("X-RateLimit-Remaining") != "0" || r.Header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("429 headers %v", r.Header)
	}
	// Another workspace has its own budget.
	apptest.Want(t, a.with("rate-limit-other").get(t, "/meetings"), http.StatusOK)
	now = now.Add(41 * time.Second)
	apptest.Want(t, a.get(t, "/meetings"), http.StatusOK)
}

// TestSelfHostedHasNoAccessLink: a recording in the customer's bucket
// answers 403 for its access link.
func TestSelfHostedHasNoAccessLink(t *testing.T) {
	a := newAPI(t, "self-hosted")
	mt := a.meeting(t, map[string]any{"recording": map[string]any{"type": "cloud", "startTrigger": "automatic-2nd-participant",
		"destination": map[string]any{"provider": "s3", "bucket": "b", "fileFormat": "mkv"}}})
	base := "/whereby/meetings/" + str(mt["meetingId"])
	sb := a.sandbox()
	var ids []string
	for _, n := range []string{"A", "B"} {
		ids = append(ids, str(apptest.Want(t, sb.Post(t, base+"/participants", map[string]any{"displayName": n}), http.StatusCreated).Map(t)["participantId"]))
	}
	a.advance(t, "3m")
	for _, id := range ids {
		apptest.Want(t, sb.Do(t, http.MethodDelete, base+"/participants/"+id, nil), http.StatusNoContent)
	}
	a.advance(t, "5m")
	recs := apptest.Want(t, a.get(t, "/recordings"), http.StatusOK).Map(t)["results"].([]any)
	if len(recs) != 1 || !strings.HasSuffix(str(recs[0].(map[string]any)["filename"]), ".mkv") {
		t.Fatalf("recordings %v; want the automatic mkv recording", recs)
	}
	r := apptest.Want(t, a.get(t, fmt.Sprintf("/recordings/%s/access-link", recs[0].(map[string]any)["recordingId"])), http.StatusForbidden)
	errorOf(t, r)
}
