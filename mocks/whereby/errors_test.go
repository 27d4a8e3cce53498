package whereby_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// TestBadInput: every wrong request gets the right status and
// {"error":"..."} naming what is wrong, never a 500.
func TestBadInput(t *testing.T) {
	a := newAPI(t, "bad-input")
	mt := a.meeting(t, nil)
	room := "/rooms/%2F" + strings.TrimPrefix(str(mt["roomName"]), "/")
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name, method, path string
		header             http.Header
		body               any
		want               int
		mention            string
	}{
		{"no token", "GET", "/meetings", http.Header{}, nil, 401, ""},
		{"basic auth", "GET", "/meetings", http.Header{"Authorization": {"Basic YTpi"}}, nil, 401, ""},
		{"empty bearer", "GET", "/meetings", http.Header{"Authorization": {"Bearer "}}, nil, 401, ""},
		{"past endDate", "POST", "/meetings", nil, map[string]any{"endDate": "2001-01-01T00:00:00Z"}, 400, "endDate"},
		{"no endDate", "POST", "/meetings", nil, map[string]any{"isLocked": true}, 400, "endDate"},
		{"endDate not a date", "POST", "/meetings", nil, map[string]any{"endDate": "tomorrow"}, 400, "endDate"},
		{"endDate a number", "POST", "/meetings", nil, map[string]any{"endDate": 12}, 400, "endDate"},
		{"bad roomMode", "POST", "/meetings", nil, map[string]any{"endDate": future, "roomMode": "huge"}, 400, "roomMode"},
		{"bad roomNamePattern", "POST", "/meetings", nil, map[string]any{"endDate": future, "roomNamePattern": "short"}, 400, "roomNamePattern"},
		{"bad templateType", "POST", "/meetings", nil, map[string]any{"endDate": future, "templateType": "webinar"}, 400, "templateType"},
		{"long roomNamePrefix", "POST", "/meetings", nil, map[string]any{"endDate": future, "roomNamePrefix": strings.Repeat("a", 40)}, 400, "roomNamePrefix"},
		{"bad recording type", "POST", "/meetings", nil, map[string]any{"endDate": future, "recording": map[string]any{"type": "tape", "startTrigger": "none"}}, 400, "recording.type"},
		{"language with comma", "POST", "/meetings", nil, map[string]any{"endDate": future, "liveTranscription": map[string]any{"startTrigger": "automatic", "language": "en,"}}, 400, "liveTranscription.language"},
		{"bad fields", "POST", "/meetings", nil, map[string]any{"endDate": future, "fields": []string{"secretUrl"}}, 400, "fields"},
		{"isLocked a string", "POST", "/meetings", nil, map[string]any{"endDate": future, "isLocked": "yes"}, 400, "isLocked"},
		{"not JSON", "POST", "/meetings", nil, "{endDate:", 400, "JSON"},
		{"an array", "POST", "/meetings", nil, "[]", 400, "object"},
		{"text body", "POST", "/meetings", http.Header{"Content-Type": {"text/plain"}}, "endDate", 400, "JSON"},
		{"bad fields query", "GET", "/meetings?fields=secretUrl", nil, nil, 400, "fields"},
		{"bad cursor", "GET", "/meetings?cursor=!!!", nil, nil, 400, "cursor"},
		{"foreign cursor", "GET", "/meetings?cursor=bm90LWEtY3Vyc29y", nil, nil, 400, "cursor"},
		{"bad list cursor", "GET", "/recordings?cursor=$$", nil, nil, 400, "cursor"},
		{"limit 0", "GET", "/meetings?limit=0", nil, nil, 400, "limit"},
		{"limit 101", "GET", "/meetings?limit=101", nil, nil, 400, "limit"},
		{"limit word", "GET", "/transcriptions?limit=ten", nil, nil, 400, "limit"},
		{"bad sortBy", "GET", "/recordings?sortBy=color:asc", nil, nil, 400, "sortBy"},
		{"bad sortBy direction", "GET", "/summaries?sortBy=createdAt:up", nil, nil, 400, "sortBy"},
		{"bad filter key", "GET", "/meetings?roomName[endsWith]=x", nil, nil, 400, "roomName"},
		{"validForSeconds 0", "GET", "/recordings/x/access-link?validForSeconds=0", nil, nil, 400, "validForSeconds"},
		{"validForSeconds too long", "GET", "/transcriptions/x/access-link?validForSeconds=43201", nil, nil, 400, "validForSeconds"},
		{"unknown meeting", "GET", "/meetings/99999999", nil, nil, 404, "99999999"},
		{"unknown recording", "GET", "/recordings/nope", nil, nil, 404, "nope"},
		{"unknown recording link", "GET", "/recordings/nope/access-link", nil, nil, 404, "nope"},
		{"unknown transcription", "GET", "/transcriptions/nope", nil, nil, 404, "nope"},
		{"unknown summary", "GET", "/summaries/nope", nil, nil, 404, "nope"},
		{"transcribe unknown recording", "POST", "/transcriptions", nil, map[string]any{"recordingId": "nope"}, 404, "nope"},
		{"transcribe without recordingId", "POST", "/transcriptions", nil, map[string]any{}, 400, "recordingId"},
		{"summarise unknown", "POST", "/summaries", nil, map[string]any{"transcriptionId": "nope"}, 404, "nope"},
		{"bad template", "POST", "/summaries", nil, map[string]any{"transcriptionId": "x", "template": "Haiku"}, 400, "template"},
		{"bulk delete without ids", "POST", "/recordings/bulk-delete", nil, map[string]any{}, 400, "recordingIds"},
		{"bulk delete ids not strings", "POST", "/transcriptions/bulk-delete", nil, map[string]any{"transcriptionIds": []int{1}}, 400, "transcriptionIds"},
		{"theme as text", "PUT", room + "/theme/logo", http.Header{"Content-Type": {"text/plain"}}, "x", 400, "multipart/form-data"},
		{"theme as form", "PUT", room + "/theme/room-background", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "a=b", 400, "application/json"},
		{"bad palette", "PUT", room + "/theme/room-background", nil, map[string]any{"palette": "pink"}, 400, "palette"},
		{"bad colour", "PUT", room + "/theme/tokens", nil, map[string]any{"tokens": map[string]any{"colors": map[string]any{"focus": "#12345"}}}, 400, "focus"},
		{"sessions without roomName", "GET", "/insights/room-sessions", nil, nil, 400, "roomName"},
		{"participants without session", "GET", "/insights/participants", nil, nil, 400, "roomSessionId"},
		{"participant without id", "GET", "/insights/participant?roomSessionId=x", nil, nil, 400, "participantId"},
		{"bad createdAt", "GET", "/insights/rooms?createdAt[from]=yesterday", nil, nil, 400, "createdAt"},
		{"unknown path", "GET", "/webinars", nil, nil, 404, ""},
		{"wrong method", "PATCH", "/meetings", nil, nil, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = a.header()
			} else if _, ok := h["Authorization"]; !ok && tt.want != 401 {
				h = h.Clone()
				h.Set("Authorization", "Bearer "+a.key)
			}
			r := a.s.Do(t, apptest.Request{Method: tt.method, Path: "/whereby/v1" + tt.path, Header: h, Body: tt.body})
			if r.Status != tt.want {
				t.Fatalf("%s %s answered %d %s; want %d", tt.method, tt.path, r.Status, r.Body, tt.want)
			}
			msg := errorOf(t, r)
			if !strings.Contains(msg, tt.mention) {
				t.Errorf("message %q does not mention %q", msg, tt.mention)
			}
		})
	}
}
