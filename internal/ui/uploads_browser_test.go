package ui_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// uploadedScenario is a scenario uploaded through the control API.
const uploadedScenario = `name: qa.ui.%s
vendor: whippy
description: Uploaded for the dashboard test.
params: [{name: message_id, type: message_id}]
emits: [message.updated]
steps:
  - {after: 1h, action: whippy.message.status, with: {status: delivered}}
`

// TestDashboard_Uploads: the Scenarios page marks uploaded scenarios,
// lists the stored uploads the start skipped (with why), and deletes
// either kind; the server agrees.
func TestDashboard_Uploads(t *testing.T) {
	tmp := t.TempDir()
	dbPath, dir := filepath.Join(tmp, "ui.db"), filepath.Join(tmp, "scenarios")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := func(withDir bool) *apptest.Server {
		return apptest.New(t, apptest.WithConfig(func(c *config.Config) {
			c.Server.DB = dbPath
			if withDir {
				c.Scenarios.Dir = dir
			}
		}))
	}
	up := func(s *apptest.Server, file, which string) {
		apptest.Want(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/_sandbox/scenarios?name=" + file,
			Body: []byte(strings.ReplaceAll(uploadedScenario, "%s", which)), Header: http.Header{"Content-Type": {"application/yaml"}}}), http.StatusCreated)
	}
	s := start(false)
	up(s, "kept.yaml", "kept")
	up(s, "clash.yaml", "clash")
	s.Stop()
	// The next start has a directory scenario of the same name: the
	// directory's is loaded, the stored upload skipped.
	if err := os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte(strings.ReplaceAll(uploadedScenario, "%s", "clash")), 0o644); err != nil {
		t.Fatal(err)
	}
	s = start(true)

	ctx := tab(t)
	run(t, ctx, "the scenarios page",
		chromedp.Navigate(s.URL+"/_sandbox/ui/#/scenarios"),
		waitJS(`document.body.dataset.loaded === "scenarios"`),
		waitJS(`!!document.querySelector('#sc-skipped li[data-skipped="qa.ui.clash"]')`),
	)
	if kept := get(t, ctx, "the uploaded scenario", chromedp.Evaluate[string](`document.querySelector('details[data-scenario="qa.ui.kept"]').textContent`)); !strings.Contains(kept, "uploaded") || !strings.Contains(kept, "upload:kept.yaml") {
		t.Errorf("the uploaded scenario reads %q; want it marked uploaded, from upload:kept.yaml", kept)
	}
	if skipped := get(t, ctx, "the skipped upload", textOf(`#sc-skipped`)); !strings.Contains(skipped, "clash.yaml") || !strings.Contains(skipped, "loaded instead") {
		t.Errorf("the skipped upload reads %q; want its file and why", skipped)
	}
	if n := get(t, ctx, "delete buttons of built-ins", chromedp.Evaluate[int](`document.querySelectorAll('details[data-scenario^="whippy."] button').length`)); n != 0 {
		t.Errorf("%d built-in scenarios offer a delete", n)
	}
	checkNames(t, ctx, "scenarios-uploads")
	screenshot(t, ctx, "scenarios-uploads")

	run(t, ctx, "delete the skipped upload",
		js(`window.confirm = () => true`),
		chromedp.Click(css(`button[aria-label="Delete the stored upload qa.ui.clash"]`)),
		waitJS(`!document.getElementById('sc-skipped')`),
	)
	run(t, ctx, "delete the uploaded scenario",
		js(`document.querySelector('details[data-scenario="qa.ui.kept"]').open = true`),
		chromedp.Click(css(`button[aria-label="Delete uploaded scenario qa.ui.kept"]`)),
		waitJS(`!document.querySelector('details[data-scenario="qa.ui.kept"]') && !!document.querySelector('details[data-scenario="qa.ui.clash"]')`),
	)
	var list struct {
		Data    []struct{ Name, Source string }
		Skipped []struct{ Name string }
	}
	apptest.Want(t, s.Sandbox(nil).Get(t, "/scenarios"), http.StatusOK).JSON(t, &list)
	for _, sc := range list.Data {
		if sc.Name == "qa.ui.kept" || strings.HasPrefix(sc.Source, "upload:") {
			t.Errorf("after the deletes the server still lists %s from %s", sc.Name, sc.Source)
		}
	}
	if len(list.Skipped) != 0 {
		t.Errorf("after the deletes the server still skips %+v", list.Skipped)
	}
}
