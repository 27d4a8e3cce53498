package sandbox_test

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
)

// The id of a fault or chaos rule deleted before a restart is not given
// again after it, nor after a reset of every workspace.
func TestRules_IDsNotReusedAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.db")
	sb := func(s *apptest.Server) *apptest.Client { return s.Sandbox(whippyKey("rule-ids")) }
	add := func(s *apptest.Server, kind string, rule M) string {
		t.Helper()
		return apptest.Want(t, sb(s).Post(t, "/"+kind, rule), http.StatusCreated).Map(t)["id"].(string)
	}
	fault := M{"operation_id": "listContacts", "status": 503}
	chaos := M{"effect": "duplicate"}
	s := onFileManual(t, path, "")
	if f1, f2 := add(s, "faults", fault), add(s, "faults", fault); f1 != "f1" || f2 != "f2" {
		t.Fatalf("first fault ids %s, %s; want f1, f2", f1, f2)
	}
	if c1 := add(s, "chaos", chaos); c1 != "c1" {
		t.Fatalf("first chaos id %s, want c1", c1)
	}
	apptest.Want(t, sb(s).Do(t, http.MethodDelete, "/faults/f2", nil), http.StatusNoContent)
	apptest.Want(t, sb(s).Do(t, http.MethodDelete, "/chaos/c1", nil), http.StatusNoContent)
	s.Stop()

	s = onFileManual(t, path, "")
	if id := add(s, "faults", fault); id != "f3" {
		t.Errorf("after f2 was deleted and a restart, a new fault is %s, want f3", id)
	}
	if id := add(s, "chaos", chaos); id != "c2" {
		t.Errorf("after c1 was deleted and a restart, a new chaos rule is %s, want c2", id)
	}
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK)
	s.Stop()

	s = onFileManual(t, path, "")
	if id := add(s, "faults", fault); id != "f4" {
		t.Errorf("after a reset of every workspace and a restart, a new fault is %s, want f4", id)
	}
}
