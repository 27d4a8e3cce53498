package zipwhip_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
	"github.com/vendorsim/vendorsim/mocks/zipwhip"
)

const configuredSession = "0b5d2f4e-1c3a-4e6f-9a8b-7c6d5e4f3a2b:123456789"

func withAccounts(id string, accounts ...zipwhip.Account) apptest.Option {
	return apptest.WithConfig(func(c *config.Config) {
		c.Workspaces = append(c.Workspaces, config.Workspace{ID: id, Vendors: map[string]config.VendorWorkspace{
			"zipwhip": &zipwhip.WorkspaceConfig{Accounts: accounts},
		}})
	})
}

func TestSession_LoginForms(t *testing.T) {
	s := manual(t, withAccounts("zw-config",
		zipwhip.Account{Username: "2065557500", Password: "secret", FirstName: "Ada"},
		zipwhip.Account{Username: "support", Password: "pw2", Line: "+18665557501", Session: configuredSession}))
	// 10-digit, E.164 and 11-digit usernames are the same account.
	var keys []string
	for _, u := range []string{"2065557500", "+12065557500", "12065557500"} {
		status, m := call(t, s, "user/login", form("username", u, "password", "secret"))
		key, _ := m["response"].(string)
		if status != 200 || m["success"] != true || !regexp.MustCompile(`^[0-9a-f-]{36}:\d+$`).MatchString(key) {
			t.Fatalf("login %s: %d %v", u, status, m)
		}
		keys = append(keys, key)
	}
	if keys[0] == keys[1] || strings.Split(keys[0], ":")[1] != strings.Split(keys[2], ":")[1] {
		t.Errorf("keys %v; want fresh uuids with the line's device id", keys)
	}
	u := success(t, s, "user/get", form("session", keys[1])).(map[string]any)
	user := u["user"].(map[string]any)
	if user["mobileNumber"] != "+12065557500" || user["firstName"] != "Ada" || user["deviceId"].(json.Number).String() != strings.Split(keys[0], ":")[1] {
		t.Errorf("user/get %v", u)
	}
	if _, ok := u["settings"].(map[string]any); !ok || u["groups"] == nil {
		t.Errorf("user/get lacks settings or groups: %v", u)
	}
	// A configured session works without a login; that account has a
	// name for a username and a toll-free line.
	u = success(t, s, "user/get", form("session", configuredSession)).(map[string]any)
	if u["user"].(map[string]any)["mobileNumber"] != "+18665557501" {
		t.Errorf("configured session's user %v", u)
	}
	if success(t, s, "user/login", form("username", "support", "password", "pw2")) == "" {
		t.Error("no session for a named account")
	}
	// Logout invalidates that key only.
	if r := success(t, s, "user/logout", form("session", keys[0])); r != nil {
		t.Errorf("logout answered %v", r)
	}
	if msg := failure(t, s, "message/list", form("session", keys[0])); !strings.Contains(msg, "session") {
		t.Errorf("a logged-out session: %q", msg)
	}
	success(t, s, "message/list", form("session", keys[1]))
	// Both lines of the workspace are the workspace's.
	ws := apptest.Want(t, s.Sandbox(nil).Get(t, "/workspaces/zw-config"), 200).Map(t)
	if ws["id"] != "zw-config" {
		t.Errorf("workspace %v", ws)
	}
}

func TestSession_GETWithQueryAndHostHeader(t *testing.T) {
	s := manual(t)
	status, m := get(t, s, "user/login", form("username", "2065557510", "password", "x"))
	if status != 200 || m["success"] != true {
		t.Fatalf("GET user/login: %d %v", status, m)
	}
	sess := m["response"].(string)
	status, m = get(t, s, "message/send", form("session", sess, "contacts", "ptn:/2065557511", "body", "by GET"))
	if status != 200 || m["success"] != true {
		t.Fatalf("GET message/send: %d %v", status, m)
	}
	// Query string and form body merge.
	r := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/zipwhip/message/list?session=" + sess, Body: "limit=5",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	if m := decodeNumbers(t, r.Body); m["success"] != true || m["total"].(json.Number) != "1" || m["size"].(json.Number) != "1" {
		t.Fatalf("merged parameters: %s", r.Body)
	}
	// Zipwhip's own host and paths.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/message/list", strings.NewReader("session="+sess))
	req.Host = "api.zipwhip.com"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 || body["success"] != true {
		t.Errorf("Host api.zipwhip.com: %d %v", resp.StatusCode, body)
	}
}

func TestSession_JournalRedactsAndControlAPISelects(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557520")
	sendTo(t, s, sess, "2065557521", "hello")
	get(t, s, "message/list", form("session", sess))
	// The control API finds the workspace by the session.
	var j struct {
		Data []struct {
			OperationID  string `json:"operation_id"`
			Query        string `json:"query"`
			RequestBody  string `json:"request_body"`
			ResponseBody string `json:"response_body"`
			WorkspaceID  string `json:"workspace_id"`
		} `json:"data"`
	}
	apptest.Want(t, sandboxDo(t, s, sess, http.MethodGet, "/requests?vendor=zipwhip", nil), 200).JSON(t, &j)
	ops := map[string]bool{}
	uuidPart := strings.Split(sess, ":")[0]
	for _, e := range j.Data {
		ops[e.OperationID] = true
		if strings.Contains(e.Query+e.RequestBody+e.ResponseBody, uuidPart) {
			t.Errorf("journal keeps the session: %+v", e)
		}
	}
	if !ops["messageSend"] || !ops["messageListGet"] {
		t.Errorf("journal of the session's workspace: %v", ops)
	}
	// Another session's workspace sees none of it.
	other := login(t, s, "2065557522")
	apptest.Want(t, sandboxDo(t, s, other, http.MethodGet, "/requests?vendor=zipwhip&operation_id=messageSend", nil), 200).JSON(t, &j)
	if len(j.Data) != 0 {
		t.Errorf("another workspace's journal shows %v", j.Data)
	}
	// An unknown session selects nothing.
	r := sandboxDo(t, s, "3d0f1dde-aaff-4ce8-b61a-af212a860abc:1", http.MethodGet, "/clock", nil)
	if r.Status != 404 {
		t.Errorf("control API with an unknown session: %d %s", r.Status, r.Body)
	}
}

func TestIsolation_TwoAccountsConcurrently(t *testing.T) {
	s := manual(t, withAccounts("zw-two",
		zipwhip.Account{Username: "2065557530"}, zipwhip.Account{Username: "2065557531"}))
	type side struct {
		sess string
		rc   *receiver
	}
	// Two lines of one workspace, and a line of a workspace of its own.
	sides := []side{{sess: login(t, s, "2065557530")}, {sess: login(t, s, "2065557531")}, {sess: login(t, s, "2065557532")}}
	for i := range sides {
		sides[i].rc = newReceiver(t)
		install(t, s, sides[i].sess, sides[i].rc, "message", "send", "POST")
	}
	var wg sync.WaitGroup
	for i, sd := range sides {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 5; n++ {
				sendTo(t, s, sd.sess, fmt.Sprintf("20655576%d%d", i, n), fmt.Sprintf("from %d", i))
			}
		}()
	}
	wg.Wait()
	for i, sd := range sides {
		flush(t, s, sd.sess)
		res := success(t, s, "message/list", form("session", sd.sess, "limit", "50")).([]any)
		if len(res) != 5 {
			t.Errorf("line %d lists %d messages; want its 5", i, len(res))
		}
		for _, m := range res {
			if m.(map[string]any)["body"] != fmt.Sprintf("from %d", i) {
				t.Errorf("line %d lists %v", i, m)
			}
		}
		hooks := success(t, s, "webhook/list", form("session", sd.sess)).([]any)
		if len(hooks) != 1 || !strings.HasPrefix(hooks[0].(map[string]any)["url"].(string), sd.rc.URL) {
			t.Errorf("line %d lists webhooks %v", i, hooks)
		}
		if got := len(sd.rc.got()); got != 5 {
			t.Errorf("line %d's receiver got %d events; want its 5", i, got)
		}
		convs := success(t, s, "conversation/list", form("session", sd.sess)).([]any)
		contacts := success(t, s, "contact/list", form("session", sd.sess)).([]any)
		if len(convs) != 5 || len(contacts) != 5 {
			t.Errorf("line %d: %d conversations, %d contacts; want 5 each", i, len(convs), len(contacts))
		}
	}
	// A webhook of one line cannot be deleted through another.
	id := success(t, s, "webhook/list", form("session", sides[0].sess)).([]any)[0].(map[string]any)["webhookId"].(json.Number)
	if msg := failure(t, s, "webhook/delete", form("session", sides[1].sess, "webhookId", id.String())); !strings.Contains(msg, "webhookId") {
		t.Errorf("cross-line delete: %q", msg)
	}
}

func TestSession_SurvivesWorkspaceReset(t *testing.T) {
	s := manual(t)
	sess := login(t, s, "2065557540")
	sendTo(t, s, sess, "2065557541", "before the reset")
	apptest.Want(t, sandboxDo(t, s, sess, http.MethodPost, "/reset", nil), 200)
	_, m := call(t, s, "message/list", form("session", sess))
	if m["success"] != true || m["total"].(json.Number) != "0" {
		t.Fatalf("message/list after reset: %v; want the session to work on the emptied line", m)
	}
	sendTo(t, s, sess, "2065557541", "after the reset")
	success(t, s, "user/logout", form("session", sess))
	failure(t, s, "message/list", form("session", sess))
}

// A login's password and the session key it answers are journaled
// redacted, by body and by query string; the key keeps its first and last
// four characters, as the session parameter does.
func TestSession_JournalRedactsLogin(t *testing.T) {
	const password = "correct-horse-battery"
	s := manual(t, withAccounts("zw-secret", zipwhip.Account{Username: "2065557530", Password: password}))
	byBody := success(t, s, "user/login", form("username", "2065557530", "password", password)).(string)
	status, m := get(t, s, "user/login", form("username", "2065557530", "password", password))
	byQuery, _ := m["response"].(string)
	if status != 200 || byQuery == "" {
		t.Fatalf("user/login by query: %d %v", status, m)
	}
	var j struct {
		Data []struct {
			OperationID  string `json:"operation_id"`
			Query        string `json:"query"`
			RequestBody  string `json:"request_body"`
			ResponseBody string `json:"response_body"`
		} `json:"data"`
	}
	apptest.Want(t, sandboxDo(t, s, byBody, http.MethodGet, "/requests?vendor=zipwhip", nil), 200).JSON(t, &j)
	logins := 0
	for _, e := range j.Data {
		if e.OperationID != "userLogin" && e.OperationID != "userLoginGet" {
			continue
		}
		logins++
		key := byBody
		if e.OperationID == "userLoginGet" {
			key = byQuery
		}
		all := e.Query + e.RequestBody + e.ResponseBody
		if strings.Contains(all, "horse") || strings.Contains(all, strings.Split(key, ":")[0]) {
			t.Errorf("%s journaled with a secret: %+v", e.OperationID, e)
		}
		if !strings.Contains(e.Query+e.RequestBody, "password=corr%E2%80%A6tery") {
			t.Errorf("%s: the password is not redacted as a key is: %+v", e.OperationID, e)
		}
		want := fmt.Sprintf(`{"success":true,"response":"%s…%s"}`, key[:4], key[len(key)-4:])
		if e.ResponseBody != want {
			t.Errorf("%s answer journaled as %s, want %s", e.OperationID, e.ResponseBody, want)
		}
	}
	if logins != 2 {
		t.Errorf("journal holds %d logins, want 2: %+v", logins, j.Data)
	}
}
