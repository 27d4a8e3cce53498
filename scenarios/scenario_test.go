package scenarios_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

func TestLibrary_BuiltinsLoad(t *testing.T) {
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lib.Get("whippy.sms.delivered"); !ok {
		t.Error("the default Whippy SMS timeline is missing")
	}
}

func TestLibrary_DirMustExist(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := scenarios.NewLibrary(dir, nil, nil, app.ScenarioFiles()...)
	if err == nil || !strings.Contains(err.Error(), "scenarios.dir") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("NewLibrary(%q) error = %v; want one naming scenarios.dir and the directory", dir, err)
	}
}

func TestLibrary_Errors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown action", "name: x\nsteps:\n  - {after: 1s, action: nope}\n", `unknown action "nope"`},
		{"bad duration", "name: x\nsteps:\n  - {after: soon, action: test.record}\n", `"soon" is not a duration`},
		{"no steps", "name: x\n", "has no steps"},
		{"unknown key", "name: x\nstepz: []\n", "stepz"},
		{"no name", "steps:\n  - {after: 1s, action: test.record}\n", "no name"},
		{"replaces a built-in", "name: whippy.sms.delivered\nsteps:\n  - {after: 1s, action: test.record}\n",
			"qa.yaml: line 1: name: whippy.sms.delivered is the name of a built-in scenario"},
		{"defined twice", "name: x\nsteps:\n  - {after: 1s, action: test.record}\n---\nname: x\nsteps:\n  - {after: 1s, action: test.record}\n", "x is defined twice"},
		{"value the step check refuses", "name: x\nsteps:\n  - {after: 1s, action: test.record, with: {status: exploded}}\n",
			`qa.yaml: line 3: scenario x: steps[0].with: step 0 (test.record): status "exploded" is not one of`},
	}
	checks := map[string]scenarios.StepCheck{"test.record": func(with map[string]string) error {
		if v, ok := with["status"]; ok && v != "sent" {
			return fmt.Errorf("status %q is not one of sent", v)
		}
		return nil
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := scenarios.NewLibrary(dir, withBuiltins(t, map[string]scenarios.Action{"test.record": nil}, nil), checks, app.ScenarioFiles()...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewLibrary error = %v; want it to mention %q", err, tt.want)
			}
		})
	}
}

// recorder is a test action that notes the step and the workspace time.
type recorder struct {
	mu    sync.Mutex
	steps []string
	times []time.Time
}

func (r *recorder) action(tx *store.Tx, p map[string]string) error {
	if p["fail"] == "yes" {
		return errors.New("step asked to fail")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, p["id"]+":"+p["step"])
	r.times = append(r.times, tx.Now())
	return nil
}

func TestScenario_StepsRunInOrderUnderAdvance(t *testing.T) {
	dir := t.TempDir()
	yaml := "name: qa.three\nvendor: test\nparams: [id]\nsteps:\n" +
		"  - {after: 10s, action: test.record, with: {step: one}}\n" +
		"  - {after: 1h, action: test.record, with: {step: two}}\n" +
		"  - {after: 30m, action: test.record, with: {step: three}}\n" +
		"---\nname: qa.fails\nvendor: test\nsteps:\n" +
		"  - {after: 1s, action: test.record, with: {fail: \"yes\"}}\n" +
		"  - {after: 1s, action: test.record, with: {step: never}}\n"
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
	var runA, runB, failed string
	start := f.db.WorkspaceNow("a")
	err = f.db.Update(ctx, "a", func(tx *store.Tx) (err error) {
		if runA, err = f.engine.Start(tx, "qa.three", time.Time{}, map[string]string{"id": "A"}); err != nil {
			return err
		}
		if runB, err = f.engine.Start(tx, "qa.three", tx.Now().Add(20*time.Minute), map[string]string{"id": "B"}); err != nil {
			return err
		}
		failed, err = f.engine.Start(tx, "qa.fails", time.Time{}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.Update(ctx, "a", func(tx *store.Tx) error {
		_, err := f.engine.Start(tx, "qa.three", time.Time{}, nil)
		return err
	})
	if !errors.Is(err, scenarios.ErrMissingParam) {
		t.Errorf("Start without its param = %v; want ErrMissingParam", err)
	}
	if sum := f.advance(t, "a", 5*time.Second); sum.Jobs != 0 && len(rec.steps) != 0 {
		t.Fatalf("after 5s %v ran; want nothing before the first 10s step", rec.steps)
	}
	f.advance(t, "a", 3*time.Hour)
	want := []string{"A:one", "B:one", "A:two", "B:two", "A:three", "B:three"}
	if strings.Join(rec.steps, " ") != strings.Join(want, " ") {
		t.Fatalf("steps ran %v; want %v (time order across runs)", rec.steps, want)
	}
	wantAt := []time.Duration{10 * time.Second, 20*time.Minute + 10*time.Second, time.Hour + 10*time.Second,
		time.Hour + 20*time.Minute + 10*time.Second, 90*time.Minute + 10*time.Second, 110*time.Minute + 10*time.Second}
	for i, at := range rec.times {
		if d := at.Sub(start) - wantAt[i]; d < 0 || d > time.Second {
			t.Errorf("step %s ran at +%v; want +%v", rec.steps[i], at.Sub(start), wantAt[i])
		}
	}
	for _, tc := range []struct{ id, state string }{{runA, scenarios.RunDone}, {runB, scenarios.RunDone}, {failed, scenarios.RunFailed}} {
		f.db.View(ctx, "a", func(tx *store.Tx) error {
			run, err := f.engine.Run(tx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			jobs := run.Jobs
			if run.State != tc.state {
				t.Errorf("run %s (%s) is %s; want %s", tc.id, run.Scenario, run.State, tc.state)
			}
			if tc.state == scenarios.RunFailed && (len(jobs) != 1 || !strings.Contains(jobs[0].LastError, "asked to fail")) {
				t.Errorf("failed run's jobs %+v; want one job with the action's error", jobs)
			}
			return nil
		})
	}
}

func TestScenario_SpeedScalesDelays(t *testing.T) {
	rec := &recorder{}
	actions := withBuiltins(t, map[string]scenarios.Action{"test.record": rec.action}, rec.action)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "s.yaml"), []byte("name: s\nsteps:\n  - {after: 10s, action: test.record, with: {step: x}}\n"), 0o644)
	lib, err := scenarios.NewLibrary(dir, actions, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil)
	f.engine.Actions, f.engine.Library, f.engine.Speed = actions, lib, 10
	f.db.Update(context.Background(), "a", func(tx *store.Tx) error {
		_, err := f.engine.Start(tx, "s", time.Time{}, nil)
		return err
	})
	f.advance(t, "a", 900*time.Millisecond)
	if len(rec.steps) != 0 {
		t.Fatalf("at speed 10 a 10s step ran within 0.9s")
	}
	f.advance(t, "a", 200*time.Millisecond)
	if len(rec.steps) != 1 {
		t.Fatalf("at speed 10 a 10s step did not run within 1.1s")
	}
}
