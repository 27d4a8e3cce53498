package faults_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// onFile starts a server on the database file path (a restart is Stop and
// onFile again on the same path).
func onFile(t *testing.T, path string) *apptest.Server {
	t.Helper()
	return apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Server.DB = path }))
}

func workspaceOf(t *testing.T, s *apptest.Server, key string) string {
	t.Helper()
	return apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/clock"), http.StatusOK).Map(t)["workspace_id"].(string)
}

type ruleView struct {
	ID        string `json:"id"`
	Workspace string `json:"workspace"`
	Matched   int64  `json:"matched"`
	Applied   int64  `json:"applied"`
}

// faultList is GET /faults as key's workspace ("" for none) sees it.
func faultList(t *testing.T, s *apptest.Server, key string) []ruleView {
	t.Helper()
	h := http.Header{}
	if key != "" {
		h = whippyKey(key)
	}
	var body struct{ Data []ruleView }
	apptest.Want(t, s.Sandbox(h).Get(t, "/faults"), http.StatusOK).JSON(t, &body)
	return body.Data
}

func statusOf(t *testing.T, s *apptest.Server, key string) int {
	t.Helper()
	resp, _, err := raw(t, s, key, http.MethodGet, "/whippy/v1/contacts", nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

// A rule added before a restart answers requests after it, and its count
// goes on where it was: a first-3 rule that answered twice answers once
// more, then never.
func TestRestart_RulesAndCountersKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "faults.db")
	key := "durable-key"
	s := onFile(t, path)
	f := addFault(t, s, key, M{"operation_id": "listContacts", "status": 503, "first": 3})
	for i := range 2 {
		if got := statusOf(t, s, key); got != http.StatusServiceUnavailable {
			t.Fatalf("request %d before the restart: %d, want 503", i+1, got)
		}
	}
	s.Stop()

	s = onFile(t, path)
	list := faultList(t, s, key)
	if len(list) != 1 || list[0].ID != f["id"] || list[0].Matched != 2 || list[0].Applied != 2 {
		t.Fatalf("after the restart the rules are %+v, want %v with 2 matches applied", list, f["id"])
	}
	want := []int{http.StatusServiceUnavailable, http.StatusOK, http.StatusOK}
	for i, w := range want {
		if got := statusOf(t, s, key); got != w {
			t.Errorf("request %d after the restart: %d, want %d", i+3, got, w)
		}
	}
	// The journal kept the requests of both runs: three faulted, two not.
	var faulted, clean int
	for _, e := range journalOf(t, s, key, 5) {
		switch {
		case e.Fault == f["id"] && e.Status == http.StatusServiceUnavailable:
			faulted++
		case e.Fault == "" && e.Status == http.StatusOK:
			clean++
		}
	}
	if faulted != 3 || clean != 2 {
		t.Errorf("journal: %d requests marked with %v and %d clean, want 3 and 2", faulted, f["id"], clean)
	}
	// Deleted through the API, it stays deleted.
	apptest.Want(t, s.Sandbox(whippyKey(key)).Do(t, http.MethodDelete, "/faults/"+f["id"].(string), nil), http.StatusNoContent)
	s.Stop()
	s = onFile(t, path)
	if list := faultList(t, s, ""); len(list) != 0 {
		t.Errorf("a deleted rule came back after a restart: %+v", list)
	}
}

// The seeded random stream goes on across a restart: a probability rule
// picks the same requests as on a server that ran without one.
func TestRestart_SeededStreamGoesOn(t *testing.T) {
	rule := M{"operation_id": "listContacts", "status": 503, "probability": 0.5, "seed": 42}
	key := "stream-key"
	const n = 12
	run := func(s *apptest.Server, n int) (out []int) {
		for range n {
			out = append(out, statusOf(t, s, key))
		}
		return out
	}
	once := apptest.New(t)
	addFault(t, once, key, rule)
	want := run(once, 2*n)
	if c := countOf(want, http.StatusServiceUnavailable); c == 0 || c == len(want) {
		t.Fatalf("the stream %v does not mix outcomes: the test would prove nothing", want)
	}

	path := filepath.Join(t.TempDir(), "stream.db")
	s := onFile(t, path)
	addFault(t, s, key, rule)
	got := run(s, n)
	s.Stop()
	s = onFile(t, path)
	got = append(got, run(s, n)...)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with a restart after %d requests:\n got %v\nwant %v", n, got, want)
	}
}

func countOf(xs []int, v int) (n int) {
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}

// A reset of a workspace removes its rules and no other's; reset-all
// removes every rule, those of every workspace too. The store agrees: a
// restart brings back only what is left.
func TestReset_RemovesRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reset.db")
	a, b := "reset-a-key", "reset-b-key"
	s := onFile(t, path)
	addFault(t, s, a, M{"operation_id": "listContacts", "status": 503})
	fb := addFault(t, s, b, M{"operation_id": "listContacts", "status": 503})
	global := addFault(t, s, "", M{"operation_id": "listChannels", "status": 429})
	wsB := workspaceOf(t, s, b)

	apptest.Want(t, s.Sandbox(whippyKey(a)).Post(t, "/reset", nil), http.StatusOK)
	if got := statusOf(t, s, a); got != http.StatusOK {
		t.Errorf("workspace a after its reset: %d, want 200", got)
	}
	if got := statusOf(t, s, b); got != http.StatusServiceUnavailable {
		t.Errorf("workspace b after a's reset: %d, want its fault's 503", got)
	}
	ids := func(rs []ruleView) (out []string) {
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(faultList(t, s, "")); !reflect.DeepEqual(got, []string{fb["id"].(string), global["id"].(string)}) {
		t.Errorf("after a's reset the rules are %v, want b's and the global one", got)
	}
	s.Stop()
	s = onFile(t, path)
	if got := ids(faultList(t, s, "")); !reflect.DeepEqual(got, []string{fb["id"].(string), global["id"].(string)}) {
		t.Errorf("after a's reset and a restart the rules are %v, want b's and the global one", got)
	}
	if got := statusOf(t, s, b); got != http.StatusServiceUnavailable {
		t.Errorf("workspace b after the restart: %d, want its fault's 503", got)
	}

	// POST /workspaces/{id}/reset does the same.
	apptest.Want(t, s.Sandbox(nil).Post(t, "/workspaces/"+wsB+"/reset", nil), http.StatusOK)
	if got := ids(faultList(t, s, "")); !reflect.DeepEqual(got, []string{global["id"].(string)}) {
		t.Errorf("after b's reset the rules are %v, want the global one", got)
	}
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK)
	if got := faultList(t, s, ""); len(got) != 0 {
		t.Errorf("after reset-all the rules are %+v, want none", got)
	}
	s.Stop()
	s = onFile(t, path)
	if got := faultList(t, s, ""); len(got) != 0 {
		t.Errorf("after reset-all and a restart the rules are %+v, want none", got)
	}
}

// A workspace's snapshot carries its rules (not the global ones) with
// their counters; restoring it after a reset brings them back.
func TestSnapshot_CarriesRules(t *testing.T) {
	s := apptest.New(t)
	key := "snapshot-rules-key"
	f := addFault(t, s, key, M{"operation_id": "listContacts", "status": 503, "first": 2})
	addFault(t, s, "", M{"operation_id": "listChannels", "status": 429})
	statusOf(t, s, key)
	ws := workspaceOf(t, s, key)
	snap := apptest.Want(t, s.Sandbox(nil).Get(t, "/workspaces/"+ws+"/snapshot"), http.StatusOK)
	var doc map[string]any
	if err := json.Unmarshal(snap.Body, &doc); err != nil {
		t.Fatal(err)
	}
	rules, _ := doc["state"].(map[string]any)["rules"].([]any)
	if len(rules) != 1 || rules[0].(map[string]any)["id"] != f["id"] || rules[0].(map[string]any)["matched"] != 1.0 {
		t.Fatalf("the snapshot's rules are %v, want %v with its one match", rules, f["id"])
	}

	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/reset", nil), http.StatusOK)
	if got := statusOf(t, s, key); got != http.StatusOK {
		t.Fatalf("after the reset: %d, want 200", got)
	}
	apptest.Want(t, s.Sandbox(nil).Post(t, "/workspaces?replace=true", M{"id": ws, "snapshot": doc}), http.StatusCreated)
	list := faultList(t, s, key)
	if len(list) != 2 || list[1].ID != f["id"] || list[1].Workspace != ws || list[1].Matched != 1 {
		t.Fatalf("after the import the rules are %+v, want the global one and %v of %s with 1 match", list, f["id"], ws)
	}
	// It had answered once: it answers once more (first 2), then not.
	if got := statusOf(t, s, key); got != http.StatusServiceUnavailable {
		t.Errorf("the restored rule's second match: %d, want 503", got)
	}
	if got := statusOf(t, s, key); got != http.StatusOK {
		t.Errorf("the restored rule's third match: %d, want 200", got)
	}

	// A snapshot with a rule this server cannot take changes nothing.
	rules[0].(map[string]any)["kind"] = "nonsense"
	apptest.Want(t, s.Sandbox(nil).Post(t, "/workspaces?replace=true", M{"id": ws, "snapshot": doc}), http.StatusUnprocessableEntity)
}
