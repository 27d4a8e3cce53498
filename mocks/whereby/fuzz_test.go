package whereby_test

import (
	"net/http"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// FuzzJSONBodies sends arbitrary bytes as the JSON body of the operations
// that take one: the answer is never a 500, always matches the spec, and a
// failure is {"error":"..."}.
func FuzzJSONBodies(f *testing.F) {
	for _, seed := range []string{
		`{"endDate":"2099-01-01T00:00:00Z"}`,
		`{"endDate":"2099-01-01T00:00:00Z","roomNamePrefix":"Ab c","roomNamePattern":"human-short","fields":["hostRoomUrl"]}`,
		`{"endDate":"2099-01-01T00:00:00+05:00","templateType":"viewerMode","recording":{"type":"cloud","startTrigger":"automatic","destination":{"provider":"s3"}}}`,
		`{"endDate":"1999-01-01T00:00:00Z"}`,
		`{"endDate":2.0e3}`, `{"recordingId":"x"}`, `{"transcriptionId":"x","template":"SOAP"}`,
		`{"tokens":{"colors":{"primary":"#000000"}}}`, `{"recordingIds":["a","b"]}`,
		`[]`, `null`, `"x"`, `{`, `{"a":1} {"a":2}`, "{\"endDate\":\"\xff\"}", `{"endDate":"2099-01-01T00:00:00Z","isLocked":null}`,
	} {
		f.Add(seed)
	}
	a := newAPI(f, "fuzz")
	paths := []struct{ method, path string }{
		{http.MethodPost, "/meetings"},
		{http.MethodPost, "/transcriptions"},
		{http.MethodPost, "/summaries"},
		{http.MethodPost, "/recordings/bulk-delete"},
		{http.MethodPut, "/rooms/%2Ffuzz/theme/tokens"},
		{http.MethodPut, "/rooms/%2Ffuzz/theme/room-background"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			r := a.s.Do(t, apptest.Request{Method: p.method, Path: "/whereby/v1" + p.path, Header: a.header(), Body: []byte(body)})
			if r.Status >= 500 {
				t.Fatalf("%s %s with %q answered %d %s", p.method, p.path, body, r.Status, r.Body)
			}
			if r.Status >= 400 {
				errorOf(t, r)
			}
		}
	})
}
