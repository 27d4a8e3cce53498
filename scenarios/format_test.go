package scenarios_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

// Every kind of error in a scenario file names the file, the line and the
// field.
func TestLibrary_ErrorsNameFileLineField(t *testing.T) {
	tests := []struct {
		name, file string
		line       int
		field, msg string
	}{
		{"yaml syntax", "name: x\nsteps: [\n", 2, "", "did not find"},
		{"unknown field", "name: x\nstepz: []\n", 2, "stepz", `unknown field "stepz"`},
		{"no name", "steps:\n  - {after: 1s, action: test.record}\n", 1, "name", "no name"},
		{"no steps", "name: x\nvendor: test\n", 1, "steps", "has no steps"},
		{"bad duration", "name: x\nsteps:\n  - {after: soon, action: test.record}\n", 3, "steps[0].after", `"soon" is not a duration`},
		{"unknown action", "name: x\nsteps:\n  - {after: 1s, action: test.nope}\n", 3, "steps[0].action", `unknown action "test.nope"`},
		{"two kinds", "name: x\nsteps:\n  - {action: test.record, wait: 1s}\n", 3, "steps[0].wait", "has action and wait"},
		{"unknown step field", "name: x\nsteps:\n  - {action: test.record, colour: red}\n", 3, "steps[0].colour", `unknown field "colour"`},
		{"step without kind", "name: x\nsteps:\n  - {after: 1s}\n", 3, "steps[0]", "a step has one of"},
		{"repeat without steps", "name: x\nsteps:\n  - {repeat: 3}\n", 3, "steps[0].steps", "a repeat has steps"},
		{"repeat zero", "name: x\nsteps:\n  - repeat: 0\n    steps: [{action: test.record}]\n", 3, "steps[0].repeat", "1 or more"},
		{"error inside a repeat", "name: x\nsteps:\n  - repeat: 2\n    steps:\n      - {after: x, action: test.record}\n", 5, "steps[0].steps[0].after", "not a duration"},
		{"bad endpoint", "name: x\nsteps:\n  - {endpoint: sideways}\n", 3, "steps[0].endpoint", "down or up"},
		{"fault not a rule", "name: x\nsteps:\n  - {fault: slow}\n", 3, "steps[0].fault", "is a rule"},
		{"lift without id", "name: x\nsteps:\n  - {lift_chaos: \"\"}\n", 3, "steps[0].lift_chaos", "names the id"},
		{"with not a mapping", "name: x\nsteps:\n  - {action: test.record, with: [a]}\n", 3, "steps[0].with", "mapping"},
		{"bad param type", "name: x\nparams: [{name: n, type: colour}]\nsteps:\n  - {action: test.record}\n", 2, "params[0].type", `type "colour"`},
		{"bad default", "name: x\nparams:\n  - {name: n, type: integer, default: abc}\nsteps:\n  - {action: test.record}\n", 3, "params[0].default", `"abc" is not a integer`},
		{"param twice", "name: x\nparams: [a, a]\nsteps:\n  - {action: test.record}\n", 1, "params", "declared twice"},
		{"bad magic", "name: x\nmagic: [{suffix: \"7\", trigger: sms}]\nsteps:\n  - {action: test.record}\n", 2, "magic[0].suffix", "two digits"},
		{"step check", "name: x\nsteps:\n  - {action: test.record}\n  - {after: 1s, action: test.record, with: {status: exploded}}\n", 4, "steps[1].with", `status "exploded"`},
		{"built-in name", "name: whippy.sms.delivered\nsteps:\n  - {action: test.record}\n", 1, "name", "is the name of a built-in scenario"},
	}
	checks := map[string]scenarios.StepCheck{"test.record": func(with map[string]string) error {
		if v, ok := with["status"]; ok && v != "sent" {
			return errors.New(`status "` + v + `" is not sent`)
		}
		return nil
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "qa.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := scenarios.NewLibrary(dir, withBuiltins(t, map[string]scenarios.Action{"test.record": nil}, nil), checks, app.ScenarioFiles()...)
			var le *scenarios.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v; want a *LoadError", err)
			}
			if le.File != path || le.Line != tt.line || le.Field != tt.field || !strings.Contains(le.Msg, tt.msg) {
				t.Errorf("got file %q line %d field %q msg %q; want %q, %d, %q, %q", le.File, le.Line, le.Field, le.Msg, path, tt.line, tt.field, tt.msg)
			}
			if !strings.Contains(err.Error(), "qa.yaml") {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}

// An upload with an error loads nothing and keeps what was loaded; a good
// one replaces the earlier upload of the same name, never a built-in.
func TestLibrary_Upload(t *testing.T) {
	actions := withBuiltins(t, map[string]scenarios.Action{"test.record": nil}, nil)
	lib, err := scenarios.NewLibrary("", actions, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	good := "name: qa.one\nsteps:\n  - {after: 1s, action: test.record}\n"
	if _, err := lib.Upload(context.Background(), "a.yaml", []byte(good)); err != nil {
		t.Fatal(err)
	}
	bad := "name: qa.one\nsteps:\n  - {after: 1s, action: test.record}\n  - {after: 1s, action: test.record}\n---\nname: qa.two\nsteps:\n  - {after: nope, action: test.record}\n"
	_, err = lib.Upload(context.Background(), "b.yaml", []byte(bad))
	var le *scenarios.LoadError
	if !errors.As(err, &le) || le.File != "upload:b.yaml" || le.Line != 8 || le.Field != "steps[0].after" {
		t.Fatalf("bad upload: %v", err)
	}
	if sc, _ := lib.Get("qa.one"); len(sc.Steps) != 1 {
		t.Fatalf("a bad upload replaced qa.one: %+v", sc)
	}
	if _, ok := lib.Get("qa.two"); ok {
		t.Fatal("a bad upload loaded qa.two")
	}
	if _, err := lib.Upload(context.Background(), "c.yaml", []byte(strings.Replace(good, "1s", "2s", 1))); err != nil {
		t.Fatalf("replacing an upload: %v", err)
	}
	if sc, _ := lib.Get("qa.one"); sc.Steps[0].After != scenarios.Duration(2*time.Second) || sc.Source != "upload:c.yaml" {
		t.Fatalf("qa.one is %+v", sc)
	}
	_, err = lib.Upload(context.Background(), "d.yaml", []byte("name: whippy.sms.delivered\nsteps:\n  - {action: test.record}\n"))
	if !errors.As(err, &le) || le.Field != "name" {
		t.Fatalf("replacing a built-in: %v", err)
	}
	// internal marks a vendor's own timeline; an uploaded file need not
	// document its events (a built-in one must: the library tests).
	scs, err := lib.Upload(context.Background(), "e.yaml", []byte("name: qa.internal\ninternal: true\nsteps:\n  - {action: test.record}\n"))
	if err != nil || len(scs) != 1 || !scs[0].Internal || scs[0].Emits != nil {
		t.Fatalf("internal upload: %v %+v", err, scs)
	}
	_, err = lib.Upload(context.Background(), "f.yaml", []byte("name: qa.internal2\ninternal: maybe\nsteps:\n  - {action: test.record}\n"))
	if !errors.As(err, &le) || le.Field != "internal" || le.Line != 2 {
		t.Fatalf("internal: maybe: %v", err)
	}
}

// Repeats unroll with {{i}}, waits delay what follows, params get their
// defaults and are checked against their types, and {{param}} takes the
// run's value.
func TestScenario_RepeatWaitParams(t *testing.T) {
	dir := t.TempDir()
	yaml := `name: qa.repeat
vendor: test
params:
  - {name: id, type: string}
  - {name: count, type: integer, default: "3"}
steps:
  - {after: 1s, action: test.record, with: {step: "start-{{id}}"}}
  - repeat: 2
    after: 10s
    steps:
      - {after: 1s, action: test.record, with: {step: "r{{i}}"}}
      - repeat: 2
        steps:
          - {after: 1s, action: test.record, with: {step: "r-inner{{i}}"}}
  - wait: 1h
  - {action: test.record, with: {step: end}}
`
	if err := os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	actions := withBuiltins(t, map[string]scenarios.Action{"test.record": rec.action}, rec.action)
	lib, err := scenarios.NewLibrary(dir, actions, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := lib.Get("qa.repeat")
	if n := len(sc.Flat()); n != 1+2*3+2 {
		t.Fatalf("%d steps unrolled, want 9", n)
	}
	f := newFixture(t, nil)
	f.engine.Actions, f.engine.Library = actions, lib
	ctx := context.Background()
	err = f.db.Update(ctx, "a", func(tx *store.Tx) error {
		_, err := f.engine.Start(tx, "qa.repeat", time.Time{}, map[string]string{"id": "A", "count": "many"})
		return err
	})
	var pe *scenarios.ParamError
	if !errors.As(err, &pe) || pe.Param != "count" {
		t.Fatalf("count=many: %v; want a ParamError on count", err)
	}
	var runID string
	err = f.db.Update(ctx, "a", func(tx *store.Tx) (err error) {
		runID, err = f.engine.Start(tx, "qa.repeat", time.Time{}, map[string]string{"id": "A"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.advance(t, "a", 30*time.Second)
	want := "A:start-A A:r1 A:r-inner1 A:r-inner2 A:r2 A:r-inner1 A:r-inner2"
	if got := strings.Join(rec.steps, " "); got != want {
		t.Fatalf("after 30s: %s; want %s", got, want)
	}
	f.advance(t, "a", time.Hour)
	if got := rec.steps[len(rec.steps)-1]; got != "A:end" || len(rec.steps) != 8 {
		t.Fatalf("after the wait: %v", rec.steps)
	}
	var run *scenarios.RunView
	f.db.View(ctx, "a", func(tx *store.Tx) (err error) { run, err = f.engine.Run(tx, runID); return err })
	if run.State != scenarios.RunDone || run.Params["count"] != "3" {
		t.Errorf("run %s with params %v; want done with the default count 3", run.State, run.Params)
	}
	if d := run.Jobs[1].DueAt.Sub(run.Jobs[0].DueAt); d != 11*time.Second {
		t.Errorf("the repeat's first step was due %s after the first step; want 11s (the repeat's 10s and its own 1s)", d)
	}
	if d := run.Jobs[7].DueAt.Sub(run.Jobs[6].DueAt); d != time.Hour {
		t.Errorf("the wait ended %s after the step before it; want 1h", d)
	}
}

// A cancelled run runs no more steps.
func TestScenario_CancelRun(t *testing.T) {
	dir := t.TempDir()
	yaml := "name: qa.cancel\nvendor: test\nparams: [id]\nsteps:\n  - {after: 1s, action: test.record, with: {step: one}}\n  - {after: 1h, action: test.record, with: {step: two}}\n"
	if err := os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	actions := withBuiltins(t, map[string]scenarios.Action{"test.record": rec.action}, rec.action)
	lib, err := scenarios.NewLibrary(dir, actions, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil)
	f.engine.Actions, f.engine.Library = actions, lib
	ctx := context.Background()
	var id string
	f.db.Update(ctx, "a", func(tx *store.Tx) (err error) {
		id, err = f.engine.Start(tx, "qa.cancel", time.Time{}, map[string]string{"id": "A"})
		return err
	})
	f.advance(t, "a", 2*time.Second)
	var run *scenarios.RunView
	err = f.db.Update(ctx, "a", func(tx *store.Tx) (err error) { run, err = f.engine.CancelRun(tx, id); return err })
	if err != nil || run.State != scenarios.RunCancelled {
		t.Fatalf("cancel: %v, %+v", err, run)
	}
	f.advance(t, "a", 2*time.Hour)
	if strings.Join(rec.steps, " ") != "A:one" {
		t.Fatalf("steps %v; want only the first", rec.steps)
	}
	err = f.db.Update(ctx, "b", func(tx *store.Tx) error { _, err := f.engine.CancelRun(tx, id); return err })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cancel from another workspace: %v; want ErrNotFound", err)
	}
}
