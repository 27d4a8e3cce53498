package scenarios_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vendorsim/vendorsim/internal/app"
	"github.com/vendorsim/vendorsim/scenarios"
	"github.com/vendorsim/vendorsim/store"
)

func TestCheckRun_RunsTheActionsChecks(t *testing.T) {
	dir := t.TempDir()
	yaml := "name: qa.checked\nvendor: test\nparams: [thing]\nsteps:\n" +
		"  - {after: 1s, action: test.use}\n" +
		"  - {after: 1s, action: test.use}\n" +
		"  - {after: 1s, action: test.use, with: {thing: own}}\n"
	if err := os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	noop := func(*store.Tx, map[string]string) error { return nil }
	actions := withBuiltins(t, map[string]scenarios.Action{"test.use": noop}, noop)
	lib, err := scenarios.NewLibrary(dir, actions, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil)
	f.engine.Actions, f.engine.Library = actions, lib
	known := map[string]bool{"there": true, "own": true}
	var checked []string
	broken := errors.New("disk on fire")
	f.engine.AddParamCheck("test.use", "thing", func(tx *store.Tx, v string) error {
		checked = append(checked, tx.Workspace()+":"+v)
		switch {
		case v == "broken":
			return broken
		case !known[v]:
			return fmt.Errorf("thing %q %w", v, store.ErrNotFound)
		}
		return nil
	})
	check := func(params map[string]string) error {
		checked = nil
		return f.db.Update(context.Background(), "a", func(tx *store.Tx) error {
			return f.engine.CheckRun(tx, "qa.checked", time.Time{}, params)
		})
	}

	// Each value is checked once, in the run's workspace: the run's for the
	// steps without their own, and the step's own.
	if err := check(map[string]string{"thing": "there"}); err != nil {
		t.Fatalf("known thing refused: %v", err)
	}
	if want := []string{"a:there", "a:own"}; !slices.Equal(checked, want) {
		t.Errorf("checked %v, want %v", checked, want)
	}
	var pe *scenarios.ParamError
	if err := check(map[string]string{"thing": "gone"}); !errors.As(err, &pe) || pe.Param != "thing" || pe.Action != "test.use" || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown thing: %v; want a ParamError on thing of test.use wrapping ErrNotFound", err)
	}
	if err := check(nil); !errors.As(err, &pe) || pe.Param != "thing" || !errors.Is(err, scenarios.ErrMissingParam) {
		t.Errorf("missing thing: %v; want a ParamError wrapping ErrMissingParam", err)
	}
	if err := check(map[string]string{"thing": "broken"}); !errors.Is(err, broken) || errors.As(err, &pe) {
		t.Errorf("failing check: %v; want the failure itself, not a ParamError", err)
	}
	err = f.db.Update(context.Background(), "a", func(tx *store.Tx) error {
		return f.engine.CheckRun(tx, "qa.none", time.Time{}, nil)
	})
	if !errors.Is(err, scenarios.ErrUnknownScenario) {
		t.Errorf("unknown scenario: %v", err)
	}
}

func TestHorizon_BoundsStartAndAdvance(t *testing.T) {
	f := newFixture(t, nil)
	lib, err := scenarios.NewLibrary("", nil, nil, app.ScenarioFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	f.engine.Library = lib
	ctx := context.Background()
	check := func(at func(now time.Time) time.Time) error {
		return f.db.Update(ctx, "a", func(tx *store.Tx) error {
			return f.engine.CheckRun(tx, "whippy.sms.delivered", at(tx.Now()), map[string]string{"message_id": "m"})
		})
	}
	if err := check(func(now time.Time) time.Time { return now.Add(scenarios.Horizon + time.Second) }); !errors.Is(err, scenarios.ErrBeyondHorizon) {
		t.Errorf("start past the horizon: %v, want ErrBeyondHorizon", err)
	}
	if err := check(func(now time.Time) time.Time { return now.Add(scenarios.Horizon - time.Minute) }); err != nil {
		t.Errorf("start within the horizon: %v", err)
	}

	if _, err := f.engine.Advance(ctx, "a", scenarios.Horizon+time.Second); !errors.Is(err, scenarios.ErrBeyondHorizon) {
		t.Errorf("advance past the horizon: %v, want ErrBeyondHorizon", err)
	}
	if off := f.db.ClockOffset("a"); off != 0 {
		t.Errorf("refused advance moved the clock by %s", off)
	}
	f.advance(t, "a", scenarios.Horizon-time.Hour)
	was := f.db.ClockOffset("a")
	if _, err := f.engine.Advance(ctx, "a", 2*time.Hour); !errors.Is(err, scenarios.ErrBeyondHorizon) {
		t.Errorf("advance past the horizon from near it: %v", err)
	}
	f.advance(t, "a", 30*time.Minute)
	if d := f.db.ClockOffset("a") - was; d < 30*time.Minute-time.Second || d > 30*time.Minute+time.Second {
		t.Errorf("advance by 30m near the horizon moved the clock %s", d)
	}
	if off := f.db.ClockOffset("b"); off != 0 {
		t.Errorf("workspace b's clock moved: %s", off)
	}
}
