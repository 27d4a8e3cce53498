package sandbox_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// runList is the answer of GET /_sandbox/scenarios/runs.
type runList struct {
	Data []struct {
		ID          string `json:"id"`
		Scenario    string `json:"scenario"`
		WorkspaceID string `json:"workspace_id"`
		State       string `json:"state"`
		Steps       []struct {
			Action string `json:"action"`
		} `json:"steps"`
	} `json:"data"`
	Total int `json:"total"`
}

func (l runList) ids() []string {
	var out []string
	for _, r := range l.Data {
		out = append(out, r.ID)
	}
	return out
}

// GET /scenarios/runs lists the runs however they were started (the
// vendor's default timeline of a sent SMS, this API), newest first, by
// workspace or all, filtered by state, paged.
func TestListScenarioRuns(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	list := func(h http.Header, query string) runList {
		t.Helper()
		var l runList
		apptest.Want(t, s.Sandbox(h).Get(t, "/scenarios/runs"+query), http.StatusOK).JSON(t, &l)
		return l
	}
	a, b := whippyKey("runs-key-a"), whippyKey("runs-key-b")
	send := func(key string) string {
		t.Helper()
		ch := apptest.Want(t, s.Whippy(key).Get(t, "/channels"), 200).Map(t)["data"].([]any)[0].(map[string]any)["phone"].(string)
		m := apptest.Want(t, s.Whippy(key).Post(t, "/messaging/sms", M{"to": "+12065558101", "from": ch, "body": "hi"}), 201).Map(t)
		return m["data"].(map[string]any)["id"].(string)
	}
	msgA := send("runs-key-a")
	send("runs-key-b")
	// The SMS started its default timeline: a run no one asked this API for.
	auto := list(a, "")
	if auto.Total != 1 || len(auto.Data) != 1 || auto.Data[0].Scenario != "whippy.sms.delivered" || auto.Data[0].State != "running" || len(auto.Data[0].Steps) == 0 {
		t.Fatalf("after one SMS the workspace's runs are %+v, want its default timeline, running", auto)
	}
	r1 := startRun(t, s, "runs-key-a", "whippy.sms.delivered", M{"message_id": msgA})
	var r2 struct{ ID string }
	apptest.Want(t, s.Sandbox(a).Post(t, "/scenarios/whippy.sms.failed/run", M{"params": M{"message_id": msgA}, "start_at": "2099-01-01T00:00:00Z"}), http.StatusAccepted).JSON(t, &r2)
	apptest.Want(t, s.Sandbox(a).Post(t, "/scenarios/runs/"+r2.ID+"/cancel", nil), http.StatusOK)
	advance(t, s, "runs-key-a", "1h")

	all := list(a, "")
	if want := fmt.Sprint([]string{r2.ID, r1, auto.Data[0].ID}); all.Total != 3 || fmt.Sprint(all.ids()) != want {
		t.Fatalf("runs of the workspace: total %d, %v; want 3, %s (newest first)", all.Total, all.ids(), want)
	}
	if all.Data[0].State != "cancelled" || all.Data[1].State != "done" || all.Data[2].State != "done" {
		t.Errorf("states %s %s %s; want cancelled done done", all.Data[0].State, all.Data[1].State, all.Data[2].State)
	}
	if l := list(a, "?state=cancelled"); l.Total != 1 || fmt.Sprint(l.ids()) != fmt.Sprint([]string{r2.ID}) {
		t.Errorf("state=cancelled: total %d, %v", l.Total, l.ids())
	}
	if l := list(a, "?state=done"); l.Total != 2 || fmt.Sprint(l.ids()) != fmt.Sprint([]string{r1, auto.Data[0].ID}) {
		t.Errorf("state=done: total %d, %v", l.Total, l.ids())
	}
	if l := list(a, "?state=running"); l.Total != 0 || len(l.Data) != 0 {
		t.Errorf("state=running: total %d, %v", l.Total, l.ids())
	}
	if l := list(a, "?limit=1&offset=1"); l.Total != 3 || fmt.Sprint(l.ids()) != fmt.Sprint([]string{r1}) {
		t.Errorf("limit=1&offset=1: total %d, %v; want %s", l.Total, l.ids(), r1)
	}
	// Without a workspace: every workspace's, newest first (the other
	// workspace's SMS came before r1).
	other := list(b, "")
	if other.Total != 1 || other.Data[0].State != "running" || other.Data[0].WorkspaceID == all.Data[0].WorkspaceID {
		t.Fatalf("the other workspace's runs: %+v", other)
	}
	every := list(nil, "")
	if want := fmt.Sprint([]string{r2.ID, r1, other.Data[0].ID, auto.Data[0].ID}); every.Total != 4 || fmt.Sprint(every.ids()) != want {
		t.Errorf("all runs: total %d, %v; want 4, %s", every.Total, every.ids(), want)
	}
	if l := list(nil, "?state=running"); l.Total != 1 || fmt.Sprint(l.ids()) != fmt.Sprint(other.ids()) {
		t.Errorf("all running runs: total %d, %v; want the other workspace's", l.Total, l.ids())
	}
	// The spec's bounds are enforced.
	apptest.Want(t, s.Sandbox(a).Get(t, "/scenarios/runs?limit=101"), http.StatusUnprocessableEntity)
	apptest.Want(t, s.Sandbox(a).Get(t, "/scenarios/runs?state=sleeping"), http.StatusUnprocessableEntity)
}

// GET /deliveries?subject= keeps the deliveries whose event names the
// text; POST /requests/search on response finds the request whose answer
// did (what the dashboard's timeline reads).
func TestDeliveriesBySubject_SearchByResponse(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	key := "subject-key"
	sb := s.Sandbox(whippyKey(key))
	apptest.Want(t, sb.Post(t, "/webhooks", M{"vendor": "whippy", "url": "http://127.0.0.1:1/hooks"}), http.StatusCreated)
	ch := apptest.Want(t, s.Whippy(key).Get(t, "/channels"), 200).Map(t)["data"].([]any)[0].(map[string]any)["phone"].(string)
	var ids []string
	for _, to := range []string{"+12065558201", "+12065558202"} {
		m := apptest.Want(t, s.Whippy(key).Post(t, "/messaging/sms", M{"to": to, "from": ch, "body": "hi"}), 201).Map(t)
		ids = append(ids, m["data"].(map[string]any)["id"].(string))
	}
	advance(t, s, key, "1m")
	type list struct {
		Data []struct {
			Body string `json:"body"`
		} `json:"data"`
		Total int `json:"total"`
	}
	var all, one list
	apptest.Want(t, sb.Get(t, "/deliveries"), 200).JSON(t, &all)
	apptest.Want(t, sb.Get(t, "/deliveries?subject="+ids[0]), 200).JSON(t, &one)
	if one.Total == 0 || one.Total >= all.Total || len(one.Data) != one.Total {
		t.Fatalf("subject %s: %d of %d deliveries", ids[0], one.Total, all.Total)
	}
	for _, d := range one.Data {
		if !strings.Contains(d.Body, ids[0]) || strings.Contains(d.Body, ids[1]) {
			t.Errorf("subject %s lists a delivery of %s", ids[0], d.Body)
		}
	}
	// Another workspace's subject is not listed in this one.
	var other list
	apptest.Want(t, s.Sandbox(whippyKey("subject-other-key")).Get(t, "/deliveries?subject="+ids[0]), 200).JSON(t, &other)
	if other.Total != 0 {
		t.Errorf("another workspace lists %d deliveries of this one's message", other.Total)
	}
	var found struct {
		Data []struct {
			Path         string `json:"path"`
			ResponseBody string `json:"response_body"`
		} `json:"data"`
		Total int `json:"total"`
	}
	apptest.Want(t, sb.Post(t, "/requests/search", M{"match": []M{{"on": "response", "op": "contains", "value": ids[1]}}}), 200).JSON(t, &found)
	if found.Total != 1 || found.Data[0].Path != "/whippy/v1/messaging/sms" || !strings.Contains(found.Data[0].ResponseBody, ids[1]) {
		t.Errorf("search on response %s: %+v", ids[1], found)
	}
	apptest.Want(t, sb.Post(t, "/requests/search", M{"match": []M{{"on": "response", "name": "data.id", "value": ids[0]}}}), 200).JSON(t, &found)
	if found.Total != 1 || !strings.Contains(found.Data[0].ResponseBody, ids[0]) {
		t.Errorf("search on response data.id %s: %+v", ids[0], found)
	}
}

// The simulators' calls are journaled (vendor "sandbox"), the other
// control calls are not.
func TestSimulatorCallsJournaled(t *testing.T) {
	s := apptest.New(t)
	key := "sim-journal-key"
	sb := s.Sandbox(whippyKey(key))
	ch := apptest.Want(t, s.Whippy(key).Get(t, "/channels"), 200).Map(t)["data"].([]any)[0].(map[string]any)["phone"].(string)
	apptest.Want(t, sb.Post(t, "/whippy/inbound", M{"from": "+12065550177", "to": ch, "body": "from a script"}), 201)
	apptest.Want(t, sb.Get(t, "/clock"), 200)
	var l struct {
		Data []struct {
			Vendor      string `json:"vendor"`
			OperationID string `json:"operation_id"`
			WorkspaceID string `json:"workspace_id"`
			RequestBody string `json:"request_body"`
			Status      int    `json:"status"`
		} `json:"data"`
		Total int `json:"total"`
	}
	apptest.Want(t, sb.Get(t, "/requests"), 200).JSON(t, &l)
	ws := apptest.Want(t, sb.Get(t, "/clock"), 200).Map(t)["workspace_id"].(string)
	if l.Total != 2 || l.Data[0].OperationID != "simulateWhippyInbound" || l.Data[0].Vendor != "sandbox" || l.Data[0].WorkspaceID != ws ||
		l.Data[0].Status != 201 || !strings.Contains(l.Data[0].RequestBody, "from a script") || l.Data[1].OperationID != "listChannels" {
		t.Errorf("journal after a channel list, an inbound text and a clock read: %+v", l)
	}
}
