package sandbox_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// Two workspaces run the same scenario, whose fault step gives its rule
// the same id in each: each workspace gets its own rule. The rules a
// scenario applied survive a restart in the middle of the run, and the
// run's later step lifts them after it.
func TestScenarios_FaultStepsDurable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "steps.db")
	// From a scenarios directory, read again at start (uploads are
	// stored and loaded again too: see uploads_test.go).
	opt := apptest.WithConfig(func(c *config.Config) {
		c.Server.DB = path
		c.Scenarios.Manual = true
		c.Scenarios.Dir = dir
	})
	file := `name: qa.durable
vendor: whippy
steps:
  - fault: {id: slow-contacts, operation_id: listContacts, status: 429}
  - {wait: 1m}
  - {lift_fault: slow-contacts}
`
	if err := os.WriteFile(filepath.Join(dir, "durable.yaml"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	s := apptest.New(t, opt)
	keys := []string{"qa-durable-a", "qa-durable-b"}
	var runs []string
	for _, k := range keys {
		sb := s.Sandbox(whippyKey(k))
		run := apptest.Want(t, sb.Post(t, "/scenarios/qa.durable/run", nil), http.StatusAccepted).Map(t)
		runs = append(runs, run["id"].(string))
		apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "10s"}), http.StatusOK)
	}
	status := func(s *apptest.Server, k string) int {
		return s.Whippy(k).Get(t, "/contacts").Status
	}
	for _, k := range keys {
		if got := status(s, k); got != http.StatusTooManyRequests {
			t.Errorf("%s during the scenario: %d, want its fault's 429", k, got)
		}
	}
	s.Stop()

	s = apptest.New(t, opt)
	var list struct {
		Data []struct{ ID, Workspace, Source string }
	}
	apptest.Want(t, s.Sandbox(nil).Get(t, "/faults"), http.StatusOK).JSON(t, &list)
	if len(list.Data) != 2 || list.Data[0].ID != "slow-contacts" || list.Data[1].ID != "slow-contacts" ||
		list.Data[0].Workspace == list.Data[1].Workspace || list.Data[0].Source != "scenario" {
		t.Fatalf("after the restart the fault rules are %+v, want one slow-contacts of each workspace", list.Data)
	}
	for _, k := range keys {
		if got := status(s, k); got != http.StatusTooManyRequests {
			t.Errorf("%s after the restart: %d, want its fault's 429", k, got)
		}
	}
	apptest.Want(t, s.Sandbox(whippyKey(keys[0])).Post(t, "/clock/advance", M{"by": "2m"}), http.StatusOK)
	if got := status(s, keys[0]); got != http.StatusOK {
		t.Logf("run: %s", s.Sandbox(whippyKey(keys[0])).Get(t, "/scenarios/runs/"+runs[0]).Body)
		t.Errorf("%s after its run lifted the fault: %d, want 200", keys[0], got)
	}
	if got := status(s, keys[1]); got != http.StatusTooManyRequests {
		t.Errorf("%s after another workspace's run lifted its fault: %d, want its own 429", keys[1], got)
	}
}
