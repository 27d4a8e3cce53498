package chaos_test

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

func onFile(t *testing.T, path string) *apptest.Server {
	t.Helper()
	return apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Server.DB = path
		c.Scenarios.Manual = true
	}))
}

// A chaos rule survives a restart with its count (every 2nd delivery is
// duplicated: the 1st before the restart, the 2nd after), touches only its
// workspace, and goes with the workspace's reset.
func TestRestart_ChaosRuleKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chaos.db")
	a, b := "chaos-durable-a", "chaos-durable-b"
	rcA, rcB := newReceiver(t), newReceiver(t)
	s := onFile(t, path)
	setup(t, s, a, rcA.URL+"/hook")
	setup(t, s, b, rcB.URL+"/hook")
	rule := addChaos(t, s, a, M{"effect": "duplicate", "every": 2})
	contacts(t, s, a, 0, 1)
	flush(t, s, a)
	if n := len(rcA.all()); n != 1 {
		t.Fatalf("before the restart a received %d, want 1 (the rule's first match is not an every-2nd)", n)
	}
	s.Stop()

	s = onFile(t, path)
	contacts(t, s, a, 1, 2)
	flush(t, s, a)
	if got := phones(t, rcA.all()); len(got) != 4 || got[1] != got[2] || got[1] != "+12065550201" {
		t.Fatalf("after the restart a received %v, want the second contact twice (the rule's 2nd match)", got)
	}
	contacts(t, s, b, 0, 2)
	flush(t, s, b)
	if n := len(rcB.all()); n != 2 {
		t.Errorf("workspace b received %d, want 2: a's rule touched it", n)
	}
	var list struct {
		Data []struct {
			ID      string `json:"id"`
			Matched int64  `json:"matched"`
		}
	}
	apptest.Want(t, s.Sandbox(whippyKey(a)).Get(t, "/chaos"), http.StatusOK).JSON(t, &list)
	if len(list.Data) != 1 || list.Data[0].ID != rule["id"] || list.Data[0].Matched != 3 {
		t.Errorf("a's chaos rules %+v, want %v with 3 matches", list.Data, rule["id"])
	}

	apptest.Want(t, s.Sandbox(whippyKey(a)).Post(t, "/reset", nil), http.StatusOK)
	s.Stop()
	s = onFile(t, path)
	apptest.Want(t, s.Sandbox(nil).Get(t, "/chaos"), http.StatusOK).JSON(t, &list)
	if len(list.Data) != 0 {
		t.Fatalf("after a's reset and a restart the chaos rules are %+v, want none", list.Data)
	}
	before := len(rcA.all())
	setup(t, s, a, rcA.URL+"/hook")
	contacts(t, s, a, 0, 2)
	flush(t, s, a)
	if n := len(rcA.all()) - before; n != 2 {
		t.Errorf("after the reset a received %d, want 2 (no rule left to duplicate the 4th)", n)
	}
}
