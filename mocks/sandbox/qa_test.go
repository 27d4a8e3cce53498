package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/apptest"
	"github.com/vendorsim/vendorsim/internal/config"
)

type clockState struct {
	Now    string  `json:"now"`
	Frozen bool    `json:"frozen"`
	Speed  float64 `json:"speed"`
}

// A frozen clock does not move until advanced (or resumed); another
// workspace's clock is not touched.
func TestClock_FreezeSpeedResume(t *testing.T) {
	s := apptest.New(t)
	a, b := s.Sandbox(whippyKey("clock-a")), s.Sandbox(whippyKey("clock-b"))
	var c1, c2, c3, other clockState
	apptest.Want(t, a.Post(t, "/clock/freeze", nil), http.StatusOK).JSON(t, &c1)
	if !c1.Frozen || c1.Speed != 0 {
		t.Fatalf("after freeze: %+v", c1)
	}
	apptest.Want(t, a.Get(t, "/clock"), http.StatusOK).JSON(t, &c2)
	if c2.Now != c1.Now {
		t.Errorf("a frozen clock moved from %s to %s", c1.Now, c2.Now)
	}
	apptest.Want(t, b.Get(t, "/clock"), http.StatusOK).JSON(t, &other)
	if other.Frozen || other.Speed != 1 {
		t.Errorf("another workspace's clock: %+v", other)
	}
	apptest.Want(t, a.Post(t, "/clock/advance", M{"by": "90m"}), http.StatusOK).JSON(t, &c3)
	t1, _ := time.Parse(time.RFC3339Nano, c1.Now)
	t3, _ := time.Parse(time.RFC3339Nano, c3.Now)
	if !c3.Frozen || t3.Sub(t1) != 90*time.Minute {
		t.Fatalf("advance of a frozen clock by 90m: %+v, %s later; want exactly 90m, still frozen", c3, t3.Sub(t1))
	}
	apptest.Want(t, a.Get(t, "/clock"), http.StatusOK).JSON(t, &c2)
	if c2.Now != c3.Now {
		t.Errorf("the frozen clock moved after the advance: %s then %s", c3.Now, c2.Now)
	}
	apptest.Want(t, a.Post(t, "/clock/speed", M{"speed": 60}), http.StatusOK).JSON(t, &c2)
	if c2.Frozen || c2.Speed != 60 || c2.Now < c3.Now {
		t.Errorf("speed 60: %+v", c2)
	}
	r := a.Post(t, "/clock/speed", M{"speed": -1})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"speed"`) {
		t.Errorf("speed -1: %d %s", r.Status, r.Body)
	}
	apptest.Want(t, a.Post(t, "/clock/resume", nil), http.StatusOK).JSON(t, &c2)
	if c2.Frozen || c2.Speed != 1 {
		t.Errorf("resume: %+v", c2)
	}
	apptest.Want(t, a.Post(t, "/reset", nil), http.StatusOK)
	apptest.Want(t, a.Post(t, "/clock/freeze", nil), http.StatusOK)
	apptest.Want(t, a.Post(t, "/reset", nil), http.StatusOK)
	apptest.Want(t, a.Get(t, "/clock"), http.StatusOK).JSON(t, &c2)
	if c2.Frozen {
		t.Errorf("a reset keeps the clock frozen: %+v", c2)
	}
}

func upload(t *testing.T, s *apptest.Server, name, body string) *apptest.Response {
	t.Helper()
	return s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/_sandbox/scenarios?name=" + name, Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/yaml"}}})
}

// An upload is checked whole: a bad one names its file, line and field and
// changes nothing; a good one is listed and runs.
func TestScenarios_UploadListRunCancel(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	good := "name: qa.slow\nvendor: whippy\nparams: [{name: message_id, type: message_id}]\nemits: [message.updated]\nsteps:\n  - {after: 1h, action: whippy.message.status, with: {status: delivered}}\n"
	r := apptest.Want(t, upload(t, s, "qa.yaml", good), http.StatusCreated)
	if !strings.Contains(string(r.Body), `"source":"upload:qa.yaml"`) {
		t.Errorf("upload answered %s", r.Body)
	}
	bad := []struct{ body, field, msg string }{
		{"name: qa.slow\nsteps:\n  - {after: 1h, action: whippy.message.status, with: {status: exploded}}\n", "steps[0].with", "qa.yaml: line 3"},
		{"name: qa.slow\nsteps:\n  - {after: 1h, action: whippy.nope}\n", "steps[0].action", `unknown action`},
		{"name: qa.f\nsteps:\n  - {fault: {status: 9000}}\n", "steps[0].with", "fault.status"},
		{"name: qa.f\nsteps:\n  - {chaos: {effect: melt}}\n", "steps[0].with", "chaos.effect"},
		{"name: [\n", "body", "qa.yaml"},
		{"name: whippy.sms.delivered\nsteps:\n  - {wait: 1s}\n", "name", "builtin/whippy.yaml, which an upload cannot replace"},
	}
	for _, b := range bad {
		r := upload(t, s, "qa.yaml", b.body)
		var e struct {
			Error struct{ Field, Message string }
		}
		r.JSON(t, &e)
		if r.Status != http.StatusUnprocessableEntity || e.Error.Field != b.field || !strings.Contains(e.Error.Message, b.msg) {
			t.Errorf("%q: %d %s; want 422 on %s mentioning %q", b.body, r.Status, r.Body, b.field, b.msg)
		}
	}
	var list struct {
		Data []struct {
			Name   string
			Source string
			Steps  []json.RawMessage
			Emits  []string
		}
	}
	apptest.Want(t, s.Sandbox(nil).Get(t, "/scenarios"), http.StatusOK).JSON(t, &list)
	found := false
	for _, sc := range list.Data {
		if sc.Name == "qa.slow" {
			found = len(sc.Steps) == 1 && strings.Contains(string(sc.Steps[0]), "delivered") && len(sc.Emits) == 1
		}
	}
	if !found {
		t.Fatalf("qa.slow is not listed as uploaded first: %+v", list.Data)
	}
	key := "qa-upload-key"
	c := s.Whippy(key)
	var ch struct{ Data []struct{ Phone string } }
	apptest.Want(t, c.Get(t, "/channels"), http.StatusOK).JSON(t, &ch)
	var msg struct{ Data struct{ ID string } }
	apptest.Want(t, c.Post(t, "/messaging/sms", M{"from": ch.Data[0].Phone, "to": "+12065550300", "body": "x"}), http.StatusCreated).JSON(t, &msg)
	sb := s.Sandbox(whippyKey(key))
	var run struct{ ID, State string }
	apptest.Want(t, sb.Post(t, "/scenarios/qa.slow/run", M{"params": M{"message_id": msg.Data.ID}}), http.StatusAccepted).JSON(t, &run)
	apptest.Want(t, sb.Post(t, "/scenarios/runs/"+run.ID+"/cancel", nil), http.StatusOK).JSON(t, &run)
	if run.State != "cancelled" {
		t.Fatalf("after cancel: %s", run.State)
	}
	apptest.Want(t, sb.Do(t, http.MethodDelete, "/scenarios/runs/"+run.ID, nil), http.StatusOK)
	apptest.Want(t, s.Sandbox(whippyKey("qa-other")).Post(t, "/scenarios/runs/"+run.ID+"/cancel", nil), http.StatusNotFound)
	r = apptest.Want(t, s.Sandbox(nil).Get(t, "/scenarios/schema"), http.StatusOK)
	var schema map[string]any
	if err := json.Unmarshal(r.Body, &schema); err != nil || schema["$schema"] == nil {
		t.Errorf("schema: %v %s", err, r.Body)
	}
}

// A scenario applies a fault and a chaos rule to its own workspace only,
// and lifts them.
func TestScenarios_FaultAndChaosSteps(t *testing.T) {
	s := apptest.New(t, apptest.WithConfig(func(c *config.Config) { c.Scenarios.Manual = true }))
	file := `name: qa.flaky
vendor: whippy
steps:
  - fault: {id: slow-contacts, operation_id: listContacts, status: 429, retry_after: 5s}
  - chaos: {id: dup, effect: duplicate}
  - {wait: 1m}
  - {lift_fault: slow-contacts}
  - {lift_chaos: dup}
`
	apptest.Want(t, upload(t, s, "flaky.yaml", file), http.StatusCreated)
	sb := s.Sandbox(whippyKey("qa-flaky-a"))
	apptest.Want(t, sb.Post(t, "/scenarios/qa.flaky/run", nil), http.StatusAccepted)
	apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "10s"}), http.StatusOK)
	if r := s.Whippy("qa-flaky-a").Get(t, "/contacts"); r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "5" {
		t.Errorf("during the scenario: %d %v", r.Status, r.Header)
	}
	if r := s.Whippy("qa-flaky-b").Get(t, "/contacts"); r.Status != http.StatusOK {
		t.Errorf("another workspace: %d", r.Status)
	}
	var chaos struct{ Data []struct{ ID, Source string } }
	apptest.Want(t, sb.Get(t, "/chaos"), http.StatusOK).JSON(t, &chaos)
	if len(chaos.Data) != 1 || chaos.Data[0].ID != "dup" || chaos.Data[0].Source != "scenario" {
		t.Errorf("chaos rules %+v", chaos.Data)
	}
	apptest.Want(t, sb.Post(t, "/clock/advance", M{"by": "2m"}), http.StatusOK)
	if r := s.Whippy("qa-flaky-a").Get(t, "/contacts"); r.Status != http.StatusOK {
		t.Errorf("after the scenario lifted the fault: %d", r.Status)
	}
	apptest.Want(t, sb.Get(t, "/chaos"), http.StatusOK).JSON(t, &chaos)
	if len(chaos.Data) != 0 {
		t.Errorf("chaos rules after the lift: %+v", chaos.Data)
	}
}
