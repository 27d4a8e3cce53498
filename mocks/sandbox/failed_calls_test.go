package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// Requests that match no route or fail authentication are journaled under
// the workspace their credential names (docs/testing.md, "Failed calls"),
// with their body: a test's expect sees its own wrong calls. Each case is
// checked over HTTP with /requests/expect and the journal listing.

var formHeader = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}

// expectIn runs /requests/expect with the selection header sel.
func expectIn(tb testing.TB, s *apptest.Server, sel http.Header, body M) expectResult {
	tb.Helper()
	var out expectResult
	apptest.Want(tb, s.Sandbox(sel).Post(tb, "/requests/expect", body), http.StatusOK).JSON(tb, &out)
	return out
}

// journalOf lists the selected workspace's entries on path.
func journalOf(tb testing.TB, s *apptest.Server, sel http.Header, path string) []map[string]any {
	tb.Helper()
	var out struct {
		Data []map[string]any `json:"data"`
	}
	apptest.Want(tb, s.Sandbox(sel).Get(tb, "/requests?path="+url.QueryEscape(path)), http.StatusOK).JSON(tb, &out)
	return out.Data
}

func TestFailedCalls_WhippyUnroutedWithItsBody(t *testing.T) {
	s := apptest.New(t)
	key := whippyKey("failed-whippy-unrouted")
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whippy/v1/messages/sms", Header: key,
		Body: M{"to": "+13125550402", "body": "hello"}}), http.StatusNotFound)
	got := expectIn(t, s, key, M{"match": []M{
		{"on": "path", "value": "/whippy/v1/messages/sms"},
		{"on": "status", "value": "404"},
		{"on": "body", "name": "to", "value": "+13125550402"},
	}, "count": 1})
	if !got.OK {
		t.Fatalf("the unrouted call is not in its workspace's journal with its body: %s", got.Message)
	}
}

func TestFailedCalls_WhippyFailedAuth(t *testing.T) {
	// Strict: only the configured key is accepted. A key the workspace
	// does not have names no workspace: that call is journaled with none
	// (seen by an expect without a workspace), and never in acme's.
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Server.StrictAuth = true
		c.Workspaces = append(c.Workspaces, config.Workspace{ID: "acme"})
	}))
	acme := http.Header{"X-Sandbox-Workspace": {"acme"}}
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whippy/v1/contacts", Header: whippyKey("not-acmes-key"),
		Body: M{"phone": "+13125550499"}}), http.StatusUnauthorized)
	match := []M{{"on": "path", "value": "/whippy/v1/contacts"}, {"on": "status", "value": "401"}, {"on": "body", "name": "phone", "value": "+13125550499"}}
	if got := expectIn(t, s, nil, M{"match": match, "count": 1}); !got.OK {
		t.Errorf("the refused call is not in the journal: %s", got.Message)
	}
	if got := expectIn(t, s, acme, M{"match": match, "count": 0}); !got.OK {
		t.Errorf("a key acme does not have filed its call under acme: %s", got.Message)
	}
	for _, e := range journalOf(t, s, nil, "/whippy/v1/contacts") {
		if e["workspace_id"] != "" {
			t.Errorf("the refused call is filed under %v, want no workspace", e["workspace_id"])
		}
	}
}

// zipwhipLogin logs in as username and returns the session key and the
// workspace the session names.
func zipwhipLogin(tb testing.TB, s *apptest.Server, username string) (session, ws string) {
	tb.Helper()
	var login struct {
		Success  bool   `json:"success"`
		Response string `json:"response"`
	}
	apptest.Want(tb, s.Do(tb, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/user/login", Header: formHeader,
		Body: url.Values{"username": {username}, "password": {"pw"}}.Encode()}), http.StatusOK).JSON(tb, &login)
	if !login.Success || login.Response == "" {
		tb.Fatalf("login: %+v", login)
	}
	var out struct {
		Data []map[string]any `json:"data"`
	}
	apptest.Want(tb, s.Sandbox(nil).Get(tb, "/requests?session="+url.QueryEscape(login.Response)), http.StatusOK).JSON(tb, &out)
	if len(out.Data) == 0 {
		tb.Fatal("the login is not in the session's journal")
	}
	return login.Response, out.Data[0]["workspace_id"].(string)
}

func TestFailedCalls_ZipwhipAfterLogout(t *testing.T) {
	s := apptest.New(t)
	session, ws := zipwhipLogin(t, s, "2065550170")
	sel := http.Header{"X-Sandbox-Workspace": {ws}}
	form := func(kv ...string) string {
		v := url.Values{"session": {session}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/user/logout", Header: formHeader, Body: form()}), http.StatusOK)
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/message/send", Header: formHeader,
		Body: form("contacts", "+12065550171", "body", "after logout")})
	if !strings.Contains(string(r.Body), `"success":false`) {
		t.Fatalf("message/send with an ended session: %d %s, want a failure", r.Status, r.Body)
	}
	got := expectIn(t, s, sel, M{"match": []M{
		{"on": "operation_id", "value": "messageSend"},
		{"on": "body", "name": "body", "value": "after logout"},
	}, "count": 1})
	if !got.OK {
		t.Fatalf("the call with the ended session is not in its workspace's journal: %s", got.Message)
	}
	// The session stays redacted in the journal.
	for _, e := range journalOf(t, s, sel, "/zipwhip/message/send") {
		if strings.Contains(e["request_body"].(string), session) {
			t.Errorf("the journal holds the session in clear: %v", e["request_body"])
		}
	}
}

func TestFailedCalls_ZipwhipUnroutedSessionInTheBody(t *testing.T) {
	s := apptest.New(t)
	session, ws := zipwhipLogin(t, s, "2065550172")
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/nosuch/thing", Header: formHeader,
		Body: url.Values{"session": {session}, "contacts": {"+12065550173"}}.Encode()})
	if r.Status == http.StatusOK && strings.Contains(string(r.Body), `"success":true`) {
		t.Fatalf("an unknown call succeeded: %s", r.Body)
	}
	got := expectIn(t, s, http.Header{"X-Sandbox-Workspace": {ws}}, M{"match": []M{
		{"on": "path", "value": "/zipwhip/nosuch/thing"},
		{"on": "body", "name": "contacts", "value": "+12065550173"},
	}, "count": 1})
	if !got.OK {
		t.Fatalf("the unrouted call with the session in its form body is not in its workspace's journal: %s", got.Message)
	}
}

func TestFailedCalls_WherebyUnrouted(t *testing.T) {
	s := apptest.New(t)
	key := http.Header{"Authorization": {"Bearer failed-whereby-unrouted"}}
	// The workspace exists once the key has been used.
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/whereby/v1/meetings", Header: key}), http.StatusOK)
	apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/whereby/v1/meeting", Header: key,
		Body: M{"endDate": "2030-01-01T00:00:00Z"}}), http.StatusNotFound)
	sel := http.Header{"Authorization": key["Authorization"], "X-Sandbox-Vendor": {"whereby"}}
	got := expectIn(t, s, sel, M{"match": []M{
		{"on": "path", "value": "/whereby/v1/meeting"},
		{"on": "status", "value": "404"},
		{"on": "body", "name": "endDate", "value": "2030-01-01T00:00:00Z"},
	}, "count": 1})
	if !got.OK {
		t.Fatalf("the unrouted Whereby call is not in its workspace's journal with its body: %s", got.Message)
	}
}
