package sandbox_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/whippy"
)

// M is a JSON object in a request body.
type M = map[string]any

// controlError is the control API's error body.
type controlError struct {
	Code, Message, Field string
}

// decodeError checks the status and the control API's error shape.
func decodeError(tb testing.TB, r *apptest.Response, status int) controlError {
	tb.Helper()
	apptest.Want(tb, r, status)
	var e struct {
		Error controlError `json:"error"`
	}
	r.JSON(tb, &e)
	if e.Error.Message == "" {
		tb.Errorf("error %s has no message", r.Body)
	}
	return e.Error
}

// sandboxError checks the control API's error shape and code and returns
// its message.
func sandboxError(tb testing.TB, r *apptest.Response, status int, code string) string {
	tb.Helper()
	e := decodeError(tb, r, status)
	if e.Code != code {
		tb.Errorf("error %+v, want code %q", e, code)
	}
	return e.Message
}

// whippyKey selects the workspace of a Whippy key.
func whippyKey(key string) http.Header { return http.Header{"X-Whippy-Key": {key}} }

// workspaceID selects a workspace by id.
func workspaceID(id string) http.Header { return http.Header{"X-Sandbox-Workspace": {id}} }

type workspace struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Source      string `json:"source"`
	Credentials []struct {
		Vendor     string `json:"vendor"`
		Credential string `json:"credential"`
	} `json:"credentials"`
}

func listWorkspaces(tb testing.TB, s *apptest.Server) map[string]workspace {
	tb.Helper()
	var body struct {
		Data  []workspace `json:"data"`
		Total int         `json:"total"`
	}
	apptest.Want(tb, s.Sandbox(nil).Get(tb, "/workspaces"), http.StatusOK).JSON(tb, &body)
	if body.Total != len(body.Data) {
		tb.Errorf("workspaces total %d, want %d", body.Total, len(body.Data))
	}
	out := map[string]workspace{}
	for _, w := range body.Data {
		out[w.ID] = w
	}
	return out
}

// listOf returns the data items of a Whippy list answer.
func listOf(tb testing.TB, r *apptest.Response) []M {
	tb.Helper()
	apptest.Want(tb, r, http.StatusOK)
	var body struct{ Data []M }
	r.JSON(tb, &body)
	return body.Data
}

func field(m M, key string) string {
	s, _ := m[key].(string)
	return s
}

func pluck(items []M, key string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, field(it, key))
	}
	sort.Strings(out)
	return out
}

func TestHealth(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = []config.Workspace{{ID: "one"}, {ID: "two"}}
	}))
	var h struct {
		Status     string  `json:"status"`
		Version    string  `json:"version"`
		Uptime     float64 `json:"uptime_seconds"`
		Workspaces int     `json:"workspaces"`
	}
	apptest.Want(t, s.Sandbox(nil).Get(t, "/health"), http.StatusOK).JSON(t, &h)
	if h.Status != "ok" || h.Version != "test" || h.Workspaces != 2 || h.Uptime < 0 {
		t.Errorf("health %+v, want status ok, version test, 2 workspaces", h)
	}
	// The control API has the same 404 and 405 as any API.
	sandboxError(t, s.Sandbox(nil).Get(t, "/nothing"), http.StatusNotFound, "not_found")
	r := s.Sandbox(nil).Post(t, "/health", nil)
	sandboxError(t, r, http.StatusMethodNotAllowed, "method_not_allowed")
	if got := r.Header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow %q, want GET, HEAD", got)
	}
}

func TestWorkspaces_Create(t *testing.T) {
	s := apptest.New(t)
	sb := s.Sandbox(nil)
	def := M{
		"id": "team-a", "name": "Team A",
		"whippy": M{
			"api_keys":     []string{"team-a-key", "team-a-key-2"},
			"organization": M{"name": "Team A Staffing"},
			"channels":     []M{{"name": "Main line", "phone": "+12065550000"}, {"name": "Inbox", "type": "email", "email": "a@team.example"}},
			"users":        []M{{"name": "Ann Admin", "email": "ann@team.example", "role": "admin"}},
			"contacts":     []M{{"phone": "+13125550800", "name": "Seed Contact"}},
		},
	}
	var created workspace
	apptest.Want(t, sb.Post(t, "/workspaces", def), http.StatusCreated).JSON(t, &created)
	if created.ID != "team-a" || created.Name != "Team A" || created.Source != "api" || len(created.Credentials) != 2 {
		t.Errorf("created %+v", created)
	}

	// The workspace is seeded from its definition and reached with either key.
	for _, key := range []string{"team-a-key", "team-a-key-2"} {
		c := s.Whippy(key)
		chans := listOf(t, c.Get(t, "/channels"))
		if got := pluck(chans, "name"); !slices.Equal(got, []string{"Inbox", "Main line"}) {
			t.Errorf("%s: channels %v", key, got)
		}
		if got := pluck(listOf(t, c.Get(t, "/contacts")), "name"); !slices.Equal(got, []string{"Seed Contact"}) {
			t.Errorf("%s: contacts %v, want the seed contact", key, got)
		}
		if got := pluck(listOf(t, c.Get(t, "/users")), "name"); !slices.Equal(got, []string{"Ann Admin"}) {
			t.Errorf("%s: users %v", key, got)
		}
		if got := len(listOf(t, c.Get(t, "/sequences"))); got != 1 {
			t.Errorf("%s: %d sequences, want the default one", key, got)
		}
		var org struct{ Data M }
		apptest.Want(t, c.Get(t, "/organization"), http.StatusOK).JSON(t, &org)
		if got := field(org.Data, "name"); got != "Team A Staffing" {
			t.Errorf("%s: organization %q", key, got)
		}
	}

	var got workspace
	apptest.Want(t, sb.Get(t, "/workspaces/team-a"), http.StatusOK).JSON(t, &got)
	if got.ID != created.ID || got.Name != created.Name || got.Source != "api" || len(got.Credentials) != 2 {
		t.Errorf("GET /workspaces/team-a = %+v, want %+v", got, created)
	}
	sandboxError(t, sb.Get(t, "/workspaces/nope"), http.StatusNotFound, "not_found")

	// A key used once gets an auto workspace; it cannot be claimed again.
	apptest.Want(t, s.Whippy("auto-key").Get(t, "/contacts"), http.StatusOK)
	all := listWorkspaces(t, s)
	if len(all) != 2 || all["team-a"].Source != "api" {
		t.Errorf("workspaces %v, want team-a and one auto workspace", all)
	}
	for id, w := range all {
		if id != "team-a" && (w.Source != "auto" || len(w.Credentials) != 1 || w.Credentials[0].Credential != "auto-key") {
			t.Errorf("auto workspace %+v", w)
		}
	}

	tests := []struct {
		name   string
		def    M
		status int
		code   string
		names  string // the message must contain it
	}{
		{"DuplicateID", M{"id": "team-a", "whippy": M{"api_keys": []string{"other-key"}}}, 409, "conflict", "team-a"},
		{"TakenKey", M{"id": "team-b", "whippy": M{"api_keys": []string{"team-a-key"}}}, 409, "conflict", "team-a-key"},
		{"KeyOfAutoWorkspace", M{"id": "team-c", "whippy": M{"api_keys": []string{"auto-key"}}}, 409, "conflict", "auto-key"},
		{"MissingID", M{"name": "No id"}, 422, "invalid", "id"},
		{"BadID", M{"id": "has spaces"}, 422, "invalid", "id"},
		{"BadChannelPhone", M{"id": "team-d", "whippy": M{"channels": []M{{"phone": "555"}}}}, 422, "invalid", "phone"},
		{"BadChannelType", M{"id": "team-e", "whippy": M{"channels": []M{{"type": "pager"}}}}, 422, "invalid", "type"},
		{"BadRole", M{"id": "team-f", "whippy": M{"users": []M{{"name": "x", "role": "owner"}}}}, 422, "invalid", "role"},
		{"BadContactPhone", M{"id": "team-g", "whippy": M{"contacts": []M{{"phone": "nope"}}}}, 422, "invalid", "phone"},
		{"DuplicateKeysInDefinition", M{"id": "team-h", "whippy": M{"api_keys": []string{"k", "k"}}}, 422, "invalid", "k"},
		{"NotJSON", nil, 422, "invalid", "request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any = tt.def
			if tt.def == nil {
				body = "{"
			}
			msg := sandboxError(t, sb.Post(t, "/workspaces", body), tt.status, tt.code)
			if !strings.Contains(msg, tt.names) {
				t.Errorf("message %q does not name %q", msg, tt.names)
			}
		})
	}
	if got := listWorkspaces(t, s); len(got) != 2 {
		t.Errorf("refused definitions left workspaces behind: %v", got)
	}
}

func TestReset(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = []config.Workspace{whippy.Workspace("configured", &whippy.WorkspaceConfig{
			APIKeys:  []string{"configured-key"},
			Channels: []whippy.ChannelSeed{{Name: "Main", Phone: "+12065550000"}},
			Contacts: []whippy.ContactSeed{{Phone: "+13125550900", Name: "Seeded"}},
		})}
	}))
	a, b := s.Whippy("configured-key"), s.Whippy("auto-b")
	// stable lists what a reset must give back unchanged: the ids and
	// names of the seeded channels, sequences, organization and users
	// (their timestamps are those of the reset).
	stable := func(tb testing.TB, c *apptest.Client) string {
		tb.Helper()
		var parts []string
		for _, p := range []string{"/channels", "/sequences", "/users"} {
			for _, it := range listOf(tb, c.Get(tb, p)) {
				parts = append(parts, fmt.Sprintf("%s %v %s %s %s", p, it["id"], field(it, "name"), field(it, "title"), field(it, "phone")))
			}
		}
		var org struct{ Data M }
		apptest.Want(tb, c.Get(tb, "/organization"), http.StatusOK).JSON(tb, &org)
		parts = append(parts, "/organization "+field(org.Data, "id")+" "+field(org.Data, "name"))
		return strings.Join(parts, "\n")
	}
	fill := func(tb testing.TB) {
		tb.Helper()
		apptest.Want(tb, a.Post(tb, "/contacts", M{"phone": "+13125550901", "name": "Added A"}), http.StatusCreated)
		apptest.Want(tb, a.Post(tb, "/messaging/sms", M{"from": "+12065550000", "to": "+13125550902", "body": "x"}), http.StatusCreated)
	}
	seedA, seedB := stable(t, a), stable(t, b)
	apptest.Want(t, b.Post(t, "/contacts", M{"phone": "+13125550903", "name": "Added B"}), http.StatusCreated)
	bContacts := string(apptest.Want(t, b.Get(t, "/contacts"), http.StatusOK).Body)
	var bID string
	for id, w := range listWorkspaces(t, s) {
		if w.Source == "auto" {
			bID = id
		}
	}

	checkReset := func(tb testing.TB) {
		tb.Helper()
		if got := pluck(listOf(tb, a.Get(tb, "/contacts")), "name"); !slices.Equal(got, []string{"Seeded"}) {
			tb.Errorf("contacts after reset %v, want only the seed", got)
		}
		if got := listOf(tb, a.Get(tb, "/conversations")); len(got) != 0 {
			tb.Errorf("%d conversations after reset, want none", len(got))
		}
		if got := stable(tb, a); got != seedA {
			tb.Errorf("seed after reset differs:\n%s\nwant\n%s", got, seedA)
		}
		if got := string(apptest.Want(tb, b.Get(tb, "/contacts"), http.StatusOK).Body); got != bContacts {
			tb.Errorf("other workspace changed by the reset: %s, want %s", got, bContacts)
		}
	}

	tests := []struct {
		name   string
		path   string
		header http.Header
		want   string
	}{
		{"ByKey", "/reset", whippyKey("configured-key"), "configured"},
		{"ByWorkspaceHeader", "/reset", workspaceID("configured"), "configured"},
		{"ByPath", "/workspaces/configured/reset", nil, "configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fill(t)
			var body struct{ Reset string }
			apptest.Want(t, s.Sandbox(tt.header).Post(t, tt.path, nil), http.StatusOK).JSON(t, &body)
			if body.Reset != tt.want {
				t.Errorf("reset %q, want %q", body.Reset, tt.want)
			}
			checkReset(t)
		})
	}
	sandboxError(t, s.Sandbox(nil).Post(t, "/workspaces/nope/reset", nil), http.StatusNotFound, "not_found")
	sandboxError(t, s.Sandbox(workspaceID("nope")).Post(t, "/reset", nil), http.StatusNotFound, "not_found")

	// Resetting the auto workspace keeps its seed (same channel id).
	apptest.Want(t, s.Sandbox(nil).Post(t, "/workspaces/"+bID+"/reset", nil), http.StatusOK)
	if got := listOf(t, b.Get(t, "/contacts")); len(got) != 0 {
		t.Errorf("auto workspace has %d contacts after reset", len(got))
	}
	if got := stable(t, b); got != seedB {
		t.Errorf("auto workspace seed changed by reset:\n%s\nwant\n%s", got, seedB)
	}

	// Reset of everything: configured workspaces come back as configured,
	// others go (and come back, seeded alike, when their key is used).
	fill(t)
	apptest.Want(t, s.Sandbox(nil).Post(t, "/workspaces", M{"id": "api-made"}), http.StatusCreated)
	var body struct{ Reset string }
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK).JSON(t, &body)
	if body.Reset != "all" {
		t.Errorf("reset %q, want all", body.Reset)
	}
	if got := listWorkspaces(t, s); len(got) != 1 || got["configured"].Source != "config" {
		t.Errorf("workspaces after reset of all: %v, want only the configured one", got)
	}
	if got := pluck(listOf(t, a.Get(t, "/contacts")), "name"); !slices.Equal(got, []string{"Seeded"}) {
		t.Errorf("contacts after reset of all %v, want only the seed", got)
	}
	if got := stable(t, a); got != seedA {
		t.Errorf("configured seed after reset of all differs")
	}
	if got := listOf(t, b.Get(t, "/contacts")); len(got) != 0 {
		t.Errorf("auto workspace kept %d contacts through reset of all", len(got))
	}
	if got := stable(t, b); got != seedB {
		t.Errorf("auto workspace recreated with another seed")
	}
}

type entry struct {
	ID             int64               `json:"id"`
	At             string              `json:"at"`
	WorkspaceID    string              `json:"workspace_id"`
	Vendor         string              `json:"vendor"`
	OperationID    string              `json:"operation_id"`
	Method         string              `json:"method"`
	Path           string              `json:"path"`
	Query          string              `json:"query"`
	Status         int                 `json:"status"`
	RequestHeaders map[string][]string `json:"request_headers"`
	RequestBody    string              `json:"request_body"`
	ResponseBody   string              `json:"response_body"`
}

func journal(tb testing.TB, sb *apptest.Client, query string) ([]entry, int) {
	tb.Helper()
	var body struct {
		Data  []entry `json:"data"`
		Total int     `json:"total"`
	}
	apptest.Want(tb, sb.Get(tb, "/requests"+query), http.StatusOK).JSON(tb, &body)
	return body.Data, body.Total
}

func count(tb testing.TB, sb *apptest.Client, query string) int {
	tb.Helper()
	var body struct{ Count int }
	apptest.Want(tb, sb.Get(tb, "/requests/count"+query), http.StatusOK).JSON(tb, &body)
	return body.Count
}

func TestJournal(t *testing.T) {
	s := apptest.New(t)
	one, two := s.Whippy("journal-key-one"), s.Whippy("journal-key-two")
	chans := listOf(t, one.Get(t, "/channels"))
	from := field(chans[0], "phone")
	apptest.Want(t, one.Post(t, "/contacts", M{"phone": "+13125551100", "name": "Journal"}), http.StatusCreated)
	apptest.Want(t, one.Get(t, "/contacts/00000000-0000-4000-8000-000000000000"), http.StatusNotFound)
	apptest.Want(t, one.Post(t, "/messaging/sms", M{"from": from, "to": "+13125551101", "body": "logged"}), http.StatusCreated)
	apptest.Want(t, one.Get(t, "/contacts?limit=abc"), http.StatusUnprocessableEntity)
	apptest.Want(t, one.Get(t, "/contacts?name=journal"), http.StatusOK)
	apptest.Want(t, two.Get(t, "/organization"), http.StatusOK)
	// Control calls are not journaled.
	apptest.Want(t, s.Sandbox(nil).Get(t, "/workspaces"), http.StatusOK)

	sb := s.Sandbox(whippyKey("journal-key-one"))
	all, total := journal(t, sb, "")
	if total != 6 || len(all) != 6 {
		t.Fatalf("journal of key one: %d entries, total %d; want 6", len(all), total)
	}
	wantOps := []string{"listContacts", "listContacts", "sendSms", "getContact", "createContact", "listChannels"}
	var ops []string
	for i, e := range all {
		ops = append(ops, e.OperationID)
		if i > 0 && e.ID >= all[i-1].ID {
			t.Errorf("entries not newest first: id %d after %d", e.ID, all[i-1].ID)
		}
		if e.Vendor != "whippy" || e.WorkspaceID != all[0].WorkspaceID || e.WorkspaceID == "" {
			t.Errorf("entry %d: vendor %q workspace %q", e.ID, e.Vendor, e.WorkspaceID)
		}
		for name, vals := range e.RequestHeaders {
			if strings.EqualFold(name, "X-Whippy-Key") && slices.Contains(vals, "journal-key-one") {
				t.Errorf("entry %d stores the API key in clear: %v", e.ID, vals)
			}
		}
	}
	if !slices.Equal(ops, wantOps) {
		t.Errorf("operations %v, want %v", ops, wantOps)
	}
	sms := all[2]
	if sms.Method != "POST" || sms.Path != "/whippy/v1/messaging/sms" || sms.Status != 201 ||
		!strings.Contains(sms.RequestBody, `"logged"`) || !strings.Contains(sms.ResponseBody, `"delivery_status":"queued"`) {
		t.Errorf("sms entry %+v", sms)
	}
	if all[0].Query != "name=journal" {
		t.Errorf("query %q, want name=journal", all[0].Query)
	}

	tests := []struct {
		name  string
		query url.Values
		want  []string // operation ids, newest first
	}{
		{"Vendor", url.Values{"vendor": {"whippy"}}, wantOps},
		{"OperationID", url.Values{"operation_id": {"createContact"}}, []string{"createContact"}},
		{"Method", url.Values{"method": {"POST"}}, []string{"sendSms", "createContact"}},
		{"MethodLowerCase", url.Values{"method": {"post"}}, []string{"sendSms", "createContact"}},
		{"PathExact", url.Values{"path": {"/whippy/v1/contacts"}}, []string{"listContacts", "listContacts", "createContact"}},
		{"PathPrefix", url.Values{"path": {"/whippy/v1/contacts*"}}, []string{"listContacts", "listContacts", "getContact", "createContact"}},
		{"PathPrefixMessaging", url.Values{"path": {"/whippy/v1/messaging/*"}}, []string{"sendSms"}},
		{"PathNone", url.Values{"path": {"/whippy/v1/users"}}, nil},
		{"Status", url.Values{"status": {"404"}}, []string{"getContact"}},
		{"Status422", url.Values{"status": {"422"}}, []string{"listContacts"}},
		{"Since", url.Values{"since": {all[2].At}}, []string{"listContacts", "listContacts", "sendSms"}},
		{"SinceFuture", url.Values{"since": {"2999-01-01T00:00:00Z"}}, nil},
		{"Combined", url.Values{"method": {"GET"}, "status": {"200"}, "path": {"/whippy/v1/contacts"}}, []string{"listContacts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, total := journal(t, sb, "?"+tt.query.Encode())
			var got []string
			for _, e := range entries {
				got = append(got, e.OperationID)
			}
			if !slices.Equal(got, tt.want) || total != len(tt.want) {
				t.Errorf("got %v (total %d), want %v", got, total, tt.want)
			}
			if n := count(t, sb, "?"+tt.query.Encode()); n != len(tt.want) {
				t.Errorf("count %d, want %d", n, len(tt.want))
			}
		})
	}
	if page, total := journal(t, sb, "?limit=2&offset=1"); len(page) != 2 || total != 6 || page[0].ID != all[1].ID || page[1].ID != all[2].ID {
		t.Errorf("page limit=2 offset=1: %d entries (total %d)", len(page), total)
	}
	for _, bad := range []string{"status=abc", "since=yesterday", "vendor=acme", "limit=0"} {
		sandboxError(t, sb.Get(t, "/requests?"+bad), http.StatusUnprocessableEntity, "invalid")
	}

	// Selection: every workspace, one by key, one by id.
	if _, total := journal(t, s.Sandbox(nil), ""); total != 7 {
		t.Errorf("journal of all workspaces: total %d, want 7", total)
	}
	if n := count(t, s.Sandbox(whippyKey("journal-key-two")), ""); n != 1 {
		t.Errorf("count of key two %d, want 1", n)
	}
	if n := count(t, s.Sandbox(workspaceID(all[0].WorkspaceID)), ""); n != 6 {
		t.Errorf("count by workspace id %d, want 6", n)
	}

	// Deleting is scoped to the selected workspace.
	var del struct{ Deleted int }
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/requests", nil), http.StatusOK).JSON(t, &del)
	if del.Deleted != 6 {
		t.Errorf("deleted %d, want 6", del.Deleted)
	}
	if n := count(t, sb, ""); n != 0 {
		t.Errorf("key one has %d entries after delete", n)
	}
	if n := count(t, s.Sandbox(nil), ""); n != 1 {
		t.Errorf("%d entries left in all, want key two's 1", n)
	}
	apptest.Want(t, one.Get(t, "/organization"), http.StatusOK)
	two2 := s.Sandbox(workspaceID(workspaceOf(t, s, "journal-key-two")))
	apptest.Want(t, two2.Do(t, http.MethodDelete, "/requests", nil), http.StatusOK).JSON(t, &del)
	if del.Deleted != 1 || count(t, sb, "") != 1 {
		t.Errorf("delete by workspace id deleted %d (want 1) or touched key one", del.Deleted)
	}
	apptest.Want(t, s.Sandbox(nil).Do(t, http.MethodDelete, "/requests", nil), http.StatusOK).JSON(t, &del)
	if del.Deleted != 1 || count(t, s.Sandbox(nil), "") != 0 {
		t.Errorf("delete of all deleted %d, want 1, and must leave nothing", del.Deleted)
	}
}

// workspaceOf returns the id of the workspace of a Whippy key.
func workspaceOf(tb testing.TB, s *apptest.Server, key string) string {
	tb.Helper()
	for id, w := range listWorkspaces(tb, s) {
		for _, c := range w.Credentials {
			if c.Vendor == "whippy" && c.Credential == key {
				return id
			}
		}
	}
	tb.Fatalf("no workspace has key %s", key)
	return ""
}
