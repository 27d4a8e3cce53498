package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// A fault added with the command line is listed by it after a restart of
// the server on the same database, and a reset through it removes the rule.
func TestFaults_ListedAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cli.db")
	file := apptest.WithConfig(func(c *config.Config) { c.Server.DB = path })
	s := apptest.New(t, file)
	if out := ok(t, s.URL, "faults", "add", `{"operation_id":"listContacts","status":503}`); !strings.Contains(out, "added fault f1") {
		t.Fatalf("faults add: %q", out)
	}
	s.Stop()
	s = apptest.New(t, file)
	out := ok(t, s.URL, "faults", "list")
	if !strings.Contains(out, "\nf1 ") || !strings.Contains(out, "operation=listContacts") || !strings.Contains(out, "1 faults") {
		t.Errorf("faults list after the restart:\n%s", out)
	}
	ok(t, s.URL, "reset")
	if out := ok(t, s.URL, "faults", "list"); !strings.Contains(out, "0 faults") {
		t.Errorf("faults list after reset-all:\n%s", out)
	}
}
