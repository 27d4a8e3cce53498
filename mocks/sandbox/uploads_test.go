package sandbox_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

// inbox is a webhook receiver that keeps the Whippy events it gets.
type inbox struct {
	*httptest.Server
	mu     sync.Mutex
	events []inboxEvent
}

type inboxEvent struct {
	Event string         `json:"event"`
	Data  map[string]any `json:"data"`
}

func newInbox(t *testing.T) *inbox {
	t.Helper()
	ib := &inbox{}
	ib.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev inboxEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		ib.mu.Lock()
		ib.events = append(ib.events, ev)
		ib.mu.Unlock()
	}))
	t.Cleanup(ib.Close)
	return ib
}

// bodies returns the bodies of the inbound message.created events, sorted.
func (ib *inbox) bodies(t *testing.T) []string {
	t.Helper()
	ib.mu.Lock()
	defer ib.mu.Unlock()
	var out []string
	for _, ev := range ib.events {
		if ev.Event != "message.created" || ev.Data["direction"] != "INBOUND" {
			t.Errorf("unexpected event %s %v", ev.Event, ev.Data)
			continue
		}
		out = append(out, ev.Data["body"].(string))
	}
	slices.Sort(out)
	return out
}

// lateInbound is an uploaded scenario: two inbound messages an hour apart,
// each body tagged with the run's tag.
const lateInbound = `name: qa.inbound.late
vendor: whippy
description: Two inbound messages, an hour apart.
params:
  - {name: channel, type: string}
  - {name: tag, type: string}
  - {name: from, type: phone, default: "+12065550160"}
emits: [message.created, message.created]
steps:
  - {after: 1m, action: whippy.inbound, with: {body: "first {{tag}}"}}
  - {after: 1h, action: whippy.inbound, with: {body: "second {{tag}}"}}
`

func onFileManual(t *testing.T, path, dir string) *apptest.Server {
	t.Helper()
	return apptest.New(t, apptest.WithConfig(func(c *config.Config) {
		c.Server.DB = path
		c.Scenarios.Manual = true
		c.Scenarios.Dir = dir
	}))
}

type scenarioList struct {
	Data []struct {
		Name, Source, Description string
		UploadedAt                string `json:"uploaded_at"`
	}
	Skipped []struct {
		Name, File, Reason string
		UploadedAt         string `json:"uploaded_at"`
	}
}

func listScenarios(t *testing.T, s *apptest.Server) scenarioList {
	t.Helper()
	var l scenarioList
	apptest.Want(t, s.Sandbox(nil).Get(t, "/scenarios"), http.StatusOK).JSON(t, &l)
	return l
}

// source returns the source of scenario name as listed, "" when it is not.
func (l scenarioList) source(name string) string {
	for _, sc := range l.Data {
		if sc.Name == name {
			return sc.Source
		}
	}
	return ""
}

func channelOf(t *testing.T, s *apptest.Server, key string) string {
	t.Helper()
	var ch struct{ Data []struct{ Phone string } }
	apptest.Want(t, s.Whippy(key).Get(t, "/channels"), http.StatusOK).JSON(t, &ch)
	return ch.Data[0].Phone
}

func runState(t *testing.T, s *apptest.Server, key, id string) string {
	t.Helper()
	var run struct{ State string }
	apptest.Want(t, s.Sandbox(whippyKey(key)).Get(t, "/scenarios/runs/"+id), http.StatusOK).JSON(t, &run)
	return run.State
}

func startRun(t *testing.T, s *apptest.Server, key, name string, params M) string {
	t.Helper()
	var run struct{ ID string }
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/scenarios/"+name+"/run", M{"params": params}), http.StatusAccepted).JSON(t, &run)
	return run.ID
}

func advance(t *testing.T, s *apptest.Server, key, by string) {
	t.Helper()
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/clock/advance", M{"by": by}), http.StatusOK)
}

// An uploaded scenario survives a restart: it is listed with its source
// and upload time, a run of it in flight across the restart finishes, and
// a new run of it plays to a real receiver.
func TestScenarios_UploadSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uploads.db")
	const key = "upload-restart"
	ib := newInbox(t)
	s := onFileManual(t, path, "")
	apptest.Want(t, upload(t, s, "qa.yaml", lateInbound), http.StatusCreated)
	apptest.Want(t, s.Sandbox(whippyKey(key)).Post(t, "/webhooks", M{"vendor": "whippy", "url": ib.URL, "events": []string{"message.created"}}), http.StatusCreated)
	channel := channelOf(t, s, key)
	runA := startRun(t, s, key, "qa.inbound.late", M{"channel": channel, "tag": "A"})
	advance(t, s, key, "2m")
	if got := ib.bodies(t); !slices.Equal(got, []string{"first A"}) {
		t.Fatalf("before the restart the receiver got %q, want the first step's message", got)
	}
	before := listScenarios(t, s)
	s.Stop()

	s = onFileManual(t, path, "")
	l := listScenarios(t, s)
	if src := l.source("qa.inbound.late"); src != "upload:qa.yaml" {
		t.Fatalf("after the restart qa.inbound.late has source %q, want upload:qa.yaml (%d scenarios listed)", src, len(l.Data))
	}
	for i, sc := range l.Data {
		if sc.Name == "qa.inbound.late" && (sc.UploadedAt == "" || sc.UploadedAt != before.Data[i].UploadedAt) {
			t.Errorf("uploaded_at after the restart %q, before %q", sc.UploadedAt, before.Data[i].UploadedAt)
		}
	}
	if len(l.Skipped) != 0 {
		t.Errorf("skipped after a clean restart: %+v", l.Skipped)
	}
	if st := runState(t, s, key, runA); st != "running" {
		t.Errorf("the run in flight is %s after the restart, want running", st)
	}
	runB := startRun(t, s, key, "qa.inbound.late", M{"channel": channel, "tag": "B"})
	advance(t, s, key, "2h")
	if got, want := ib.bodies(t), []string{"first A", "first B", "second A", "second B"}; !slices.Equal(got, want) {
		t.Errorf("after the restart the receiver has %q, want %q", got, want)
	}
	for _, id := range []string{runA, runB} {
		if st := runState(t, s, key, id); st != "done" {
			t.Errorf("run %s is %s, want done", id, st)
		}
	}
}

// DELETE /scenarios/{name} removes an upload, for good: its runs in
// flight are cancelled in every workspace (those of another scenario of
// the same file go on), a built-in cannot be deleted, and a reset of
// every workspace keeps uploads.
func TestScenarios_DeleteUpload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "delete.db")
	ib := newInbox(t)
	s := onFileManual(t, path, "")
	file := strings.Replace(lateInbound, "qa.inbound.late", "qa.del.a", 1) + "---\n" + strings.Replace(lateInbound, "qa.inbound.late", "qa.del.b", 1)
	apptest.Want(t, upload(t, s, "del.yaml", file), http.StatusCreated)
	keys := []string{"delete-x", "delete-y"}
	var runsA []string
	for _, k := range keys {
		apptest.Want(t, s.Sandbox(whippyKey(k)).Post(t, "/webhooks", M{"vendor": "whippy", "url": ib.URL, "events": []string{"message.created"}}), http.StatusCreated)
		runsA = append(runsA, startRun(t, s, k, "qa.del.a", M{"channel": channelOf(t, s, k), "tag": "a " + k}))
	}
	runB := startRun(t, s, keys[0], "qa.del.b", M{"channel": channelOf(t, s, keys[0]), "tag": "b"})

	var d struct {
		Name, Source  string
		Loaded        bool
		CancelledRuns int `json:"cancelled_runs"`
	}
	apptest.Want(t, s.Sandbox(nil).Do(t, http.MethodDelete, "/scenarios/qa.del.a", nil), http.StatusOK).JSON(t, &d)
	if d.Name != "qa.del.a" || d.Source != "upload:del.yaml" || !d.Loaded || d.CancelledRuns != 2 {
		t.Errorf("delete answered %+v, want qa.del.a of upload:del.yaml, loaded, 2 runs cancelled", d)
	}
	for i, k := range keys {
		if st := runState(t, s, k, runsA[i]); st != "cancelled" {
			t.Errorf("%s's run of the deleted scenario is %s, want cancelled", k, st)
		}
	}
	if st := runState(t, s, keys[0], runB); st != "running" {
		t.Errorf("the run of the file's other scenario is %s, want running", st)
	}
	if l := listScenarios(t, s); l.source("qa.del.a") != "" || l.source("qa.del.b") != "upload:del.yaml" {
		t.Errorf("after the delete: qa.del.a from %q, qa.del.b from %q", l.source("qa.del.a"), l.source("qa.del.b"))
	}
	apptest.Want(t, s.Sandbox(whippyKey(keys[0])).Post(t, "/scenarios/qa.del.a/run", nil), http.StatusNotFound)
	apptest.Want(t, s.Sandbox(nil).Do(t, http.MethodDelete, "/scenarios/qa.del.a", nil), http.StatusNotFound)
	r := apptest.Want(t, s.Sandbox(nil).Do(t, http.MethodDelete, "/scenarios/whippy.sms.delivered", nil), http.StatusConflict)
	if !strings.Contains(string(r.Body), "builtin/whippy.yaml") || !strings.Contains(string(r.Body), "only uploaded scenarios can be deleted") {
		t.Errorf("delete of a built-in: %s", r.Body)
	}
	for _, k := range keys {
		advance(t, s, k, "2h")
	}
	if got := ib.bodies(t); !slices.Equal(got, []string{"first b", "second b"}) {
		t.Errorf("the receiver got %q, want only the other scenario's two messages", got)
	}
	s.Stop()

	s = onFileManual(t, path, "")
	if l := listScenarios(t, s); l.source("qa.del.a") != "" || l.source("qa.del.b") != "upload:del.yaml" {
		t.Errorf("after a restart: qa.del.a from %q, qa.del.b from %q", l.source("qa.del.a"), l.source("qa.del.b"))
	}
	if st := runState(t, s, keys[1], runsA[1]); st != "cancelled" {
		t.Errorf("after a restart the cancelled run is %s", st)
	}
	apptest.Want(t, s.Sandbox(nil).Post(t, "/reset", nil), http.StatusOK)
	if l := listScenarios(t, s); l.source("qa.del.b") != "upload:del.yaml" {
		t.Error("a reset of every workspace dropped the upload")
	}
	s.Stop()
	s = onFileManual(t, path, "")
	if l := listScenarios(t, s); l.source("qa.del.b") != "upload:del.yaml" {
		t.Error("after a reset and a restart the upload is gone")
	}
}

// A stored upload that no longer loads (here: bad YAML written into the
// table, as a newer build changing the format would leave) is skipped at
// start, listed with the reason, and the rest is loaded; it can be
// deleted.
func TestScenarios_StaleStoredUploadSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stale.db")
	s := onFileManual(t, path, "")
	apptest.Want(t, upload(t, s, "good.yaml", lateInbound), http.StatusCreated)
	apptest.Want(t, upload(t, s, "stale.yaml", strings.Replace(lateInbound, "qa.inbound.late", "qa.stale", 1)), http.StatusCreated)
	s.Stop()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE scenario_uploads SET body = CAST(? AS BLOB) WHERE file = 'stale.yaml'`, "name: qa.stale\nsteps: [\n")
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("corrupt the stored upload: %v (%d rows)", err, n)
	}
	db.Close()

	s = onFileManual(t, path, "")
	l := listScenarios(t, s)
	if l.source("qa.inbound.late") != "upload:good.yaml" || l.source("qa.stale") != "" {
		t.Errorf("after the restart: qa.inbound.late from %q, qa.stale from %q", l.source("qa.inbound.late"), l.source("qa.stale"))
	}
	if len(l.Skipped) != 1 || l.Skipped[0].Name != "qa.stale" || l.Skipped[0].File != "stale.yaml" ||
		!strings.Contains(l.Skipped[0].Reason, "no longer loads") || !strings.Contains(l.Skipped[0].Reason, "upload:stale.yaml: line") {
		t.Fatalf("skipped %+v, want qa.stale of stale.yaml naming the file's error", l.Skipped)
	}
	apptest.Want(t, s.Sandbox(whippyKey("stale")).Post(t, "/scenarios/qa.stale/run", nil), http.StatusNotFound)
	var d struct {
		Loaded bool
		Source string
	}
	apptest.Want(t, s.Sandbox(nil).Do(t, http.MethodDelete, "/scenarios/qa.stale", nil), http.StatusOK).JSON(t, &d)
	if d.Loaded || d.Source != "upload:stale.yaml" {
		t.Errorf("delete of the skipped upload answered %+v", d)
	}
	if l := listScenarios(t, s); len(l.Skipped) != 0 {
		t.Errorf("skipped after its delete: %+v", l.Skipped)
	}
	s.Stop()
	s = onFileManual(t, path, "")
	if l := listScenarios(t, s); len(l.Skipped) != 0 || l.source("qa.inbound.late") != "upload:good.yaml" {
		t.Errorf("after deleting the stale upload and a restart: skipped %+v, qa.inbound.late from %q", l.Skipped, l.source("qa.inbound.late"))
	}
}

// A stored upload whose name a scenarios dir file took between two runs
// yields to it: the dir's is loaded, the upload is listed as skipped
// (and stays stored until deleted), the file's other scenario loads.
func TestScenarios_StoredUploadYieldsToDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(t.TempDir(), "clash.db")
	s := onFileManual(t, path, dir)
	file := strings.Replace(lateInbound, "qa.inbound.late", "qa.clash", 1) + "---\n" + strings.Replace(lateInbound, "qa.inbound.late", "qa.keep", 1)
	apptest.Want(t, upload(t, s, "qa.yaml", file), http.StatusCreated)
	s.Stop()
	clash := filepath.Join(dir, "clash.yaml")
	if err := os.WriteFile(clash, []byte(strings.Replace(lateInbound, "qa.inbound.late", "qa.clash", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	s = onFileManual(t, path, dir)
	l := listScenarios(t, s)
	if l.source("qa.clash") != clash || l.source("qa.keep") != "upload:qa.yaml" {
		t.Errorf("qa.clash from %q (want the dir's %s), qa.keep from %q", l.source("qa.clash"), clash, l.source("qa.keep"))
	}
	if len(l.Skipped) != 1 || l.Skipped[0].Name != "qa.clash" || l.Skipped[0].File != "qa.yaml" || !strings.Contains(l.Skipped[0].Reason, clash) {
		t.Fatalf("skipped %+v, want qa.clash of qa.yaml naming %s", l.Skipped, clash)
	}
	if _, err := time.Parse(time.RFC3339Nano, l.Skipped[0].UploadedAt); err != nil {
		t.Errorf("skipped uploaded_at %q: %v", l.Skipped[0].UploadedAt, err)
	}
	apptest.Want(t, s.Sandbox(nil).Do(t, http.MethodDelete, "/scenarios/qa.clash", nil), http.StatusOK)
	if l := listScenarios(t, s); l.source("qa.clash") != clash || len(l.Skipped) != 0 {
		t.Errorf("after deleting the skipped upload: qa.clash from %q, skipped %+v", l.source("qa.clash"), l.Skipped)
	}
	apptest.Want(t, s.Sandbox(nil).Do(t, http.MethodDelete, "/scenarios/qa.clash", nil), http.StatusConflict)
	s.Stop()
	if err := os.Remove(clash); err != nil {
		t.Fatal(err)
	}
	s = onFileManual(t, path, dir)
	if l := listScenarios(t, s); l.source("qa.clash") != "" || l.source("qa.keep") != "upload:qa.yaml" {
		t.Errorf("with the dir file gone: qa.clash from %q (its upload was deleted), qa.keep from %q", l.source("qa.clash"), l.source("qa.keep"))
	}
}

// An upload the database refuses answers the control API's error shape
// (a 500, which apptest's client refuses as such: sent by hand) and loads
// nothing.
func TestScenarios_UploadStoreFails(t *testing.T) {
	s := apptest.New(t)
	if err := s.App.DB.Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client().Post(s.URL+"/_sandbox/scenarios?name=qa.yaml", "application/yaml", strings.NewReader(lateInbound))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Error controlError }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusInternalServerError ||
		e.Error.Code != "internal" || e.Error.Message == "" || strings.Contains(e.Error.Message, "database") {
		t.Errorf("upload with the database closed: %d %+v (%v), want 500 in the control API's shape, no details", resp.StatusCode, e.Error, err)
	}
	if l := listScenarios(t, s); l.source("qa.inbound.late") != "" {
		t.Errorf("an upload the store refused is listed from %q", l.source("qa.inbound.late"))
	}
}
